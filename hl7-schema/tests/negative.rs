//! Broken profiles: every problem is reported, at once, with file:line:col,
//! and nothing panics.

use std::path::{Path, PathBuf};

use hl7_schema::profile::{
    self, Diagnostic, DiagnosticKind as K, Loaded, Severity, mwb, nist, site,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The diagnostic of `kind` at `line:col`, or a panic listing them all.
fn at(diags: &[Diagnostic], kind: K, line: u32, col: u32) -> &Diagnostic {
    diags
        .iter()
        .find(|d| d.kind() == kind && d.line_col() == Some((line, col)))
        .unwrap_or_else(|| {
            let all: Vec<String> = diags.iter().map(ToString::to_string).collect();
            panic!("no {kind} at {line}:{col} among:\n{}", all.join("\n"))
        })
}

fn errors(l: &Loaded) -> usize {
    l.with_severity(Severity::Error).count()
}

#[test]
fn malformed_xml_names_the_position_and_the_open_element() {
    let l = profile::load(fixture("malformed.xml"));
    assert!(l.profile.is_none());
    assert_eq!(l.diagnostics.len(), 1);
    let d = at(&l.diagnostics, K::MalformedXml, 6, 5);
    assert!(d.message().contains("</Segment>"), "{d}");
    assert_eq!(
        d.help(),
        Some("the innermost open element is <Field> at 5:7")
    );
    assert!(
        d.to_string()
            .contains("malformed.xml:6:5: error[malformed-xml]"),
        "{d}"
    );
    // The quick-xml error is kept as the source, not in the public API.
    assert!(std::error::Error::source(d).is_some());
}

#[test]
fn unclosed_root_and_garbage_after_root() {
    let l = mwb::load_str(
        "<HL7v2xConformanceProfile HL7Version=\"2.5\">\n  <MetaData Name=\"x\"/>\n",
        Path::new("inline.xml"),
    );
    assert!(l.profile.is_none());
    let d = at(&l.diagnostics, K::MalformedXml, 1, 1);
    assert!(d.message().contains("never closed"), "{d}");

    let l = mwb::load_str("<A/>\n<B/>", Path::new("two-roots.xml"));
    at(&l.diagnostics, K::MalformedXml, 2, 1);

    let l = mwb::load_str("<A x=\"1\" x=\"2\"/>", Path::new("dup-attr.xml"));
    assert!(l.profile.is_none());
    assert_eq!(l.diagnostics[0].kind(), K::MalformedXml);

    let l = mwb::load_str("<A>&nbsp;</A>", Path::new("entity.xml"));
    assert_eq!(l.diagnostics[0].kind(), K::MalformedXml);
}

#[test]
fn mwb_errors_all_reported_at_once() {
    let l = profile::load(fixture("mwb_errors.xml"));
    // Still a profile: the structure was readable.
    assert!(l.profile.is_some());
    assert_eq!(errors(&l), 5, "{:#?}", l.diagnostics);
    // Min > Max on a field, pointing at the Min attribute.
    let d = at(&l.diagnostics, K::Contradiction, 11, 55);
    assert_eq!(
        d.message(),
        "PID-3 (Patient Identifier List): Min=3 is greater than Max=2"
    );
    // Min > Max on a group.
    at(&l.diagnostics, K::Contradiction, 16, 63);
    // An unknown usage code, at the Usage attribute.
    at(&l.diagnostics, K::InvalidValue, 12, 42);
    // An unknown data type, at the Datatype attribute.
    let d = at(&l.diagnostics, K::UnknownDatatype, 13, 60);
    assert!(d.message().contains("`XYZ`"), "{d}");
    assert!(d.help().is_some());
    // A bad Max, and W usage accepted with a warning.
    at(&l.diagnostics, K::InvalidValue, 14, 60);
    let w = at(&l.diagnostics, K::SchemaDeviation, 14, 42);
    assert_eq!(w.severity(), Severity::Warning);
    // Diagnostics come sorted by position.
    let lines: Vec<u32> = l.diagnostics.iter().filter_map(Diagnostic::line).collect();
    let mut sorted = lines.clone();
    sorted.sort_unstable();
    assert_eq!(lines, sorted);
    // into_result carries every error.
    let err = l.into_result().unwrap_err();
    assert_eq!(err.errors().count(), 5);
    assert!(err.to_string().starts_with("profile has 5 errors"));
}

#[test]
fn mwb_loose_files_still_load() {
    // No HL7Version, no ProfileType, no UseCase, W usage, Min="100",
    // an optional wrapper around a repeating group.
    let text = r#"<HL7v2xConformanceProfile>
  <HL7v2xStaticDef MsgType="ORU" EventType="R01" MsgStructID="ORU_R01" EventDesc="">
    <Segment Name="MSH" LongName="Message Header" Usage="R" Min="1" Max="1">
      <Field Name="Field Separator" Usage="R" Min="1" Max="1" Datatype="ST"/>
    </Segment>
    <SegGroup Name="G5O" LongName="wrapper" Usage="O" Min="0" Max="1">
      <SegGroup Name="ORDER_OBSERVATION" LongName="Order" Usage="R" Min="100" Max="*">
        <Segment Name="OBR" LongName="Observation Request" Usage="R" Min="1" Max="1">
          <Field Name="Set ID" Usage="W" Min="0" Max="1" Datatype="SI"/>
        </Segment>
      </SegGroup>
    </SegGroup>
  </HL7v2xStaticDef>
</HL7v2xConformanceProfile>"#;
    let l = mwb::load_str(text, Path::new("loose.xml"));
    assert_eq!(errors(&l), 0, "{:#?}", l.diagnostics);
    at(&l.diagnostics, K::SchemaDeviation, 1, 1); // no HL7Version
    at(&l.diagnostics, K::SchemaDeviation, 7, 7); // Min=100
    at(&l.diagnostics, K::SchemaDeviation, 9, 32); // W
    let n = at(&l.diagnostics, K::Normalized, 6, 5);
    assert!(n.message().contains("G5O"), "{n}");
    let p = l.profile.unwrap();
    let tree = p.tree().depth(0).to_string();
    assert!(tree.contains("[ORDER_OBSERVATION]"), "{tree}");
    assert!(!tree.contains("G5O"), "{tree}");
}

#[test]
fn nist_dangling_references_and_bad_paths() {
    let l = profile::load(fixture("nist_dangling"));
    assert!(l.profile.is_some());
    assert_eq!(errors(&l), 7, "{:#?}", l.diagnostics);
    let profile_xml = |d: &Diagnostic| d.file().is_some_and(|f| f.ends_with("Profile.xml"));
    // A message Segment/@Ref to nothing, at the Ref attribute.
    let d = at(&l.diagnostics, K::DanglingReference, 7, 16);
    assert!(profile_xml(d) && d.message().contains("`PID_X`"), "{d}");
    // A field data type that is not in <Datatypes>.
    let d = at(&l.diagnostics, K::DanglingReference, 20, 7);
    assert!(d.message().contains("`IS_SITE`"), "{d}");
    // A component data type that is not in <Datatypes>.
    at(&l.diagnostics, K::DanglingReference, 27, 7);
    // MinLength > MaxLength.
    at(&l.diagnostics, K::Contradiction, 16, 81);
    // Constraints.xml: a context ID that does not exist, and a target path
    // beyond the data type's components.
    let c = |d: &Diagnostic| d.file().is_some_and(|f| f.ends_with("Constraints.xml"));
    let d = at(&l.diagnostics, K::DanglingReference, 16, 13);
    assert!(c(d) && d.message().contains("CWE_NOPE"), "{d}");
    let d = at(&l.diagnostics, K::DanglingReference, 11, 20);
    assert!(d.message().contains("has 3 elements, not 7"), "{d}");
    // The resolvable predicate was applied.
    let p = l.profile.unwrap();
    assert_eq!(
        p.datatype("HD").unwrap().components[1].usage.to_string(),
        "C(R/X)"
    );
    assert_eq!(p.conformance_statements.len(), 1);
}

#[test]
fn nist_profile_text_without_sidecars() {
    let l = nist::load_str(
        r#"<ConformanceProfile HL7Version="2.5.1">
  <Messages><Message ID="m" Type="ACK" Event="A01" StructID="ACK">
    <Segment Ref="MSH" Usage="R" Min="1" Max="1"/>
  </Message></Messages>
  <Segments><Segment ID="MSH" Name="MSH">
    <Field Name="Field Separator" Datatype="ST" Usage="R" Min="2" Max="1"/>
  </Segment></Segments>
  <Datatypes><Datatype ID="ST" Name="ST"/><Datatype ID="ZZ9" Name="ZZ9"/></Datatypes>
</ConformanceProfile>"#,
        Path::new("inline-profile.xml"),
    );
    at(&l.diagnostics, K::Contradiction, 6, 59);
    let unknown = at(&l.diagnostics, K::UnknownDatatype, 8, 62);
    assert_eq!(unknown.severity(), Severity::Warning);
}

#[test]
fn bad_toml_syntax() {
    let l = profile::load(fixture("bad_syntax.toml"));
    assert!(l.profile.is_none());
    assert!(
        l.diagnostics
            .iter()
            .all(|d| d.kind() == K::MalformedToml && d.is_error())
    );
    at(&l.diagnostics, K::MalformedToml, 9, 1);
}

#[test]
fn bad_site_profile_reports_every_mistake() {
    let (site, diags) = site::parse(fixture("bad_site.toml"));
    assert!(site.is_some());
    assert_eq!(diags.len(), 8, "{diags:#?}");
    let d = at(&diags, K::Unexpected, 4, 1);
    assert!(d.message().contains("`colour`"), "{d}");
    at(&diags, K::InvalidValue, 7, 11); // "ADT-A04"
    let d = at(&diags, K::Contradiction, 10, 32); // min 4 > max 3
    assert!(
        d.message().contains("min = 4 is greater than max = 3"),
        "{d}"
    );
    let d = at(&diags, K::Unexpected, 11, 13);
    assert_eq!(d.help(), Some("did you mean `usage`?"));
    at(&diags, K::InvalidValue, 12, 12); // usage "Q"
    at(&diags, K::Contradiction, 13, 33); // X with min 1
    at(&diags, K::InvalidValue, 14, 1); // "pid-5"
    at(&diags, K::Missing, 19, 3); // Z field without type
}

#[test]
fn site_keys_that_do_not_resolve_against_the_base() {
    let l = profile::load(fixture("layer_errors.toml"));
    assert_eq!(errors(&l), 9, "{:#?}", l.diagnostics);
    at(&l.diagnostics, K::DanglingReference, 6, 11); // ADT^Q99 unknown event
    let d = at(&l.diagnostics, K::DanglingReference, 9, 1); // PID-45
    assert!(d.message().contains("PID has 39 fields"), "{d}");
    assert!(d.help().unwrap().contains("append"));
    at(&l.diagnostics, K::DanglingReference, 10, 1); // PID-3.11
    at(&l.diagnostics, K::DanglingReference, 11, 1); // PID-8.1 on a primitive
    at(&l.diagnostics, K::DanglingReference, 12, 1); // ZZZ
    at(&l.diagnostics, K::DanglingReference, 13, 1); // PROCEDURE/XYZ
    at(&l.diagnostics, K::DanglingReference, 14, 36); // values = "no-such-set"
    let relax = at(&l.diagnostics, K::Relaxation, 15, 11); // PV1-2 R -> O
    assert_eq!(relax.severity(), Severity::Warning);
    at(&l.diagnostics, K::DanglingReference, 18, 9); // after = "QRD"
    at(&l.diagnostics, K::UnknownDatatype, 21, 29); // type = "FOO"
}

#[test]
fn not_a_profile() {
    let l = mwb::load_str("<Something/>", Path::new("other.xml"));
    assert!(l.profile.is_none());
    at(&l.diagnostics, K::UnknownFormat, 1, 1);

    let l = profile::load(fixture("does-not-exist.xml"));
    assert!(l.profile.is_none());
    assert_eq!(l.diagnostics[0].kind(), K::Io);
    assert!(l.diagnostics[0].file().is_some());

    let l = profile::load(fixture("nist_dangling/Constraints.xml"));
    assert!(l.profile.is_none());
    let d = at(&l.diagnostics, K::UnknownFormat, 1, 1);
    assert!(d.message().contains("sidecar"), "{d}");

    // A directory without Profile.xml.
    let l = profile::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(l.profile.is_none());
    assert_eq!(l.diagnostics[0].kind(), K::Missing);
}

#[test]
fn format_detection() {
    use hl7_schema::profile::{Format, detect, detect_str};
    assert_eq!(detect(fixture("mwb_errors.xml")), Some(Format::Mwb));
    assert_eq!(
        detect(fixture("nist_dangling")),
        Some(Format::NistDirectory)
    );
    assert_eq!(
        detect(fixture("nist_dangling/Profile.xml")),
        Some(Format::NistProfile)
    );
    assert_eq!(detect(fixture("bad_site.toml")), Some(Format::SiteToml));
    assert_eq!(
        detect_str("<?xml version=\"1.0\"?><!-- c --><Specification/>"),
        Some(Format::MwbTables)
    );
    assert_eq!(detect_str("<ValueSetLibrary/>"), Some(Format::NistSidecar));
    assert_eq!(detect_str("<html/>"), None);
}

#[test]
fn never_panics_on_truncated_input() {
    // Every prefix of a valid profile either loads or reports a diagnostic.
    let text = std::fs::read_to_string(fixture("nist_dangling/Profile.xml")).unwrap();
    for cut in (0..text.len()).step_by(7) {
        if !text.is_char_boundary(cut) {
            continue;
        }
        let l = nist::load_str(&text[..cut], Path::new("cut.xml"));
        assert!(
            l.profile.is_some() || !l.diagnostics.is_empty(),
            "cut at {cut}"
        );
    }
    let site_text = std::fs::read_to_string(fixture("layer_errors.toml")).unwrap();
    for cut in (0..site_text.len()).step_by(3) {
        let _ = site::parse_str(&site_text[..cut], Path::new("cut.toml"));
    }
}

#[test]
fn per_message_constraints_follow_their_message_when_an_earlier_one_fails() {
    let text = r#"
[profile]
name = "first event is unknown"
hl7 = "2.5.1"

[messages."ADT^Q99"]
constraints = { "PID-7" = "R" }

[messages."ADT^A01"]
constraints = { "PID-8" = "R" }

[messages."ZZZ^Z01"]
segments = ["MSH", "ZQQ"]
constraints = { "ZQQ-1" = "R", "ZQQ" = "R" }
"#;
    let (site, diags) = site::parse_str(text, Path::new("inline.toml"));
    assert!(diags.is_empty(), "{diags:#?}");
    let base = hl7_schema::defs::Version::load("2.5.1").unwrap();
    let l = profile::layer(&site.unwrap(), &base);
    at(&l.diagnostics, K::DanglingReference, 6, 11); // ADT^Q99
    at(&l.diagnostics, K::DanglingReference, 13, 20); // ZQQ is defined nowhere
    let p = l.profile.unwrap();
    assert_eq!(p.messages.len(), 2);
    // PID-8 = R went to ADT^A01 (its own PID flavor); PID-7 went nowhere.
    let a01 = p.message("ADT^A01").unwrap();
    let pid_id = a01
        .walk()
        .into_iter()
        .find_map(|(_, n)| match n {
            hl7_schema::profile::StructureNode::Segment(s) if s.name == "PID" => {
                Some(s.segment.clone())
            }
            _ => None,
        })
        .unwrap();
    let pid = p.segment(&pid_id).unwrap();
    assert_eq!(pid.field(8).unwrap().usage, hl7_schema::profile::Usage::R);
    assert_eq!(pid.field(7).unwrap().usage, hl7_schema::profile::Usage::O);
}

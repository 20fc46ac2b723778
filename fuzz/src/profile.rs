//! The `profile` target: the MWB, NIST/IGAMT and TOML site profile loaders.

use std::path::Path;
use std::sync::{Arc, LazyLock};

use hl7_runtime::er7::Message;
use hl7_runtime::json::named::NamedJson;
use hl7_runtime::validate::Validator;
use hl7_schema::profile::{
    self, BaseDefinitions, Loaded, Profile, SourceFormat, StructureNode, mwb, nist, site,
};

/// The base site profiles are layered on: loaded once (a site profile's own
/// `hl7 = ...` or `base_profile = ...` would load a version, or read a
/// file, on every run).
static BASE: LazyLock<Arc<dyn BaseDefinitions + Send + Sync>> =
    LazyLock::new(|| profile::version_base("2.5.1").expect("2.5.1 is bundled"));

/// A message a loaded profile validates and names.
const SAMPLE: &[u8] = b"MSH|^~\\&|A|B|C|D|20260101||ADT^A01^ADT_A01|1|P|2.5.1\rEVN||20260101\rPID|1||42^^^H^MR||DOE^J\rPV1|1|I\rZZZ|1\r";

/// Loads `data` (as UTF-8, invalid sequences replaced) with the loaders
/// its shape calls for: text that starts like XML with the MWB and the
/// NIST loaders, anything else as a TOML site profile (layered on the
/// bundled 2.5.1 definitions). [`profile::detect_str`] runs too.
///
/// Never a panic. Diagnostics are sorted, positioned inside the text and
/// printable; `into_result` agrees with `has_errors`. A loaded profile
/// prints as a tree, builds a validator that validates a sample message,
/// and names it in JSON. A profile without errors refers only to segments
/// it defines, with each reference naming its segment, has no cardinality
/// whose minimum exceeds its maximum, and (MWB, NIST) defines every data
/// type its fields and components name.
///
/// # Panics
/// When an invariant breaks.
pub fn profile_load(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = profile::detect_str(&text);
    let xml = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('<');
    if xml {
        let path = Path::new("fuzz/Profile.xml");
        check_loaded(mwb::load_str(&text, path), &text, path);
        check_loaded(nist::load_str(&text, path), &text, path);
    } else {
        let path = Path::new("fuzz/site.toml");
        let (_, diags) = site::parse_str(&text, path);
        for d in &diags {
            let _ = d.to_string();
        }
        check_loaded(
            site::load_str(&text, path, Some(Arc::clone(&BASE))),
            &text,
            path,
        );
    }
}

fn check_loaded(loaded: Loaded, text: &str, path: &Path) {
    let lines = text.split('\n').count();
    let mut last: Option<(&Path, (u32, u32))> = None;
    for d in &loaded.diagnostics {
        let _ = d.to_string();
        let at = d.line_col().unwrap_or((0, 0));
        if let Some(file) = d.file() {
            if let Some((prev_file, prev_at)) = last
                && prev_file == file
            {
                assert!(prev_at <= at, "diagnostics out of order: {d}");
            }
            last = Some((file, at));
        }
        if d.file() == Some(path)
            && let Some((line, column)) = d.line_col()
        {
            assert!(line >= 1 && column >= 1, "position {line}:{column}: {d}");
            assert!(
                line as usize <= lines,
                "line {line} of a {lines}-line text: {d}"
            );
        }
    }
    let errors = loaded.has_errors();
    let Some(p) = loaded.profile.clone() else {
        assert!(loaded.into_result().is_err());
        return;
    };
    let _ = p.tree().to_string();
    if !errors {
        check_profile(&p);
    }
    assert_eq!(loaded.into_result().is_ok(), !errors);
    exercise(p);
}

/// A profile that loaded without errors is consistent.
fn check_profile(p: &Profile) {
    // MWB and NIST profiles carry their own data-type library (a site
    // profile's come from its base).
    if matches!(p.meta.format, SourceFormat::Mwb | SourceFormat::Nist) {
        let elements = p
            .segments
            .values()
            .flat_map(|s| &s.fields)
            .chain(p.datatypes.values().flat_map(|d| &d.components));
        for e in elements {
            assert!(
                p.datatype(&e.datatype).is_some(),
                "{} has data type {}, not defined",
                e.name,
                e.datatype
            );
        }
    }
    for m in &p.messages {
        for (_, node) in m.walk() {
            let c = node.cardinality();
            assert!(
                c.max.is_none_or(|max| c.min <= max),
                "{} cardinality {c} in {}",
                match node {
                    StructureNode::Segment(s) => &s.name,
                    StructureNode::Group(g) => &g.name,
                },
                m.id
            );
            if let StructureNode::Segment(s) = node {
                let def = p.segment(&s.segment).unwrap_or_else(|| {
                    panic!("{} refers to segment {}, not defined", m.id, s.segment)
                });
                assert_eq!(
                    def.name, s.name,
                    "segment {} is named {}",
                    s.segment, def.name
                );
            }
        }
    }
}

/// Validates and names a sample message with the profile: never a panic.
fn exercise(p: Profile) {
    let msg = Message::parse(SAMPLE).expect("the sample parses");
    let _ = NamedJson::new(&p).to_value(&msg);
    let validator = Validator::new(p);
    let report = validator.validate(&msg);
    for f in &report.findings {
        let _ = f.to_string();
    }
}

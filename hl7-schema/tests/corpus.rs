//! Every public MWB and NIST profile of the development corpus loads.
//!
//! The corpus lives outside the repository; these tests read `HL7_CORPUS`
//! (the directory holding `profiles/`) and skip with a note when it is not
//! set.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hl7_schema::profile::{
    self, BindingStrength, ContextKind, DiagnosticKind, FileRole, LoadOptions, Loaded, Outcome,
    Profile, Role, Severity, SourceFormat, StructureNode, Usage,
};

fn corpus() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("HL7_CORPUS") {
        Some(PathBuf::from(dir).join("profiles"))
    } else {
        // Once, to the real stderr (not the captured one), so the skip is
        // visible in a normal `cargo test` run.
        static NOTE: std::sync::Once = std::sync::Once::new();
        NOTE.call_once(|| {
            let _ = writeln!(
                std::io::stderr(),
                "note: HL7_CORPUS is not set; skipping the corpus profile tests"
            );
        });
        None
    }
}

fn load(dir: &Path, name: &str) -> (Profile, Loaded) {
    let mut loaded = profile::load(dir.join(name));
    for d in &loaded.diagnostics {
        eprintln!("{d}");
    }
    assert!(
        !loaded.has_errors(),
        "{name} has errors: {:#?}",
        loaded.diagnostics
    );
    let p = loaded.profile.take().expect("profile loaded");
    (p, loaded)
}

fn count(l: &Loaded, severity: Severity) -> usize {
    l.with_severity(severity).count()
}

#[test]
fn every_corpus_profile_loads_without_errors() {
    let Some(dir) = corpus() else { return };
    let mut seen = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus profiles dir")
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let is_profile =
            path.is_dir() && name != "schemas" || path.extension().is_some_and(|e| e == "xml");
        if !is_profile {
            continue;
        }
        let loaded = profile::load(&path);
        let errors: Vec<_> = loaded.diagnostics.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        assert!(loaded.profile.is_some(), "{name} produced no profile");
        seen += 1;
    }
    assert!(seen >= 6, "expected the six corpus profiles, saw {seen}");
}

#[test]
fn mwb_hapi_adt_a01_v25_full_expansion() {
    let Some(dir) = corpus() else { return };
    let (p, l) = load(&dir, "01_mwb_hapi_ADT_A01_v25_hl7.xml");
    assert_eq!(p.meta.format, SourceFormat::Mwb);
    assert_eq!(p.meta.hl7_version.as_deref(), Some("2.5"));
    assert_eq!(p.messages.len(), 1);
    let m = &p.messages[0];
    assert_eq!(m.message_type(), "ADT^A01");
    assert_eq!(m.structure, "ADT_A01");
    assert_eq!(m.role, Some(Role::Sender));
    // The two MWB wrapper groups are flattened, with a note each.
    let notes: Vec<_> = l.with_severity(Severity::Note).collect();
    assert_eq!(notes.len(), 2);
    assert!(notes.iter().all(|d| d.kind() == DiagnosticKind::Normalized));
    assert_eq!(notes[0].line_col(), Some((8379, 3)));
    let procedure = m
        .walk()
        .into_iter()
        .find_map(|(_, n)| match n {
            StructureNode::Group(g) if g.name == "PROCEDURE" => Some(g),
            _ => None,
        })
        .expect("PROCEDURE group");
    assert_eq!(procedure.usage, Usage::O);
    assert_eq!(procedure.cardinality.to_string(), "[0..*]");
    // Inline components became a data-type library; MSH-3 is HD.
    let msh = p.segment("MSH").unwrap();
    let msh3 = msh.field(3).unwrap();
    let hd = p.datatype(&msh3.datatype).unwrap();
    assert_eq!(hd.name, "HD");
    assert_eq!(hd.components.len(), 3);
    // MWB predicates are prose, kept as notes on the C component.
    assert_eq!(hd.components[1].usage, Usage::C(None));
    assert!(
        hd.components[1]
            .notes
            .predicate
            .as_deref()
            .unwrap()
            .starts_with("If the first component")
    );
    assert_eq!(msh3.notes.reference.as_deref(), Some("2.15.9.3"));
    // Component cardinality is implied by usage.
    assert_eq!(hd.components[0].cardinality().to_string(), "[0..1]");
    // The tree renders groups in brackets.
    let tree = p.tree().depth(0).to_string();
    assert!(tree.starts_with("ADT^A01 (ADT_A01)"), "{tree}");
    assert!(tree.contains("[PROCEDURE]"), "{tree}");
    assert!(tree.contains("[INSURANCE]"), "{tree}");
}

#[test]
fn mwb_uhn_site_profile_constants_and_x_usage() {
    let Some(dir) = corpus() else { return };
    let (p, l) = load(&dir, "04_mwb_hapi_UHN_ADT_A31_v24.xml");
    assert_eq!(l.diagnostics.len(), 0);
    let m = &p.messages[0];
    assert_eq!(
        (m.msg_type.as_str(), m.event.as_str(), m.structure.as_str()),
        ("ADT", "A31", "ADT_A05")
    );
    let msh = p.segment("MSH").unwrap();
    assert_eq!(msh.field(1).unwrap().constant.as_deref(), Some("|"));
    assert_eq!(msh.field(2).unwrap().constant.as_deref(), Some("^~\\&"));
    assert_eq!(msh.field(8).unwrap().usage, Usage::X);
    assert_eq!(msh.field(1).unwrap().notes.examples, vec!["|".to_owned()]);
    // MSH-3 and MSH-4 share one HD flavor (identical subtrees); MSH-6 with a
    // constant namespace is a second flavor.
    assert_eq!(
        msh.field(3).unwrap().datatype,
        msh.field(5).unwrap().datatype
    );
    assert_ne!(
        msh.field(3).unwrap().datatype,
        msh.field(6).unwrap().datatype
    );
}

#[test]
fn mwb_ack_profile_with_event_all() {
    let Some(dir) = corpus() else { return };
    let (p, l) = load(&dir, "05_mwb_hapi_ACK_v24_example.xml");
    assert_eq!(count(&l, Severity::Warning), 2);
    assert_eq!(p.meta.id.as_deref(), Some("2.16.840.1.113883.9.1.1"));
    let m = &p.messages[0];
    assert_eq!(m.event, "ALL");
    assert_eq!(m.role, Some(Role::Receiver));
    assert_eq!(m.identifier.as_deref(), Some("2.16.840.1.113883.9.2.1"));
    assert_eq!(
        m.dynamic.as_ref().unwrap().ack_mode.as_deref(),
        Some("Immediate")
    );
    assert!(
        p.meta
            .description
            .as_deref()
            .unwrap()
            .starts_with("The simple general")
    );
}

#[test]
fn nist_phlip_directory_with_all_sidecars() {
    let Some(dir) = corpus() else { return };
    let (p, l) = load(&dir, "08_nist_CDC_PHLIP_FLU_v251_ORU_R01");
    assert_eq!(p.meta.format, SourceFormat::Nist);
    // No HL7Version on the root: inferred, with a warning.
    assert_eq!(p.meta.hl7_version.as_deref(), Some("2.5.1"));
    assert!(
        l.diagnostics
            .iter()
            .any(|d| d.kind() == DiagnosticKind::SchemaDeviation
                && d.message().contains("no `HL7Version`")
                && d.line_col() == Some((2, 1)))
    );
    assert_eq!(count(&l, Severity::Warning), 5);
    // All six files were found and used.
    let used: Vec<FileRole> = p
        .sources
        .iter()
        .filter(|s| s.used)
        .map(|s| s.role)
        .collect();
    for role in [
        FileRole::Profile,
        FileRole::Constraints,
        FileRole::ValueSets,
        FileRole::ValueSetBindings,
        FileRole::Slicings,
        FileRole::CoConstraints,
    ] {
        assert!(used.contains(&role), "{role:?} not used: {:?}", p.sources);
    }
    assert_eq!(p.messages.len(), 1);
    assert_eq!(p.messages[0].structure, "ORU_R01");
    assert_eq!(p.segments.len(), 18);
    assert_eq!(p.datatypes.len(), 101);
    assert_eq!(p.value_sets.sets.len(), 100);
    assert_eq!(p.value_sets.no_validation.len(), 40);
    assert_eq!(p.predicates.len(), 18);
    assert_eq!(p.conformance_statements.len(), 57);
    assert_eq!(p.bindings.len(), 142);
    assert!(p.slicings.is_some() && p.co_constraints.is_some());
    // Predicates resolve C into C(true/false) on the target component.
    let xon = p.datatype("XON_C").unwrap();
    assert_eq!(
        xon.components[5].usage.to_string(),
        "C(R/X)",
        "{:?}",
        xon.components[5]
    );
    let Usage::C(Some(c)) = xon.components[0].usage else {
        panic!(
            "XON_C.1 should be a declared conditional: {:?}",
            xon.components[0].usage
        )
    };
    assert_eq!((c.if_true, c.if_false), (Outcome::R, Outcome::RE));
    assert_eq!(
        p.predicates_for(ContextKind::Datatype, "XON_C", "XON")
            .count(),
        3
    );
    // Sidecar bindings by context and path.
    let xcn: Vec<_> = p
        .bindings_for(ContextKind::Datatype, "XCN", "XCN")
        .collect();
    assert_eq!(xcn[0].target, "8[*]");
    assert_eq!(xcn[0].binding.strength, Some(BindingStrength::Suggested));
    assert_eq!(xcn[0].binding.value_sets, vec!["HL70297".to_owned()]);
    // Group IDs and the message tree are kept.
    let tree = p.tree().depth(0).to_string();
    assert!(
        tree.contains("[PATIENT_RESULT]") && tree.contains("[SPECIMEN]"),
        "{tree}"
    );
    // OBX-5 is typed by OBX-2.
    let obx = p.segment("OBX_M").unwrap();
    assert_eq!(obx.dynamic_mappings[0].position, 5);
    assert!(!obx.dynamic_mappings[0].cases.is_empty());
}

#[test]
fn nist_minimal_test_profile_w_and_x_usage() {
    let Some(dir) = corpus() else { return };
    let (p, l) = load(&dir, "11_nist_v2validation_test_ORU_R01_minimal.xml");
    assert_eq!(count(&l, Severity::Warning), 6);
    let m = &p.messages[0];
    let StructureNode::Segment(sft) = &m.children[1] else {
        panic!()
    };
    assert_eq!(sft.usage, Usage::W);
    let pid = p.segment("PID").unwrap();
    assert_eq!(pid.field(2).unwrap().usage, Usage::W);
    assert_eq!(pid.field(2).unwrap().datatype, "-");
    let cx = p.datatype("CX").unwrap();
    assert_eq!(cx.components[0].length.conf.unwrap().length, 15);
    // R with Min=0 and X with Min=1 are flagged, not fatal.
    let sft_in_order = l
        .diagnostics
        .iter()
        .find(|d| d.message().contains("usage R with Min=0"))
        .unwrap();
    assert_eq!(sft_in_order.line_col(), Some((24, 9)));
}

#[test]
fn mwb_table_library() {
    let Some(dir) = corpus() else { return };
    let (p, l) = load(&dir, "12_mwb_table_library_hapi_sampleTables_v24.xml");
    assert_eq!(p.meta.format, SourceFormat::MwbTables);
    assert!(p.messages.is_empty());
    assert_eq!(p.value_sets.sets.len(), 24);
    let sex = p.value_set("0001").unwrap();
    assert!(sex.contains("F") && sex.contains("U"));
    assert_eq!(sex.group.as_deref(), Some("USER"));
    // `HL70001` finds the same table.
    assert!(p.value_set("HL70001").is_some());
    // A table library completes an MWB profile's Table references.
    let (mut adt, _) = load(&dir, "04_mwb_hapi_UHN_ADT_A31_v24.xml");
    assert!(adt.add_value_sets(p.value_sets.clone()).is_empty());
    let pid8 = adt.segment("PID").unwrap().field(8).unwrap();
    assert_eq!(pid8.table.as_deref(), Some("0001"));
    assert!(adt.value_set("0001").unwrap().contains("M"));
    // Duplicate codes and empty anonymous tables are warnings.
    assert_eq!(count(&l, Severity::Error), 0);
    assert_eq!(count(&l, Severity::Warning), 17);
}

#[test]
fn site_profile_layers_on_a_corpus_profile() {
    let Some(dir) = corpus() else { return };
    let (base, _) = load(&dir, "01_mwb_hapi_ADT_A01_v25_hl7.xml");
    let site = r#"
[profile]
name = "narrowing the HAPI ADT_A01 profile"
hl7 = "2.5"

[messages."ADT^A01"]

[constraints]
"PID-3" = { max = 2 }
"PID-19" = "X"
"PROCEDURE" = "X"

[segments.ZPD]
after = "PID"
fields = [{ name = "Favourite colour", type = "CE", usage = "O" }]
"#;
    let path = std::env::temp_dir().join(format!("hl7-site-{}.toml", std::process::id()));
    std::fs::write(&path, site).unwrap();
    let options = LoadOptions::default().with_base(Arc::new(base));
    let loaded = profile::load_with(&path, &options);
    std::fs::remove_file(&path).ok();
    assert!(loaded.diagnostics.is_empty(), "{:#?}", loaded.diagnostics);
    let p = loaded.profile.unwrap();
    let pid = p.segment("PID").unwrap();
    assert_eq!(pid.field(3).unwrap().cardinality().to_string(), "[1..2]");
    assert_eq!(pid.field(19).unwrap().usage, Usage::X);
    let names: Vec<&str> = p.messages[0]
        .children
        .iter()
        .map(|n| match n {
            StructureNode::Segment(s) => s.name.as_str(),
            StructureNode::Group(g) => g.name.as_str(),
        })
        .collect();
    let pid_at = names.iter().position(|n| *n == "PID").unwrap();
    assert_eq!(names[pid_at + 1], "ZPD");
    // The CE components come from the base profile's library.
    let zpd = p.segment("ZPD").unwrap();
    assert!(!p.components_of(&zpd.fields[0]).is_empty());
}

//! The sample site profiles in `profiles/sites/` load cleanly and layer
//! as documented in `docs/site-profiles.md`.

use std::path::{Path, PathBuf};

use hl7_schema::profile::{
    self, BindingStrength, Bound, Profile, SourceFormat, StructureNode, Usage,
};

fn sites_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../profiles/sites")
}

fn load_clean(name: &str) -> Profile {
    let loaded = profile::load(sites_dir().join(name));
    let shown: Vec<String> = loaded.diagnostics.iter().map(ToString::to_string).collect();
    assert!(
        loaded.diagnostics.is_empty(),
        "{name} should load without diagnostics:\n{}",
        shown.join("\n")
    );
    loaded.profile.expect("profile")
}

/// Names of the top-level nodes of a message, groups in brackets.
fn top_level(p: &Profile, key: &str) -> Vec<String> {
    p.message(key)
        .unwrap()
        .children
        .iter()
        .map(|n| match n {
            StructureNode::Segment(s) => s.name.clone(),
            StructureNode::Group(g) => format!("[{}]", g.name),
        })
        .collect()
}

#[test]
fn every_sample_site_profile_loads_cleanly() {
    let mut n = 0;
    for entry in std::fs::read_dir(sites_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let p = load_clean(&name);
            assert_eq!(p.meta.format, SourceFormat::Site);
            assert!(p.z_segments().count() >= 1, "{name} declares no Z segment");
            n += 1;
        }
    }
    assert!(n >= 3, "expected at least three sample site profiles");
}

#[test]
fn adt_sample() {
    let p = load_clean("acme-adt.toml");
    assert_eq!(p.meta.hl7_version.as_deref(), Some("2.5.1"));
    let keys: Vec<String> = p
        .messages
        .iter()
        .map(hl7_schema::profile::MessageDef::message_type)
        .collect();
    assert_eq!(keys, ["ADT^A01", "ADT^A04", "ADT^A08", "ADT^Z01"]);
    // A04 and A08 use the ADT_A01 structure of the base.
    assert!(
        p.messages[..3]
            .iter()
            .all(|m| m.structure == "ADT_A01" && !m.site_defined)
    );

    // R and X constraints on standard fields.
    let pid = p.segment("PID").unwrap();
    let pid3 = pid.field(3).unwrap();
    assert_eq!(pid3.usage, Usage::R);
    assert_eq!(pid3.cardinality().to_string(), "[1..3]");
    assert_eq!(pid.field(19).unwrap().usage, Usage::X);
    assert_eq!(pid.field(7).unwrap().usage, Usage::RE);
    // PID-3.5: its own CX flavor, bound to a site code list.
    let cx = p.datatype(&pid3.datatype).unwrap();
    assert_eq!(cx.name, "CX");
    assert_ne!(cx.id, "CX");
    assert_eq!(cx.components[4].usage, Usage::R);
    assert_eq!(cx.components[4].bindings[0].value_sets, ["acme-id-type"]);
    // Other CX fields keep the base data type.
    assert_eq!(pid.field(18).unwrap().datatype, "CX");
    assert_eq!(p.datatype("CX").unwrap().components[4].usage, Usage::O);
    let pid8 = pid.field(8).unwrap();
    assert_eq!(pid8.bindings[0].strength, Some(BindingStrength::Required));
    assert!(p.value_set("acme-sex").unwrap().contains("X"));

    // Constants on a component.
    let msh = p.segment("MSH").unwrap();
    let hd = p.datatype(&msh.field(3).unwrap().datatype).unwrap();
    assert_eq!(hd.components[0].constant.as_deref(), Some("ACME_PAS"));
    assert_eq!(hd.components[1].usage, Usage::X);

    // ZPI sits right after PID in the standard events.
    for key in ["ADT^A01", "ADT^A04", "ADT^A08"] {
        let names = top_level(&p, key);
        let at = names.iter().position(|n| n == "PID").unwrap();
        assert_eq!(names[at + 1], "ZPI", "{key}: {names:?}");
        assert!(names.contains(&"[PROCEDURE]".to_owned()));
    }
    let zpi = p.segment("ZPI").unwrap();
    assert!(zpi.site_defined && zpi.is_z());
    assert_eq!(zpi.fields.len(), 4);
    assert_eq!(zpi.fields[3].table.as_deref(), Some("0136"));
    assert_eq!(zpi.fields[3].length.max, Some(Bound::Limit(1)));

    // The Z field appended to PV1.
    let pv1 = p.segment("PV1").unwrap();
    let z = pv1.fields.last().unwrap();
    assert_eq!(
        (z.position, z.name.as_str(), z.site_defined),
        (53, "ACME Ward Code", true)
    );

    // Groups and segments constrained by name.
    let a01 = p.message("ADT^A01").unwrap();
    let proc = a01
        .walk()
        .into_iter()
        .find(|(_, n)| matches!(n, StructureNode::Group(g) if g.name == "PROCEDURE"))
        .unwrap()
        .1;
    assert_eq!(proc.usage(), Usage::X);

    // Per-message override: A08 has its own PV1 flavor with PV1-45 RE.
    let pv1_of = |key: &str| {
        p.message(key)
            .unwrap()
            .walk()
            .into_iter()
            .find_map(|(_, n)| match n {
                StructureNode::Segment(s) if s.name == "PV1" => Some(s.segment.clone()),
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(pv1_of("ADT^A01"), "PV1");
    let a08_pv1 = p.segment(&pv1_of("ADT^A08")).unwrap();
    assert_ne!(a08_pv1.id, "PV1");
    assert_eq!(a08_pv1.field(45).unwrap().usage, Usage::RE);
    assert_eq!(
        a08_pv1.field(45).unwrap().cardinality().to_string(),
        "[0..1]"
    );
    assert_eq!(pv1.field(45).unwrap().usage, Usage::X);
    // …and still carries the global constraints and the Z field.
    assert_eq!(a08_pv1.field(19).unwrap().usage, Usage::R);
    assert_eq!(a08_pv1.fields.len(), 53);

    // The site event with its own structure.
    let z01 = p.message("ADT^Z01").unwrap();
    assert!(z01.site_defined);
    assert_eq!(z01.structure, "ADT_Z01");
    assert_eq!(
        top_level(&p, "ADT^Z01"),
        ["MSH", "EVN", "PID", "ZPI", "PV1", "ZBB"]
    );
    let zbb = z01.children.last().unwrap();
    assert_eq!(
        (zbb.usage(), zbb.cardinality().to_string()),
        (Usage::O, "[0..*]".to_owned())
    );
}

#[test]
fn orm_sample() {
    let p = load_clean("acme-orm.toml");
    let names = p.tree().depth(0).to_string();
    assert!(names.contains("ZOR"), "{names}");
    let orc = p.segment("ORC").unwrap();
    assert_eq!(orc.field(1).unwrap().usage, Usage::R);
    assert_eq!(
        orc.field(1).unwrap().bindings[0].value_sets,
        ["acme-order-control"]
    );
    let obr = p.segment("OBR").unwrap();
    assert_eq!(obr.field(27).unwrap().usage.to_string(), "C(R/X)");
    assert!(obr.field(27).unwrap().notes.predicate.is_some());
    // ZOR directly follows ORC inside the ORDER group.
    let order = p.messages[0]
        .walk()
        .into_iter()
        .find_map(|(_, n)| match n {
            StructureNode::Group(g) if g.name == "ORDER" => Some(g),
            _ => None,
        })
        .unwrap();
    let StructureNode::Segment(second) = &order.children[1] else {
        panic!("ZOR expected second in ORDER")
    };
    assert_eq!(second.name, "ZOR");
    // Only OBR remains of the order-detail choice.
    let rqd = p.messages[0]
        .walk()
        .into_iter()
        .find(|(_, n)| matches!(n, StructureNode::Segment(s) if s.name == "RQD"))
        .unwrap()
        .1;
    assert_eq!(rqd.usage(), Usage::X);
}

/// `GROUP/PREVIOUS` for every ZRS: the node it was placed after.
fn scan(nodes: &[StructureNode], parent: &str, out: &mut Vec<String>) {
    for (i, n) in nodes.iter().enumerate() {
        match n {
            StructureNode::Segment(s) if s.name == "ZRS" => {
                let prev = match &nodes[i - 1] {
                    StructureNode::Segment(p) => p.name.clone(),
                    StructureNode::Group(g) => g.name.clone(),
                };
                out.push(format!("{parent}/{prev}"));
            }
            StructureNode::Group(g) => scan(&g.children, &g.name, out),
            StructureNode::Segment(_) => {}
        }
    }
}

#[test]
fn oru_sample() {
    let p = load_clean("acme-oru.toml");
    let m = &p.messages[0];
    // ZRS after the observation OBX only, not after the specimen OBX.
    let mut zrs_parents = Vec::new();
    scan(&m.children, "", &mut zrs_parents);
    assert_eq!(zrs_parents, ["OBSERVATION/OBX"]);
    let obx = p.segment("OBX").unwrap();
    assert_eq!(obx.field(11).unwrap().usage, Usage::R);
    assert_eq!(obx.field(2).unwrap().usage.to_string(), "C(R/X)");
    assert_eq!(obx.field(5).unwrap().cardinality().to_string(), "[0..1]");
    let pr = m
        .walk()
        .into_iter()
        .find(|(_, n)| matches!(n, StructureNode::Group(g) if g.name == "PATIENT_RESULT"))
        .unwrap()
        .1;
    assert_eq!(pr.cardinality().to_string(), "[1..1]");
    let zrs = p.segment("ZRS").unwrap();
    assert_eq!(zrs.fields[2].usage, Usage::C(None));
    assert!(zrs.fields[2].notes.predicate.is_some());
}

#[test]
fn tree_renders_groups_indented_with_usage_cardinality_and_types() {
    let p = load_clean("acme-oru.toml");
    let tree = p.tree().depth(1).to_string();
    let lines: Vec<&str> = tree.lines().collect();
    assert!(lines[0].starts_with("ORU^R01 (ORU_R01)"), "{}", lines[0]);
    let group = lines
        .iter()
        .find(|l| l.trim_start().starts_with("[ORDER_OBSERVATION]"))
        .unwrap();
    assert!(group.starts_with("    [ORDER_OBSERVATION]"), "{group:?}");
    assert!(
        group.contains("R ") && group.contains("[1..*]"),
        "{group:?}"
    );
    let obx11 = lines.iter().find(|l| l.contains("OBX-11 ")).unwrap();
    assert!(
        obx11.contains(" R ") && obx11.contains("ID") && obx11.contains("acme-result-status (R)"),
        "{obx11:?}"
    );
    let zrs = lines
        .iter()
        .find(|l| l.trim_start().starts_with("ZRS"))
        .unwrap();
    assert!(zrs.contains("(site)"), "{zrs:?}");
    // Depth 0 hides fields; a message filter selects one message.
    assert!(!p.tree().depth(0).to_string().contains("OBX-11"));
    assert!(p.tree().message("ADT^A01").to_string().is_empty());
}

#[test]
fn site_profile_parses_without_a_base() {
    let (site, diags) = hl7_schema::profile::site::parse(sites_dir().join("acme-adt.toml"));
    assert!(diags.is_empty(), "{diags:#?}");
    let site = site.unwrap();
    assert_eq!(site.hl7_version(), Some("2.5.1"));
    assert_eq!(site.name(), Some("ACME ADT outbound"));
    assert_eq!(
        site.message_keys().collect::<Vec<_>>(),
        ["ADT^A01", "ADT^A04", "ADT^A08", "ADT^Z01"]
    );
    // Layering explicitly on the bundled definitions gives the same result.
    let base = hl7_schema::defs::Version::load("2.5.1").unwrap();
    let layered = hl7_schema::profile::layer(&site, &base);
    assert!(layered.diagnostics.is_empty());
    assert_eq!(layered.profile.unwrap().messages.len(), 4);
}

#[test]
fn the_worked_example_in_the_docs_loads_cleanly() {
    let doc_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/site-profiles.md");
    let doc = std::fs::read_to_string(&doc_path).unwrap();
    let start = doc.find("```toml\n[profile]").expect("worked example") + "```toml\n".len();
    let example = &doc[start..start + doc[start..].find("```").unwrap()];
    let path = std::env::temp_dir().join(format!("hl7-doc-example-{}.toml", std::process::id()));
    std::fs::write(&path, example).unwrap();
    let loaded = profile::load(&path);
    std::fs::remove_file(&path).ok();
    let shown: Vec<String> = loaded.diagnostics.iter().map(ToString::to_string).collect();
    assert!(loaded.diagnostics.is_empty(), "{}", shown.join("\n"));
    let p = loaded.profile.unwrap();
    let pid3 = p.segment("PID").unwrap().field(3).unwrap();
    assert_eq!(pid3.datatype, "CX_PID3");
    assert_eq!(p.segment("PV1").unwrap().fields.len(), 53);
}

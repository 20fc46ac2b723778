//! Golden expectations for the bundled version definitions, written by hand
//! from the HL7 v2 standard (not generated from the data): field counts and
//! key fields of MSH, PID, OBR and OBX, and the shape of ADT_A01, ORM_O01 and
//! ORU_R01, in every version.

use hl7_schema::defs::{
    Cardinality, DataTypeKind, FieldDef, MessageStructure, StructureNode, Usage, Version, versions,
};

const ALL: [&str; 9] = [
    "2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.7.1", "2.8",
];

fn load(v: &str) -> Version {
    Version::load(v).unwrap_or_else(|e| panic!("{v}: {e}"))
}

fn field<'a>(v: &'a Version, seg: &str, pos: usize) -> &'a FieldDef {
    v.segment(seg)
        .unwrap_or_else(|| panic!("{}: no {seg}", v.id()))
        .field(pos)
        .unwrap_or_else(|| panic!("{}: no {seg}-{pos}", v.id()))
}

fn ty<'a>(v: &'a Version, seg: &str, pos: usize) -> Option<&'a str> {
    field(v, seg, pos).datatype.as_deref()
}

/// Version is at least `min` (all ids compare correctly as strings here).
fn since(v: &Version, min: &str) -> bool {
    let i = ALL.iter().position(|x| *x == v.id()).unwrap();
    let j = ALL.iter().position(|x| *x == min).unwrap();
    i >= j
}

const UNBOUNDED_REQUIRED: Cardinality = Cardinality { min: 1, max: None };
const UNBOUNDED_OPTIONAL: Cardinality = Cardinality { min: 0, max: None };

#[test]
fn bundled_versions() {
    assert_eq!(versions(), ALL);
}

#[test]
fn segment_field_counts() {
    // (version, MSH, PID, OBR, OBX)
    let expected = [
        ("2.3", 19, 30, 43, 17),
        ("2.3.1", 20, 30, 45, 17),
        ("2.4", 21, 38, 47, 19),
        ("2.5", 21, 39, 49, 19),
        ("2.5.1", 21, 39, 50, 25),
        ("2.6", 25, 39, 50, 25),
        ("2.7", 25, 40, 53, 26),
        ("2.7.1", 25, 40, 54, 26),
        ("2.8", 25, 40, 54, 28),
    ];
    for (id, msh, pid, obr, obx) in expected {
        let v = load(id);
        for (seg, n) in [("MSH", msh), ("PID", pid), ("OBR", obr), ("OBX", obx)] {
            assert_eq!(
                v.segment(seg).unwrap().fields.len(),
                n,
                "{id} {seg} field count"
            );
        }
    }
}

#[test]
fn msh() {
    for id in ALL {
        let v = load(id);
        // MSH-1 and MSH-2 are required in every version (hl7types marks them
        // optional: repaired).
        for pos in [1, 2] {
            let f = field(&v, "MSH", pos);
            assert_eq!(f.datatype.as_deref(), Some("ST"), "{id} MSH-{pos}");
            assert_eq!(f.usage, Usage::Required, "{id} MSH-{pos}");
            assert_eq!(f.repetition, Cardinality::ONE, "{id} MSH-{pos}");
        }
        assert_eq!(field(&v, "MSH", 1).name, "Field Separator");
        for (pos, name) in [(3, "HD"), (4, "HD"), (5, "HD"), (6, "HD"), (11, "PT")] {
            assert_eq!(ty(&v, "MSH", pos), Some(name), "{id} MSH-{pos}");
        }
        let msh7 = if since(&v, "2.6") { "DTM" } else { "TS" };
        assert_eq!(ty(&v, "MSH", 7), Some(msh7), "{id} MSH-7");
        // MSH-9: the standard's "CM" composite. hl7types leaves it unlinked in
        // 2.3 (repaired: CM_MSG from hl7apy) and names it MSG from 2.3.1 on.
        let msh9 = if id == "2.3" { "CM_MSG" } else { "MSG" };
        assert_eq!(ty(&v, "MSH", 9), Some(msh9), "{id} MSH-9");
        assert_eq!(field(&v, "MSH", 9).usage, Usage::Required, "{id} MSH-9");
        assert_eq!(ty(&v, "MSH", 10), Some("ST"), "{id} MSH-10");
        assert_eq!(field(&v, "MSH", 10).usage, Usage::Required);
        assert_eq!(field(&v, "MSH", 12).usage, Usage::Required);
        assert_eq!(field(&v, "MSH", 11).usage, Usage::Required);
        assert_eq!(field(&v, "MSH", 15).table.as_deref(), Some("0155"));
        assert_eq!(field(&v, "MSH", 16).table.as_deref(), Some("0155"));
        // MSH-18 character set repeats from 2.3.1 on.
        if since(&v, "2.3.1") {
            assert!(field(&v, "MSH", 18).repetition.repeats(), "{id} MSH-18");
        }
        if since(&v, "2.4") {
            // Conformance Statement ID (ID) in 2.4, Message Profile Identifier (EI) later.
            let t = if since(&v, "2.5") { "EI" } else { "ID" };
            assert_eq!(ty(&v, "MSH", 21), Some(t), "{id} MSH-21");
            assert!(field(&v, "MSH", 21).repetition.repeats(), "{id} MSH-21");
        }
        if since(&v, "2.6") {
            assert_eq!(ty(&v, "MSH", 22), Some("XON"), "{id} MSH-22");
            assert_eq!(ty(&v, "MSH", 24), Some("HD"), "{id} MSH-24");
        }
    }
}

#[test]
fn msg_composite() {
    for id in ALL {
        let v = load(id);
        let code = ty(&v, "MSH", 9).unwrap();
        let dt = v.datatype(code).unwrap();
        assert_eq!(dt.kind, DataTypeKind::Composite);
        let n = if since(&v, "2.3.1") { 3 } else { 2 };
        assert_eq!(dt.components.len(), n, "{id} {code} components");
        assert_eq!(dt.components[0].datatype.as_deref(), Some("ID"));
        if since(&v, "2.5") {
            assert_eq!(dt.components[0].table.as_deref(), Some("0076"), "{id}");
            assert_eq!(dt.components[1].table.as_deref(), Some("0003"), "{id}");
            assert_eq!(dt.components[2].table.as_deref(), Some("0354"), "{id}");
        }
    }
}

#[test]
fn pid() {
    for id in ALL {
        let v = load(id);
        // PID-3 and PID-5 required and repeating (PID-5 repeats from 2.3.1 on;
        // hl7types, hl7apy and hl7-dictionary agree that it does not in 2.3);
        // PID-5 is XPN everywhere.
        assert_eq!(ty(&v, "PID", 3), Some("CX"), "{id} PID-3");
        assert_eq!(field(&v, "PID", 3).usage, Usage::Required, "{id} PID-3");
        assert_eq!(
            field(&v, "PID", 3).repetition,
            UNBOUNDED_REQUIRED,
            "{id} PID-3"
        );
        assert_eq!(ty(&v, "PID", 5), Some("XPN"), "{id} PID-5");
        assert_eq!(field(&v, "PID", 5).usage, Usage::Required, "{id} PID-5");
        let pid5 = if id == "2.3" {
            Cardinality::ONE
        } else {
            UNBOUNDED_REQUIRED
        };
        assert_eq!(field(&v, "PID", 5).repetition, pid5, "{id} PID-5");
        assert_eq!(field(&v, "PID", 5).name, "Patient Name");
        assert_eq!(field(&v, "PID", 5).item.as_deref(), Some("00108"));
        assert_eq!(ty(&v, "PID", 11), Some("XAD"), "{id} PID-11");
        assert_eq!(
            field(&v, "PID", 11).repetition,
            UNBOUNDED_OPTIONAL,
            "{id} PID-11"
        );
        assert_eq!(ty(&v, "PID", 13), Some("XTN"), "{id} PID-13");
        // PID-7 and PID-8.
        let dob = if since(&v, "2.6") { "DTM" } else { "TS" };
        let sex = if since(&v, "2.7") { "CWE" } else { "IS" };
        assert_eq!(ty(&v, "PID", 7), Some(dob), "{id} PID-7");
        assert_eq!(ty(&v, "PID", 8), Some(sex), "{id} PID-8");
        assert_eq!(
            field(&v, "PID", 8).table.as_deref(),
            Some("0001"),
            "{id} PID-8"
        );
        assert_eq!(field(&v, "PID", 1).datatype.as_deref(), Some("SI"));
        // Withdrawn in 2.7: PID-2, -4, -9, -12, -19, -20, -28 (kept as placeholders).
        for pos in [2, 4, 9, 12, 19, 20, 28] {
            let f = field(&v, "PID", pos);
            if since(&v, "2.7") {
                assert!(f.is_placeholder(), "{id} PID-{pos} should be withdrawn");
                assert_eq!(f.usage, Usage::Withdrawn, "{id} PID-{pos}");
                assert_eq!(f.repetition.max, Some(0), "{id} PID-{pos}");
            } else {
                assert!(!f.is_placeholder(), "{id} PID-{pos} should be live");
            }
        }
        if since(&v, "2.4") {
            assert_eq!(field(&v, "PID", 2).name, "Patient ID", "{id} PID-2");
        }
        // Species/breed codes: conditional (checked up to 2.7.1; hl7types has
        // O in 2.8 and no other source has usage codes there).
        if since(&v, "2.4") && !since(&v, "2.8") {
            assert_eq!(
                field(&v, "PID", 35).usage,
                Usage::Conditional,
                "{id} PID-35"
            );
            assert_eq!(
                field(&v, "PID", 36).usage,
                Usage::Conditional,
                "{id} PID-36"
            );
        }
    }
    // Table 0001 has values from HL7 Terminology.
    let v = load("2.5.1");
    let t = v.table("0001").unwrap();
    assert_eq!(t.code("F").unwrap().display, "Female");
    assert_eq!(t.code("M").unwrap().display, "Male");
}

#[test]
fn xpn_cx_cwe() {
    for id in ALL {
        let v = load(id);
        let xpn = v.datatype("XPN").unwrap();
        // XPN.1 family name: ST in 2.3, the FN composite from 2.3.1 on.
        let fam = if id == "2.3" { "ST" } else { "FN" };
        assert_eq!(
            xpn.components[0].datatype.as_deref(),
            Some(fam),
            "{id} XPN.1"
        );
        assert!(
            xpn.components[1].name.eq_ignore_ascii_case("Given Name"),
            "{id} XPN.2"
        );
        let cx = v.datatype("CX").unwrap();
        assert_eq!(
            cx.components[0].datatype.as_deref(),
            Some("ST"),
            "{id} CX.1"
        );
        assert_eq!(
            cx.components[3].datatype.as_deref(),
            Some("HD"),
            "{id} CX.4"
        );
        assert_eq!(
            cx.components[4].datatype.as_deref(),
            Some(if since(&v, "2.4") { "ID" } else { "IS" }),
            "{id} CX.5"
        );
        if since(&v, "2.5") {
            assert_eq!(
                xpn.components[6].table.as_deref(),
                Some("0200"),
                "{id} XPN.7"
            );
            assert_eq!(cx.components[4].table.as_deref(), Some("0203"), "{id} CX.5");
            // CX.11/CX.12 (security check, scheme) added in 2.7.
            let n = if since(&v, "2.7") { 12 } else { 10 };
            assert_eq!(cx.components.len(), n, "{id} CX");
        }
        if since(&v, "2.5") {
            // XPN.15 (called by) added in 2.7.
            let n = if since(&v, "2.7") { 15 } else { 14 };
            assert_eq!(xpn.components.len(), n, "{id} XPN");
        }
        if since(&v, "2.7") {
            // XPN.6 (degree) and XPN.10 (name validity range) withdrawn.
            assert!(xpn.components[5].is_placeholder(), "{id} XPN.6");
            assert!(xpn.components[9].is_placeholder(), "{id} XPN.10");
        }
        if since(&v, "2.5") {
            let cwe = v.datatype("CWE").unwrap();
            assert_eq!(
                cwe.components[2].table.as_deref(),
                Some("0396"),
                "{id} CWE.3"
            );
            let n = if since(&v, "2.7") { 22 } else { 9 };
            assert_eq!(cwe.components.len(), n, "{id} CWE");
        }
    }
    let v = load("2.8");
    assert_eq!(v.datatype("XPN").unwrap().components.len(), 15);
    // CX.1 is required from 2.5 on.
    for id in ["2.5", "2.5.1", "2.6", "2.8"] {
        let v = load(id);
        assert_eq!(
            v.datatype("CX").unwrap().components[0].usage,
            Some(Usage::Required),
            "{id} CX.1"
        );
    }
}

#[test]
fn obr() {
    for id in ALL {
        let v = load(id);
        // CE gave way to CWE in 2.6.
        let coded = if since(&v, "2.6") { "CWE" } else { "CE" };
        assert_eq!(ty(&v, "OBR", 1), Some("SI"), "{id} OBR-1");
        assert_eq!(ty(&v, "OBR", 2), Some("EI"), "{id} OBR-2");
        assert_eq!(ty(&v, "OBR", 3), Some("EI"), "{id} OBR-3");
        assert_eq!(ty(&v, "OBR", 4), Some(coded), "{id} OBR-4");
        assert_eq!(field(&v, "OBR", 4).usage, Usage::Required, "{id} OBR-4");
        let ts = if since(&v, "2.6") { "DTM" } else { "TS" };
        assert_eq!(ty(&v, "OBR", 7), Some(ts), "{id} OBR-7");
        assert_eq!(ty(&v, "OBR", 16), Some("XCN"), "{id} OBR-16");
        assert!(field(&v, "OBR", 16).repetition.repeats(), "{id} OBR-16");
        assert_eq!(ty(&v, "OBR", 25), Some("ID"), "{id} OBR-25");
        assert_eq!(
            field(&v, "OBR", 25).table.as_deref(),
            Some("0123"),
            "{id} OBR-25"
        );
        if since(&v, "2.7") {
            // Priority, requested date/time, specimen source, quantity/timing withdrawn.
            for pos in [5, 6, 15, 27] {
                assert!(field(&v, "OBR", pos).is_placeholder(), "{id} OBR-{pos}");
            }
            // OBR-14 is backward compatible (dropped by the schema, restored).
            let f = field(&v, "OBR", 14);
            assert_eq!(f.datatype.as_deref(), Some("DTM"), "{id} OBR-14");
            assert_eq!(f.usage, Usage::BackwardCompatible, "{id} OBR-14");
        } else {
            assert_eq!(ty(&v, "OBR", 27), Some("TQ"), "{id} OBR-27");
        }
    }
}

#[test]
fn obx() {
    for id in ALL {
        let v = load(id);
        let coded = if since(&v, "2.6") { "CWE" } else { "CE" };
        let obx2 = field(&v, "OBX", 2);
        assert_eq!(obx2.datatype.as_deref(), Some("ID"), "{id} OBX-2");
        assert_eq!(obx2.table.as_deref(), Some("0125"), "{id} OBX-2");
        // Required in 2.3, conditional from 2.3.1 on (2.7.1/2.8 repaired).
        let obx2_usage = if id == "2.3" {
            Usage::Required
        } else {
            Usage::Conditional
        };
        assert_eq!(obx2.usage, obx2_usage, "{id} OBX-2");
        assert_eq!(ty(&v, "OBX", 3), Some(coded), "{id} OBX-3");
        assert_eq!(field(&v, "OBX", 3).usage, Usage::Required, "{id} OBX-3");
        assert_eq!(ty(&v, "OBX", 4), Some("ST"), "{id} OBX-4");
        assert_ne!(field(&v, "OBX", 4).usage, Usage::Required, "{id} OBX-4");
        // OBX-5: type varies (given by OBX-2), conditional, repeating.
        let obx5 = field(&v, "OBX", 5);
        assert_eq!(obx5.datatype.as_deref(), Some("varies"), "{id} OBX-5");
        assert_eq!(obx5.usage, Usage::Conditional, "{id} OBX-5");
        assert!(obx5.repetition.repeats(), "{id} OBX-5");
        assert_eq!(v.datatype("varies").unwrap().kind, DataTypeKind::Primitive);
        assert_eq!(ty(&v, "OBX", 6), Some(coded), "{id} OBX-6");
        assert_eq!(
            field(&v, "OBX", 8).table.as_deref(),
            Some("0078"),
            "{id} OBX-8"
        );
        // OBX-8 repeats from 2.5 on (bounded to 5 in 2.3.x).
        if since(&v, "2.5") {
            assert!(field(&v, "OBX", 8).repetition.repeats(), "{id} OBX-8");
        }
        assert_eq!(ty(&v, "OBX", 11), Some("ID"), "{id} OBX-11");
        assert_eq!(field(&v, "OBX", 11).usage, Usage::Required, "{id} OBX-11");
        assert_eq!(
            field(&v, "OBX", 11).table.as_deref(),
            Some("0085"),
            "{id} OBX-11"
        );
        assert_ne!(field(&v, "OBX", 8).usage, Usage::NotSupported, "{id} OBX-8");
        assert_eq!(ty(&v, "OBX", 16), Some("XCN"), "{id} OBX-16");
        if since(&v, "2.5.1") {
            // 20-22 reserved/withdrawn; 23 XON, 24 XAD, 25 XCN, single.
            for pos in [20, 21, 22] {
                let f = field(&v, "OBX", pos);
                if id == "2.5.1" {
                    assert!(f.is_placeholder(), "{id} OBX-{pos}");
                }
            }
            for (pos, t) in [(23, "XON"), (24, "XAD"), (25, "XCN")] {
                let f = field(&v, "OBX", pos);
                assert_eq!(f.datatype.as_deref(), Some(t), "{id} OBX-{pos}");
                assert_eq!(f.repetition, Cardinality::OPTIONAL, "{id} OBX-{pos}");
            }
        }
    }
}

/// The top-level child names of a structure, in order.
fn top(s: &MessageStructure) -> Vec<&str> {
    s.children.iter().map(StructureNode::name).collect()
}

fn group<'a>(nodes: &'a [StructureNode], name: &str) -> &'a hl7_schema::defs::Group {
    nodes
        .iter()
        .find_map(|n| match n {
            StructureNode::Group(g) if g.name == name => Some(g),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no group {name}"))
}

fn names(nodes: &[StructureNode]) -> Vec<&str> {
    nodes.iter().map(StructureNode::name).collect()
}

#[test]
fn adt_a01() {
    for id in ALL {
        let v = load(id);
        let s = v.structure("ADT_A01").unwrap();
        let t = top(s);
        assert_eq!(t[0], "MSH", "{id}");
        assert!(
            t.contains(&"EVN") && t.contains(&"PID") && t.contains(&"PV1"),
            "{id}"
        );
        let rol = t.iter().filter(|n| **n == "ROL").count();
        // ROL after PD1 and again after PV2 from 2.4 on: both kept.
        assert_eq!(
            rol,
            if since(&v, "2.4") { 2 } else { 0 },
            "{id} ADT_A01 ROL"
        );
        if since(&v, "2.4") {
            let pd1 = t.iter().position(|n| *n == "PD1").unwrap();
            let pv2 = t.iter().position(|n| *n == "PV2").unwrap();
            let rols: Vec<usize> = t
                .iter()
                .enumerate()
                .filter(|(_, n)| **n == "ROL")
                .map(|(i, _)| i)
                .collect();
            assert!(rols[0] > pd1 && rols[0] < pv2, "{id} first ROL after PD1");
            assert!(rols[1] > pv2, "{id} second ROL after PV2");
        }
        let proc = group(&s.children, "PROCEDURE");
        assert_eq!(names(&proc.children)[0], "PR1");
        assert_eq!(proc.cardinality, UNBOUNDED_OPTIONAL, "{id} PROCEDURE");
        let ins = group(&s.children, "INSURANCE");
        assert_eq!(&names(&ins.children)[..2], ["IN1", "IN2"], "{id} INSURANCE");
        // A04, A08 and A13 use the ADT_A01 structure (2.3.1 on).
        if since(&v, "2.3.1") {
            for trigger in ["A01", "A04", "A08", "A13"] {
                assert_eq!(
                    v.structure_for_event("ADT", trigger).map(|s| s.id.as_str()),
                    Some("ADT_A01"),
                    "{id} ADT^{trigger}"
                );
            }
        }
    }
}

#[test]
fn oru_r01() {
    for id in ALL {
        let v = load(id);
        let s = v.structure("ORU_R01").unwrap();
        assert_eq!(top(s)[0], "MSH");
        // PATIENT_RESULT > ORDER_OBSERVATION > OBSERVATION (2.3 names the
        // first group RESPONSE).
        let outer = if id == "2.3" {
            "RESPONSE"
        } else {
            "PATIENT_RESULT"
        };
        let pr = group(&s.children, outer);
        assert_eq!(pr.cardinality, UNBOUNDED_REQUIRED, "{id} {outer}");
        let patient = group(&pr.children, "PATIENT");
        assert_eq!(patient.cardinality, Cardinality::OPTIONAL, "{id} PATIENT");
        assert_eq!(names(&patient.children)[0], "PID");
        let visit = group(&patient.children, "VISIT");
        assert_eq!(&names(&visit.children)[..2], ["PV1", "PV2"], "{id} VISIT");
        let oo = group(&pr.children, "ORDER_OBSERVATION");
        assert_eq!(oo.cardinality, UNBOUNDED_REQUIRED, "{id} ORDER_OBSERVATION");
        assert!(names(&oo.children).contains(&"OBR"), "{id}");
        let obs = group(&oo.children, "OBSERVATION");
        assert_eq!(names(&obs.children)[0], "OBX", "{id} OBSERVATION");
        assert!(names(&obs.children).contains(&"NTE"), "{id} OBSERVATION");
        if since(&v, "2.5") {
            // [{OBX ...}]: optional repeating group, OBX required in it.
            assert_eq!(obs.cardinality, UNBOUNDED_OPTIONAL, "{id} OBSERVATION");
            assert_eq!(obs.children[0].cardinality(), Cardinality::ONE, "{id} OBX");
            let timing = group(&oo.children, "TIMING_QTY");
            assert_eq!(names(&timing.children)[0], "TQ1");
            let spec = group(&oo.children, "SPECIMEN");
            assert_eq!(names(&spec.children)[0], "SPM");
        }
        if since(&v, "2.7") {
            let spec = group(&oo.children, "SPECIMEN");
            assert!(
                spec.children
                    .iter()
                    .any(|n| n.name() == "SPECIMEN_OBSERVATION"),
                "{id} SPECIMEN_OBSERVATION"
            );
        }
        if since(&v, "2.8") {
            let common = group(&oo.children, "COMMON_ORDER");
            assert_eq!(names(&common.children)[0], "ORC");
        }
        assert_eq!(
            v.structure_for_event("ORU", "R01").map(|s| s.id.as_str()),
            Some("ORU_R01")
        );
    }
}

#[test]
fn orm_o01() {
    for id in ALL {
        let v = load(id);
        let s = v.structure("ORM_O01");
        if since(&v, "2.7") {
            // ORM was withdrawn in 2.7.
            assert!(s.is_none(), "{id} ORM_O01");
            continue;
        }
        let s = s.unwrap_or_else(|| panic!("{id} ORM_O01"));
        assert_eq!(top(s)[0], "MSH");
        let order = group(&s.children, "ORDER");
        assert_eq!(order.cardinality, UNBOUNDED_REQUIRED, "{id} ORDER");
        assert_eq!(names(&order.children)[0], "ORC", "{id} ORDER");
        assert_eq!(order.children[0].cardinality(), Cardinality::ONE);
        let detail = group(&order.children, "ORDER_DETAIL");
        // The order detail segment is a choice of OBR, RQD, RQ1, RXO, ODS, ODT.
        let choice = detail
            .children
            .iter()
            .find_map(|n| match n {
                StructureNode::Group(g) if g.choice => Some(g),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{id} ORDER_DETAIL has no choice"));
        let mut alts = names(&choice.children);
        alts.sort_unstable();
        assert_eq!(
            alts,
            ["OBR", "ODS", "ODT", "RQ1", "RQD", "RXO"],
            "{id} ORDER_DETAIL choice"
        );
        let patient = group(&s.children, "PATIENT");
        assert_eq!(names(&patient.children)[0], "PID");
    }
}

#[test]
fn dg1_backward_fields() {
    // DG1-7..13 are backward compatible in 2.7+ (dropped by the schema-based
    // sources, restored); DG1-2 and DG1-4 withdrawn.
    for id in ["2.7", "2.7.1", "2.8"] {
        let v = load(id);
        for pos in 7..=13 {
            let f = field(&v, "DG1", pos);
            assert_eq!(f.usage, Usage::BackwardCompatible, "{id} DG1-{pos}");
            assert!(!f.is_placeholder(), "{id} DG1-{pos}");
        }
        assert!(field(&v, "DG1", 2).is_placeholder(), "{id} DG1-2");
        assert_eq!(ty(&v, "DG1", 3), Some("CWE"), "{id} DG1-3");
    }
    let v = load("2.6");
    for pos in [2, 4, 7, 8, 9, 10, 11, 12, 13, 14] {
        assert_eq!(
            field(&v, "DG1", pos).usage,
            Usage::BackwardCompatible,
            "2.6 DG1-{pos}"
        );
    }
}

//! Invariants over every bundled version: references resolve (or are logged
//! as known gaps), positions are contiguous, groups are not empty, every
//! placeholder and backward-compatible restoration is in the repair log.

use std::collections::HashSet;
use std::path::PathBuf;

use hl7_schema::defs::{DataTypeKind, StructureNode, Usage, Version, versions};

fn versions_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../profiles/versions")
}

/// Lines of a tab-separated log, as (version, item, what).
fn log(name: &str) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(versions_dir().join(name)).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let mut cols = l.split('\t');
            let v = cols.next().unwrap().to_owned();
            let item = cols.next().unwrap().to_owned();
            let what = cols.next().unwrap().to_owned();
            (v, item, what)
        })
        .collect()
}

fn walk<'a>(nodes: &'a [StructureNode], out: &mut Vec<&'a StructureNode>) {
    for n in nodes {
        out.push(n);
        if let StructureNode::Group(g) = n {
            walk(&g.children, out);
        }
    }
}

#[test]
fn references_resolve() {
    let gaps = log("GAPS.txt");
    for id in versions() {
        let v = Version::load(id).unwrap();
        let types: HashSet<&str> = v.datatypes().iter().map(|d| d.code.as_str()).collect();
        // A data type exists, or its absence is a known gap.
        let known = |t: &str| {
            types.contains(t)
                || gaps.iter().any(|(gv, item, what)| {
                    gv == id && item == t && what.contains("without a definition")
                })
        };
        let tables: HashSet<&str> = v.tables().iter().map(|t| t.id.as_str()).collect();
        for s in v.segments() {
            for f in &s.fields {
                if let Some(t) = &f.datatype {
                    assert!(known(t), "{id} {}-{}: type {t}", s.id, f.position);
                }
                if let Some(t) = &f.table {
                    assert!(
                        tables.contains(t.as_str()),
                        "{id} {}-{}: table {t}",
                        s.id,
                        f.position
                    );
                }
            }
        }
        for d in v.datatypes() {
            for c in &d.components {
                if let Some(t) = &c.datatype {
                    assert!(known(t), "{id} {}.{}: type {t}", d.code, c.position);
                }
                if let Some(t) = &c.table {
                    assert!(
                        tables.contains(t.as_str()),
                        "{id} {}.{}: table {t}",
                        d.code,
                        c.position
                    );
                }
            }
        }
        // Segments used by structures exist, or the converter logged the gap.
        for s in v.structures() {
            let mut nodes = Vec::new();
            walk(&s.children, &mut nodes);
            for n in nodes {
                if let StructureNode::Segment(r) = n
                    && v.segment(&r.id).is_none()
                {
                    let logged = gaps.iter().any(|(gv, item, what)| {
                        gv == id && *item == s.id && what.contains(&format!("segment {}", r.id))
                    });
                    assert!(
                        logged,
                        "{id} {}: segment {} undefined and not in GAPS.txt",
                        s.id, r.id
                    );
                }
            }
        }
        for e in v.events() {
            assert!(
                v.structure(&e.structure).is_some(),
                "{id} {}^{}: structure {}",
                e.message_type,
                e.trigger,
                e.structure
            );
        }
        // Tables without values are known gaps.
        for t in v.tables() {
            if t.codes.is_empty() {
                let logged = gaps
                    .iter()
                    .any(|(gv, item, what)| gv == id && *item == t.id && what.starts_with("table"));
                assert!(
                    logged,
                    "{id} table {} has no values and is not in GAPS.txt",
                    t.id
                );
            }
        }
    }
}

#[test]
fn positions_are_contiguous() {
    for id in versions() {
        let v = Version::load(id).unwrap();
        for s in v.segments() {
            for (i, f) in s.fields.iter().enumerate() {
                assert_eq!(f.position, i + 1, "{id} {}", s.id);
                assert!(!f.name.is_empty(), "{id} {}-{}", s.id, f.position);
                if f.is_placeholder() {
                    assert!(
                        matches!(f.usage, Usage::Withdrawn | Usage::NotSupported),
                        "{id} {}-{}: placeholder with usage {}",
                        s.id,
                        f.position,
                        f.usage
                    );
                }
                assert!(
                    f.repetition.max.is_none_or(|m| m >= f.repetition.min),
                    "{id} {}-{}",
                    s.id,
                    f.position
                );
                if f.usage == Usage::Required {
                    assert!(
                        f.repetition.min >= 1,
                        "{id} {}-{}: R with min 0",
                        s.id,
                        f.position
                    );
                }
            }
        }
        for d in v.datatypes() {
            match d.kind {
                DataTypeKind::Primitive => assert!(d.components.is_empty(), "{id} {}", d.code),
                DataTypeKind::Composite => assert!(!d.components.is_empty(), "{id} {}", d.code),
            }
            for (i, c) in d.components.iter().enumerate() {
                assert_eq!(c.position, i + 1, "{id} {}", d.code);
            }
        }
    }
}

#[test]
fn structures_are_well_formed() {
    for id in versions() {
        let v = Version::load(id).unwrap();
        assert!(v.structures().len() > 100, "{id}");
        let mut with_repeated_sibling = 0;
        for s in v.structures() {
            assert_eq!(
                s.children.first().map(StructureNode::name),
                Some("MSH"),
                "{id} {}",
                s.id
            );
            let mut nodes = Vec::new();
            walk(&s.children, &mut nodes);
            for n in nodes {
                if let StructureNode::Group(g) = n {
                    assert!(
                        !g.children.is_empty(),
                        "{id} {}: empty group {}",
                        s.id,
                        g.name
                    );
                    let mut seen = HashSet::new();
                    for c in &g.children {
                        if let StructureNode::Segment(r) = c
                            && !seen.insert(r.id.as_str())
                        {
                            with_repeated_sibling += 1;
                        }
                    }
                }
            }
            let mut seen = HashSet::new();
            for c in &s.children {
                if let StructureNode::Segment(r) = c
                    && !seen.insert(r.id.as_str())
                {
                    with_repeated_sibling += 1;
                }
            }
        }
        // Repeated sibling segments survive the conversion (ADT_A01 ROL, …).
        assert!(
            with_repeated_sibling >= 4,
            "{id}: {with_repeated_sibling} repeated siblings"
        );
    }
}

#[test]
fn placeholders_and_restorations_are_logged() {
    let repairs = log("REPAIRS.txt");
    let logged = |v: &str, item: &str, what: &str| {
        repairs
            .iter()
            .any(|(rv, ri, rw)| rv == v && ri == item && rw.contains(what))
    };
    for id in versions() {
        let v = Version::load(id).unwrap();
        for s in v.segments() {
            for f in &s.fields {
                let item = format!("{}-{}", s.id, f.position);
                if f.is_placeholder() && f.usage == Usage::Withdrawn {
                    assert!(
                        logged(id, &item, "placeholder") || logged(id, &item, "reserved"),
                        "{id} {item}: placeholder not in REPAIRS.txt"
                    );
                }
                if f.usage == Usage::BackwardCompatible && id >= "2.6" {
                    assert!(
                        logged(id, &item, "restored"),
                        "{id} {item}: B field not logged"
                    );
                }
            }
        }
    }
}

#[test]
fn from_dir_matches_bundled() {
    for id in versions() {
        let a = Version::load(id).unwrap();
        let b = Version::from_dir(versions_dir().join(id)).unwrap();
        assert_eq!(a, b, "{id}");
        assert_eq!(b.id(), id);
    }
}

#[test]
fn provenance_names_pinned_inputs() {
    let text = std::fs::read_to_string(versions_dir().join("PROVENANCE.txt")).unwrap();
    for (name, version) in [
        ("hl7types", "0.9.5"),
        ("hl7apy", "1.3.5"),
        ("hl7.terminology.r4", "7.0.1"),
        ("hl7-dictionary", "1.0.1"),
    ] {
        let line = text
            .lines()
            .find(|l| l.split('\t').nth(1) == Some(name))
            .unwrap_or_else(|| panic!("{name} missing"));
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols[2], version, "{name}");
        assert_eq!(cols[4].len(), 64, "{name} sha256");
        assert!(
            cols[4].bytes().all(|b| b.is_ascii_hexdigit()),
            "{name} sha256"
        );
    }
}

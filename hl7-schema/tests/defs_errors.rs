//! Bad definition files give errors with file:line that say what is wrong,
//! never panics.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use hl7_schema::defs::{DefsError, DefsErrorKind, Version};

const SEGMENTS: &str = "\
# comment
SEG MSH Message Header
F 1 ST R 1..1 1 - 00001 Field Separator
F 2 ST R 1..1 4 - 00002 Encoding Characters
SEG ZAB Test Segment
F 1 CX O 0..* - - - Ids
F 2 - W 0..0 - - - Gone
";
const DATATYPES: &str = "\
DT CX C Extended Composite ID
C 1 ST R 15 - ID Number
C 2 ST - - - Check Digit
DT ST P String Data
";
const STRUCTURES: &str = "\
MSG ZZZ_Z01
  SEG MSH 1..1
  GRP ITEM 0..*
    SEG ZAB 1..1
    ANY Z 0..*
  END
  CHOICE ONE 0..1
    SEG ZAB 1..1
  END
";
const EVENTS: &str = "EV ZZZ Z01 ZZZ_Z01\nEV ZZZ Z02 ZZZ_Z01\n";
const TABLES: &str = "TBL 0001 User Administrative Sex\nTBL 0999 - Local\n";
const THO: &str = "\
TBL 0001 User v2-0001 Administrative Sex
V F active - Female
V ISO%20IR6 deprecated 2.6 With a space
";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Writes a version directory `<tmp>/<unique>/9.9/` with the given files
/// (defaults above, overridden by `files`) and returns its path.
fn version_dir(files: &[(&str, &str)]) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let root = std::env::temp_dir().join(format!("hl7-defs-test-{}-{n}", std::process::id()));
    let dir = root.join("9.9");
    std::fs::create_dir_all(&dir).unwrap();
    let defaults = [
        ("segments.txt", SEGMENTS),
        ("datatypes.txt", DATATYPES),
        ("structures.txt", STRUCTURES),
        ("events.txt", EVENTS),
        ("tables.txt", TABLES),
        ("../tables-tho.txt", THO),
    ];
    for (name, text) in defaults {
        let text = files
            .iter()
            .find(|(f, _)| *f == name)
            .map_or(text, |(_, t)| *t);
        std::fs::write(dir.join(name), text).unwrap();
    }
    dir
}

fn cleanup(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}

/// Loads with one file replaced; returns the error (checked to name the
/// file and line in its message).
fn error(file: &str, text: &str) -> DefsError {
    let dir = version_dir(&[(file, text)]);
    let err = Version::from_dir(&dir).expect_err("expected an error");
    cleanup(&dir);
    let base = file.trim_start_matches("../");
    assert!(err.file().ends_with(base), "{} vs {file}", err.file());
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!("{}:{}: ", err.file(), err.line())),
        "{shown}"
    );
    err
}

#[test]
fn valid_minimal_version_loads() {
    let dir = version_dir(&[]);
    let v = Version::from_dir(&dir).unwrap();
    cleanup(&dir);
    assert_eq!(v.id(), "9.9");
    let zab = v.segment("ZAB").unwrap();
    assert!(zab.field(2).unwrap().is_placeholder());
    assert!(zab.field(1).unwrap().repetition.repeats());
    assert_eq!(v.datatype("CX").unwrap().components[1].usage, None);
    let t = v.table("0001").unwrap();
    assert_eq!(t.code("F").unwrap().display, "Female");
    let odd = t.code("ISO IR6").unwrap();
    assert_eq!(odd.deprecated_in.as_deref(), Some("2.6"));
    assert!(v.table("0999").unwrap().codes.is_empty());
    assert_eq!(
        v.structure_for_event("ZZZ", "Z02").map(|s| s.id.as_str()),
        Some("ZZZ_Z01")
    );
}

#[test]
fn bad_usage() {
    let e = error("segments.txt", "SEG ZAB T\nF 1 ST Q 0..1 - - - X\n");
    assert_eq!(e.line(), 2);
    assert!(e.to_string().contains("bad usage \"Q\""), "{e}");
}

#[test]
fn positions_must_be_contiguous() {
    let e = error(
        "segments.txt",
        "SEG ZAB T\nF 1 ST O 0..1 - - - A\nF 3 ST O 0..1 - - - C\n",
    );
    assert_eq!(e.line(), 3);
    assert!(
        e.to_string()
            .contains("ZAB: position 3 where 2 was expected"),
        "{e}"
    );
}

#[test]
fn field_before_segment() {
    let e = error("segments.txt", "F 1 ST O 0..1 - - - A\n");
    assert_eq!(e.line(), 1);
    assert!(
        e.to_string().contains("F record outside of a SEG block"),
        "{e}"
    );
}

#[test]
fn bad_cardinality_and_numbers() {
    let e = error("segments.txt", "SEG ZAB T\nF 1 ST O 1-2 - - - A\n");
    assert!(e.to_string().contains("bad cardinality \"1-2\""), "{e}");
    let e = error("segments.txt", "SEG ZAB T\nF x ST O 0..1 - - - A\n");
    assert!(e.to_string().contains("bad position \"x\""), "{e}");
    let e = error("segments.txt", "SEG ZAB T\nF 1 ST O 0..1 - 12 - A\n");
    assert!(e.to_string().contains("bad table \"12\""), "{e}");
    let e = error("segments.txt", "SEG ZAB T\nF 1 ST O 0..1\n");
    assert!(e.to_string().contains("F record: missing length"), "{e}");
}

#[test]
fn unsorted_and_duplicate_ids() {
    let e = error("segments.txt", "SEG ZB T\nSEG ZA T\n");
    assert_eq!(e.line(), 2);
    assert!(e.to_string().contains("out of order"), "{e}");
    let e = error("tables.txt", "TBL 0001 User A\nTBL 0001 User A\n");
    assert!(e.to_string().contains("duplicate table \"0001\""), "{e}");
    let e = error("events.txt", "EV ZZZ Z02 ZZZ_Z01\nEV ZZZ Z01 ZZZ_Z01\n");
    assert!(
        e.to_string().contains("event \"ZZZ^Z01\" is out of order"),
        "{e}"
    );
}

#[test]
fn structure_nesting_errors() {
    let e = error("structures.txt", "MSG A\n  SEG MSH 1..1\n  END\n");
    assert_eq!(e.line(), 3);
    assert!(matches!(e.kind(), DefsErrorKind::UnbalancedEnd));

    let e = error(
        "structures.txt",
        "MSG A\n  SEG MSH 1..1\n  GRP G 0..1\n  END\n",
    );
    assert_eq!(e.line(), 4);
    assert!(matches!(e.kind(), DefsErrorKind::EmptyGroup(g) if g == "G"));

    let e = error(
        "structures.txt",
        "MSG A\n  SEG MSH 1..1\n  GRP G 0..1\n    SEG PID 1..1\n",
    );
    assert_eq!(e.line(), 3);
    assert!(matches!(e.kind(), DefsErrorKind::UnclosedGroup(g) if g == "G"));
    assert!(
        e.to_string().contains("group G is not closed by END"),
        "{e}"
    );

    let e = error("structures.txt", "MSG A\nMSG B\n  SEG MSH 1..1\n");
    assert!(
        e.to_string()
            .contains("message structure A has no children"),
        "{e}"
    );

    let e = error("structures.txt", "MSG A\n  ANY Q 0..1\n");
    assert!(e.to_string().contains("bad scope \"Q\""), "{e}");

    let e = error("structures.txt", "MSG A\n  SEG MSH 1..1 extra\n");
    assert!(
        e.to_string().contains("unexpected extra column \"extra\""),
        "{e}"
    );
}

#[test]
fn unknown_record() {
    let e = error("datatypes.txt", "DT ST P S\nXX 1\n");
    assert_eq!(e.line(), 2);
    assert!(matches!(e.kind(), DefsErrorKind::UnknownRecord(r) if r == "XX"));
    assert!(e.to_string().contains("unknown record \"XX\""), "{e}");
}

#[test]
fn bad_code_escape() {
    let e = error(
        "../tables-tho.txt",
        "TBL 0001 User v2-0001 A\nV a%zz active - A\n",
    );
    assert_eq!(e.line(), 2);
    assert!(e.to_string().contains("bad code \"a%zz\""), "{e}");
}

#[test]
fn missing_file() {
    let dir = version_dir(&[]);
    std::fs::remove_file(dir.join("events.txt")).unwrap();
    let err = Version::from_dir(&dir).unwrap_err();
    cleanup(&dir);
    assert!(matches!(err.kind(), DefsErrorKind::Io(_)));
    assert!(err.file().ends_with("events.txt"));
    assert!(err.to_string().contains("cannot read file"), "{err}");
}

#[test]
fn unknown_version() {
    let err = Version::load("2.9").unwrap_err();
    assert!(matches!(err.kind(), DefsErrorKind::UnknownVersion(v) if v == "2.9"));
    assert!(err.to_string().contains("bundled: 2.3, 2.3.1"), "{err}");
}

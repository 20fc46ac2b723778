//! Every fixture message, and with `HL7_CORPUS` every corpus message, read
//! into its typed message (the stock type of its version and structure)
//! and written back: the same ER7 when the message conforms, and nothing
//! dropped either way.

use std::path::{Path, PathBuf};

use hl7_runtime::er7::{Message, parse_stream};
use hl7_typed_tests::roundtrip_stock;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "hl7" || e == "txt"))
        .collect();
    v.sort();
    v
}

/// MSH-12 and the structure (MSH-9.3, else the version's event map).
fn version_and_structure(msg: &Message<'_>) -> Option<(String, String)> {
    let get = |p: &str| msg.get(&p.parse().unwrap()).map(|v| v.text().into_owned());
    let version = get("MSH-12.1")?;
    let structure = if let Some(s) = get("MSH-9.3").filter(|s| !s.is_empty()) {
        s
    } else {
        let defs = hl7_schema::defs::Version::load(&version).ok()?;
        let ty = get("MSH-9.1")?;
        let ev = get("MSH-9.2")?;
        defs.structure_for_event(&ty, &ev)?.id.clone()
    };
    Some((version, structure))
}

/// Returns (typed, identical).
fn check_file(path: &Path, report: &mut Vec<String>) -> (usize, usize) {
    let bytes = std::fs::read(path).unwrap();
    let (mut typed, mut identical) = (0, 0);
    for msg in parse_stream(&bytes).flatten() {
        let Some((version, structure)) = version_and_structure(&msg) else {
            continue;
        };
        let Some(result) = roundtrip_stock(&version, &structure, &msg) else {
            continue;
        };
        let where_ = format!(
            "{} message {} ({version} {structure})",
            path.display(),
            msg.index() + 1
        );
        match result {
            Ok((written, _unmodeled)) => {
                typed += 1;
                // Written with CR terminators: compare with the message's own
                // bytes written the same way.
                let expected = msg.to_er7();
                if written == expected {
                    identical += 1;
                } else {
                    report.push(format!(
                        "{where_}: written back differently:\n  read:  {:?}\n  wrote: {:?}",
                        String::from_utf8_lossy(&expected),
                        String::from_utf8_lossy(&written)
                    ));
                }
            }
            // A message that lacks a segment or group its type requires
            // cannot be held by the type: a clear error, never a panic.
            Err(e) if e.is_missing() => eprintln!("{where_}: not read: {e}"),
            Err(e) => report.push(format!("{where_}: not read: {e}")),
        }
    }
    (typed, identical)
}

#[test]
fn fixtures_round_trip_through_stock_types() {
    let mut report = Vec::new();
    let mut typed = 0;
    for dir in [
        "examples/messages",
        "benches/data",
        "hl7-runtime/tests/fixtures",
    ] {
        for f in files(&root().join(dir)) {
            typed += check_file(&f, &mut report).0;
        }
    }
    assert!(typed >= 3, "only {typed} fixture messages had a stock type");
    assert!(report.is_empty(), "{}", report.join("\n"));
}

#[test]
fn corpus_round_trips_through_stock_types() {
    let Some(dir) = std::env::var_os("HL7_CORPUS") else {
        eprintln!("HL7_CORPUS is not set: skipping the external corpus");
        return;
    };
    let mut report = Vec::new();
    let (mut typed, mut identical) = (0, 0);
    for f in files(&PathBuf::from(dir).join("messages")) {
        let (t, i) = check_file(&f, &mut report);
        typed += t;
        identical += i;
    }
    // Every message that reads writes back byte for byte: non-conforming
    // content is kept as unmodeled and put back where it stood.
    eprintln!("corpus: {typed} messages typed, {identical} written back identically");
    assert!(report.is_empty(), "{report:#?}");
    assert!(typed > 0 && identical == typed);
}

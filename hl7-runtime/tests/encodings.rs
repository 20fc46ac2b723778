//! ER7 → JSON → ER7 and ER7 → XML → ER7 give identical bytes for every
//! fixture message (hl7-runtime/tests/fixtures, benches/data,
//! fuzz/corpus/seeds) and every message of the external corpus named by
//! `HL7_CORPUS` (skipped when it is not set).
#![cfg(feature = "json")]

use std::path::{Path, PathBuf};

use hl7_runtime::er7::{Message, parse_stream};
use hl7_runtime::json;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "INDEX.md"))
        .collect();
    v.sort();
    v
}

fn fixture_files() -> Vec<PathBuf> {
    let r = root();
    let mut v = files_in(&r.join("hl7-runtime/tests/fixtures"));
    v.extend(files_in(&r.join("benches/data")));
    v.extend(files_in(&r.join("fuzz/corpus/seeds")));
    v
}

fn corpus_files() -> Option<Vec<PathBuf>> {
    let Some(dir) = std::env::var_os("HL7_CORPUS") else {
        eprintln!("HL7_CORPUS is not set: skipping the external corpus");
        return None;
    };
    Some(files_in(&PathBuf::from(dir).join("messages")))
}

/// Runs `check` on every message of every file; returns (files, messages).
fn each_message(files: &[PathBuf], mut check: impl FnMut(&str, &Message<'_>)) -> (usize, usize) {
    let mut messages = 0;
    for p in files {
        let bytes = std::fs::read(p).unwrap();
        let name = p.display().to_string();
        for m in parse_stream(&bytes).flatten() {
            check(&name, &m);
            messages += 1;
        }
    }
    (files.len(), messages)
}

fn json_round_trip(name: &str, m: &Message<'_>) {
    let text = json::to_json(m);
    assert!(!text.contains('\n'), "{name}: one line");
    let back = json::from_json(text.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
    assert_eq!(back.to_er7(), m.to_er7(), "{name}");
    // The JSON is valid for any JSON reader, and again the same.
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json::value_to_er7(&v).unwrap(), m.to_er7(), "{name}");
}

#[cfg(feature = "xml")]
fn xml_round_trip(name: &str, m: &Message<'_>) {
    use hl7_runtime::xml;
    let doc = xml::to_xml(m);
    let back = xml::from_xml(&doc).unwrap_or_else(|e| panic!("{name}: {e}\n{doc}"));
    assert_eq!(back.len(), 1, "{name}");
    assert_eq!(back[0].to_er7(), m.to_er7(), "{name}\n{doc}");
    assert_eq!(xml::xml_to_er7(&doc).unwrap(), m.to_er7(), "{name}");
}

#[test]
fn fixtures_round_trip_through_json() {
    let (files, messages) = each_message(&fixture_files(), json_round_trip);
    eprintln!("JSON: {messages} fixture messages in {files} files");
    assert!(messages >= 10, "{messages}");
}

#[test]
fn corpus_round_trips_through_json() {
    let Some(files) = corpus_files() else { return };
    let (files, messages) = each_message(&files, json_round_trip);
    eprintln!("JSON: {messages} corpus messages in {files} files");
    assert!(messages > 0);
}

#[cfg(feature = "xml")]
#[test]
fn fixtures_round_trip_through_xml() {
    let (files, messages) = each_message(&fixture_files(), xml_round_trip);
    eprintln!("XML: {messages} fixture messages in {files} files");
    assert!(messages >= 10, "{messages}");
}

#[cfg(feature = "xml")]
#[test]
fn corpus_round_trips_through_xml() {
    let Some(files) = corpus_files() else { return };
    let (files, messages) = each_message(&files, xml_round_trip);
    eprintln!("XML: {messages} corpus messages in {files} files");
    assert!(messages > 0);
}

#[cfg(feature = "xml")]
#[test]
fn corpus_xml_uses_the_standard_structure() {
    // The bench ORU (v2.5.1) is grouped as ORU_R01 says.
    let bytes = std::fs::read(root().join("benches/data/oru_r01.hl7")).unwrap();
    let m = Message::parse(&bytes).unwrap();
    let doc = hl7_runtime::xml::to_xml(&m);
    assert!(
        doc.contains("<ORU_R01 xmlns=\"urn:hl7-org:v2xml\"><MSH><MSH.1>|</MSH.1>"),
        "{doc}"
    );
    assert!(
        doc.contains("<ORU_R01.PATIENT_RESULT><ORU_R01.PATIENT><PID>"),
        "{doc}"
    );
    assert!(doc.contains("<ORU_R01.ORDER_OBSERVATION>"), "{doc}");
    assert!(doc.contains("<ORU_R01.OBSERVATION><OBX>"), "{doc}");
}

//! `hl7 convert` between ER7, structural JSON and XML, end to end.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn hl7(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hl7"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the hl7 binary runs");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    stdin.write_all(input).expect("stdin takes the input");
    drop(stdin);
    child.wait_with_output().expect("hl7 finishes")
}

fn all_fixtures() -> Vec<u8> {
    let mut all = Vec::new();
    for dir in ["hl7-runtime/tests/fixtures", "benches/data"] {
        let mut files: Vec<_> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            all.extend(std::fs::read(f).unwrap());
            all.extend_from_slice(b"\r\n");
        }
    }
    all
}

#[test]
fn json_lines_and_xml_round_trip_through_the_command() {
    let input = all_fixtures();
    let er7 = hl7(&["convert", "--to", "er7"], &input);
    let count = er7
        .stdout
        .split(|&b| b == b'\r')
        .filter(|l| l.starts_with(b"MSH"))
        .count();
    assert!(count >= 5, "{count}");

    let json = hl7(&["convert", "--to", "json"], &input);
    let text = String::from_utf8(json.stdout).unwrap();
    assert_eq!(text.lines().count(), count, "one line per message");
    assert!(
        text.lines()
            .all(|l| l.starts_with("{\"segments\":[{\"id\":\"MSH\""))
    );
    let back = hl7(
        &["convert", "--from", "json", "--to", "er7"],
        text.as_bytes(),
    );
    assert!(
        back.status.success(),
        "{}",
        String::from_utf8_lossy(&back.stderr)
    );
    assert_eq!(back.stdout, er7.stdout);

    let xml = hl7(
        &["convert", "--from", "json", "--to", "xml"],
        text.as_bytes(),
    );
    let doc = String::from_utf8(xml.stdout).unwrap();
    assert!(
        doc.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<HL7Messages>\n<"),
        "{doc}"
    );
    let back = hl7(&["convert", "--from", "xml", "--to", "er7"], doc.as_bytes());
    assert!(
        back.status.success(),
        "{}",
        String::from_utf8_lossy(&back.stderr)
    );
    assert_eq!(back.stdout, er7.stdout);
}

#[test]
fn one_message_is_one_xml_document() {
    let input = b"MSH|^~\\&|A||B||20260101||ADT^A01^ADT_A01|1|P|2.5.1\rPID|1||42^^^H||DOE^JO\r";
    let o = hl7(&["convert", "--to", "xml"], input);
    let doc = String::from_utf8(o.stdout).unwrap();
    assert!(doc.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ADT_A01 xmlns=\"urn:hl7-org:v2xml\"><MSH><MSH.1>|</MSH.1>"), "{doc}");
    assert!(
        doc.contains("<PID.5><XPN.1><FN.1>DOE</FN.1></XPN.1><XPN.2>JO</XPN.2></PID.5>"),
        "{doc}"
    );
    let back = hl7(&["convert", "--from", "xml", "--to", "er7"], doc.as_bytes());
    assert_eq!(back.stdout, input);
}

#[test]
fn profile_gives_named_json() {
    let profile = root().join("profiles/sites/acme-oru.toml");
    let input = std::fs::read(root().join("examples/messages/oru_r01.hl7")).unwrap();
    let o = hl7(
        &[
            "convert",
            "--to",
            "json",
            "--profile",
            profile.to_str().unwrap(),
        ],
        &input,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let line = String::from_utf8(o.stdout).unwrap();
    let v: serde_json::Value = serde_json::from_str(line.trim_end()).unwrap();
    assert_eq!(
        v["patient_result"]["patient"]["pid"]["patient_name"][0]["family_name"]["surname"],
        "NAKAMURA"
    );
    // Keys in profile order.
    assert!(
        line.starts_with("{\"msh\":{\"field_separator\":\"|\""),
        "{line}"
    );
}

#[test]
fn profile_problems_and_directions_are_usage_errors() {
    let o = hl7(
        &["convert", "--to", "json", "--profile", "profiles/x.xml"],
        b"",
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cannot read profiles/x.xml"), "{err}");

    let profile = root().join("profiles/sites/acme-oru.toml");
    let o = hl7(
        &[
            "convert",
            "--from",
            "er7",
            "--to",
            "xml",
            "--profile",
            profile.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("the profile names the fields of JSON"),
        "{err}"
    );
}

#[test]
fn named_json_reads_back_with_the_profile() {
    let profile = root().join("profiles/sites/acme-oru.toml");
    let profile = profile.to_str().unwrap();
    let input = std::fs::read(root().join("examples/messages/oru_r01.hl7")).unwrap();
    let named = hl7(&["convert", "--to", "json", "--profile", profile], &input);
    assert_eq!(named.status.code(), Some(0));
    let er7 = hl7(
        &[
            "convert",
            "--from",
            "json",
            "--to",
            "er7",
            "--profile",
            profile,
        ],
        &named.stdout,
    );
    assert_eq!(
        er7.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&er7.stderr)
    );
    // What the profile models comes back: named JSON of the result is the
    // same named JSON.
    let again = hl7(
        &["convert", "--to", "json", "--profile", profile],
        &er7.stdout,
    );
    assert_eq!(again.stdout, named.stdout);
    assert!(er7.stdout.starts_with(b"MSH|^~\\&|"));

    // A bad value is reported with its JSON path; the others still convert.
    let mut v: serde_json::Value = serde_json::from_slice(named.stdout.trim_ascii_end()).unwrap();
    v["patient_result"]["patient"]["pid"]["patient_name"][0]["given_name"] = serde_json::json!(7);
    let two = format!("{v}\n{}", String::from_utf8_lossy(&named.stdout));
    let o = hl7(
        &[
            "convert",
            "--from",
            "json",
            "--to",
            "er7",
            "--profile",
            profile,
        ],
        two.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "JSON message 1: $.patient_result.patient.pid.patient_name[0].given_name: expected a string, found a number"
        ),
        "{err}"
    );
    assert_eq!(o.stdout, er7.stdout);
}

#[test]
fn bad_json_and_xml_are_reported_and_the_rest_converted() {
    let input = "{\"segments\":[]}\nnot json\n{\"segments\":[{\"id\":\"MSH\",\"fields\":[\"|\",\"^~\\\\&\",\"A\"]},{\"id\":\"PID\",\"fields\":[[\"a\",1]]}]}\n{\"segments\":[{\"id\":\"MSH\",\"fields\":[\"|\",\"^~\\\\&\"]}]}\n";
    let o = hl7(
        &["convert", "--from", "json", "--to", "er7"],
        input.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(o.stdout, b"MSH|^~\\&\r");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("JSON message 1: $.segments: no segments"),
        "{err}"
    );
    assert!(err.contains("JSON message 2: not valid JSON"), "{err}");
    assert!(
        err.contains("JSON message 3: $.segments[1].fields[0][1]: a component must be"),
        "{err}"
    );

    let o = hl7(
        &["convert", "--from", "xml", "--to", "er7"],
        b"<ADT_A01><MSH>",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("ends inside <MSH>"));
}

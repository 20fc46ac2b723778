//! `hl7 validate` end to end: human and JSON output, summary, exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn hl7(args: &[&str], input: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hl7"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the hl7 binary runs");
    let mut stdin = child.stdin.take().expect("piped");
    stdin.write_all(input.unwrap_or_default()).expect("stdin");
    drop(stdin);
    child.wait_with_output().expect("hl7 finishes")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const GOOD: &str = "MSH|^~\\&|APP|FAC|RCV|RFAC|20260101120000||ADT^A01^ADT_A01|MSG1|P|2.5.1\r\
EVN||20260101120000\rPID|1||42^^^HOSP^MR||DOE^JOHN||19800101|M\rPV1|1|I\r";

/// PID-3 missing (101 at PID[1]-3) and an undeclared Z segment (100 at ZZZ[1]).
const BAD: &str = "MSH|^~\\&|APP|FAC|RCV|RFAC|20260101120000||ADT^A01^ADT_A01|MSG2|P|2.5.1\r\
EVN||20260101120000\rPID|1||||DOE^JOHN||19800101|M\rPV1|1|I\rZZZ|1\r";

#[test]
fn valid_input_exits_0_with_a_summary() {
    let o = hl7(
        &["validate", "--profile", "2.5.1", "-"],
        Some(GOOD.as_bytes()),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("1 messages read: 1 valid, 0 invalid"), "{out}");
}

#[test]
fn human_output_marks_the_field() {
    let input = format!("{GOOD}{BAD}");
    let o = hl7(&["validate", "--profile", "2.5.1"], Some(input.as_bytes()));
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    assert!(out.contains("error[101]: required field PID[1]-3"), "{out}");
    // Line 7 of the input (CR-separated), column 8: the empty PID-3.
    assert!(
        out.contains("--> <stdin>:7:8 (PID[1]-3; message 2"),
        "{out}"
    );
    assert!(out.contains("7 | PID|1||||DOE^JOHN||19800101|M"), "{out}");
    assert!(out.contains("  |        ^\n"), "{out}");
    assert!(
        out.contains("error[100]: Z segment ZZZ is not declared"),
        "{out}"
    );
    assert!(out.contains("2 messages read: 1 valid, 1 invalid"), "{out}");
    assert!(out.contains("most frequent findings:"), "{out}");
}

#[test]
fn json_output_is_one_object_per_message() {
    let input = format!("{GOOD}{BAD}");
    let o = hl7(
        &["validate", "--profile", "2.5.1", "--format", "json"],
        Some(input.as_bytes()),
    );
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with(
        "{\"file\":\"<stdin>\",\"index\":0,\"offset\":0,\"control_id\":\"MSG1\",\
         \"message_type\":\"ADT^A01^ADT_A01\",\"profile\":\"HL7 v2.5.1 ADT_A01\",\"valid\":true,"
    ));
    assert!(lines[1].contains(&format!("\"index\":1,\"offset\":{}", GOOD.len())));
    assert!(lines[1].contains(
        "{\"severity\":\"error\",\"code\":\"101\",\"location\":\"PID[1]-3\",\"line\":3,\"column\":8,"
    ));
    assert!(lines[1].contains("\"code\":\"100\",\"location\":\"ZZZ[1]\""));
    // The summary goes to stderr.
    assert!(text(&o.stderr).contains("2 messages read"));
}

#[test]
fn severity_overrides_change_the_exit_code() {
    let o = hl7(
        &[
            "validate",
            "--profile",
            "2.5.1",
            "--severity",
            "101=warning",
            "--severity",
            "100=info",
        ],
        Some(BAD.as_bytes()),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert!(text(&o.stdout).contains("warning[101]"));
}

#[test]
fn site_profile_directory_and_input_directory() {
    let o = hl7(
        &["validate", "--profile", "profiles/sites", "benches/data"],
        None,
    );
    // The bench messages are not ACME's: constants and code lists fail.
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    assert!(out.contains("profile acme-adt"), "{out}");
    assert!(out.contains("profile acme-oru"), "{out}");
    assert!(out.contains("error[constant]: MSH[1]-3.1"), "{out}");
}

#[test]
fn usage_profile_and_io_errors_exit_2() {
    let o = hl7(&["validate", "--profile", "nope/none.toml", "-"], Some(b""));
    assert_eq!(o.status.code(), Some(2));
    let o = hl7(&["validate", "--profile", "9.9", "-"], Some(b""));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("bundled"));
    let o = hl7(&["validate", "--profile", "2.5.1", "missing.hl7"], None);
    assert_eq!(o.status.code(), Some(2));
    let o = hl7(
        &[
            "validate",
            "--profile",
            "2.5.1",
            "--severity",
            "bogus=error",
        ],
        Some(b""),
    );
    assert_eq!(o.status.code(), Some(2));
    let o = hl7(&["validate"], None);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn unparseable_messages_are_findings() {
    let o = hl7(
        &["validate", "--profile", "2.5.1", "--format", "json"],
        Some(b"MSH|^~\\&|A\rPID|1\r\nGARBAGE\r"),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stdout).contains("\"code\":\"unparseable\""),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn nist_corpus_profile() {
    let Some(corpus) = std::env::var_os("HL7_CORPUS") else {
        eprintln!("HL7_CORPUS is not set: skipped");
        return;
    };
    let corpus = root().join(corpus);
    let profile = corpus.join("profiles/08_nist_CDC_PHLIP_FLU_v251_ORU_R01");
    let msg = corpus.join("messages/09_cdc_elr_oru_r01_v251_good.hl7");
    let o = hl7(
        &[
            "validate",
            "--profile",
            profile.to_str().unwrap(),
            "--format",
            "json",
            msg.to_str().unwrap(),
        ],
        None,
    );
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        text(&o.stderr)
    );
    assert!(text(&o.stdout).contains("\"code\":\"statement\""));
}

//! The `hl7` binary end to end: real files, standard input, exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixture(name: &str) -> PathBuf {
    root().join("hl7-runtime/tests/fixtures").join(name)
}

fn hl7(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hl7"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the hl7 binary runs")
}

fn hl7_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hl7"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the hl7 binary runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input)
        .expect("stdin takes the input");
    child.wait_with_output().expect("hl7 finishes")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn get_prints_one_line_per_message() {
    let f = fixture("two_msgs_crlf_bom_latin1.hl7");
    let o = hl7(&["get", "PID-5.1", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "Müller\nSMITH\n");
    // A missing value prints an empty line.
    let o = hl7(&["get", "PID-30", f.to_str().unwrap()]);
    assert_eq!(stdout(&o), "\n\n");
}

#[test]
fn get_decodes_by_default_and_raw_on_request() {
    let f = fixture("oru_r01_lf_noterm.hl7");
    let o = hl7(&["get", "OBX[*]-5", f.to_str().unwrap()]);
    assert_eq!(
        stdout(&o),
        "196\nFasting & rested\\.br\\Line two \\ done\nA|B^C~D\n"
    );
    let o = hl7(&["get", "--raw", "OBX[3]-5", f.to_str().unwrap()]);
    assert_eq!(stdout(&o), "A\\F\\B\\S\\C\\R\\D\n");
}

#[test]
fn get_prefixes_file_names_with_several_files() {
    let a = fixture("adt_a01_cr.hl7");
    let b = fixture("oru_r01_lf_noterm.hl7");
    let o = hl7(&["get", "MSH-10", a.to_str().unwrap(), b.to_str().unwrap()]);
    let out = stdout(&o);
    assert!(out.contains("adt_a01_cr.hl7:MSG00001\n"), "{out}");
    assert!(out.contains("oru_r01_lf_noterm.hl7:M1\n"), "{out}");
    let o = hl7(&[
        "get",
        "--no-filename",
        "MSH-10",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    assert_eq!(stdout(&o), "MSG00001\nM1\n");
}

#[test]
fn reads_standard_input() {
    let input = std::fs::read(fixture("adt_a01_cr.hl7")).unwrap();
    let o = hl7_stdin(&["get", "PID-5"], &input);
    assert_eq!(stdout(&o), "EVERYMAN^ADAM^A^III\n");
    let o = hl7_stdin(&["get", "PID-3[2].1", "-"], &input);
    assert_eq!(stdout(&o), "123456789\n");
}

#[test]
fn bad_messages_are_reported_and_the_rest_processed() {
    let f = fixture("broken.hl7");
    let o = hl7(&["get", "MSH-10", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "3\n");
    let err = stderr(&o);
    assert!(
        err.contains("broken.hl7: message 1, byte 20: line 3 does not start with a segment id"),
        "{err}"
    );
    assert!(
        err.contains("broken.hl7: message 2, byte 46, segment MSH (#1), field 2: MSH-2 `&&&&`"),
        "{err}"
    );
}

#[test]
fn usage_and_io_errors_exit_2() {
    let o = hl7(&["get", "PID.5", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("expected `-` before the field number (write PID-5)"));
    let o = hl7(&["get", "PID-5", "/no/such/file.hl7"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/no/such/file.hl7"));
    let o = hl7(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn parse_prints_a_tree() {
    let f = fixture("adt_a01_cr.hl7");
    let o = hl7(&["parse", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(
        out.contains("· ADT^A01^ADT_A01 · control id MSG00001 · version 2.5.1"),
        "{out}"
    );
    assert!(out.contains("PID (#3)\n"), "{out}");
    assert!(
        out.contains("  PID-3[2]       123456789^^^USSSA^SS\n"),
        "{out}"
    );
    assert!(out.contains("    PID-3[2].4       USSSA\n"), "{out}");
    assert!(out.contains("  MSH-2          ^~\\&\n"), "{out}");
}

#[test]
fn parse_shows_subcomponents() {
    let f = fixture("oru_r01_lf_noterm.hl7");
    let out = stdout(&hl7(&["parse", f.to_str().unwrap()]));
    assert!(out.contains("      PID-3.4.2          1.2.3\n"), "{out}");
}

#[test]
fn convert_to_er7_normalises_terminators_only() {
    let f = fixture("two_msgs_crlf_bom_latin1.hl7");
    let o = hl7(&["convert", "--to", "er7", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let input = std::fs::read(&f).unwrap();
    let expected: Vec<u8> = input[3..]
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
        .flat_map(|l| l.iter().copied().chain([b'\r']))
        .collect();
    assert_eq!(o.stdout, expected);
    // CR-terminated input comes back byte for byte.
    let f = fixture("adt_a01_cr.hl7");
    let o = hl7(&["convert", "--to", "er7", f.to_str().unwrap()]);
    assert_eq!(o.stdout, std::fs::read(&f).unwrap());
}

#[test]
fn convert_writes_to_a_file() {
    let out = std::env::temp_dir().join(format!("hl7-cli-test-{}.hl7", std::process::id()));
    let f = fixture("oru_r01_lf_noterm.hl7");
    let o = hl7(&[
        "convert",
        "--to",
        "er7",
        "-o",
        out.to_str().unwrap(),
        f.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let written = std::fs::read(&out).unwrap();
    std::fs::remove_file(&out).ok();
    assert!(written.starts_with(
        b"MSH|^~\\&|LAB|ACME|EHR|CLINIC|20260101120000||ORU^R01^ORU_R01|M1|P|2.5.1\rPID|"
    ));
    assert!(written.ends_with(b"||||||F\r"));
}

#[test]
fn sample_site_profiles_pass_profile_check() {
    let sites = root().join("profiles/sites");
    let mut args = vec!["profile".to_string(), "check".to_string()];
    for entry in std::fs::read_dir(&sites).unwrap() {
        args.push(entry.unwrap().path().to_string_lossy().into_owned());
    }
    assert!(args.len() >= 5, "expected at least three site profiles");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = hl7(&args);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(!stderr(&o).contains("error"), "{}", stderr(&o));
}

#[test]
fn profile_check_fails_on_a_broken_profile() {
    let bad = std::env::temp_dir().join(format!("hl7-cli-bad-{}.toml", std::process::id()));
    std::fs::write(
        &bad,
        "[profile]\nhl7 = \"2.5.1\"\n\n[messages.\"ADT^A01\"]\n\n[constraints]\n\"PID-3\" = { usage = \"R\", min = 4, max = 2 }\n\"PID-99\" = \"R\"\n",
    )
    .unwrap();
    let o = hl7(&["profile", "check", bad.to_str().unwrap()]);
    std::fs::remove_file(&bad).ok();
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    // Both problems, each with file:line:col, in one run.
    assert!(err.contains(":7:"), "{err}");
    assert!(err.contains(":8:"), "{err}");
}

#[test]
fn profile_show_prints_the_standard_structure() {
    let o = hl7(&[
        "profile",
        "show",
        "--version",
        "2.5.1",
        "--structure",
        "ORU_R01",
        "--depth",
        "0",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    for line in [
        "  [PATIENT_RESULT]           R       [1..*]",
        "    [ORDER_OBSERVATION]      R       [1..*]",
        "      [OBSERVATION]          O       [0..*]",
        "        OBX                  R       [1..1]",
    ] {
        assert!(out.contains(line), "missing `{line}` in\n{out}");
    }
}

#[test]
fn profile_versions_lists_the_bundled_versions() {
    let out = stdout(&hl7(&["profile", "versions"]));
    let ids: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        ids,
        [
            "2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.7.1", "2.8"
        ]
    );
}

//! `hl7 store list|show|export` end to end: a store filled through the
//! library, read by the built binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hl7_runtime::er7::parse_stream;
use hl7_runtime::store::{Options, Record, SqliteStore, Status, Store};

/// A folder removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "hl7-cli-store-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// 2026-12-04T10:00:00Z plus `minutes`.
fn at(minutes: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_796_378_400 + minutes * 60)
}

fn record(control_id: &str, message_type: &str, status: Status, minutes: u64) -> Record {
    let ack_code = match status {
        Status::Accepted => "AA",
        Status::Error => "AE",
        Status::Rejected => "AR",
    };
    Record {
        received_at: at(minutes),
        peer: "127.0.0.1:5000".into(),
        control_id: control_id.into(),
        sending_app: "LAB".into(),
        sending_facility: "HOSP".into(),
        message_type: message_type.into(),
        version: "2.5.1".into(),
        status,
        ack_code: ack_code.into(),
        findings: "[]".into(),
        raw: format!(
            "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20261204100000||{message_type}|{control_id}|P|2.5.1\rPID|1||{control_id}^^^HOSP^MR\r"
        )
        .into_bytes(),
        ack: format!(
            "MSH|^~\\&|EHR|HOSP|LAB|HOSP|20261204100001||ACK|ACK-{control_id}|P|2.5.1\rMSA|{ack_code}|{control_id}\r"
        )
        .into_bytes(),
    }
}

/// A store of six records:
/// 1 A1 ADT^A01^ADT_A01 accepted 10:00
/// 2 A2 ADT^A04^ADT_A01 error (2 findings) 10:30, LF terminators
/// 3 O1 ORU^R01^ORU_R01 accepted 11:00
/// 4 A1 ADT^A01^ADT_A01 accepted 12:00, duplicate of 1
/// 5 R1 ORM^O01 rejected 13:00
/// 6 A3 ADT^A08 accepted 2026-12-05T09:00
fn populate(path: &Path) {
    let store = SqliteStore::open(path, Options::default()).expect("store opens");
    let mut error = record("A2", "ADT^A04^ADT_A01", Status::Error, 30);
    error.findings = r#"[{"code":101,"location":"PID-3","severity":"E"},{"code":102,"location":"PID-7","severity":"W"}]"#.into();
    error.raw = b"MSH|^~\\&|LAB|HOSP|EHR|HOSP|20261204103000||ADT^A04^ADT_A01|A2|P|2.5.1\nEVN|A04\nPID|1||A2^^^HOSP^MR\n".to_vec();
    let records = [
        record("A1", "ADT^A01^ADT_A01", Status::Accepted, 0),
        error,
        record("O1", "ORU^R01^ORU_R01", Status::Accepted, 60),
        record("A1", "ADT^A01^ADT_A01", Status::Accepted, 120),
        record("R1", "ORM^O01", Status::Rejected, 180),
        record("A3", "ADT^A08", Status::Accepted, 23 * 60),
    ];
    for r in records {
        store.submit(r).wait().expect("stored");
    }
    store.close().expect("closes");
}

fn hl7(dir: &TempDir, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hl7"))
        .args(args)
        .current_dir(&dir.0)
        .output()
        .expect("the hl7 binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The ids in the first column of a `list` table.
fn table_ids(o: &Output) -> Vec<i64> {
    stdout(o)
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap().parse().unwrap())
        .collect()
}

fn with_store() -> (TempDir, String) {
    let dir = TempDir::new();
    let path = dir.path("s.sqlite");
    populate(&path);
    let path = path.to_str().unwrap().to_owned();
    (dir, path)
}

#[test]
fn list_prints_a_table_of_every_record() {
    let (dir, store) = with_store();
    let o = hl7(&dir, &["store", "list", "--store", &store]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 7, "{out}");
    let header: Vec<&str> = lines[0]
        .split("  ")
        .filter(|c| !c.is_empty())
        .map(str::trim)
        .collect();
    assert_eq!(
        header,
        [
            "ID",
            "RECEIVED",
            "PEER",
            "CONTROL ID",
            "TYPE",
            "ACK",
            "STATUS",
            "DUP OF",
            "FINDINGS"
        ]
    );
    let cells = |line: &str| {
        line.split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        cells(lines[2]),
        [
            "2",
            "2026-12-04T10:30:00.000Z",
            "127.0.0.1:5000",
            "A2",
            "ADT^A04^ADT_A01",
            "AE",
            "error",
            "-",
            "2"
        ]
    );
    assert_eq!(
        cells(lines[4]),
        [
            "4",
            "2026-12-04T12:00:00.000Z",
            "127.0.0.1:5000",
            "A1",
            "ADT^A01^ADT_A01",
            "AA",
            "accepted",
            "1",
            "0"
        ]
    );
    assert_eq!(table_ids(&o), [1, 2, 3, 4, 5, 6]);
}

#[test]
fn list_filters_by_type_status_control_id_time_and_limit() {
    let (dir, store) = with_store();
    let ids = |args: &[&str]| {
        let mut all = vec!["store", "list", "--store", &store];
        all.extend_from_slice(args);
        let o = hl7(&dir, &all);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        table_ids(&o)
    };
    assert_eq!(ids(&["--type", "ADT"]), [1, 2, 4, 6]);
    assert_eq!(ids(&["--type", "ADT^A01"]), [1, 4]);
    assert_eq!(ids(&["--type", "ORM^O01"]), [5]);
    assert_eq!(ids(&["--status", "error"]), [2]);
    assert_eq!(ids(&["--status", "REJECTED"]), [5]);
    assert_eq!(ids(&["--control-id", "A1"]), [1, 4]);
    assert_eq!(ids(&["--since", "2026-12-04T11:00:00Z"]), [3, 4, 5, 6]);
    assert_eq!(ids(&["--until", "2026-12-04T11:00:00Z"]), [1, 2]);
    assert_eq!(
        ids(&[
            "--since",
            "2026-12-04T12:00:00+01:00",
            "--until",
            "2026-12-04 12:00"
        ]),
        [3]
    );
    assert_eq!(ids(&["--since", "2026-12-05"]), [6]);
    assert_eq!(ids(&["--until", "2026-12-05"]), [1, 2, 3, 4, 5]);
    assert_eq!(ids(&["--limit", "2"]), [1, 2]);
    assert_eq!(ids(&["--limit", "2", "--newest"]), [6, 5]);
    assert_eq!(
        ids(&["--type", "ADT", "--status", "accepted", "--limit", "2"]),
        [1, 4]
    );
    assert_eq!(ids(&["--type", "MFN"]), Vec::<i64>::new());
}

#[test]
fn list_as_json_lines() {
    let (dir, store) = with_store();
    let o = hl7(
        &dir,
        &[
            "store",
            "list",
            "--store",
            &store,
            "--format",
            "json",
            "--control-id",
            "A1",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(rows.len(), 2);
    let second = &rows[1];
    assert_eq!(second["id"], 4);
    assert_eq!(second["received_at"], "2026-12-04T12:00:00.000Z");
    assert_eq!(second["message_type"], "ADT^A01^ADT_A01");
    assert_eq!(second["sending_app"], "LAB");
    assert_eq!(second["sending_facility"], "HOSP");
    assert_eq!(second["status"], "accepted");
    assert_eq!(second["ack_code"], "AA");
    assert_eq!(second["duplicate_of"], 1);
    assert_eq!(second["findings"], 0);
    assert_eq!(rows[0]["duplicate_of"], serde_json::Value::Null);
}

#[test]
fn show_prints_metadata_findings_segments_and_the_ack() {
    let (dir, store) = with_store();
    let o = hl7(&dir, &["store", "show", "2", "--store", &store]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    for expected in [
        "id            2\n",
        "received      2026-12-04T10:30:00.000Z\n",
        "peer          127.0.0.1:5000\n",
        "type          ADT^A04^ADT_A01\n",
        "control id    A2\n",
        "status        error (AE)\n",
        "findings      2\n",
        "  {\"code\":101,\"location\":\"PID-3\",\"severity\":\"E\"}\n",
        // LF-terminated on the wire, one segment per line here.
        "\nmessage (",
        "||ADT^A04^ADT_A01|A2|P|2.5.1\nEVN|A04\nPID|1||A2^^^HOSP^MR\n",
        "\nACK (",
        "||ACK|ACK-A2|P|2.5.1\nMSA|AE|A2\n",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    assert!(!out.contains('\r'));
    assert!(!out.contains("duplicate of"));
    let o = hl7(&dir, &["store", "show", "4", "--store", &store]);
    assert!(stdout(&o).contains("duplicate of  1\n"), "{}", stdout(&o));
}

#[test]
fn show_of_a_missing_record_exits_1() {
    let (dir, store) = with_store();
    let o = hl7(&dir, &["store", "show", "99", "--store", &store]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no record 99"), "{}", stderr(&o));
}

#[test]
fn export_writes_er7_with_cr_terminators_for_replay() {
    let (dir, store) = with_store();
    let o = hl7(&dir, &["store", "export", "--store", &store]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = o.stdout;
    assert!(!out.contains(&b'\n'), "only CR terminators");
    assert!(out.ends_with(b"\r"));
    let ids: Vec<String> = parse_stream(&out)
        .map(|m| {
            let m = m.expect("every exported message parses");
            m.get(&"MSH-10".parse().unwrap())
                .unwrap()
                .text()
                .into_owned()
        })
        .collect();
    assert_eq!(ids, ["A1", "A2", "O1", "A1", "R1", "A3"]);
    // The LF-terminated message comes out with CRs and nothing else changed.
    let lf = b"MSH|^~\\&|LAB|HOSP|EHR|HOSP|20261204103000||ADT^A04^ADT_A01|A2|P|2.5.1\rEVN|A04\rPID|1||A2^^^HOSP^MR\r";
    assert!(out.windows(lf.len()).any(|w| w == lf));
}

#[test]
fn export_to_a_file_with_filters_and_without_duplicates() {
    let (dir, store) = with_store();
    let file = dir.path("adt.hl7");
    let o = hl7(
        &dir,
        &[
            "store",
            "export",
            "--store",
            &store,
            "--type",
            "ADT",
            "--skip-duplicates",
            "-o",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    assert!(
        stderr(&o).contains("3 message(s) written"),
        "{}",
        stderr(&o)
    );
    let bytes = std::fs::read(&file).unwrap();
    let ids: Vec<String> = parse_stream(&bytes)
        .map(|m| {
            m.unwrap()
                .get(&"MSH-10".parse().unwrap())
                .unwrap()
                .text()
                .into_owned()
        })
        .collect();
    assert_eq!(ids, ["A1", "A2", "A3"]);
}

#[test]
fn the_default_store_is_in_the_working_directory() {
    let dir = TempDir::new();
    let o = hl7(&dir, &["store", "list"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("hl7-store.sqlite"), "{err}");
    assert!(err.contains("no such file"), "{err}");
    assert!(err.contains("--store"), "{err}");
    assert!(
        !dir.path("hl7-store.sqlite").exists(),
        "reading must not create a store"
    );

    populate(&dir.path("hl7-store.sqlite"));
    let o = hl7(&dir, &["store", "list", "--status", "rejected"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(table_ids(&o), [5]);
}

#[test]
fn bad_stores_and_bad_arguments_exit_2() {
    let dir = TempDir::new();
    let junk = dir.path("junk.sqlite");
    std::fs::write(&junk, "MSH|^~\\&|not a database\r".repeat(200)).unwrap();
    let o = hl7(&dir, &["store", "list", "--store", junk.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not an SQLite database"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("junk.sqlite"), "{}", stderr(&o));

    let (dir, store) = with_store();
    for args in [
        ["--status", "fine"],
        ["--since", "yesterday"],
        ["--until", "2026-02-30"],
        ["--limit", "-1"],
        ["--format", "xml"],
    ] {
        let mut all = vec!["store", "list", "--store", &store];
        all.extend_from_slice(&args);
        let o = hl7(&dir, &all);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(!stderr(&o).is_empty());
    }
    let o = hl7(
        &dir,
        &["store", "list", "--store", &store, "--since", "soon"],
    );
    assert!(
        stderr(&o).contains("2026-12-04T10:00:00Z"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn spans_count_back_from_now() {
    let dir = TempDir::new();
    let path = dir.path("s.sqlite");
    let store = SqliteStore::open(&path, Options::default()).unwrap();
    for (id, ago) in [("OLD", 3 * 3600), ("HOUR", 50 * 60), ("NOW", 60)] {
        let mut r = record(id, "ADT^A01", Status::Accepted, 0);
        r.received_at = SystemTime::now() - Duration::from_secs(ago);
        store.submit(r).wait().unwrap();
    }
    store.close().unwrap();
    let store = path.to_str().unwrap();
    let ids = |args: &[&str]| {
        let mut all = vec!["store", "list", "--store", store];
        all.extend_from_slice(args);
        let o = hl7(&dir, &all);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        table_ids(&o)
    };
    assert_eq!(ids(&["--since", "30m"]), [3]);
    assert_eq!(ids(&["--since", "1h"]), [2, 3]);
    assert_eq!(ids(&["--since", "1h30m"]), [2, 3]);
    assert_eq!(ids(&["--since", "1d"]), [1, 2, 3]);
    assert_eq!(ids(&["--until", "30m"]), [1, 2]);
    assert_eq!(ids(&["--since", "4h", "--until", "2h"]), [1]);
}

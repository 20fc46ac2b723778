//! Kill -9 of `hl7 serve` under load: every message it acknowledged is in
//! the store afterwards. Traffic stays on 127.0.0.1.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use hl7_runtime::mllp::ack::AckCode;
use hl7_runtime::mllp::{Client, ClientConfig, RetryPolicy};
use hl7_runtime::store::{Filter, Options, SqliteStore, Store};

const CONNECTIONS: usize = 4;
/// Each sender stops after this many messages or this long, whichever first.
const MAX_PER_CONNECTION: usize = 20_000;
const MAX_RUN: Duration = Duration::from_secs(15);

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hl7-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A running `hl7 serve`, killed when dropped (also when a test fails).
struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// Starts `hl7 serve` on a free port; returns it and its address.
fn serve(store: &Path, extra: &[&str]) -> (Serving, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hl7"))
        .args(["serve", "--listen", "127.0.0.1:0", "--store"])
        .arg(store)
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on ").nth(1) {
                let addr = rest.split_whitespace().next().unwrap_or("").to_owned();
                let _ = tx.send(addr);
            }
        }
    });
    if let Ok(addr) = rx.recv_timeout(Duration::from_secs(20)) {
        (Serving(child), addr)
    } else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("hl7 serve did not say where it listens");
    }
}

fn message(id: &str) -> Vec<u8> {
    format!(
        "MSH|^~\\&|LAB|HOSP|EHR|CLINIC|20260101120000||ORU^R01^ORU_R01|{id}|P|2.5.1\r\
         PID|1||{id}^^^HOSP^MR||DOE^JANE\r\
         OBR|1||{id}|718-7^Hemoglobin^LN\r\
         OBX|1|NM|718-7^Hemoglobin^LN||13.2|g/dL|12-16|N|||F\r"
    )
    .into_bytes()
}

/// Senders on `CONNECTIONS` connections, each recording the control ids
/// acknowledged with AA, until `stop` or a failure.
fn load(
    addr: &str,
    stop: &Arc<AtomicBool>,
    acked: &Arc<Mutex<Vec<String>>>,
) -> Vec<std::thread::JoinHandle<()>> {
    (0..CONNECTIONS)
        .map(|c| {
            let addr = addr.to_owned();
            let stop = Arc::clone(stop);
            let acked = Arc::clone(acked);
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    let mut client = Client::new(
                        addr,
                        ClientConfig {
                            ack_timeout: Duration::from_secs(5),
                            connect_timeout: Duration::from_secs(5),
                            retry: RetryPolicy::none(),
                            ..ClientConfig::default()
                        },
                    );
                    let started = Instant::now();
                    for i in 0..MAX_PER_CONNECTION {
                        if stop.load(Ordering::Relaxed) || started.elapsed() > MAX_RUN {
                            break;
                        }
                        let id = format!("K{c}-{i}");
                        match client.send(&message(&id)).await {
                            Ok(d) if d.code == Some(AckCode::ApplicationAccept) => {
                                acked.lock().unwrap().push(id);
                            }
                            Ok(d) => panic!("{id}: unexpected {:?}", d.code),
                            // The listener died: this message may or may not be stored.
                            Err(_) => break,
                        }
                    }
                });
            })
        })
        .collect()
}

#[test]
fn kill_9_under_load_loses_no_acknowledged_message() {
    let dir = temp_dir("crash");
    let path = dir.join("crash.sqlite");
    let (mut child, addr) = serve(&path, &[]);
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let senders = load(&addr, &stop, &acked);

    // Let the load run, then kill -9 while messages are in flight.
    let started = Instant::now();
    while acked.lock().unwrap().len() < 2_000 && started.elapsed() < Duration::from_secs(8) {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.0.kill().unwrap(); // SIGKILL on Unix
    let status = child.0.wait().unwrap();
    assert!(!status.success(), "the listener was killed, not stopped");
    stop.store(true, Ordering::Relaxed);
    for s in senders {
        s.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 100,
        "the load was too light to mean anything: {} ACKs",
        acked.len()
    );

    eprintln!("{} messages acknowledged before kill -9", acked.len());
    let store = SqliteStore::open(&path, Options::default()).unwrap();
    let stored: HashSet<String> = store
        .list(&Filter::new())
        .unwrap()
        .into_iter()
        .map(|s| s.control_id)
        .collect();
    let missing: Vec<&String> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged messages are not in the store, e.g. {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(5)]
    );
    // Each acknowledged message is stored once, with the ACK that was sent.
    assert!(stored.len() >= acked.len());
    store.close().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn serve_and_send_end_to_end_with_graceful_stop() {
    let dir = temp_dir("e2e");
    let path = dir.join("e2e.sqlite");
    let (mut child, addr) = serve(&path, &["--profile", "2.5.1"]);
    let good = dir.join("good.hl7");
    std::fs::write(&good, [message("G1"), message("G2")].concat()).unwrap();
    let bad = dir.join("bad.hl7");
    // PID-7 that is not a date: AE.
    std::fs::write(
        &bad,
        String::from_utf8(message("B1"))
            .unwrap()
            .replace("||DOE^JANE\r", "||DOE^JANE||2026013x\r"),
    )
    .unwrap();
    let send = |files: &[&Path]| {
        let out = Command::new(env!("CARGO_BIN_EXE_hl7"))
            .args(["send", "--to", &addr, "--timeout", "10"])
            .args(files)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = send(&[&good]);
    assert_eq!(code, Some(0), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].ends_with("#1 G1 AA"), "{out}");
    assert!(lines[1].ends_with("#2 G2 AA"), "{out}");
    let (code, out) = send(&[&bad]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.trim_end().ends_with("#1 B1 AE"), "{out}");

    // SIGTERM: a clean stop.
    let pid = child.0.id().to_string();
    let term = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(term.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "hl7 serve did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");

    let store = SqliteStore::open(&path, Options::default()).unwrap();
    let all = store.list(&Filter::new()).unwrap();
    let codes: Vec<(String, String)> = all
        .iter()
        .map(|s| {
            let r = store.get(s.id).unwrap().unwrap().record;
            (r.control_id, r.ack_code)
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("G1".to_owned(), "AA".to_owned()),
            ("G2".to_owned(), "AA".to_owned()),
            ("B1".to_owned(), "AE".to_owned())
        ]
    );
    let b1 = store.get(all[2].id).unwrap().unwrap().record;
    assert!(b1.findings.contains("\"code\":102"), "{}", b1.findings);
    store.close().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

//! Group-commit throughput of the SQLite message store.
//!
//! ```text
//! cargo bench -p hl7-benches --bench store     # measure, print a table (~6 s + build)
//! cargo test  -p hl7-benches --bench store     # a few records per case, checked
//! ```
//!
//! Each case opens a fresh store and runs N submitter threads. Every
//! submitter works in lockstep, as an MLLP connection does: submit one
//! record, wait for its receipt (the commit), then the next. With one
//! submitter every record is its own transaction; with eight, the writer
//! commits whatever the others queued meanwhile in one transaction. The
//! record carries `data/adt_a01.hl7` (3,863 bytes) as the message and a
//! short ACK.
//!
//! Every case runs once per round, rounds interleaved (so a burst of load
//! from elsewhere on the machine hits one round, not one case); the table
//! gives the median and the best round. `HL7_STORE_BENCH_ROUNDS` (3) and
//! `HL7_STORE_BENCH_MS` (500, per case and round) set the plan;
//! `HL7_STORE_BENCH_DIR` is where the store files go (the system's temp
//! folder by default: measure on the disk that will hold the store).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use hl7_runtime::store::{Durability, Filter, Options, Record, SqliteStore, Status, Store};

const MESSAGE: &[u8] = include_bytes!("data/adt_a01.hl7");

fn main() -> ExitCode {
    // Cargo passes `--bench` only under `cargo bench`.
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let run_for = Duration::from_millis(env("HL7_STORE_BENCH_MS", 500));
    let rounds = if bench_mode {
        env("HL7_STORE_BENCH_ROUNDS", 3).max(1)
    } else {
        1
    };
    let base = std::env::var_os("HL7_STORE_BENCH_DIR")
        .map_or_else(std::env::temp_dir, PathBuf::from)
        .join(format!("hl7-store-bench-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&base) {
        eprintln!("error: {}: {e}", base.display());
        return ExitCode::FAILURE;
    }
    let plan = if bench_mode {
        Plan::Time(run_for)
    } else {
        Plan::Count(50)
    };

    println!("# SQLite message store: group commit\n");
    println!(
        "{} cores, store in {}, {}-byte message per record; each submitter waits for its commit before the next record; {rounds} interleaved round(s) of {} ms per case\n",
        thread::available_parallelism().map_or(0, std::num::NonZero::get),
        base.display(),
        MESSAGE.len(),
        run_for.as_millis(),
    );
    let cases: Vec<(Durability, usize)> = [Durability::Process, Durability::Full]
        .into_iter()
        .flat_map(|d| [(d, 1), (d, 8)])
        .collect();
    let mut results: Vec<Vec<Measured>> = cases.iter().map(|_| Vec::new()).collect();
    let mut failed = false;
    for round in 0..rounds {
        for (case, &(durability, submitters)) in cases.iter().enumerate() {
            let file = base.join(format!("{durability:?}-{submitters}-{round}.sqlite"));
            match run_case(&file, durability, submitters, plan) {
                Ok(m) => results[case].push(m),
                Err(e) => {
                    eprintln!("error: {durability:?}, {submitters} submitters: {e}");
                    failed = true;
                }
            }
        }
    }
    println!(
        "| durability | submitters | records | records/s (median of rounds) | best round | p50 commit wait | p99 commit wait |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (&(durability, submitters), measured) in cases.iter().zip(&results) {
        if measured.is_empty() {
            continue;
        }
        let mut rates: Vec<f64> = measured
            .iter()
            .map(|m| per_second(m.records, m.elapsed))
            .collect();
        rates.sort_by(f64::total_cmp);
        let waits: Vec<Duration> = measured
            .iter()
            .flat_map(|m| m.waits.iter().copied())
            .collect();
        println!(
            "| {} | {submitters} | {} | {:.0} | {:.0} | {} | {} |",
            match durability {
                Durability::Full => "Full (fsync each commit)",
                _ => "Process (WAL, synchronous=NORMAL)",
            },
            waits.len(),
            rates[rates.len() / 2],
            rates[rates.len() - 1],
            micros(percentile(&waits, 0.50)),
            micros(percentile(&waits, 0.99)),
        );
    }
    let _ = std::fs::remove_dir_all(&base);
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

#[derive(Clone, Copy)]
enum Plan {
    /// Each submitter runs this long.
    Time(Duration),
    /// Each submitter stores this many records.
    Count(usize),
}

struct Measured {
    records: usize,
    elapsed: Duration,
    /// Submit-to-commit time of every record.
    waits: Vec<Duration>,
}

fn run_case(
    file: &Path,
    durability: Durability,
    submitters: usize,
    plan: Plan,
) -> Result<Measured, String> {
    let store = SqliteStore::open(file, Options::default().durability(durability))
        .map_err(|e| e.to_string())?;
    let store = Arc::new(store);
    let started = Instant::now();
    let threads: Vec<_> = (0..submitters)
        .map(|t| {
            let store = Arc::clone(&store);
            thread::spawn(move || submit_loop(&*store, t, plan))
        })
        .collect();
    let mut waits = Vec::new();
    for t in threads {
        waits.extend(t.join().map_err(|_| "a submitter panicked".to_owned())??);
    }
    let elapsed = started.elapsed();
    // Every receipt said committed: check the store holds exactly that many.
    let stored = store
        .list(&Filter::new().newest_first(true).limit(1))
        .map_err(|e| e.to_string())?
        .first()
        .map_or(0, |s| s.id);
    if usize::try_from(stored).ok() != Some(waits.len()) {
        return Err(format!(
            "{} receipts resolved but the last id is {stored}",
            waits.len()
        ));
    }
    Arc::try_unwrap(store)
        .map_err(|_| "the store is still shared".to_owned())?
        .close()
        .map_err(|e| e.to_string())?;
    for suffix in ["", "-wal", "-shm"] {
        let mut name = file.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(name);
    }
    Ok(Measured {
        records: waits.len(),
        elapsed,
        waits,
    })
}

fn submit_loop(store: &dyn Store, submitter: usize, plan: Plan) -> Result<Vec<Duration>, String> {
    let started = Instant::now();
    let mut waits = Vec::new();
    for i in 0.. {
        match plan {
            Plan::Time(d) if started.elapsed() >= d => break,
            Plan::Count(n) if i >= n => break,
            _ => {}
        }
        let control_id = format!("B{submitter}-{i}");
        let record = Record {
            received_at: SystemTime::now(),
            peer: format!("127.0.0.1:{}", 40000 + submitter),
            ack: format!(
                "MSH|^~\\&|BEDBOARD|SYNTHHOSP|SYNTH-ADT|SYNTHETIC GENERAL HOSPITAL|20240315083012||ACK^A01^ACK|{control_id}A|P|2.5.1\rMSA|AA|{control_id}\r"
            )
            .into_bytes(),
            control_id,
            sending_app: "SYNTH-ADT^1.2.840.114350.1.13.999.1^ISO".into(),
            sending_facility: "SYNTHETIC GENERAL HOSPITAL^1.2.840.114350.1.13.999^ISO".into(),
            message_type: "ADT^A01^ADT_A01".into(),
            version: "2.5.1".into(),
            status: Status::Accepted,
            ack_code: "AA".into(),
            findings: "[]".into(),
            raw: MESSAGE.to_vec(),
        };
        let sent = Instant::now();
        let stored = store.submit(record).wait().map_err(|e| e.to_string())?;
        waits.push(sent.elapsed());
        if stored.duplicate_of.is_some() {
            return Err(format!("record {} taken for a duplicate", stored.id));
        }
    }
    Ok(waits)
}

fn percentile(waits: &[Duration], p: f64) -> Duration {
    let mut sorted = waits.to_vec();
    sorted.sort_unstable();
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_sign_loss,
        reason = "an index into a list of at most millions"
    )]
    let at = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

#[allow(
    clippy::cast_precision_loss,
    reason = "record counts stay far below 2^52"
)]
fn per_second(records: usize, elapsed: Duration) -> f64 {
    records as f64 / elapsed.as_secs_f64()
}

fn micros(d: Duration) -> String {
    format!("{} µs", d.as_micros())
}

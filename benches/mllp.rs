//! MLLP round trips on loopback: the listener (parse, store, ACK) and
//! senders that wait for each ACK before the next message.
//!
//! ```text
//! cargo bench -p hl7-benches --bench mllp     # measure, print a table (~30 s + build)
//! cargo test  -p hl7-benches --bench mllp     # a few messages per case, checked
//! ```
//!
//! Each case starts a fresh listener on 127.0.0.1 (and a fresh store in
//! the temp folder, or `HL7_MLLP_BENCH_DIR`), then runs 1 or 8 connections
//! in lockstep: send `data/adt_a01.hl7` (3,863 bytes, a fresh MSH-10 each
//! time), wait for the ACK, check its MSA-2, send the next. Throughput is
//! ACKed messages per second over all connections; latency is the send to
//! ACK time of each message. Listener and senders share one tokio runtime
//! with two worker threads, on the same (shared, 2-core) machine.
//!
//! `HL7_MLLP_BENCH_MS` (3000) is how long each case runs. Arguments pick
//! cases by label: `off-1`, `off-8`, `process-1`, `process-8`, `full-1`,
//! `full-8`, `process-8-validate` (`-- process` runs every `process` case,
//! `-- =process-8` only that one).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hl7_runtime::mllp::ack::AckCode;
use hl7_runtime::mllp::{Client, ClientConfig, RetryPolicy, Server, ServerConfig, ServerStats};
use hl7_runtime::store::{Durability, Filter, Options, SqliteStore, Store};
use hl7_runtime::validate::{Catalog, Options as ValidateOptions};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const MESSAGE: &[u8] = include_bytes!("data/adt_a01.hl7");
const CONTROL_ID: &str = "|ADT-0000917734|";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StoreMode {
    Off,
    On(Durability),
}

#[derive(Clone, Copy)]
struct Case {
    store: StoreMode,
    connections: usize,
    validate: bool,
}

#[derive(Clone, Copy)]
enum Plan {
    Time(Duration),
    Count(usize),
}

struct Measured {
    messages: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bench_mode = args.iter().any(|a| a == "--bench");
    // Filters such as `process-8` or `full` pick cases by label.
    let filters: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .map(String::as_str)
        .collect();
    let run_for = Duration::from_millis(
        std::env::var("HL7_MLLP_BENCH_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(3000),
    );
    let plan = if bench_mode {
        Plan::Time(run_for)
    } else {
        Plan::Count(20)
    };
    let base = std::env::var_os("HL7_MLLP_BENCH_DIR")
        .map_or_else(std::env::temp_dir, PathBuf::from)
        .join(format!("hl7-mllp-bench-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&base) {
        eprintln!("error: {}: {e}", base.display());
        return ExitCode::FAILURE;
    }
    if !String::from_utf8_lossy(MESSAGE).contains(CONTROL_ID) {
        eprintln!("error: data/adt_a01.hl7 no longer has MSH-10 {CONTROL_ID}");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let cases = [
        (StoreMode::Off, 1, false),
        (StoreMode::Off, 8, false),
        (StoreMode::On(Durability::Process), 1, false),
        (StoreMode::On(Durability::Process), 8, false),
        (StoreMode::On(Durability::Full), 1, false),
        (StoreMode::On(Durability::Full), 8, false),
        (StoreMode::On(Durability::Process), 8, true),
    ];
    println!("# MLLP round trips on loopback\n");
    println!(
        "{} cores; {}-byte ADT^A01 per message; each connection waits for its ACK before the next message; store in {}\n",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        MESSAGE.len(),
        base.display()
    );
    println!("| store | validation | connections | messages | msg/s | p50 | p99 |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    let mut failed = false;
    let mut rates = Vec::new();
    for (n, (store, connections, validate)) in cases.into_iter().enumerate() {
        let label = format!(
            "{}-{connections}{}",
            match store {
                StoreMode::Off => "off",
                StoreMode::On(Durability::Full) => "full",
                StoreMode::On(_) => "process",
            },
            if validate { "-validate" } else { "" }
        );
        let picked = |f: &&str| match f.strip_prefix('=') {
            Some(exact) => label == exact,
            None => label.contains(f),
        };
        if !filters.is_empty() && !filters.iter().any(picked) {
            continue;
        }
        let case = Case {
            store,
            connections,
            validate,
        };
        let file = base.join(format!("case-{n}.sqlite"));
        match runtime.block_on(run_case(case, &file, plan)) {
            Ok(m) => {
                let rate = per_second(m.messages, m.elapsed);
                rates.push((store, connections, validate, rate));
                println!(
                    "| {} | {} | {connections} | {} | {rate:.0} | {} | {} |",
                    match store {
                        StoreMode::Off => "off",
                        StoreMode::On(Durability::Full) => "Full (fsync per commit)",
                        StoreMode::On(_) => "Process (WAL, synchronous=NORMAL)",
                    },
                    if validate { "v2.5.1" } else { "none" },
                    m.messages,
                    micros(percentile(&m.latencies, 0.50)),
                    micros(percentile(&m.latencies, 0.99)),
                );
            }
            Err(e) => {
                eprintln!("error: {store:?}, {connections} connections: {e}");
                failed = true;
            }
        }
        for suffix in ["", "-wal", "-shm"] {
            let mut name = file.as_os_str().to_owned();
            name.push(suffix);
            let _ = std::fs::remove_file(name);
        }
    }
    if bench_mode {
        let rate = |s: StoreMode, c: usize| {
            rates
                .iter()
                .find(|r| r.0 == s && r.1 == c && !r.2)
                .map_or(0.0, |r| r.3)
        };
        println!();
        for c in [1, 8] {
            let process = rate(StoreMode::On(Durability::Process), c);
            let full = rate(StoreMode::On(Durability::Full), c);
            if process > 0.0 && full > 0.0 {
                println!(
                    "Full durability, {c} connection(s): {:.0} msg/s, {:.1}x slower than Process",
                    full,
                    process / full
                );
            }
        }
    }
    drop(runtime);
    let _ = std::fs::remove_dir_all(&base);
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

async fn run_case(case: Case, file: &Path, plan: Plan) -> Result<Measured, String> {
    let mut server = Server::new(ServerConfig::default());
    let mut store = None;
    if let StoreMode::On(durability) = case.store {
        let s = Arc::new(
            SqliteStore::open(file, Options::default().durability(durability))
                .map_err(|e| e.to_string())?,
        );
        server = server.with_store(Arc::clone(&s) as Arc<dyn Store>);
        store = Some(s);
    }
    if case.validate {
        let (catalog, _) =
            Catalog::open("2.5.1", ValidateOptions::default()).map_err(|e| e.to_string())?;
        server = server.with_catalog(catalog);
    }
    let stats = server.stats();
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(listener, async move {
        let _ = stopped.await;
    }));
    let started = Instant::now();
    let senders: Vec<_> = (0..case.connections)
        .map(|c| tokio::spawn(sender(addr.to_string(), c, plan, case.validate)))
        .collect();
    let mut latencies = Vec::new();
    let mut error = None;
    for s in senders {
        match s.await {
            Ok(Ok(l)) => latencies.extend(l),
            Ok(Err(e)) => error = Some(e),
            Err(e) => error = Some(e.to_string()),
        }
    }
    let elapsed = started.elapsed();
    let _ = stop.send(());
    serving
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    if let Some(e) = error {
        return Err(e);
    }
    let messages = latencies.len();
    if ServerStats::get(&stats.messages) != messages as u64 {
        return Err(format!(
            "{messages} ACKs but the listener counted {} messages",
            ServerStats::get(&stats.messages)
        ));
    }
    if let Some(store) = store {
        let last = store
            .list(&Filter::new().newest_first(true).limit(1))
            .map_err(|e| e.to_string())?
            .first()
            .map_or(0, |s| s.id);
        if usize::try_from(last).ok() != Some(messages) {
            return Err(format!("{messages} ACKs but the store's last id is {last}"));
        }
        Arc::try_unwrap(store)
            .map_err(|_| "the store is still shared".to_owned())?
            .close()
            .map_err(|e| e.to_string())?;
    }
    Ok(Measured {
        messages,
        elapsed,
        latencies,
    })
}

/// One lockstep connection; the send-to-ACK time of each message.
async fn sender(
    addr: String,
    c: usize,
    plan: Plan,
    validate: bool,
) -> Result<Vec<Duration>, String> {
    let template = String::from_utf8_lossy(MESSAGE).into_owned();
    let mut client = Client::new(
        addr,
        ClientConfig {
            retry: RetryPolicy::none(),
            ack_timeout: Duration::from_secs(10),
            ..ClientConfig::default()
        },
    );
    let started = Instant::now();
    let mut latencies = Vec::new();
    for i in 0.. {
        match plan {
            Plan::Time(d) if started.elapsed() >= d => break,
            Plan::Count(n) if i >= n => break,
            _ => {}
        }
        let msg = template.replace(CONTROL_ID, &format!("|B{c}-{i}|"));
        let sent = Instant::now();
        let d = client
            .send(msg.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        latencies.push(sent.elapsed());
        // MSH-15 AL, MSH-16 NE: the accept acknowledgement. The sample
        // does not conform to the base 2.5.1 structure in every detail,
        // which is committed all the same (CA).
        if d.code != Some(AckCode::CommitAccept) {
            return Err(format!("B{c}-{i}: {:?} (validation {validate})", d.code));
        }
    }
    client.close().await;
    Ok(latencies)
}

#[allow(
    clippy::cast_precision_loss,
    reason = "message counts stay far below 2^52"
)]
fn per_second(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

fn percentile(values: &[Duration], p: f64) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_sign_loss,
        reason = "an index into a list of at most millions"
    )]
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn micros(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

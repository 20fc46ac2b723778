//! hl7-runtime side by side with the published Rust HL7 v2 crates, on two
//! hand-written v2.5.1 messages (`data/oru_r01.hl7`, `data/adt_a01.hl7`).
//!
//! ```text
//! cargo bench -p hl7-benches --bench compare            # measure, print tables
//! cargo bench -p hl7-benches --bench compare -- er7     # only cases matching "er7"
//! cargo test  -p hl7-benches                            # check + run each case once
//! ```
//!
//! Before timing anything, every crate must return PID-5.1 = `O'BRIEN` and
//! one OBX-5 per OBX; the run aborts otherwise. Values that differ from
//! ours (mostly escape decoding) are listed, not treated as failures.
//!
//! Timing: every case is calibrated to batches of about 100 ms, then all
//! cases run in interleaved rounds on one thread; the tables show the best
//! batch and the median. `HL7_BENCH_ROUNDS`, `HL7_BENCH_BATCHES` and
//! `HL7_BENCH_BATCH_MS` override the plan.
//!
//! Heap allocations are counted per thread by a wrapper around the system
//! allocator (densa-alloc: thread-local counters, no atomics, so it costs
//! about a nanosecond per call and this crate needs no `unsafe`).

mod harness;
mod subjects;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use harness::{Case, Fields, Group, Input, Measured, Plan};
use subjects::{Er7, HamaluikParser, Hl7Two, Ours, RustHl7, Subject, Zluidr};

#[global_allocator]
static GLOBAL: densa_alloc::CountingAllocator = densa_alloc::CountingAllocator::system();

/// PID-5.1 of both messages.
const PATIENT_FAMILY_NAME: &str = "O'BRIEN";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Cargo passes `--bench` only under `cargo bench`; `cargo test` runs the
    // same binary without it.
    let bench_mode = args.iter().any(|a| a == "--bench");
    let filters: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .map(String::as_str)
        .collect();

    let inputs = [
        Input {
            name: "ORU^R01",
            bytes: include_bytes!("../data/oru_r01.hl7").to_vec(),
        },
        Input {
            name: "ADT^A01",
            bytes: include_bytes!("../data/adt_a01.hl7").to_vec(),
        },
    ];
    let versions = Versions::from_build();
    let cases = registry(&versions);

    println!("# hl7-runtime vs published Rust HL7 v2 crates\n");
    println!("{}\n", machine_line());
    for input in &inputs {
        println!(
            "- {}: {} bytes, {} segments, {} OBX",
            input.name,
            input.bytes.len(),
            segment_ids(&input.bytes).len(),
            obx_count(&input.bytes)
        );
    }
    println!();

    if let Err(problems) = check_all(&cases, &inputs) {
        eprintln!("\nerror: correctness check failed; nothing was timed:");
        for problem in problems {
            eprintln!("  - {problem}");
        }
        return ExitCode::FAILURE;
    }

    if !bench_mode {
        for input in &inputs {
            for case in &cases {
                std::hint::black_box((case.run)(&input.bytes));
            }
        }
        println!(
            "Each case ran once on each message; `cargo bench -p hl7-benches --bench compare` times them."
        );
        // The plain closing line CI counts.
        println!("smoke: {} passed, 0 failed", cases.len() * inputs.len());
        return ExitCode::SUCCESS;
    }

    let selected: Vec<Case> = cases
        .into_iter()
        .filter(|c| filters.is_empty() || filters.iter().any(|f| c.label().contains(f)))
        .collect();
    if selected.is_empty() {
        eprintln!("error: no case matches {filters:?}");
        return ExitCode::FAILURE;
    }
    let plan = Plan {
        rounds: env_u32("HL7_BENCH_ROUNDS", 5),
        batches: env_u32("HL7_BENCH_BATCHES", 3),
        batch: Duration::from_millis(env_u32("HL7_BENCH_BATCH_MS", 100).into()),
    };
    assert!(
        densa_alloc::is_active(),
        "the counting allocator is not installed"
    );
    let started = Instant::now();
    let mut results = harness::measure_all(&selected, &inputs, plan, |line| {
        eprintln!("  {line} ({:.0} s)", started.elapsed().as_secs_f64());
    });
    for (case, per_input) in selected.iter().zip(&mut results) {
        for (input, measured) in inputs.iter().zip(per_input.iter_mut()) {
            measured.allocs = harness::allocs_per_msg(case, &input.bytes, 20, || {
                let stats = densa_alloc::thread_stats();
                stats.allocs + stats.reallocs
            });
        }
    }

    println!(
        "Timing: {} interleaved rounds × {} batches of ~{} ms per case and message, one thread; \
         µs/msg, msgs/s and MB/s from the best batch. allocs/msg counts alloc + realloc calls. \
         Crates that take `&str` pay for the UTF-8 check inside the timed code.\n",
        plan.rounds,
        plan.batches,
        plan.batch.as_millis()
    );
    for (i, input) in inputs.iter().enumerate() {
        let column: Vec<&Measured> = results.iter().map(|per_input| &per_input[i]).collect();
        println!(
            "## {} ({} bytes)\n\n{}",
            input.name,
            input.bytes.len(),
            harness::table(&selected, input, &column)
        );
    }
    println!(
        "total measuring time: {:.0} s",
        started.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}

/// Every case, in table order: ours first.
fn registry(versions: &Versions) -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(Case::both::<Ours>(&versions.label::<Ours>()));
    cases.extend(Case::both::<Er7>(&versions.label::<Er7>()));
    cases.extend(Case::both::<Hl7Two>(&versions.label::<Hl7Two>()));
    cases.extend(Case::both::<HamaluikParser>(
        &versions.label::<HamaluikParser>(),
    ));
    cases.extend(Case::both::<RustHl7>(&versions.label::<RustHl7>()));
    cases.extend(Case::both::<Zluidr>(&versions.label::<Zluidr>()));
    cases.extend(validation_cases(versions));
    cases.extend(json_cases(versions));
    cases
}

/// ER7 → JSON text: ours (structural JSON, lossless) and the two peers that
/// offer JSON. Each returns the length of a fresh `String`.
fn json_cases(versions: &Versions) -> [Case; 3] {
    let label = |name: &str| format!("{name} {}", versions.0.get(name).copied().unwrap_or("?"));
    [
        Case::single(
            versions.label::<Ours>(),
            "Message::parse + json::to_json",
            Group::Json,
            true,
            |msg| {
                let parsed = hl7_runtime::er7::Message::parse(msg).expect("parses");
                hl7_runtime::json::to_json(&parsed).len()
            },
        ),
        Case::single(
            label("hl7v2"),
            "parse + writer::json::to_json_string",
            Group::Json,
            false,
            |msg| {
                let parsed = hl7v2::parse(msg).expect("parses");
                hl7v2::to_json_string(&parsed).len()
            },
        ),
        Case::single(
            format!("{} + serde_json", label("hl7-parser")),
            "Message::parse + serde_json::to_string",
            Group::Json,
            false,
            |msg| {
                let text = std::str::from_utf8(msg).expect("UTF-8");
                let parsed = hl7_parser::Message::parse(text).expect("parses");
                serde_json::to_string(&parsed).expect("serialises").len()
            },
        ),
    ]
}

/// Validation rows: ours against the bundled v2.5.1 structures and against
/// the sample site profiles (profiles/sites, picked per message by MSH-9),
/// and hl7-2's dictionary `validate()`. Each returns the number of
/// findings; the profiles are loaded once, outside the timed code.
fn validation_cases(versions: &Versions) -> Vec<Case> {
    use hl7_runtime::er7::Message;
    use hl7_runtime::validate::{Catalog, Options};
    use std::cell::RefCell;

    let ours = versions.label::<Ours>();
    let base = RefCell::new(
        Catalog::open("2.5.1", Options::default())
            .expect("v2.5.1 is bundled")
            .0,
    );
    let sites = concat!(env!("CARGO_MANIFEST_DIR"), "/../profiles/sites");
    let site = RefCell::new(
        Catalog::open(sites, Options::default())
            .expect("the sample site profiles load")
            .0,
    );
    vec![
        Case::validate(
            &format!("{ours} vs HL7 v2.5.1"),
            "Message::parse + Catalog::validate (base version)",
            true,
            move |msg| {
                let m = Message::parse(msg).expect("parses");
                base.borrow_mut().validate(&m).findings.len()
            },
        ),
        Case::validate(
            &format!("{ours} vs site profile"),
            "Message::parse + Catalog::validate (profiles/sites)",
            true,
            move |msg| {
                let m = Message::parse(msg).expect("parses");
                site.borrow_mut().validate(&m).findings.len()
            },
        ),
        Case::validate(
            &versions.label::<Hl7Two>(),
            "hl7_2::parse + Message::validate (dictionary)",
            false,
            |msg| {
                let text = std::str::from_utf8(msg).expect("UTF-8");
                hl7_2::parse(text).expect("parses").validate().len()
            },
        ),
    ]
}

/// Checks every reading case on every input; prints what each returned.
fn check_all(cases: &[Case], inputs: &[Input]) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    println!("## Correctness check (PID-5.1 and OBX-5, before any timing)\n");
    println!("| crate | message | PID-5.1 | OBX-5 values | OBX-5 equal to ours |");
    println!("|---|---|---|---:|---:|");
    for input in inputs {
        let expected_obx = obx_count(&input.bytes);
        let mut reference: Option<Fields> = None;
        for case in cases.iter().filter(|c| c.group == Group::Read) {
            let Some(check) = &case.check else { continue };
            let fields = check(&input.bytes);
            if fields.pid_5_1 != [PATIENT_FAMILY_NAME] {
                problems.push(format!(
                    "{} on {}: PID-5.1 = {:?}, expected [{PATIENT_FAMILY_NAME:?}]",
                    case.subject, input.name, fields.pid_5_1
                ));
            }
            if fields.obx_5.len() != expected_obx {
                problems.push(format!(
                    "{} on {}: {} OBX-5 values, expected {expected_obx}",
                    case.subject,
                    input.name,
                    fields.obx_5.len()
                ));
            }
            let same = match &reference {
                None if case.ours => "(reference)".to_owned(),
                None => "—".to_owned(),
                Some(ours) => {
                    let differing: Vec<usize> = (0..fields.obx_5.len().max(ours.obx_5.len()))
                        .filter(|&k| fields.obx_5.get(k) != ours.obx_5.get(k))
                        .collect();
                    for &k in differing.iter().take(3) {
                        let (ours_v, theirs_v) = around_difference(
                            ours.obx_5.get(k).map_or("", String::as_str),
                            fields.obx_5.get(k).map_or("", String::as_str),
                        );
                        notes.push(format!(
                            "{} on {}, OBX #{}: ours {ours_v:?} / theirs {theirs_v:?}",
                            case.subject,
                            input.name,
                            k + 1,
                        ));
                    }
                    if differing.len() > 3 {
                        notes.push(format!(
                            "{} on {}: … and {} more differing OBX-5 values",
                            case.subject,
                            input.name,
                            differing.len() - 3
                        ));
                    }
                    format!(
                        "{}/{}",
                        ours.obx_5.len() - differing.len(),
                        ours.obx_5.len()
                    )
                }
            };
            println!(
                "| {} | {} | {} | {} | {} |",
                case.subject,
                input.name,
                fields.pid_5_1.join(" + "),
                fields.obx_5.len(),
                same
            );
            if case.ours {
                reference = Some(fields);
            }
        }
    }
    if !notes.is_empty() {
        println!("\nOBX-5 values that differ from ours (escape handling, mostly):\n");
        for note in notes {
            println!("- {note}");
        }
    }
    println!();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Both values from a little before their first difference, clipped, so
/// the listing shows where they part.
fn around_difference(ours: &str, theirs: &str) -> (String, String) {
    let first = ours
        .chars()
        .zip(theirs.chars())
        .take_while(|(a, b)| a == b)
        .count();
    let start = first.saturating_sub(20);
    let clip = |v: &str| {
        let tail: String = v.chars().skip(start).take(60).collect();
        let more = if v.chars().count() > start + 60 {
            "…"
        } else {
            ""
        };
        let less = if start > 0 { "…" } else { "" };
        format!("{less}{tail}{more}")
    };
    (clip(ours), clip(theirs))
}

/// Segment ids of a CR-terminated message, found without any parser.
fn segment_ids(msg: &[u8]) -> Vec<&[u8]> {
    msg.split(|&b| b == b'\r')
        .filter(|s| !s.is_empty())
        .map(|s| &s[..s.len().min(3)])
        .collect()
}

fn obx_count(msg: &[u8]) -> usize {
    segment_ids(msg).iter().filter(|id| **id == b"OBX").count()
}

/// Resolved crate versions, recorded by build.rs from Cargo.lock.
struct Versions(BTreeMap<&'static str, &'static str>);

impl Versions {
    fn from_build() -> Versions {
        Versions(
            env!("HL7_BENCH_PEERS")
                .split(',')
                .filter_map(|kv| kv.split_once('='))
                .collect(),
        )
    }

    fn label<T: Subject>(&self) -> String {
        if T::OURS {
            return format!("{} (ours)", T::CRATE);
        }
        format!(
            "{} {}",
            T::CRATE,
            self.0.get(T::CRATE).copied().unwrap_or("?")
        )
    }
}

/// Compiler, build profile, CPU and allocator, on one line.
fn machine_line() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let threads = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    format!(
        "Machine: {cpu} ({threads} logical CPUs); {} (opt-level {}, debug assertions {}); {} {}; \
         system allocator behind a per-thread counting wrapper (densa-alloc {}).",
        env!("HL7_BENCH_RUSTC"),
        env!("HL7_BENCH_OPT_LEVEL"),
        if cfg!(debug_assertions) { "on" } else { "off" },
        std::env::consts::OS,
        std::env::consts::ARCH,
        Versions::from_build()
            .0
            .get("densa-alloc")
            .copied()
            .unwrap_or("?"),
    )
}

fn env_u32(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&v| v > 0)
        .unwrap_or(default)
}

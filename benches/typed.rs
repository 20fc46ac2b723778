//! Typed parse of the bench messages (the stock v2.5.1 `AdtA01` and
//! `OruR01`), side by side in one run with our untyped ER7 parse and the
//! er7 crate's untyped tree (the fastest full-structure peer measured
//! here). `cargo bench -p hl7-benches --bench typed`; under `cargo test`
//! each case runs once as a check.
//!
//! "typed read" is the typed parse, then PID-5.1 and the decoded OBX-5 of
//! every OBX through the typed fields, as the compare bench reads them
//! through paths.

use std::hint::black_box;
use std::time::{Duration, Instant};

use hl7_runtime::er7::Message;
use hl7_runtime::stock::v2_5_1::{AdtA01, OruR01};
use hl7_runtime::typed::Message as _;

const ORU: &[u8] = include_bytes!("data/oru_r01.hl7");
const ADT: &[u8] = include_bytes!("data/adt_a01.hl7");

fn typed_oru(msg: &[u8]) -> usize {
    let m = Message::parse(msg).expect("parses");
    let t = OruR01::from_message(&m).expect("typed");
    t.patient_result.len()
}

fn typed_adt(msg: &[u8]) -> usize {
    let m = Message::parse(msg).expect("parses");
    let t = AdtA01::from_message(&m).expect("typed");
    t.nk1.len()
}

fn typed_read_oru(msg: &[u8]) -> usize {
    let m = Message::parse(msg).expect("parses");
    let t = OruR01::from_message(&m).expect("typed");
    let mut n = 0;
    for r in &t.patient_result {
        if let Some(p) = &r.patient
            && let Some(name) = p.pid.patient_name.first()
            && let Some(f) = &name.family_name
        {
            n += f.surname.text().len();
        }
        for o in &r.order_observation {
            for obs in &o.observation {
                for v in &obs.obx.observation_value {
                    n += hl7_runtime::types::St::from_wire(v.wire()).text().len();
                }
            }
        }
    }
    n
}

fn typed_read_adt(msg: &[u8]) -> usize {
    let m = Message::parse(msg).expect("parses");
    let t = AdtA01::from_message(&m).expect("typed");
    let mut n = 0;
    if let Some(name) = t.pid.patient_name.first()
        && let Some(f) = &name.family_name
    {
        n += f.surname.text().len();
    }
    for obx in &t.obx {
        for v in &obx.observation_value {
            n += hl7_runtime::types::St::from_wire(v.wire()).text().len();
        }
    }
    n
}

fn ours_untyped(msg: &[u8]) -> usize {
    Message::parse(msg).expect("parses").segment_count()
}

fn er7_tree(msg: &[u8]) -> usize {
    er7::parse(std::str::from_utf8(msg).expect("utf-8"))
        .expect("parses")
        .segments
        .len()
}

/// Best time per call over `batches` batches of about 20 ms each.
fn measure(f: fn(&[u8]) -> usize, msg: &[u8], batches: u32) -> Duration {
    let start = Instant::now();
    let mut calls = 0u32;
    while start.elapsed() < Duration::from_millis(20) {
        black_box(f(black_box(msg)));
        calls += 1;
    }
    let per_batch = calls.max(1);
    let mut best = Duration::MAX;
    for _ in 0..batches {
        let t = Instant::now();
        for _ in 0..per_batch {
            black_box(f(black_box(msg)));
        }
        best = best.min(t.elapsed() / per_batch);
    }
    best
}

fn main() {
    // `HL7_TYPED_LOOP=SECONDS`: only run the ORU typed parse in a loop (for
    // perf record), no table.
    if let Some(secs) = std::env::var("HL7_TYPED_LOOP")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    {
        let end = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < end {
            for _ in 0..1000 {
                black_box(typed_oru(black_box(ORU)));
            }
        }
        return;
    }
    let bench = std::env::args().any(|a| a == "--bench");
    let batches = if bench { 15 } else { 1 };
    for (label, msg, typed, read) in [
        (
            "ORU^R01",
            ORU,
            typed_oru as fn(&[u8]) -> usize,
            typed_read_oru as fn(&[u8]) -> usize,
        ),
        ("ADT^A01", ADT, typed_adt, typed_read_adt),
    ] {
        // Every case works on its message before anything is timed.
        assert!(typed(msg) > 0 || label == "ADT^A01");
        assert!(read(msg) > 0);
        if !bench {
            continue;
        }
        let er7 = measure(er7_tree, msg, batches);
        let untyped = measure(ours_untyped, msg, batches);
        let t = measure(typed, msg, batches);
        let r = measure(read, msg, batches);
        let bytes = f64::from(u32::try_from(msg.len()).expect("bench messages are small"));
        let mbps = |d: Duration| bytes / d.as_secs_f64() / 1e6;
        println!("{label}, {} bytes (best of {batches} batches)", msg.len());
        println!(
            "| work | time | MB/s | ratio to er7 0.1.4 tree ({:.1} µs, {:.0} MB/s) |",
            er7.as_secs_f64() * 1e6,
            mbps(er7)
        );
        println!("|---|---:|---:|---:|");
        for (name, d) in [
            ("ours: untyped ER7 parse", untyped),
            ("ours: typed parse (stock v2.5.1)", t),
            ("ours: typed parse + PID-5.1 + every OBX-5, decoded", r),
        ] {
            println!(
                "| {name} | {:.2} µs | {:.0} | {:.1}× |",
                d.as_secs_f64() * 1e6,
                mbps(d),
                er7.as_secs_f64() / d.as_secs_f64()
            );
        }
        println!();
    }
}

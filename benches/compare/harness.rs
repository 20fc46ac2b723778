//! A small, dependency-free bench harness: a registry of cases, interleaved
//! timing rounds, heap-allocation counts and markdown tables.
//!
//! A new row (typed parse, validation, JSON encoding, ...) is one more
//! [`Case`] pushed into the registry, usually under a new [`Group`].

use std::fmt::Write as _;
use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::subjects::{Sink, Subject};

/// What a case measures; rows are compared only within a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Group {
    /// The crate's parse entry point alone.
    Parse,
    /// Parse, then read PID-5.1 and the decoded OBX-5 of every OBX.
    Read,
    /// Parse, then validate (findings counted, not printed).
    Validate,
    /// Parse, then write the whole message as JSON text.
    Json,
}

impl Group {
    pub(crate) fn title(self) -> &'static str {
        match self {
            Group::Parse => "parse",
            Group::Read => "parse + PID-5.1 + every OBX-5 (decoded)",
            Group::Json => "ER7 → JSON text (json)",
            Group::Validate => "parse + validate",
        }
    }
}

/// The values a crate returned for one message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Fields {
    /// Every PID-5.1 the crate delivered (exactly one is expected).
    pub(crate) pid_5_1: Vec<String>,
    /// OBX-5 of every OBX, in order.
    pub(crate) obx_5: Vec<String>,
}

impl Sink for Fields {
    fn pid_5_1(&mut self, value: &str) {
        self.pid_5_1.push(value.to_owned());
    }

    fn obx_5(&mut self, value: &str) {
        self.obx_5.push(value.to_owned());
    }
}

/// A sink that only adds up lengths, so the values must be produced but
/// nothing is copied or allocated on their behalf.
#[derive(Default)]
struct Tally(usize);

impl Sink for Tally {
    fn pid_5_1(&mut self, value: &str) {
        self.0 += value.len();
    }

    fn obx_5(&mut self, value: &str) {
        self.0 += value.len() + 1;
    }
}

type RunFn = Box<dyn Fn(&[u8]) -> usize>;
type CheckFn = Box<dyn Fn(&[u8]) -> Fields>;

/// One row of the report.
pub(crate) struct Case {
    /// Crate name and version, e.g. `er7 0.1.4`.
    pub(crate) subject: String,
    /// The API path that is timed.
    pub(crate) api: &'static str,
    pub(crate) group: Group,
    pub(crate) ours: bool,
    /// The timed code: one message in, something derived from it out.
    pub(crate) run: RunFn,
    /// For [`Group::Read`] cases: the same reads, collected for checking.
    pub(crate) check: Option<CheckFn>,
}

impl Case {
    /// The parse and read cases for one crate.
    pub(crate) fn both<T: Subject>(subject: &str) -> [Case; 2] {
        let shared = Rc::new(T::new());
        let (parse, read, check) = (shared.clone(), shared.clone(), shared);
        [
            Case {
                subject: subject.to_owned(),
                api: T::PARSE_API,
                group: Group::Parse,
                ours: T::OURS,
                run: Box::new(move |msg| parse.parse(msg)),
                check: None,
            },
            Case {
                subject: subject.to_owned(),
                api: T::READ_API,
                group: Group::Read,
                ours: T::OURS,
                run: Box::new(move |msg| {
                    let mut tally = Tally::default();
                    read.read(msg, &mut tally);
                    tally.0
                }),
                check: Some(Box::new(move |msg| {
                    let mut fields = Fields::default();
                    check.read(msg, &mut fields);
                    fields
                })),
            },
        ]
    }

    /// A validation case: `run` parses and validates one message and
    /// returns the number of findings.
    pub(crate) fn validate(
        subject: &str,
        api: &'static str,
        ours: bool,
        run: impl Fn(&[u8]) -> usize + 'static,
    ) -> Case {
        Case {
            subject: subject.to_owned(),
            api,
            group: Group::Validate,
            ours,
            run: Box::new(run),
            check: None,
        }
    }

    /// A case of `group` that runs `run` on each message.
    pub(crate) fn single(
        subject: String,
        api: &'static str,
        group: Group,
        ours: bool,
        run: impl Fn(&[u8]) -> usize + 'static,
    ) -> Case {
        Case {
            subject,
            api,
            group,
            ours,
            run: Box::new(run),
            check: None,
        }
    }

    /// Name used by the command-line filter and in progress lines.
    pub(crate) fn label(&self) -> String {
        format!("{} / {}", self.subject, self.group.title())
    }
}

/// A message under test.
pub(crate) struct Input {
    pub(crate) name: &'static str,
    pub(crate) bytes: Vec<u8>,
}

/// How long to measure.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Plan {
    /// Interleaved rounds: every case runs once per round.
    pub(crate) rounds: u32,
    /// Batches per case per round.
    pub(crate) batches: u32,
    /// Target length of one batch.
    pub(crate) batch: Duration,
}

/// Timings and allocations of one case on one input.
#[derive(Clone, Debug, Default)]
pub(crate) struct Measured {
    /// Nanoseconds per message of every batch.
    pub(crate) batches_ns: Vec<f64>,
    /// Allocator calls that hand out memory (alloc + realloc) per message.
    pub(crate) allocs: f64,
}

impl Measured {
    pub(crate) fn best_ns(&self) -> f64 {
        self.batches_ns
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min)
    }

    pub(crate) fn median_ns(&self) -> f64 {
        median(&self.batches_ns)
    }
}

/// The median of `values` (the mean of the middle two for an even count).
pub(crate) fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        f64::midpoint(sorted[mid - 1], sorted[mid])
    }
}

/// Runs `case` on `input` `iters` times; returns nanoseconds per message.
fn time_batch(case: &Case, input: &[u8], iters: u64) -> f64 {
    let start = Instant::now();
    for _ in 0..iters {
        black_box((case.run)(black_box(input)));
    }
    nanos(start.elapsed()) / as_f64(iters)
}

/// Iterations that make one batch last about `target`.
pub(crate) fn calibrate(case: &Case, input: &[u8], target: Duration) -> u64 {
    // Warm up caches, lazy statics and the allocator first.
    for _ in 0..3 {
        black_box((case.run)(black_box(input)));
    }
    let mut iters = 1_u64;
    loop {
        let start = Instant::now();
        for _ in 0..iters {
            black_box((case.run)(black_box(input)));
        }
        let elapsed = start.elapsed();
        if elapsed >= target / 10 || iters >= 1 << 30 {
            let per_iter = nanos(elapsed) / as_f64(iters);
            let wanted = (nanos(target) / per_iter).ceil().max(1.0);
            // Saturating float-to-int conversion; `wanted` is positive.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            return wanted as u64;
        }
        iters *= 2;
    }
}

/// Times every case on every input in interleaved rounds, so slow drifts in
/// machine load spread over all cases instead of hitting one.
pub(crate) fn measure_all(
    cases: &[Case],
    inputs: &[Input],
    plan: Plan,
    mut progress: impl FnMut(&str),
) -> Vec<Vec<Measured>> {
    let mut iters = vec![vec![0_u64; inputs.len()]; cases.len()];
    for (c, case) in cases.iter().enumerate() {
        for (i, input) in inputs.iter().enumerate() {
            iters[c][i] = calibrate(case, &input.bytes, plan.batch);
        }
    }
    let mut results = vec![vec![Measured::default(); inputs.len()]; cases.len()];
    for round in 1..=plan.rounds {
        progress(&format!("round {round}/{}", plan.rounds));
        for (i, input) in inputs.iter().enumerate() {
            for (c, case) in cases.iter().enumerate() {
                for _ in 0..plan.batches {
                    let ns = time_batch(case, &input.bytes, iters[c][i]);
                    results[c][i].batches_ns.push(ns);
                }
            }
        }
    }
    results
}

/// Allocations per message, from a counter that `count` reads before and
/// after a run of `runs` messages.
pub(crate) fn allocs_per_msg(case: &Case, input: &[u8], runs: u32, count: impl Fn() -> u64) -> f64 {
    black_box((case.run)(black_box(input))); // Lazy initialisation is not per message.
    let before = count();
    for _ in 0..runs {
        black_box((case.run)(black_box(input)));
    }
    as_f64(count() - before) / f64::from(runs)
}

/// One markdown table per input: every group, ours first, then the peers
/// with "ours is N× faster" for the same group.
pub(crate) fn table(cases: &[Case], input: &Input, results: &[&Measured]) -> String {
    let mut out = String::new();
    let mb = as_f64(input.bytes.len() as u64) / 1e6;
    out.push_str(
        "| group | case | API timed | µs/msg (best) | µs/msg (median) | msgs/s | MB/s | allocs/msg | ours is … × faster |\n\
         |---|---|---|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut groups: Vec<Group> = cases.iter().map(|c| c.group).collect();
    groups.sort();
    groups.dedup();
    let mut ratios = Vec::new();
    for group in groups {
        let ours = cases
            .iter()
            .zip(results)
            .find(|(c, _)| c.group == group && c.ours)
            .map(|(_, m)| m.best_ns());
        for (case, m) in cases.iter().zip(results).filter(|(c, _)| c.group == group) {
            let best = m.best_ns();
            let per_sec = 1e9 / best;
            let ratio = match ours {
                Some(ours_ns) if !case.ours => {
                    ratios.push(format!(
                        "ours / {} = {:.1}× ({})",
                        case.subject,
                        best / ours_ns,
                        group.title()
                    ));
                    format!("{:.1}×", best / ours_ns)
                }
                _ => "—".to_owned(),
            };
            let name = if case.ours {
                format!("**{}**", case.subject)
            } else {
                case.subject.clone()
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                group.title(),
                name,
                case.api,
                fmt_sig(best / 1e3),
                fmt_sig(m.median_ns() / 1e3),
                fmt_thousands(per_sec),
                fmt_sig(mb * per_sec),
                fmt_thousands(m.allocs),
                ratio,
            );
        }
    }
    if !ratios.is_empty() {
        out.push('\n');
        for line in ratios {
            let _ = writeln!(out, "- {line}");
        }
    }
    out
}

/// Three significant digits, at least one decimal below 100.
pub(crate) fn fmt_sig(x: f64) -> String {
    if !x.is_finite() {
        return "—".to_owned();
    }
    if x >= 100.0 {
        fmt_thousands(x)
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else if x >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// Rounded to an integer, with thousands separators.
pub(crate) fn fmt_thousands(x: f64) -> String {
    if !x.is_finite() {
        return "—".to_owned();
    }
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if x < 0.0 && digits != "0" {
        out.insert(0, '-');
    }
    out
}

fn nanos(d: Duration) -> f64 {
    d.as_secs_f64() * 1e9
}

/// Counts and nanosecond totals here stay far below 2^52.
#[allow(clippy::cast_precision_loss)]
fn as_f64(n: u64) -> f64 {
    n as f64
}

//! The `validate` target: any parsed message against bundled version
//! structures.

use std::sync::LazyLock;

use hl7_runtime::er7::{Message, parse_stream};
use hl7_runtime::mllp::ack::{AckCode, AckError, AckOptions, build_ack};
use hl7_runtime::validate::{Code, Options, Report, Validator};
use hl7_schema::profile::structure_profile;

/// The smaller cap on findings.
const SMALL_CAP: usize = 3;

/// (default cap, small cap) validators per structure.
static VALIDATORS: LazyLock<Vec<(Validator, Validator)>> = LazyLock::new(|| {
    ["ADT_A01", "ORU_R01"]
        .iter()
        .map(|s| {
            let p = structure_profile("2.5.1", s).expect("a bundled structure");
            (
                Validator::new(p.clone()),
                Validator::with_options(p, Options::default().max_findings(SMALL_CAP)),
            )
        })
        .collect()
});

/// Validates every message `data` holds as ER7 against the v2.5.1
/// `ADT_A01` and `ORU_R01` structures, with the default cap on findings
/// and with a cap of 3. Never a panic; no more findings than the cap plus
/// one `truncated` note, which is there exactly when findings were left
/// out; both caps count the same findings in all; locations are inside
/// the message and the input. An ACK of the findings parses and holds one
/// ERR per reported finding.
///
/// # Panics
/// When an invariant breaks.
pub fn validate_any(data: &[u8]) {
    for msg in parse_stream(data).flatten().take(4) {
        for (full, small) in VALIDATORS.iter() {
            let a = full.validate(&msg);
            let b = small.validate(&msg);
            let cap = full.options().max_findings;
            check_report(&a, cap, &msg, data.len());
            check_report(&b, SMALL_CAP, &msg, data.len());
            let kept = |r: &Report| {
                r.findings
                    .iter()
                    .filter(|f| f.code != Code::Truncated)
                    .count()
            };
            // All findings, when the default cap left none out: the small
            // cap keeps the first ones and says when it left some out. (How
            // many it says it left out is not checked: the validator stops
            // early once full, so the count is approximate.)
            if a.suppressed == 0 {
                let all = kept(&a);
                assert_eq!(kept(&b), all.min(SMALL_CAP), "the first findings are kept");
                if all > SMALL_CAP {
                    assert!(
                        b.suppressed > 0,
                        "{all} findings, cap {SMALL_CAP}, none suppressed"
                    );
                }
            }
            acknowledge(&msg, &a);
        }
    }
}

fn check_report(r: &Report, cap: usize, msg: &Message<'_>, input_len: usize) {
    let truncated = r
        .findings
        .iter()
        .filter(|f| f.code == Code::Truncated)
        .count();
    assert!(truncated <= 1, "{truncated} truncated notes");
    assert_eq!(
        truncated == 1,
        r.suppressed > 0,
        "a truncated note iff suppressed"
    );
    assert!(
        r.findings.len() - truncated <= cap,
        "{} findings, cap {cap}",
        r.findings.len()
    );
    for f in &r.findings {
        let _ = f.to_string();
        let at = &f.location;
        if let Some(s) = at.segment {
            assert!(
                s < msg.segment_count(),
                "segment {s} of {}: {f}",
                msg.segment_count()
            );
        }
        assert!(
            at.offset >= msg.offset() && at.offset + at.len <= input_len,
            "offset {}+{} outside the message at {} in {input_len} bytes: {f}",
            at.offset,
            at.len,
            msg.offset()
        );
    }
}

/// The ACK the listener would send for this report.
fn acknowledge(msg: &Message<'_>, report: &Report) {
    let errors: Vec<AckError> = report.findings.iter().map(AckError::from).collect();
    let options = AckOptions::default();
    let ack = build_ack(msg, AckCode::ApplicationError, &errors, "A1", &options);
    let parsed = Message::parse(&ack).unwrap_or_else(|e| {
        panic!(
            "the ACK does not parse: {e}\n{:?}",
            String::from_utf8_lossy(&ack)
        )
    });
    assert_eq!(
        parsed.segments_named("ERR").count(),
        errors.len().min(options.max_errors),
        "one ERR per finding: {:?}",
        String::from_utf8_lossy(&ack)
    );
}

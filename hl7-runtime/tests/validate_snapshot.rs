//! Findings snapshot: every finding (severity, code, location, message, in
//! order) that the validator reports on the repository's sample messages and
//! on thousands of deterministic mutations of the bench messages, against
//! the bundled versions and the sample site profiles, with several options.
//!
//! It pins the validator's output so that its internals can be reworked (for
//! speed) without changing a single finding. The snapshot is
//! `tests/validate_snapshot.txt`; after an intended change of findings,
//! rewrite it with `UPDATE_SNAPSHOT=1 cargo test -p hl7-runtime --test
//! validate_snapshot` and review the diff.
//!
//! The mutations are pinned by a hash per mutated segment and setup (the
//! full text would be hundreds of megabytes). With `HL7_VALIDATE_DUMP=FILE`
//! set, the full renderings of the mutations go to `FILE.mutations.txt`
//! and, with `HL7_CORPUS` set too, the findings for the corpus messages
//! against the corpus profiles to FILE, for a before/after comparison by
//! hand (the corpus is not part of the repository, so that dump is not
//! checked in).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use hl7_runtime::er7::parse_stream;
use hl7_runtime::validate::{Catalog, Code, LengthMode, Options, Policy, Report, Severity};

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

/// The full rendering of a report.
fn render(r: &Report, out: &mut String) {
    let _ = writeln!(
        out,
        "  profile={:?} type={:?} control={:?} suppressed={}",
        r.profile, r.message_type, r.control_id, r.suppressed
    );
    for f in &r.findings {
        let l = &f.location;
        let _ = writeln!(
            out,
            "  {} {} {} seg={:?} {}:{} @{}+{} {}",
            f.severity, f.code, l.path, l.segment, l.line, l.column, l.offset, l.len, f.message
        );
    }
}

fn fnv(mut h: u64, s: &str) -> u64 {
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

struct Setup {
    name: &'static str,
    catalog: Catalog,
}

fn setups() -> Vec<Setup> {
    let policy: Policy = "length = info\n101 = warning\nnot-supported = info"
        .parse()
        .unwrap();
    let sites = repo("profiles/sites");
    let sites = sites.to_str().unwrap();
    let open = |spec: &str, o: Options| Catalog::open(spec, o).expect("opens").0;
    vec![
        Setup {
            name: "2.5.1",
            catalog: open("2.5.1", Options::default()),
        },
        Setup {
            name: "2.3",
            catalog: open("2.3", Options::default()),
        },
        Setup {
            name: "2.8",
            catalog: open("2.8", Options::default()),
        },
        Setup {
            name: "sites",
            catalog: open(sites, Options::default()),
        },
        Setup {
            name: "sites-escaped-policy-cap7",
            catalog: open(
                sites,
                Options::default()
                    .length(LengthMode::Escaped)
                    .policy(policy.clone())
                    .max_findings(7),
            ),
        },
        Setup {
            name: "2.5.1-escaped-policy",
            catalog: open(
                "2.5.1",
                Options::default()
                    .length(LengthMode::Escaped)
                    .policy(policy),
            ),
        },
    ]
}

/// Deterministic mutations of one message: each field of each segment
/// replaced by values that exercise every check.
fn mutations(msg: &[u8]) -> Vec<(usize, String, Vec<u8>)> {
    const VALUES: [&str; 9] = [
        "",
        "x^y&z&w^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^q",
        "\\Z99\\bad\\q\\",
        "\"\"",
        "1~2~3~4~5~6~7~8~9~10~11~12",
        "2026-13-45T99",
        "ZZ^QQ~&&&&x",
        "ÄÖü\\F\\\\S\\\\T\\\\R\\\\E\\é",
        "123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890",
    ];
    let text = String::from_utf8_lossy(msg).into_owned();
    let segs: Vec<&str> = text.split('\r').filter(|s| !s.is_empty()).collect();
    let mut out = Vec::new();
    for (i, seg) in segs.iter().enumerate() {
        let fields: Vec<&str> = seg.split('|').collect();
        // Field element 0 is the id; MSH-1/2 stay (element 1 of MSH is
        // MSH-2, mutated too except the encoding characters themselves).
        let first = if i == 0 { 2 } else { 1 };
        for k in first..=fields.len() {
            for (vi, v) in VALUES.iter().enumerate() {
                let mut f: Vec<&str> = fields.clone();
                if k == f.len() {
                    f.push(v);
                } else {
                    f[k] = v;
                }
                let mut s: Vec<String> = segs.iter().map(|s| (*s).to_owned()).collect();
                s[i] = f.join("|");
                let mut bytes = s.join("\r").into_bytes();
                bytes.push(b'\r');
                out.push((i, format!("seg {i} field {k} value {vi}"), bytes));
            }
        }
        // Drop and duplicate the segment.
        if i > 0 {
            let mut s: Vec<&str> = segs.clone();
            s.remove(i);
            let mut bytes = s.join("\r").into_bytes();
            bytes.push(b'\r');
            out.push((i, format!("drop seg {i}"), bytes));
            let mut s: Vec<&str> = segs.clone();
            s.insert(i, seg);
            s.insert(i, seg);
            let mut bytes = s.join("\r").into_bytes();
            bytes.push(b'\r');
            out.push((i, format!("triple seg {i}"), bytes));
        }
    }
    out
}

/// The snapshot; with `dump`, also every mutation's full rendering.
fn snapshot(mut dump: Option<&mut String>) -> String {
    let mut setups = setups();
    let mut out = String::new();
    let mut files: Vec<PathBuf> = [
        "benches/data/adt_a01.hl7",
        "benches/data/oru_r01.hl7",
        "examples/messages/adt_a01.hl7",
        "examples/messages/oru_r01.hl7",
    ]
    .iter()
    .map(|p| repo(p))
    .collect();
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(repo("hl7-runtime/tests/fixtures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "hl7"))
        .collect();
    fixtures.sort();
    files.extend(fixtures);
    // Whole messages: every finding.
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy();
        for (i, m) in parse_stream(&bytes).enumerate() {
            let Ok(m) = m else {
                let _ = writeln!(out, "{name} #{i}: does not parse");
                continue;
            };
            for s in &mut setups {
                let _ = writeln!(out, "{name} #{i} vs {}", s.name);
                render(&s.catalog.validate(&m), &mut out);
            }
        }
    }
    // Mutations of the bench messages: per segment mutated and setup, a
    // hash of every rendering (order and locations included) and the
    // number of findings per code; the full text goes to the dump.
    for file in ["benches/data/adt_a01.hl7", "benches/data/oru_r01.hl7"] {
        let bytes = std::fs::read(repo(file)).unwrap();
        // Not 2.3 and 2.8 (the whole messages cover them): time.
        for s in setups
            .iter_mut()
            .filter(|s| !matches!(s.name, "2.3" | "2.8"))
        {
            let mut group: Option<(String, u64, BTreeMap<String, usize>)> = None;
            let flush = |g: &mut Option<(String, u64, BTreeMap<String, usize>)>,
                         out: &mut String| {
                if let Some((label, h, codes)) = g.take() {
                    let codes: Vec<String> =
                        codes.iter().map(|(c, n)| format!("{c}×{n}")).collect();
                    let _ = writeln!(out, "{label} #{h:016x} {}", codes.join(" "));
                }
            };
            for (seg, label, mutated) in mutations(&bytes) {
                let key = format!("{file} seg {seg} vs {}", s.name);
                if group.as_ref().is_none_or(|g| g.0 != key) {
                    flush(&mut group, &mut out);
                    group = Some((key, 0xcbf2_9ce4_8422_2325, BTreeMap::new()));
                }
                let g = group.as_mut().unwrap();
                let mut r = format!("{file} {label} vs {}\n", s.name);
                match parse_stream(&mutated).next() {
                    Some(Ok(m)) => {
                        let report = s.catalog.validate(&m);
                        for f in &report.findings {
                            *g.2.entry(f.code.as_str().to_owned()).or_default() += 1;
                        }
                        render(&report, &mut r);
                    }
                    _ => r.push_str("  does not parse\n"),
                }
                g.1 = fnv(g.1, &r);
                if let Some(d) = dump.as_mut() {
                    d.push_str(&r);
                }
            }
            flush(&mut group, &mut out);
        }
    }
    out
}

#[test]
fn findings_match_the_snapshot() {
    let mut full = std::env::var_os("HL7_VALIDATE_DUMP").map(|_| String::new());
    let got = snapshot(full.as_mut());
    if let (Some(full), Some(to)) = (full, std::env::var_os("HL7_VALIDATE_DUMP")) {
        std::fs::write(PathBuf::from(to).with_extension("mutations.txt"), full).unwrap();
    }
    let path = repo("hl7-runtime/tests/validate_snapshot.txt");
    if std::env::var_os("UPDATE_SNAPSHOT").is_some() {
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).expect("the snapshot exists");
    if got != want {
        let first = got
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| got.lines().count().min(want.lines().count()));
        let show = |s: &str| {
            s.lines()
                .skip(first.saturating_sub(3))
                .take(8)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "findings differ from tests/validate_snapshot.txt from line {}:\n--- want\n{}\n--- got\n{}",
            first + 1,
            show(&want),
            show(&got)
        );
    }
    // The snapshot covers every kind of finding the sample data can give.
    for code in [
        Code::SegmentSequence,
        Code::RequiredFieldMissing,
        Code::DataType,
        Code::TableValue,
        Code::Length,
        Code::Extra,
        Code::Escape,
        Code::Cardinality,
        Code::Truncated,
    ] {
        assert!(
            got.contains(&format!(" {} ", code.as_str()))
                || got.contains(&format!(" {}×", code.as_str())),
            "no {code} finding"
        );
    }
    assert!(got.contains(&format!("{} ", Severity::Info)));
}

/// The corpus dump (see the module docs); a no-op unless both variables
/// are set.
#[test]
fn corpus_dump() {
    let (Some(corpus), Some(dump)) = (
        std::env::var_os("HL7_CORPUS"),
        std::env::var_os("HL7_VALIDATE_DUMP"),
    ) else {
        return;
    };
    let corpus = PathBuf::from(corpus);
    let profiles = corpus.join("profiles");
    let mut catalogs = vec![
        (
            "profiles".to_owned(),
            Catalog::open(profiles.to_str().unwrap(), Options::default())
                .unwrap()
                .0,
        ),
        (
            "2.5.1".to_owned(),
            Catalog::open("2.5.1", Options::default()).unwrap().0,
        ),
    ];
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&profiles)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if let Ok((c, _)) = Catalog::open(p.to_str().unwrap(), Options::default()) {
            catalogs.push((p.file_name().unwrap().to_string_lossy().into_owned(), c));
        }
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus.join("messages"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut out = String::new();
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        for (i, m) in parse_stream(&bytes).enumerate() {
            let Ok(m) = m else { continue };
            for (name, c) in &mut catalogs {
                let _ = writeln!(out, "{} #{i} vs {name}", f.display());
                render(&c.validate(&m), &mut out);
            }
        }
    }
    std::fs::write(dump, out).unwrap();
}

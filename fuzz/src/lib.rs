//! Fuzzing entry points, one per parser, shared by the cargo-fuzz targets
//! in `fuzz_targets/` and by the tests below, which replay every file under
//! `corpus/seeds` through every entry point:
//!
//! | target | entry point | parser |
//! |---|---|---|
//! | `er7` | [`parse_get_write`] | ER7 messages and streams |
//! | `json` | [`json_read`] | structural JSON |
//! | `xml` | [`xml_read`] | the HL7 v2 XML encoding |
//! | `mllp` | [`mllp_decode`] | MLLP framing, and the ACKs of the frames |
//! | `profile` | [`profile_load`] | MWB, NIST/IGAMT and TOML site profiles |
//! | `typed` | [`typed_round_trip`] | stock v2.5.1 typed messages |
//! | `validate` | [`validate_any`] | validation against bundled structures |
//! | `named` | [`named_json_read`] | named JSON into stock typed messages |
//!
//! Run a target with `cargo fuzz run er7` from this folder (on stable Rust,
//! set `RUSTC_BOOTSTRAP=1`). Seeds for ER7-reading targets are the
//! `corpus/seeds/*.hl7` files; `corpus/seeds/mllp`, `corpus/seeds/profile`
//! and `corpus/seeds/named` hold the others.

use hl7_runtime::er7::{Delimiters, Message, Path, parse_stream};
use hl7_runtime::{json, xml};

mod mllp;
mod profile;
mod typed;
mod validate;

pub use mllp::mllp_decode;
pub use profile::profile_load;
pub use typed::{named_json_read, typed_round_trip};
pub use validate::validate_any;

/// Parses `data` as a stream; for every message that parses, reads values by
/// path and by walking, writes it back and checks that the result parses to
/// the same thing, and re-encodes it with other delimiters and back.
///
/// # Panics
/// When an invariant breaks: that is what the fuzzer looks for.
pub fn parse_get_write(data: &[u8]) {
    let paths: Vec<Path> = [
        "MSH-9.1",
        "PID-5.1",
        "PID-3[*].4.2",
        "OBX[*]-5",
        "OBX[2]-5[*].2",
    ]
    .iter()
    .map(|p| p.parse().expect("fixed paths parse"))
    .collect();
    // A short UTF-8 input is also tried as a path.
    let extra = std::str::from_utf8(data)
        .ok()
        .filter(|s| s.len() < 40)
        .and_then(|s| s.parse::<Path>().ok());

    for msg in parse_stream(data).flatten() {
        for p in paths.iter().chain(extra.iter()) {
            let first = msg.get(p).map(|v| v.raw());
            assert_eq!(first, msg.get_all(p).next().map(|v| v.raw()), "{p}");
            for v in msg.get_all(p) {
                let _ = v.text();
                let _ = v.try_text();
            }
        }
        for seg in msg.segments() {
            for (_, field) in seg.fields() {
                for rep in field.repetitions() {
                    for comp in rep.components() {
                        for sub in comp.subcomponents() {
                            let _ = sub.text();
                            let _ = sub.fragments().count();
                        }
                    }
                }
            }
        }
        let _ = msg.check();

        let wire = msg.to_er7();
        let again = Message::parse(&wire).expect("written ER7 parses");
        assert_eq!(again.to_er7(), wire, "write is idempotent");
        assert_eq!(again.segment_count(), msg.segment_count());
        if msg.is_canonical() {
            assert_eq!(
                wire,
                msg.as_bytes(),
                "CR-terminated input writes back byte for byte"
            );
        }

        let alt = Delimiters {
            field: b'#',
            component: b'!',
            repetition: b'*',
            escape: b'$',
            subcomponent: b'@',
            truncation: None,
        };
        let original = msg.delimiters();
        if let Ok(other) = msg.to_er7_with(&alt) {
            let other = Message::parse(&other).expect("re-encoded ER7 parses");
            assert_eq!(other.segment_count(), msg.segment_count());
            for (a, b) in msg.segments().zip(other.segments()) {
                assert_eq!(a.field_count(), b.field_count(), "{}", a.id());
            }
            let back = other
                .to_er7_with(original)
                .expect("original delimiters are valid");
            let back = Message::parse(&back).expect("re-encoded ER7 parses");
            for (a, b) in msg.segments().zip(back.segments()) {
                for ((n, fa), (_, fb)) in a.fields().zip(b.fields()) {
                    // MSH-1 and MSH-2 are the delimiters themselves.
                    let header = a.id() == "MSH" && n <= 2;
                    if !header && fa.try_text().is_ok() {
                        assert_eq!(fa.text(), fb.text(), "{} text survives re-encoding", a.id());
                    }
                }
            }
        }

        let mut edited = msg.clone().into_owned();
        let path: Path = "ZZZ-3[2].2".parse().expect("fixed path parses");
        if edited.set(&path, "a|b^c&d~e\\f").is_ok() {
            assert_eq!(
                edited.get(&path).map(|v| v.text().into_owned()).as_deref(),
                Some("a|b^c&d~e\\f")
            );
        }
    }
}

/// ER7 → JSON → ER7 and ER7 → XML → ER7 for every message `data` holds as ER7.
///
/// # Panics
/// When a round trip does not give the same bytes.
pub fn encodings_round_trip(data: &[u8]) {
    for msg in parse_stream(data).flatten() {
        let wire = msg.to_er7();
        let text = json::to_json(&msg);
        let back = json::from_json(text.as_bytes()).expect("our JSON reads back");
        assert_eq!(back.to_er7(), wire, "ER7 → JSON → ER7");
        let doc = xml::to_xml(&msg);
        let back = xml::from_xml(&doc).expect("our XML reads back");
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].to_er7(), wire, "ER7 → XML → ER7");
    }
}

/// Reads `data` as structural JSON: never panics, and a message that reads
/// writes back to JSON that reads to the same ER7. Then the ER7 round trips.
///
/// # Panics
/// When an invariant breaks.
pub fn json_read(data: &[u8]) {
    if let Ok(msg) = json::from_json(data) {
        let wire = msg.to_er7();
        let again = json::from_json(json::to_json(&msg).as_bytes()).expect("our JSON reads back");
        assert_eq!(again.to_er7(), wire);
    }
    encodings_round_trip(data);
}

/// Reads `data` as an XML document: never panics, and every message that
/// reads writes back to XML that reads to the same ER7. Then the ER7 round
/// trips.
///
/// # Panics
/// When an invariant breaks.
pub fn xml_read(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(msgs) = xml::from_xml(text)
    {
        for msg in msgs {
            let wire = msg.to_er7();
            let again = xml::from_xml(&xml::to_xml(&msg)).expect("our XML reads back");
            assert_eq!(again[0].to_er7(), wire);
        }
    }
    encodings_round_trip(data);
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::{Path, PathBuf};

    /// Every file under `dir`, sorted.
    fn seeds(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for entry in fs::read_dir(dir).expect("a seed folder") {
            let path = entry.expect("readable entry").path();
            if path.is_dir() {
                out.extend(seeds(&path));
            } else {
                out.push(path);
            }
        }
        out.sort();
        out
    }

    fn corpus() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/seeds")
    }

    /// Replays every seed through `target`.
    fn replay(target: fn(&[u8])) -> usize {
        let all = seeds(&corpus());
        for path in &all {
            let data = fs::read(path).expect("readable seed");
            let run = std::panic::catch_unwind(|| target(&data));
            assert!(run.is_ok(), "seed {} fails", path.display());
        }
        all.len()
    }

    #[test]
    fn every_seed_folder_has_seeds() {
        for dir in ["", "mllp", "profile", "named"] {
            let n = fs::read_dir(corpus().join(dir))
                .expect("a seed folder")
                .filter(|e| e.as_ref().is_ok_and(|e| e.path().is_file()))
                .count();
            assert!(n >= 3, "only {n} seeds in corpus/seeds/{dir}");
        }
    }

    /// One test per target, so each reports on its own.
    macro_rules! replay_tests {
        ($($test:ident => $target:ident),* $(,)?) => {$(
            #[test]
            fn $test() {
                replay(super::$target);
            }
        )*};
    }

    replay_tests! {
        replay_er7 => parse_get_write,
        replay_json => json_read,
        replay_xml => xml_read,
        replay_mllp => mllp_decode,
        replay_profile => profile_load,
        replay_typed => typed_round_trip,
        replay_validate => validate_any,
        replay_named => named_json_read,
    }
}

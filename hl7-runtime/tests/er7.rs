//! The ER7 engine on whole files: the fixtures in `tests/fixtures`, and the
//! external corpus named by `HL7_CORPUS` when it is set.

use std::path::{Path as FsPath, PathBuf};

use hl7_runtime::er7::{Message, ParseErrorKind, Path, parse_stream};

fn fixture(name: &str) -> Vec<u8> {
    let p = FsPath::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn path(s: &str) -> Path {
    s.parse().unwrap()
}

fn text(m: &Message<'_>, p: &str) -> String {
    m.get(&path(p))
        .map(|v| v.text().into_owned())
        .unwrap_or_default()
}

#[test]
fn cr_message_round_trips_byte_for_byte() {
    let bytes = fixture("adt_a01_cr.hl7");
    let m = Message::parse(&bytes).unwrap();
    assert!(m.is_canonical());
    assert_eq!(m.to_er7(), bytes);
    assert_eq!(text(&m, "PID-5.1"), "EVERYMAN");
    assert_eq!(text(&m, "PID-3[2].4"), "USSSA");
    assert_eq!(text(&m, "MSH-9.3"), "ADT_A01");
    assert_eq!(text(&m, "MSH-1"), "|");
    assert_eq!(text(&m, "MSH-2"), "^~\\&");
    assert_eq!(text(&m, "MSH-4"), "GOOD HEALTH HOSPITAL");
    let ids: Vec<_> = m
        .get_all(&path("PID-3[*].1"))
        .map(|v| v.text().into_owned())
        .collect();
    assert_eq!(ids, ["PATID1234", "123456789"]);
    assert!(m.get(&path("PID-99")).is_none());
    assert!(m.get(&path("ZZZ-1")).is_none());
}

#[test]
fn lf_message_without_final_terminator() {
    let bytes = fixture("oru_r01_lf_noterm.hl7");
    let m = Message::parse(&bytes).unwrap();
    assert!(!m.is_canonical());
    let expected: Vec<u8> = bytes
        .iter()
        .map(|&b| if b == b'\n' { b'\r' } else { b })
        .chain(std::iter::once(b'\r'))
        .collect();
    assert_eq!(m.to_er7(), expected);
    let values: Vec<_> = m
        .get_all(&path("OBX[*]-5"))
        .map(|v| v.text().into_owned())
        .collect();
    assert_eq!(
        values,
        ["196", "Fasting & rested\\.br\\Line two \\ done", "A|B^C~D"]
    );
    assert_eq!(text(&m, "PID-3.4.2"), "1.2.3");
    assert_eq!(text(&m, "OBX[2]-3.2"), "Report");
    assert_eq!(text(&m, "PID-5.1"), "O'BRIEN");
    assert!(m.check().is_empty(), "{:?}", m.check());
}

#[test]
fn stream_with_bom_crlf_blank_lines_and_latin1() {
    let bytes = fixture("two_msgs_crlf_bom_latin1.hl7");
    let msgs: Vec<_> = parse_stream(&bytes).map(Result::unwrap).collect();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].offset(), 3);
    assert_eq!(msgs[0].charset().name(), "ISO-8859-1");
    assert_eq!(text(&msgs[0], "PID-5"), "Müller^Jörg");
    assert_eq!(msgs[1].index(), 1);
    assert_eq!(text(&msgs[1], "PID-5.2"), "JOHN");
    assert_eq!(&bytes[msgs[1].offset()..msgs[1].offset() + 3], b"MSH");
}

#[test]
fn batch_trailer_count_is_checked() {
    let bytes = fixture("batch_bad_count.hl7");
    let items: Vec<_> = parse_stream(&bytes).collect();
    assert_eq!(items.len(), 3);
    assert!(items[0].is_ok() && items[1].is_ok());
    let e = items[2].as_ref().unwrap_err();
    assert_eq!(e.kind(), ParseErrorKind::BatchCount);
    assert!(
        e.to_string()
            .contains("BTS-1 says the batch holds 3 messages, but 2 were read")
    );
}

#[test]
fn broken_input_reports_each_problem_and_keeps_going() {
    let bytes = fixture("broken.hl7");
    let items: Vec<_> = parse_stream(&bytes).collect();
    assert_eq!(items.len(), 3, "{items:?}");
    let e0 = items[0].as_ref().unwrap_err();
    assert_eq!(e0.kind(), ParseErrorKind::SegmentId);
    assert_eq!(e0.message_index(), Some(0));
    assert_eq!(e0.offset(), 20);
    let e1 = items[1].as_ref().unwrap_err();
    assert_eq!(e1.kind(), ParseErrorKind::Delimiters);
    assert_eq!(e1.segment(), Some(("MSH", 1)));
    assert_eq!(e1.field(), Some(2));
    let m = items[2].as_ref().unwrap();
    assert_eq!(m.index(), 2);
    // Malformed escapes keep their text and are reported.
    assert_eq!(text(m, "PID-3"), "\\XZZ\\ and \\Q\\ and unterminated \\T");
    let warnings = m.check();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].segment, Some(("PID".to_string(), 2)));
    assert_eq!(warnings[0].field, Some(3));
    assert!(m.get(&path("PID-3")).unwrap().try_text().is_err());
}

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("HL7_CORPUS").map(PathBuf::from);
    if dir.is_none() {
        eprintln!("HL7_CORPUS is not set: skipping the external corpus");
    }
    dir.map(|d| d.join("messages"))
}

fn corpus_file(dir: &FsPath, prefix: &str) -> Vec<u8> {
    let entry = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .unwrap_or_else(|| panic!("no corpus file {prefix}*"));
    std::fs::read(entry).unwrap()
}

#[test]
fn corpus_every_message_parses_and_round_trips() {
    let Some(dir) = corpus() else { return };
    let mut files = 0;
    let mut messages = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name == "INDEX.md" {
            continue;
        }
        files += 1;
        let bytes = std::fs::read(&p).unwrap();
        for item in parse_stream(&bytes) {
            if name.contains("NEGATIVE") {
                let e = item.expect_err("a NEGATIVE file must be rejected");
                assert_eq!(e.kind(), ParseErrorKind::Delimiters, "{name}: {e}");
                assert!(e.to_string().contains("MSH-2"), "{name}: {e}");
                continue;
            }
            let m = item.unwrap_or_else(|e| panic!("{name}: {e}"));
            messages += 1;
            let wire = m.to_er7();
            if m.is_canonical() {
                assert_eq!(wire, m.as_bytes(), "{name}");
            }
            let again = Message::parse(&wire).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(again.to_er7(), wire, "{name}");
            assert_eq!(again.segment_count(), m.segment_count(), "{name}");
            for (a, b) in m.segments().zip(again.segments()) {
                assert_eq!(a.raw(), b.raw(), "{name}");
            }
            // Up to terminators, the written message is the input.
            let squeeze = |b: &[u8]| -> Vec<u8> {
                b.split(|&c| c == b'\r' || c == b'\n')
                    .filter(|l| !l.is_empty())
                    .flat_map(|l| l.iter().copied().chain([b'\r']))
                    .collect()
            };
            assert_eq!(squeeze(m.as_bytes()), wire, "{name}");
        }
    }
    assert!(files >= 10, "only {files} corpus files");
    assert!(messages >= 150, "only {messages} messages");
}

#[test]
fn corpus_specific_files() {
    let Some(dir) = corpus() else { return };

    let custom = corpus_file(&dir, "04_");
    let m = Message::parse(&custom).unwrap();
    assert_eq!(m.delimiters().field, b'^');
    assert_eq!(text(&m, "MSH-9.2"), "A24");
    assert_eq!(text(&m, "PID-5.1"), "SMITH");
    assert_eq!(text(&m, "PID[2]-1"), "2");
    assert_eq!(text(&m, "PID-3.6.2"), "200M");

    let mirth = corpus_file(&dir, "29_");
    assert_eq!(parse_stream(&mirth).flatten().count(), 124);

    let batch = corpus_file(&dir, "38_");
    let items: Vec<_> = parse_stream(&batch).collect();
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items.iter().all(Result::is_ok));

    let trunc = corpus_file(&dir, "35_");
    let m = Message::parse(&trunc).unwrap();
    assert_eq!(m.delimiters().truncation, Some(b'#'));

    let doubled = corpus_file(&dir, "25_");
    let m = Message::parse(&doubled).unwrap();
    assert!(
        m.check()
            .iter()
            .any(|w| w.message.contains("doubled escape"))
    );
    assert_eq!(text(&m, "PID-5.1"), "DOE");

    let escapes = corpus_file(&dir, "32_");
    let m = Message::parse(&escapes).unwrap();
    assert_eq!(
        text(&m, "OBX-5"),
        "Result contains pipe | and ampersand & and caret ^ and tilde ~ and backslash \\ chars"
    );

    let efferent = corpus_file(&dir, "23_");
    let m = Message::parse(&efferent).unwrap();
    assert!(!m.is_canonical());

    let bom = corpus_file(&dir, "17_");
    assert_eq!(Message::parse(&bom).unwrap().offset(), 3);
}

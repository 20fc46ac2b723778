//! Validation against the bundled versions, the sample site profiles
//! (profiles/sites) and the public MWB/NIST profiles of the corpus
//! (`HL7_CORPUS`; those tests skip when it is unset).
//!
//! Every negative case names the finding it expects: code and location.

use std::path::PathBuf;

use hl7_runtime::er7::{Message, parse_stream};
use hl7_runtime::validate::{Catalog, Code, Options, Policy, Report, Severity, Validator};
use hl7_schema::profile::{load, structure_profile};

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("HL7_CORPUS")?;
    let dir = PathBuf::from(dir);
    // CI sets a path relative to the workspace root.
    Some(if dir.is_relative() {
        repo(".").join(dir)
    } else {
        dir
    })
}

fn er7(lines: &[&str]) -> Vec<u8> {
    let mut s = lines.join("\r");
    s.push('\r');
    s.into_bytes()
}

fn site(name: &str) -> Validator {
    let (p, _) = load(repo(&format!("profiles/sites/{name}.toml")))
        .into_result()
        .expect("sample site profile loads");
    Validator::new(p)
}

fn base(structure: &str) -> Validator {
    Validator::new(structure_profile("2.5.1", structure).expect("bundled"))
}

fn check(v: &Validator, bytes: &[u8]) -> Report {
    let msg = Message::parse(bytes).expect("test message parses");
    v.validate(&msg)
}

/// Asserts a finding with this code at this path.
#[track_caller]
fn expect(report: &Report, code: Code, path: &str) {
    assert!(
        report.has(code, path),
        "expected {code} at {path}; got:\n{}",
        list(report)
    );
}

fn list(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        out.push_str("  ");
        out.push_str(&f.to_string());
        out.push('\n');
    }
    out
}

fn errors(report: &Report) -> Vec<String> {
    report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(ToString::to_string)
        .collect()
}

// ----- base version ----------------------------------------------------------

const ADT_OK: &[&str] = &[
    "MSH|^~\\&|APP|FAC|RCV|RFAC|20260101120000||ADT^A01^ADT_A01|MSG1|P|2.5.1",
    "EVN||20260101120000",
    "PID|1||42^^^HOSP^MR||DOE^JOHN||19800101|M",
    "PV1|1|I",
];

fn adt(replace: &[(usize, &str)], extra: &[(usize, &str)]) -> Vec<u8> {
    let mut lines: Vec<&str> = ADT_OK.to_vec();
    for (i, l) in replace {
        lines[*i] = l;
    }
    for (i, l) in extra.iter().rev() {
        lines.insert(*i, l);
    }
    er7(&lines)
}

#[test]
fn base_positive_adt_has_no_errors() {
    let r = check(&base("ADT_A01"), &adt(&[], &[]));
    assert!(r.is_valid(), "{}", list(&r));
    assert!(errors(&r).is_empty());
    assert_eq!(r.control_id.as_deref(), Some("MSG1"));
    assert_eq!(r.message_type.as_deref(), Some("ADT^A01^ADT_A01"));
}

#[test]
fn base_required_field_missing_is_101() {
    let r = check(&base("ADT_A01"), &adt(&[(2, "PID|1||||DOE^JOHN")], &[]));
    expect(&r, Code::RequiredFieldMissing, "PID[1]-3");
    let f = r
        .findings
        .iter()
        .find(|f| f.location.path == "PID[1]-3")
        .unwrap();
    assert_eq!(f.location.line, 3);
    // PID|1||| : field 3 starts at byte 7 of the segment.
    assert_eq!(f.location.column, 8);
}

#[test]
fn base_bad_date_is_102() {
    let r = check(
        &base("ADT_A01"),
        &adt(&[(2, "PID|1||42^^^HOSP^MR||DOE^JOHN||19801301|M")], &[]),
    );
    expect(&r, Code::DataType, "PID[1]-7.1");
}

#[test]
fn base_bad_hl7_table_code_is_103() {
    let r = check(
        &base("ADT_A01"),
        &adt(
            &[(
                0,
                "MSH|^~\\&|APP|FAC|RCV|RFAC|20260101120000||ADT^A01^ADT_A01|MSG1|Q|2.5.1",
            )],
            &[],
        ),
    );
    expect(&r, Code::TableValue, "MSH[1]-11.1");
}

#[test]
fn base_undeclared_z_segment_is_100() {
    let r = check(&base("ADT_A01"), &adt(&[], &[(3, "ZZZ|1|x")]));
    expect(&r, Code::SegmentSequence, "ZZZ[1]");
    let f = r
        .findings
        .iter()
        .find(|f| f.location.path == "ZZZ[1]")
        .unwrap();
    assert!(f.message.contains("not declared"), "{}", f.message);
    assert_eq!(f.location.line, 4);
}

#[test]
fn base_missing_required_segment_is_100() {
    let mut lines = ADT_OK.to_vec();
    lines.pop();
    let r = check(&base("ADT_A01"), &er7(&lines));
    expect(&r, Code::SegmentSequence, "PV1");
}

#[test]
fn base_out_of_order_segment_is_100() {
    let lines = [ADT_OK[0], ADT_OK[1], ADT_OK[3], ADT_OK[2]];
    let r = check(&base("ADT_A01"), &er7(&lines));
    expect(&r, Code::SegmentSequence, "PID[1]");
    expect(&r, Code::SegmentSequence, "PID");
}

#[test]
fn base_wrong_version_is_203_and_wrong_event_201() {
    let r = check(
        &base("ADT_A01"),
        &adt(
            &[(
                0,
                "MSH|^~\\&|APP|FAC|RCV|RFAC|20260101120000||ADT^A01^ADT_A01|MSG1|P|2.4",
            )],
            &[],
        ),
    );
    expect(&r, Code::UnsupportedVersion, "MSH[1]-12.1");
    let r = check(
        &base("ADT_A01"),
        &adt(
            &[(
                0,
                "MSH|^~\\&|APP|FAC|RCV|RFAC|20260101120000||ORU^R01|MSG1|P|2.5.1",
            )],
            &[],
        ),
    );
    expect(&r, Code::UnsupportedMessageType, "MSH[1]-9.1");
    expect(&r, Code::UnsupportedEvent, "MSH[1]-9.2");
}

#[test]
fn base_number_and_time_formats() {
    // OBX-5 of an NM OBX is varies in the base version: not checked. PV1-1 is
    // an SI; DTM with an offset is fine, a bad offset is not.
    let r = check(
        &base("ADT_A01"),
        &adt(&[(3, "PV1|X1|I"), (1, "EVN||20260101120000+9900")], &[]),
    );
    expect(&r, Code::DataType, "PV1[1]-1");
    expect(&r, Code::DataType, "EVN[1]-2.1");
    let r = check(
        &base("ADT_A01"),
        &adt(&[(1, "EVN||20260101120000.1234-0500")], &[]),
    );
    assert!(!r.has(Code::DataType, "EVN[1]-2.1"), "{}", list(&r));
}

#[test]
fn base_extra_component_is_reported() {
    let r = check(
        &base("ADT_A01"),
        &adt(
            &[(2, "PID|1||42^^^HOSP^MR||DOE^JOHN||19800101|M^^^^^^^^^^^^^X")],
            &[],
        ),
    );
    expect(&r, Code::Extra, "PID[1]-8");
}

#[test]
fn findings_are_capped_per_message() {
    let junk = format!("PID|{}", ["19801301"; 400].join("|"));
    let v = Validator::with_options(
        structure_profile("2.5.1", "ADT_A01").unwrap(),
        Options::default().max_findings(20),
    );
    let r = check(&v, &adt(&[(2, &junk)], &[]));
    assert_eq!(r.findings.len(), 21, "{}", list(&r));
    assert!(r.suppressed > 0);
    assert_eq!(r.findings.last().unwrap().code, Code::Truncated);
}

#[test]
fn the_count_of_left_out_findings_is_exact_below_ten_times_the_cap() {
    // Found by the `validate` fuzz target: the count was off both ways.
    let msg = &std::fs::read(repo("fuzz/corpus/seeds/truncation_formatting.hl7")).unwrap()[..];
    for structure in ["ADT_A01", "ORU_R01"] {
        let all = check(&base(structure), msg);
        assert_eq!(all.suppressed, 0);
        let total = all.findings.len();
        let v = Validator::with_options(
            structure_profile("2.5.1", structure).unwrap(),
            Options::default().max_findings(3),
        );
        let r = check(&v, msg);
        assert!(total > 3, "{structure}: {}", list(&all));
        assert_eq!(r.suppressed, total - 3, "{structure}: {}", list(&all));
        assert_eq!(r.findings.len(), 4);
        let note = &r.findings.last().unwrap().message;
        assert!(
            note.starts_with(&format!("{} more findings", total - 3)),
            "{note}"
        );
    }
    // Past ten times the cap, validation stops: the count is a lower bound.
    let junk = format!("PID|{}", ["19801301"; 400].join("|"));
    let v = Validator::with_options(
        structure_profile("2.5.1", "ADT_A01").unwrap(),
        Options::default().max_findings(2),
    );
    let r = check(&v, &adt(&[(2, &junk)], &[]));
    assert_eq!(r.suppressed, 18);
    assert!(
        r.findings
            .last()
            .unwrap()
            .message
            .starts_with("at least 18 more")
    );
}

#[test]
fn policy_overrides_severity_per_code() {
    let policy = Policy::parse("101 = warning").unwrap();
    let v = Validator::with_options(
        structure_profile("2.5.1", "ADT_A01").unwrap(),
        Options::default().policy(policy),
    );
    let r = check(&v, &adt(&[(2, "PID|1||||DOE^JOHN")], &[]));
    let f = r
        .findings
        .iter()
        .find(|f| f.location.path == "PID[1]-3")
        .unwrap();
    assert_eq!(f.severity, Severity::Warning);
    assert!(r.is_valid());
}

#[test]
fn offsets_are_in_the_input_for_later_messages() {
    let mut input = adt(&[], &[]);
    let first_len = input.len();
    input.extend(adt(&[(2, "PID|1||||DOE^JOHN")], &[]));
    let v = base("ADT_A01");
    let reports: Vec<Report> = parse_stream(&input)
        .map(|m| v.validate(&m.unwrap()))
        .collect();
    assert_eq!(reports.len(), 2);
    let f = reports[1]
        .findings
        .iter()
        .find(|f| f.location.path == "PID[1]-3")
        .unwrap();
    let pid_at = first_len + ADT_OK[0].len() + ADT_OK[1].len() + 2;
    assert_eq!(f.location.offset, pid_at + 7);
}

#[test]
fn malformed_escape_is_reported() {
    let r = check(
        &base("ADT_A01"),
        &adt(&[(2, "PID|1||42^^^HOSP^MR||DOE\\Q^JOHN||19800101|M")], &[]),
    );
    expect(&r, Code::Escape, "PID[1]-5.1.1");
}

// ----- site profiles ---------------------------------------------------------

const ACME_ADT: &[&str] = &[
    "MSH|^~\\&|ACME_PAS|ACME|RCV|RFAC|20260101120000||ADT^A01^ADT_A01|MSG1|P|2.5.1",
    "EVN||20260101120000",
    "PID|1||42^^^HOSP^MR||DOE^JOHN||19800101|M",
    "ZPI|1|DOE^J|G|Y",
    "PV1|1|I|||||||||||||||||V1^^^HOSP^VN",
];

fn acme(replace: &[(usize, &str)]) -> Vec<u8> {
    let mut lines: Vec<&str> = ACME_ADT.to_vec();
    for (i, l) in replace {
        lines[*i] = l;
    }
    er7(&lines)
}

#[test]
fn site_positive_adt_is_valid() {
    let r = check(&site("acme-adt"), &acme(&[]));
    assert!(errors(&r).is_empty(), "{}", list(&r));
    assert_eq!(r.profile.as_deref(), Some("ACME ADT outbound"));
}

#[test]
fn site_negative_cases() {
    let v = site("acme-adt");
    // Constant MSH-3.1 and an X component.
    let r = check(
        &v,
        &acme(&[(
            0,
            "MSH|^~\\&|OTHER^1.2^ISO|ACME|RCV|RFAC|20260101120000||ADT^A01^ADT_A01|MSG1|P|2.5.1",
        )]),
    );
    expect(&r, Code::Constant, "MSH[1]-3.1");
    expect(&r, Code::NotSupported, "MSH[1]-3.2");
    // Site code lists (PID-8 acme-sex; PID-3.5 acme-id-type), X field PID-19,
    // max 3 repetitions of PID-3, RE PID-7.
    let r = check(
        &v,
        &acme(&[(
            2,
            "PID|1||1^^^H^MR~2^^^H^XX~3^^^H^PI~4^^^H^NI||DOE^JOHN|||Q|||||||||||123-45-6789",
        )]),
    );
    expect(&r, Code::TableValue, "PID[1]-8");
    expect(&r, Code::TableValue, "PID[1]-3[2].5");
    expect(&r, Code::NotSupported, "PID[1]-19");
    expect(&r, Code::Cardinality, "PID[1]-3");
    expect(&r, Code::RequiredButEmpty, "PID[1]-7");
    assert_eq!(
        r.findings
            .iter()
            .find(|f| f.code == Code::RequiredButEmpty)
            .unwrap()
            .severity,
        Severity::Warning
    );
    // Z segment fields: SI format and length, HL7 table 0136 on ZPI-4.
    let r = check(&v, &acme(&[(3, "ZPI|12345|DOE^J|G|Q")]));
    expect(&r, Code::Length, "ZPI[1]-1");
    expect(&r, Code::TableValue, "ZPI[1]-4");
    let r = check(&v, &acme(&[(3, "ZPI|A")]));
    expect(&r, Code::DataType, "ZPI[1]-1");
    // Required PV1-19 missing.
    let r = check(&v, &acme(&[(4, "PV1|1|I")]));
    expect(&r, Code::RequiredFieldMissing, "PV1[1]-19");
}

#[test]
fn site_declared_z_segment_is_expected_and_others_are_not() {
    let v = site("acme-adt");
    let mut lines = ACME_ADT.to_vec();
    lines.push("ZXX|1");
    let r = check(&v, &er7(&lines));
    expect(&r, Code::SegmentSequence, "ZXX[1]");
    assert!(
        !r.findings
            .iter()
            .any(|f| f.location.path.starts_with("ZPI"))
    );
    // ZPI twice: max 1.
    let mut lines = ACME_ADT.to_vec();
    lines.insert(4, "ZPI|2");
    let r = check(&v, &er7(&lines));
    expect(&r, Code::Cardinality, "ZPI[2]");
}

#[test]
fn site_per_event_constraints() {
    let v = site("acme-adt");
    let pv1 = "PV1|1|I|||||||||||||||||V1^^^HOSP^VN||||||||||||||||||||||||||20260102";
    let r = check(&v, &acme(&[(4, pv1)]));
    expect(&r, Code::NotSupported, "PV1[1]-45");
    let a08 = "MSH|^~\\&|ACME_PAS|ACME|RCV|RFAC|20260101120000||ADT^A08^ADT_A01|MSG1|P|2.5.1";
    let r = check(&v, &acme(&[(0, a08), (4, pv1)]));
    assert!(!r.has(Code::NotSupported, "PV1[1]-45"), "{}", list(&r));
}

#[test]
fn site_unsupported_event_is_201() {
    let v = site("acme-adt");
    let r = check(
        &v,
        &acme(&[(
            0,
            "MSH|^~\\&|ACME_PAS|ACME|RCV|RFAC|20260101120000||ADT^A02|MSG1|P|2.5.1",
        )]),
    );
    expect(&r, Code::UnsupportedEvent, "MSH[1]-9.2");
}

#[test]
fn catalog_picks_profiles_in_a_mixed_feed() {
    let (mut cat, errs) =
        Catalog::open(repo("profiles/sites").to_str().unwrap(), Options::default()).unwrap();
    assert!(errs.is_empty(), "{errs:?}");
    let adt = acme(&[]);
    let oru = std::fs::read(repo("benches/data/oru_r01.hl7")).unwrap();
    let orm = er7(&[
        "MSH|^~\\&|A|B|C|D|20260101||ORM^O01|1|P|2.5.1",
        "PID|1||42^^^H^MR||DOE^J",
    ]);
    let unknown = er7(&["MSH|^~\\&|A|B|C|D|20260101||QBP^Q11|1|P|2.5.1"]);
    let label = |cat: &mut Catalog, b: &[u8]| cat.validate(&Message::parse(b).unwrap()).profile;
    assert_eq!(label(&mut cat, &adt).as_deref(), Some("acme-adt"));
    assert_eq!(label(&mut cat, &oru).as_deref(), Some("acme-oru"));
    assert_eq!(label(&mut cat, &orm).as_deref(), Some("acme-orm"));
    let r = cat.validate(&Message::parse(&unknown).unwrap());
    assert!(r.profile.is_none());
    expect(&r, Code::UnsupportedMessageType, "MSH[1]-9.1");
    // MSH-21 wins over MSH-9: an ORU naming the ADT profile's id.
    let named = er7(&[
        "MSH|^~\\&|A|B|C|D|20260101||ORU^R01|1|P|2.5.1|||||||||acme-adt-1.2",
        "PID|1",
    ]);
    let r = cat.validate(&Message::parse(&named).unwrap());
    assert_eq!(r.profile.as_deref(), Some("acme-adt"));
    expect(&r, Code::UnsupportedMessageType, "MSH[1]-9.1");
}

#[test]
fn catalog_base_version_picks_the_event_structure() {
    let (mut cat, _) = Catalog::open("2.5.1", Options::default()).unwrap();
    // A04 uses ADT_A01: no 201 for the event.
    let a04 = adt(
        &[(
            0,
            "MSH|^~\\&|APP|FAC|RCV|RFAC|20260101120000||ADT^A04|MSG1|P|2.5.1",
        )],
        &[],
    );
    let r = cat.validate(&Message::parse(&a04).unwrap());
    assert_eq!(r.profile.as_deref(), Some("HL7 v2.5.1 ADT_A01"));
    assert!(r.is_valid(), "{}", list(&r));
    let zzz = er7(&["MSH|^~\\&|A|B|C|D|20260101||ADT^Z99|1|P|2.5.1"]);
    let r = cat.validate(&Message::parse(&zzz).unwrap());
    expect(&r, Code::UnsupportedEvent, "MSH[1]-9.2");
    assert!(Catalog::open("9.9", Options::default()).is_err());
}

#[test]
fn bench_messages_validate_against_their_version() {
    for (file, structure) in [("adt_a01", "ADT_A01"), ("oru_r01", "ORU_R01")] {
        let bytes = std::fs::read(repo(&format!("benches/data/{file}.hl7"))).unwrap();
        let r = check(&base(structure), &bytes);
        // The structure fits: no segment is unexpected or missing.
        assert!(
            !r.findings.iter().any(|f| f.code == Code::SegmentSequence),
            "{file}: {}",
            list(&r)
        );
    }
}

// ----- corpus profiles (HL7_CORPUS) -----------------------------------------

#[test]
fn nist_minimal_profile_w_x_and_cardinality() {
    let Some(corpus) = corpus() else {
        eprintln!("HL7_CORPUS is not set: skipped");
        return;
    };
    let (p, _) = load(corpus.join("profiles/11_nist_v2validation_test_ORU_R01_minimal.xml"))
        .into_result()
        .expect("loads");
    let v = Validator::new(p);
    let r = check(
        &v,
        &er7(&[
            "MSH|^~\\&|A|B|C|D|20260101||ORU^R01|1|P|2.5.1",
            "SFT|ACME",
            "PID|12|x|1^^^^^2.16.840^",
            "UAC|^1.2.3",
        ]),
    );
    // SFT is W; PID-2 is W; PID-3 needs 2 repetitions; UAC needs 2 in the
    // group; CX.1 is X; the PATIENT's UAC-1 is X.
    expect(&r, Code::NotSupported, "SFT[1]");
    expect(&r, Code::NotSupported, "PID[1]-2");
    expect(&r, Code::Cardinality, "PID[1]-3");
    expect(&r, Code::NotSupported, "PID[1]-3.1");
    expect(&r, Code::Cardinality, "PATIENT[1].UAC");
    expect(&r, Code::NotSupported, "UAC[1]-1");
}

#[test]
fn nist_phlip_flu_statements_and_predicates() {
    let Some(corpus) = corpus() else {
        eprintln!("HL7_CORPUS is not set: skipped");
        return;
    };
    let (mut cat, errs) = Catalog::open(
        corpus
            .join("profiles/08_nist_CDC_PHLIP_FLU_v251_ORU_R01")
            .to_str()
            .unwrap(),
        Options::default(),
    )
    .expect("the NIST set loads");
    assert!(errs.is_empty());
    let good = std::fs::read(corpus.join("messages/09_cdc_elr_oru_r01_v251_good.hl7")).unwrap();
    let msg = parse_stream(&good).next().unwrap().unwrap();
    let r = cat.validate(&msg);
    assert!(r.profile.is_some());
    // MSH-21 is absent, so the MSH_M statement on its first occurrence fails.
    expect(&r, Code::Statement, "MSH[1]");
    // A negative of our own: MSH-2 must be ^~\& or ^~\&#.
    let bad = er7(&[
        "MSH|^~\\&|LAB^2.16.840.1.114222^ISO|F^2.16.840.1^ISO|R^2.16.840.1^ISO|F^2.16.840.1^ISO|20260101120000-0500||ORU^R01^ORU_R01|1|P|2.5.1|||NE|NE|||||PHLabReport-NoAck^^2.16.840.1.113883.9.11^ISO",
        "PID|1||123-45-6789^^^H&2.16.840.1&ISO^MR||DOE^J||19800101|F",
    ]);
    let r = cat.validate(&Message::parse(&bad).unwrap());
    // CX_PID3: the ID number must not be a social security number.
    assert!(
        r.findings
            .iter()
            .any(|f| f.code == Code::Statement && f.message.contains("ID-No-SSN")),
        "{}",
        list(&r)
    );
}

#[test]
fn mwb_profiles_load_and_validate() {
    let Some(corpus) = corpus() else {
        eprintln!("HL7_CORPUS is not set: skipped");
        return;
    };
    let (p, _) = load(corpus.join("profiles/01_mwb_hapi_ADT_A01_v25_hl7.xml"))
        .into_result()
        .expect("loads");
    let v = Validator::new(p);
    let ok = er7(&[
        "MSH|^~\\&|APP|FAC|RCV|RFAC|20260101120000||ADT^A01^ADT_A01|MSG1|P|2.5",
        "EVN||20260101120000",
        "PID|1||42^^^HOSP^MR||DOE^JOHN||19800101|M",
        "PV1|1|I",
    ]);
    let r = check(&v, &ok);
    assert!(
        !r.findings
            .iter()
            .any(|f| matches!(f.code, Code::SegmentSequence | Code::RequiredFieldMissing)),
        "{}",
        list(&r)
    );
    let bad = er7(&[
        "MSH|^~\\&|APP|FAC|RCV|RFAC|20260101120000||ADT^A01^ADT_A01|MSG1|P|2.5",
        "EVN||20260101120000",
        "PID|1||||DOE^JOHN",
        "PV1|1|I",
        "ZQQ|1",
    ]);
    let r = check(&v, &bad);
    expect(&r, Code::RequiredFieldMissing, "PID[1]-3");
    expect(&r, Code::SegmentSequence, "ZQQ[1]");

    // UHN's ADT_A31 v2.4 site profile: constants on MSH-1/2 and many X.
    let (p, _) = load(corpus.join("profiles/04_mwb_hapi_UHN_ADT_A31_v24.xml"))
        .into_result()
        .expect("loads");
    let v = Validator::new(p);
    let r = check(
        &v,
        &er7(&[
            "MSH|^~\\&|A|B|C|D|20260101||ADT^A31|1|P|2.4",
            "EVN|A31|20260101",
            "PID|1||42||DOE^J",
            "PV1|1|I",
        ]),
    );
    assert!(r.profile.is_some());
    assert!(!r.has(Code::UnsupportedEvent, "MSH[1]-9.2"), "{}", list(&r));
    // The ACK profile's event ALL matches any event.
    let (p, _) = load(corpus.join("profiles/05_mwb_hapi_ACK_v24_example.xml"))
        .into_result()
        .expect("loads");
    let v = Validator::new(p);
    let r = check(
        &v,
        &er7(&["MSH|^~\\&|A|B|C|D|20260101||ACK^A01|1|P|2.4", "MSA|AA|1"]),
    );
    assert!(!r.has(Code::UnsupportedEvent, "MSH[1]-9.2"), "{}", list(&r));
}

#[test]
fn corpus_messages_never_panic_against_every_profile() {
    let Some(corpus) = corpus() else {
        eprintln!("HL7_CORPUS is not set: skipped");
        return;
    };
    let (mut cat, _) = Catalog::open(
        corpus.join("profiles").to_str().unwrap(),
        Options::default(),
    )
    .unwrap();
    let (mut base, _) = Catalog::open("2.5.1", Options::default()).unwrap();
    let mut n = 0;
    for e in std::fs::read_dir(corpus.join("messages")).unwrap() {
        let bytes = std::fs::read(e.unwrap().path()).unwrap();
        for m in parse_stream(&bytes).flatten() {
            let r = cat.validate(&m);
            assert!(r.findings.len() <= 101);
            let _ = base.validate(&m);
            n += 1;
        }
    }
    assert!(n > 100);
}

//! Typed segments and composites written with the derives: parsed from
//! real messages, written back byte for byte, unmodeled content kept and
//! reported.

use hl7_runtime::er7::{Delimiters, Message, parse_stream};
use hl7_runtime::typed::{
    Composite as _, DataType, Location, Segment as _, Shape, Unmodeled, UnmodeledKind, Usage,
};
use hl7_runtime::types::{Dtm, Id, Is, Si, St};
use hl7_runtime::{Composite, Segment};

/// HD: hierarchic designator.
#[derive(Debug, Clone, PartialEq, Composite)]
#[hl7(id = "HD")]
struct Hd<'a> {
    #[hl7(component = 1, table = "0300", len = 20)]
    namespace_id: Option<Is<'a>>,
    #[hl7(component = 2)]
    universal_id: Option<St<'a>>,
    #[hl7(component = 3, datatype = ID, table = "0301")]
    universal_id_type: Option<Id<'a>>,
    #[hl7(unmodeled)]
    rest: Unmodeled<'a>,
}

/// CX: extended composite id; CX-4 nests an HD at subcomponent level.
#[derive(Debug, Clone, PartialEq, Composite)]
#[hl7(id = "CX")]
struct Cx<'a> {
    #[hl7(component = 1, usage = R)]
    id_number: St<'a>,
    #[hl7(component = 4, datatype = HD)]
    assigning_authority: Option<Hd<'a>>,
    #[hl7(component = 5, table = "0203")]
    identifier_type_code: Option<Id<'a>>,
    #[hl7(unmodeled)]
    rest: Unmodeled<'a>,
}

/// XPN: extended person name (FN modeled as its surname text).
#[derive(Debug, Clone, PartialEq, Composite)]
#[hl7(id = "XPN")]
struct Xpn<'a> {
    #[hl7(component = 1)]
    family_name: St<'a>,
    #[hl7(component = 2)]
    given_name: Option<St<'a>>,
    #[hl7(component = 3)]
    middle: Option<St<'a>>,
    #[hl7(component = 7, table = "0200")]
    name_type_code: Option<Id<'a>>,
    #[hl7(unmodeled)]
    rest: Unmodeled<'a>,
}

#[derive(Debug, Clone, PartialEq, Segment)]
#[hl7(id = "MSH")]
struct Msh<'a> {
    #[hl7(field = 1, datatype = ST)]
    field_separator: St<'a>,
    #[hl7(field = 2)]
    encoding_characters: St<'a>,
    #[hl7(field = 3)]
    sending_application: Option<Hd<'a>>,
    #[hl7(field = 7)]
    date_time: Dtm<'a>,
    #[hl7(field = 10, len = 199)]
    control_id: St<'a>,
    #[hl7(field = 12)]
    version_id: St<'a>,
    #[hl7(unmodeled)]
    rest: Unmodeled<'a>,
}

#[derive(Debug, Clone, PartialEq, Segment)]
#[hl7(id = "PID")]
struct Pid<'a> {
    #[hl7(field = 1, datatype = SI)]
    set_id: Option<Si<'a>>,
    #[hl7(field = 3, datatype = CX, usage = R, min = 1, max = *)]
    identifiers: Vec<Cx<'a>>,
    #[hl7(field = 5, datatype = XPN, usage = R, max = 3, len = 250)]
    names: Vec<Xpn<'a>>,
    #[hl7(field = 6, usage = O)]
    mothers_maiden_name: Option<Xpn<'a>>,
    #[hl7(field = 7, datatype = DTM, usage = RE)]
    birth: Dtm<'a>,
    #[hl7(field = 8, table = "0001", len = 1)]
    sex: Option<Is<'a>>,
    #[hl7(unmodeled)]
    rest: Unmodeled<'a>,
}

/// A site's Z segment.
#[derive(Debug, Clone, PartialEq, Segment)]
#[hl7(id = "ZPI")]
struct Zpi<'a> {
    #[hl7(field = 1, usage = R)]
    set_id: Si<'a>,
    #[hl7(field = 2, table = "9001")]
    pet_kind: Option<Is<'a>>,
    #[hl7(field = 3, max = *)]
    nicknames: Vec<St<'a>>,
    #[hl7(field = 5)]
    vet: Option<Xpn<'a>>,
    #[hl7(unmodeled)]
    rest: Unmodeled<'a>,
}

fn bench_adt() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../benches/data/adt_a01.hl7"
    ))
    .unwrap()
}

#[test]
fn pid_from_the_bench_adt() {
    let input = bench_adt();
    let msg = Message::parse(&input).unwrap();
    let seg = msg.segments_named("PID").next().unwrap();
    let pid = Pid::from_er7(&seg).unwrap();

    assert_eq!(pid.set_id.as_ref().unwrap().value().unwrap(), Some(1));
    assert_eq!(pid.identifiers.len(), 3);
    let mrn = &pid.identifiers[0];
    assert_eq!(mrn.id_number, "MRN-4471902");
    let hd = mrn.assigning_authority.as_ref().unwrap();
    assert_eq!(hd.namespace_id.as_ref().unwrap(), "MRN");
    assert_eq!(hd.universal_id.as_ref().unwrap(), "1.2.3");
    assert_eq!(hd.universal_id_type.as_ref().unwrap(), "ISO");
    assert_eq!(mrn.identifier_type_code.as_ref().unwrap(), "MR");
    assert_eq!(pid.identifiers[1].id_number, "999-00-4471");

    assert_eq!(pid.names.len(), 2);
    assert_eq!(pid.names[0].family_name, "O'BRIEN");
    assert_eq!(pid.names[0].given_name.as_ref().unwrap(), "MAEVE");
    assert_eq!(pid.names[0].name_type_code.as_ref().unwrap(), "L");
    assert_eq!(pid.names[1].family_name, "KEANE");
    assert_eq!(pid.names[1].name_type_code.as_ref().unwrap(), "M");
    assert_eq!(
        pid.mothers_maiden_name
            .as_ref()
            .unwrap()
            .given_name
            .as_ref()
            .unwrap(),
        "SIOBHAN"
    );
    let birth = pid.birth.datetime().unwrap().unwrap();
    assert_eq!(birth.date().year(), 1978);
    assert_eq!(pid.sex.as_ref().unwrap(), "F");

    // Byte for byte.
    assert_eq!(pid.to_er7(msg.delimiters()), seg.raw());

    // Unmodeled: PID-10 and on, XPN-5 (prefix) and XPN-11, CX-6 ...
    let report: Vec<String> = pid.unmodeled().iter().map(ToString::to_string).collect();
    assert!(
        report.contains(&"PID-10: not modeled: \"2106-3^White^CDCREC\"".to_owned()),
        "{report:#?}"
    );
    assert!(
        report.contains(&"PID-5.5: not modeled: \"MS\"".to_owned()),
        "{report:#?}"
    );
    assert!(
        report.contains(&"PID-5.12: not modeled: \"20000101\"".to_owned()),
        "{report:#?}"
    );
    assert!(
        report.contains(&"PID-3[3].7: not modeled: \"20240101\"".to_owned()),
        "{report:#?}"
    );
    // Sorted by location.
    let fields: Vec<usize> = pid.unmodeled().iter().map(|u| u.location.field).collect();
    assert!(fields.is_sorted(), "{fields:?}");
}

#[test]
fn msh_from_the_bench_adt() {
    let input = bench_adt();
    let msg = Message::parse(&input).unwrap();
    let seg = msg.segment(0).unwrap();
    let msh = Msh::from_er7(&seg).unwrap();
    assert_eq!(msh.field_separator, "|");
    assert_eq!(msh.encoding_characters, "^~\\&");
    let app = msh.sending_application.as_ref().unwrap();
    assert_eq!(app.namespace_id.as_ref().unwrap(), "SYNTH-ADT");
    assert_eq!(app.universal_id_type.as_ref().unwrap(), "ISO");
    assert_eq!(msh.control_id, "ADT-0000917734");
    assert_eq!(msh.version_id, "2.5.1");
    assert_eq!(
        msh.date_time
            .datetime()
            .unwrap()
            .unwrap()
            .offset()
            .unwrap()
            .minutes(),
        -300
    );
    assert_eq!(msh.to_er7(msg.delimiters()), seg.raw());
    assert!(
        msh.unmodeled()
            .iter()
            .any(|u| u.location.to_string() == "MSH-9")
    );
}

#[test]
fn every_fixture_segment_round_trips() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "hl7"))
        .collect();
    files.push(concat!(env!("CARGO_MANIFEST_DIR"), "/../benches/data/adt_a01.hl7").into());
    files.sort();
    let mut checked = 0;
    for path in &files {
        let input = std::fs::read(path).unwrap();
        for msg in parse_stream(&input) {
            let Ok(msg) = msg else { continue };
            for seg in msg.segments() {
                let out = match seg.id() {
                    "MSH" => Msh::from_er7(&seg).unwrap().to_er7(msg.delimiters()),
                    "PID" => Pid::from_er7(&seg).unwrap().to_er7(msg.delimiters()),
                    _ => continue,
                };
                assert_eq!(
                    String::from_utf8_lossy(&out),
                    String::from_utf8_lossy(seg.raw()),
                    "{}",
                    path.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 6, "{checked}");
}

const WITH_Z: &[u8] = b"MSH|^~\\&|A||B||20260101||ADT^A01|1|P|2.5\r\
PID|1||42^^^HOSP^MR||DOE^JANE\r\
ZPI|7|DOG~CAT|Rex~Rexy~|lost|HERRIOT^JAMES^^^DR^^^^^^x^y|||\r";

#[test]
fn z_segment_keeps_and_reports_what_it_does_not_model() {
    let msg = Message::parse(WITH_Z).unwrap();
    let zpi = Zpi::first_in(&msg).unwrap().unwrap();
    assert_eq!(zpi.set_id.value().unwrap(), Some(7));
    // ZPI-2 is single-valued: the first repetition is typed, the rest kept.
    assert_eq!(zpi.pet_kind.as_ref().unwrap(), "DOG");
    assert_eq!(zpi.nicknames.len(), 3);
    assert_eq!(zpi.nicknames[2], "");
    let vet = zpi.vet.as_ref().unwrap();
    assert_eq!(vet.family_name, "HERRIOT");
    assert_eq!(vet.rest.get(5), Some(&b"DR"[..]));

    let seg = msg.segments_named("ZPI").next().unwrap();
    assert_eq!(zpi.to_er7(msg.delimiters()), seg.raw());

    let items = zpi.unmodeled();
    let shown: Vec<(String, UnmodeledKind, &[u8])> = items
        .iter()
        .map(|u| (u.location.to_string(), u.kind, u.raw))
        .collect();
    assert_eq!(
        shown,
        vec![
            (
                "ZPI-2".to_owned(),
                UnmodeledKind::MoreRepetitions,
                &b"CAT"[..]
            ),
            ("ZPI-4".to_owned(), UnmodeledKind::Undeclared, &b"lost"[..]),
            ("ZPI-5.5".to_owned(), UnmodeledKind::Undeclared, &b"DR"[..]),
            ("ZPI-5.11".to_owned(), UnmodeledKind::Undeclared, &b"x"[..]),
            ("ZPI-5.12".to_owned(), UnmodeledKind::Undeclared, &b"y"[..]),
        ]
    );
    assert_eq!(items[1].location, Location::segment("ZPI").field(4, 1));
}

#[test]
fn edits_are_written() {
    let msg = Message::parse(WITH_Z).unwrap();
    let mut zpi = Zpi::first_in(&msg).unwrap().unwrap();
    zpi.pet_kind = None;
    zpi.nicknames.truncate(1);
    zpi.rest.set(4, &b"found"[..]);
    zpi.rest.set(9, &b"new"[..]);
    let vet = zpi.vet.as_mut().unwrap();
    vet.given_name = None;
    vet.rest = Unmodeled::new();
    assert_eq!(
        zpi.to_er7(msg.delimiters()),
        b"ZPI|7|~CAT|Rex|found|HERRIOT||||new"
    );

    // Built from nothing: no trailing separators.
    let mut fresh = <Xpn<'static> as DataType<'static>>::empty();
    fresh.family_name = St::from("SMITH");
    fresh.name_type_code = Some(Id::from("L"));
    let mut out = Vec::new();
    fresh.write_er7(
        &mut out,
        &Delimiters::default(),
        hl7_runtime::er7::Level::Repetition,
    );
    assert_eq!(out, b"SMITH^^^^^^L");
    let zpi = Zpi {
        set_id: Si::from("1"),
        pet_kind: None,
        nicknames: vec![],
        vet: Some(fresh),
        rest: Unmodeled::new(),
    };
    assert_eq!(zpi.to_er7(&Delimiters::default()), b"ZPI|1||||SMITH^^^^^^L");
    assert!(zpi.unmodeled().is_empty());
}

#[test]
fn writes_with_other_delimiters() {
    let msg = Message::parse(WITH_Z).unwrap();
    let pid = Pid::first_in(&msg).unwrap().unwrap();
    let other = Delimiters {
        field: b'#',
        component: b'$',
        repetition: b'*',
        escape: b'!',
        subcomponent: b'%',
        truncation: None,
    };
    assert_eq!(pid.to_er7(&other), b"PID#1##42$$$HOSP$MR##DOE$JANE");
}

#[test]
fn wrong_segment_is_an_error() {
    let msg = Message::parse(WITH_Z).unwrap();
    let err = Zpi::from_er7(&msg.segment(1).unwrap()).unwrap_err();
    assert!(err.is_wrong_segment());
    assert_eq!(
        (err.expected(), err.found(), err.segment_position()),
        ("ZPI", "PID", 1)
    );
    assert_eq!(
        err.to_string(),
        "expected a ZPI segment, found PID (segment 2)"
    );
}

#[test]
fn metadata_for_the_validator() {
    let meta = Pid::META;
    assert_eq!(meta.id, "PID");
    let positions: Vec<usize> = meta.fields.iter().map(|f| f.position).collect();
    assert_eq!(positions, [1, 3, 5, 6, 7, 8]);
    let names = meta.field(5).unwrap();
    assert_eq!(
        (
            names.name,
            names.data_type,
            names.usage,
            names.min,
            names.max,
            names.len,
            names.table,
            names.shape
        ),
        (
            "names",
            "XPN",
            Usage::R,
            1,
            Some(3),
            Some(250),
            None,
            Shape::Repeated
        )
    );
    let ids = meta.field(3).unwrap();
    assert_eq!((ids.min, ids.max, ids.data_type), (1, None, "CX"));
    let sex = meta.field(8).unwrap();
    assert_eq!(
        (sex.usage, sex.min, sex.max, sex.table, sex.data_type),
        (Usage::O, 0, Some(1), Some("0001"), "IS")
    );
    let birth = meta.field(7).unwrap();
    assert_eq!(
        (birth.usage, birth.min, birth.shape),
        (Usage::RE, 0, Shape::Single)
    );
    assert!(meta.field(2).is_none());

    assert_eq!(Cx::META.data_type, "CX");
    assert_eq!(Cx::META.component(4).unwrap().data_type, "HD");
    assert_eq!(Hd::META.components[0].table, Some("0300"));
    assert_eq!(Zpi::META.field(3).unwrap().max, None);
}

#[test]
fn a_composite_alone_from_a_value() {
    let msg = Message::parse(WITH_Z).unwrap();
    let value = msg.get(&"PID-3".parse().unwrap()).unwrap();
    let cx = Cx::from_er7_value(&value.repetition(1).unwrap());
    assert_eq!(cx.id_number, "42");
    assert_eq!(
        cx.assigning_authority
            .as_ref()
            .unwrap()
            .namespace_id
            .as_ref()
            .unwrap(),
        "HOSP"
    );
    let at = Location::segment("PID").field(3, 1);
    assert!(cx.unmodeled_at(at).is_empty());
    // At component level, its parts are subcomponents.
    let hd = Hd::from_er7_value(&value.component(4).unwrap());
    assert_eq!(hd.namespace_id.as_ref().unwrap(), "HOSP");
}

mod round_trip {
    use super::{Pid, Zpi};
    use hl7_runtime::er7::Message;
    use hl7_runtime::typed::Segment as _;
    use proptest::prelude::*;

    fn body() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just("a"),
                Just("7"),
                Just("|"),
                Just("^"),
                Just("~"),
                Just("&"),
                Just("\\F\\"),
                Just("\"\""),
            ],
            0..40,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #[test]
        fn any_segment_writes_back_byte_for_byte(body in body(), pid in any::<bool>()) {
            let id = if pid { "PID" } else { "ZPI" };
            let input = format!("MSH|^~\\&|A\r{id}|{body}\r");
            let msg = Message::parse(input.as_bytes()).unwrap();
            let seg = msg.segment(1).unwrap();
            let out = if pid {
                Pid::from_er7(&seg).unwrap().to_er7(msg.delimiters())
            } else {
                Zpi::from_er7(&seg).unwrap().to_er7(msg.delimiters())
            };
            prop_assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(seg.raw()));
        }
    }
}

//! Hand-written typed groups and messages through `#[derive(Group,
//! Message)]`: the same code path as generated ones.
#![cfg(feature = "derive")]

use hl7_runtime::er7::Message as Er7;
use hl7_runtime::typed::{ExtraSegments, Leftover, MemberMeta, Message, NodeMeta, Unmodeled};
use hl7_runtime::types::{Nm, Si, St};

#[derive(Debug, Clone, PartialEq, hl7_runtime::Segment)]
#[hl7(id = "MSH")]
struct Msh<'a> {
    #[hl7(field = 9)]
    message_type: Option<St<'a>>,
    #[hl7(field = 10)]
    control_id: Option<St<'a>>,
    #[hl7(unmodeled)]
    rest: Unmodeled<'a>,
}

#[derive(Debug, Clone, PartialEq, hl7_runtime::Segment)]
#[hl7(id = "PID")]
struct Pid<'a> {
    #[hl7(field = 3, max = *)]
    ids: Vec<St<'a>>,
    #[hl7(unmodeled)]
    rest: Unmodeled<'a>,
}

#[derive(Debug, Clone, PartialEq, hl7_runtime::Segment)]
#[hl7(id = "OBX")]
struct Obx<'a> {
    #[hl7(field = 1)]
    set_id: Option<Si<'a>>,
    #[hl7(field = 5)]
    value: Option<Nm<'a>>,
    #[hl7(unmodeled)]
    rest: Unmodeled<'a>,
}

/// A hand-written Z segment.
#[derive(Debug, Clone, PartialEq, hl7_runtime::Segment)]
#[hl7(id = "ZOB")]
struct Zob<'a> {
    #[hl7(field = 1, usage = R)]
    note: St<'a>,
    #[hl7(unmodeled)]
    rest: Unmodeled<'a>,
}

#[derive(Debug, Clone, PartialEq, hl7_runtime::Group)]
#[hl7(id = "OBSERVATION")]
struct Observation<'a> {
    obx: Obx<'a>,
    zob: Option<Zob<'a>>,
    #[hl7(unmodeled)]
    rest: ExtraSegments<'a>,
}

#[derive(Debug, Clone, PartialEq, hl7_runtime::Message)]
#[hl7(id = "ZRS_Z01", event = "ZRS^Z01", version = "2.5.1")]
struct ZrsZ01<'a> {
    msh: Msh<'a>,
    #[hl7(usage = R)]
    pid: Pid<'a>,
    #[hl7(usage = RE, max = 3)]
    observation: Vec<Observation<'a>>,
    #[hl7(unmodeled)]
    rest: ExtraSegments<'a>,
}

const MSG: &[u8] = b"MSH|^~\\&|A||B||20260101||ZRS^Z01|7|P|2.5.1\rPID|||1~2\rOBX|1|NM|x||4.5\rZOB|fine\rOBX|2|NM|y||6\r";

#[test]
fn reads_groups_and_writes_back_byte_for_byte() {
    let msg = Er7::parse(MSG).unwrap();
    let m = ZrsZ01::from_message(&msg).unwrap();
    assert_eq!(m.pid.ids.len(), 2);
    assert_eq!(m.observation.len(), 2);
    assert_eq!(m.observation[0].zob.as_ref().unwrap().note.text(), "fine");
    assert_eq!(m.observation[1].obx.value.as_ref().unwrap().wire(), b"6");
    assert!(m.rest.is_empty());
    assert_eq!(m.to_er7(msg.delimiters()), MSG);
    assert!(
        m.unmodeled()
            .iter()
            .all(|l| matches!(l, Leftover::Content(_)))
    );
}

#[test]
fn metadata_describes_the_structure() {
    let meta = ZrsZ01::META;
    assert_eq!(meta.structure, "ZRS_Z01");
    assert_eq!(meta.events, ["ZRS^Z01"]);
    assert_eq!(meta.version, Some("2.5.1"));
    let names: Vec<&str> = meta.members.iter().map(|m| m.node.name()).collect();
    assert_eq!(names, ["MSH", "PID", "OBSERVATION"]);
    let obs: &MemberMeta = &meta.members[2];
    assert_eq!((obs.min, obs.max), (0, Some(3)));
    let NodeMeta::Group(g) = obs.node else {
        panic!()
    };
    assert_eq!(g.members[1].node.name(), "ZOB");
    let s = meta.structure();
    assert_eq!(s.children.len(), 3);
}

#[test]
fn unexpected_and_excess_segments_are_kept_in_place() {
    // A ZZZ the structure does not know, between the observations; a second
    // PID (the struct holds one); a fourth OBSERVATION (max 3).
    let input: &[u8] = b"MSH|^~\\&|A||B||20260101||ZRS^Z01|7|P|2.5.1\rPID|||1\rPID|||2\rOBX|1\rZZZ|odd\rOBX|2\rOBX|3\rOBX|4\rZOB|x\r";
    let msg = Er7::parse(input).unwrap();
    let m = ZrsZ01::from_message(&msg).unwrap();
    assert_eq!(m.observation.len(), 3);
    let kept: Vec<String> = m
        .unmodeled()
        .iter()
        .filter_map(|l| match l {
            Leftover::Segment { position, raw } => {
                Some(format!("{position}:{}", String::from_utf8_lossy(raw)))
            }
            Leftover::Content(_) => None,
        })
        .collect();
    assert!(kept.contains(&"2:PID|||2".to_owned()), "{kept:?}");
    assert!(kept.iter().any(|k| k.ends_with("ZZZ|odd")), "{kept:?}");
    assert!(kept.iter().any(|k| k.ends_with("OBX|4")), "{kept:?}");
    // Nothing lost, nothing moved.
    assert_eq!(m.to_er7(msg.delimiters()), input);
}

#[test]
fn a_missing_required_member_is_a_clear_error() {
    let msg = Er7::parse(b"MSH|^~\\&|A||B||20260101||ZRS^Z01|7|P|2.5.1\rOBX|1\r").unwrap();
    let err = ZrsZ01::from_message(&msg).unwrap_err();
    assert!(err.is_missing());
    assert_eq!(err.expected(), "PID");
    assert_eq!(
        err.to_string(),
        "PID is required in ZRS_Z01 but missing (at segment 1)"
    );
}

#[test]
fn edits_write_out() {
    let msg = Er7::parse(MSG).unwrap();
    let mut m = ZrsZ01::from_message(&msg).unwrap();
    m.observation.truncate(1);
    m.observation[0].zob = None;
    assert_eq!(
        m.to_er7(msg.delimiters()),
        b"MSH|^~\\&|A||B||20260101||ZRS^Z01|7|P|2.5.1\rPID|||1~2\rOBX|1|NM|x||4.5\r"
    );
}

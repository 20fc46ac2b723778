//! Codes bound to HL7 tables are enums with an `Other` variant: known codes
//! read as variants, unknown ones survive as they were sent.

use hl7_runtime::er7::Message;
use hl7_runtime::stock::v2_5_1::{AdtA01, ProcessingId};
use hl7_runtime::typed::{DataType as _, Message as _};

const ADT: &[u8] = b"MSH|^~\\&|A||B||20260101||ADT^A01^ADT_A01|1|P|2.5.1\rEVN||20260101\rPID|1||42^^^H^MR||DOE^JANE\rPV1|1|I\r";

#[test]
fn a_known_code_is_a_variant() {
    let msg = Message::parse(ADT).unwrap();
    let adt = AdtA01::from_message(&msg).unwrap();
    let pt = &adt.msh.processing_id;
    assert_eq!(pt.processing_id, Some(ProcessingId::Production));
    assert_eq!(ProcessingId::Production.code(), b"P");
    assert_eq!(ProcessingId::TABLE, "0103");
    assert!(ProcessingId::CODES.contains(&"T"));
    assert_eq!(ProcessingId::DATA_TYPE, "ID");
}

#[test]
fn an_unknown_code_survives() {
    let input = b"MSH|^~\\&|A||B||20260101||ADT^A01^ADT_A01|1|Q|2.5.1\rEVN||20260101\rPID|1||42^^^H^MR||DOE^JANE\rPV1|1|I\r";
    let msg = Message::parse(input).unwrap();
    let adt = AdtA01::from_message(&msg).unwrap();
    let id = adt.msh.processing_id.processing_id.as_ref().unwrap();
    assert!(id.is_other());
    assert_eq!(id.code(), b"Q");
    assert_eq!(adt.to_er7(msg.delimiters()), msg.to_er7());
}

#[test]
fn codes_serialize_as_their_code() {
    let json = serde_json::to_string(&ProcessingId::Training).unwrap();
    assert_eq!(json, "\"T\"");
    let back: ProcessingId<'static> = serde_json::from_str("\"X\"").unwrap();
    assert!(back.is_other());
    assert_eq!(back.code(), b"X");
}

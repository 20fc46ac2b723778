// PID-19 (SSN) is `X` in the ACME ADT site profile: the generated PID has
// no such field, so reading it does not compile. The same program against
// the base version compiles: pass/base_version_field.rs.
use hl7_runtime::er7::Message;
use hl7_runtime::typed::Message as _;
use hl7_typed_tests::acme_adt::AdtA01;

fn main() {
    let msg = Message::parse(b"MSH|^~\\&|A||B||20260101||ADT^A01|1|P|2.5.1\r").unwrap();
    let adt = AdtA01::from_message(&msg).unwrap();
    let _ssn = &adt.pid.ssn_number_patient;
}

// The same program as fail/site-forbids-field/pid19.rs, against the base
// version's stock type: HL7 v2.5.1 has PID-19, so it compiles.
use hl7_runtime::er7::Message;
use hl7_runtime::stock::v2_5_1::AdtA01;
use hl7_runtime::typed::Message as _;

fn main() {
    let msg = Message::parse(b"MSH|^~\\&|A||B||20260101||ADT^A01|1|P|2.5.1\rEVN||20260101\rPID|1||1^^^H^MR||DOE^J||||||||||||||123-45-6789\rPV1|1|I\r").unwrap();
    let adt = AdtA01::from_message(&msg).unwrap();
    let ssn: &Option<hl7_runtime::types::St<'_>> = &adt.pid.ssn_number_patient;
    assert_eq!(ssn.as_ref().unwrap().text(), "123-45-6789");
}

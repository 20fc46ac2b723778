use hl7_runtime::typed::Unmodeled;
use hl7_runtime::types::St;

#[derive(hl7_runtime::Segment)]
#[hl7(id = "ZPI")]
struct Zpi<'a> {
    #[hl7(field = 1, len = 5)]
    #[hl7(len = 6)]
    a: St<'a>,
    #[hl7(unmodeled)]
    rest: Unmodeled<'a>,
}

fn main() {}

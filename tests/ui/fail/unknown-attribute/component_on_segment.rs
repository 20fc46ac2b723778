use hl7_runtime::typed::Unmodeled;
use hl7_runtime::types::St;

#[derive(hl7_runtime::Segment)]
#[hl7(id = "ZPI")]
struct Zpi<'a> {
    #[hl7(component = 1)]
    a: St<'a>,
    #[hl7(unmodeled)]
    rest: Unmodeled<'a>,
}

fn main() {}

use hl7_runtime::typed::Unmodeled;
use hl7_runtime::types::St;

#[derive(hl7_runtime::Segment)]
struct Zpi<'a> {
    #[hl7(field = 1)]
    a: St<'a>,
}

#[derive(hl7_runtime::Segment)]
#[hl7(id = "zp1")]
struct Zp1<'a> {
    #[hl7(unmodeled)]
    rest: Unmodeled<'a>,
}

fn main() {}

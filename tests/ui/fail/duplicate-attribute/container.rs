use hl7_runtime::typed::Unmodeled;
use hl7_runtime::types::St;

#[derive(hl7_runtime::Segment)]
#[hl7(id = "ZPI", id = "ZPJ")]
struct Zpi<'a> {
    #[hl7(field = 1)]
    a: St<'a>,
    #[hl7(unmodeled)]
    rest: Unmodeled<'a>,
    #[hl7(unmodeled)]
    more: Unmodeled<'a>,
}

fn main() {}

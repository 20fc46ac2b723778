use hl7_runtime::typed::Unmodeled;
use hl7_runtime::types::St;

#[derive(hl7_runtime::Segment)]
#[hl7(id = "ZPI")]
struct Zpi<'a> {
    #[hl7(field = 1, max = 3)]
    a: St<'a>,
    #[hl7(field = 2, max = *)]
    b: Option<St<'a>>,
    #[hl7(field = 3, max = 1)]
    c: Vec<St<'a>>,
    #[hl7(field = 4, min = 3, max = 2)]
    d: Vec<St<'a>>,
    #[hl7(unmodeled)]
    rest: Unmodeled<'a>,
}

fn main() {}

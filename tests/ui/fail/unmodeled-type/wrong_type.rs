use hl7_runtime::types::St;

#[derive(hl7_runtime::Segment)]
#[hl7(id = "ZPI")]
struct Zpi<'a> {
    #[hl7(field = 1)]
    a: St<'a>,
    #[hl7(unmodeled)]
    rest: Vec<St<'a>>,
}

fn main() {}

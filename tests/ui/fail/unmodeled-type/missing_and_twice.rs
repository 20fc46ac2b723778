use hl7_runtime::typed::Unmodeled;
use hl7_runtime::types::St;

#[derive(hl7_runtime::Composite)]
#[hl7(id = "HD")]
struct Missing<'a> {
    #[hl7(component = 1)]
    a: St<'a>,
}

#[derive(hl7_runtime::Composite)]
#[hl7(id = "HD")]
struct Twice<'a> {
    #[hl7(component = 1)]
    a: St<'a>,
    #[hl7(unmodeled)]
    rest: Unmodeled<'a>,
    #[hl7(unmodeled, component = 2)]
    more: Unmodeled<'a>,
}

fn main() {}

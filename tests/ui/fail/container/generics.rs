use hl7_runtime::typed::Unmodeled;
use hl7_runtime::types::St;

#[derive(hl7_runtime::Composite)]
#[hl7(id = "XPN")]
struct Owned {
    #[hl7(component = 1)]
    a: St<'static>,
    #[hl7(unmodeled)]
    rest: Unmodeled<'static>,
}

#[derive(hl7_runtime::Segment)]
#[hl7(id = "ZPI")]
enum NotAStruct {
    A,
}

fn main() {}

use hl7_runtime::typed::Unmodeled;
use hl7_runtime::types::St;

#[derive(hl7_runtime::Composite)]
#[hl7(id = "HD")]
struct Hd<'a> {
    #[hl7(component = 1)]
    namespace: St<'a>,
    universal_id: St<'a>,
    #[hl7(table = "0301")]
    universal_id_type: St<'a>,
    #[hl7(unmodeled)]
    rest: Unmodeled<'a>,
}

fn main() {}

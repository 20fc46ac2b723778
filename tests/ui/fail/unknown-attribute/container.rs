use hl7_runtime::typed::Unmodeled;
use hl7_runtime::types::St;

#[derive(hl7_runtime::Composite)]
#[hl7(id = "XPN", version = "2.5")]
struct Xpn<'a> {
    #[hl7(component = 1)]
    a: St<'a>,
    #[hl7(unmodeled)]
    rest: Unmodeled<'a>,
}

fn main() {}

use hl7_runtime::typed::Unmodeled;
use hl7_runtime::types::St;

#[derive(hl7_runtime::Segment)]
#[hl7(id = PID)]
struct Pid<'a> {
    #[hl7(field = "1")]
    a: St<'a>,
    #[hl7(field = 2, datatype = "XPN")]
    b: St<'a>,
    #[hl7(field = 3, usage = Required)]
    c: St<'a>,
    #[hl7(field = 4, table = 200, len = -1)]
    d: St<'a>,
    #[hl7(field = 0)]
    e: St<'a>,
    #[hl7(unmodeled = true)]
    rest: Unmodeled<'a>,
}

fn main() {}

// A crate that re-exports hl7-runtime names it with `crate = "..."`.
mod reexport {
    pub use hl7_runtime as rt;
}

use hl7_runtime::typed::Unmodeled;
use hl7_runtime::types::St;

#[derive(hl7_runtime::Segment)]
#[hl7(id = "ZRE", crate = "reexport::rt")]
struct Zre<'a> {
    #[hl7(field = 1)]
    a: St<'a>,
    #[hl7(unmodeled)]
    rest: Unmodeled<'a>,
}

fn main() {
    use hl7_runtime::typed::Segment as _;
    assert_eq!(Zre::META.fields.len(), 1);
}

use hl7_runtime::typed::{Composite as _, Segment as _, Unmodeled};
use hl7_runtime::types::{Id, Is, Nm, St, Ts};

#[derive(Debug, Clone, PartialEq, hl7_runtime::Composite)]
#[hl7(id = "CWE")]
struct Cwe<'a> {
    #[hl7(component = 1, datatype = ST)]
    identifier: St<'a>,
    #[hl7(component = 2)]
    text: Option<St<'a>>,
    #[hl7(component = 3, datatype = ID, table = "0396")]
    coding_system: Option<Id<'a>>,
    #[hl7(unmodeled)]
    rest: Unmodeled<'a>,
}

#[derive(Debug, Clone, PartialEq, hl7_runtime::Segment)]
#[hl7(id = "ZOB")]
struct Zob<'a> {
    #[hl7(field = 1, usage = R, len = 4)]
    set_id: St<'a>,
    #[hl7(field = 2, datatype = CWE, usage = RE)]
    code: Cwe<'a>,
    #[hl7(field = 3, usage = C, min = 0, max = 5)]
    values: Vec<Nm<'a>>,
    #[hl7(field = 4, usage = O, table = "0078")]
    flag: Option<Is<'a>>,
    #[hl7(field = 14, usage = CE, datatype = TS)]
    observed: Option<Ts<'a>>,
    #[hl7(field = 20, usage = B)]
    legacy: Option<St<'a>>,
    #[hl7(field = 21, usage = W, min = 1, max = *)]
    withdrawn: Vec<St<'a>>,
    #[hl7(unmodeled)]
    rest: Unmodeled<'a>,
}

fn main() {
    assert_eq!(Zob::META.id, "ZOB");
    assert_eq!(Cwe::META.data_type, "CWE");
}

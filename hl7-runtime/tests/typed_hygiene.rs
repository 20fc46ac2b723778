//! The derive output names everything by absolute path: it compiles, warning
//! free, next to user items that shadow the prelude (serde `test_gen.rs`).

#![deny(warnings)]
#![allow(dead_code, non_camel_case_types)]

mod shadowed {
    use hl7_runtime::typed::Unmodeled;
    use hl7_runtime::types::{Id, St};

    type Result = ();
    type Option = ();
    type Some = ();
    type Ok = ();
    type Vec = ();
    type String = ();
    type Box = ();
    struct core;
    struct std;
    struct __private;
    fn panic() {}
    fn unreachable() {}
    trait DataType {}
    trait Segment {}

    #[derive(hl7_runtime::Composite)]
    #[hl7(id = "XPN")]
    pub(crate) struct Name<'a> {
        #[hl7(component = 1, datatype = ST)]
        pub(crate) family: St<'a>,
        #[hl7(component = 7)]
        pub(crate) kind: ::core::option::Option<Id<'a>>,
        #[hl7(unmodeled)]
        pub(crate) rest: Unmodeled<'a>,
    }

    #[derive(hl7_runtime::Segment)]
    #[hl7(id = "ZHY")]
    pub(crate) struct Zhy<'x> {
        #[hl7(field = 1, usage = R)]
        pub(crate) r#type: St<'x>,
        #[hl7(field = 2, max = *)]
        pub(crate) names: ::std::vec::Vec<Name<'x>>,
        #[hl7(field = 3, table = "0001", len = 1)]
        pub(crate) sex: ::core::option::Option<Id<'x>>,
        #[hl7(unmodeled)]
        pub(crate) rest: Unmodeled<'x>,
    }
}

#[test]
fn shadowed_names_do_not_break_the_derives() {
    use hl7_runtime::typed::Segment as _;
    let msg = hl7_runtime::er7::Message::parse(b"MSH|^~\\&|A\rZHY|t|A^^^^^^L~B|F|x\r").unwrap();
    let z = shadowed::Zhy::first_in(&msg).unwrap().unwrap();
    assert_eq!(z.r#type, "t");
    assert_eq!(z.names.len(), 2);
    assert_eq!(shadowed::Zhy::META.fields[0].name, "type");
    assert_eq!(z.to_er7(msg.delimiters()), b"ZHY|t|A^^^^^^L~B|F|x");
}

//! Expansion tests: the expand functions on `quote!`-built input.

use quote::quote;

use crate::attr::Kind;

fn input(tokens: proc_macro2::TokenStream) -> syn::DeriveInput {
    syn::parse2(tokens).unwrap()
}

/// The error messages of reading `tokens` as `kind`, in order.
fn errors(kind: Kind, tokens: proc_macro2::TokenStream) -> Vec<String> {
    let input = input(tokens);
    match super::read(&input, kind) {
        Ok(_) => Vec::new(),
        Err(err) => err.into_iter().map(|e| e.to_string()).collect(),
    }
}

fn squash(tokens: &proc_macro2::TokenStream) -> String {
    tokens.to_string().replace(' ', "")
}

#[test]
fn segment_expansion_is_wrapped_hygienic_and_complete() {
    let out = super::segment(&input(quote! {
        #[hl7(id = "ZPI")]
        struct Zpi<'a> {
            #[hl7(field = 1, usage = R)]
            set_id: St<'a>,
            #[hl7(field = 3, max = *)]
            names: Vec<Xpn<'a>>,
            #[hl7(unmodeled)]
            rest: Unmodeled<'a>,
        }
    }));
    let s = squash(&out);
    assert!(s.starts_with("#[doc(hidden)]"), "{s}");
    assert!(s.contains("const_:()={"), "{s}");
    assert!(
        s.contains("#[automatically_derived]impl<'a>::hl7_runtime::typed::Segment<'a>forZpi<'a>"),
        "{s}"
    );
    assert!(s.contains("::hl7_runtime::__private::field_single::<St<'a>>(__segment.field(1usize),1usize,&mut__extra)"), "{s}");
    assert!(
        s.contains("::hl7_runtime::__private::field_repeated::<Xpn<'a>>(__segment.field(3usize))"),
        "{s}"
    );
    assert!(
        s.contains("begin_segment(__segment,&[1usize,3usize],&mut__extra)"),
        "{s}"
    );
    assert!(
        s.contains(
            "usage:::hl7_runtime::typed::Usage::R,min:1u32,max:::core::option::Option::Some(1u32)"
        ),
        "{s}"
    );
    assert!(
        s.contains(
            "usage:::hl7_runtime::typed::Usage::O,min:0u32,max:::core::option::Option::None"
        ),
        "{s}"
    );
    assert!(
        s.contains("<Zpi<'static>as::hl7_runtime::typed::Segment<'static>>::META"),
        "{s}"
    );
    assert!(!s.contains("compile_error"), "{s}");
}

#[test]
fn composite_expansion_implements_both_traits() {
    let out = super::composite(&input(quote! {
        #[hl7(id = "HD")]
        struct Hd<'m> {
            #[hl7(component = 1, datatype = IS, table = "0300")]
            namespace: Option<Is<'m>>,
            #[hl7(unmodeled)]
            rest: Unmodeled<'m>,
        }
    }));
    let s = squash(&out);
    assert!(
        s.contains("impl<'m>::hl7_runtime::typed::DataType<'m>forHd<'m>"),
        "{s}"
    );
    assert!(
        s.contains("impl<'m>::hl7_runtime::typed::Composite<'m>forHd<'m>"),
        "{s}"
    );
    assert!(s.contains("constDATA_TYPE:&'staticstr=\"HD\""), "{s}");
    assert!(
        s.contains("component_optional::<Is<'m>>(__slots[0usize].as_ref())"),
        "{s}"
    );
    assert!(
        s.contains("str_eq(<Is<'m>as::hl7_runtime::typed::DataType<'m>>::DATA_TYPE,\"IS\")"),
        "{s}"
    );
    assert!(
        s.contains("table:::core::option::Option::Some(\"0300\")"),
        "{s}"
    );
}

#[test]
fn crate_override_replaces_the_runtime_path() {
    let out = super::segment(&input(quote! {
        #[hl7(id = "ZZZ", crate = "my::rt")]
        struct Z<'a> {
            #[hl7(unmodeled)]
            rest: Unmodeled<'a>,
        }
    }));
    let s = squash(&out);
    assert!(s.contains("my::rt::typed::Segment<'a>"), "{s}");
    assert!(!s.contains("::hl7_runtime::typed"), "{s}");
}

#[test]
fn every_error_is_reported_at_once() {
    let errs = errors(
        Kind::Segment,
        quote! {
            #[hl7(id = "PID", colour = red)]
            struct Pid<'a> {
                #[hl7(field = 1, field = 2)]
                a: St<'a>,
                #[hl7(field = 1, bogus)]
                b: St<'a>,
                c: St<'a>,
                #[hl7(field = "4", datatype = "XPN", usage = Q, table = 200)]
                d: St<'a>,
                #[hl7(field = 5, usage = R)]
                e: Option<St<'a>>,
                #[hl7(field = 6, max = 3)]
                f: St<'a>,
                #[hl7(field = 7, max = 1)]
                g: Vec<St<'a>>,
                #[hl7(field = 8, min = 2, max = 1)]
                h: Vec<St<'a>>,
                #[hl7(component = 9)]
                i: St<'a>,
            }
        },
    );
    let expected = [
        "unknown hl7 segment attribute `colour`; expected `id` or `crate`",
        "duplicate hl7 attribute `field`",
        "unknown hl7 field attribute `bogus`",
        "expected a non-negative integer for `field`: `field = 5`",
        "expected a data type name, without quotes: `datatype = XPN`",
        "unknown usage; expected `R`, `RE`, `O`, `C`, `CE`, `B` or `W`",
        "expected a string for `table`: `table = \"0200\"`",
        "unknown hl7 field attribute `component`; segments use `field = n`",
        "a typed segment needs a field `#[hl7(unmodeled)] rest: hl7_runtime::typed::Unmodeled<'a>` to keep the content it does not model",
        "field 1 is declared twice: also on `a`",
        "missing position: add `#[hl7(field = n)]`, or `#[hl7(unmodeled)]` for the field that keeps unmodeled content",
    ];
    for e in expected {
        assert!(errs.iter().any(|x| x == e), "missing {e:?} in {errs:#?}");
    }
    for e in [
        "a `usage = R` field is always there: use `T`, not `Option<T>`",
        "`max = 3` repeats: use `Vec<T>`",
        "`max = 1` is a single value: use `T` or `Option<T>`, not `Vec<T>`",
        "`min = 2` is above `max = 1`",
    ] {
        assert!(errs.iter().any(|x| x == e), "missing {e:?} in {errs:#?}");
    }
}

#[test]
fn container_errors() {
    assert_eq!(
        errors(
            Kind::Segment,
            quote! { struct P<'a> { #[hl7(unmodeled)] r: U<'a> } }
        ),
        ["a segment needs its id: `#[hl7(id = \"PID\")]`"]
    );
    assert_eq!(
        errors(
            Kind::Segment,
            quote! { #[hl7(id = "pid")] struct P<'a> { #[hl7(unmodeled)] r: U<'a> } }
        ),
        [
            "a segment id is an upper-case letter and two upper-case letters or digits, such as \"PID\" or \"ZP1\""
        ]
    );
    assert_eq!(
        errors(
            Kind::Composite,
            quote! { #[hl7(id = "XPN")] struct X { #[hl7(unmodeled)] r: U } }
        ),
        [
            "a typed composite takes exactly one lifetime parameter, the message's, and no type parameters: `struct X<'a>`"
        ]
    );
    assert_eq!(
        errors(Kind::Composite, quote! { #[hl7(id = "XPN")] enum X { A } }),
        ["`#[derive(Composite)]` needs a struct with named fields"]
    );
    assert_eq!(
        errors(
            Kind::Composite,
            quote! { #[hl7(id = "XPN")] struct X<'a> { #[hl7(component = 1)] a: Vec<St<'a>>, #[hl7(unmodeled)] r: U<'a>, #[hl7(unmodeled, len = 3)] s: U<'a> } }
        ),
        [
            "only one field can be `#[hl7(unmodeled)]`",
            "the `#[hl7(unmodeled)]` field takes no other hl7 attribute",
            "components do not repeat: use `T` or `Option<T>`, not `Vec<T>`",
        ]
    );
    assert_eq!(
        errors(
            Kind::Segment,
            quote! { #[hl7(id = "ZPI")] struct Z<'a> { #[hl7(field = 1, usage = X)] a: St<'a>, #[hl7(unmodeled)] r: U<'a> } }
        ),
        ["a `usage = X` field must not be sent: remove it from the struct"]
    );
}

#[test]
fn errors_come_with_a_stub_impl() {
    let out = super::segment(&input(quote! {
        #[hl7(id = "ZPI", oops)]
        struct Zpi<'a> {
            #[hl7(unmodeled)]
            rest: Unmodeled<'a>,
        }
    }));
    let s = squash(&out);
    assert!(s.contains("compile_error!"), "{s}");
    assert!(
        s.contains("impl<'a>::hl7_runtime::typed::Segment<'a>forZpi<'a>"),
        "{s}"
    );
    assert!(s.contains("::core::unreachable!()"), "{s}");
}

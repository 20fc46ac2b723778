//! `#[derive(Table)]`: an enum of the codes of an HL7 table, with one
//! `Other` variant that keeps any other value, so unknown codes survive.
//!
//! ```ignore
//! #[derive(hl7_runtime::Table)]
//! #[hl7(table = "0008", datatype = ID)]
//! enum AcknowledgmentCode<'a> {
//!     #[hl7(code = "AA")]
//!     ApplicationAccept,
//!     #[hl7(code = "AE")]
//!     ApplicationError,
//!     #[hl7(other)]
//!     Other(hl7_runtime::types::Id<'a>),
//! }
//! ```

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::spanned::Spanned as _;

use crate::ctxt::Ctxt;

struct Variant<'a> {
    ident: &'a syn::Ident,
    code: Option<syn::LitStr>,
    other: Option<&'a syn::Type>,
}

struct TableEnum<'a> {
    ident: &'a syn::Ident,
    lifetime: &'a syn::Lifetime,
    table: syn::LitStr,
    datatype: syn::Ident,
    krate: TokenStream,
    variants: Vec<Variant<'a>>,
    other: (&'a syn::Ident, &'a syn::Type),
}

fn read(input: &syn::DeriveInput) -> syn::Result<TableEnum<'_>> {
    let cx = Ctxt::new();
    let mut table = None;
    let mut datatype = None;
    let mut krate = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("hl7")) {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("table") {
                let s: syn::LitStr = meta.value()?.parse()?;
                if table.replace(s).is_some() {
                    cx.error_spanned_by(&meta.path, "duplicate hl7 attribute `table`");
                }
            } else if meta.path.is_ident("datatype") {
                let d: syn::Ident = meta.value()?.parse()?;
                if datatype.replace(d).is_some() {
                    cx.error_spanned_by(&meta.path, "duplicate hl7 attribute `datatype`");
                }
            } else if meta.path.is_ident("crate") {
                let s: syn::LitStr = meta.value()?.parse()?;
                krate = Some(s.parse::<syn::Path>()?.into_token_stream());
            } else {
                return Err(meta.error(format!(
                    "unknown hl7 table attribute `{}`; expected `table`, `datatype` or `crate`",
                    meta.path.to_token_stream()
                )));
            }
            Ok(())
        });
        if let Err(e) = parsed {
            cx.syn_error(e);
        }
    }
    let syn::Data::Enum(data) = &input.data else {
        cx.error_spanned_by(&input.ident, "`#[derive(Table)]` needs an enum");
        cx.check()?;
        unreachable!("an error was added");
    };
    let lifetime = match (
        input.generics.lifetimes().count(),
        input.generics.params.len(),
    ) {
        (1, 1) => input.generics.lifetimes().next().map(|l| &l.lifetime),
        _ => None,
    };
    if lifetime.is_none() {
        cx.error_spanned_by(
            &input.ident,
            format!(
                "a table enum takes exactly one lifetime parameter, for its `Other` value: `enum {}<'a>`",
                input.ident
            ),
        );
    }
    if table.is_none() {
        cx.error_spanned_by(
            &input.ident,
            "a table needs its number: `#[hl7(table = \"0001\")]`",
        );
    }
    if datatype.is_none() {
        cx.error_spanned_by(
            &input.ident,
            "a table needs the data type of its codes: `#[hl7(datatype = ID)]`",
        );
    }
    let mut variants = Vec::new();
    let mut codes: BTreeMap<String, &syn::Ident> = BTreeMap::new();
    for v in &data.variants {
        let mut code = None;
        let mut other = false;
        for attr in v.attrs.iter().filter(|a| a.path().is_ident("hl7")) {
            let parsed = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("code") {
                    let s: syn::LitStr = meta.value()?.parse()?;
                    if code.replace(s).is_some() {
                        cx.error_spanned_by(&meta.path, "duplicate hl7 attribute `code`");
                    }
                } else if meta.path.is_ident("other") {
                    other = true;
                } else {
                    return Err(meta.error(format!(
                        "unknown hl7 variant attribute `{}`; expected `code = \"..\"` or `other`",
                        meta.path.to_token_stream()
                    )));
                }
                Ok(())
            });
            if let Err(e) = parsed {
                cx.syn_error(e);
            }
        }
        let other_ty = match (&v.fields, other) {
            (syn::Fields::Unnamed(f), true) if f.unnamed.len() == 1 => {
                f.unnamed.first().map(|f| &f.ty)
            }
            (_, true) => {
                cx.error_spanned_by(
                    v,
                    "the `other` variant holds the value: `Other(hl7_runtime::types::Id<'a>)`",
                );
                None
            }
            (syn::Fields::Unit, false) => None,
            (_, false) => {
                cx.error_spanned_by(v, "a code variant has no fields");
                None
            }
        };
        match (&code, other) {
            (Some(c), _) => {
                if let Some(first) = codes.insert(c.value(), &v.ident) {
                    cx.error_spanned_by(c, format!("code {:?} is also on `{first}`", c.value()));
                }
            }
            (None, false) => cx.error_spanned_by(
                &v.ident,
                "missing code: add `#[hl7(code = \"..\")]`, or `#[hl7(other)]` on the variant that keeps other values",
            ),
            (None, true) => {}
        }
        variants.push(Variant {
            ident: &v.ident,
            code,
            other: other_ty,
        });
    }
    let others: Vec<_> = variants.iter().filter(|v| v.other.is_some()).collect();
    if others.len() != 1 {
        cx.error_spanned_by(
            &input.ident,
            "a table enum needs exactly one `#[hl7(other)] Other(T)` variant, so unknown codes survive",
        );
    }
    cx.check()?;
    let other = others
        .first()
        .and_then(|v| v.other.map(|t| (v.ident, t)))
        .expect("checked");
    Ok(TableEnum {
        ident: &input.ident,
        lifetime: lifetime.expect("checked"),
        table: table.expect("checked"),
        datatype: datatype.expect("checked"),
        krate: krate.unwrap_or_else(|| quote!(::hl7_runtime)),
        variants,
        other,
    })
}

pub(crate) fn expand(input: &syn::DeriveInput) -> TokenStream {
    let t = match read(input) {
        Ok(t) => t,
        Err(e) => return e.to_compile_error(),
    };
    let TableEnum {
        ident,
        lifetime: lt,
        table,
        datatype,
        krate,
        ..
    } = &t;
    let p = quote!(#krate::__private);
    let (other_ident, other_ty) = t.other;
    let datatype_str = datatype.to_string();
    let coded: Vec<_> = t
        .variants
        .iter()
        .filter_map(|v| v.code.as_ref().map(|c| (v.ident, c)))
        .collect();
    let from_arms = coded.iter().map(|(v, c)| {
        let bytes = syn::LitByteStr::new(c.value().as_bytes(), c.span());
        quote!(#bytes => Self::#v,)
    });
    let code_arms = coded.iter().map(|(v, c)| {
        let bytes = syn::LitByteStr::new(c.value().as_bytes(), c.span());
        quote!(Self::#v => #bytes,)
    });
    let code_list = coded.iter().map(|(_, c)| c);
    // Checked when the metadata of a field holding the table is built.
    let data_type = quote::quote_spanned! {datatype.span()=>
        {
            if !#p::str_eq(<#other_ty as #krate::typed::DataType<#lt>>::DATA_TYPE, #datatype_str) {
                ::core::panic!("the `other` variant's type has another HL7 data type than `datatype`");
            }
            #datatype_str
        }
    };
    let body = quote! {
        #[automatically_derived]
        impl<#lt> #ident<#lt> {
            /// The HL7 table the codes come from.
            pub const TABLE: &'static str = #table;
            /// The table's codes, in declaration order.
            pub const CODES: &'static [&'static str] = &[#(#code_list),*];

            /// The value for wire bytes: a known code's variant, or
            /// `Other` holding the bytes as they are.
            pub fn from_code(raw: impl ::core::convert::Into<::std::borrow::Cow<#lt, [u8]>>) -> Self {
                let raw = raw.into();
                match &*raw {
                    #(#from_arms)*
                    _ => Self::#other_ident(<#other_ty>::from_wire(raw)),
                }
            }

            /// The wire bytes: the code, or what `Other` holds.
            pub fn code(&self) -> &[u8] {
                match self {
                    #(#code_arms)*
                    Self::#other_ident(v) => v.wire(),
                }
            }

            /// True for a value that is not one of the table's codes.
            pub fn is_other(&self) -> bool {
                ::core::matches!(self, Self::#other_ident(_))
            }
        }

        #[automatically_derived]
        impl<#lt> #krate::typed::DataType<#lt> for #ident<#lt> {
            const DATA_TYPE: &'static str = #data_type;

            fn empty() -> Self {
                Self::#other_ident(<#other_ty as #krate::typed::DataType<#lt>>::empty())
            }

            fn from_er7_value(__value: &#krate::er7::Value<#lt>) -> Self {
                Self::from_code(__value.raw())
            }

            fn write_er7(
                &self,
                __out: &mut #p::Vec<u8>,
                _: &#krate::er7::Delimiters,
                _: #krate::er7::Level,
            ) {
                __out.extend_from_slice(self.code());
            }
        }

        #p::table_serde!(#ident, #lt);
    };
    quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals, unused_qualifications)]
        const _: () = {
            #body
        };
    }
}

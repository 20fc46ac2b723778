//! From a checked input to the trait impls.

mod composite;
mod fallback;
mod members;
mod segment;
mod table;

pub(crate) use table::expand as table;

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ast::{Container, Field, Shape};
use crate::attr::{Kind, Usage};
use crate::check;
use crate::ctxt::Ctxt;

/// `#[derive(Segment)]`: the impl, or the errors and a stub impl.
pub(crate) fn segment(input: &syn::DeriveInput) -> TokenStream {
    match read(input, Kind::Segment) {
        Ok(cont) => wrap(&segment::expand(&cont)),
        Err(err) => with_fallback(input, Kind::Segment, &err),
    }
}

/// `#[derive(Composite)]`: the impls, or the errors and stub impls.
pub(crate) fn composite(input: &syn::DeriveInput) -> TokenStream {
    match read(input, Kind::Composite) {
        Ok(cont) => wrap(&composite::expand(&cont)),
        Err(err) => with_fallback(input, Kind::Composite, &err),
    }
}

/// `#[derive(Group)]`: the impls, or the errors and stub impls.
pub(crate) fn group(input: &syn::DeriveInput) -> TokenStream {
    match read(input, Kind::Group) {
        Ok(cont) => wrap(&members::expand(&cont, Kind::Group)),
        Err(err) => with_fallback(input, Kind::Group, &err),
    }
}

/// `#[derive(Message)]`: the impl, or the errors and a stub impl.
pub(crate) fn message(input: &syn::DeriveInput) -> TokenStream {
    match read(input, Kind::Message) {
        Ok(cont) => wrap(&members::expand(&cont, Kind::Message)),
        Err(err) => with_fallback(input, Kind::Message, &err),
    }
}

/// Parses and checks, collecting every error.
pub(crate) fn read(input: &syn::DeriveInput, kind: Kind) -> syn::Result<Container<'_>> {
    let cx = Ctxt::new();
    let cont = Container::from_ast(&cx, input, kind);
    if let Some(cont) = &cont {
        check::check(&cx, cont, kind);
    }
    cx.check()?;
    // `from_ast` returns `None` only after adding an error.
    cont.ok_or_else(|| syn::Error::new(input.ident.span(), "invalid input"))
}

fn with_fallback(input: &syn::DeriveInput, kind: Kind, err: &syn::Error) -> TokenStream {
    let errors = err.to_compile_error();
    // The runtime path, if `crate = "..."` itself reads; its errors are
    // already in `err`.
    let cx = Ctxt::new();
    let attrs = crate::attr::Container::from_ast(&cx, input, kind);
    let _already_reported = cx.check();
    let stub = fallback::expand(input, kind, &krate(attrs.crate_path.as_ref()));
    let stub = wrap(&stub);
    quote!(#errors #stub)
}

/// Wraps the impls in `const _: () = { ... };` so nothing leaks.
fn wrap(body: &TokenStream) -> TokenStream {
    quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals, unused_qualifications)]
        const _: () = {
            #body
        };
    }
}

/// The path to hl7-runtime.
pub(crate) fn krate(cont_path: Option<&syn::Path>) -> TokenStream {
    cont_path.map_or_else(|| quote!(::hl7_runtime), |p| quote!(#p))
}

/// The declared fields, by position, without the unmodeled one.
pub(crate) fn positioned<'c, 'a>(cont: &'c Container<'a>) -> Vec<(usize, &'c Field<'a>)> {
    let mut out: Vec<_> = cont
        .fields
        .iter()
        .filter(|f| f.attrs.unmodeled.is_none())
        .filter_map(|f| f.attrs.position.as_ref().map(|p| (p.value, f)))
        .collect();
    out.sort_by_key(|(p, _)| *p);
    out
}

pub(crate) fn unmodeled_ident<'c>(cont: &'c Container<'_>) -> &'c syn::Ident {
    cont.fields
        .iter()
        .find(|f| f.attrs.unmodeled.is_some())
        .map(|f| f.ident)
        .expect("checked: one unmodeled field")
}

/// The effective usage, min and max of a field.
pub(crate) fn cardinality(field: &Field<'_>) -> (Usage, u32, Option<u32>) {
    let a = &field.attrs;
    let min_declared = a.min.as_ref().map(|m| m.value);
    let usage = a.usage.as_ref().map_or(
        match field.shape {
            Shape::Single => Usage::R,
            Shape::Repeated if min_declared.unwrap_or(0) >= 1 => Usage::R,
            Shape::Optional | Shape::Repeated => Usage::O,
        },
        |u| u.value,
    );
    let min = min_declared.unwrap_or(u32::from(usage == Usage::R));
    let max = match &a.max {
        Some(m) => m.value,
        None if field.shape == Shape::Repeated => None,
        None => Some(1),
    };
    (usage, min, max)
}

/// The `FieldMeta` of a field, with a compile-time check of `datatype`
/// against the Rust type's.
pub(crate) fn field_meta(
    krate: &TokenStream,
    lifetime: &syn::Lifetime,
    position: usize,
    field: &Field<'_>,
    kind: Kind,
) -> TokenStream {
    let name = field.ident.to_string();
    let name = name.strip_prefix("r#").unwrap_or(&name);
    let inner = field.inner;
    let (usage, min, max) = cardinality(field);
    let usage = syn::Ident::new(usage.ident(), proc_macro2::Span::call_site());
    let max = option(max.map(|n| quote!(#n)));
    let len = option(field.attrs.len.as_ref().map(|n| {
        let n = n.value;
        quote!(#n)
    }));
    let table = option(field.attrs.table.as_ref().map(|t| quote!(#t)));
    let shape = match field.shape {
        Shape::Single => quote!(Single),
        Shape::Optional => quote!(Optional),
        Shape::Repeated => quote!(Repeated),
    };
    let actual = quote_spanned!(inner.span()=>
        <#inner as #krate::typed::DataType<#lifetime>>::DATA_TYPE
    );
    let data_type = match &field.attrs.datatype {
        Some(declared) => {
            let code = declared.to_string();
            let what = match kind {
                Kind::Segment => "field",
                _ => "component",
            };
            let msg = format!(
                "{what} {position} (`{name}`) declares `datatype = {code}`, but its Rust type has another HL7 data type"
            );
            quote_spanned! {declared.span()=>
                {
                    if !#krate::__private::str_eq(#actual, #code) {
                        ::core::panic!(#msg);
                    }
                    #code
                }
            }
        }
        None => actual,
    };
    quote! {
        #krate::typed::FieldMeta {
            position: #position,
            name: #name,
            data_type: #data_type,
            usage: #krate::typed::Usage::#usage,
            min: #min,
            max: #max,
            len: #len,
            table: #table,
            shape: #krate::typed::Shape::#shape,
        }
    }
}

/// `Some(x)` or `None`, by absolute path.
pub(crate) fn option(value: Option<TokenStream>) -> TokenStream {
    value.map_or_else(
        || quote!(::core::option::Option::None),
        |v| quote!(::core::option::Option::Some(#v)),
    )
}

/// The struct type with its lifetime replaced by `'static`, to force the
/// evaluation of its metadata (and so the `datatype` checks).
pub(crate) fn static_self(cont: &Container<'_>) -> TokenStream {
    let ident = cont.ident;
    quote!(#ident<'static>)
}

#[cfg(test)]
mod tests;

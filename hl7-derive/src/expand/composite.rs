//! `#[derive(Composite)]`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::{field_meta, krate, positioned, static_self, unmodeled_ident};
use crate::ast::{Container, Shape};
use crate::attr::Kind;

pub(super) fn expand(cont: &Container<'_>) -> TokenStream {
    let krate = krate(cont.attrs.crate_path.as_ref());
    let p = quote!(#krate::__private);
    let ident = cont.ident;
    let lt = cont.lifetime.expect("checked: one lifetime");
    let id = cont.attrs.id.as_ref().expect("checked: id");
    let rest = unmodeled_ident(cont);
    let fields = positioned(cont);
    let declared: Vec<usize> = fields.iter().map(|(n, _)| *n).collect();
    let max_pos = declared.last().copied().unwrap_or(0);
    // Declared positions as bits (position n is bit n - 1); positions past
    // 128 are never declared by a composite.
    let mask: u128 = declared
        .iter()
        .filter(|&&n| n <= 128)
        .fold(0, |m, &n| m | (1u128 << (n - 1)));
    let mask = proc_macro2::Literal::u128_suffixed(mask);

    let metas = fields
        .iter()
        .map(|(n, f)| field_meta(&krate, lt, *n, f, Kind::Composite));

    let mut inits = Vec::new();
    let mut empties = Vec::new();
    let mut writes = Vec::new();
    let mut reports = Vec::new();
    for (n, f) in &fields {
        let name = f.ident;
        let inner = f.inner;
        let span = f.original.ty.span();
        let idx = n - 1;
        let (parse, empty, value) = match f.shape {
            Shape::Optional => (
                quote_spanned!(span=> #p::component_optional::<#inner>(__slots[#idx].as_ref())),
                quote!(#p::None),
                quote!(self.#name.as_ref()),
            ),
            // Vec is rejected by the checks.
            Shape::Single | Shape::Repeated => (
                quote_spanned!(span=> #p::component_single::<#inner>(__slots[#idx].as_ref())),
                quote_spanned!(span=> <#inner as #krate::typed::DataType<#lt>>::empty()),
                quote!(#p::Some(&self.#name)),
            ),
        };
        // Built in place in the struct literal: typed values are large, and
        // a local per field costs a copy of each.
        inits.push(quote!(#name: #parse,));
        empties.push(quote!(#name: #empty,));
        writes.push(quote_spanned!(span=>
            #n => #p::write_component::<#inner>(#value, __out, __delims, __child),
        ));
        reports.push(quote_spanned!(span=>
            #p::report_values::<#inner>(#value, |_| __at.child(#n), __out);
        ));
    }
    let rest_ty = &cont
        .fields
        .iter()
        .find(|f| f.attrs.unmodeled.is_some())
        .expect("checked")
        .original
        .ty;
    let rest_init = quote_spanned!(rest_ty.span()=> #rest: __extra,);
    let rest_empty = quote_spanned!(rest_ty.span()=> #rest: #krate::typed::Unmodeled::new(),);
    let static_self = static_self(cont);
    // One binding per method, typed at the user's span: a wrong type for
    // the unmodeled field is one error there, not one per use.
    let rest_let = quote_spanned!(rest_ty.span()=>
        let __rest: &#krate::typed::Unmodeled<#lt> = &self.#rest;
    );

    quote! {
        #[automatically_derived]
        impl<#lt> #krate::typed::DataType<#lt> for #ident<#lt> {
            const DATA_TYPE: &'static str = #id;

            fn empty() -> Self {
                Self {
                    #(#empties)*
                    #rest_empty
                }
            }

            fn from_er7_value(__value: &#krate::er7::Value<#lt>) -> Self {
                // The parts up to the last declared position, on the stack.
                let mut __slots: [#p::Option<#krate::er7::Value<#lt>>; #max_pos] = [#p::None; #max_pos];
                let mut __extra = #krate::typed::Unmodeled::new();
                #p::read_composite(__value, &mut __slots, #mask, &mut __extra);
                Self {
                    #(#inits)*
                    #rest_init
                }
            }

            fn write_er7(
                &self,
                __out: &mut #p::Vec<u8>,
                __delims: &#krate::er7::Delimiters,
                __level: #krate::er7::Level,
            ) {
                let __child = #p::child_level(__level);
                #rest_let
                let mut __w = #p::PartsWriter::composite(__out, __level, __delims, __rest);
                for __n in 1..=__w.total(#max_pos, __rest) {
                    __w.begin(__out);
                    match __n {
                        #(#writes)*
                        _ => #p::write_undeclared(__rest, __n, __out),
                    }
                    __w.end(__out);
                }
                __w.finish(__out);
            }

            fn report_unmodeled<'__r>(
                &'__r self,
                __at: #krate::typed::Location,
                __out: &mut #p::Vec<#krate::typed::UnmodeledItem<'__r>>,
            ) {
                #rest_let
                #p::report_extra(__rest, __at, __out);
                #(#reports)*
            }
        }

        #[automatically_derived]
        impl<#lt> #krate::typed::Composite<#lt> for #ident<#lt> {
            const META: &'static #krate::typed::CompositeMeta = &#krate::typed::CompositeMeta {
                data_type: #id,
                components: &[#(#metas),*],
            };
        }

        const _: &#krate::typed::CompositeMeta =
            <#static_self as #krate::typed::Composite<'static>>::META;
    }
}

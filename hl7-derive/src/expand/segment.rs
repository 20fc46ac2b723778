//! `#[derive(Segment)]`.

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
    let id_bytes = syn::LitByteStr::new(id.value().as_bytes(), id.span());
    let rest = unmodeled_ident(cont);
    let fields = positioned(cont);
    let declared: Vec<usize> = fields.iter().map(|(n, _)| *n).collect();
    let max_pos = declared.last().copied().unwrap_or(0);

    let metas = fields
        .iter()
        .map(|(n, f)| field_meta(&krate, lt, *n, f, Kind::Segment));

    let mut inits = Vec::new();
    let mut empties = Vec::new();
    let mut writes = Vec::new();
    let mut reports = Vec::new();
    for (n, f) in &fields {
        let name = f.ident;
        let inner = f.inner;
        let span = f.original.ty.span();
        let parse = match f.shape {
            Shape::Single => {
                quote_spanned!(span=> #p::field_single::<#inner>(__segment.field(#n), #n, &mut __extra))
            }
            Shape::Optional => {
                quote_spanned!(span=> #p::field_optional::<#inner>(__segment.field(#n), #n, &mut __extra))
            }
            Shape::Repeated => {
                quote_spanned!(span=> #p::field_repeated::<#inner>(__segment.field(#n)))
            }
        };
        // Built in place in the struct literal: typed values are large, and
        // a local per field costs a copy of each.
        inits.push(quote!(#name: #parse,));
        empties.push(match f.shape {
            Shape::Single => {
                quote_spanned!(span=> #name: <#inner as #krate::typed::DataType<#lt>>::empty(),)
            }
            Shape::Optional => quote!(#name: #p::None,),
            Shape::Repeated => quote!(#name: #p::Vec::new(),),
        });
        let write = match f.shape {
            Shape::Single => {
                quote_spanned!(span=> #p::write_field_single::<#inner>(&self.#name, #n, __rest, __out, __delims))
            }
            Shape::Optional => {
                quote_spanned!(span=> #p::write_field_optional::<#inner>(&self.#name, #n, __rest, __out, __delims))
            }
            Shape::Repeated => {
                quote_spanned!(span=> #p::write_field_repeated::<#inner>(&self.#name, __out, __delims))
            }
        };
        writes.push(quote!(#n => #write,));
        let values = match f.shape {
            Shape::Single => quote!(::core::iter::once(&self.#name)),
            Shape::Optional | Shape::Repeated => quote!(self.#name.iter()),
        };
        reports.push(quote_spanned!(span=>
            #p::report_values::<#inner>(#values, |__i| __at.field(#n, __i), __out);
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
    // `Default`, not `Unmodeled::new()`: a wrong type for the field is
    // reported once, by the read, not once more here.
    let rest_empty = quote!(#rest: ::core::default::Default::default(),);
    let static_self = static_self(cont);
    // One binding per method, typed at the user's span: a wrong type for
    // the unmodeled field is one error there, not one per use.
    let rest_let = quote_spanned!(rest_ty.span()=>
        let __rest: &#krate::typed::Unmodeled<#lt> = &self.#rest;
    );

    quote! {
        #[automatically_derived]
        impl<#lt> #krate::typed::Segment<#lt> for #ident<#lt> {
            const META: &'static #krate::typed::SegmentMeta = &#krate::typed::SegmentMeta {
                id: #id,
                fields: &[#(#metas),*],
            };

            fn read_fields(__segment: &#krate::er7::Segment<#lt>) -> Self {
                let mut __extra = #krate::typed::Unmodeled::new();
                #p::begin_segment(__segment, &[#(#declared),*], &mut __extra);
                Self {
                    #(#inits)*
                    #rest_init
                }
            }

            fn write_er7(&self, __out: &mut #p::Vec<u8>, __delims: &#krate::er7::Delimiters) {
                __out.extend_from_slice(#id_bytes);
                #rest_let
                let mut __w = #p::PartsWriter::segment(__out, #id, __delims, __rest);
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
                __out: &mut #p::Vec<#krate::typed::UnmodeledItem<'__r>>,
            ) {
                let __at = #krate::typed::Location::segment(#id);
                #rest_let
                #p::report_extra(__rest, __at, __out);
                #(#reports)*
            }
        }

        #[automatically_derived]
        impl<#lt> #krate::typed::Member<#lt> for #ident<#lt> {
            const NODE: #krate::typed::NodeMeta =
                #krate::typed::NodeMeta::Segment(<Self as #krate::typed::Segment<#lt>>::META);

            fn read_item(
                __message: &#lt #krate::er7::Message<'_>,
                __item: &#p::Item,
                __error: &mut #p::Option<#krate::typed::TypedParseError>,
            ) -> Self {
                match #p::matched_segment(__message, __item, #id, __error) {
                    #p::Some(__segment) => {
                        <Self as #krate::typed::Segment<#lt>>::read_fields(&__segment)
                    }
                    #p::None => <Self as #krate::typed::Member<#lt>>::empty_member(),
                }
            }

            fn empty_member() -> Self {
                Self {
                    #(#empties)*
                    #rest_empty
                }
            }

            fn write_member(&self, __out: &mut #p::Vec<u8>, __delims: &#krate::er7::Delimiters) {
                #p::write_segment_member(self, __out, __delims);
            }

            fn report_member<'__r>(&'__r self, __out: &mut #p::Vec<#krate::typed::Leftover<'__r>>) {
                #p::report_segment_member(self, __out);
            }
        }

        const _: &#krate::typed::SegmentMeta =
            <#static_self as #krate::typed::Segment<'static>>::META;
    }
}

//! Stub impls emitted next to the errors, so one bad attribute does not
//! also bring "trait not implemented" errors wherever the type is used.

use proc_macro2::TokenStream;
use quote::quote;

use crate::attr::Kind;

pub(super) fn expand(input: &syn::DeriveInput, kind: Kind, krate: &TokenStream) -> TokenStream {
    let ident = &input.ident;
    let p = quote!(#krate::__private);
    let mut generics = input.generics.clone();
    let lt = if let Some(l) = generics.lifetimes().next() {
        l.lifetime.clone()
    } else {
        let l = syn::Lifetime::new("'__a", proc_macro2::Span::call_site());
        generics.params.insert(
            0,
            syn::GenericParam::Lifetime(syn::LifetimeParam::new(l.clone())),
        );
        l
    };
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let (_, ty_generics, _) = input.generics.split_for_impl();
    match kind {
        Kind::Segment => quote! {
            #[automatically_derived]
            impl #impl_generics #krate::typed::Segment<#lt> for #ident #ty_generics #where_clause {
                const META: &'static #krate::typed::SegmentMeta =
                    &#krate::typed::SegmentMeta { id: "", fields: &[] };
                fn read_fields(_: &#krate::er7::Segment<#lt>) -> Self {
                    ::core::unreachable!()
                }
                fn write_er7(&self, _: &mut #p::Vec<u8>, _: &#krate::er7::Delimiters) {
                    ::core::unreachable!()
                }
                fn report_unmodeled<'__r>(
                    &'__r self,
                    _: &mut #p::Vec<#krate::typed::UnmodeledItem<'__r>>,
                ) {
                    ::core::unreachable!()
                }
            }
            #[automatically_derived]
            impl #impl_generics #krate::typed::Member<#lt> for #ident #ty_generics #where_clause {
                const NODE: #krate::typed::NodeMeta = #krate::typed::NodeMeta::Segment(&#krate::typed::SegmentMeta { id: "", fields: &[] });
                fn read_item(
                    _: &#lt #krate::er7::Message<'_>,
                    _: &#p::Item,
                    _: &mut #p::Option<#krate::typed::TypedParseError>,
                ) -> Self {
                    ::core::unreachable!()
                }
                fn empty_member() -> Self {
                    ::core::unreachable!()
                }
                fn write_member(&self, _: &mut #p::Vec<u8>, _: &#krate::er7::Delimiters) {
                    ::core::unreachable!()
                }
                fn report_member<'__r>(&'__r self, _: &mut #p::Vec<#krate::typed::Leftover<'__r>>) {
                    ::core::unreachable!()
                }
            }
        },
        Kind::Group => quote! {
            #[automatically_derived]
            impl #impl_generics #krate::typed::Group<#lt> for #ident #ty_generics #where_clause {
                const META: &'static #krate::typed::GroupMeta =
                    &#krate::typed::GroupMeta { name: "", members: &[] };
                fn read_instance(
                    _: &#lt #krate::er7::Message<'_>,
                    _: &#p::Instance,
                    _: &mut #p::Option<#krate::typed::TypedParseError>,
                ) -> Self {
                    ::core::unreachable!()
                }
            }
            #[automatically_derived]
            impl #impl_generics #krate::typed::Member<#lt> for #ident #ty_generics #where_clause {
                const NODE: #krate::typed::NodeMeta = #krate::typed::NodeMeta::Group(&#krate::typed::GroupMeta { name: "", members: &[] });
                fn read_item(
                    _: &#lt #krate::er7::Message<'_>,
                    _: &#p::Item,
                    _: &mut #p::Option<#krate::typed::TypedParseError>,
                ) -> Self {
                    ::core::unreachable!()
                }
                fn empty_member() -> Self {
                    ::core::unreachable!()
                }
                fn write_member(&self, _: &mut #p::Vec<u8>, _: &#krate::er7::Delimiters) {
                    ::core::unreachable!()
                }
                fn report_member<'__r>(&'__r self, _: &mut #p::Vec<#krate::typed::Leftover<'__r>>) {
                    ::core::unreachable!()
                }
            }
        },
        Kind::Message => quote! {
            #[automatically_derived]
            impl #impl_generics #krate::typed::Message<#lt> for #ident #ty_generics #where_clause {
                const META: &'static #krate::typed::MessageMeta = &#krate::typed::MessageMeta {
                    structure: "",
                    events: &[],
                    version: ::core::option::Option::None,
                    members: &[],
                };
                fn from_message(
                    _: &#lt #krate::er7::Message<'_>,
                ) -> #p::Result<Self, #krate::typed::TypedParseError> {
                    ::core::unreachable!()
                }
                fn write_er7(&self, _: &mut #p::Vec<u8>, _: &#krate::er7::Delimiters) {
                    ::core::unreachable!()
                }
                fn report_unmodeled<'__r>(
                    &'__r self,
                    _: &mut #p::Vec<#krate::typed::Leftover<'__r>>,
                ) {
                    ::core::unreachable!()
                }
            }
        },
        Kind::Composite => quote! {
            #[automatically_derived]
            impl #impl_generics #krate::typed::DataType<#lt> for #ident #ty_generics #where_clause {
                const DATA_TYPE: &'static str = "";
                fn empty() -> Self {
                    ::core::unreachable!()
                }
                fn from_er7_value(_: &#krate::er7::Value<#lt>) -> Self {
                    ::core::unreachable!()
                }
                fn write_er7(
                    &self,
                    _: &mut #p::Vec<u8>,
                    _: &#krate::er7::Delimiters,
                    _: #krate::er7::Level,
                ) {
                    ::core::unreachable!()
                }
            }
            #[automatically_derived]
            impl #impl_generics #krate::typed::Composite<#lt> for #ident #ty_generics #where_clause {
                const META: &'static #krate::typed::CompositeMeta =
                    &#krate::typed::CompositeMeta { data_type: "", components: &[] };
            }
        },
    }
}

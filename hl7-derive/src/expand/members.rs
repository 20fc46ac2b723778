//! `#[derive(Group)]` and `#[derive(Message)]`: structs whose members are
//! segments and groups, in structure order.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::{cardinality, krate, option, static_self, unmodeled_ident};
use crate::ast::{Container, Shape};
use crate::attr::Kind;

pub(super) fn expand(cont: &Container<'_>, kind: Kind) -> TokenStream {
    let krate = krate(cont.attrs.crate_path.as_ref());
    let p = quote!(#krate::__private);
    let ident = cont.ident;
    let lt = cont.lifetime.expect("checked: one lifetime");
    let id = cont.attrs.id.as_ref().expect("checked: id");
    let rest = unmodeled_ident(cont);
    let members: Vec<_> = cont
        .fields
        .iter()
        .filter(|f| f.attrs.unmodeled.is_none())
        .collect();

    let mut metas = Vec::new();
    let mut inits = Vec::new();
    let mut empties = Vec::new();
    let mut writes = Vec::new();
    let mut reports = Vec::new();
    for (child, f) in members.iter().enumerate() {
        let name = f.ident;
        let name_str = name.to_string();
        let name_str = name_str.strip_prefix("r#").unwrap_or(&name_str).to_owned();
        let inner = f.inner;
        let span = f.original.ty.span();
        let (usage, min, max) = cardinality(f);
        let usage = syn::Ident::new(usage.ident(), proc_macro2::Span::call_site());
        let max_tokens = option(max.map(|n| quote!(#n)));
        let shape = match f.shape {
            Shape::Single => quote!(Single),
            Shape::Optional => quote!(Optional),
            Shape::Repeated => quote!(Repeated),
        };
        let node = quote_spanned!(span=> <#inner as #krate::typed::Member<#lt>>::NODE);
        metas.push(quote! {
            #krate::typed::MemberMeta {
                name: #name_str,
                node: #node,
                usage: #krate::typed::Usage::#usage,
                min: #min,
                max: #max_tokens,
                shape: #krate::typed::Shape::#shape,
            }
        });
        let write = quote_spanned!(span=> <#inner as #krate::typed::Member<#lt>>::write_member);
        let report = quote_spanned!(span=> <#inner as #krate::typed::Member<#lt>>::report_member);
        let node_name = quote_spanned!(span=> <#inner as #krate::typed::Member<#lt>>::NODE.name());
        match f.shape {
            Shape::Repeated => {
                inits.push(quote!(#name: __r.many::<#inner>(#child),));
                empties.push(quote!(#name: #p::Vec::new(),));
                writes.push(quote! {
                    #p::write_many(&self.#name, #child, __rest, __out, |__v, __o| #write(__v, __o, __delims));
                });
                reports.push(quote! {
                    for __v in &self.#name { #report(__v, __out); }
                });
            }
            Shape::Optional | Shape::Single => {
                let value = if f.shape == Shape::Single {
                    inits.push(quote!(#name: __r.required::<#inner>(#child, #node_name),));
                    empties.push(quote_spanned!(span=> #name: <#inner as #krate::typed::Member<#lt>>::empty_member(),));
                    quote!(#p::Some(&self.#name))
                } else {
                    inits.push(quote!(#name: __r.optional::<#inner>(#child),));
                    empties.push(quote!(#name: #p::None,));
                    quote!(self.#name.as_ref())
                };
                writes.push(quote! {
                    #p::write_one(#value, #child, __rest, __out, |__v, __o| #write(__v, __o, __delims));
                });
                reports.push(quote! {
                    if let #p::Some(__v) = #value { #report(__v, __out); }
                });
            }
        }
    }
    let rest_ty = &cont
        .fields
        .iter()
        .find(|f| f.attrs.unmodeled.is_some())
        .expect("checked")
        .original
        .ty;
    let rest_let = quote_spanned!(rest_ty.span()=>
        let __rest: &#krate::typed::ExtraSegments<#lt> = &self.#rest;
    );
    let rest_init = quote_spanned!(rest_ty.span()=> #rest: __r.finish(),);

    // `Default`: a wrong type for the field is reported once, by the read.
    let rest_empty = quote!(#rest: ::core::default::Default::default(),);

    // Reading one instance (a group repetition, or the whole message): one
    // struct literal, members in declaration order, each built in place.
    let read_instance = quote! {
        let mut __r = #p::Reader::new(__message, __instance, #id, __error);
        Self {
            #(#inits)*
            #rest_init
        }
    };
    let empty_body = quote! {
        Self {
            #(#empties)*
            #rest_empty
        }
    };
    let write_body = quote! {
        #rest_let
        #p::write_leading(__rest, __out);
        #(#writes)*
    };
    let report_body = quote! {
        #(#reports)*
        #rest_let
        #p::report_extra_segments(__rest, __out);
    };
    let static_self = static_self(cont);

    if kind == Kind::Group {
        quote! {
            #[automatically_derived]
            impl<#lt> #krate::typed::Group<#lt> for #ident<#lt> {
                const META: &'static #krate::typed::GroupMeta = &#krate::typed::GroupMeta {
                    name: #id,
                    members: &[#(#metas),*],
                };

                fn read_instance(
                    __message: &#lt #krate::er7::Message<'_>,
                    __instance: &#p::Instance,
                    __error: &mut #p::Option<#krate::typed::TypedParseError>,
                ) -> Self {
                    #read_instance
                }
            }

            #[automatically_derived]
            impl<#lt> #krate::typed::Member<#lt> for #ident<#lt> {
                const NODE: #krate::typed::NodeMeta =
                    #krate::typed::NodeMeta::Group(<Self as #krate::typed::Group<#lt>>::META);

                fn read_item(
                    __message: &#lt #krate::er7::Message<'_>,
                    __item: &#p::Item,
                    __error: &mut #p::Option<#krate::typed::TypedParseError>,
                ) -> Self {
                    match #p::matched_group(__item, #id, __error) {
                        #p::Some(__instance) => {
                            <Self as #krate::typed::Group<#lt>>::read_instance(__message, __instance, __error)
                        }
                        #p::None => <Self as #krate::typed::Member<#lt>>::empty_member(),
                    }
                }

                fn empty_member() -> Self {
                    #empty_body
                }

                fn write_member(&self, __out: &mut #p::Vec<u8>, __delims: &#krate::er7::Delimiters) {
                    #write_body
                }

                fn report_member<'__r>(&'__r self, __out: &mut #p::Vec<#krate::typed::Leftover<'__r>>) {
                    #report_body
                }
            }

            const _: &#krate::typed::GroupMeta =
                <#static_self as #krate::typed::Group<'static>>::META;
        }
    } else {
        {
            let events = &cont.attrs.events;
            let version = option(cont.attrs.version.as_ref().map(|v| quote!(#v)));
            quote! {
                #[automatically_derived]
                impl<#lt> #krate::typed::Message<#lt> for #ident<#lt> {
                    const META: &'static #krate::typed::MessageMeta = &#krate::typed::MessageMeta {
                        structure: #id,
                        events: &[#(#events),*],
                        version: #version,
                        members: &[#(#metas),*],
                    };

                    fn from_message(
                        __message: &#lt #krate::er7::Message<'_>,
                    ) -> #p::Result<Self, #krate::typed::TypedParseError> {
                        static __STRUCTURE: #p::OnceLock<#p::Structure> = #p::OnceLock::new();
                        let __structure = #p::structure_of(
                            &__STRUCTURE,
                            <#static_self as #krate::typed::Message<'static>>::META,
                        );
                        let __matched = #p::match_segments(
                            __structure,
                            __message.segments().map(|__s| __s.id()),
                        );
                        let __instance = &__matched.root;
                        let mut __first_error = #p::None;
                        let __error = &mut __first_error;
                        let __value = {
                            #read_instance
                        };
                        #p::finish(__value, __first_error)
                    }

                    fn write_er7(&self, __out: &mut #p::Vec<u8>, __delims: &#krate::er7::Delimiters) {
                        #write_body
                    }

                    fn report_unmodeled<'__r>(
                        &'__r self,
                        __out: &mut #p::Vec<#krate::typed::Leftover<'__r>>,
                    ) {
                        #report_body
                    }
                }

                const _: &#krate::typed::MessageMeta =
                    <#static_self as #krate::typed::Message<'static>>::META;
            }
        }
    }
}

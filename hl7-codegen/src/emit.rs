//! The IR, printed as Rust declarations with `#[derive(..)]` and
//! `#[hl7(..)]` attributes. No behaviour is emitted: the derives write it.

use std::fmt::Write as _;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::ir::{Composite, Elem, Group, Member, Message, Module, Segment, Shape, Table, Ty};
use crate::naming::ident;

/// What the emitter needs besides the IR.
pub(crate) struct Emit<'a> {
    /// Path to hl7-runtime, as tokens (`::hl7_runtime`).
    pub(crate) runtime: &'a TokenStream,
    /// `crate = "..."` for the derives, when not the default.
    pub(crate) crate_attr: Option<&'a str>,
    /// serde derives for named JSON.
    pub(crate) serde: &'a Serde,
    /// The runtime path as written (`::hl7_runtime`).
    pub(crate) runtime_str: &'a str,
}

/// Whether generated types derive serde's traits (named JSON).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Serde {
    /// No serde.
    #[default]
    Off,
    /// Always: the types implement `Serialize` and `Deserialize` (through
    /// hl7-runtime's `serde` feature; no serde dependency needed).
    On,
    /// Behind `#[cfg(feature = "...")]` of the crate that includes the code.
    Feature(String),
}

/// One `#[doc = " line"]` per line, with `[`/`]` escaped.
fn doc_lines(lines: &[String]) -> TokenStream {
    let attrs = lines.iter().map(|l| {
        let l = if l.is_empty() {
            String::new()
        } else {
            format!(" {}", l.replace('[', "\\[").replace(']', "\\]"))
        };
        quote!(#[doc = #l])
    });
    quote!(#(#attrs)*)
}

/// An unsuffixed integer literal (`5`, not `5usize`).
fn lit(n: u32) -> proc_macro2::Literal {
    proc_macro2::Literal::u32_unsuffixed(n)
}

fn card(min: u32, max: Option<u32>) -> String {
    match max {
        Some(m) => format!("{min}..{m}"),
        None => format!("{min}..*"),
    }
}

impl Emit<'_> {
    pub(crate) fn module(&self, m: &Module) -> TokenStream {
        let composites = m.composites.iter().map(|c| self.composite(c, m));
        let segments = m.segments.iter().map(|s| self.segment(s, m));
        let groups = m.groups.iter().map(|g| self.group(g));
        let messages = m.messages.iter().map(|msg| self.message(msg, m));
        let tables = m.tables.iter().map(|t| self.table(t));
        quote! {
            #(#messages)*
            #(#groups)*
            #(#segments)*
            #(#composites)*
            #(#tables)*
        }
    }

    fn table(&self, t: &Table) -> TokenStream {
        let rt = self.runtime;
        let name = format_ident!("{}", t.rust);
        let id = &t.id;
        let krate = self.crate_attr.map(|c| quote!(crate = #c,));
        let docs = doc_lines(&[
            format!("HL7 table {}: {}.", t.id, t.name),
            String::new(),
            "Codes from HL7 Terminology; any other value is kept in `Other`.".to_owned(),
        ]);
        let variants = t.codes.iter().map(|(v, code, display)| {
            let v = format_ident!("{}", v);
            let doc = doc_lines(&[format!("`{code}`: {display}")]);
            quote! {
                #doc
                #[hl7(code = #code)]
                #v,
            }
        });
        quote! {
            #docs
            #[derive(Debug, Clone, PartialEq, #rt::Table)]
            #[hl7(#krate table = #id, datatype = ID)]
            pub enum #name<'a> {
                #(#variants)*
                /// A value that is not one of the table's codes, as sent.
                #[hl7(other)]
                Other(#rt::types::Id<'a>),
            }
        }
    }

    fn derives(&self, what: &str) -> TokenStream {
        let rt = self.runtime;
        let what = format_ident!("{}", what);
        let krate = self.crate_attr.map(|c| quote!(#[hl7(crate = #c)]));
        let serde_path = format!("{}::__private::serde", self.runtime_str);
        let serde = self.wrap_serde(&[
            quote!(derive(#rt::__private::serde::Serialize, #rt::__private::serde::Deserialize)),
            quote!(serde(crate = #serde_path)),
        ]);
        quote! {
            #[derive(Debug, Clone, PartialEq, #rt::#what)]
            #krate
            #serde
        }
    }

    /// `#[attr]`, `#[cfg_attr(feature = "f", attr)]` or nothing, by the
    /// serde setting.
    fn wrap_serde(&self, attrs: &[TokenStream]) -> TokenStream {
        match self.serde {
            Serde::Off => quote!(),
            Serde::On => quote!(#(#[#attrs])*),
            Serde::Feature(f) => quote!(#[cfg_attr(feature = #f, #(#attrs),*)]),
        }
    }

    /// The serde attribute of a member or field held as `shape`.
    fn serde_field(&self, shape: Shape) -> TokenStream {
        let attr = match shape {
            Shape::Single => return quote!(),
            Shape::Optional => {
                quote!(serde(
                    default,
                    skip_serializing_if = "::core::option::Option::is_none"
                ))
            }
            Shape::Repeated => {
                quote!(serde(
                    default,
                    skip_serializing_if = "::std::vec::Vec::is_empty"
                ))
            }
        };
        self.wrap_serde(&[attr])
    }

    fn serde_skip(&self) -> TokenStream {
        self.wrap_serde(&[quote!(serde(skip))])
    }

    fn elem(&self, e: &Elem, key: &str, version: Option<&str>) -> TokenStream {
        let rt = self.runtime;
        let name = ident(&e.rust);
        let inner = match &e.ty {
            Ty::Primitive { rust, .. } => {
                let t = format_ident!("{}", rust);
                quote!(#rt::types::#t<'a>)
            }
            Ty::Composite(rust) | Ty::Table(rust) => {
                let t = format_ident!("{}", rust);
                quote!(#t<'a>)
            }
        };
        let ty = match e.shape {
            Shape::Single => inner,
            Shape::Optional => quote!(::core::option::Option<#inner>),
            Shape::Repeated => quote!(::std::vec::Vec<#inner>),
        };
        let key = format_ident!("{}", key);
        let pos = lit(e.position);
        let usage = format_ident!("{}", e.usage);
        let mut keys = vec![quote!(#key = #pos)];
        let exact = match &e.ty {
            Ty::Primitive { exact, .. } => *exact,
            Ty::Composite(_) | Ty::Table(_) => true,
        };
        if exact && e.code.bytes().all(|b| b.is_ascii_alphanumeric()) && !e.code.is_empty() {
            let dt = format_ident!("{}", e.code);
            keys.push(quote!(datatype = #dt));
        }
        keys.push(quote!(usage = #usage));
        if e.shape == Shape::Repeated {
            let min = lit(e.min);
            keys.push(quote!(min = #min));
            match e.max.map(lit) {
                Some(m) => keys.push(quote!(max = #m)),
                None => keys.push(quote!(max = *)),
            }
        }
        if let Some(len) = e.len.map(lit) {
            keys.push(quote!(len = #len));
        }
        if let Some(t) = &e.table {
            keys.push(quote!(table = #t));
        }
        let mut meta = format!(
            "`{}`, usage `{}`, `{}`",
            e.code,
            e.usage,
            card(e.min, e.max)
        );
        if let Some(t) = &e.table {
            let _ = write!(meta, ", table {t}");
        }
        if let Some(len) = e.len {
            let _ = write!(meta, ", length {len}");
        }
        if let Some(c) = &e.constant {
            let _ = write!(meta, ", always `{c}`");
        }
        if let Some(v) = version {
            let _ = write!(meta, " (HL7 v{v})");
        }
        meta.push('.');
        let docs = doc_lines(&[format!("{} {}", e.alias, e.long_name), String::new(), meta]);
        let alias = &e.alias;
        let serde = self.serde_field(e.shape);
        quote! {
            #docs
            #[doc(alias = #alias)]
            #[hl7(#(#keys),*)]
            #serde
            pub #name: #ty,
        }
    }

    fn composite(&self, c: &Composite, m: &Module) -> TokenStream {
        let rt = self.runtime;
        let name = format_ident!("{}", c.rust);
        let id = &c.code;
        let derives = self.derives("Composite");
        let fields = c
            .components
            .iter()
            .map(|e| self.elem(e, "component", m.version.as_deref()));
        let mut lines = vec![format!("The `{}` data type.", c.code)];
        if c.flavor != c.code {
            lines.push(String::new());
            lines.push(format!(
                "Flavor `{}`: constrained by the profile.",
                c.flavor
            ));
        }
        let docs = doc_lines(&lines);
        let skip = self.serde_skip();
        quote! {
            #docs
            #derives
            #[hl7(id = #id)]
            pub struct #name<'a> {
                #(#fields)*
                /// Components this type does not model, kept for write-back.
                #[hl7(unmodeled)]
                #skip
                pub rest: #rt::typed::Unmodeled<'a>,
            }
        }
    }

    fn segment(&self, s: &Segment, m: &Module) -> TokenStream {
        let rt = self.runtime;
        let name = format_ident!("{}", s.rust);
        let id = &s.id;
        let derives = self.derives("Segment");
        let fields = s
            .fields
            .iter()
            .map(|e| self.elem(e, "field", m.version.as_deref()));
        let mut lines = vec![format!(
            "The `{}` segment{}.",
            s.id,
            s.description
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        )];
        if s.flavor != s.id {
            lines.push(String::new());
            lines.push(format!(
                "Flavor `{}`: constrained by the profile.",
                s.flavor
            ));
        }
        if s.site_defined {
            lines.push(String::new());
            lines.push("Declared by the site profile.".to_owned());
        }
        let docs = doc_lines(&lines);
        let alias = &s.id;
        let skip = self.serde_skip();
        quote! {
            #docs
            #[doc(alias = #alias)]
            #derives
            #[hl7(id = #id)]
            pub struct #name<'a> {
                #(#fields)*
                /// Fields this segment does not model, kept for write-back.
                #[hl7(unmodeled)]
                #skip
                pub rest: #rt::typed::Unmodeled<'a>,
            }
        }
    }

    fn member(&self, mem: &Member) -> TokenStream {
        let name = ident(&mem.rust);
        let t = format_ident!("{}", mem.ty);
        let ty = match mem.shape {
            Shape::Single => quote!(#t<'a>),
            Shape::Optional => quote!(::core::option::Option<#t<'a>>),
            Shape::Repeated => quote!(::std::vec::Vec<#t<'a>>),
        };
        let usage = format_ident!("{}", mem.usage);
        let mut keys = vec![quote!(usage = #usage)];
        if mem.shape == Shape::Repeated {
            let min = lit(mem.min);
            keys.push(quote!(min = #min));
            match mem.max.map(lit) {
                Some(m) => keys.push(quote!(max = #m)),
                None => keys.push(quote!(max = *)),
            }
        }
        let kind = if mem.is_group { "group" } else { "segment" };
        let docs = doc_lines(&[format!(
            "The `{}` {kind}: usage `{}`, `{}`.",
            mem.hl7,
            mem.usage,
            card(mem.min, mem.max)
        )]);
        let alias = &mem.hl7;
        let serde = self.serde_field(mem.shape);
        quote! {
            #docs
            #[doc(alias = #alias)]
            #[hl7(#(#keys),*)]
            #serde
            pub #name: #ty,
        }
    }

    fn group(&self, g: &Group) -> TokenStream {
        let rt = self.runtime;
        let name = format_ident!("{}", g.rust);
        let id = &g.name;
        let derives = self.derives("Group");
        let members = g.members.iter().map(|m| self.member(m));
        let docs = doc_lines(&[format!("The `{}` group.", g.path)]);
        let skip = self.serde_skip();
        quote! {
            #docs
            #derives
            #[hl7(id = #id)]
            pub struct #name<'a> {
                #(#members)*
                /// Segments the structure does not expect, kept where they stood.
                #[hl7(unmodeled)]
                #skip
                pub rest: #rt::typed::ExtraSegments<'a>,
            }
        }
    }

    fn message(&self, msg: &Message, m: &Module) -> TokenStream {
        let rt = self.runtime;
        let name = format_ident!("{}", msg.rust);
        let id = &msg.structure;
        let derives = self.derives("Message");
        let members = msg.members.iter().map(|m| self.member(m));
        let events = msg.events.iter().map(|e| quote!(event = #e));
        let version = m.version.as_ref().map(|v| quote!(version = #v));
        let attrs: Vec<TokenStream> = std::iter::once(quote!(id = #id))
            .chain(events)
            .chain(version)
            .collect();
        let mut lines = vec![format!(
            "The `{}` message structure{}.",
            msg.structure,
            if msg.events.is_empty() {
                String::new()
            } else {
                format!(", for {}", msg.events.join(", "))
            }
        )];
        if let Some(d) = &msg.description {
            lines.push(String::new());
            lines.push(d.clone());
        }
        let docs = doc_lines(&lines);
        let skip = self.serde_skip();
        quote! {
            #docs
            #[doc(alias = #id)]
            #derives
            #[hl7(#(#attrs),*)]
            pub struct #name<'a> {
                #(#members)*
                /// Segments the structure does not expect, kept where they stood.
                #[hl7(unmodeled)]
                #skip
                pub rest: #rt::typed::ExtraSegments<'a>,
            }
        }
    }
}

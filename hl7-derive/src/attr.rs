//! One typed struct per attribute site: the struct, and each field.

use proc_macro2::Span;
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned as _;
use syn::{Expr, ExprLit, Lit, LitStr, Token};

use crate::ctxt::Ctxt;
use crate::symbol::{
    COMPONENT, CRATE, DATATYPE, EVENT, FIELD, HL7, ID, LEN, MAX, MIN, Symbol, TABLE, UNMODELED,
    USAGE, VERSION,
};

/// Which derive is reading the attributes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Segment,
    Composite,
    Group,
    Message,
}

impl Kind {
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Kind::Segment => "segment",
            Kind::Composite => "composite",
            Kind::Group => "group",
            Kind::Message => "message",
        }
    }

    /// The derive's name.
    pub(crate) fn derive(self) -> &'static str {
        match self {
            Kind::Segment => "Segment",
            Kind::Composite => "Composite",
            Kind::Group => "Group",
            Kind::Message => "Message",
        }
    }

    /// Groups and messages hold segments and groups, in declaration order.
    pub(crate) fn has_members(self) -> bool {
        matches!(self, Kind::Group | Kind::Message)
    }

    /// An example id, for messages.
    fn example_id(self) -> &'static str {
        match self {
            Kind::Segment => "PID",
            Kind::Composite => "XPN",
            Kind::Group => "PATIENT",
            Kind::Message => "ADT_A01",
        }
    }
}

/// A value set at most once; a second `set` is an error on its tokens.
pub(crate) struct Attr<'c, T> {
    cx: &'c Ctxt,
    name: Symbol,
    value: Option<T>,
}

impl<'c, T> Attr<'c, T> {
    fn none(cx: &'c Ctxt, name: Symbol) -> Self {
        Attr {
            cx,
            name,
            value: None,
        }
    }

    fn set<A: ToTokens>(&mut self, obj: A, value: T) {
        if self.value.is_some() {
            self.cx
                .error_spanned_by(obj, format!("duplicate hl7 attribute `{}`", self.name));
        } else {
            self.value = Some(value);
        }
    }

    fn get(self) -> Option<T> {
        self.value
    }
}

/// A value with the span of its tokens, for errors.
#[derive(Clone)]
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    pub(crate) span: Span,
}

/// `#[hl7(...)]` on the struct.
pub(crate) struct Container {
    pub(crate) id: Option<LitStr>,
    /// `id` was written (maybe invalid, already reported).
    pub(crate) id_written: bool,
    pub(crate) crate_path: Option<syn::Path>,
    /// `event = "ADT^A01"` (messages; may repeat).
    pub(crate) events: Vec<LitStr>,
    /// `version = "2.5.1"` (messages).
    pub(crate) version: Option<LitStr>,
}

/// Usage codes a field may declare.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Usage {
    R,
    RE,
    O,
    C,
    CE,
    B,
    W,
}

impl Usage {
    pub(crate) fn ident(self) -> &'static str {
        match self {
            Usage::R => "R",
            Usage::RE => "RE",
            Usage::O => "O",
            Usage::C => "C",
            Usage::CE => "CE",
            Usage::B => "B",
            Usage::W => "W",
        }
    }
}

/// `#[hl7(...)]` on a field.
pub(crate) struct Field {
    /// `field = n` or `component = n`, with the key's span.
    pub(crate) position: Option<Spanned<usize>>,
    pub(crate) datatype: Option<syn::Ident>,
    pub(crate) usage: Option<Spanned<Usage>>,
    pub(crate) min: Option<Spanned<u32>>,
    /// `None` inside: `*`.
    pub(crate) max: Option<Spanned<Option<u32>>>,
    pub(crate) len: Option<Spanned<u32>>,
    pub(crate) table: Option<LitStr>,
    pub(crate) unmodeled: Option<Span>,
    /// Any key other than `unmodeled`, for "takes no other keys".
    pub(crate) first_key: Option<Span>,
    /// A position key was written (maybe invalid, already reported).
    pub(crate) position_written: bool,
}

/// Skips the value of an unknown key, so the keys after it are read.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        let value = meta.value()?;
        while !value.is_empty() && !value.peek(Token![,]) {
            value.parse::<proc_macro2::TokenTree>()?;
        }
    } else if meta.input.peek(syn::token::Paren) {
        let _group: proc_macro2::Group = meta.input.parse()?;
    }
    Ok(())
}

fn parse_expr(meta: &ParseNestedMeta<'_>) -> syn::Result<Expr> {
    meta.value()?.parse()
}

fn as_int(cx: &Ctxt, expr: &Expr, key: Symbol, example: &str) -> Option<Spanned<u32>> {
    if let Expr::Lit(ExprLit {
        lit: Lit::Int(int), ..
    }) = expr
        && let Ok(value) = int.base10_parse::<u32>()
    {
        return Some(Spanned {
            value,
            span: int.span(),
        });
    }
    cx.error_spanned_by(
        expr,
        format!("expected a non-negative integer for `{key}`: `{key} = {example}`"),
    );
    None
}

fn as_str(cx: &Ctxt, expr: &Expr, key: Symbol, example: &str) -> Option<LitStr> {
    if let Expr::Lit(ExprLit {
        lit: Lit::Str(s), ..
    }) = expr
    {
        return Some(s.clone());
    }
    cx.error_spanned_by(
        expr,
        format!("expected a string for `{key}`: `{key} = \"{example}\"`"),
    );
    None
}

fn as_ident(expr: &Expr) -> Option<&syn::Ident> {
    match expr {
        Expr::Path(p) if p.qself.is_none() && p.attrs.is_empty() => p.path.get_ident(),
        _ => None,
    }
}

/// Runs `f` on each `key = value` of each `#[hl7(...)]`, collecting errors.
fn each_meta(
    cx: &Ctxt,
    attrs: &[syn::Attribute],
    mut f: impl FnMut(&ParseNestedMeta<'_>) -> syn::Result<()>,
) {
    for attr in attrs {
        if *attr.path() != HL7 {
            continue;
        }
        if let syn::Meta::List(list) = &attr.meta
            && list.tokens.is_empty()
        {
            continue;
        }
        if let Err(err) = attr.parse_nested_meta(|meta| f(&meta)) {
            cx.syn_error(err);
        }
    }
}

impl Container {
    pub(crate) fn from_ast(cx: &Ctxt, input: &syn::DeriveInput, kind: Kind) -> Self {
        let mut id = Attr::none(cx, ID);
        let mut crate_path = Attr::none(cx, CRATE);
        let mut version = Attr::none(cx, VERSION);
        let mut events = Vec::new();
        let mut id_written = false;
        each_meta(cx, &input.attrs, |meta| {
            if meta.path == ID {
                id_written = true;
                let expr = parse_expr(meta)?;
                if let Some(s) = as_str(cx, &expr, ID, kind.example_id()) {
                    id.set(&meta.path, s);
                }
            } else if kind == Kind::Message && meta.path == EVENT {
                let expr = parse_expr(meta)?;
                if let Some(s) = as_str(cx, &expr, EVENT, "ADT^A01") {
                    let v = s.value();
                    let ok = v.split_once('^').is_some_and(|(t, e)| {
                        !t.is_empty()
                            && !e.is_empty()
                            && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'^')
                    });
                    if ok {
                        events.push(s);
                    } else {
                        cx.error_spanned_by(
                            &s,
                            "an event is a message type and trigger, such as \"ADT^A01\"",
                        );
                    }
                }
            } else if kind == Kind::Message && meta.path == VERSION {
                let expr = parse_expr(meta)?;
                if let Some(s) = as_str(cx, &expr, VERSION, "2.5.1") {
                    version.set(&meta.path, s);
                }
            } else if meta.path == CRATE {
                let expr = parse_expr(meta)?;
                if let Some(s) = as_str(cx, &expr, CRATE, "my_crate::hl7_runtime") {
                    match s.parse::<syn::Path>() {
                        Ok(path) => crate_path.set(&meta.path, path),
                        Err(_) => cx.error_spanned_by(&s, "expected a path: `crate = \"a::b\"`"),
                    }
                }
            } else {
                let name = meta.path.to_token_stream().to_string().replace(' ', "");
                skip_value(meta)?;
                let expected = if kind == Kind::Message {
                    "`id`, `event`, `version` or `crate`"
                } else {
                    "`id` or `crate`"
                };
                cx.error_spanned_by(
                    &meta.path,
                    format!(
                        "unknown hl7 {} attribute `{name}`; expected {expected}",
                        kind.noun()
                    ),
                );
            }
            Ok(())
        });
        Container {
            id: id.get(),
            id_written,
            crate_path: crate_path.get(),
            events,
            version: version.get(),
        }
    }
}

impl Field {
    pub(crate) fn from_ast(cx: &Ctxt, field: &syn::Field, kind: Kind) -> Self {
        let position_key = match kind {
            Kind::Segment => FIELD,
            Kind::Composite => COMPONENT,
            // Members take their place from declaration order; `field`
            // and `component` are reported as unknown below.
            Kind::Group | Kind::Message => Symbol("\0"),
        };
        let members = kind.has_members();
        let mut position = Attr::none(cx, position_key);
        let mut datatype = Attr::none(cx, DATATYPE);
        let mut usage = Attr::none(cx, USAGE);
        let mut min = Attr::none(cx, MIN);
        let mut max = Attr::none(cx, MAX);
        let mut len = Attr::none(cx, LEN);
        let mut table = Attr::none(cx, TABLE);
        let mut unmodeled = Attr::none(cx, UNMODELED);
        let mut first_key = None;
        let mut position_written = false;
        each_meta(cx, &field.attrs, |meta| {
            let path = &meta.path;
            if !members && (*path == FIELD || *path == COMPONENT) {
                position_written = true;
            }
            if *path != UNMODELED && first_key.is_none() {
                first_key = Some(path.span());
            }
            if *path == position_key {
                let expr = parse_expr(meta)?;
                if let Some(n) = as_int(cx, &expr, position_key, "5") {
                    if n.value == 0 {
                        cx.error_spanned_by(&expr, "positions count from 1");
                    } else {
                        let value = Spanned {
                            value: n.value as usize,
                            span: n.span,
                        };
                        position.set(path, value);
                    }
                }
            } else if !members && *path == DATATYPE {
                let expr = parse_expr(meta)?;
                match as_ident(&expr) {
                    Some(ident) => datatype.set(path, ident.clone()),
                    None => cx.error_spanned_by(
                        &expr,
                        "expected a data type name, without quotes: `datatype = XPN`",
                    ),
                }
            } else if *path == USAGE {
                let expr = parse_expr(meta)?;
                let code = as_ident(&expr).map(ToString::to_string);
                let value = match code.as_deref() {
                    Some("R") => Some(Usage::R),
                    Some("RE") => Some(Usage::RE),
                    Some("O") => Some(Usage::O),
                    Some("C") => Some(Usage::C),
                    Some("CE") => Some(Usage::CE),
                    Some("B") => Some(Usage::B),
                    Some("W") => Some(Usage::W),
                    Some("X") => {
                        cx.error_spanned_by(
                            &expr,
                            "a `usage = X` field must not be sent: remove it from the struct",
                        );
                        None
                    }
                    _ => {
                        cx.error_spanned_by(
                            &expr,
                            "unknown usage; expected `R`, `RE`, `O`, `C`, `CE`, `B` or `W`",
                        );
                        None
                    }
                };
                if let Some(value) = value {
                    usage.set(
                        path,
                        Spanned {
                            value,
                            span: expr.span(),
                        },
                    );
                }
            } else if *path == MIN {
                let expr = parse_expr(meta)?;
                if let Some(n) = as_int(cx, &expr, MIN, "1") {
                    min.set(path, n);
                }
            } else if *path == MAX {
                let value = meta.value()?;
                if value.peek(Token![*]) {
                    let star: Token![*] = value.parse()?;
                    max.set(
                        path,
                        Spanned {
                            value: None,
                            span: star.span,
                        },
                    );
                } else {
                    let expr: Expr = value.parse()?;
                    if let Some(n) = as_int(cx, &expr, MAX, "3` or `max = *") {
                        if n.value == 0 {
                            cx.error_spanned_by(&expr, "`max` is at least 1; `*` is unbounded");
                        } else {
                            max.set(
                                path,
                                Spanned {
                                    value: Some(n.value),
                                    span: n.span,
                                },
                            );
                        }
                    }
                }
            } else if !members && *path == LEN {
                let expr = parse_expr(meta)?;
                if let Some(n) = as_int(cx, &expr, LEN, "250") {
                    len.set(path, n);
                }
            } else if !members && *path == TABLE {
                let expr = parse_expr(meta)?;
                if let Some(s) = as_str(cx, &expr, TABLE, "0200") {
                    table.set(path, s);
                }
            } else if *path == UNMODELED {
                if meta.input.peek(Token![=]) {
                    skip_value(meta)?;
                    cx.error_spanned_by(path, "`unmodeled` takes no value");
                }
                unmodeled.set(path, path.span());
            } else {
                let name = path.to_token_stream().to_string().replace(' ', "");
                skip_value(meta)?;
                let hint = match kind {
                    Kind::Segment if name == "component" => "; segments use `field = n`",
                    Kind::Composite if name == "field" => "; composites use `component = n`",
                    Kind::Group | Kind::Message => {
                        "; members take `usage`, `min`, `max` or `unmodeled`, and their place from the order they are declared in"
                    }
                    _ => "",
                };
                let site = if members { "member" } else { "field" };
                cx.error_spanned_by(path, format!("unknown hl7 {site} attribute `{name}`{hint}"));
            }
            Ok(())
        });
        Field {
            position: position.get(),
            datatype: datatype.get(),
            usage: usage.get(),
            min: min.get(),
            max: max.get(),
            len: len.get(),
            table: table.get(),
            unmodeled: unmodeled.get(),
            first_key,
            position_written,
        }
    }
}

//! Rules across attributes and fields, checked after reading.

use std::collections::BTreeMap;

use crate::ast::{Container, Shape};
use crate::attr::{Kind, Usage};
use crate::ctxt::Ctxt;

pub(crate) fn check(cx: &Ctxt, cont: &Container<'_>, kind: Kind) {
    check_container(cx, cont, kind);
    if !kind.has_members() {
        check_positions(cx, cont, kind);
    }
    check_unmodeled(cx, cont, kind);
    for field in &cont.fields {
        if field.attrs.unmodeled.is_none() {
            check_shape(cx, field, kind);
        }
    }
}

fn check_container(cx: &Ctxt, cont: &Container<'_>, kind: Kind) {
    if cont.lifetime.is_none() {
        let generics = &cont.original.generics;
        let at = if generics.params.is_empty() {
            quote::ToTokens::to_token_stream(cont.ident)
        } else {
            quote::ToTokens::to_token_stream(generics)
        };
        cx.error_spanned_by(
            at,
            format!(
                "a typed {} takes exactly one lifetime parameter, the message's, and no type parameters: `struct {}<'a>`",
                kind.noun(),
                cont.ident
            ),
        );
    }
    if cont.attrs.id.is_none() && cont.attrs.id_written {
        return;
    }
    match (&cont.attrs.id, kind) {
        (None, Kind::Segment) => {
            cx.error_spanned_by(cont.ident, "a segment needs its id: `#[hl7(id = \"PID\")]`");
        }
        (None, Kind::Composite) => cx.error_spanned_by(
            cont.ident,
            "a composite needs its data type: `#[hl7(id = \"XPN\")]`",
        ),
        (Some(id), Kind::Segment) => {
            let v = id.value();
            let ok = v.len() == 3
                && v.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
                && v.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
            if !ok {
                cx.error_spanned_by(
                    id,
                    "a segment id is an upper-case letter and two upper-case letters or digits, such as \"PID\" or \"ZP1\"",
                );
            }
        }
        (Some(id), Kind::Composite) => {
            let v = id.value();
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                cx.error_spanned_by(id, "a data type is letters and digits, such as \"XPN\"");
            }
        }
        (None, Kind::Group) => {
            cx.error_spanned_by(
                cont.ident,
                "a group needs its name: `#[hl7(id = \"PATIENT\")]`",
            );
        }
        (None, Kind::Message) => cx.error_spanned_by(
            cont.ident,
            "a message needs its structure: `#[hl7(id = \"ADT_A01\")]`",
        ),
        (Some(id), Kind::Group | Kind::Message) => {
            let v = id.value();
            if v.is_empty()
                || !v
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            {
                cx.error_spanned_by(
                    id,
                    format!(
                        "a {} name is upper-case letters, digits and `_`, such as \"{}\"",
                        kind.noun(),
                        if kind == Kind::Group {
                            "PATIENT_RESULT"
                        } else {
                            "ORU_R01"
                        }
                    ),
                );
            }
        }
    }
}

fn check_positions(cx: &Ctxt, cont: &Container<'_>, kind: Kind) {
    let key = match kind {
        Kind::Segment => "field",
        _ => "component",
    };
    let mut seen: BTreeMap<usize, &syn::Ident> = BTreeMap::new();
    for field in &cont.fields {
        if field.attrs.unmodeled.is_some() {
            continue;
        }
        match &field.attrs.position {
            None if field.attrs.position_written => {}
            None => cx.error_spanned_by(
                field.ident,
                format!(
                    "missing position: add `#[hl7({key} = n)]`, or `#[hl7(unmodeled)]` for the field that keeps unmodeled content"
                ),
            ),
            Some(pos) => {
                if let Some(first) = seen.get(&pos.value) {
                    cx.syn_error(syn::Error::new(
                        pos.span,
                        format!("{key} {} is declared twice: also on `{first}`", pos.value),
                    ));
                } else {
                    seen.insert(pos.value, field.ident);
                }
            }
        }
    }
}

fn check_unmodeled(cx: &Ctxt, cont: &Container<'_>, kind: Kind) {
    let mut found = false;
    for field in &cont.fields {
        let Some(span) = field.attrs.unmodeled else {
            continue;
        };
        if found {
            cx.syn_error(syn::Error::new(
                span,
                "only one field can be `#[hl7(unmodeled)]`",
            ));
        }
        found = true;
        if let Some(other) = field.attrs.first_key {
            cx.syn_error(syn::Error::new(
                other,
                "the `#[hl7(unmodeled)]` field takes no other hl7 attribute",
            ));
        }
    }
    if !found && cont.lifetime.is_some() {
        let ty = if kind.has_members() {
            "ExtraSegments"
        } else {
            "Unmodeled"
        };
        cx.error_spanned_by(
            cont.ident,
            format!(
                "a typed {} needs a field `#[hl7(unmodeled)] rest: hl7_runtime::typed::{ty}<'a>` to keep the content it does not model",
                kind.noun()
            ),
        );
    }
}

fn check_shape(cx: &Ctxt, field: &crate::ast::Field<'_>, kind: Kind) {
    let ty = &field.original.ty;
    let a = &field.attrs;
    if kind == Kind::Composite && field.shape == Shape::Repeated {
        cx.error_spanned_by(
            ty,
            "components do not repeat: use `T` or `Option<T>`, not `Vec<T>`",
        );
        return;
    }
    if let Some(u) = &a.usage
        && u.value == Usage::R
        && field.shape == Shape::Optional
    {
        cx.error_spanned_by(
            ty,
            "a `usage = R` field is always there: use `T`, not `Option<T>`",
        );
    }
    if let Some(max) = &a.max {
        match (max.value, field.shape) {
            (None, Shape::Single | Shape::Optional) => {
                cx.error_spanned_by(ty, "`max = *` repeats: use `Vec<T>`");
            }
            (Some(n), Shape::Single | Shape::Optional) if n > 1 => {
                cx.error_spanned_by(ty, format!("`max = {n}` repeats: use `Vec<T>`"));
            }
            (Some(1), Shape::Repeated) => cx.error_spanned_by(
                ty,
                "`max = 1` is a single value: use `T` or `Option<T>`, not `Vec<T>`",
            ),
            _ => {}
        }
    }
    if let Some(min) = &a.min {
        if min.value >= 1 && field.shape == Shape::Optional {
            cx.error_spanned_by(
                ty,
                format!(
                    "`min = {}` is always there: use `T`, not `Option<T>`",
                    min.value
                ),
            );
        }
        if min.value > 1 && field.shape == Shape::Single {
            cx.error_spanned_by(ty, format!("`min = {}` repeats: use `Vec<T>`", min.value));
        }
        if let Some(Some(max)) = a.max.as_ref().map(|m| m.value)
            && min.value > max
        {
            cx.syn_error(syn::Error::new(
                min.span,
                format!("`min = {}` is above `max = {max}`", min.value),
            ));
        }
    }
}

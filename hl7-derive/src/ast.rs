//! The derive input, read: the struct and its fields, each keeping the syn
//! node it came from for error spans.

use syn::{GenericArgument, PathArguments, Type};

use crate::attr::{self, Kind};
use crate::ctxt::Ctxt;

/// How a field holds its values, from its Rust type.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Single,
    Optional,
    Repeated,
}

pub(crate) struct Container<'a> {
    pub(crate) ident: &'a syn::Ident,
    pub(crate) attrs: attr::Container,
    pub(crate) fields: Vec<Field<'a>>,
    /// The struct's lifetime parameter, when it has exactly one and nothing else.
    pub(crate) lifetime: Option<&'a syn::Lifetime>,
    pub(crate) original: &'a syn::DeriveInput,
}

pub(crate) struct Field<'a> {
    pub(crate) ident: &'a syn::Ident,
    pub(crate) attrs: attr::Field,
    pub(crate) shape: Shape,
    /// `T` of `T`, `Option<T>` or `Vec<T>`.
    pub(crate) inner: &'a Type,
    pub(crate) original: &'a syn::Field,
}

/// `Option<T>` or `Vec<T>` (by last path segment) and its `T`.
fn shape_of(ty: &Type) -> (Shape, &Type) {
    if let Type::Path(p) = ty
        && p.qself.is_none()
        && let Some(last) = p.path.segments.last()
        && let PathArguments::AngleBracketed(args) = &last.arguments
        && args.args.len() == 1
        && let Some(GenericArgument::Type(inner)) = args.args.first()
    {
        if last.ident == "Option" {
            return (Shape::Optional, inner);
        }
        if last.ident == "Vec" {
            return (Shape::Repeated, inner);
        }
    }
    (Shape::Single, ty)
}

impl<'a> Container<'a> {
    /// Reads the input; `None` when it is not a struct with named fields
    /// (the error is in `cx`).
    pub(crate) fn from_ast(cx: &Ctxt, input: &'a syn::DeriveInput, kind: Kind) -> Option<Self> {
        let attrs = attr::Container::from_ast(cx, input, kind);
        let syn::Data::Struct(syn::DataStruct {
            fields: syn::Fields::Named(named),
            ..
        }) = &input.data
        else {
            cx.error_spanned_by(
                &input.ident,
                format!(
                    "`#[derive({})]` needs a struct with named fields",
                    kind.derive()
                ),
            );
            return None;
        };
        let fields = named
            .named
            .iter()
            .filter_map(|f| {
                let ident = f.ident.as_ref()?;
                let (shape, inner) = shape_of(&f.ty);
                Some(Field {
                    ident,
                    attrs: attr::Field::from_ast(cx, f, kind),
                    shape,
                    inner,
                    original: f,
                })
            })
            .collect();
        let generics = &input.generics;
        let lifetime = match (
            generics.lifetimes().count(),
            generics.type_params().count() + generics.const_params().count(),
        ) {
            (1, 0) => generics.lifetimes().next().map(|l| &l.lifetime),
            _ => None,
        };
        Some(Container {
            ident: &input.ident,
            attrs,
            fields,
            lifetime,
            original: input,
        })
    }
}

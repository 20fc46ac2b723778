//! Derive macros for typed HL7 v2 segments and composites.
//!
//! Use them through `hl7_runtime` (feature `derive`, on by default), which
//! re-exports them next to the traits they implement:
//!
//! ```ignore
//! use hl7_runtime::typed::Unmodeled;
//! use hl7_runtime::types::{St, Id};
//!
//! #[derive(hl7_runtime::Segment)]
//! #[hl7(id = "ZPI")]
//! struct Zpi<'a> {
//!     #[hl7(field = 1, usage = R)]
//!     set_id: St<'a>,
//!     #[hl7(field = 2, datatype = ID, table = "0136", len = 1)]
//!     active: Option<Id<'a>>,
//!     #[hl7(unmodeled)]
//!     rest: Unmodeled<'a>,
//! }
//! ```
//!
//! # Attribute reference
//!
//! On the struct:
//!
//! * `id = "PID"`: the segment id (three upper-case letters or digits), or
//!   the composite's data type (`"XPN"`). Required.
//! * `crate = "path"`: where hl7-runtime is, for crates that re-export it
//!   (default `::hl7_runtime`).
//!
//! On a field (all values typed: integers, bare names, strings for ids):
//!
//! * `field = 5` (segments) or `component = 1` (composites): the position,
//!   from 1. Required, unique.
//! * `datatype = XPN`: the HL7 data type; checked at compile time against
//!   the Rust type's. Default: the Rust type's.
//! * `usage = R`: one of `R`, `RE`, `O`, `C`, `CE`, `B`, `W` (`X` fields are
//!   not modeled). Default `R` for `T`, `O` for `Option<T>` and `Vec<T>`.
//!   `R` cannot be an `Option`.
//! * `min = 1`, `max = 3` or `max = *`: cardinality. `max` above 1 needs a
//!   `Vec<T>`, a `Vec<T>` needs `max` above 1. Defaults: `min` 1 for `R`,
//!   else 0; `max` 1 for `T` and `Option<T>`, `*` for `Vec<T>`.
//! * `len = 250`: the maximum length.
//! * `table = "0200"`: the HL7 table the value is coded from.
//! * `unmodeled`: marks the one `Unmodeled<'a>` field that keeps the
//!   content the struct does not model. Required, exactly once.
//!
//! Every mistake in a struct is reported in one build, on the offending
//! tokens.

mod ast;
mod attr;
mod check;
mod ctxt;
mod expand;
mod symbol;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Implements `hl7_runtime::typed::Segment`; see the crate docs for the
/// `#[hl7(...)]` attributes.
#[proc_macro_derive(Segment, attributes(hl7))]
pub fn derive_segment(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::segment(&input).into()
}

/// Implements `hl7_runtime::typed::Composite` and `DataType`; see the crate
/// docs for the `#[hl7(...)]` attributes.
#[proc_macro_derive(Composite, attributes(hl7))]
pub fn derive_composite(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::composite(&input).into()
}

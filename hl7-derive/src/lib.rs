//! Derive macros for typed HL7 v2 segments, composites, groups and messages.
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
//! # Groups and messages
//!
//! `#[derive(Group)]` and `#[derive(Message)]` take structs whose fields
//! are typed segments and groups, declared in structure order:
//!
//! ```ignore
//! #[derive(hl7_runtime::Message)]
//! #[hl7(id = "ADT_A01", event = "ADT^A01", event = "ADT^A04", version = "2.5.1")]
//! struct AdtA01<'a> {
//!     msh: Msh<'a>,
//!     evn: Evn<'a>,
//!     pid: Pid<'a>,
//!     nk1: Vec<Nk1<'a>>,
//!     insurance: Vec<AdtA01Insurance<'a>>,   // a #[derive(Group)] struct
//!     #[hl7(unmodeled)]
//!     rest: hl7_runtime::typed::ExtraSegments<'a>,
//! }
//! ```
//!
//! On the struct: `id` (the group name, or the message structure such as
//! `"ADT_A01"`; required), `crate`, and for messages `event = "ADT^A01"`
//! (once per event carried) and `version = "2.5.1"`.
//!
//! On a member: `usage`, `min` and `max` as for fields (defaults from the
//! Rust shape: `T` is required and single, `Option<T>` optional, `Vec<T>`
//! repeats without limit). A member's place in the structure is the order
//! it is declared in. The one `#[hl7(unmodeled)]` field is an
//! `ExtraSegments<'a>`: segments the structure does not expect, kept where
//! they stood.
//!
//! # Tables
//!
//! `#[derive(Table)]` takes an enum of a table's codes: on the enum
//! `table = "0008"` and `datatype = ID` (the data type of the codes,
//! checked against the `Other` variant's type), on each unit variant
//! `code = "AA"`, and `other` on the one variant `Other(T)` that keeps any
//! other value, so unknown codes survive a round trip:
//!
//! ```ignore
//! #[derive(hl7_runtime::Table)]
//! #[hl7(table = "0008", datatype = ID)]
//! enum AcknowledgmentCode<'a> {
//!     #[hl7(code = "AA")]
//!     ApplicationAccept,
//!     #[hl7(other)]
//!     Other(hl7_runtime::types::Id<'a>),
//! }
//! ```
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

/// Implements `hl7_runtime::typed::Group` and `Member`; see the crate docs
/// for the `#[hl7(...)]` attributes.
#[proc_macro_derive(Group, attributes(hl7))]
pub fn derive_group(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::group(&input).into()
}

/// Implements `hl7_runtime::typed::Message`; see the crate docs for the
/// `#[hl7(...)]` attributes.
#[proc_macro_derive(Message, attributes(hl7))]
pub fn derive_message(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::message(&input).into()
}

/// Implements `hl7_runtime::typed::DataType` for an enum of an HL7 table's
/// codes with an `Other` variant (`#[hl7(table = "0008", datatype = ID)]`,
/// `#[hl7(code = "AA")]` per variant, `#[hl7(other)] Other(Id<'a>)`);
/// see the crate docs.
#[proc_macro_derive(Table, attributes(hl7))]
pub fn derive_table(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::table(&input).into()
}

/// Implements `hl7_runtime::typed::Composite` and `DataType`; see the crate
/// docs for the `#[hl7(...)]` attributes.
#[proc_macro_derive(Composite, attributes(hl7))]
pub fn derive_composite(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::composite(&input).into()
}

//! Typed segments and composites over the ER7 engine.
//!
//! A struct with `#[derive(Segment)]` or `#[derive(Composite)]` and
//! `#[hl7(...)]` attributes reads its fields from a parsed message, writes
//! them back as ER7 and describes itself to the validator:
//!
//! ```
//! use hl7_runtime::er7::Message;
//! use hl7_runtime::typed::{Segment as _, Unmodeled, UnmodeledKind};
//! use hl7_runtime::types::{Is, St};
//!
//! #[derive(Debug, Clone, PartialEq, hl7_runtime::Segment)]
//! #[hl7(id = "ZPI")]
//! struct Zpi<'a> {
//!     #[hl7(field = 1, usage = R)]
//!     set_id: St<'a>,
//!     #[hl7(field = 2, len = 20, table = "9001")]
//!     pet_kind: Option<Is<'a>>,
//!     #[hl7(field = 3, max = *)]
//!     nicknames: Vec<St<'a>>,
//!     #[hl7(unmodeled)]
//!     rest: Unmodeled<'a>,
//! }
//!
//! let msg = Message::parse(b"MSH|^~\\&|A||B||20260101||ADT^A01|1|P|2.5\rZPI|1|DOG|Rex~Rexy|extra\r")?;
//! let seg = msg.segments_named("ZPI").next().unwrap();
//! let zpi = Zpi::from_er7(&seg)?;
//! assert_eq!(zpi.pet_kind.as_ref().unwrap(), "DOG");
//! assert_eq!(zpi.nicknames.len(), 2);
//!
//! // ZPI-4 is not modeled: kept, reported, and written back.
//! let unmodeled = zpi.unmodeled();
//! assert_eq!(unmodeled[0].location.to_string(), "ZPI-4");
//! assert_eq!(unmodeled[0].kind, UnmodeledKind::Undeclared);
//! assert_eq!(zpi.to_er7(msg.delimiters()), seg.raw());
//!
//! assert_eq!(Zpi::META.fields[1].table, Some("9001"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Shapes
//!
//! A field's Rust type says its cardinality: `T` for a single value that is
//! always there (empty when not sent), `Option<T>` for an optional single
//! value, `Vec<T>` for a repeating field. `T` is a primitive from
//! [`types`](crate::types) or a `#[derive(Composite)]` struct.
//!
//! # Nothing dropped
//!
//! Every typed struct has an [`Unmodeled`] field (`#[hl7(unmodeled)]`)
//! that keeps the content the struct does not declare: fields or
//! components at undeclared positions, and repetitions past the first of a
//! single-valued field. [`Segment::to_er7`] puts them back, so a segment
//! that was parsed and not changed writes back byte for byte;
//! [`Segment::unmodeled`] lists them.
//!
//! Values keep their wire text, escapes included, in the delimiters of the
//! message they were read from: write with those delimiters (or re-escape
//! first) to get the same text back.

use std::fmt;

use crate::er7::{self, Delimiters, Level, Value};
use crate::structure::{Instance, Item};

mod extra;
mod meta;
#[cfg(feature = "serde")]
mod serde_impls;
pub(crate) mod unmodeled;

pub use extra::{ExtraSegment, ExtraSegments};
pub use meta::{
    CompositeMeta, FieldMeta, GroupMeta, MemberMeta, MessageMeta, NodeMeta, SegmentMeta, Shape,
    Usage,
};
pub use unmodeled::{Location, Unmodeled, UnmodeledItem, UnmodeledKind};

/// A value that can fill a field or component: a primitive from
/// [`types`](crate::types) or a [`Composite`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an HL7 data type",
    label = "not an HL7 data type",
    note = "a field or component holds a primitive from `hl7_runtime::types` (`St`, `Nm`, `Dtm` ...) or a struct with `#[derive(hl7_runtime::Composite)]`, as `T`, `Option<T>` or `Vec<T>`"
)]
pub trait DataType<'a>: Sized {
    /// The HL7 data type code (`ST`, `XPN` ...).
    const DATA_TYPE: &'static str;

    /// The value of a field that was not sent.
    fn empty() -> Self;

    /// Reads the value from a repetition of a field (its components
    /// separated by `^`), a component (its subcomponents separated by `&`)
    /// or a subcomponent. Never fails and keeps every byte.
    fn from_er7_value(value: &Value<'a>) -> Self;

    /// Appends the wire bytes. `level` is where the value sits:
    /// [`Level::Repetition`] for a field, [`Level::Component`] for a
    /// component, which chooses the separator between its own parts.
    fn write_er7(&self, out: &mut Vec<u8>, delims: &Delimiters, level: Level);

    /// Appends what the value does not model (nothing for primitives).
    fn report_unmodeled<'r>(&'r self, at: Location, out: &mut Vec<UnmodeledItem<'r>>) {
        let _ = (at, out);
    }
}

/// A typed composite data type (`XPN`, `CX`, `HD` ...): a struct with
/// `#[derive(hl7_runtime::Composite)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an HL7 composite",
    label = "not an HL7 composite",
    note = "derive it: `#[derive(hl7_runtime::Composite)]` with `#[hl7(id = \"XPN\")]` and `#[hl7(component = n)]` on its fields"
)]
pub trait Composite<'a>: DataType<'a> {
    /// The data type and its declared components.
    const META: &'static CompositeMeta;

    /// What this value does not model, with locations relative to
    /// `at`, the place the value sits, in order.
    fn unmodeled_at(&self, at: Location) -> Vec<UnmodeledItem<'_>> {
        let mut out = Vec::new();
        self.report_unmodeled(at, &mut out);
        out.sort_by_key(|item| item.location);
        out
    }
}

/// A typed segment: a struct with `#[derive(hl7_runtime::Segment)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an HL7 segment",
    label = "not an HL7 segment",
    note = "derive it: `#[derive(hl7_runtime::Segment)]` with `#[hl7(id = \"PID\")]` and `#[hl7(field = n)]` on its fields"
)]
pub trait Segment<'a>: Sized {
    /// The segment id and its declared fields.
    const META: &'static SegmentMeta;

    /// Reads the segment. Field values are never rejected (they keep their
    /// wire text; see [`Primitive::validate`](crate::types::Primitive::validate)).
    ///
    /// # Errors
    ///
    /// When the segment's id is not [`META.id`](SegmentMeta::id).
    fn from_er7(segment: &er7::Segment<'a>) -> Result<Self, TypedParseError> {
        crate::__private::check_id(segment, Self::META.id)?;
        Ok(Self::read_fields(segment))
    }

    /// Reads the fields without checking the id: [`Segment::from_er7`]
    /// after its check. The derive implements it.
    #[doc(hidden)]
    fn read_fields(segment: &er7::Segment<'a>) -> Self;

    /// Appends the segment, without a terminator.
    fn write_er7(&self, out: &mut Vec<u8>, delims: &Delimiters);

    /// Appends what the segment does not model, nested composites included.
    fn report_unmodeled<'r>(&'r self, out: &mut Vec<UnmodeledItem<'r>>);

    /// The segment as ER7, without a terminator.
    fn to_er7(&self, delims: &Delimiters) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_er7(&mut out, delims);
        out
    }

    /// What the segment does not model, nested composites included, in
    /// field order.
    fn unmodeled(&self) -> Vec<UnmodeledItem<'_>> {
        let mut out = Vec::new();
        self.report_unmodeled(&mut out);
        out.sort_by_key(|item| item.location);
        out
    }

    /// Reads the first segment of `message` with this id, if there is one.
    ///
    /// # Errors
    ///
    /// As [`Segment::from_er7`].
    fn first_in(message: &'a er7::Message<'_>) -> Option<Result<Self, TypedParseError>> {
        message
            .segments_named(Self::META.id)
            .next()
            .map(|s| Self::from_er7(&s))
    }
}

/// A member of a typed group or message: a [`Segment`] or a [`Group`].
/// The derives implement it; it is how a group or message reads and writes
/// its members without knowing which kind each is.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an HL7 segment or group",
    label = "not a typed segment or group",
    note = "a member of a group or message is a struct with `#[derive(hl7_runtime::Segment)]` or `#[derive(hl7_runtime::Group)]`, as `T`, `Option<T>` or `Vec<T>`"
)]
pub trait Member<'a>: Sized {
    /// The segment's or group's metadata.
    const NODE: NodeMeta;

    /// Reads one occurrence: a matched segment or group repetition.
    ///
    /// # Errors
    ///
    /// When a required member inside is missing, or the segment has
    /// another id.
    fn from_item(message: &'a er7::Message<'_>, item: &Item) -> Result<Self, TypedParseError> {
        let mut error = None;
        let value = Self::read_item(message, item, &mut error);
        error.map_or(Ok(value), Err)
    }

    /// Reads one occurrence, built in place: on a failure the first error
    /// goes to `error` and what could be read is returned (the caller then
    /// drops it). [`Member::from_item`] is this with a `Result`; the
    /// derives implement it so that large typed values are not copied
    /// through a `Result` at every level of nesting.
    #[doc(hidden)]
    fn read_item(
        message: &'a er7::Message<'_>,
        item: &Item,
        error: &mut Option<TypedParseError>,
    ) -> Self;

    /// An occurrence with every field or member empty: what
    /// [`Member::read_item`] returns for a required member that is missing.
    #[doc(hidden)]
    fn empty_member() -> Self;

    /// Appends the occurrence's segments, each followed by a CR.
    fn write_member(&self, out: &mut Vec<u8>, delims: &Delimiters);

    /// Appends what the occurrence does not model.
    fn report_member<'r>(&'r self, out: &mut Vec<Leftover<'r>>);
}

/// A typed segment group: a struct with `#[derive(hl7_runtime::Group)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an HL7 group",
    label = "not an HL7 group",
    note = "derive it: `#[derive(hl7_runtime::Group)]` with `#[hl7(id = \"PATIENT\")]`"
)]
pub trait Group<'a>: Member<'a> {
    /// The group's name and members.
    const META: &'static GroupMeta;

    /// Reads one repetition of the group from what the matcher assigned
    /// to it.
    ///
    /// # Errors
    ///
    /// When a required member is missing.
    fn from_instance(
        message: &'a er7::Message<'_>,
        instance: &Instance,
    ) -> Result<Self, TypedParseError> {
        let mut error = None;
        let value = Self::read_instance(message, instance, &mut error);
        error.map_or(Ok(value), Err)
    }

    /// [`Group::from_instance`], built in place, with the first error in
    /// `error` (see [`Member::read_item`]).
    #[doc(hidden)]
    fn read_instance(
        message: &'a er7::Message<'_>,
        instance: &Instance,
        error: &mut Option<TypedParseError>,
    ) -> Self;
}

/// A typed message: a struct with `#[derive(hl7_runtime::Message)]`.
///
/// Reading assigns the message's segments to the structure's groups (the
/// [`structure`](crate::structure) matcher), then reads each member;
/// segments the structure does not expect are kept in the struct's
/// [`ExtraSegments`] and written back where they stood.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an HL7 message",
    label = "not an HL7 message",
    note = "derive it: `#[derive(hl7_runtime::Message)]` with `#[hl7(id = \"ADT_A01\")]`"
)]
pub trait Message<'a>: Sized {
    /// The structure, the events it carries and its members.
    const META: &'static MessageMeta;

    /// Reads the message.
    ///
    /// # Errors
    ///
    /// When a required segment or group is missing (the error names it and
    /// the group it belongs to).
    fn from_message(message: &'a er7::Message<'_>) -> Result<Self, TypedParseError>;

    /// Appends the message as ER7: every segment followed by a CR.
    fn write_er7(&self, out: &mut Vec<u8>, delims: &Delimiters);

    /// Appends what the message does not model.
    fn report_unmodeled<'r>(&'r self, out: &mut Vec<Leftover<'r>>);

    /// The message as ER7, every segment followed by a CR.
    fn to_er7(&self, delims: &Delimiters) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_er7(&mut out, delims);
        out
    }

    /// What the message does not model: segments the structure does not
    /// expect, and fields, components and repetitions its segments do not
    /// declare: each member's content in member order, then the segments kept
    /// in its `ExtraSegments` (each with its position in the message).
    fn unmodeled(&self) -> Vec<Leftover<'_>> {
        let mut out = Vec::new();
        self.report_unmodeled(&mut out);
        out
    }
}

/// Something a typed group or message does not model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Leftover<'r> {
    /// A whole segment the structure does not expect where it stood, or an
    /// occurrence past a member's maximum.
    Segment {
        /// Its position in the message it was read from, from 0.
        position: usize,
        /// The segment as on the wire.
        raw: &'r [u8],
    },
    /// Content inside a modeled segment.
    Content(UnmodeledItem<'r>),
}

impl fmt::Display for Leftover<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Leftover::Segment { position, raw } => {
                let id = String::from_utf8_lossy(&raw[..raw.len().min(3)]);
                write!(f, "segment {} ({id}): not modeled", position + 1)
            }
            Leftover::Content(item) => item.fmt(f),
        }
    }
}

/// Reading a typed value failed.
///
/// The `Display` text is for people and may change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypedParseError {
    inner: Box<ErrorInner>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct ErrorInner {
    kind: ErrorKind,
    expected: &'static str,
    found: String,
    position: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ErrorKind {
    WrongSegment,
    Missing,
}

impl TypedParseError {
    pub(crate) fn wrong_segment(expected: &'static str, segment: &er7::Segment<'_>) -> Self {
        TypedParseError {
            inner: Box::new(ErrorInner {
                kind: ErrorKind::WrongSegment,
                expected,
                found: segment.id().to_owned(),
                position: segment.position(),
            }),
        }
    }

    /// A required member `expected` of `within` (a group or structure
    /// name) is missing; `position` is the first segment of the instance
    /// that lacks it.
    pub(crate) fn missing(expected: &'static str, within: &str, position: usize) -> Self {
        TypedParseError {
            inner: Box::new(ErrorInner {
                kind: ErrorKind::Missing,
                expected,
                found: within.to_owned(),
                position,
            }),
        }
    }

    /// True when the segment had another id than the type's.
    pub fn is_wrong_segment(&self) -> bool {
        self.inner.kind == ErrorKind::WrongSegment
    }

    /// True when a required segment or group was missing.
    pub fn is_missing(&self) -> bool {
        self.inner.kind == ErrorKind::Missing
    }

    /// The segment id the type reads, or the missing segment or group.
    pub fn expected(&self) -> &'static str {
        self.inner.expected
    }

    /// The segment id found, or for a missing member the group or
    /// structure it is missing from.
    pub fn found(&self) -> &str {
        &self.inner.found
    }

    /// The position of the segment in its message, from 0.
    pub fn segment_position(&self) -> usize {
        self.inner.position
    }
}

impl fmt::Display for TypedParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.inner.kind {
            ErrorKind::WrongSegment => write!(
                f,
                "expected a {} segment, found {} (segment {})",
                self.inner.expected,
                self.inner.found,
                self.inner.position + 1
            ),
            ErrorKind::Missing => write!(
                f,
                "{} is required in {} but missing (at segment {})",
                self.inner.expected,
                self.inner.found,
                self.inner.position + 1
            ),
        }
    }
}

impl std::error::Error for TypedParseError {}

macro_rules! primitive_data_types {
    ($($name:ident),* $(,)?) => {
        $(
            impl<'a> DataType<'a> for crate::types::$name<'a> {
                const DATA_TYPE: &'static str =
                    <crate::types::$name<'a> as crate::types::Primitive<'a>>::DATA_TYPE;

                fn empty() -> Self {
                    Self::default()
                }

                fn from_er7_value(value: &Value<'a>) -> Self {
                    <Self as crate::types::Primitive<'a>>::from_value(value)
                }

                fn write_er7(&self, out: &mut Vec<u8>, _delims: &Delimiters, _level: Level) {
                    out.extend_from_slice(self.wire());
                }
            }
        )*
    };
}

primitive_data_types!(
    St, Tx, Ft, Gts, Tn, Id, Is, Snm, Nm, Si, Dt, Tm, Dtm, Ts, Varies
);

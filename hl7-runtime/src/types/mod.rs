//! Primitive HL7 v2 data types that keep their wire text.
//!
//! Each type here is a small struct over the value's bytes as they are on
//! the wire: [`St`], [`Tx`], [`Ft`], [`Gts`], [`Tn`], [`Id`], [`Is`] for
//! text and codes, [`Snm`] for telephone digits, [`Nm`] and [`Si`] for numbers, and
//! [`Dt`], [`Tm`], [`Dtm`] and [`Ts`] for dates and times. Building one
//! never fails and never changes a byte, so a message read into typed
//! structs writes back exactly as it came, malformed values included.
//! Typed access parses on request and reports a [`FormatError`] that says
//! what is wrong and at which character:
//!
//! ```
//! use hl7_runtime::types::{Dtm, Nm, Precision};
//!
//! let nm = Nm::from_wire(b"-007.50");
//! let d = nm.decimal()?.unwrap();
//! assert_eq!((d.is_negative(), d.mantissa(), d.scale()), (true, 750, 2));
//! assert_eq!(d.to_string(), "-7.50");
//! assert_eq!(nm.wire(), b"-007.50"); // the text is kept as sent
//!
//! let dtm = Dtm::from_wire(b"202601311530+0100");
//! let t = dtm.datetime()?.unwrap();
//! assert_eq!(t.precision(), Precision::Minute);
//! assert_eq!(t.offset().unwrap().minutes(), 60);
//!
//! let bad = Dtm::from_wire(b"20260230");
//! assert_eq!(bad.datetime().unwrap_err().to_string(),
//!            "DTM: day out of range for the month at position 6");
//! assert_eq!(bad.wire(), b"20260230");
//! # Ok::<(), hl7_runtime::types::FormatError>(())
//! ```
//!
//! # Empty and null
//!
//! An empty value (not sent) and the explicit null `""` (delete the value
//! the receiver holds) are valid for every type: [`Primitive::validate`]
//! accepts them and typed access returns `Ok(None)`. Tell them apart with
//! [`Primitive::is_empty`] and [`Primitive::is_null`].
//!
//! # Storage
//!
//! A value is a [`Cow<'a, [u8]>`](std::borrow::Cow): borrowed from the
//! message while parsing (no allocation per field; the lifetime is the
//! message's), owned when built from typed values or after
//! [`into_owned`](Primitive::into_owned), which typed messages use to become
//! `'static` like [`Message::into_owned`](crate::er7::Message::into_owned).
//! Bytes rather than `str`, because the wire text is in the message's
//! character set (MSH-18), which need not be UTF-8.
//!
//! The bytes are the *escaped* wire text. Numbers, dates and codes have no
//! use for escapes (an escape character in an `NM` is a format error), and
//! text types decode on request with [`St::text`] (the default delimiters
//! and character set) or [`St::text_in`] (the message's).
//!
//! # Numbers and codes
//!
//! * `NM`: an optional `+` or `-`, then ASCII digits with at most one `.`
//!   anywhere among them (`5.`, `.5` and leading zeros are fine), at least
//!   one digit; no exponent, spaces or thousands separators. Any number of
//!   digits is valid; [`Nm::decimal`] holds up to 38 significant digits and
//!   38 decimals and reports [`Overflow`](FormatErrorKind::Overflow) beyond,
//!   while [`Nm::to_f64`] reads any length.
//! * `SI`: one or more ASCII digits (no sign), at most `u32::MAX`.
//! * `ID`, `IS`: no control characters (below 0x20, 0x7F) and no leading or
//!   trailing space. Table membership is the validator's job.
//! * `SNM`: an optional `+` and one or more ASCII digits.
//! * `ST`, `TX`, `FT`, `GTS`, `TN`: any text. Escape sequences are the ER7
//!   engine's to check ([`Message::check`](crate::er7::Message::check)).
//!
//! Equality (`==`) of the value types compares wire text: `Nm("1.0")` and
//! `Nm("1")` differ. Compare typed values for meaning.
//!
//! # Dates and times
//!
//! | type | format |
//! |---|---|
//! | `DT` | `YYYY[MM[DD]]` |
//! | `TM` | `HH[MM[SS[.S[S[S[S]]]]]][+/-ZZZZ]` |
//! | `DTM` | `YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]` |
//! | `TS` | a `DTM`, then optionally the (pre-2.6) degree of precision: `DTM^P` with `P` one of `Y L D H M S` |
//!
//! Rules checked, each reported with its position in the wire text:
//!
//! * every part has exactly its digits (four for the year, two for the
//!   others), ASCII digits only; no separators, spaces or `T`;
//! * year `0000`-`9999` (proleptic Gregorian, as ISO 8601); month `01`-`12`;
//!   day `01` to the last day of the month, February having 29 days in leap
//!   years (divisible by 4, except centuries not divisible by 400);
//! * hour `00`-`23` (no `24`); minute `00`-`59`; second `00`-`59`: HL7
//!   lists no leap second, and neither `std` nor Unix time counts one, so
//!   `60` is an error;
//! * fractional seconds only after seconds: a `.` and one to four digits (HL7's
//!   maximum; a fifth digit is [`FractionTooLong`](FormatErrorKind::FractionTooLong));
//! * the offset (`TM`, `DTM`, `TS`; not `DT`) after any precision: `+` or
//!   `-` and exactly four digits `HHMM`, hours at most 14, minutes at most 59,
//!   and at most 14:00 in all (the range of real zones, -12:00 to +14:00,
//!   widened symmetrically); `-0000` reads as UTC.
//! * an hour without minutes is accepted in `TS` as in `DTM`, though v2.3's
//!   `TS` wrote `HHMM` together.
//!
//! Empty values and the null `""` pass.
//!
//! # Format checks for the validator
//!
//! [`check_format`] checks a value against the named data type's format;
//! [`check_nm`], [`check_si`], [`check_dt`], [`check_tm`], [`check_dtm`],
//! [`check_ts`], [`check_id`], [`check_is`] and [`check_snm`] check one each.
//! They are the implementation behind [`Primitive::validate`], so typed
//! access and validation agree on every input.

use std::borrow::Cow;

use crate::er7::{Level, Value};

mod datetime;
mod error;
mod number;
mod text;
mod varies;

pub use datetime::{Date, DateTime, Dt, Dtm, Offset, Precision, Time, Tm, Ts};
pub use error::{FormatError, FormatErrorKind};
pub use number::{Decimal, Nm, Si};
pub use text::{Ft, Gts, Id, Is, Snm, St, Tn, Tx};
pub use varies::{Varies, VariesValue};

/// What every primitive type offers: building from wire bytes, giving them
/// back, and checking their format.
///
/// `'a` is the lifetime of the bytes a value borrows; `Primitive<'static>`
/// types own theirs.
///
/// ```
/// use hl7_runtime::er7::{Message, Path};
/// use hl7_runtime::types::{Nm, Primitive};
///
/// let msg = Message::parse(b"MSH|^~\\&|A||B||20260101||ORU^R01|1|P|2.5\rOBX|1|NM|x||13.2\r")?;
/// let value = msg.get(&"OBX-5".parse()?).unwrap();
/// let nm = Nm::from_value(&value);
/// assert!(nm.validate().is_ok());
/// assert_eq!(nm.wire(), b"13.2");
/// let owned: Nm<'static> = nm.into_owned();
/// assert_eq!(owned.to_f64()?, Some(13.2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Primitive<'a>: Sized + Clone {
    /// The HL7 data type code (`NM`, `DTM` ...).
    const DATA_TYPE: &'static str;

    /// The same type, owning its bytes.
    type Owned: Primitive<'static>;

    /// Builds the value from its wire bytes. `separator` is the character
    /// between the value's own components: the component separator for a
    /// field, the subcomponent separator for a component. Only [`Ts`] has
    /// components; the other types ignore it. Never fails and keeps every
    /// byte.
    fn from_wire_in(raw: Cow<'a, [u8]>, separator: u8) -> Self;

    /// Builds the value from a value of a parsed message, borrowing its
    /// bytes. Pass a repetition, component or subcomponent: a whole field
    /// would bring its repetition separators along.
    fn from_value(value: &Value<'a>) -> Self {
        let d = value.delimiters();
        let separator = match value.level() {
            Level::Field | Level::Repetition | Level::Literal => d.component,
            Level::Component | Level::Subcomponent => d.subcomponent,
        };
        Self::from_wire_in(Cow::Borrowed(value.raw()), separator)
    }

    /// The bytes as on the wire.
    fn wire(&self) -> &[u8];

    /// The bytes as on the wire, by value.
    fn into_wire(self) -> Cow<'a, [u8]>;

    /// The same value, owning its bytes (copied when borrowed).
    fn into_owned(self) -> Self::Owned;

    /// Checks the wire text against the data type's format. Empty values and
    /// the null `""` pass. Text types (`ST`, `TX`, `FT`, `GTS`, `TN`) always pass.
    fn validate(&self) -> Result<(), FormatError>;

    /// True when the value is empty (not sent).
    fn is_empty(&self) -> bool {
        self.wire().is_empty()
    }

    /// True for the explicit null `""`.
    fn is_null(&self) -> bool {
        self.wire() == b"\"\""
    }
}

/// True when `raw` is empty or the null `""`: valid for any type, and no
/// typed value.
pub(crate) fn is_absent(raw: &[u8]) -> bool {
    raw.is_empty() || raw == b"\"\""
}

/// Checks `raw` against the format of the data type named `data_type`.
///
/// Checked: `NM`, `SI`, `DT`, `TM`, `DTM`, `TS`, `ID`, `IS` and `SNM`
/// (exactly these codes, upper case). Any other code, composite
/// or unknown, passes: use [`has_format_check`] to tell. `separator` is the
/// character between the value's own components (only `TS` has any): the
/// component separator for a field, the subcomponent separator for a
/// component.
///
/// ```
/// use hl7_runtime::types::{check_format, FormatErrorKind};
///
/// assert!(check_format("NM", b"+12.50", b'^').is_ok());
/// assert!(check_format("TS", b"20260101^D", b'^').is_ok());
/// let err = check_format("SI", b"12a", b'^').unwrap_err();
/// assert_eq!((err.kind(), err.position()), (FormatErrorKind::UnexpectedCharacter, 2));
/// assert!(check_format("XPN", b"anything^at all", b'^').is_ok());
/// ```
pub fn check_format(data_type: &str, raw: &[u8], separator: u8) -> Result<(), FormatError> {
    match data_type {
        "NM" => check_nm(raw),
        "SI" => check_si(raw),
        "DT" => check_dt(raw),
        "TM" => check_tm(raw),
        "DTM" => check_dtm(raw),
        "TS" => check_ts(raw, separator),
        "ID" => check_id(raw),
        "IS" => check_is(raw),
        "SNM" => check_snm(raw),
        _ => Ok(()),
    }
}

/// True when [`check_format`] has rules for `data_type`.
pub fn has_format_check(data_type: &str) -> bool {
    matches!(
        data_type,
        "NM" | "SI" | "DT" | "TM" | "DTM" | "TS" | "ID" | "IS" | "SNM"
    )
}

/// [`check_format`] for a value of a parsed message: the separator comes
/// from the value's level. Pass a repetition, component or subcomponent,
/// not a whole repeating field.
pub fn check_value(data_type: &str, value: &Value<'_>) -> Result<(), FormatError> {
    let d = value.delimiters();
    let separator = match value.level() {
        Level::Field | Level::Repetition | Level::Literal => d.component,
        Level::Component | Level::Subcomponent => d.subcomponent,
    };
    check_format(data_type, value.raw(), separator)
}

pub use datetime::{check_dt, check_dtm, check_tm, check_ts};
pub use number::{check_nm, check_si};
pub use text::{check_id, check_is, check_snm};

/// Declares a primitive type over `Cow<'a, [u8]>` with the shared methods
/// and impls; `$check` is its format check.
macro_rules! primitive {
    ($(#[$meta:meta])* $name:ident, $code:literal, $check:expr) => {
        $(#[$meta])*
        #[derive(Clone, Default, PartialEq, Eq, Hash)]
        pub struct $name<'a> {
            raw: ::std::borrow::Cow<'a, [u8]>,
        }

        impl<'a> $name<'a> {
            /// Wraps wire bytes, borrowed or owned. Never fails; nothing is
            /// checked until typed access or [`validate`](crate::types::Primitive::validate).
            pub fn from_wire(raw: impl Into<::std::borrow::Cow<'a, [u8]>>) -> Self {
                $name { raw: raw.into() }
            }

            /// Wraps borrowed wire bytes in a `const` context.
            pub const fn from_static(raw: &'a [u8]) -> Self {
                $name { raw: ::std::borrow::Cow::Borrowed(raw) }
            }

            /// The bytes as on the wire.
            pub fn wire(&self) -> &[u8] {
                &self.raw
            }

            /// The wire text, when it is UTF-8 (always, for a valid value of
            /// a numeric or date type).
            pub fn as_str(&self) -> Option<&str> {
                ::std::str::from_utf8(&self.raw).ok()
            }

            /// True when the value is empty (not sent).
            pub fn is_empty(&self) -> bool {
                self.raw.is_empty()
            }

            /// True for the explicit null `""`.
            pub fn is_null(&self) -> bool {
                &*self.raw == b"\"\""
            }

            /// The explicit null `""`.
            pub const fn null() -> Self {
                $name { raw: ::std::borrow::Cow::Borrowed(b"\"\"") }
            }

            /// The same value, owning its bytes.
            pub fn into_owned(self) -> $name<'static> {
                $name { raw: ::std::borrow::Cow::Owned(self.raw.into_owned()) }
            }

            /// Checks the format; see [`Primitive::validate`](crate::types::Primitive::validate).
            pub fn validate(&self) -> Result<(), crate::types::FormatError> {
                ($check)(&self.raw)
            }
        }

        impl<'a> crate::types::Primitive<'a> for $name<'a> {
            const DATA_TYPE: &'static str = $code;
            type Owned = $name<'static>;

            fn from_wire_in(raw: ::std::borrow::Cow<'a, [u8]>, _separator: u8) -> Self {
                $name { raw }
            }

            fn wire(&self) -> &[u8] {
                &self.raw
            }

            fn into_wire(self) -> ::std::borrow::Cow<'a, [u8]> {
                self.raw
            }

            fn into_owned(self) -> $name<'static> {
                $name::into_owned(self)
            }

            fn validate(&self) -> Result<(), crate::types::FormatError> {
                $name::validate(self)
            }
        }

        impl ::std::fmt::Debug for $name<'_> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}({:?})", stringify!($name), crate::types::Lossy(&self.raw))
            }
        }

        /// The wire text; bytes that are not UTF-8 show as U+FFFD.
        impl ::std::fmt::Display for $name<'_> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&crate::types::Lossy(&self.raw), f)
            }
        }

        impl AsRef<[u8]> for $name<'_> {
            fn as_ref(&self) -> &[u8] {
                &self.raw
            }
        }

        impl<'a> From<&'a str> for $name<'a> {
            /// Wire text.
            fn from(raw: &'a str) -> Self {
                $name { raw: ::std::borrow::Cow::Borrowed(raw.as_bytes()) }
            }
        }

        impl<'a> From<&'a [u8]> for $name<'a> {
            /// Wire bytes.
            fn from(raw: &'a [u8]) -> Self {
                $name { raw: ::std::borrow::Cow::Borrowed(raw) }
            }
        }

        impl From<String> for $name<'static> {
            /// Wire text.
            fn from(raw: String) -> Self {
                $name { raw: ::std::borrow::Cow::Owned(raw.into_bytes()) }
            }
        }

        impl From<Vec<u8>> for $name<'static> {
            /// Wire bytes.
            fn from(raw: Vec<u8>) -> Self {
                $name { raw: ::std::borrow::Cow::Owned(raw) }
            }
        }

        impl PartialEq<str> for $name<'_> {
            /// Compares the wire text.
            fn eq(&self, other: &str) -> bool {
                &*self.raw == other.as_bytes()
            }
        }

        impl PartialEq<&str> for $name<'_> {
            /// Compares the wire text.
            fn eq(&self, other: &&str) -> bool {
                &*self.raw == other.as_bytes()
            }
        }
    };
}
pub(crate) use primitive;

/// Shows bytes as text, lossily, without allocating when they are UTF-8.
pub(crate) struct Lossy<'b>(pub(crate) &'b [u8]);

impl std::fmt::Display for Lossy<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for chunk in self.0.utf8_chunks() {
            f.write_str(chunk.valid())?;
            if !chunk.invalid().is_empty() {
                f.write_str("\u{FFFD}")?;
            }
        }
        Ok(())
    }
}

impl std::fmt::Debug for Lossy<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&String::from_utf8_lossy(self.0), f)
    }
}

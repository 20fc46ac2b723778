//! The error of typed access to a primitive value.

use std::fmt;

/// A primitive value whose wire text does not have its data type's format.
///
/// It says what is wrong ([`kind`](FormatError::kind)), at which byte of the
/// wire text ([`position`](FormatError::position), 0-based; the formats are
/// ASCII, so this is also the character index), for which data type, and
/// what was expected there. The value itself keeps its text: the error only
/// describes it.
///
/// The `Display` text reads like
/// ``DTM: month out of range 01-12 at position 4`` and is meant for
/// people; it is not a stable format. Use the accessors in programs.
///
/// ```
/// use hl7_runtime::types::{Dtm, FormatErrorKind};
///
/// let err = Dtm::from_wire(b"20261301").datetime().unwrap_err();
/// assert_eq!(err.kind(), FormatErrorKind::MonthOutOfRange);
/// assert_eq!(err.position(), 4);
/// assert_eq!(err.data_type(), "DTM");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FormatError {
    kind: FormatErrorKind,
    position: u32,
    data_type: &'static str,
    found: Option<u8>,
    expected: &'static str,
}

/// What kind of problem a [`FormatError`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FormatErrorKind {
    /// A character that is not allowed where it stands (including spaces
    /// and anything after the end of a complete value).
    UnexpectedCharacter,
    /// The text ends where more is required (`2026011`, `+`, `12.`).
    UnexpectedEnd,
    /// A number too large for its type: an SI above `u32::MAX`, an NM read
    /// as a [`Decimal`](super::Decimal) with more than 38 significant
    /// digits or 38 decimals; when building typed values, a year above 9999
    /// or fractional nanoseconds of a second or more.
    Overflow,
    /// More than four digits of fractional seconds.
    FractionTooLong,
    /// A month outside 01-12.
    MonthOutOfRange,
    /// A day outside the days of its month (leap years counted).
    DayOutOfRange,
    /// An hour outside 00-23.
    HourOutOfRange,
    /// A minute outside 00-59.
    MinuteOutOfRange,
    /// A second outside 00-59 (no leap second).
    SecondOutOfRange,
    /// A UTC offset whose hours exceed 14, whose minutes exceed 59, or
    /// whose total exceeds 14:00.
    OffsetOutOfRange,
}

impl FormatError {
    pub(crate) fn new(
        data_type: &'static str,
        kind: FormatErrorKind,
        position: usize,
        found: Option<u8>,
        expected: &'static str,
    ) -> Self {
        FormatError {
            kind,
            position: position as u32,
            data_type,
            found,
            expected,
        }
    }

    /// What kind of problem this is.
    pub fn kind(&self) -> FormatErrorKind {
        self.kind
    }

    /// The 0-based byte offset in the wire text where the problem is: the
    /// offending character, the first digit of an out-of-range part, or the
    /// length of the text when it ends too early.
    pub fn position(&self) -> usize {
        self.position as usize
    }

    /// The HL7 data type whose format was checked (`NM`, `DTM` ...).
    pub fn data_type(&self) -> &'static str {
        self.data_type
    }

    /// The byte found at [`position`](FormatError::position), for
    /// [`UnexpectedCharacter`](FormatErrorKind::UnexpectedCharacter).
    pub fn found(&self) -> Option<u8> {
        self.found
    }

    /// What the format allows at that position, in words (`a digit`), or
    /// empty when the kind says it all.
    pub fn expected(&self) -> &'static str {
        self.expected
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.data_type)?;
        match self.kind {
            FormatErrorKind::UnexpectedCharacter => match self.found {
                Some(b) if b.is_ascii_graphic() => write!(f, "unexpected `{}`", b as char)?,
                Some(b) => write!(f, "unexpected byte 0x{b:02X}")?,
                None => f.write_str("unexpected character")?,
            },
            FormatErrorKind::UnexpectedEnd => f.write_str("value ends too early")?,
            FormatErrorKind::Overflow => f.write_str("too many digits")?,
            FormatErrorKind::FractionTooLong => {
                f.write_str("more than 4 digits of fractional seconds")?;
            }
            FormatErrorKind::MonthOutOfRange => f.write_str("month out of range 01-12")?,
            FormatErrorKind::DayOutOfRange => f.write_str("day out of range for the month")?,
            FormatErrorKind::HourOutOfRange => f.write_str("hour out of range 00-23")?,
            FormatErrorKind::MinuteOutOfRange => f.write_str("minute out of range 00-59")?,
            FormatErrorKind::SecondOutOfRange => f.write_str("second out of range 00-59")?,
            FormatErrorKind::OffsetOutOfRange => {
                f.write_str("UTC offset out of range -1400 to +1400")?;
            }
        }
        write!(f, " at position {}", self.position)?;
        if !self.expected.is_empty() {
            write!(f, " (expected {})", self.expected)?;
        }
        Ok(())
    }
}

impl std::error::Error for FormatError {}

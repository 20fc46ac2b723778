//! Errors of the ER7 engine.

use std::fmt;

/// A message, or a part of a stream, that could not be parsed.
///
/// It carries where the problem is: the message index in the stream, the byte
/// offset, and when known the segment (id and 1-based position in the
/// message) and field. The `Display` text reads like
/// `message 2, byte 1234, segment PID (#3), field 5: reason` and is meant for
/// people; it is not a stable format. Use the accessors in programs.
pub struct ParseError(Box<Inner>);

#[derive(Debug)]
struct Inner {
    kind: ParseErrorKind,
    offset: usize,
    message: Option<usize>,
    segment: Option<(String, usize)>,
    field: Option<usize>,
    reason: String,
}

/// What kind of problem a [`ParseError`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// No message in the input: it is empty or holds only blank lines.
    Empty,
    /// The message does not start with `MSH`.
    NoHeader,
    /// MSH-1 or MSH-2 (or FHS/BHS-1, -2) are missing or unusable.
    Delimiters,
    /// A line that does not start with a valid segment id.
    SegmentId,
    /// `Message::parse` was given more than one message.
    TrailingData,
    /// Input larger than the engine's 4 GiB offsets allow.
    TooLarge,
    /// A line where a message or a batch segment should start.
    UnexpectedLine,
    /// A batch or file trailer whose count does not match what was read.
    BatchCount,
    /// A batch or file header without its trailer, or a trailer without its header.
    BatchStructure,
}

impl ParseError {
    pub(crate) fn new(kind: ParseErrorKind, offset: usize, reason: impl Into<String>) -> Self {
        ParseError(Box::new(Inner {
            kind,
            offset,
            message: None,
            segment: None,
            field: None,
            reason: reason.into(),
        }))
    }

    pub(crate) fn with_segment(mut self, id: &[u8], position: usize) -> Self {
        self.0.segment = Some((String::from_utf8_lossy(id).into_owned(), position));
        self
    }

    pub(crate) fn with_field(mut self, field: usize) -> Self {
        self.0.field = Some(field);
        self
    }

    pub(crate) fn in_message(mut self, index: usize) -> Self {
        self.0.message = Some(index);
        self
    }

    pub(crate) fn shifted(mut self, by: usize) -> Self {
        self.0.offset += by;
        self
    }

    /// What kind of problem this is.
    pub fn kind(&self) -> ParseErrorKind {
        self.0.kind
    }

    /// Byte offset of the problem in the input.
    pub fn offset(&self) -> usize {
        self.0.offset
    }

    /// Index of the message in the stream (0-based), when the error is inside one.
    pub fn message_index(&self) -> Option<usize> {
        self.0.message
    }

    /// The segment id and its 1-based position in the message, when known.
    pub fn segment(&self) -> Option<(&str, usize)> {
        self.0.segment.as_ref().map(|(id, n)| (id.as_str(), *n))
    }

    /// The field number, when known.
    pub fn field(&self) -> Option<usize> {
        self.0.field
    }

    /// The reason, without the location.
    pub fn reason(&self) -> &str {
        &self.0.reason
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(m) = self.0.message {
            write!(f, "message {}, ", m + 1)?;
        }
        write!(f, "byte {}", self.0.offset)?;
        if let Some((id, n)) = &self.0.segment {
            write!(f, ", segment {id} (#{n})")?;
        }
        if let Some(field) = self.0.field {
            write!(f, ", field {field}")?;
        }
        write!(f, ": {}", self.0.reason)
    }
}

impl fmt::Debug for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl std::error::Error for ParseError {}

/// Why an edit could not be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditError {
    reason: String,
}

impl EditError {
    pub(crate) fn new(reason: impl Into<String>) -> Self {
        EditError {
            reason: reason.into(),
        }
    }

    /// The reason, in words.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for EditError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_location() {
        let e = ParseError::new(ParseErrorKind::SegmentId, 120, "bad id")
            .with_segment(b"PID", 3)
            .with_field(5)
            .in_message(1);
        assert_eq!(
            e.to_string(),
            "message 2, byte 120, segment PID (#3), field 5: bad id"
        );
        assert_eq!(e.segment(), Some(("PID", 3)));
        assert_eq!(
            std::mem::size_of::<ParseError>(),
            std::mem::size_of::<usize>()
        );
    }
}

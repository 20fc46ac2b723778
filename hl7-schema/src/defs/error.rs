//! Errors of the definitions loader.

/// An error while loading version definitions.
///
/// It names the file (relative to `profiles/versions/` for bundled data, the
/// full path for [`Version::from_dir`](super::Version::from_dir)) and the
/// 1-based line, and says what is wrong. `Display` shows
/// `file:line: message`; the wording is not a stable interface.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {kind}")]
pub struct DefsError {
    file: String,
    line: usize,
    #[source]
    kind: DefsErrorKind,
}

impl DefsError {
    pub(crate) fn new(file: impl Into<String>, line: usize, kind: DefsErrorKind) -> Self {
        Self {
            file: file.into(),
            line,
            kind,
        }
    }

    /// The file the error is in.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The 1-based line of the error (0 if the error is about the file as a
    /// whole, such as an I/O error or an unknown version).
    pub fn line(&self) -> usize {
        self.line
    }

    /// What is wrong.
    pub fn kind(&self) -> &DefsErrorKind {
        &self.kind
    }
}

/// What is wrong in a definitions file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DefsErrorKind {
    /// No bundled definitions for this version id.
    #[error("no bundled definitions for HL7 version {0:?} (bundled: {list})", list = super::versions().join(", "))]
    UnknownVersion(String),
    /// A file could not be read.
    #[error("cannot read file")]
    Io(#[source] std::io::Error),
    /// The record keyword is not one this file may contain.
    #[error("unknown record {0:?}")]
    UnknownRecord(String),
    /// A record has fewer columns than it needs.
    #[error("{record} record: missing {column}")]
    MissingColumn {
        /// The record keyword.
        record: &'static str,
        /// The missing column.
        column: &'static str,
    },
    /// A record has more columns than it may have.
    #[error("{record} record: unexpected extra column {extra:?}")]
    ExtraColumn {
        /// The record keyword.
        record: &'static str,
        /// The first extra column.
        extra: String,
    },
    /// A column does not hold a valid value.
    #[error("bad {column} {value:?}: {expected}")]
    BadValue {
        /// The column.
        column: &'static str,
        /// The text found.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A child record (field, component, value) before any parent record.
    #[error("{record} record outside of a {parent} block")]
    Orphan {
        /// The record keyword.
        record: &'static str,
        /// The parent record it needs.
        parent: &'static str,
    },
    /// Positions must start at 1 and be contiguous.
    #[error(
        "{owner}: position {found} where {expected} was expected (positions must be contiguous)"
    )]
    NonContiguous {
        /// The segment or data type.
        owner: String,
        /// The expected position.
        expected: usize,
        /// The position found.
        found: usize,
    },
    /// The same id twice.
    #[error("duplicate {what} {id:?}")]
    Duplicate {
        /// What kind of item.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// Records are not in the documented order.
    #[error("{what} {id:?} is out of order (records must be sorted)")]
    Unsorted {
        /// What kind of item.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// A group without children.
    #[error("group {0} has no children")]
    EmptyGroup(String),
    /// A message structure without children.
    #[error("message structure {0} has no children")]
    EmptyStructure(String),
    /// `END` without an open group.
    #[error("END without an open group")]
    UnbalancedEnd,
    /// A group still open at the next `MSG` or at the end of the file.
    #[error("group {0} is not closed by END")]
    UnclosedGroup(String),
}

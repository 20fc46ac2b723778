//! Diagnostics: what is wrong with a profile, where, and how bad it is.
//!
//! Every loader collects *all* problems it finds (the serde `Ctxt` idea)
//! instead of stopping at the first one, so a profile author sees the whole
//! list in one run. Each [`Diagnostic`] names the file, a 1-based line and
//! column (columns count characters, not bytes), a [`Severity`], a stable
//! [`DiagnosticKind`] and a human message.

use std::error::Error as StdError;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// How serious a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The profile is wrong: an element could not be understood, a reference
    /// does not resolve, constraints contradict each other.
    Error,
    /// The profile was loaded, but something deviates from its schema or from
    /// the conformance methodology (W usage in an MWB file, `R` with `Min=0`).
    Warning,
    /// Information about what the loader did (flattened a wrapper group,
    /// inferred a missing HL7 version).
    Note,
}

impl Severity {
    /// Lower-case name, as printed: `error`, `warning`, `note`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The category of a [`Diagnostic`]; stable, suitable for filtering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum DiagnosticKind {
    /// The file could not be read.
    Io,
    /// The format of the input could not be recognised.
    UnknownFormat,
    /// The XML is not well-formed.
    MalformedXml,
    /// The TOML is not syntactically valid.
    MalformedToml,
    /// An element, attribute or key the loader does not know.
    Unexpected,
    /// A required attribute, element or key is missing.
    Missing,
    /// A value is not in its domain (a usage code, a number, a path).
    InvalidValue,
    /// A data type name that HL7 does not define (and no library defines).
    UnknownDatatype,
    /// A reference (`Ref`, `Datatype`, a context ID, a value-set id, a path)
    /// that resolves to nothing.
    DanglingReference,
    /// The same ID or key is defined twice.
    Duplicate,
    /// Constraints that contradict each other (`Min` > `Max`, `X` with
    /// `Min=1`).
    Contradiction,
    /// The file deviates from its published schema or from the conformance
    /// methodology, but the loader could make sense of it.
    SchemaDeviation,
    /// A site profile loosens its base (base `R`, site `O`).
    Relaxation,
    /// The loader normalised something (flattened a wrapper group, inferred
    /// the HL7 version).
    Normalized,
    /// The base definitions a site profile layers on are not available.
    BaseUnavailable,
    /// The file is not valid UTF-8.
    Encoding,
}

impl DiagnosticKind {
    /// Short kebab-case code printed in brackets, e.g. `dangling-reference`.
    pub fn code(self) -> &'static str {
        match self {
            DiagnosticKind::Io => "io",
            DiagnosticKind::UnknownFormat => "unknown-format",
            DiagnosticKind::MalformedXml => "malformed-xml",
            DiagnosticKind::MalformedToml => "malformed-toml",
            DiagnosticKind::Unexpected => "unexpected",
            DiagnosticKind::Missing => "missing",
            DiagnosticKind::InvalidValue => "invalid-value",
            DiagnosticKind::UnknownDatatype => "unknown-datatype",
            DiagnosticKind::DanglingReference => "dangling-reference",
            DiagnosticKind::Duplicate => "duplicate",
            DiagnosticKind::Contradiction => "contradiction",
            DiagnosticKind::SchemaDeviation => "schema-deviation",
            DiagnosticKind::Relaxation => "relaxation",
            DiagnosticKind::Normalized => "normalized",
            DiagnosticKind::BaseUnavailable => "base-unavailable",
            DiagnosticKind::Encoding => "encoding",
        }
    }
}

impl fmt::Display for DiagnosticKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A position in a profile file: 1-based line and column (in characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    /// The file, as it was given to the loader.
    pub file: Arc<Path>,
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// One problem found in a profile.
///
/// `Display` prints `file:line:col: severity[kind]: message`, followed by
/// an indented `help:` line when there is one. The exact wording is not
/// stable; match on [`Diagnostic::kind`] instead.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    severity: Severity,
    kind: DiagnosticKind,
    message: String,
    file: Option<Arc<Path>>,
    location: Option<Location>,
    help: Option<String>,
    source: Option<Arc<dyn StdError + Send + Sync>>,
}

impl Diagnostic {
    pub(crate) fn new(
        severity: Severity,
        kind: DiagnosticKind,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity,
            kind,
            message: message.into(),
            file: None,
            location: None,
            help: None,
            source: None,
        }
    }

    pub(crate) fn at(mut self, location: Location) -> Self {
        self.file = Some(location.file.clone());
        self.location = Some(location);
        self
    }

    pub(crate) fn in_file(mut self, file: Arc<Path>) -> Self {
        self.file = Some(file);
        self
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub(crate) fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// How serious the problem is.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// Is this an [`Severity::Error`]?
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The category of the problem.
    pub fn kind(&self) -> DiagnosticKind {
        self.kind
    }

    /// What is wrong, in one sentence.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// A hint on how to fix it, when the loader has one.
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }

    /// The file the problem is in (also set when no line is known).
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The position in the file, when known.
    pub fn location(&self) -> Option<&Location> {
        self.location.as_ref()
    }

    /// 1-based line, when known.
    pub fn line(&self) -> Option<u32> {
        self.location.as_ref().map(|l| l.line)
    }

    /// 1-based column (characters), when known.
    pub fn column(&self) -> Option<u32> {
        self.location.as_ref().map(|l| l.column)
    }

    /// `(line, column)`, when known; convenient in tests.
    pub fn line_col(&self) -> Option<(u32, u32)> {
        self.location.as_ref().map(|l| (l.line, l.column))
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.location, &self.file) {
            (Some(loc), _) => write!(f, "{loc}: ")?,
            (None, Some(file)) => write!(f, "{}: ", file.display())?,
            (None, None) => {}
        }
        write!(f, "{}[{}]: {}", self.severity, self.kind, self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

impl StdError for Diagnostic {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn StdError + 'static))
    }
}

/// Maps byte offsets of one file to 1-based line:column.
#[derive(Debug, Clone)]
pub(crate) struct SourceText {
    pub(crate) path: Arc<Path>,
    line_starts: Vec<usize>,
    text: Arc<str>,
}

impl SourceText {
    pub(crate) fn new(path: Arc<Path>, text: &str) -> Self {
        let mut line_starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i + 1);
            }
        }
        SourceText {
            path,
            line_starts,
            text: Arc::from(text),
        }
    }

    /// 1-based line:column of a byte offset (clamped to the text).
    pub(crate) fn location(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let mut end = offset;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let column = self.text[start..end].chars().count() + 1;
        Location {
            file: self.path.clone(),
            line: (line + 1) as u32,
            column: column as u32,
        }
    }
}

/// The collector every loader writes into (serde's `Ctxt`, without the
/// panic-on-drop).
#[derive(Debug, Default)]
pub(crate) struct Diags {
    list: Vec<Diagnostic>,
}

impl Diags {
    pub(crate) fn push(&mut self, d: Diagnostic) {
        self.list.push(d);
    }

    pub(crate) fn error(
        &mut self,
        src: &SourceText,
        offset: usize,
        kind: DiagnosticKind,
        msg: impl Into<String>,
    ) -> &mut Diagnostic {
        self.emit(Severity::Error, src, offset, kind, msg)
    }

    pub(crate) fn warning(
        &mut self,
        src: &SourceText,
        offset: usize,
        kind: DiagnosticKind,
        msg: impl Into<String>,
    ) -> &mut Diagnostic {
        self.emit(Severity::Warning, src, offset, kind, msg)
    }

    pub(crate) fn note(
        &mut self,
        src: &SourceText,
        offset: usize,
        kind: DiagnosticKind,
        msg: impl Into<String>,
    ) -> &mut Diagnostic {
        self.emit(Severity::Note, src, offset, kind, msg)
    }

    pub(crate) fn emit(
        &mut self,
        severity: Severity,
        src: &SourceText,
        offset: usize,
        kind: DiagnosticKind,
        msg: impl Into<String>,
    ) -> &mut Diagnostic {
        self.list
            .push(Diagnostic::new(severity, kind, msg).at(src.location(offset)));
        self.list.last_mut().expect("just pushed")
    }

    pub(crate) fn last_mut(&mut self) -> &mut Diagnostic {
        self.list.last_mut().expect("a diagnostic was just pushed")
    }

    pub(crate) fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.list.extend(other);
    }

    pub(crate) fn into_vec(self) -> Vec<Diagnostic> {
        self.list
    }
}

impl Diagnostic {
    /// Builder-style help for diagnostics already pushed into a collector.
    pub(crate) fn help_mut(&mut self, help: impl Into<String>) -> &mut Self {
        self.help = Some(help.into());
        self
    }

    pub(crate) fn source_mut(
        &mut self,
        source: impl StdError + Send + Sync + 'static,
    ) -> &mut Self {
        self.source = Some(Arc::new(source));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_from_offsets() {
        let src = SourceText::new(Arc::from(Path::new("x.xml")), "ab\ncdé\nf");
        let l = src.location(0);
        assert_eq!((l.line, l.column), (1, 1));
        let l = src.location(3);
        assert_eq!((l.line, l.column), (2, 1));
        // 'f' is after "cdé\n": é is two bytes, so offset 8.
        let l = src.location(8);
        assert_eq!((l.line, l.column), (3, 1));
        let l = src.location(6);
        assert_eq!((l.line, l.column), (2, 3));
    }

    #[test]
    fn display_has_file_line_col() {
        let src = SourceText::new(Arc::from(Path::new("p.xml")), "<a>\n <b/>");
        let mut d = Diags::default();
        d.error(&src, 5, DiagnosticKind::DanglingReference, "nothing here")
            .help_mut("fix it");
        let v = d.into_vec();
        assert_eq!(
            v[0].to_string(),
            "p.xml:2:2: error[dangling-reference]: nothing here\n  help: fix it"
        );
    }
}

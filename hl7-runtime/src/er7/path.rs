//! Terser-style paths: `PID-5.1`, `PID-3[2].1`, `OBX[3]-5`, `OBX[*]-5`.
//!
//! ```text
//! path      = segment [ "[" index "]" ] "-" field [ "[" index "]" ] [ "." component [ "." subcomponent ] ]
//! segment   = three characters: an upper-case letter, then upper-case letters or digits
//! index     = a number from 1 | "*"
//! field, component, subcomponent = a number from 1
//! ```
//!
//! * `PID-5` is field 5 of the first PID; `PID-5.1` its first component;
//!   `PID-5.1.2` the second subcomponent of that.
//! * `PID-3[2].1` is the first component of the second repetition of PID-3.
//! * `OBX[3]-5` is field 5 of the third OBX in the message.
//! * Without an index a path means the first occurrence and the first
//!   repetition. `*` means all of them: `OBX[*]-5` is OBX-5 of every OBX,
//!   `PID-3[*].1` the first component of every identifier.
//! * `MSH-1` is the field separator and `MSH-2` the encoding characters, as
//!   the standard numbers them.
//!
//! Indexes are limited to 1 000 000, which no real message reaches.

use std::fmt;
use std::str::FromStr;

/// Largest index a path may use.
pub const MAX_INDEX: u32 = 1_000_000;

/// Which occurrence or repetition a path selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Index {
    /// The n-th, counting from 1.
    Nth(u32),
    /// All of them (`*`).
    All,
}

/// A parsed path; see the [module docs](self) for the syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Path {
    segment: [u8; 3],
    /// Segment occurrence.
    pub occurrence: Index,
    /// Field number, from 1.
    pub field: u32,
    /// Repetition of the field.
    pub repetition: Index,
    /// Component number, from 1, if the path goes that deep.
    pub component: Option<u32>,
    /// Subcomponent number, from 1, if the path goes that deep.
    pub subcomponent: Option<u32>,
}

/// Why a path does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathError {
    path: String,
    at: usize,
    reason: String,
}

impl PathError {
    /// Character offset in the path where the problem is.
    pub fn offset(&self) -> usize {
        self.at
    }

    /// The reason, in words.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bad path `{}` at character {}: {}",
            self.path,
            self.at + 1,
            self.reason
        )
    }
}

impl std::error::Error for PathError {}

impl Path {
    /// A path to a field: `Path::field(*b"PID", 5)` is `PID-5`.
    pub fn field(segment: [u8; 3], field: u32) -> Path {
        Path {
            segment,
            occurrence: Index::Nth(1),
            field,
            repetition: Index::Nth(1),
            component: None,
            subcomponent: None,
        }
    }

    /// Parses a path; the same as `s.parse::<Path>()`.
    pub fn parse(s: &str) -> Result<Path, PathError> {
        Parser { s, pos: 0 }.path()
    }

    /// The segment id, such as `PID`.
    pub fn segment(&self) -> &str {
        // Only ASCII letters and digits are accepted by the parser and constructors.
        std::str::from_utf8(&self.segment).unwrap_or("???")
    }

    pub(crate) fn segment_id(&self) -> &[u8; 3] {
        &self.segment
    }

    /// True when the path has a `*` and so may select many values.
    pub fn is_multiple(&self) -> bool {
        self.occurrence == Index::All || self.repetition == Index::All
    }
}

impl FromStr for Path {
    type Err = PathError;
    fn from_str(s: &str) -> Result<Path, PathError> {
        Path::parse(s)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.segment())?;
        match self.occurrence {
            Index::Nth(1) => {}
            Index::Nth(n) => write!(f, "[{n}]")?,
            Index::All => f.write_str("[*]")?,
        }
        write!(f, "-{}", self.field)?;
        match self.repetition {
            Index::Nth(1) => {}
            Index::Nth(n) => write!(f, "[{n}]")?,
            Index::All => f.write_str("[*]")?,
        }
        if let Some(c) = self.component {
            write!(f, ".{c}")?;
        }
        if let Some(s) = self.subcomponent {
            write!(f, ".{s}")?;
        }
        Ok(())
    }
}

struct Parser<'s> {
    s: &'s str,
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, at: usize, reason: impl Into<String>) -> PathError {
        PathError {
            path: self.s.to_string(),
            at,
            reason: reason.into(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn path(mut self) -> Result<Path, PathError> {
        let b = self.s.as_bytes();
        if b.is_empty() {
            return Err(self.err(0, "the path is empty"));
        }
        let id_len = b.iter().take_while(|c| c.is_ascii_alphanumeric()).count();
        if id_len != 3 {
            return Err(self.err(
                0,
                "a path starts with a three-character segment id, such as PID",
            ));
        }
        let mut segment = [b[0], b[1], b[2]];
        segment.make_ascii_uppercase();
        if !segment[0].is_ascii_uppercase() {
            return Err(self.err(0, "a segment id starts with a letter"));
        }
        self.pos = 3;
        let occurrence = self.index()?.unwrap_or(Index::Nth(1));
        match self.peek() {
            Some(b'-') => self.pos += 1,
            Some(b'.') => {
                return Err(self.err(
                    self.pos,
                    format!(
                        "expected `-` before the field number (write {}-{})",
                        std::str::from_utf8(&segment).unwrap_or(""),
                        &self.s[self.pos + 1..]
                    ),
                ));
            }
            None => {
                return Err(self.err(
                    self.pos,
                    "expected `-` and a field number after the segment",
                ));
            }
            Some(_) => return Err(self.err(self.pos, "expected `-` or `[`")),
        }
        let field = self.number("field")?;
        let repetition = self.index()?.unwrap_or(Index::Nth(1));
        let component = self.dot("component")?;
        let subcomponent = if component.is_some() {
            self.dot("subcomponent")?
        } else {
            None
        };
        if self.pos < b.len() {
            let what = if subcomponent.is_some() {
                "nothing may follow the subcomponent"
            } else {
                "unexpected character"
            };
            return Err(self.err(self.pos, what));
        }
        Ok(Path {
            segment,
            occurrence,
            field,
            repetition,
            component,
            subcomponent,
        })
    }

    fn index(&mut self) -> Result<Option<Index>, PathError> {
        if self.peek() != Some(b'[') {
            return Ok(None);
        }
        let open = self.pos;
        self.pos += 1;
        let idx = if self.peek() == Some(b'*') {
            self.pos += 1;
            Index::All
        } else {
            Index::Nth(self.number("index")?)
        };
        if self.peek() != Some(b']') {
            return Err(self.err(open, "`[` without a matching `]`"));
        }
        self.pos += 1;
        Ok(Some(idx))
    }

    fn dot(&mut self, what: &str) -> Result<Option<u32>, PathError> {
        if self.peek() != Some(b'.') {
            return Ok(None);
        }
        self.pos += 1;
        self.number(what).map(Some)
    }

    fn number(&mut self, what: &str) -> Result<u32, PathError> {
        let start = self.pos;
        let digits = self.s.as_bytes()[start..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            return Err(self.err(start, format!("expected a number for the {what}")));
        }
        self.pos += digits;
        let n: u64 = self.s[start..self.pos].parse().unwrap_or(u64::MAX);
        if n == 0 {
            return Err(self.err(start, format!("{what} numbers count from 1")));
        }
        if n > u64::from(MAX_INDEX) {
            return Err(self.err(start, format!("{what} number {n} is too large")));
        }
        Ok(n as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_forms() {
        let p = Path::parse("PID-5").unwrap();
        assert_eq!(
            (
                p.segment(),
                p.occurrence,
                p.field,
                p.repetition,
                p.component
            ),
            ("PID", Index::Nth(1), 5, Index::Nth(1), None)
        );
        let p = Path::parse("PID-3[2].1").unwrap();
        assert_eq!((p.repetition, p.component), (Index::Nth(2), Some(1)));
        let p = Path::parse("OBX[3]-5").unwrap();
        assert_eq!(p.occurrence, Index::Nth(3));
        let p = Path::parse("OBX[*]-5[*].1.2").unwrap();
        assert!(p.is_multiple());
        assert_eq!((p.component, p.subcomponent), (Some(1), Some(2)));
        assert_eq!(Path::parse("zds-1").unwrap().segment(), "ZDS");
    }

    #[test]
    fn displays_canonically() {
        for s in [
            "PID-5",
            "PID-5.1.2",
            "PID-3[2].1",
            "OBX[3]-5",
            "OBX[*]-5[*]",
        ] {
            assert_eq!(Path::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(Path::parse("PID[1]-5[1]").unwrap().to_string(), "PID-5");
    }

    #[test]
    fn errors_say_why() {
        let cases = [
            ("", "empty"),
            ("PI-5", "three-character"),
            ("PID", "expected `-`"),
            ("PID.5.1", "write PID-5.1"),
            ("PID-", "expected a number for the field"),
            ("PID-0", "count from 1"),
            ("PID-5.", "expected a number for the component"),
            ("PID-3[2", "matching"),
            ("PID-3[x]", "expected a number for the index"),
            ("PID-5.1.2.3", "nothing may follow"),
            ("PID-5x", "unexpected character"),
            ("PID-99999999999", "too large"),
            ("1ID-5", "starts with a letter"),
        ];
        for (p, want) in cases {
            let e = Path::parse(p).unwrap_err().to_string();
            assert!(e.contains(want), "{p}: {e}");
        }
    }
}

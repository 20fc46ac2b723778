//! The encoding characters of a message: MSH-1 and MSH-2.

use std::fmt;

/// The delimiters a message declares in MSH-1 and MSH-2 (or FHS/BHS-1 and -2).
///
/// Any characters may serve, as long as they are distinct printable ASCII
/// punctuation: `MSH^~|\&` (field `^`, component `~`, repetition `|`) is as
/// valid as the usual `MSH|^~\&`. HL7 v2.7 added a fifth encoding character,
/// the truncation character (usually `#`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Delimiters {
    /// Field separator (MSH-1), usually `|`.
    pub field: u8,
    /// Component separator, usually `^`.
    pub component: u8,
    /// Repetition separator, usually `~`.
    pub repetition: u8,
    /// Escape character, usually `\`.
    pub escape: u8,
    /// Subcomponent separator, usually `&`.
    pub subcomponent: u8,
    /// Truncation character (v2.7+), usually `#`; `None` when MSH-2 has four characters.
    pub truncation: Option<u8>,
}

impl Default for Delimiters {
    /// `|^~\&`, without a truncation character.
    fn default() -> Self {
        Delimiters {
            field: b'|',
            component: b'^',
            repetition: b'~',
            escape: b'\\',
            subcomponent: b'&',
            truncation: None,
        }
    }
}

/// Why a set of encoding characters cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DelimiterError {
    reason: String,
}

impl DelimiterError {
    fn new(reason: impl Into<String>) -> Self {
        DelimiterError {
            reason: reason.into(),
        }
    }

    /// The reason, in words.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for DelimiterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for DelimiterError {}

/// The result of reading MSH-1/MSH-2 at the start of a header segment.
pub(crate) struct Header {
    pub(crate) delims: Delimiters,
    /// A tolerated irregularity (the set was repaired), for the message's warnings.
    pub(crate) repair: Option<String>,
}

impl Delimiters {
    /// Checks a set of delimiters: all distinct, printable ASCII, not letters,
    /// digits or spaces.
    pub fn validate(&self) -> Result<(), DelimiterError> {
        let all = self.named();
        let named = &all[..if self.truncation.is_some() { 6 } else { 5 }];
        for (i, &(name, c)) in named.iter().enumerate() {
            if !c.is_ascii_graphic() || c.is_ascii_alphanumeric() {
                return Err(DelimiterError::new(format!(
                    "the {name} character {} is not usable: delimiters are printable ASCII punctuation",
                    show(c)
                )));
            }
            if let Some(&(other, _)) = named[..i].iter().find(|&&(_, d)| d == c) {
                return Err(DelimiterError::new(format!(
                    "the {other} and {name} characters are both {}",
                    show(c)
                )));
            }
        }
        Ok(())
    }

    fn named(&self) -> [(&'static str, u8); 6] {
        [
            ("field separator", self.field),
            ("component", self.component),
            ("repetition", self.repetition),
            ("escape", self.escape),
            ("subcomponent", self.subcomponent),
            ("truncation", self.truncation.unwrap_or(0)),
        ]
    }

    /// MSH-2 as written: component, repetition, escape, subcomponent and the
    /// truncation character when there is one.
    pub fn encoding_characters(&self) -> Vec<u8> {
        let mut v = vec![
            self.component,
            self.repetition,
            self.escape,
            self.subcomponent,
        ];
        v.extend(self.truncation);
        v
    }

    /// True when `b` is one of the separators or the escape character (not the truncation character).
    #[inline]
    pub(crate) fn is_special(&self, b: u8) -> bool {
        b == self.field
            || b == self.component
            || b == self.repetition
            || b == self.escape
            || b == self.subcomponent
    }

    /// Reads the delimiters from a header segment (`MSH`, `FHS` or `BHS`)
    /// starting at `seg[0]`. On failure returns the reason and the offset
    /// within `seg` it refers to.
    pub(crate) fn from_header(seg: &[u8]) -> Result<Header, (usize, String)> {
        // Only used in messages: formatted lazily, since this runs for every message.
        let id = || String::from_utf8_lossy(&seg[..seg.len().min(3)]).into_owned();
        let Some(&field) = seg.get(3) else {
            let id = id();
            return Err((
                seg.len(),
                format!("{id} ends before {id}-1, the field separator"),
            ));
        };
        if is_line_end(field) {
            return Err((3, format!("{}-1 (the field separator) is missing", id())));
        }
        let rest = &seg[4..];
        let len = rest
            .iter()
            .position(|&b| b == field || is_line_end(b))
            .unwrap_or(rest.len());
        let enc = &rest[..len];
        // `^~\\&` and `^~\\&#`: a doubled escape character, written by tools
        // that escaped the backslash in a configuration string. Read as if single.
        let doubled = matches!(enc.len(), 5 | 6) && enc[2] == enc[3];
        let mut buf = [0u8; 5];
        let chars: &[u8] = match enc.len() {
            _ if doubled => {
                let n = enc.len() - 1;
                buf[..2].copy_from_slice(&enc[..2]);
                buf[2..n].copy_from_slice(&enc[3..]);
                &buf[..n]
            }
            4 | 5 => enc,
            n => {
                return Err((
                    4,
                    format!(
                        "{}-2 (encoding characters) is `{}`, {n} characters: expected 4 (`^~\\&`) or 5 with the truncation character",
                        id(),
                        String::from_utf8_lossy(enc)
                    ),
                ));
            }
        };
        let repair = doubled.then(|| {
            format!(
                "{}-2 `{}` has a doubled escape character; read as `{}`",
                id(),
                String::from_utf8_lossy(enc),
                String::from_utf8_lossy(chars)
            )
        });
        let delims = Delimiters {
            field,
            component: chars[0],
            repetition: chars[1],
            escape: chars[2],
            subcomponent: chars[3],
            truncation: chars.get(4).copied(),
        };
        delims.validate().map_err(|e| {
            (
                4,
                format!("{}-2 `{}`: {e}", id(), String::from_utf8_lossy(enc)),
            )
        })?;
        Ok(Header { delims, repair })
    }
}

#[inline]
pub(crate) fn is_line_end(b: u8) -> bool {
    b == b'\r' || b == b'\n'
}

fn show(c: u8) -> String {
    if c.is_ascii_graphic() {
        format!("`{}`", c as char)
    } else {
        format!("0x{c:02X}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> Result<Delimiters, String> {
        Delimiters::from_header(s.as_bytes())
            .map(|h| h.delims)
            .map_err(|e| e.1)
    }

    #[test]
    fn standard_and_custom_sets() {
        assert_eq!(read("MSH|^~\\&|A").unwrap(), Delimiters::default());
        let d = read("MSH^~|\\&^SENDING").unwrap();
        assert_eq!(
            (d.field, d.component, d.repetition, d.escape, d.subcomponent),
            (b'^', b'~', b'|', b'\\', b'&')
        );
        assert_eq!(read("MSH|^~\\&#|X").unwrap().truncation, Some(b'#'));
        assert_eq!(read("FHS|^~\\&").unwrap(), Delimiters::default());
    }

    #[test]
    fn rejects_unusable_sets() {
        let e = read("MSH|&&&&|X").unwrap_err();
        assert!(e.contains("MSH-2") && e.contains("both"), "{e}");
        let e = read("MSH|^~|X").unwrap_err();
        assert!(e.contains("2 characters"), "{e}");
        assert!(read("MSH").unwrap_err().contains("MSH-1"));
        assert!(read("MSH\r").unwrap_err().contains("MSH-1"));
        assert!(read("MSH|^~\\&&|").unwrap_err().contains("both"));
        assert!(read("MSH|^~\\a|").unwrap_err().contains("not usable"));
        assert!(read("MSH|^~\\&|").is_ok());
    }

    #[test]
    fn repairs_doubled_escape() {
        let h = Delimiters::from_header(b"MSH|^~\\\\&|SE050").ok().unwrap();
        assert_eq!(h.delims, Delimiters::default());
        assert!(h.repair.unwrap().contains("doubled"));
        let h = Delimiters::from_header(b"MSH|^~\\\\&#|X").ok().unwrap();
        assert_eq!(h.delims.truncation, Some(b'#'));
    }

    #[test]
    fn encoding_characters_round_trip() {
        assert_eq!(Delimiters::default().encoding_characters(), b"^~\\&");
    }
}

//! How bytes become text: the character set named in MSH-18.

use std::borrow::Cow;
use std::fmt;

use encoding_rs::Encoding;

/// The character set a message declares in MSH-18 (first repetition).
///
/// Supported, and decoded:
/// * empty MSH-18 and `ASCII`: read as UTF-8, since that is what senders put
///   there in practice; bytes that are not valid UTF-8 fall back to
///   Windows-1252 (see [`ParseOptions::cp1252_fallback`](super::ParseOptions)).
/// * `UNICODE UTF-8` (and the labels `UTF-8`, `UTF8`);
/// * `8859/1` (ISO 8859-1), and `8859/2` to `8859/9` and `8859/15`;
/// * `KS X 1001` (EUC-KR);
/// * other labels that name an ASCII-compatible encoding (`windows-1252`,
///   `ISO-8859-2`, ...), which some senders write instead of HL7's codes.
///
/// Character sets whose multi-byte sequences can contain delimiter bytes
/// (`ISO IR87`, `GB 18030-2000`, `BIG-5`, `UNICODE UTF-16`, ...) are
/// *unsupported*: the message still parses and its raw bytes stay readable,
/// but decoded text is read as UTF-8 with replacement characters and the
/// problem is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Charset {
    kind: Kind,
    fallback: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Nothing declared, or `ASCII`.
    Default,
    Utf8,
    Latin1,
    Other(&'static Encoding),
    Unsupported,
}

impl Default for Charset {
    fn default() -> Self {
        Charset {
            kind: Kind::Default,
            fallback: true,
        }
    }
}

impl Charset {
    /// UTF-8, as `UNICODE UTF-8` declares.
    pub const UTF8: Charset = Charset {
        kind: Kind::Utf8,
        fallback: false,
    };
    /// ISO 8859-1, as `8859/1` declares.
    pub const LATIN1: Charset = Charset {
        kind: Kind::Latin1,
        fallback: false,
    };

    /// The character set for an MSH-18 value (its first repetition), with the
    /// Windows-1252 fallback for undeclared or ASCII messages turned on or off.
    pub fn from_msh18(value: &[u8], cp1252_fallback: bool) -> Charset {
        // Upper-case into a stack buffer: no allocation on the parse path.
        let value = value.trim_ascii();
        let mut buf = [0u8; 32];
        let label = if value.len() <= buf.len() {
            buf[..value.len()].copy_from_slice(value);
            buf[..value.len()].make_ascii_uppercase();
            std::str::from_utf8(&buf[..value.len()]).unwrap_or("?")
        } else {
            "?"
        };
        let kind = match label {
            "" | "ASCII" | "ISO IR6" | "US-ASCII" => Kind::Default,
            "UNICODE UTF-8" | "UTF-8" | "UTF8" => Kind::Utf8,
            "8859/1" | "ISO IR100" | "ISO-8859-1" | "ISO8859-1" | "LATIN1" => Kind::Latin1,
            "8859/2" | "ISO IR101" => Kind::Other(encoding_rs::ISO_8859_2),
            "8859/3" | "ISO IR109" => Kind::Other(encoding_rs::ISO_8859_3),
            "8859/4" | "ISO IR110" => Kind::Other(encoding_rs::ISO_8859_4),
            "8859/5" | "ISO IR144" => Kind::Other(encoding_rs::ISO_8859_5),
            "8859/6" | "ISO IR127" => Kind::Other(encoding_rs::ISO_8859_6),
            "8859/7" | "ISO IR126" => Kind::Other(encoding_rs::ISO_8859_7),
            "8859/8" | "ISO IR138" => Kind::Other(encoding_rs::ISO_8859_8),
            "8859/9" | "ISO IR148" => Kind::Other(encoding_rs::WINDOWS_1254),
            "8859/15" => Kind::Other(encoding_rs::ISO_8859_15),
            "KS X 1001" => Kind::Other(encoding_rs::EUC_KR),
            other => match Encoding::for_label(other.as_bytes()) {
                Some(e) if e == encoding_rs::UTF_8 => Kind::Utf8,
                Some(e) if e.is_ascii_compatible() && is_delimiter_safe(e) => Kind::Other(e),
                _ => Kind::Unsupported,
            },
        };
        Charset {
            kind,
            fallback: cp1252_fallback && kind == Kind::Default,
        }
    }

    /// True unless the declared character set cannot be decoded.
    pub fn is_supported(&self) -> bool {
        self.kind != Kind::Unsupported
    }

    /// The name of the encoding used to decode.
    pub fn name(&self) -> &'static str {
        match self.kind {
            Kind::Default | Kind::Utf8 => "UTF-8",
            Kind::Latin1 => "ISO-8859-1",
            Kind::Other(e) => e.name(),
            Kind::Unsupported => "unsupported",
        }
    }

    /// Decodes bytes (with no escape sequences left in them) into text.
    /// Returns the text and whether it had to be repaired (invalid bytes
    /// replaced, or read through the Windows-1252 fallback).
    pub(crate) fn decode<'a>(&self, bytes: &'a [u8]) -> (Cow<'a, str>, bool) {
        if let Ok(s) = std::str::from_utf8(bytes) {
            // ASCII is the same in every supported set; valid UTF-8 is read as such
            // for UTF-8 and undeclared sets.
            match self.kind {
                Kind::Default | Kind::Utf8 | Kind::Unsupported => {
                    return (Cow::Borrowed(s), self.kind == Kind::Unsupported);
                }
                _ if bytes.is_ascii() => return (Cow::Borrowed(s), false),
                _ => {}
            }
        }
        match self.kind {
            Kind::Default if self.fallback => {
                // Every byte has a meaning in Windows-1252; no BOM sniffing.
                let (s, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
                (s, true)
            }
            Kind::Default | Kind::Utf8 | Kind::Unsupported => {
                (String::from_utf8_lossy(bytes), true)
            }
            Kind::Latin1 => (
                Cow::Owned(bytes.iter().map(|&b| b as char).collect()),
                false,
            ),
            Kind::Other(e) => {
                let (s, bad) = e.decode_without_bom_handling(bytes);
                (s, bad)
            }
        }
    }

    /// Encodes text for this character set. Returns `None` when a character
    /// cannot be represented.
    pub(crate) fn encode<'a>(&self, text: &'a str) -> Option<Cow<'a, [u8]>> {
        if text.is_ascii() {
            return Some(Cow::Borrowed(text.as_bytes()));
        }
        match self.kind {
            Kind::Default | Kind::Utf8 | Kind::Unsupported => Some(Cow::Borrowed(text.as_bytes())),
            Kind::Latin1 => text
                .chars()
                .map(|c| u8::try_from(u32::from(c)).ok())
                .collect::<Option<Vec<u8>>>()
                .map(Cow::Owned),
            Kind::Other(e) => {
                let (bytes, _, bad) = e.encode(text);
                (!bad).then_some(bytes)
            }
        }
    }
}

/// Single-byte encodings and EUC-style ones never put ASCII bytes inside a
/// multi-byte character, so delimiters stay unambiguous.
fn is_delimiter_safe(e: &'static Encoding) -> bool {
    e.is_single_byte() || e == encoding_rs::EUC_KR || e == encoding_rs::EUC_JP
}

impl fmt::Display for Charset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_sets() {
        assert_eq!(Charset::from_msh18(b"", true).name(), "UTF-8");
        assert_eq!(Charset::from_msh18(b"UNICODE UTF-8", true).name(), "UTF-8");
        assert_eq!(Charset::from_msh18(b"8859/1", true).name(), "ISO-8859-1");
        assert_eq!(Charset::from_msh18(b"8859/2", true).name(), "ISO-8859-2");
        assert_eq!(
            Charset::from_msh18(b"windows-1252", true).name(),
            "windows-1252"
        );
        assert!(!Charset::from_msh18(b"ISO IR87", true).is_supported());
        assert!(!Charset::from_msh18(b"UNICODE UTF-16", true).is_supported());
        assert!(!Charset::from_msh18(b"BIG-5", true).is_supported());
    }

    #[test]
    fn decodes() {
        let latin1 = Charset::LATIN1;
        assert_eq!(latin1.decode(b"M\xfcller").0, "Müller");
        let utf8 = Charset::UTF8;
        assert_eq!(
            utf8.decode("Müller".as_bytes()),
            (Cow::Borrowed("Müller"), false)
        );
        let (s, bad) = utf8.decode(b"M\xfcller");
        assert!(bad && s.contains('\u{FFFD}'));
        let default = Charset::default();
        assert_eq!(
            default.decode(b"\x80 M\xfcller"),
            (Cow::Owned("€ Müller".into()), true)
        );
        // A UTF-16 byte-order mark is just two bytes here.
        assert_eq!(default.decode(b"\xff\xfeA").0, "ÿþA");
        let no_fallback = Charset::from_msh18(b"", false);
        assert!(no_fallback.decode(b"M\xfcller").0.contains('\u{FFFD}'));
    }

    #[test]
    fn encodes() {
        assert_eq!(
            Charset::LATIN1.encode("Müller").unwrap().as_ref(),
            b"M\xfcller"
        );
        assert!(Charset::LATIN1.encode("€").is_none());
        assert_eq!(Charset::UTF8.encode("€").unwrap().as_ref(), "€".as_bytes());
    }
}

//! Escape sequences, in both directions.
//!
//! On the wire a value may contain escape sequences between two escape
//! characters (`\` below):
//!
//! | sequence | meaning | decoded text |
//! |---|---|---|
//! | `\F\ \S\ \T\ \R\ \E\` | field, component, subcomponent, repetition separator, escape character | that character |
//! | `\P\` | the truncation character (v2.7+) | that character (`#` when MSH-2 has none) |
//! | `\Xhh..\` | hexadecimal data | the bytes, read in the message's character set |
//! | `\.br\ \.sp n\ \.in ±n\ \.ti ±n\ \.sk n\ \.fi\ \.nf\ \.ce\` | formatting commands (FT, TX, CF) | kept as written |
//! | `\H\ \N\` | start and end highlighting | kept as written |
//! | `\Zxx\` | locally defined escape | kept as written |
//! | `\Cxxyy\ \Mxxyyzz\` | character-set switches (ISO 2022) | kept as written |
//!
//! Decoded text ([`Value::text`](super::Value::text)) resolves the character
//! escapes and keeps the others exactly as written, so nothing is lost. For
//! the full structure use [`fragments`], which yields each piece as a
//! [`Fragment`]; [`encode_fragments`] writes fragments back, and
//! [`escape_text`] turns plain text into its wire form.
//!
//! A malformed escape (unterminated, unknown, bad hex) never fails decoding:
//! its raw text is kept and the problem is returned by
//! [`Value::try_text`](super::Value::try_text) and [`Message::check`](super::Message::check).

use std::borrow::Cow;
use std::fmt;

use super::charset::Charset;
use super::delims::Delimiters;

/// One piece of an escaped value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fragment<'a> {
    /// Literal bytes with no escape sequence in them.
    Text(&'a [u8]),
    /// `\F\ \S\ \T\ \R\ \E\ \P\`: a delimiter character taken literally.
    Delimiter(DelimiterKind),
    /// `\Xhh..\`: the bytes, already converted from hexadecimal pairs.
    /// `hex` is the text between `X` and the closing escape.
    Hex {
        /// The hexadecimal digits as written.
        hex: &'a [u8],
    },
    /// A formatting command such as `\.br\`. `written` is the text between
    /// the escape characters as read (`.sp 2`), written back as it was;
    /// leave it empty to write the command's canonical form.
    Format {
        /// The command.
        command: FormatCommand,
        /// The command as written, or empty.
        written: &'a [u8],
    },
    /// `\H\` (true) or `\N\` (false).
    Highlight(bool),
    /// `\Zxx\`: a locally defined escape; `content` is the text after `Z`.
    Local {
        /// The text after `Z`.
        content: &'a [u8],
    },
    /// `\Cxxyy\` or `\Mxxyyzz\`: a character-set switch; `content` includes the letter.
    CharsetSwitch {
        /// The text between the escape characters, starting with `C` or `M`.
        content: &'a [u8],
    },
    /// An escape that does not parse. `raw` is everything from the escape
    /// character on, as written, and is what gets written back.
    Malformed {
        /// The raw text, kept as written.
        raw: &'a [u8],
        /// Why it does not parse.
        reason: EscapeProblem,
    },
}

/// Which delimiter an escape such as `\F\` stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DelimiterKind {
    /// `\F\`
    Field,
    /// `\S\`
    Component,
    /// `\T\`
    Subcomponent,
    /// `\R\`
    Repetition,
    /// `\E\`
    Escape,
    /// `\P\`
    Truncation,
}

impl DelimiterKind {
    fn letter(self) -> u8 {
        match self {
            DelimiterKind::Field => b'F',
            DelimiterKind::Component => b'S',
            DelimiterKind::Subcomponent => b'T',
            DelimiterKind::Repetition => b'R',
            DelimiterKind::Escape => b'E',
            DelimiterKind::Truncation => b'P',
        }
    }

    /// The character it stands for under `d`.
    pub fn char_in(self, d: &Delimiters) -> u8 {
        match self {
            DelimiterKind::Field => d.field,
            DelimiterKind::Component => d.component,
            DelimiterKind::Subcomponent => d.subcomponent,
            DelimiterKind::Repetition => d.repetition,
            DelimiterKind::Escape => d.escape,
            DelimiterKind::Truncation => d.truncation.unwrap_or(b'#'),
        }
    }
}

/// A formatting command (the `\.xx\` escapes of FT, TX and CF values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FormatCommand {
    /// `\.br\`: line break.
    LineBreak,
    /// `\.sp n\`: skip `n` lines (1 when omitted).
    Space(u32),
    /// `\.in ±n\`: indent by `n` spaces.
    Indent(i32),
    /// `\.ti ±n\`: temporary indent for the next line.
    TempIndent(i32),
    /// `\.sk n\`: skip `n` spaces to the right.
    Skip(u32),
    /// `\.fi\`: begin word wrap.
    Fill,
    /// `\.nf\`: end word wrap.
    NoFill,
    /// `\.ce\`: center the next line.
    Center,
}

/// Why an escape sequence does not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EscapeProblem {
    /// No closing escape character before the end of the value.
    Unterminated,
    /// Two escape characters with nothing between them.
    Empty,
    /// Not one of the sequences the standard defines.
    Unknown,
    /// `\X..\` with an odd number of digits or a non-hex digit.
    BadHex,
    /// A formatting command with a missing or bad argument.
    BadFormatCommand,
}

impl fmt::Display for EscapeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EscapeProblem::Unterminated => "escape sequence is not terminated",
            EscapeProblem::Empty => "empty escape sequence",
            EscapeProblem::Unknown => "unknown escape sequence",
            EscapeProblem::BadHex => "hexadecimal escape has an odd length or a non-hex digit",
            EscapeProblem::BadFormatCommand => "malformed formatting command",
        })
    }
}

/// A problem found while decoding a value, with where in the value it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeProblem {
    /// Byte offset within the value.
    pub offset: usize,
    /// What is wrong.
    pub kind: DecodeProblemKind,
}

/// What [`DecodeProblem`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeProblemKind {
    /// A malformed escape sequence; its raw text was kept.
    Escape(EscapeProblem),
    /// Bytes that are not valid in the message's character set; they were
    /// replaced, or read as Windows-1252.
    Charset(&'static str),
}

impl fmt::Display for DecodeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            DecodeProblemKind::Escape(e) => write!(f, "{e} at byte {} of the value", self.offset),
            DecodeProblemKind::Charset(name) => write!(
                f,
                "bytes not valid in {name} near byte {} of the value",
                self.offset
            ),
        }
    }
}

impl std::error::Error for DecodeProblem {}

/// Splits an escaped value into its fragments.
pub fn fragments<'a>(raw: &'a [u8], delims: &Delimiters) -> Fragments<'a> {
    Fragments {
        raw,
        pos: 0,
        delims: *delims,
    }
}

/// Iterator over the [`Fragment`]s of a value; see [`fragments`].
#[derive(Clone, Debug)]
pub struct Fragments<'a> {
    raw: &'a [u8],
    pos: usize,
    delims: Delimiters,
}

impl Fragments<'_> {
    /// Byte offset of the next fragment within the value.
    pub fn offset(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for Fragments<'a> {
    type Item = Fragment<'a>;

    fn next(&mut self) -> Option<Fragment<'a>> {
        let rest = self.raw.get(self.pos..).filter(|r| !r.is_empty())?;
        let escape = self.delims.escape;
        match memchr::memchr(escape, rest) {
            Some(0) => {}
            Some(n) => {
                self.pos += n;
                return Some(Fragment::Text(&rest[..n]));
            }
            None => {
                self.pos = self.raw.len();
                return Some(Fragment::Text(rest));
            }
        }
        // An escape sequence never spans a separator: if one comes before the
        // closing escape character, the sequence is unterminated and ends there.
        let d = &self.delims;
        let is_sep = |b: &u8| {
            *b == d.field || *b == d.component || *b == d.repetition || *b == d.subcomponent
        };
        let close = memchr::memchr(escape, &rest[1..]);
        let sep = rest[1..close.map_or(rest.len(), |c| c + 1)]
            .iter()
            .position(is_sep);
        let close = match (close, sep) {
            (Some(c), None) => c,
            (_, stop) => {
                let end = stop.map_or(rest.len(), |s| s + 1);
                self.pos += end;
                return Some(Fragment::Malformed {
                    raw: &rest[..end],
                    reason: EscapeProblem::Unterminated,
                });
            }
        };
        let content = &rest[1..=close];
        let whole = &rest[..close + 2];
        self.pos += close + 2;
        Some(classify(content, whole))
    }
}

fn classify<'a>(content: &'a [u8], whole: &'a [u8]) -> Fragment<'a> {
    let bad = |reason| Fragment::Malformed { raw: whole, reason };
    let Some((&first, tail)) = content.split_first() else {
        return bad(EscapeProblem::Empty);
    };
    match (first, tail.is_empty()) {
        (b'F', true) => Fragment::Delimiter(DelimiterKind::Field),
        (b'S', true) => Fragment::Delimiter(DelimiterKind::Component),
        (b'T', true) => Fragment::Delimiter(DelimiterKind::Subcomponent),
        (b'R', true) => Fragment::Delimiter(DelimiterKind::Repetition),
        (b'E', true) => Fragment::Delimiter(DelimiterKind::Escape),
        (b'P', true) => Fragment::Delimiter(DelimiterKind::Truncation),
        (b'H', true) => Fragment::Highlight(true),
        (b'N', true) => Fragment::Highlight(false),
        (b'X', false) => {
            if tail.len() % 2 == 0 && tail.iter().all(u8::is_ascii_hexdigit) {
                Fragment::Hex { hex: tail }
            } else {
                bad(EscapeProblem::BadHex)
            }
        }
        (b'Z', _) => Fragment::Local { content: tail },
        (b'C', false) if tail.len() == 4 && tail.iter().all(u8::is_ascii_hexdigit) => {
            Fragment::CharsetSwitch { content }
        }
        (b'M', false)
            if (tail.len() == 4 || tail.len() == 6) && tail.iter().all(u8::is_ascii_hexdigit) =>
        {
            Fragment::CharsetSwitch { content }
        }
        (b'.', false) => format_command(tail).map_or_else(
            || bad(EscapeProblem::BadFormatCommand),
            |command| Fragment::Format {
                command,
                written: content,
            },
        ),
        _ => bad(EscapeProblem::Unknown),
    }
}

fn format_command(s: &[u8]) -> Option<FormatCommand> {
    let (name, arg) = s.split_at(s.len().min(2));
    let arg = std::str::from_utf8(arg).ok()?.trim();
    let unsigned = |default: u32| -> Option<u32> {
        if arg.is_empty() {
            Some(default)
        } else {
            arg.strip_prefix('+').unwrap_or(arg).parse().ok()
        }
    };
    let signed = || -> Option<i32> {
        if arg.is_empty() {
            None
        } else {
            arg.strip_prefix('+').unwrap_or(arg).parse().ok()
        }
    };
    let none = || arg.is_empty().then_some(());
    Some(match name {
        b"br" => none().map(|()| FormatCommand::LineBreak)?,
        b"sp" => FormatCommand::Space(unsigned(1)?),
        b"in" => FormatCommand::Indent(signed()?),
        b"ti" => FormatCommand::TempIndent(signed()?),
        b"sk" => FormatCommand::Skip(unsigned(1)?),
        b"fi" => none().map(|()| FormatCommand::Fill)?,
        b"nf" => none().map(|()| FormatCommand::NoFill)?,
        b"ce" => none().map(|()| FormatCommand::Center)?,
        _ => return None,
    })
}

fn hex_bytes(hex: &[u8]) -> Vec<u8> {
    hex.chunks_exact(2)
        .map(|p| (hex_val(p[0]) << 4) | hex_val(p[1]))
        .collect()
}

fn hex_val(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    }
}

/// Decodes an escaped value into text. Returns the text and the first problem
/// met, if any (the text is complete either way).
pub(crate) fn decode<'a>(
    raw: &'a [u8],
    delims: &Delimiters,
    charset: &Charset,
) -> (Cow<'a, str>, Option<DecodeProblem>) {
    if super::find_byte(delims.escape, raw).is_none() {
        let (text, bad) = charset.decode(raw);
        let problem = bad.then(|| DecodeProblem {
            offset: first_non_ascii(raw),
            kind: DecodeProblemKind::Charset(charset.name()),
        });
        return (text, problem);
    }
    let mut out = String::with_capacity(raw.len());
    let mut problem = None;
    let mut note = |p: DecodeProblem| {
        problem.get_or_insert(p);
    };
    let mut it = fragments(raw, delims);
    loop {
        let at = it.offset();
        let Some(frag) = it.next() else { break };
        match frag {
            Fragment::Text(bytes) => push_decoded(&mut out, bytes, charset, at, &mut note),
            Fragment::Delimiter(k) => out.push(char::from(k.char_in(delims))),
            Fragment::Hex { hex } => {
                push_decoded(&mut out, &hex_bytes(hex), charset, at, &mut note);
            }
            Fragment::Malformed { raw: text, reason } => {
                note(DecodeProblem {
                    offset: at,
                    kind: DecodeProblemKind::Escape(reason),
                });
                push_decoded(&mut out, text, charset, at, &mut note);
            }
            Fragment::Format { .. }
            | Fragment::Highlight(_)
            | Fragment::Local { .. }
            | Fragment::CharsetSwitch { .. } => {
                let end = it.offset();
                push_decoded(&mut out, &raw[at..end], charset, at, &mut note);
            }
        }
    }
    (Cow::Owned(out), problem)
}

fn push_decoded(
    out: &mut String,
    bytes: &[u8],
    charset: &Charset,
    at: usize,
    note: &mut impl FnMut(DecodeProblem),
) {
    let (text, bad) = charset.decode(bytes);
    if bad {
        note(DecodeProblem {
            offset: at + first_non_ascii(bytes),
            kind: DecodeProblemKind::Charset(charset.name()),
        });
    }
    out.push_str(&text);
}

fn first_non_ascii(b: &[u8]) -> usize {
    b.iter().position(|c| !c.is_ascii()).unwrap_or(0)
}

/// The first problem in an escaped value, if any, without building the text.
pub(crate) fn check(raw: &[u8], delims: &Delimiters, charset: &Charset) -> Option<DecodeProblem> {
    if raw.is_ascii() && memchr::memchr(delims.escape, raw).is_none() {
        return None;
    }
    decode(raw, delims, charset).1
}

/// Writes fragments back in their wire form. Literal text is escaped where it
/// contains delimiters; malformed fragments are written as they were read.
pub fn encode_fragments<'f>(
    frags: impl IntoIterator<Item = Fragment<'f>>,
    delims: &Delimiters,
    out: &mut Vec<u8>,
) {
    let e = delims.escape;
    for frag in frags {
        match frag {
            Fragment::Text(bytes) => escape_bytes(bytes, delims, out),
            Fragment::Delimiter(k) => out.extend_from_slice(&[e, k.letter(), e]),
            Fragment::Hex { hex } => {
                out.extend_from_slice(&[e, b'X']);
                out.extend_from_slice(hex);
                out.push(e);
            }
            Fragment::Format { command, written } => {
                out.push(e);
                if written.is_empty() {
                    out.extend_from_slice(format_text(command).as_bytes());
                } else {
                    out.extend_from_slice(written);
                }
                out.push(e);
            }
            Fragment::Highlight(on) => out.extend_from_slice(&[e, if on { b'H' } else { b'N' }, e]),
            Fragment::Local { content } => {
                out.extend_from_slice(&[e, b'Z']);
                out.extend_from_slice(content);
                out.push(e);
            }
            Fragment::CharsetSwitch { content } => {
                out.push(e);
                out.extend_from_slice(content);
                out.push(e);
            }
            Fragment::Malformed { raw, .. } => out.extend_from_slice(raw),
        }
    }
}

fn format_text(cmd: FormatCommand) -> String {
    match cmd {
        FormatCommand::LineBreak => ".br".into(),
        FormatCommand::Space(n) => format!(".sp{n}"),
        FormatCommand::Indent(n) => format!(".in{n:+}"),
        FormatCommand::TempIndent(n) => format!(".ti{n:+}"),
        FormatCommand::Skip(n) => format!(".sk{n}"),
        FormatCommand::Fill => ".fi".into(),
        FormatCommand::NoFill => ".nf".into(),
        FormatCommand::Center => ".ce".into(),
    }
}

/// Escapes literal bytes: delimiters and the escape character become `\F\`
/// and friends, the truncation character `\P\`, and CR and LF `\X0D\` and
/// `\X0A\` (a raw CR would end the segment).
pub fn escape_bytes(bytes: &[u8], delims: &Delimiters, out: &mut Vec<u8>) {
    let e = delims.escape;
    for &b in bytes {
        let letter = if b == delims.field {
            b'F'
        } else if b == delims.component {
            b'S'
        } else if b == delims.subcomponent {
            b'T'
        } else if b == delims.repetition {
            b'R'
        } else if b == e {
            b'E'
        } else if Some(b) == delims.truncation {
            b'P'
        } else if b == b'\r' {
            out.extend_from_slice(&[e, b'X', b'0', b'D', e]);
            continue;
        } else if b == b'\n' {
            out.extend_from_slice(&[e, b'X', b'0', b'A', e]);
            continue;
        } else {
            out.push(b);
            continue;
        };
        out.extend_from_slice(&[e, letter, e]);
    }
}

/// Turns plain text into its wire form for `charset`: every delimiter and
/// escape character is escaped, so the value decodes back to `text` exactly.
/// Returns `None` when `charset` cannot represent a character of `text`.
pub fn escape_text(text: &str, delims: &Delimiters, charset: &Charset) -> Option<Vec<u8>> {
    let bytes = charset.encode(text)?;
    let mut out = Vec::with_capacity(bytes.len() + 8);
    escape_bytes(&bytes, delims, &mut out);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text(raw: &str) -> (String, Option<DecodeProblem>) {
        let (t, p) = decode(raw.as_bytes(), &Delimiters::default(), &Charset::default());
        (t.into_owned(), p)
    }

    #[test]
    fn character_escapes() {
        assert_eq!(text(r"a\F\b\S\c\T\d\R\e\E\f").0, r"a|b^c&d~e\f");
        assert_eq!(text(r"x\P\y").0, "x#y");
        assert_eq!(text(r"\X41\BC").0, "ABC");
        assert_eq!(text(r"\X0D0A\").0, "\r\n");
        assert_eq!(text(r"M\XC3BC\ller").0, "Müller");
        assert_eq!(text(r"\E\R\E\").0, r"\R\");
        assert_eq!(text(r"Müller \T\ Söhne").0, "Müller & Söhne");
    }

    #[test]
    fn formatting_and_local_escapes_are_kept() {
        for s in [
            r"L1\.br\L2",
            r"\H\bold\N\",
            r"\.sp2\\.in+4\\.ti-2\\.sk3\\.fi\\.nf\\.ce\",
            r"\Zlocal\",
            r"\C2842\",
            r"\M2442\",
            r"\M242842\",
        ] {
            assert_eq!(text(s), (s.to_string(), None), "{s}");
        }
    }

    #[test]
    fn malformed_escapes_keep_text_and_report() {
        let (t, p) = text(r"abc\T");
        assert_eq!(t, r"abc\T");
        assert_eq!(
            p.unwrap().kind,
            DecodeProblemKind::Escape(EscapeProblem::Unterminated)
        );
        let (t, p) = text(r"\XZZ\");
        assert_eq!(t, r"\XZZ\");
        assert_eq!(
            p.unwrap().kind,
            DecodeProblemKind::Escape(EscapeProblem::BadHex)
        );
        let (t, p) = text(r"a\b^c\d");
        assert_eq!(t, r"a\b^c\d");
        assert_eq!(
            p.unwrap(),
            DecodeProblem {
                offset: 1,
                kind: DecodeProblemKind::Escape(EscapeProblem::Unterminated)
            }
        );
        let f: Vec<_> = fragments(br"\H01^A\N\", &Delimiters::default()).collect();
        assert_eq!(
            f[0],
            Fragment::Malformed {
                raw: br"\H01",
                reason: EscapeProblem::Unterminated
            }
        );
        assert_eq!(f[1], Fragment::Text(b"^A"));
        assert_eq!(f[2], Fragment::Highlight(false));
        let (t, p) = text(r"a\\b");
        assert_eq!(t, r"a\\b");
        assert_eq!(p.unwrap().offset, 1);
        assert_eq!(
            text(r"\Q\").1.unwrap().kind,
            DecodeProblemKind::Escape(EscapeProblem::Unknown)
        );
        assert!(text(r"\.xx\").1.is_some());
        assert!(text(r"\.br5\").1.is_some());
        assert!(text(r"\X4\").1.is_some());
    }

    #[test]
    fn fragments_parse_every_kind() {
        let raw = br"a\F\\X41\\.sp3\\H\\Zx\\C2842\\Q\";
        let f: Vec<_> = fragments(raw, &Delimiters::default()).collect();
        assert_eq!(
            f,
            vec![
                Fragment::Text(b"a"),
                Fragment::Delimiter(DelimiterKind::Field),
                Fragment::Hex { hex: b"41" },
                Fragment::Format {
                    command: FormatCommand::Space(3),
                    written: b".sp3"
                },
                Fragment::Highlight(true),
                Fragment::Local { content: b"x" },
                Fragment::CharsetSwitch { content: b"C2842" },
                Fragment::Malformed {
                    raw: br"\Q\",
                    reason: EscapeProblem::Unknown
                },
            ]
        );
        let mut out = Vec::new();
        encode_fragments(f, &Delimiters::default(), &mut out);
        assert_eq!(out, raw);
        let mut out = Vec::new();
        let built = [Fragment::Format {
            command: FormatCommand::Indent(-2),
            written: b"",
        }];
        encode_fragments(built, &Delimiters::default(), &mut out);
        assert_eq!(out, br"\.in-2\");
    }

    #[test]
    fn escape_text_round_trips() {
        let d = Delimiters::default();
        let wire = escape_text("a|b^c&d~e\\f\r\n", &d, &Charset::default()).unwrap();
        assert_eq!(wire, br"a\F\b\S\c\T\d\R\e\E\f\X0D\\X0A\");
        assert_eq!(
            text(std::str::from_utf8(&wire).unwrap()).0,
            "a|b^c&d~e\\f\r\n"
        );
    }

    proptest! {
        #[test]
        fn escape_then_decode_is_identity(s in "\\PC*") {
            let d = Delimiters::default();
            let cs = Charset::UTF8;
            let wire = escape_text(&s, &d, &cs).unwrap();
            prop_assert!(!wire.iter().any(|&b| b == b'|' || b == b'^' || b == b'~' || b == b'&' || b == b'\r'));
            let (back, problem) = decode(&wire, &d, &cs);
            prop_assert_eq!(back.as_ref(), s.as_str());
            prop_assert!(problem.is_none());
        }

        #[test]
        fn fragments_then_encode_is_identity(raw in proptest::collection::vec(prop_oneof![
            Just(b'\\'), Just(b'X'), Just(b'F'), Just(b'.'), Just(b'b'), Just(b'r'), Just(b'0'), Just(b'A'), Just(b'Z'), Just(b'H'), any::<u8>()
        ], 0..40)) {
            // Any bytes free of separators survive fragments -> encode unchanged.
            let d = Delimiters::default();
            let raw: Vec<u8> = raw.into_iter().filter(|&b| !matches!(b, b'|' | b'^' | b'~' | b'&' | b'\r' | b'\n')).collect();
            let mut out = Vec::new();
            encode_fragments(fragments(&raw, &d), &d, &mut out);
            prop_assert_eq!(out, raw.clone());
            let _ = decode(&raw, &d, &Charset::default());
        }
    }
}

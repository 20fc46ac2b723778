//! Writing messages back to ER7, and editing them.

use std::borrow::Cow;
use std::io;

use super::charset::Charset;
use super::delims::{DelimiterError, Delimiters, is_line_end};
use super::error::EditError;
use super::escape;
use super::message::{Ctx, Layout, Message, ParseOptions, Seg};
use super::path::{Index, Path};

impl Message<'_> {
    /// The message as ER7 with CR segment terminators. For a message read with
    /// CR terminators this is exactly the bytes read; otherwise it differs
    /// only in the terminators (and blank lines between segments, which are dropped).
    pub fn to_er7(&self) -> Vec<u8> {
        if self.layout.canonical {
            return self.src.to_vec();
        }
        let mut out = Vec::with_capacity(self.src.len() + 1);
        for seg in &self.layout.segs {
            out.extend_from_slice(&self.src[seg.start as usize..seg.end as usize]);
            out.push(b'\r');
        }
        out
    }

    /// Writes [`Message::to_er7`] to `w`.
    pub fn write_er7<W: io::Write + ?Sized>(&self, w: &mut W) -> io::Result<()> {
        if self.layout.canonical {
            return w.write_all(&self.src);
        }
        for seg in &self.layout.segs {
            w.write_all(&self.src[seg.start as usize..seg.end as usize])?;
            w.write_all(b"\r")?;
        }
        Ok(())
    }

    /// The message as ER7 with other delimiters: separators are swapped,
    /// escape sequences keep their meaning, and data characters that are
    /// delimiters in the new set are escaped. CR terminators.
    pub fn to_er7_with(&self, to: &Delimiters) -> Result<Vec<u8>, DelimiterError> {
        to.validate()?;
        let from = &self.ctx.delims;
        let mut out = Vec::with_capacity(self.src.len() + 16);
        for seg in self.segments() {
            out.extend_from_slice(seg.id().as_bytes());
            for (n, field) in seg.fields() {
                if seg.id() == "MSH" && n == 1 {
                    continue;
                }
                out.push(to.field);
                if seg.id() == "MSH" && n == 2 {
                    out.extend_from_slice(&to.encoding_characters());
                } else {
                    transcode(field.raw(), from, to, &mut out);
                }
            }
            if seg.id() == "MSH" && seg.field_count() == 1 {
                out.push(to.field);
                out.extend_from_slice(&to.encoding_characters());
            }
            out.push(b'\r');
        }
        Ok(out)
    }
}

/// Copies a field's wire bytes from one delimiter set to another.
fn transcode(raw: &[u8], from: &Delimiters, to: &Delimiters, out: &mut Vec<u8>) {
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == from.escape {
            // A sequence is closed when its closing escape comes before any
            // separator; otherwise the escape character is data.
            let close = memchr::memchr(from.escape, &raw[i + 1..]).filter(|&c| {
                !raw[i + 1..=i + c]
                    .iter()
                    .any(|&x| x == from.component || x == from.repetition || x == from.subcomponent)
            });
            let Some(close) = close else {
                // The escape character as data: written so that it reads the same.
                escape::escape_bytes(&[from.escape], to, out);
                i += 1;
                continue;
            };
            let content = &raw[i + 1..=i + close];
            i += close + 2;
            // A delimiter escape stands for the old delimiter character:
            // write that character as data in the new set.
            let literal = match content {
                b"F" => Some(from.field),
                b"S" => Some(from.component),
                b"T" => Some(from.subcomponent),
                b"R" => Some(from.repetition),
                b"E" => Some(from.escape),
                b"P" => Some(from.truncation.unwrap_or(b'#')),
                _ => None,
            };
            if let Some(c) = literal {
                escape::escape_bytes(&[c], to, out);
            } else if content.iter().any(|&x| to.is_special(x)) {
                // Kept as written in decoded text, but it cannot be written
                // as one sequence in the new set: write its text as data.
                escape::escape_bytes(&[from.escape], to, out);
                escape::escape_bytes(content, to, out);
                escape::escape_bytes(&[from.escape], to, out);
            } else {
                out.push(to.escape);
                out.extend_from_slice(content);
                out.push(to.escape);
            }
            continue;
        } else if b == from.component {
            out.push(to.component);
        } else if b == from.repetition {
            out.push(to.repetition);
        } else if b == from.subcomponent {
            out.push(to.subcomponent);
        } else if to.is_special(b) || to.truncation == Some(b) {
            escape::escape_bytes(&[b], to, out);
        } else {
            out.push(b);
        }
        i += 1;
    }
}

impl Message<'static> {
    /// A new message holding only `MSH` with the given delimiters; fill it
    /// with [`Message::set`] and [`Message::push_segment`].
    ///
    /// ```
    /// use hl7_runtime::er7::{Delimiters, Message};
    ///
    /// let mut msg = Message::new(Delimiters::default());
    /// msg.set(&"MSH-9.1".parse()?, "ADT")?;
    /// msg.set(&"MSH-9.2".parse()?, "A01")?;
    /// msg.set(&"MSH-12".parse()?, "2.5.1")?;
    /// msg.push_segment(b"PID")?;
    /// msg.set(&"PID-5.1".parse()?, "O'Brien & Sons")?;
    /// assert_eq!(msg.to_er7(), b"MSH|^~\\&|||||||ADT^A01|||2.5.1\rPID|||||O'Brien \\T\\ Sons\r");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(delims: Delimiters) -> Message<'static> {
        let mut src = b"MSH".to_vec();
        src.push(delims.field);
        src.extend_from_slice(&delims.encoding_characters());
        src.push(b'\r');
        let end = src.len() as u32;
        Message {
            src: Cow::Owned(src),
            ctx: Ctx {
                delims,
                charset: Charset::default(),
            },
            layout: Layout {
                segs: vec![Seg {
                    start: 0,
                    end: end - 1,
                    b0: 0,
                    b1: 2,
                }],
                bounds: vec![3, end - 1],
                end: end as usize,
                canonical: true,
            },
            offset: 0,
            index: 0,
            notes: Vec::new(),
            opts: ParseOptions::default(),
        }
    }
}

impl Message<'_> {
    /// Sets the value at `path` to `text`, escaping it as needed. Missing
    /// segments are appended, and fields, repetitions and components are
    /// added up to the position.
    ///
    /// # Errors
    /// When the path has a `*`, names MSH-1 or MSH-2 (use
    /// [`Message::to_er7_with`] to change delimiters), or when the message's
    /// character set cannot represent `text`.
    pub fn set(&mut self, path: &Path, text: &str) -> Result<(), EditError> {
        let wire =
            escape::escape_text(text, &self.ctx.delims, &self.ctx.charset).ok_or_else(|| {
                EditError::new(format!(
                    "`{text}` has characters that {} cannot represent",
                    self.ctx.charset
                ))
            })?;
        self.set_raw(path, &wire)
    }

    /// Sets the value at `path` to wire-form bytes, taken as they are
    /// (escape sequences included).
    ///
    /// # Errors
    /// As [`Message::set`], and when `raw` holds a separator that does not
    /// belong at that level (a `^` in a component, say) or a CR or LF.
    pub fn set_raw(&mut self, path: &Path, raw: &[u8]) -> Result<(), EditError> {
        let d = self.ctx.delims;
        let (Index::Nth(occ), Index::Nth(rep)) = (path.occurrence, path.repetition) else {
            return Err(EditError::new(format!(
                "cannot set `{path}`: a path with `*` names many values"
            )));
        };
        let is_msh = path.segment_id() == b"MSH";
        if is_msh && path.field <= 2 {
            return Err(EditError::new(
                "MSH-1 and MSH-2 hold the delimiters: write the message with other delimiters instead",
            ));
        }
        if is_msh && occ > 1 {
            return Err(EditError::new("a message has one MSH"));
        }
        let forbidden: &[u8] = match (path.component, path.subcomponent) {
            (_, Some(_)) => &[d.field, d.repetition, d.component, d.subcomponent],
            (Some(_), None) => &[d.field, d.repetition, d.component],
            (None, None) => &[d.field, d.repetition],
        };
        if let Some(&b) = raw
            .iter()
            .find(|&&b| forbidden.contains(&b) || is_line_end(b))
        {
            return Err(EditError::new(format!(
                "the value for `{path}` holds `{}`, which would change the message structure",
                (b as char).escape_default()
            )));
        }
        // Find the segment, appending empty ones until the occurrence exists.
        let mut seen = 0;
        let mut found = None;
        for (i, s) in self.layout.segs.iter().enumerate() {
            if &self.src[s.start as usize..s.start as usize + 3] == path.segment_id() {
                seen += 1;
                if seen == occ {
                    found = Some(i);
                    break;
                }
            }
        }
        let position = if let Some(i) = found {
            i
        } else {
            // All missing occurrences in one edit, so a large index costs one pass.
            self.check_segment(path.segment_id())?;
            let mut empty = path.segment_id().to_vec();
            empty.push(b'\r');
            let mut bytes = empty.repeat((occ - seen) as usize);
            let end = self.layout.end;
            if !self.src[..end].ends_with(b"\r") && !self.src[..end].ends_with(b"\n") {
                bytes.insert(0, b'\r');
            }
            self.replace_bytes(end, end, &bytes)?;
            self.layout.segs.len() - 1
        };
        let seg = self.layout.segs[position];
        let old = &self.src[seg.start as usize..seg.end as usize];
        // MSH counts MSH-1 as the separator itself, so MSH-n is part n-1.
        let part = if is_msh { path.field - 1 } else { path.field } as usize;
        let new = splice(old, d.field, part, |field| {
            splice(field, d.repetition, rep as usize - 1, |r| {
                match path.component {
                    None => raw.to_vec(),
                    Some(c) => splice(r, d.component, c as usize - 1, |comp| {
                        match path.subcomponent {
                            None => raw.to_vec(),
                            Some(s) => {
                                splice(comp, d.subcomponent, s as usize - 1, |_| raw.to_vec())
                            }
                        }
                    }),
                }
            })
        });
        self.replace_bytes(seg.start as usize, seg.end as usize, &new)
    }

    /// Appends a segment: `raw` is its wire form without terminator, such as
    /// `b"PID|1||42"` or just `b"ZPI"`.
    pub fn push_segment(&mut self, raw: &[u8]) -> Result<(), EditError> {
        let at = self.layout.segs.len();
        self.insert_segment(at, raw)
    }

    /// Inserts a segment before position `at` (from 0; MSH is 0, so `at` is
    /// at least 1), or at the end when `at` is the segment count.
    pub fn insert_segment(&mut self, at: usize, raw: &[u8]) -> Result<(), EditError> {
        let count = self.layout.segs.len();
        if at == 0 || at > count {
            return Err(EditError::new(format!(
                "cannot insert at position {at}: positions run from 1 (after MSH) to {count}"
            )));
        }
        self.check_segment(raw)?;
        let mut bytes = raw.to_vec();
        bytes.push(b'\r');
        let offset = if at == count {
            let end = self.layout.end;
            if !self.src[..end].ends_with(b"\r") && !self.src[..end].ends_with(b"\n") {
                bytes.insert(0, b'\r');
            }
            end
        } else {
            self.layout.segs[at].start as usize
        };
        self.replace_bytes(offset, offset, &bytes)
    }

    /// Removes the segment at position `at` (MSH, at 0, cannot be removed).
    pub fn remove_segment(&mut self, at: usize) -> Result<(), EditError> {
        let count = self.layout.segs.len();
        if at == 0 || at >= count {
            return Err(EditError::new(format!(
                "cannot remove position {at}: positions run from 1 (after MSH) to {}",
                count - 1
            )));
        }
        let start = self.layout.segs[at].start as usize;
        let end = self
            .layout
            .segs
            .get(at + 1)
            .map_or(self.layout.end, |s| s.start as usize);
        self.replace_bytes(start, end, &[])
    }

    fn check_segment(&self, raw: &[u8]) -> Result<(), EditError> {
        let d = &self.ctx.delims;
        let id_ok = raw.len() >= 3
            && raw[0].is_ascii_uppercase()
            && raw[1..3]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && raw.get(3).is_none_or(|&c| c == d.field);
        if !id_ok {
            return Err(EditError::new(format!(
                "`{}` does not start with a segment id followed by `{}`",
                String::from_utf8_lossy(raw),
                d.field as char
            )));
        }
        if super::message::is_header_id(raw) {
            return Err(EditError::new(format!(
                "a {} segment starts a new message or batch and cannot be inserted",
                String::from_utf8_lossy(&raw[..3])
            )));
        }
        if raw.iter().any(|&b| is_line_end(b)) {
            return Err(EditError::new("a segment cannot contain CR or LF"));
        }
        Ok(())
    }

    fn replace_bytes(&mut self, start: usize, end: usize, with: &[u8]) -> Result<(), EditError> {
        let mut src = std::mem::take(&mut self.src).into_owned();
        src.truncate(self.layout.end.max(end));
        src.splice(start..end, with.iter().copied());
        let before = std::mem::replace(&mut self.src, Cow::Owned(src));
        if let Err(e) = self.reindex() {
            self.src = before;
            // The old bytes parsed before, so they parse again.
            let _ = self.reindex();
            return Err(EditError::new(format!(
                "the edit would break the message: {e}"
            )));
        }
        Ok(())
    }
}

/// Replaces part `n` (from 0) of `bytes` split on `sep` with `f(part)`,
/// adding empty parts when there are fewer.
fn splice(bytes: &[u8], sep: u8, n: usize, f: impl FnOnce(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let mut starts = vec![0];
    starts.extend(memchr::memchr_iter(sep, bytes).map(|p| p + 1));
    let mut out = Vec::with_capacity(bytes.len() + n + 8);
    if n < starts.len() {
        let s = starts[n];
        let e = starts.get(n + 1).map_or(bytes.len(), |&x| x - 1);
        out.extend_from_slice(&bytes[..s]);
        out.extend(f(&bytes[s..e]));
        out.extend_from_slice(&bytes[e..]);
    } else {
        out.extend_from_slice(bytes);
        out.extend(std::iter::repeat_n(sep, n + 1 - starts.len()));
        out.extend(f(&[]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::er7::{Message, parse_stream};
    use proptest::prelude::*;

    fn p(s: &str) -> Path {
        s.parse().unwrap()
    }

    #[test]
    fn splice_grows_and_replaces() {
        assert_eq!(splice(b"a^b^c", b'^', 1, |_| b"X".to_vec()), b"a^X^c");
        assert_eq!(splice(b"a", b'^', 3, |_| b"X".to_vec()), b"a^^^X");
        assert_eq!(splice(b"", b'^', 0, |_| b"X".to_vec()), b"X");
    }

    #[test]
    fn set_grows_fields_repetitions_components() {
        let mut m = Message::parse(b"MSH|^~\\&|A\rPID|1\r").unwrap();
        m.set(&p("PID-3[2].4.2"), "1.2.3").unwrap();
        assert_eq!(m.to_er7(), b"MSH|^~\\&|A\rPID|1||~^^^&1.2.3\r");
        m.set(&p("PID-5.1"), "A|B").unwrap();
        assert_eq!(m.get(&p("PID-5.1")).unwrap().raw(), b"A\\F\\B");
        assert_eq!(m.get(&p("PID-5.1")).unwrap().text(), "A|B");
        m.set(&p("MSH-4"), "FAC").unwrap();
        assert_eq!(m.get(&p("MSH-4")).unwrap().raw(), b"FAC");
        m.set(&p("ZPI[2]-1"), "z").unwrap();
        assert_eq!(m.segment_count(), 4);
        m.set(&p("ZZZ[100000]-1"), "far").unwrap();
        assert_eq!(m.segment_count(), 100_004);
        assert_eq!(m.get(&p("ZPI[2]-1")).unwrap().raw(), b"z");
    }

    #[test]
    fn set_rejects_what_it_cannot_do() {
        let mut m = Message::parse(b"MSH|^~\\&|A\r").unwrap();
        assert!(m.set(&p("MSH-2"), "x").is_err());
        assert!(m.set(&p("OBX[*]-5"), "x").is_err());
        assert!(m.set_raw(&p("PID-5.1"), b"a^b").is_err());
        assert!(m.set_raw(&p("PID-5"), b"a\rb").is_err());
        assert!(m.set_raw(&p("PID-5"), b"a^b").is_ok());
        assert!(m.set(&p("MSH[2]-3"), "x").is_err());
    }

    #[test]
    fn insert_and_remove_segments() {
        let mut m = Message::parse(b"MSH|^~\\&|A\nPID|1\nOBX|1").unwrap();
        m.insert_segment(1, b"EVN|A01").unwrap();
        m.push_segment(b"NTE|1||note").unwrap();
        assert_eq!(
            m.to_er7(),
            b"MSH|^~\\&|A\rEVN|A01\rPID|1\rOBX|1\rNTE|1||note\r"
        );
        m.remove_segment(2).unwrap();
        assert_eq!(m.to_er7(), b"MSH|^~\\&|A\rEVN|A01\rOBX|1\rNTE|1||note\r");
        assert!(m.remove_segment(0).is_err());
        assert!(m.insert_segment(0, b"PID").is_err());
        assert!(m.push_segment(b"MSH|x").is_err());
        assert!(m.push_segment(b"pid|x").is_err());
        assert!(m.push_segment(b"PID|a\rb").is_err());
    }

    #[test]
    fn rewrite_with_other_delimiters() {
        let m = Message::parse(b"MSH|^~\\&|A\rPID|1||a^b~c&d||x\\F\\y#z\r").unwrap();
        let to = Delimiters {
            field: b'#',
            component: b'^',
            repetition: b'~',
            escape: b'\\',
            subcomponent: b'&',
            truncation: None,
        };
        let out = m.to_er7_with(&to).unwrap();
        assert_eq!(out, b"MSH#^~\\&#A\rPID#1##a^b~c&d##x|y\\F\\z\r");
        let back = Message::parse(&out).unwrap();
        assert_eq!(back.get(&p("PID-5")).unwrap().text(), "x|y#z");
        assert_eq!(
            back.to_er7_with(&Delimiters::default()).unwrap(),
            b"MSH|^~\\&|A\rPID|1||a^b~c&d||x\\F\\y#z\r"
        );
    }

    #[test]
    fn terminators_normalise() {
        let m = Message::parse(b"MSH|^~\\&|A\r\nPID|1\n\nOBX|1").unwrap();
        assert!(!m.is_canonical());
        assert_eq!(m.to_er7(), b"MSH|^~\\&|A\rPID|1\rOBX|1\r");
        let m = Message::parse(b"MSH|^~\\&|A\rPID|1\r").unwrap();
        assert!(m.is_canonical());
    }

    fn field_text() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[A-Za-z0-9 .'|^~&\\\\#é-]{0,12}").unwrap()
    }

    proptest! {
        // Building a message from values, writing it and parsing it back gives
        // the same values; parse-then-write is byte-identical.
        #[test]
        fn build_write_parse_round_trip(values in proptest::collection::vec((1u32..8, 1u32..3, 1u32..4, field_text()), 1..12)) {
            let mut m = Message::new(Delimiters::default());
            m.push_segment(b"PID").unwrap();
            let mut expect = std::collections::BTreeMap::new();
            for (f, r, c, text) in &values {
                let path: Path = format!("PID-{f}[{r}].{c}").parse().unwrap();
                m.set(&path, text).unwrap();
                expect.insert((*f, *r, *c), text.clone());
            }
            let wire = m.to_er7();
            let back = Message::parse(&wire).unwrap();
            prop_assert_eq!(back.to_er7(), wire.clone());
            for ((f, r, c), text) in expect {
                let path: Path = format!("PID-{f}[{r}].{c}").parse().unwrap();
                prop_assert_eq!(back.get(&path).unwrap().text(), text);
            }
        }

        // Any bytes: parsing never panics, and whatever parses writes back to
        // bytes that parse to the same segments.
        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(prop_oneof![
            Just(b'|'), Just(b'^'), Just(b'~'), Just(b'\\'), Just(b'&'), Just(b'\r'), Just(b'\n'),
            Just(b'P'), Just(b'I'), Just(b'D'), Just(b'M'), Just(b'S'), Just(b'H'), any::<u8>()
        ], 0..200)) {
            let mut input = b"MSH|^~\\&|".to_vec();
            input.extend(&body);
            for m in parse_stream(&input).flatten() {
                let wire = m.to_er7();
                let again = Message::parse(&wire).unwrap();
                prop_assert_eq!(again.segment_count(), m.segment_count());
                prop_assert_eq!(again.to_er7(), wire);
                for seg in m.segments() {
                    for (_, f) in seg.fields() {
                        let _ = f.text();
                        for r in f.repetitions() { for c in r.components() { let _ = c.try_text(); } }
                    }
                }
                let _ = m.check();
            }
        }
    }
}

//! The parsed message: an index of segment and field boundaries over the bytes.

use std::borrow::Cow;
use std::fmt;
use std::ops::ControlFlow;

use memchr::memchr_iter;

use super::find_byte;

use super::charset::Charset;
use super::delims::{Delimiters, is_line_end};
use super::error::{ParseError, ParseErrorKind};
use super::escape::{self, DecodeProblem, Fragments};
use super::path::{Index, Path};

/// Options for parsing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseOptions {
    /// When MSH-18 is empty or `ASCII` and a value is not valid UTF-8, read
    /// it as Windows-1252 (and report it) instead of replacing the bad bytes.
    /// On by default.
    pub cp1252_fallback: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            cp1252_fallback: true,
        }
    }
}

/// Delimiters and character set: what values need to split and decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ctx {
    pub(crate) delims: Delimiters,
    pub(crate) charset: Charset,
}

/// Where a segment lies in the message bytes, and which field boundaries are its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Seg {
    /// Offset of the segment id.
    pub(crate) start: u32,
    /// Offset just past the last byte of the segment (before its terminator).
    pub(crate) end: u32,
    /// `bounds[b0..b1]` are the offsets of the segment's field separators, then `end`.
    pub(crate) b0: u32,
    pub(crate) b1: u32,
}

/// The index of one message: built in one pass, two allocations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Layout {
    pub(crate) segs: Vec<Seg>,
    pub(crate) bounds: Vec<u32>,
    /// Offset just past the last segment's terminator.
    pub(crate) end: usize,
    /// True when the bytes are exactly what the writer emits: every segment
    /// ends with one CR, and nothing else lies between segments.
    pub(crate) canonical: bool,
}

/// How a scan ended.
pub(crate) enum Stop {
    /// End of input.
    Eof,
    /// A header (`MSH`, `FHS`, `BHS`, `BTS`, `FTS`) starts at this offset.
    Header(usize),
}

pub(crate) fn is_header_id(b: &[u8]) -> bool {
    matches!(b.get(..3), Some(b"MSH" | b"FHS" | b"BHS" | b"BTS" | b"FTS"))
}

fn valid_id(b: &[u8]) -> bool {
    b.len() >= 3
        && b[0].is_ascii_uppercase()
        && (b[1].is_ascii_uppercase() || b[1].is_ascii_digit())
        && (b[2].is_ascii_uppercase() || b[2].is_ascii_digit())
}

/// Skips blank lines (only spaces, tabs, CR and LF) from `q`; returns the
/// offset of the next line with content, or `input.len()`.
pub(crate) fn skip_blank(input: &[u8], mut q: usize) -> usize {
    loop {
        let mut r = q;
        while r < input.len() && (input[r] == b' ' || input[r] == b'\t') {
            r += 1;
        }
        if r == input.len() {
            return r;
        }
        if is_line_end(input[r]) {
            q = r + 1;
        } else {
            return q;
        }
    }
}

/// Scans the message whose `MSH` is at `input[0]`, recording segment and field
/// boundaries relative to `input[0]`. In a stream, a header segment ends the
/// message; otherwise it is an error.
pub(crate) fn scan(
    input: &[u8],
    delims: &Delimiters,
    stream: bool,
) -> Result<(Layout, Stop), ParseError> {
    let len = input.len();
    if u32::try_from(len).is_err() {
        return Err(ParseError::new(
            ParseErrorKind::TooLarge,
            0,
            "input over 4 GiB: split it into messages first",
        ));
    }
    // In a stream `input` runs to the end of the file: size for one message.
    let hint = len.min(1 << 16);
    let mut sc = Scanner {
        input,
        fs: delims.field,
        stream,
        segs: Vec::with_capacity(hint / 128 + 4),
        bounds: Vec::with_capacity(hint / 8 + 8),
        seg_start: 0,
        b0: 0,
        skip_until: 3,
        canonical: true,
    };
    // Eight bytes at a time (SWAR): one word yields every hit in it, so a
    // field costs a few instructions rather than a search call.
    let fs = delims.field;
    let fs_word = LSB * u64::from(fs);
    let (pairs, tail) = input.as_chunks::<16>();
    let mut base = 0;
    for pair in pairs {
        let (lo, hi) = pair.split_at(8);
        let w0 = u64::from_le_bytes(lo.try_into().unwrap_or_default());
        let w1 = u64::from_le_bytes(hi.try_into().unwrap_or_default());
        let f0 = zero_bytes(w0 ^ fs_word);
        let f1 = zero_bytes(w1 ^ fs_word);
        let controls = below_0e(w0) | below_0e(w1);
        if controls == 0 && base >= sc.skip_until {
            // The common case: field separators only, all in the current segment.
            push_hits(&mut sc.bounds, base, f0);
            push_hits(&mut sc.bounds, base + 8, f1);
        } else {
            for (at, word, fields) in [(base, w0, f0), (base + 8, w1, f1)] {
                let bytes = word.to_le_bytes();
                let mut m = fields | below_0e(word);
                while m != 0 {
                    let i = (m.trailing_zeros() / 8) as usize;
                    m &= m - 1;
                    if let ControlFlow::Break(done) = sc.hit(at + i, bytes[i]) {
                        return done;
                    }
                }
            }
        }
        base += 16;
    }
    for (i, &b) in tail.iter().enumerate() {
        if let ControlFlow::Break(done) = sc.hit(base + i, b) {
            return done;
        }
    }
    Ok(sc.finish_unterminated())
}

const LSB: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `x` that is zero; exact, with no carries between bytes.
#[inline]
fn zero_bytes(x: u64) -> u64 {
    !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7)
}

/// Pushes the offset of each byte marked in `mask` (a high bit per byte) of the word at `base`.
#[inline]
fn push_hits(bounds: &mut Vec<u32>, base: usize, mut mask: u64) {
    while mask != 0 {
        bounds.push((base + (mask.trailing_zeros() / 8) as usize) as u32);
        mask &= mask - 1;
    }
}

/// The high bit of each byte below 0x0E (where CR and LF are). The lowest is
/// exact and none is missed; a borrow can also mark a byte above one, so
/// callers check the byte.
#[inline]
fn below_0e(word: u64) -> u64 {
    word.wrapping_sub(LSB * 0x0E) & !word & HIGH
}

/// The state of [`scan`].
struct Scanner<'a> {
    input: &'a [u8],
    fs: u8,
    stream: bool,
    segs: Vec<Seg>,
    bounds: Vec<u32>,
    seg_start: usize,
    b0: usize,
    /// Hits before this offset are inside blank lines or a segment id: ignored.
    skip_until: usize,
    canonical: bool,
}

type Done = Result<(Layout, Stop), ParseError>;

impl Scanner<'_> {
    /// Byte `b` at offset `p` may be a field separator, CR or LF.
    #[inline]
    fn hit(&mut self, p: usize, b: u8) -> ControlFlow<Done> {
        if p < self.skip_until {
            return ControlFlow::Continue(());
        }
        if b == self.fs {
            self.bounds.push(p as u32);
            ControlFlow::Continue(())
        } else if is_line_end(b) {
            self.terminator(p)
        } else {
            ControlFlow::Continue(())
        }
    }

    fn close_segment(&mut self, end: usize) {
        self.bounds.push(end as u32);
        self.segs.push(Seg {
            start: self.seg_start as u32,
            end: end as u32,
            b0: self.b0 as u32,
            b1: self.bounds.len() as u32,
        });
        self.b0 = self.bounds.len();
    }

    fn layout(&mut self, end: usize) -> Layout {
        Layout {
            segs: std::mem::take(&mut self.segs),
            bounds: std::mem::take(&mut self.bounds),
            end,
            canonical: self.canonical,
        }
    }

    /// A segment ends at `p`: close it, find where the next one starts, and
    /// check its id.
    #[inline(never)]
    fn terminator(&mut self, p: usize) -> ControlFlow<Done> {
        let input = self.input;
        let len = input.len();
        self.close_segment(p);
        let mut term_end = p + 1;
        if input[p] == b'\n' {
            self.canonical = false;
        } else if input.get(term_end) == Some(&b'\n') {
            term_end += 1;
            self.canonical = false;
        }
        let q = skip_blank(input, term_end);
        if q != term_end {
            self.canonical = false;
        }
        if q == len {
            return ControlFlow::Break(Ok((self.layout(term_end), Stop::Eof)));
        }
        let next = &input[q..];
        if is_header_id(next) {
            let layout = self.layout(term_end);
            if self.stream {
                return ControlFlow::Break(Ok((layout, Stop::Header(q))));
            }
            return ControlFlow::Break(Err(ParseError::new(
                ParseErrorKind::TrailingData,
                q,
                format!(
                    "a second {} segment: the input holds more than one message (read it as a stream)",
                    String::from_utf8_lossy(&next[..3])
                ),
            )
            .with_segment(&next[..3], layout.segs.len() + 1)));
        }
        if !valid_id(next)
            || next
                .get(3)
                .is_some_and(|&c| c != self.fs && !is_line_end(c))
        {
            let shown: String = String::from_utf8_lossy(&next[..next.len().min(12)])
                .chars()
                .take_while(|c| *c != '\r' && *c != '\n')
                .collect();
            return ControlFlow::Break(Err(ParseError::new(
                ParseErrorKind::SegmentId,
                q,
                format!(
                    "line {} does not start with a segment id (three upper-case letters or digits, then `{}`): `{shown}`",
                    self.segs.len() + 1,
                    self.fs as char
                ),
            )));
        }
        self.seg_start = q;
        self.skip_until = q + 3;
        ControlFlow::Continue(())
    }

    /// The input ended inside a segment: it is the last, with no terminator.
    fn finish_unterminated(mut self) -> (Layout, Stop) {
        let len = self.input.len();
        self.close_segment(len);
        self.canonical = false;
        (self.layout(len), Stop::Eof)
    }
}

/// A parsed HL7 v2 message.
///
/// Parsing makes one pass over the bytes and records where each segment and
/// field begins; repetitions, components and subcomponents are split only
/// when asked for, and values come back as borrowed bytes or as decoded
/// text. A `Message<'a>` borrows its input; [`Message::into_owned`] gives a
/// `Message<'static>` that owns it, for messages that outlive their buffer.
///
/// ```
/// use hl7_runtime::er7::{Message, Path};
///
/// let msg = Message::parse(b"MSH|^~\\&|LAB||EHR||20260101||ORU^R01|1|P|2.5.1\rPID|1||42||O'BRIEN^PAT\\T\\ANN\r")?;
/// let name: Path = "PID-5.2".parse()?;
/// assert_eq!(msg.get(&name).unwrap().text(), "PAT&ANN");
/// assert_eq!(msg.to_er7(), msg.as_bytes());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Message<'a> {
    pub(crate) src: Cow<'a, [u8]>,
    pub(crate) ctx: Ctx,
    pub(crate) layout: Layout,
    pub(crate) offset: usize,
    pub(crate) index: usize,
    pub(crate) notes: Vec<String>,
    pub(crate) opts: ParseOptions,
}

impl<'a> Message<'a> {
    /// Parses one message. The input may start with a UTF-8 byte-order mark
    /// and blank lines, and may end with blank lines; segments may end with
    /// CR, LF or CRLF, and the last one may have no terminator. More than one
    /// message is an error: use [`parse_stream`](super::parse_stream) for files and streams.
    pub fn parse(input: &'a [u8]) -> Result<Message<'a>, ParseError> {
        Message::parse_with(input, ParseOptions::default())
    }

    /// [`Message::parse`] with options.
    pub fn parse_with(input: &'a [u8], opts: ParseOptions) -> Result<Message<'a>, ParseError> {
        let body = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
        let skipped = input.len() - body.len();
        let start = skip_blank(body, 0);
        if start == body.len() {
            return Err(ParseError::new(
                ParseErrorKind::Empty,
                skipped + start,
                "no message: the input is empty",
            ));
        }
        let (msg, stop) = Message::parse_at(&body[start..], opts, false)
            .map_err(|e| e.shifted(skipped + start))?;
        debug_assert!(matches!(stop, Stop::Eof));
        let mut msg = msg;
        msg.offset = skipped + start;
        Ok(msg)
    }

    /// Parses the message at the start of `input` (which begins with `MSH`).
    pub(crate) fn parse_at(
        input: &'a [u8],
        opts: ParseOptions,
        stream: bool,
    ) -> Result<(Message<'a>, Stop), ParseError> {
        if !input.starts_with(b"MSH") {
            let shown: String = String::from_utf8_lossy(&input[..input.len().min(12)])
                .chars()
                .take_while(|c| *c != '\r' && *c != '\n')
                .collect();
            return Err(ParseError::new(
                ParseErrorKind::NoHeader,
                0,
                format!("a message starts with MSH, not `{shown}`"),
            ));
        }
        let header = Delimiters::from_header(input).map_err(|(at, reason)| {
            ParseError::new(ParseErrorKind::Delimiters, at, reason)
                .with_segment(b"MSH", 1)
                .with_field(if at <= 3 { 1 } else { 2 })
        })?;
        let (layout, stop) = scan(input, &header.delims, stream)?;
        let end = layout.end;
        let mut msg = Message {
            src: Cow::Borrowed(&input[..end]),
            ctx: Ctx {
                delims: header.delims,
                charset: Charset::default(),
            },
            layout,
            offset: 0,
            index: 0,
            notes: header.repair.into_iter().collect(),
            opts,
        };
        msg.read_charset();
        Ok((msg, stop))
    }

    fn read_charset(&mut self) {
        // The name is read as text (escapes resolved) in the default set, so
        // the same name written with other delimiters means the same set.
        let declared = self
            .segment(0)
            .and_then(|msh| msh.field(18))
            .and_then(|f| f.repetition(1))
            .map_or(Cow::Borrowed(&b""[..]), |v| {
                match escape::decode(v.raw(), &self.ctx.delims, &Charset::default()).0 {
                    Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
                    Cow::Owned(s) => Cow::Owned(s.into_bytes()),
                }
            });
        let charset = Charset::from_msh18(&declared, self.opts.cp1252_fallback);
        if !charset.is_supported() {
            self.notes.push(format!(
                "MSH-18 character set `{}` is not supported: text is read as UTF-8; raw bytes are unchanged",
                String::from_utf8_lossy(&declared)
            ));
        }
        self.ctx.charset = charset;
    }

    /// Rebuilds the index after the bytes changed.
    pub(crate) fn reindex(&mut self) -> Result<(), ParseError> {
        let header = Delimiters::from_header(&self.src).map_err(|(at, reason)| {
            ParseError::new(ParseErrorKind::Delimiters, at, reason).with_segment(b"MSH", 1)
        })?;
        let (layout, _) = scan(&self.src, &header.delims, false)?;
        self.ctx.delims = header.delims;
        self.layout = layout;
        self.read_charset();
        Ok(())
    }

    /// A message that owns its bytes.
    pub fn into_owned(self) -> Message<'static> {
        Message {
            src: Cow::Owned(self.src.into_owned()),
            ctx: self.ctx,
            layout: self.layout,
            offset: self.offset,
            index: self.index,
            notes: self.notes,
            opts: self.opts,
        }
    }

    /// The bytes as read, from `MSH` to the last segment's terminator.
    pub fn as_bytes(&self) -> &[u8] {
        &self.src
    }

    /// The message's delimiters.
    pub fn delimiters(&self) -> &Delimiters {
        &self.ctx.delims
    }

    /// The character set from MSH-18, used to decode text.
    pub fn charset(&self) -> Charset {
        self.ctx.charset
    }

    /// Byte offset of the message in the input it was read from.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Index of the message in its stream, from 0.
    pub fn index(&self) -> usize {
        self.index
    }

    /// True when the bytes as read are exactly what [`Message::to_er7`]
    /// writes (CR terminators throughout, nothing between segments).
    pub fn is_canonical(&self) -> bool {
        self.layout.canonical
    }

    /// Number of segments.
    pub fn segment_count(&self) -> usize {
        self.layout.segs.len()
    }

    /// The segment at `position` (from 0; segment 0 is MSH).
    pub fn segment(&self, position: usize) -> Option<Segment<'_>> {
        let seg = *self.layout.segs.get(position)?;
        Some(Segment {
            src: &self.src,
            ctx: &self.ctx,
            seg,
            bounds: &self.layout.bounds[seg.b0 as usize..seg.b1 as usize],
            position,
        })
    }

    /// All segments, in order.
    pub fn segments(&self) -> impl ExactSizeIterator<Item = Segment<'_>> + '_ {
        self.layout
            .segs
            .iter()
            .enumerate()
            .map(move |(position, &seg)| Segment {
                src: &self.src,
                ctx: &self.ctx,
                seg,
                bounds: &self.layout.bounds[seg.b0 as usize..seg.b1 as usize],
                position,
            })
    }

    /// The segments with the given id, such as `"OBX"`, in order.
    pub fn segments_named<'s>(&'s self, id: &'s str) -> impl Iterator<Item = Segment<'s>> + 's {
        self.segments()
            .filter(move |s| s.id_bytes() == id.as_bytes())
    }

    /// The value at `path`: its first match, or `None` when the message
    /// has no such segment, field, repetition, component or subcomponent.
    pub fn get(&self, path: &Path) -> Option<Value<'_>> {
        if path.is_multiple() {
            return self.get_all(path).next();
        }
        let Index::Nth(occ) = path.occurrence else {
            return None;
        };
        let mut seen = 0;
        let seg = self.layout.segs.iter().position(|s| {
            let hit = &self.src[s.start as usize..s.start as usize + 3] == path.segment_id();
            seen += u32::from(hit);
            hit && seen == occ
        })?;
        let Index::Nth(rep) = path.repetition else {
            return None;
        };
        let rep = self
            .segment(seg)?
            .field(path.field as usize)?
            .repetition(rep as usize)?;
        descend(rep, path)
    }

    /// Every value `path` selects, in message order; with no `*` in the path,
    /// at most one. Values that are absent are skipped.
    pub fn get_all<'s>(&'s self, path: &Path) -> Values<'s> {
        Values {
            msg: self,
            path: *path,
            next_seg: 0,
            occurrence: 0,
            reps: None,
            done: false,
        }
    }

    /// Decoding problems and other irregularities: malformed escapes,
    /// bytes invalid in the character set, an unsupported MSH-18, a repaired
    /// MSH-2. Each names its segment, field and byte offset.
    pub fn check(&self) -> Vec<Warning> {
        let mut out: Vec<Warning> = self
            .notes
            .iter()
            .map(|n| Warning {
                offset: self.offset,
                segment: None,
                field: None,
                message: n.clone(),
            })
            .collect();
        for seg in self.segments() {
            for (n, field) in seg.fields() {
                if field.level == Level::Literal {
                    continue;
                }
                if let Some(p) = escape::check(field.raw, &self.ctx.delims, &self.ctx.charset) {
                    let at = field.raw.as_ptr() as usize - self.src.as_ptr() as usize;
                    out.push(Warning {
                        offset: self.offset + at + p.offset,
                        segment: Some((seg.id().to_string(), seg.position() + 1)),
                        field: Some(n),
                        message: p.kind_text(),
                    });
                }
            }
        }
        out
    }
}

impl DecodeProblem {
    fn kind_text(&self) -> String {
        match &self.kind {
            escape::DecodeProblemKind::Escape(e) => e.to_string(),
            escape::DecodeProblemKind::Charset(name) => format!("bytes not valid in {name}"),
        }
    }
}

impl fmt::Debug for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("offset", &self.offset)
            .field("index", &self.index)
            .field("segments", &self.segment_count())
            .field("text", &String::from_utf8_lossy(&self.src))
            .finish_non_exhaustive()
    }
}

impl PartialEq for Message<'_> {
    /// Two messages are equal when their bytes are.
    fn eq(&self, other: &Self) -> bool {
        self.src == other.src
    }
}

/// A non-fatal irregularity found by [`Message::check`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// Byte offset in the input.
    pub offset: usize,
    /// Segment id and 1-based position in the message, when it is in one.
    pub segment: Option<(String, usize)>,
    /// Field number, when it is in one.
    pub field: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "byte {}", self.offset)?;
        if let Some((id, n)) = &self.segment {
            write!(f, ", segment {id} (#{n})")?;
        }
        if let Some(field) = self.field {
            write!(f, ", field {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

fn descend<'m>(rep: Value<'m>, path: &Path) -> Option<Value<'m>> {
    let Some(c) = path.component else {
        return Some(rep);
    };
    let comp = rep.component(c as usize)?;
    match path.subcomponent {
        None => Some(comp),
        Some(s) => comp.subcomponent(s as usize),
    }
}

/// Iterator over the values a path selects; see [`Message::get_all`].
#[derive(Clone, Debug)]
pub struct Values<'m> {
    msg: &'m Message<'m>,
    path: Path,
    next_seg: usize,
    occurrence: u32,
    reps: Option<Parts<'m>>,
    done: bool,
}

impl<'m> Iterator for Values<'m> {
    type Item = Value<'m>;

    fn next(&mut self) -> Option<Value<'m>> {
        loop {
            if let Some(reps) = &mut self.reps {
                match reps.next() {
                    Some(rep) => match descend(rep, &self.path) {
                        Some(v) => return Some(v),
                        None => continue,
                    },
                    None => self.reps = None,
                }
            }
            if self.done {
                return None;
            }
            let segs = &self.msg.layout.segs;
            let id = self.path.segment_id();
            let src = &self.msg.src;
            let found = segs[self.next_seg.min(segs.len())..]
                .iter()
                .position(|s| &src[s.start as usize..s.start as usize + 3] == id)?;
            let seg = self.msg.segment(self.next_seg + found)?;
            self.next_seg += found + 1;
            self.occurrence += 1;
            match self.path.occurrence {
                Index::Nth(n) if self.occurrence < n => continue,
                Index::Nth(_) => self.done = true,
                Index::All => {}
            }
            let Some(field) = seg.field(self.path.field as usize) else {
                continue;
            };
            match self.path.repetition {
                Index::Nth(r) => {
                    if let Some(v) = field
                        .repetition(r as usize)
                        .and_then(|rep| descend(rep, &self.path))
                    {
                        return Some(v);
                    }
                }
                Index::All => self.reps = Some(field.repetitions()),
            }
        }
    }
}

/// One segment of a message.
#[derive(Clone, Copy)]
pub struct Segment<'m> {
    src: &'m [u8],
    ctx: &'m Ctx,
    seg: Seg,
    bounds: &'m [u32],
    position: usize,
}

impl<'m> Segment<'m> {
    /// The segment id, such as `PID`.
    pub fn id(&self) -> &'m str {
        // The scanner accepts only ASCII letters and digits as ids.
        std::str::from_utf8(self.id_bytes()).unwrap_or("???")
    }

    fn id_bytes(&self) -> &'m [u8] {
        &self.src[self.seg.start as usize..self.seg.start as usize + 3]
    }

    fn is_header(&self) -> bool {
        self.id_bytes() == b"MSH"
    }

    /// Position in the message, from 0.
    pub fn position(&self) -> usize {
        self.position
    }

    /// Byte offset of the segment within the message.
    pub fn offset(&self) -> usize {
        self.seg.start as usize
    }

    /// The segment's bytes, without its terminator.
    pub fn raw(&self) -> &'m [u8] {
        &self.src[self.seg.start as usize..self.seg.end as usize]
    }

    /// Number of fields present (counting MSH-1 and MSH-2 for MSH).
    pub fn field_count(&self) -> usize {
        if self.is_header() {
            self.bounds.len()
        } else {
            self.bounds.len() - 1
        }
    }

    /// Field `n` (from 1), or `None` when the segment has fewer fields.
    ///
    /// For MSH, field 1 is the field separator and field 2 the encoding
    /// characters; both come back as literal values that do not split or decode.
    pub fn field(&self, n: usize) -> Option<Value<'m>> {
        let (idx, level) = if self.is_header() {
            match n {
                0 => return None,
                1 => {
                    let at = self.seg.start as usize + 3;
                    return Some(Value::new(&self.src[at..=at], self.ctx, Level::Literal));
                }
                2 => (1, Level::Literal),
                n => (n - 1, Level::Field),
            }
        } else {
            (n, Level::Field)
        };
        if idx == 0 || idx >= self.bounds.len() {
            return None;
        }
        let raw = &self.src[self.bounds[idx - 1] as usize + 1..self.bounds[idx] as usize];
        Some(Value::new(raw, self.ctx, level))
    }

    /// The fields present, with their numbers, in order.
    pub fn fields(&self) -> impl Iterator<Item = (usize, Value<'m>)> + 'm {
        let this = *self;
        (1..=self.field_count()).filter_map(move |n| this.field(n).map(|v| (n, v)))
    }
}

impl fmt::Debug for Segment<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Segment")
            .field("position", &self.position)
            .field("text", &String::from_utf8_lossy(self.raw()))
            .finish()
    }
}

/// What part of a field a [`Value`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Level {
    /// A whole field, with all its repetitions.
    Field,
    /// One repetition of a field.
    Repetition,
    /// One component.
    Component,
    /// One subcomponent.
    Subcomponent,
    /// MSH-1 or MSH-2: taken literally, never split or decoded.
    Literal,
}

/// A value in a message: a field, repetition, component or subcomponent.
///
/// It borrows the message. [`Value::raw`] gives the bytes as they are on the
/// wire; [`Value::text`] decodes escape sequences and the character set.
#[derive(Clone, Copy)]
pub struct Value<'m> {
    raw: &'m [u8],
    ctx: &'m Ctx,
    level: Level,
}

impl<'m> Value<'m> {
    fn new(raw: &'m [u8], ctx: &'m Ctx, level: Level) -> Self {
        Value { raw, ctx, level }
    }

    /// The bytes as on the wire, escapes and separators included.
    #[inline]
    pub fn raw(&self) -> &'m [u8] {
        self.raw
    }

    /// What part of a field this is.
    pub fn level(&self) -> Level {
        self.level
    }

    /// True when the value is empty.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// True for the explicit null `""`, which tells the receiver to delete
    /// the value it holds.
    pub fn is_null(&self) -> bool {
        self.raw == b"\"\""
    }

    /// The decoded text. Character escapes (`\F\`, `\S\`, `\X41\` ...) are
    /// resolved, formatting and local escapes are kept as written, and bytes
    /// are read in the message's character set. Never fails: malformed
    /// escapes are kept as written and bad bytes replaced; see
    /// [`Value::try_text`] to have them reported. Borrows when nothing needs
    /// decoding.
    ///
    /// Separators inside the value (a field's `^`, say) stay as they are.
    pub fn text(&self) -> Cow<'m, str> {
        if self.level == Level::Literal {
            return String::from_utf8_lossy(self.raw);
        }
        escape::decode(self.raw, &self.ctx.delims, &self.ctx.charset).0
    }

    /// Like [`Value::text`], but a malformed escape or bytes invalid in the
    /// character set are an error.
    pub fn try_text(&self) -> Result<Cow<'m, str>, DecodeProblem> {
        if self.level == Level::Literal {
            return Ok(String::from_utf8_lossy(self.raw));
        }
        match escape::decode(self.raw, &self.ctx.delims, &self.ctx.charset) {
            (text, None) => Ok(text),
            (_, Some(p)) => Err(p),
        }
    }

    /// The escape-sequence structure of the value.
    pub fn fragments(&self) -> Fragments<'m> {
        escape::fragments(self.raw, &self.ctx.delims)
    }

    /// The delimiters of the message the value comes from.
    pub fn delimiters(&self) -> &'m Delimiters {
        &self.ctx.delims
    }

    fn child_sep(&self) -> Option<(u8, Level)> {
        let d = &self.ctx.delims;
        match self.level {
            Level::Field => Some((d.repetition, Level::Repetition)),
            Level::Repetition => Some((d.component, Level::Component)),
            Level::Component => Some((d.subcomponent, Level::Subcomponent)),
            Level::Subcomponent | Level::Literal => None,
        }
    }

    /// The parts one level down: a field's repetitions, a repetition's
    /// components, a component's subcomponents. A subcomponent or a literal
    /// yields itself.
    pub fn parts(&self) -> Parts<'m> {
        match self.child_sep() {
            Some((sep, level)) => Parts {
                rest: Some(self.raw),
                sep,
                level,
                ctx: self.ctx,
            },
            None => Parts {
                rest: Some(self.raw),
                sep: 0,
                level: self.level,
                ctx: self.ctx,
            },
        }
    }

    /// For a field: its first repetition, and the bytes after the first
    /// repetition separator (the other repetitions), in one scan. Anything
    /// below a field is its own first repetition.
    pub(crate) fn split_first_repetition(&self) -> (Value<'m>, Option<&'m [u8]>) {
        if self.level != Level::Field {
            return (*self, None);
        }
        let sep = self.ctx.delims.repetition;
        match find_byte(sep, self.raw) {
            Some(i) => (
                Value::new(&self.raw[..i], self.ctx, Level::Repetition),
                Some(&self.raw[i + 1..]),
            ),
            None => (Value::new(self.raw, self.ctx, Level::Repetition), None),
        }
    }

    fn nth(&self, n: usize) -> Option<Value<'m>> {
        if n == 0 {
            return None;
        }
        let Some((sep, level)) = self.child_sep() else {
            return (n == 1).then_some(*self);
        };
        nth_part(self.raw, sep, n - 1).map(|raw| Value::new(raw, self.ctx, level))
    }

    /// The field's repetitions. For anything below a field, itself.
    pub fn repetitions(&self) -> Parts<'m> {
        if self.level == Level::Field {
            self.parts()
        } else {
            Value::new(self.raw, self.ctx, Level::Literal).parts_as(self.level)
        }
    }

    fn parts_as(self, level: Level) -> Parts<'m> {
        Parts {
            rest: Some(self.raw),
            sep: 0,
            level,
            ctx: self.ctx,
        }
    }

    /// Repetition `n` (from 1) of a field. Below field level, `n = 1` is the value itself.
    pub fn repetition(&self, n: usize) -> Option<Value<'m>> {
        match self.level {
            Level::Field => self.nth(n),
            _ => (n == 1).then_some(*self),
        }
    }

    /// Component `n` (from 1). On a field, of its first repetition. On a
    /// component or subcomponent, `n = 1` is the value itself.
    pub fn component(&self, n: usize) -> Option<Value<'m>> {
        match self.level {
            Level::Field => self.nth(1)?.nth(n),
            Level::Repetition => self.nth(n),
            _ => (n == 1).then_some(*self),
        }
    }

    /// The components of a repetition (of the first repetition, for a field).
    pub fn components(&self) -> Parts<'m> {
        match self.level {
            Level::Field => self
                .nth(1)
                .map_or_else(|| self.parts_as(Level::Component), |r| r.parts()),
            Level::Repetition => self.parts(),
            _ => self.parts_as(self.level),
        }
    }

    /// Subcomponent `n` (from 1) of a component (of the first component, for
    /// a field or repetition).
    pub fn subcomponent(&self, n: usize) -> Option<Value<'m>> {
        match self.level {
            Level::Field | Level::Repetition => self.component(1)?.nth(n),
            Level::Component => self.nth(n),
            _ => (n == 1).then_some(*self),
        }
    }

    /// The subcomponents of a component.
    pub fn subcomponents(&self) -> Parts<'m> {
        match self.level {
            Level::Component => self.parts(),
            Level::Field | Level::Repetition => self
                .component(1)
                .map_or_else(|| self.parts_as(Level::Subcomponent), |c| c.parts()),
            _ => self.parts_as(self.level),
        }
    }
}

impl fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Value")
            .field("level", &self.level)
            .field("raw", &String::from_utf8_lossy(self.raw))
            .finish()
    }
}

impl PartialEq<str> for Value<'_> {
    /// Compares the raw bytes.
    fn eq(&self, other: &str) -> bool {
        self.raw == other.as_bytes()
    }
}

impl PartialEq<&str> for Value<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.raw == other.as_bytes()
    }
}

#[inline]
fn nth_part(raw: &[u8], sep: u8, n: usize) -> Option<&[u8]> {
    if n == 0 {
        return Some(find_byte(sep, raw).map_or(raw, |e| &raw[..e]));
    }
    let mut it = memchr_iter(sep, raw);
    let start = it.nth(n - 1)? + 1;
    let end = find_byte(sep, &raw[start..]).map_or(raw.len(), |e| start + e);
    Some(&raw[start..end])
}

/// Iterator over the parts of a [`Value`]; see [`Value::parts`].
#[derive(Clone, Debug)]
pub struct Parts<'m> {
    rest: Option<&'m [u8]>,
    sep: u8,
    level: Level,
    ctx: &'m Ctx,
}

impl<'m> Iterator for Parts<'m> {
    type Item = Value<'m>;

    fn next(&mut self) -> Option<Value<'m>> {
        let rest = self.rest?;
        if self.sep == 0 {
            self.rest = None;
            return Some(Value::new(rest, self.ctx, self.level));
        }
        if let Some(e) = find_byte(self.sep, rest) {
            self.rest = Some(&rest[e + 1..]);
            Some(Value::new(&rest[..e], self.ctx, self.level))
        } else {
            self.rest = None;
            Some(Value::new(rest, self.ctx, self.level))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A byte-at-a-time reading of the same rules, to check the word-at-a-time scanner.
    type Bounds = (Vec<u32>, Vec<(u32, u32)>);

    fn naive(input: &[u8]) -> Option<Bounds> {
        let (mut bounds, mut segs) = (Vec::new(), Vec::new());
        let mut start = 0;
        let mut i = 3;
        while i < input.len() {
            match input[i] {
                b'|' => bounds.push(i as u32),
                b'\r' | b'\n' => {
                    bounds.push(i as u32);
                    segs.push((start as u32, i as u32));
                    let q = skip_blank(
                        input,
                        i + 1 + usize::from(input[i] == b'\r' && input.get(i + 1) == Some(&b'\n')),
                    );
                    if q == input.len() {
                        return Some((bounds, segs));
                    }
                    if !valid_id(&input[q..])
                        || is_header_id(&input[q..])
                        || input
                            .get(q + 3)
                            .is_some_and(|&c| c != b'|' && !is_line_end(c))
                    {
                        return None;
                    }
                    start = q;
                    i = q + 3;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        bounds.push(input.len() as u32);
        segs.push((start as u32, input.len() as u32));
        Some((bounds, segs))
    }

    proptest! {
        #[test]
        fn scan_agrees_with_a_byte_at_a_time_reading(body in proptest::collection::vec(prop_oneof![
            Just(&b"|"[..]), Just(&b"\r"[..]), Just(&b"\n"[..]), Just(&b"\r\n"[..]), Just(&b"\rPID|"[..]),
            Just(&b"\nOBX|1"[..]), Just(&b"\r\n\r\nNTE"[..]), Just(&b"\r  \n"[..]), Just(&b"abc"[..]),
            Just(&b"\0"[..]), Just(&b"\x0e"[..]), Just(&b"\x80\xff"[..]), Just(&b"\rMSH|"[..]), Just(&b"\rpid"[..]),
        ], 0..40)) {
            let body: Vec<u8> = body.concat();
            let mut input = b"MSH|^~\\&|".to_vec();
            input.extend(body);
            let got = scan(&input, &Delimiters::default(), false)
                .ok()
                .map(|(l, _)| (l.bounds, l.segs.iter().map(|s| (s.start, s.end)).collect::<Vec<_>>()));
            prop_assert_eq!(got, naive(&input));
        }
    }
}

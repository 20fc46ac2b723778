//! Structural JSON: a lossless JSON form of any message.
//!
//! [`to_json`] writes a message as one JSON object; [`from_json`] reads it
//! back, and [`Message::to_er7`] of the result is byte for byte the
//! [`Message::to_er7`] of the original (CR segment terminators). The schema
//! is documented in `docs/json.md`; in short:
//!
//! ```json
//! {"segments":[
//!   {"id":"MSH","fields":["|","^~\\&","LAB","",...]},
//!   {"id":"PID","fields":["1","",[["123","","","HOSP","MR"]],...]}
//! ]}
//! ```
//!
//! * `fields[i]` is field `i + 1` (for MSH, `fields[0]` is MSH-1 and
//!   `fields[1]` MSH-2, as written). Only the fields present in the ER7 are
//!   listed, so trailing empty fields (`PID|1||`) are kept.
//! * A value with one part is written as that part; more parts make an
//!   array one level down. A field is a repetition, or
//!   `{"repetitions":[...]}` when it repeats; a repetition is a string or an
//!   array of components; a component is a string or an array of
//!   subcomponent strings.
//! * Strings are the **wire form**: escape sequences (`\T\`, `\.br\`, even
//!   malformed ones) are kept as written, so nothing has to be re-escaped
//!   and every byte comes back. Bytes that are not valid UTF-8 (a Latin-1
//!   MSH-18, say) are written as `{"base64":"..."}` in place of the string.
//!
//! ```
//! use hl7_runtime::er7::Message;
//! use hl7_runtime::json;
//!
//! let msg = Message::parse(b"MSH|^~\\&|LAB\rPID|1||123^^^HOSP~456|O'BRIEN\\T\\SONS\r")?;
//! let text = json::to_json(&msg);
//! assert_eq!(
//!     text,
//!     r#"{"segments":[{"id":"MSH","fields":["|","^~\\&","LAB"]},{"id":"PID","fields":["1","",{"repetitions":[["123","","","HOSP"],"456"]},"O'BRIEN\\T\\SONS"]}]}"#
//! );
//! assert_eq!(json::from_json(text.as_bytes())?.to_er7(), msg.to_er7());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "validate")]
pub mod named;

use std::fmt;

use serde_json::Value as Json;

use crate::er7::{Delimiters, Message};

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// Byte classes for the writer.
const ESC: u8 = 1; // needs escaping in a JSON string: `"`, `\`, controls
const HIGH: u8 = 2; // not ASCII: check UTF-8
const REP: u8 = 4;
const COMP: u8 = 8;
const SUB: u8 = 16;
const SEPS: u8 = REP | COMP | SUB;

/// The class table of a message: what each byte means to the writer.
struct Classes([u8; 256]);

impl Classes {
    fn new(d: &Delimiters) -> Self {
        let mut t = [0u8; 256];
        for (b, c) in t.iter_mut().enumerate() {
            if b < 0x20 || b == usize::from(b'"') || b == usize::from(b'\\') {
                *c = ESC;
            } else if b >= 0x80 {
                *c = HIGH;
            }
        }
        t[usize::from(d.repetition)] |= REP;
        t[usize::from(d.component)] |= COMP;
        t[usize::from(d.subcomponent)] |= SUB;
        Classes(t)
    }
}

/// The message as structural JSON, on one line.
pub fn to_json(msg: &Message<'_>) -> String {
    let mut out = Vec::with_capacity(msg.as_bytes().len() * 2 + 256);
    write_json(msg, &mut out);
    // The writer emits only ASCII punctuation around valid UTF-8 strings.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Appends the message as structural JSON (one line, no newline) to `out`.
pub fn write_json(msg: &Message<'_>, out: &mut Vec<u8>) {
    let d = *msg.delimiters();
    let w = Writer::new(&d);
    // Output is 1.5 to 2 times the ER7 (quotes, commas and brackets).
    out.reserve(msg.as_bytes().len() * 2 + 256);
    out.extend_from_slice(b"{\"segments\":[");
    for (i, seg) in msg.segments().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"id\":\"");
        out.extend_from_slice(seg.id().as_bytes());
        out.extend_from_slice(b"\",\"fields\":[");
        // Fields by the boundaries the parser found: no second pass to split them.
        for (n, f) in seg.fields() {
            if n > 1 {
                out.push(b',');
            }
            if i == 0 && n <= 2 {
                // MSH-1 and MSH-2 are literal.
                w.leaf(f.raw(), out);
            } else {
                w.field(f.raw(), out);
            }
        }
        out.extend_from_slice(b"]}");
    }
    out.extend_from_slice(b"]}");
}

/// Eight copies of byte `b`.
const fn splat(b: u8) -> u64 {
    0x0101_0101_0101_0101 * b as u64
}

const LSB: u64 = splat(1);
const MSB: u64 = splat(0x80);

/// The high bit of each zero byte of `x`; exact for the lowest one (a borrow
/// can also mark bytes above it, which callers check again).
#[inline]
fn zeros(x: u64) -> u64 {
    x.wrapping_sub(LSB) & !x & MSB
}

struct Writer {
    classes: Classes,
    d: Delimiters,
    /// The separators, `"` and `\\`, eight times each: for word-at-a-time search.
    words: [u64; 5],
}

impl Writer {
    fn new(d: &Delimiters) -> Self {
        Writer {
            classes: Classes::new(d),
            d: *d,
            words: [
                splat(d.repetition),
                splat(d.component),
                splat(d.subcomponent),
                splat(b'"'),
                splat(b'\\'),
            ],
        }
    }

    /// Marks (high bit per byte) the bytes of `w` the writer must look at:
    /// separators, `"`, `\\`, controls and non-ASCII. The lowest mark is exact.
    #[inline]
    fn marks(&self, word: u64) -> u64 {
        let [rep, comp, sub, quote, backslash] = self.words;
        zeros(word ^ rep)
            | zeros(word ^ comp)
            | zeros(word ^ sub)
            | zeros(word ^ quote)
            | zeros(word ^ backslash)
            | (word.wrapping_sub(splat(0x20)) & !word & MSB)
            | (word & MSB)
    }

    #[inline]
    fn field(&self, raw: &[u8], out: &mut Vec<u8>) {
        let Err(at) = self.text(raw, 0, SEPS, out) else {
            return;
        };
        let rep = self.d.repetition;
        if raw[at] == rep || raw[at..].contains(&rep) {
            out.extend_from_slice(b"{\"repetitions\":[");
            for (i, r) in raw.split(|&b| b == rep).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                if self.text(r, 0, COMP | SUB, out).is_err() {
                    self.components(r, out);
                }
            }
            out.extend_from_slice(b"]}");
        } else {
            self.components(raw, out);
        }
    }

    /// Writes a repetition that holds a separator as an array of components,
    /// in one pass.
    fn components(&self, raw: &[u8], out: &mut Vec<u8>) {
        out.push(b'[');
        let mut at = 0;
        loop {
            if at > 0 {
                out.push(b',');
            }
            let rest = &raw[at..];
            if let Ok(end) = self.text(rest, COMP, SUB, out) {
                at += end;
            } else {
                let end = rest
                    .iter()
                    .position(|&b| b == self.d.component)
                    .unwrap_or(rest.len());
                self.subcomponents(&rest[..end], out);
                at += end;
            }
            if at >= raw.len() {
                break;
            }
            at += 1;
        }
        out.push(b']');
    }

    fn subcomponents(&self, raw: &[u8], out: &mut Vec<u8>) {
        out.push(b'[');
        let mut at = 0;
        loop {
            if at > 0 {
                out.push(b',');
            }
            at += self.text(&raw[at..], SUB, 0, out).unwrap_or_default();
            if at >= raw.len() {
                break;
            }
            at += 1;
        }
        out.push(b']');
    }

    #[inline]
    fn leaf(&self, raw: &[u8], out: &mut Vec<u8>) {
        let _ = self.text(raw, 0, 0, out);
    }

    /// Writes `raw` up to its first byte of class `end` (or all of it) as one
    /// JSON string, or as `{"base64":...}` when it is not UTF-8, and returns
    /// where it stopped. When a byte of class `stop` comes first, writes
    /// nothing and returns its offset as the error. One pass, eight bytes at
    /// a time; runs of plain bytes are copied whole.
    #[inline]
    fn text(&self, raw: &[u8], end: u8, stop: u8, out: &mut Vec<u8>) -> Result<usize, usize> {
        let t = &self.classes.0;
        let mark = out.len();
        out.push(b'"');
        let mut start = 0;
        let mut high = false;
        let mut i = 0;
        loop {
            while let Some(chunk) = raw.get(i..i + 8) {
                let w = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
                let m = self.marks(w);
                if m != 0 {
                    i += (m.trailing_zeros() / 8) as usize;
                    break;
                }
                i += 8;
            }
            let Some(&b) = raw.get(i) else { break };
            let c = t[usize::from(b)];
            if c & stop != 0 {
                out.truncate(mark);
                return Err(i);
            }
            if c & end != 0 {
                break;
            }
            if c & ESC != 0 {
                out.extend_from_slice(&raw[start..i]);
                json_escape(b, out);
                start = i + 1;
            } else if c & HIGH != 0 {
                high = true;
            }
            i += 1;
        }
        let i = i.min(raw.len());
        if high && std::str::from_utf8(&raw[..i]).is_err() {
            out.truncate(mark);
            out.extend_from_slice(b"{\"base64\":\"");
            base64_encode(&raw[..i], out);
            out.extend_from_slice(b"\"}");
            return Ok(i);
        }
        out.extend_from_slice(&raw[start..i]);
        out.push(b'"');
        Ok(i)
    }
}

/// The JSON escape of one byte below 0x20, `"` or `\\`.
#[inline]
fn json_escape(b: u8, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match b {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        _ => {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 15)]);
        }
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub(crate) fn base64_encode(raw: &[u8], out: &mut Vec<u8>) {
    for chunk in raw.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * k)) & 63) as usize]);
            } else {
                out.push(b'=');
            }
        }
    }
}

/// Decodes standard base64 (padding required); `None` when malformed.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let t = text.as_bytes();
    if !t.len().is_multiple_of(4) {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    };
    let mut out = Vec::with_capacity(t.len() / 4 * 3);
    let chunks = t.len() / 4;
    for (i, q) in t.chunks(4).enumerate() {
        let pad = if i + 1 == chunks {
            q.iter().rev().take_while(|&&c| c == b'=').count()
        } else {
            0
        };
        if pad > 2 {
            return None;
        }
        let mut n = 0u32;
        for &c in &q[..4 - pad] {
            n = (n << 6) | val(c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/// Why structural JSON could not be read: where (a JSON path such as
/// `$.segments[3].fields[2]`) and what is wrong.
///
/// The `Display` text is meant for people and may change.
#[derive(Debug)]
pub struct JsonError {
    path: String,
    message: String,
    source: Option<serde_json::Error>,
}

impl JsonError {
    fn at(path: &Loc, message: impl Into<String>) -> Self {
        JsonError {
            path: path.to_string(),
            message: message.into(),
            source: None,
        }
    }

    /// The JSON path of the offending value, such as `$.segments[3].fields[2]`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong, in words.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for JsonError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// A JSON path, built as the reader descends; formatted only on error.
#[derive(Default)]
struct Loc(Vec<Step>);

#[derive(Clone, Copy)]
enum Step {
    Key(&'static str),
    Index(usize),
}

impl Loc {
    fn with<T>(&mut self, step: Step, f: impl FnOnce(&mut Loc) -> T) -> T {
        self.0.push(step);
        let r = f(self);
        self.0.pop();
        r
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("$")?;
        for s in &self.0 {
            match s {
                Step::Key(k) => write!(f, ".{k}")?,
                Step::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

/// Reads a message from structural JSON.
///
/// The result is checked as ER7 too: what comes back parses, and
/// [`Message::to_er7`] gives the ER7 the JSON describes.
pub fn from_json(json: &[u8]) -> Result<Message<'static>, JsonError> {
    let value: Json = serde_json::from_slice(json).map_err(|e| JsonError {
        path: "$".to_string(),
        message: format!("not valid JSON: {e}"),
        source: Some(e),
    })?;
    from_value(&value)
}

/// Reads a message from an already parsed JSON value.
pub fn from_value(value: &Json) -> Result<Message<'static>, JsonError> {
    let er7 = value_to_er7(value)?;
    Message::parse(&er7)
        .map(Message::into_owned)
        .map_err(|e| JsonError {
            path: "$".to_string(),
            message: format!("the message described does not parse as ER7: {e}"),
            source: None,
        })
}

/// The ER7 bytes (CR terminators) a structural JSON value describes, without
/// parsing them.
pub fn value_to_er7(value: &Json) -> Result<Vec<u8>, JsonError> {
    let mut loc = Loc::default();
    let obj = value
        .as_object()
        .ok_or_else(|| JsonError::at(&loc, format!("expected an object, found {}", kind(value))))?;
    if let Some(k) = obj.keys().find(|k| *k != "segments") {
        return Err(JsonError::at(
            &loc,
            format!("unknown key `{k}`: a message has only `segments`"),
        ));
    }
    let segments = obj
        .get("segments")
        .ok_or_else(|| JsonError::at(&loc, "missing `segments`"))?;
    loc.with(Step::Key("segments"), |loc| {
        let segs = segments.as_array().ok_or_else(|| {
            JsonError::at(loc, format!("expected an array, found {}", kind(segments)))
        })?;
        if segs.is_empty() {
            return Err(JsonError::at(loc, "no segments: a message starts with MSH"));
        }
        let mut out = Vec::with_capacity(segs.len() * 64);
        let mut delims = Delimiters::default();
        for (i, seg) in segs.iter().enumerate() {
            loc.with(Step::Index(i), |loc| {
                write_segment(seg, i, &mut delims, loc, &mut out)
            })?;
        }
        Ok(out)
    })
}

/// What kind of JSON value `v` is, for error messages.
pub(crate) fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

fn write_segment(
    seg: &Json,
    index: usize,
    delims: &mut Delimiters,
    loc: &mut Loc,
    out: &mut Vec<u8>,
) -> Result<(), JsonError> {
    let obj = seg.as_object().ok_or_else(|| {
        JsonError::at(
            loc,
            format!("expected a segment object, found {}", kind(seg)),
        )
    })?;
    if let Some(k) = obj.keys().find(|k| *k != "id" && *k != "fields") {
        return Err(JsonError::at(
            loc,
            format!("unknown key `{k}`: a segment has `id` and `fields`"),
        ));
    }
    let id = loc.with(Step::Key("id"), |loc| {
        let id = obj.get("id").ok_or_else(|| JsonError::at(loc, "missing"))?;
        let id = id
            .as_str()
            .ok_or_else(|| JsonError::at(loc, format!("expected a string, found {}", kind(id))))?;
        let b = id.as_bytes();
        let ok = b.len() == 3
            && b[0].is_ascii_uppercase()
            && b[1..]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if !ok {
            return Err(JsonError::at(
                loc,
                format!("`{id}` is not a segment id (three upper-case letters or digits)"),
            ));
        }
        let header = matches!(id, "MSH" | "FHS" | "BHS" | "BTS" | "FTS");
        if index == 0 && id != "MSH" {
            return Err(JsonError::at(
                loc,
                format!("a message starts with MSH, not `{id}`"),
            ));
        }
        if index > 0 && header {
            return Err(JsonError::at(
                loc,
                format!("`{id}` can only be the first segment of a message or a batch"),
            ));
        }
        Ok(id)
    })?;
    let fields = loc.with(Step::Key("fields"), |loc| {
        let f = obj
            .get("fields")
            .ok_or_else(|| JsonError::at(loc, "missing"))?;
        f.as_array()
            .ok_or_else(|| JsonError::at(loc, format!("expected an array, found {}", kind(f))))
    })?;
    out.extend_from_slice(id.as_bytes());
    loc.with(Step::Key("fields"), |loc| {
        if index == 0 {
            *delims = header_delimiters(fields, loc)?;
            out.push(delims.field);
            let enc = fields[1].as_str().unwrap_or_default();
            out.extend_from_slice(enc.as_bytes());
        }
        let skip = if index == 0 { 2 } else { 0 };
        for (n, field) in fields.iter().enumerate().skip(skip) {
            out.push(delims.field);
            loc.with(Step::Index(n), |loc| {
                write_field_json(field, delims, loc, out)
            })?;
        }
        Ok(())
    })?;
    out.push(b'\r');
    Ok(())
}

/// Reads MSH-1 and MSH-2 (as written) from the first two fields of MSH.
fn header_delimiters(fields: &[Json], loc: &mut Loc) -> Result<Delimiters, JsonError> {
    let get = |n: usize, loc: &mut Loc| -> Result<&str, JsonError> {
        loc.with(Step::Index(n), |loc| {
            let v = fields.get(n).ok_or_else(|| {
                JsonError::at(loc, "missing: MSH needs MSH-1 and MSH-2 (the delimiters)")
            })?;
            v.as_str().ok_or_else(|| {
                JsonError::at(
                    loc,
                    format!(
                        "expected a string (MSH-1 and MSH-2 are literal), found {}",
                        kind(v)
                    ),
                )
            })
        })
    };
    let f1 = get(0, loc)?;
    let f2 = get(1, loc)?;
    if f1.len() != 1 {
        return loc.with(Step::Index(0), |loc| {
            Err(JsonError::at(
                loc,
                format!("MSH-1 is `{f1}`: expected one character, the field separator"),
            ))
        });
    }
    let mut header = b"MSH".to_vec();
    header.extend_from_slice(f1.as_bytes());
    header.extend_from_slice(f2.as_bytes());
    let bad = f2
        .bytes()
        .any(|b| b == f1.as_bytes()[0] || b == b'\r' || b == b'\n');
    match crate::er7::Delimiters::from_header(&header) {
        Ok(h) if !bad => Ok(h.delims),
        Ok(_) => loc.with(Step::Index(1), |loc| {
            Err(JsonError::at(
                loc,
                format!("MSH-2 `{f2}` holds the field separator or a line end"),
            ))
        }),
        Err((_, reason)) => loc.with(Step::Index(1), |loc| Err(JsonError::at(loc, reason))),
    }
}

fn write_field_json(
    v: &Json,
    d: &Delimiters,
    loc: &mut Loc,
    out: &mut Vec<u8>,
) -> Result<(), JsonError> {
    if let Json::Object(obj) = v
        && obj.contains_key("repetitions")
    {
        if obj.len() != 1 {
            return Err(JsonError::at(
                loc,
                "an object with `repetitions` has no other keys",
            ));
        }
        return loc.with(Step::Key("repetitions"), |loc| {
            let reps = &obj["repetitions"];
            let reps = reps.as_array().ok_or_else(|| {
                JsonError::at(loc, format!("expected an array, found {}", kind(reps)))
            })?;
            if reps.is_empty() {
                return Err(JsonError::at(
                    loc,
                    "no repetitions: an empty field is the string \"\"",
                ));
            }
            for (i, rep) in reps.iter().enumerate() {
                if i > 0 {
                    out.push(d.repetition);
                }
                loc.with(Step::Index(i), |loc| write_rep_json(rep, d, loc, out))?;
            }
            Ok(())
        });
    }
    write_rep_json(v, d, loc, out)
}

fn write_rep_json(
    v: &Json,
    d: &Delimiters,
    loc: &mut Loc,
    out: &mut Vec<u8>,
) -> Result<(), JsonError> {
    let Json::Array(comps) = v else {
        return write_leaf_json(v, d, loc, out, "a repetition");
    };
    if comps.is_empty() {
        return Err(JsonError::at(
            loc,
            "an empty array: an empty value is the string \"\"",
        ));
    }
    for (i, comp) in comps.iter().enumerate() {
        if i > 0 {
            out.push(d.component);
        }
        loc.with(Step::Index(i), |loc| {
            let Json::Array(subs) = comp else {
                return write_leaf_json(comp, d, loc, out, "a component");
            };
            if subs.is_empty() {
                return Err(JsonError::at(
                    loc,
                    "an empty array: an empty value is the string \"\"",
                ));
            }
            for (j, sub) in subs.iter().enumerate() {
                if j > 0 {
                    out.push(d.subcomponent);
                }
                loc.with(Step::Index(j), |loc| {
                    write_leaf_json(sub, d, loc, out, "a subcomponent")
                })?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

fn write_leaf_json(
    v: &Json,
    d: &Delimiters,
    loc: &mut Loc,
    out: &mut Vec<u8>,
    what: &str,
) -> Result<(), JsonError> {
    let bytes: std::borrow::Cow<'_, [u8]> = match v {
        Json::String(s) => s.as_bytes().into(),
        Json::Object(obj) if obj.contains_key("base64") => {
            if obj.len() != 1 {
                return Err(JsonError::at(
                    loc,
                    "an object with `base64` has no other keys",
                ));
            }
            loc.with(Step::Key("base64"), |loc| {
                let b = &obj["base64"];
                let s = b.as_str().ok_or_else(|| {
                    JsonError::at(loc, format!("expected a string, found {}", kind(b)))
                })?;
                base64_decode(s).map(Into::into).ok_or_else(|| {
                    JsonError::at(loc, "not valid base64 (standard alphabet, padded)")
                })
            })?
        }
        other => {
            let hint = if what == "a subcomponent" {
                "a string or {\"base64\": ...}"
            } else if what == "a component" {
                "a string, {\"base64\": ...} or an array of subcomponents"
            } else {
                "a string, {\"base64\": ...}, an array of components or {\"repetitions\": [...]}"
            };
            return Err(JsonError::at(
                loc,
                format!("{what} must be {hint}, found {}", kind(other)),
            ));
        }
    };
    if let Some(&b) = bytes.iter().find(|&&b| {
        b == d.field
            || b == d.repetition
            || b == d.component
            || b == d.subcomponent
            || b == b'\r'
            || b == b'\n'
    }) {
        return Err(JsonError::at(
            loc,
            format!(
                "the value holds `{}`, a delimiter or line end: values are in wire form, so escape it (\\F\\, \\R\\, \\S\\, \\T\\) or split the value into parts",
                (b as char).escape_default()
            ),
        ));
    }
    out.extend_from_slice(&bytes);
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    fn round(er7: &[u8]) -> String {
        let msg = Message::parse(er7).unwrap();
        let json = to_json(&msg);
        let back = from_json(json.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{json}"));
        assert_eq!(
            String::from_utf8_lossy(&back.to_er7()),
            String::from_utf8_lossy(&msg.to_er7())
        );
        assert_eq!(back.to_er7(), msg.to_er7());
        json
    }

    #[test]
    fn shapes() {
        let j = round(b"MSH|^~\\&#|A\rPID|1||a^b&c~~x|\rZZZ\rZZ1|\rNTE|^^|&|\"\"|\\E\\x\\\r");
        assert_eq!(
            j,
            r#"{"segments":[{"id":"MSH","fields":["|","^~\\&#","A"]},{"id":"PID","fields":["1","",{"repetitions":[["a",["b","c"]],"","x"]},""]},{"id":"ZZZ","fields":[]},{"id":"ZZ1","fields":[""]},{"id":"NTE","fields":[["","",""],[["",""]],"\"\"","\\E\\x\\"]}]}"#
        );
    }

    #[test]
    fn non_utf8_and_controls() {
        let j = round(b"MSH|^~\\&|||||||||||8859/1\rPID|1||M\xfcller^J\xf6rg\x01\tx|\xc3\xa9\r");
        assert!(j.contains(r#"{"base64":"TfxsbGVy"}"#), "{j}");
        assert!(j.contains(r#""é""#), "{j}");
    }

    #[test]
    fn custom_delimiters_and_doubled_escape() {
        round(b"MSH*:+!@*A:B@C+D*!X!\rPID*1\r");
        round(b"MSH|^~\\\\&|SE050|x^y\r");
        round(b"MSH|^~\\&\rOBX|1|ST|||\\T\\ \\zz \\X41\\ \\");
    }

    #[test]
    fn base64_both_ways() {
        for n in 0..20u8 {
            let raw: Vec<u8> = (0..n)
                .map(|i| i.wrapping_mul(37).wrapping_add(200))
                .collect();
            let mut out = Vec::new();
            base64_encode(&raw, &mut out);
            assert_eq!(base64_decode(std::str::from_utf8(&out).unwrap()), Some(raw));
        }
        assert_eq!(base64_decode("abc"), None);
        assert_eq!(base64_decode("a==="), None);
        assert_eq!(base64_decode("ab!="), None);
    }

    fn err(json: &str) -> JsonError {
        from_json(json.as_bytes()).expect_err(json)
    }

    #[test]
    fn bad_input_is_an_error_with_a_path() {
        let ok = r#"{"id":"MSH","fields":["|","^~\\&"]}"#;
        let cases: &[(String, &str, &str)] = &[
            ("{".into(), "$", "not valid JSON"),
            ("[]".into(), "$", "expected an object"),
            ("{}".into(), "$", "missing `segments`"),
            (r#"{"segments":[],"x":1}"#.into(), "$", "unknown key"),
            (r#"{"segments":[]}"#.into(), "$.segments", "no segments"),
            (
                r#"{"segments":{}}"#.into(),
                "$.segments",
                "expected an array",
            ),
            (
                r#"{"segments":[1]}"#.into(),
                "$.segments[0]",
                "segment object",
            ),
            (
                format!(r#"{{"segments":[{ok},{{"id":"pid","fields":[]}}]}}"#),
                "$.segments[1].id",
                "not a segment id",
            ),
            (
                format!(r#"{{"segments":[{ok},{{"id":"PID"}}]}}"#),
                "$.segments[1].fields",
                "missing",
            ),
            (
                format!(r#"{{"segments":[{ok},{{"id":"PID","fields":[1]}}]}}"#),
                "$.segments[1].fields[0]",
                "found a number",
            ),
            (
                format!(r#"{{"segments":[{ok},{{"id":"PID","fields":["a|b"]}}]}}"#),
                "$.segments[1].fields[0]",
                "delimiter",
            ),
            (
                format!(
                    r#"{{"segments":[{ok},{{"id":"PID","fields":["","",["a",["b",null]]]}}]}}"#
                ),
                "$.segments[1].fields[2][1][1]",
                "subcomponent must be",
            ),
            (
                format!(r#"{{"segments":[{ok},{{"id":"PID","fields":[{{"repetitions":[]}}]}}]}}"#),
                "$.segments[1].fields[0].repetitions",
                "no repetitions",
            ),
            (
                format!(
                    r#"{{"segments":[{ok},{{"id":"PID","fields":[{{"repetitions":[{{"repetitions":["a"]}}]}}]}}]}}"#
                ),
                "$.segments[1].fields[0].repetitions[0]",
                "repetition must be",
            ),
            (
                format!(r#"{{"segments":[{ok},{{"id":"PID","fields":[{{"base64":"%%"}}]}}]}}"#),
                "$.segments[1].fields[0].base64",
                "base64",
            ),
            (
                format!(r#"{{"segments":[{ok},{{"id":"PID","fields":[[]]}}]}}"#),
                "$.segments[1].fields[0]",
                "empty array",
            ),
            (
                format!(r#"{{"segments":[{ok},{{"id":"MSH","fields":[]}}]}}"#),
                "$.segments[1].id",
                "first segment",
            ),
            (
                r#"{"segments":[{"id":"PID","fields":[]}]}"#.into(),
                "$.segments[0].id",
                "starts with MSH",
            ),
            (
                r#"{"segments":[{"id":"MSH","fields":["|"]}]}"#.into(),
                "$.segments[0].fields[1]",
                "missing",
            ),
            (
                r#"{"segments":[{"id":"MSH","fields":["||","^~\\&"]}]}"#.into(),
                "$.segments[0].fields[0]",
                "one character",
            ),
            (
                r#"{"segments":[{"id":"MSH","fields":["|","^~"]}]}"#.into(),
                "$.segments[0].fields[1]",
                "MSH-2",
            ),
            (
                r#"{"segments":[{"id":"MSH","fields":["|","^~|&"]}]}"#.into(),
                "$.segments[0].fields[1]",
                "MSH-2",
            ),
            (
                r#"{"segments":[{"id":"MSH","fields":["|",3]}]}"#.into(),
                "$.segments[0].fields[1]",
                "literal",
            ),
            (
                r#"{"segments":[{"id":"MSH","fields":["|","^~\\&"],"x":0}]}"#.into(),
                "$.segments[0]",
                "unknown key",
            ),
        ];
        for (json, path, text) in cases {
            let e = err(json);
            assert_eq!(e.path(), *path, "{json}: {e}");
            assert!(e.to_string().contains(text), "{json}: {e}");
        }
    }

    fn leaf_strategy() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                Just(&b"a"[..]),
                Just(&b" "[..]),
                Just(&b"\\F\\"[..]),
                Just(&b"\\S\\"[..]),
                Just(&b"\\T\\"[..]),
                Just(&b"\\E\\"[..]),
                Just(&b"\\.br\\"[..]),
                Just(&b"\\X0D0A\\"[..]),
                Just(&b"\\"[..]),
                Just(&b"\\zz"[..]),
                Just(&b"\"\""[..]),
                Just(&b"\xc3\xa9"[..]),
                Just(&b"\xe9"[..]),
                Just(&b"\x01\t"[..]),
                Just(&b"#"[..]),
            ],
            0..4,
        )
        .prop_map(|v| v.concat())
    }

    /// A message as nested parts: segments, fields, repetitions, components, subcomponents.
    pub(crate) type Tree = Vec<(String, Vec<Vec<Vec<Vec<Vec<u8>>>>>)>;

    pub(crate) fn tree_strategy() -> impl Strategy<Value = Tree> {
        let comp = proptest::collection::vec(leaf_strategy(), 1..3);
        let rep = proptest::collection::vec(comp, 1..4);
        let field = proptest::collection::vec(rep, 1..3);
        let seg = (
            prop_oneof![Just("PID"), Just("OBX"), Just("ZX1"), Just("NTE")],
            proptest::collection::vec(field, 0..6),
        )
            .prop_map(|(id, f)| (id.to_string(), f));
        proptest::collection::vec(seg, 0..5)
    }

    pub(crate) fn delims_strategy() -> impl Strategy<Value = Delimiters> {
        prop_oneof![
            Just(Delimiters::default()),
            Just(Delimiters {
                truncation: Some(b'#'),
                ..Delimiters::default()
            }),
            Just(Delimiters {
                field: b'*',
                component: b':',
                repetition: b'+',
                escape: b'!',
                subcomponent: b'@',
                truncation: None,
            }),
        ]
    }

    /// Writes the tree as ER7, with `\` in the leaves replaced by the escape
    /// character.
    pub(crate) fn tree_er7(tree: &Tree, d: &Delimiters, msh_rest: usize) -> Vec<u8> {
        let join = |parts: Vec<Vec<u8>>, sep: u8| parts.join(&[sep][..]);
        let leafy = |l: &[u8]| -> Vec<u8> {
            l.iter()
                .map(|&b| if b == b'\\' { d.escape } else { b })
                .collect()
        };
        let mut out = b"MSH".to_vec();
        out.push(d.field);
        out.extend(d.encoding_characters());
        for _ in 0..msh_rest {
            out.push(d.field);
            out.extend_from_slice(b"X");
        }
        out.push(b'\r');
        for (id, fields) in tree {
            out.extend_from_slice(id.as_bytes());
            for f in fields {
                out.push(d.field);
                let reps = f
                    .iter()
                    .map(|r| {
                        let comps = r
                            .iter()
                            .map(|c| join(c.iter().map(|l| leafy(l)).collect(), d.subcomponent))
                            .collect();
                        join(comps, d.component)
                    })
                    .collect();
                out.extend(join(reps, d.repetition));
            }
            out.push(b'\r');
        }
        out
    }

    proptest! {
        #[test]
        fn json_round_trip(tree in tree_strategy(), d in delims_strategy(), rest in 0usize..3) {
            let er7 = tree_er7(&tree, &d, rest);
            let msg = Message::parse(&er7).unwrap();
            let json = to_json(&msg);
            let parsed: Json = serde_json::from_str(&json).unwrap();
            let back = from_value(&parsed).unwrap();
            prop_assert_eq!(back.to_er7(), er7);
        }

        #[test]
        fn arbitrary_json_never_panics(s in "[\\[\\]{}\",:a-z0-9|^~&\\\\ ]{0,80}") {
            let _ = from_json(s.as_bytes());
        }
    }
}

//! The HL7 v2 XML encoding, both ways, losslessly.
//!
//! [`to_xml`] writes a message as an XML document in the standard's
//! element naming:
//!
//! ```xml
//! <ORU_R01 xmlns="urn:hl7-org:v2xml">
//!   <MSH><MSH.1>|</MSH.1><MSH.2>^~\&amp;</MSH.2><MSH.3><HD.1>LAB</HD.1></MSH.3>...</MSH>
//!   <ORU_R01.PATIENT_RESULT><ORU_R01.PATIENT><PID>...</PID></ORU_R01.PATIENT>...
//! </ORU_R01>
//! ```
//!
//! (written on one line). The root element is the message structure
//! (MSH-9.3, or the structure of the MSH-9 event in the version of MSH-12);
//! segments are grouped as that structure says, using
//! [`crate::structure::match_segments`], with group elements named
//! `STRUCTURE.GROUP`. Fields are `SEG.n` elements, one per repetition;
//! components are `TYPE.n` where `TYPE` is the field's data type, and
//! subcomponents `TYPE.n` of the component's data type. Where the type is
//! not known (Z segments, versions that are not bundled, extra components)
//! the name is `varies.n`. OBX-5 takes its type from OBX-2.
//!
//! [`from_xml`] reads it back. [`Message::to_er7`] of the result is byte for
//! byte the [`Message::to_er7`] of the original. How exact bytes survive:
//!
//! * **Values are in wire form.** Escape sequences stay as written (`\T\`,
//!   `\.br\`, malformed ones too), XML-escaped as text (`&amp;`), and MSH.1
//!   and MSH.2 record the delimiters as written (truncation character and
//!   all). This differs from the standard, which decodes delimiter escapes
//!   and writes formatting escapes as `<escape V="..."/>`.
//! * **Empty and absent values.** An empty value is left out, except the
//!   last field of a segment, the last component of a field and the last
//!   subcomponent of a component, which are always written (as `<X.n/>`
//!   when empty) so that trailing separators (`PID|1||`, `^^`) come back.
//!   A repeating field writes every repetition, empty ones as `<X.n/>`.
//! * **Bytes XML cannot carry** (not UTF-8, or control characters that
//!   XML 1.0 forbids) are written as a `base64` attribute on the element,
//!   which is then empty: `<PID.5 base64="TfxsbGVy"/>`.
//! * **Unexpected segments** (ones the structure does not place) stay
//!   where they are, inside the innermost open group.
//!
//! The reader relies only on element nesting and on the number after the
//! last `.` of each name, so names it does not know are fine; text next to
//! child elements must be whitespace.
//!
//! ```
//! use hl7_runtime::er7::Message;
//! use hl7_runtime::xml;
//!
//! let msg = Message::parse(b"MSH|^~\\&|LAB||||||ADT^A01|1|P|2.5.1\rPID|1||123^^^HOSP||O'BRIEN\\T\\SONS\r")?;
//! let doc = xml::to_xml(&msg);
//! assert!(doc.contains("<PID.5><XPN.1><FN.1>O'BRIEN\\T\\SONS</FN.1></XPN.1></PID.5>"));
//! let back = xml::from_xml(&doc)?;
//! assert_eq!(back[0].to_er7(), msg.to_er7());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use hl7_schema::defs::{DataTypeDef, DataTypeKind, StructureNode, Version};
use quick_xml::events::Event;

use crate::er7::{Delimiters, Message, Segment};
use crate::json::{base64_decode, base64_encode};
use crate::structure::{Instance, Item, Node, Structure, match_segments};

/// The element that wraps several messages in one document.
pub const WRAPPER: &str = "HL7Messages";

/// The namespace of the HL7 v2 XML encoding.
pub const NAMESPACE: &str = "urn:hl7-org:v2xml";

// ---------------------------------------------------------------------------
// Definitions
// ---------------------------------------------------------------------------

/// A bundled version, loaded once per process.
fn version(id: &str) -> Option<Arc<Version>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<Arc<Version>>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    let mut map = cache.lock().unwrap_or_else(PoisonError::into_inner);
    map.entry(id.to_string())
        .or_insert_with(|| Version::load(id).ok().map(Arc::new))
        .clone()
}

/// The runtime structure for a standard structure (wildcards left out, choices as optional sequences).
fn convert_nodes(nodes: &[StructureNode], choice: bool) -> Vec<Node> {
    nodes
        .iter()
        .filter_map(|n| {
            let c = n.cardinality();
            let min = if choice { 0 } else { c.min };
            match n {
                StructureNode::Segment(s) => Some(Node::segment(s.id.clone(), min, c.max)),
                StructureNode::Group(g) => Some(Node::group(
                    g.name.clone(),
                    min,
                    c.max,
                    convert_nodes(&g.children, g.choice),
                )),
                _ => None,
            }
        })
        .collect()
}

fn structure_for(version: &Version, id: &str) -> Option<Arc<Structure>> {
    type Cache = HashMap<(String, String), Option<Arc<Structure>>>;
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    let mut map = cache.lock().unwrap_or_else(PoisonError::into_inner);
    map.entry((version.id().to_string(), id.to_string()))
        .or_insert_with(|| {
            version.structure(id).map(|s| {
                Arc::new(Structure::new(
                    s.id.clone(),
                    convert_nodes(&s.children, false),
                ))
            })
        })
        .clone()
}

fn is_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphabetic()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

fn text_of(msg: &Message<'_>, path: &str) -> String {
    path.parse()
        .ok()
        .and_then(|p| msg.get(&p).map(|v| v.text().trim().to_string()))
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// The message as an XML document (declaration, then the message element).
/// Names and groups come from the bundled version named in MSH-12, when
/// there is one.
pub fn to_xml(msg: &Message<'_>) -> String {
    let mut out = String::with_capacity(msg.as_bytes().len() * 3);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    write_xml(msg, &mut out);
    out.push('\n');
    out
}

/// Appends the message element (no declaration) to `out`, with names and
/// groups from the bundled version named in MSH-12, when there is one.
pub fn write_xml(msg: &Message<'_>, out: &mut String) {
    let v = version(&text_of(msg, "MSH-12.1"));
    write_xml_with(msg, v.as_deref(), out);
}

/// Appends the message element to `out`, with names and groups from
/// `version` (or none: then the root is named from MSH-9, there are no
/// groups and components are `varies.n`).
pub fn write_xml_with(msg: &Message<'_>, version: Option<&Version>, out: &mut String) {
    let (code, event, declared) = (
        text_of(msg, "MSH-9.1"),
        text_of(msg, "MSH-9.2"),
        text_of(msg, "MSH-9.3"),
    );
    let structure = version.and_then(|v| {
        let id = if v.structure(&declared).is_some() {
            declared.clone()
        } else {
            v.structure_for_event(&code, &event)?.id.clone()
        };
        structure_for(v, &id)
    });
    let root = match &structure {
        Some(s) => s.name.clone(),
        None if is_name(&declared) => declared,
        None if is_name(&code) && is_name(&event) => format!("{code}_{event}"),
        None => "HL7Message".to_string(),
    };
    let w = Writer {
        msg,
        version,
        delims: *msg.delimiters(),
    };
    let _ = write!(out, "<{root} xmlns=\"{NAMESPACE}\">");
    let mut done = false;
    if let Some(s) = &structure {
        let m = match_segments(s, msg.segments().map(|seg| seg.id()));
        let mut order = Vec::with_capacity(msg.segment_count());
        positions(&m.root, &mut order);
        // The matcher keeps every segment, in order; check rather than trust.
        if order.iter().copied().eq(0..msg.segment_count()) {
            let mark = out.len();
            done = w.instance(&m.root, &s.children, &root, out);
            if !done {
                out.truncate(mark);
            }
        }
    }
    if !done {
        for seg in msg.segments() {
            w.segment(&seg, out);
        }
    }
    let _ = write!(out, "</{root}>");
}

fn positions(inst: &Instance, order: &mut Vec<usize>) {
    for item in &inst.items {
        match item {
            Item::Segment { position, .. } | Item::Unexpected { position } => order.push(*position),
            Item::Group { instance, .. } => positions(instance, order),
        }
    }
}

struct Writer<'a, 'm> {
    msg: &'a Message<'m>,
    version: Option<&'a Version>,
    delims: Delimiters,
}

/// What a part holds one level down.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Component,
    Subcomponent,
    Leaf,
}

impl Writer<'_, '_> {
    /// Writes a group instance's items; false when the tree does not fit the structure.
    fn instance(&self, inst: &Instance, nodes: &[Node], root: &str, out: &mut String) -> bool {
        for item in &inst.items {
            match item {
                Item::Segment { position, .. } | Item::Unexpected { position } => {
                    let Some(seg) = self.msg.segment(*position) else {
                        return false;
                    };
                    self.segment(&seg, out);
                }
                Item::Group {
                    child, instance, ..
                } => {
                    let Some(Node::Group(g)) = nodes.get(*child) else {
                        return false;
                    };
                    let _ = write!(out, "<{root}.{}>", g.name);
                    if !self.instance(instance, &g.children, root, out) {
                        return false;
                    }
                    let _ = write!(out, "</{root}.{}>", g.name);
                }
            }
        }
        true
    }

    fn datatype(&self, code: Option<&str>) -> Option<&DataTypeDef> {
        self.version?.datatype(code?)
    }

    fn segment(&self, seg: &Segment<'_>, out: &mut String) {
        let id = seg.id();
        let count = seg.field_count();
        if count == 0 {
            let _ = write!(out, "<{id}/>");
            return;
        }
        let _ = write!(out, "<{id}>");
        let def = self.version.and_then(|v| v.segment(id));
        let header = seg.position() == 0;
        let obx_type = (id == "OBX")
            .then(|| {
                seg.field(2)
                    .map(|v| String::from_utf8_lossy(v.raw()).trim().to_string())
            })
            .flatten();
        let mut name = String::new();
        for (n, field) in seg.fields() {
            name.clear();
            let _ = write!(name, "{id}.{n}");
            let raw = field.raw();
            if header && n <= 2 {
                leaf(&name, raw, out);
                continue;
            }
            let mut ty = def
                .and_then(|d| d.field(n))
                .and_then(|f| f.datatype.as_deref());
            if id == "OBX" && n == 5 {
                ty = obx_type.as_deref().or(ty);
            }
            let ty = self.datatype(ty);
            if raw.contains(&self.delims.repetition) {
                for rep in raw.split(|&b| b == self.delims.repetition) {
                    self.part(&name, rep, ty, Level::Component, out);
                }
            } else if !raw.is_empty() || n == count {
                self.part(&name, raw, ty, Level::Component, out);
            }
        }
        let _ = write!(out, "</{id}>");
    }

    /// Writes element `name` holding `raw`, whose parts one level down are `children`.
    fn part(
        &self,
        name: &str,
        raw: &[u8],
        ty: Option<&DataTypeDef>,
        children: Level,
        out: &mut String,
    ) {
        let d = &self.delims;
        let (sep, split) = match children {
            Level::Component => (
                d.component,
                raw.iter().any(|&b| b == d.component || b == d.subcomponent),
            ),
            Level::Subcomponent => (d.subcomponent, raw.contains(&d.subcomponent)),
            Level::Leaf => (0, false),
        };
        let composite = ty.is_some_and(|t| t.kind == DataTypeKind::Composite);
        if raw.is_empty() || children == Level::Leaf || (!composite && !split) {
            leaf(name, raw, out);
            return;
        }
        let code = ty.map_or("varies", |t| t.code.as_str());
        let _ = write!(out, "<{name}>");
        let parts: Vec<&[u8]> = raw.split(|&b| b == sep).collect();
        let last = parts.len();
        let mut child = String::new();
        for (i, p) in parts.into_iter().enumerate() {
            if p.is_empty() && i + 1 != last {
                continue;
            }
            child.clear();
            let _ = write!(child, "{code}.{}", i + 1);
            let cty = self.datatype(
                ty.and_then(|t| t.component(i + 1))
                    .and_then(|c| c.datatype.as_deref()),
            );
            let next = if children == Level::Component {
                Level::Subcomponent
            } else {
                Level::Leaf
            };
            self.part(&child, p, cty, next, out);
        }
        let _ = write!(out, "</{name}>");
    }
}

/// True for characters XML 1.0 allows in text.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Writes `<name>text</name>`, `<name/>`, or `<name base64="..."/>`.
fn leaf(name: &str, raw: &[u8], out: &mut String) {
    if raw.is_empty() {
        let _ = write!(out, "<{name}/>");
        return;
    }
    match std::str::from_utf8(raw) {
        Ok(text) if text.chars().all(xml_char) => {
            let _ = write!(out, "<{name}>");
            let mut start = 0;
            for (i, b) in text.bytes().enumerate() {
                let esc = match b {
                    b'&' => "&amp;",
                    b'<' => "&lt;",
                    b'>' => "&gt;",
                    _ => continue,
                };
                out.push_str(&text[start..i]);
                out.push_str(esc);
                start = i + 1;
            }
            out.push_str(&text[start..]);
            let _ = write!(out, "</{name}>");
        }
        _ => {
            let mut b64 = Vec::new();
            base64_encode(raw, &mut b64);
            let _ = write!(
                out,
                "<{name} base64=\"{}\"/>",
                String::from_utf8_lossy(&b64)
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/// Why an XML document could not be read: what is wrong and, when known,
/// the byte offset in the document.
///
/// The `Display` text is meant for people and may change.
#[derive(Debug)]
pub struct XmlError {
    message: String,
    offset: Option<usize>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl XmlError {
    fn new(offset: Option<usize>, message: impl Into<String>) -> Self {
        XmlError {
            message: message.into(),
            offset,
            source: None,
        }
    }

    /// What is wrong, in words.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Byte offset in the document, when known.
    pub fn offset(&self) -> Option<usize> {
        self.offset
    }
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset {
            Some(o) => write!(f, "byte {o}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for XmlError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// An element as read: name, where it starts, its text, `base64` attribute and children.
#[derive(Default)]
struct Element {
    name: String,
    offset: usize,
    text: String,
    base64: Option<String>,
    children: Vec<Element>,
}

/// Deeper than any message needs (root, groups, segment, field, component, subcomponent).
const MAX_DEPTH: usize = 40;

fn read_tree(doc: &str) -> Result<Element, XmlError> {
    let doc = doc.strip_prefix('\u{feff}').unwrap_or(doc);
    let mut reader = quick_xml::Reader::from_str(doc);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let at = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader.read_event().map_err(|e| XmlError {
            message: format!("not well-formed XML: {e}"),
            offset: Some(usize::try_from(reader.error_position()).unwrap_or(at)),
            source: Some(Box::new(e)),
        })?;
        match event {
            Event::Start(e) => {
                let el = open(&e, at, &stack, root.as_ref())?;
                stack.push(el);
            }
            Event::Empty(e) => {
                let el = open(&e, at, &stack, root.as_ref())?;
                stack.push(el);
                close(&mut stack, &mut root);
            }
            Event::End(_) => close(&mut stack, &mut root),
            Event::Text(t) => {
                let text = t.xml10_content();
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(XmlError::new(Some(at), "text outside the root element")),
                }
            }
            Event::CData(t) => match stack.last_mut() {
                Some(el) => el.text.push_str(&t.into_inner()),
                None => return Err(XmlError::new(Some(at), "text outside the root element")),
            },
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => match &*r {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => {
                            return Err(XmlError::new(
                                Some(at),
                                format!("unknown entity `&{other};`"),
                            ));
                        }
                    },
                    Err(e) => {
                        return Err(XmlError::new(
                            Some(at),
                            format!("bad character reference: {e}"),
                        ));
                    }
                };
                match stack.last_mut() {
                    Some(el) => el.text.push(c),
                    None => return Err(XmlError::new(Some(at), "text outside the root element")),
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(XmlError::new(
            Some(doc.len()),
            format!("the document ends inside <{}>", open.name),
        ));
    }
    root.ok_or_else(|| XmlError::new(Some(0), "no root element"))
}

fn open(
    e: &quick_xml::events::BytesStart<'_>,
    at: usize,
    stack: &[Element],
    root: Option<&Element>,
) -> Result<Element, XmlError> {
    if root.is_some() {
        return Err(XmlError::new(Some(at), "a second root element"));
    }
    if stack.len() >= MAX_DEPTH {
        return Err(XmlError::new(Some(at), "elements nested too deeply"));
    }
    let name = AsRef::<str>::as_ref(&e.local_name()).to_string();
    let mut el = Element {
        name,
        offset: at,
        ..Element::default()
    };
    for attr in e.attributes() {
        let attr = attr.map_err(|err| XmlError::new(Some(at), format!("bad attribute: {err}")))?;
        if AsRef::<str>::as_ref(&attr.key.local_name()) == "base64" {
            let v = attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| XmlError::new(Some(at), format!("bad attribute: {err}")))?;
            el.base64 = Some(v.into_owned());
        }
    }
    Ok(el)
}

fn close(stack: &mut Vec<Element>, root: &mut Option<Element>) {
    if let Some(el) = stack.pop() {
        match stack.last_mut() {
            Some(parent) => parent.children.push(el),
            None => *root = Some(el),
        }
    }
}

/// Reads a document: one message element, or several inside an
/// `<HL7Messages>` wrapper ([`WRAPPER`]). Each message is checked as ER7:
/// [`Message::to_er7`] gives the bytes the XML describes.
pub fn from_xml(doc: &str) -> Result<Vec<Message<'static>>, XmlError> {
    let root = read_tree(doc)?;
    if root.name == WRAPPER {
        check_no_text(&root)?;
        root.children.iter().map(message).collect()
    } else {
        Ok(vec![message(&root)?])
    }
}

/// The ER7 bytes (CR terminators) of one message element's document.
pub fn xml_to_er7(doc: &str) -> Result<Vec<u8>, XmlError> {
    let root = read_tree(doc)?;
    message_er7(&root)
}

fn message(el: &Element) -> Result<Message<'static>, XmlError> {
    let er7 = message_er7(el)?;
    Message::parse(&er7).map(Message::into_owned).map_err(|e| {
        XmlError::new(
            Some(el.offset),
            format!("the message described does not parse as ER7: {e}"),
        )
    })
}

fn check_no_text(el: &Element) -> Result<(), XmlError> {
    if el.text.trim().is_empty() {
        Ok(())
    } else {
        Err(XmlError::new(
            Some(el.offset),
            format!("<{}> holds text next to elements", el.name),
        ))
    }
}

fn message_er7(root: &Element) -> Result<Vec<u8>, XmlError> {
    let mut segs = Vec::new();
    collect_segments(root, &mut segs)?;
    let Some(first) = segs.first() else {
        return Err(XmlError::new(
            Some(root.offset),
            format!("<{}> holds no segments", root.name),
        ));
    };
    if first.name != "MSH" {
        return Err(XmlError::new(
            Some(first.offset),
            format!("a message starts with MSH, not <{}>", first.name),
        ));
    }
    let mut out = Vec::with_capacity(segs.len() * 64);
    let mut delims = Delimiters::default();
    for (i, seg) in segs.iter().enumerate() {
        write_segment(seg, i, &mut delims, &mut out)?;
    }
    Ok(out)
}

/// Segments are elements without a `.` in their name; groups have one.
fn collect_segments<'e>(el: &'e Element, out: &mut Vec<&'e Element>) -> Result<(), XmlError> {
    check_no_text(el)?;
    for child in &el.children {
        if child.name.contains('.') {
            collect_segments(child, out)?;
        } else {
            out.push(child);
        }
    }
    Ok(())
}

/// The largest field or component number read: far above any definition,
/// small enough that a short document cannot ask for a huge message.
const MAX_NUMBER: usize = 9999;

/// The number after the last `.` of a name: `PID.5` is 5, `XPN.1` is 1.
fn number(el: &Element) -> Result<usize, XmlError> {
    el.name
        .rsplit_once('.')
        .and_then(|(_, n)| n.parse::<usize>().ok())
        .filter(|n| (1..=MAX_NUMBER).contains(n))
        .ok_or_else(|| {
            XmlError::new(
                Some(el.offset),
                format!(
                    "<{}> is not a numbered element (such as PID.5 or XPN.1)",
                    el.name
                ),
            )
        })
}

fn write_segment(
    el: &Element,
    index: usize,
    delims: &mut Delimiters,
    out: &mut Vec<u8>,
) -> Result<(), XmlError> {
    let id = el.name.as_str();
    let b = id.as_bytes();
    let ok = b.len() == 3
        && b[0].is_ascii_uppercase()
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if !ok {
        return Err(XmlError::new(
            Some(el.offset),
            format!(
                "<{id}> is neither a segment (three upper-case letters or digits) nor a group (a name with a `.`)"
            ),
        ));
    }
    if index > 0 && matches!(id, "MSH" | "FHS" | "BHS" | "BTS" | "FTS") {
        return Err(XmlError::new(
            Some(el.offset),
            format!("<{id}> can only be the first segment of a message or a batch"),
        ));
    }
    check_no_text(el)?;
    if el.base64.is_some() {
        return Err(XmlError::new(
            Some(el.offset),
            format!("<{id}> cannot have a base64 attribute"),
        ));
    }
    // Field elements in order: the same number again is another repetition.
    let mut fields: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut last = 0;
    out.extend_from_slice(b);
    let mut children = el.children.iter();
    if index == 0 {
        let (f1, f2) = (children.next(), children.next());
        let (Some(f1), Some(f2)) = (f1, f2) else {
            return Err(XmlError::new(
                Some(el.offset),
                "MSH needs MSH.1 and MSH.2 (the delimiters) first",
            ));
        };
        if number(f1)? != 1
            || number(f2)? != 2
            || !f1.children.is_empty()
            || !f2.children.is_empty()
        {
            return Err(XmlError::new(
                Some(f1.offset),
                "MSH needs MSH.1 and MSH.2 (the delimiters, as text) first",
            ));
        }
        let t1 = literal(f1)?;
        let t2 = literal(f2)?;
        if t1.len() != 1 {
            return Err(XmlError::new(
                Some(f1.offset),
                "MSH.1 must be one character, the field separator",
            ));
        }
        let mut header = b"MSH".to_vec();
        header.extend_from_slice(&t1);
        header.extend_from_slice(&t2);
        if t2.iter().any(|&c| c == t1[0] || c == b'\r' || c == b'\n') {
            return Err(XmlError::new(
                Some(f2.offset),
                "MSH.2 holds the field separator or a line end",
            ));
        }
        *delims = Delimiters::from_header(&header)
            .map_err(|(_, reason)| XmlError::new(Some(f2.offset), reason))?
            .delims;
        out.extend_from_slice(&header[3..]);
        last = 2;
    }
    for child in children {
        let n = number(child)?;
        if n < last || (n == last && index == 0 && n <= 2) {
            return Err(XmlError::new(
                Some(child.offset),
                format!(
                    "<{}> is out of order: fields come in ascending order",
                    child.name
                ),
            ));
        }
        let base = if index == 0 { 3 } else { 1 };
        while fields.len() + base <= n {
            fields.push(Vec::new());
        }
        let mut rep = Vec::new();
        value(child, Level::Component, delims, &mut rep)?;
        fields[n - base].push(rep);
        last = n;
    }
    for reps in fields {
        out.push(delims.field);
        for (i, rep) in reps.iter().enumerate() {
            if i > 0 {
                out.push(delims.repetition);
            }
            out.extend_from_slice(rep);
        }
    }
    out.push(b'\r');
    Ok(())
}

/// MSH.1 or MSH.2: text (or base64) taken as is.
fn literal(el: &Element) -> Result<Vec<u8>, XmlError> {
    match &el.base64 {
        Some(b) => base64_decode(b.trim()).ok_or_else(|| {
            XmlError::new(
                Some(el.offset),
                format!("<{}>: the base64 attribute is not valid base64", el.name),
            )
        }),
        None => Ok(el.text.as_bytes().to_vec()),
    }
}

/// Appends the wire form of element `el`, whose children are `children`.
fn value(el: &Element, children: Level, d: &Delimiters, out: &mut Vec<u8>) -> Result<(), XmlError> {
    if el.children.is_empty() {
        let bytes = literal(el)?;
        if el.base64.is_some() && !el.text.is_empty() {
            return Err(XmlError::new(
                Some(el.offset),
                format!("<{}> has both text and a base64 attribute", el.name),
            ));
        }
        if let Some(&b) = bytes.iter().find(|&&b| {
            b == d.field
                || b == d.repetition
                || b == d.component
                || b == d.subcomponent
                || b == b'\r'
                || b == b'\n'
        }) {
            return Err(XmlError::new(
                Some(el.offset),
                format!(
                    "<{}> holds `{}`, a delimiter or line end: values are in wire form, so escape it (\\F\\, \\R\\, \\S\\, \\T\\) or use child elements",
                    el.name,
                    (b as char).escape_default()
                ),
            ));
        }
        out.extend_from_slice(&bytes);
        return Ok(());
    }
    check_no_text(el)?;
    if el.base64.is_some() {
        return Err(XmlError::new(
            Some(el.offset),
            format!(
                "<{}> has both child elements and a base64 attribute",
                el.name
            ),
        ));
    }
    let (sep, next) = match children {
        Level::Component => (d.component, Level::Subcomponent),
        Level::Subcomponent => (d.subcomponent, Level::Leaf),
        Level::Leaf => {
            return Err(XmlError::new(
                Some(el.offset),
                format!("<{}> is below a subcomponent: too deep", el.name),
            ));
        }
    };
    let mut at = 0;
    for child in &el.children {
        let n = number(child)?;
        if n <= at {
            return Err(XmlError::new(
                Some(child.offset),
                format!(
                    "<{}> is out of order or repeated: parts come in ascending order",
                    child.name
                ),
            ));
        }
        // Part `n` follows part `at` (or starts the value): fill the gap.
        let seps = if at == 0 { n - 1 } else { n - at };
        out.extend(std::iter::repeat_n(sep, seps));
        value(child, next, d, out)?;
        at = n;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::tests::{delims_strategy, tree_er7, tree_strategy};
    use proptest::prelude::*;

    fn round(er7: &[u8]) -> String {
        let msg = Message::parse(er7).unwrap();
        let doc = to_xml(&msg);
        let back = from_xml(&doc).unwrap_or_else(|e| panic!("{e}\n{doc}"));
        assert_eq!(back.len(), 1);
        assert_eq!(
            String::from_utf8_lossy(&back[0].to_er7()),
            String::from_utf8_lossy(&msg.to_er7()),
            "{doc}"
        );
        doc
    }

    #[test]
    fn standard_names_and_groups() {
        let doc = round(
            b"MSH|^~\\&|LAB||EHR||20260101||ORU^R01^ORU_R01|1|P|2.5.1\rPID|1||123^^^HOSP^MR||DOE^JOHN\rOBR|1||X\rOBX|1|CWE|718-7^Hb^LN||1^x^LN||\rOBX|2|NM|||13.2\rZZZ|a\r",
        );
        assert!(doc.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ORU_R01 xmlns=\"urn:hl7-org:v2xml\"><MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2><MSH.3><HD.1>LAB</HD.1></MSH.3>"), "{doc}");
        assert!(
            doc.contains("<ORU_R01.PATIENT_RESULT><ORU_R01.PATIENT><PID>"),
            "{doc}"
        );
        assert!(
            doc.contains(
                "<PID.3><CX.1>123</CX.1><CX.4><HD.1>HOSP</HD.1></CX.4><CX.5>MR</CX.5></PID.3>"
            ),
            "{doc}"
        );
        assert!(doc.contains("<ORU_R01.ORDER_OBSERVATION><OBR>"), "{doc}");
        assert!(
            doc.contains(
                "<OBX.5><CWE.1>1</CWE.1><CWE.2>x</CWE.2><CWE.3>LN</CWE.3></OBX.5><OBX.7/></OBX>"
            ),
            "{doc}"
        );
        assert!(doc.contains("<ZZZ><ZZZ.1>a</ZZZ.1></ZZZ></ORU_R01.OBSERVATION></ORU_R01.ORDER_OBSERVATION></ORU_R01.PATIENT_RESULT></ORU_R01>"), "{doc}");
    }

    #[test]
    fn empty_absent_escapes_bytes() {
        round(b"MSH|^~\\&#|A\rPID|1||a^b&c~~x|\rZZZ\rZZ1|\rNTE|^^|&|\"\"|\\E\\x\\ <&>\r");
        round(b"MSH|^~\\&|||||||||||8859/1\rPID|1||M\xfcller^J\xf6rg\x01\tx|\xc3\xa9|  \r");
        round(b"MSH*:+!@*A:B@C+D*!X!\rPID*1\r");
        round(b"MSH|^~\\\\&|SE050|x^y\r");
        round(b"MSH|^~\\&\r");
        round(b"MSH|^~\\&|||||||ADT^A01|1|P|2.9\rEVN\rPID|||~^~&\r");
    }

    #[test]
    fn many_messages_in_a_wrapper() {
        let a = Message::parse(b"MSH|^~\\&|A\r").unwrap();
        let b = Message::parse(b"MSH|^~\\&|B\rPID|1\r").unwrap();
        let mut doc = format!("<{WRAPPER}>\n");
        write_xml(&a, &mut doc);
        doc.push('\n');
        write_xml(&b, &mut doc);
        let _ = writeln!(doc, "\n</{WRAPPER}>");
        let back = from_xml(&doc).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[1].to_er7(), b.to_er7());
    }

    #[test]
    fn bad_input_is_an_error() {
        let cases: &[(&str, &str)] = &[
            ("", "no root"),
            ("<a>", "ends inside"),
            ("<a></b>", "well-formed"),
            ("<a/><b/>", "second root"),
            ("<X></X>", "no segments"),
            ("<X><PID/></X>", "starts with MSH"),
            ("<X><MSH/></X>", "MSH.1 and MSH.2"),
            (
                "<X><MSH><MSH.1>||</MSH.1><MSH.2>^~\\&amp;</MSH.2></MSH></X>",
                "one character",
            ),
            (
                "<X><MSH><MSH.1>|</MSH.1><MSH.2>^~</MSH.2></MSH></X>",
                "MSH-2",
            ),
            (
                "<X><MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2><MSH.3>a|b</MSH.3></MSH></X>",
                "delimiter",
            ),
            (
                "<X><MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2><MSH.4/><MSH.3/></MSH></X>",
                "out of order",
            ),
            (
                "<X><MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2><MSH.x/></MSH></X>",
                "numbered",
            ),
            (
                "<X><MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2></MSH><pid/></X>",
                "neither a segment",
            ),
            (
                "<X><MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2></MSH><PID>t<PID.1/></PID></X>",
                "text next to",
            ),
            (
                "<X><MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2></MSH><PID><PID.1><A.1><B.1><C.1/></B.1></A.1></PID.1></PID></X>",
                "too deep",
            ),
            (
                "<X><MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2></MSH><PID><PID.1 base64=\"!\"/></PID></X>",
                "base64",
            ),
            (
                "<X><MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2></MSH><PID><PID.1>&foo;</PID.1></PID></X>",
                "entity",
            ),
            (
                "<X><MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2></MSH><PID><PID.1>&#0;</PID.1></PID></X>",
                "reference",
            ),
            (
                "<X><MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2></MSH><PID><PID.1><A.2/><A.2/></PID.1></PID></X>",
                "out of order",
            ),
            (
                "<X><MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2></MSH><MSH><MSH.1>|</MSH.1></MSH></X>",
                "first segment",
            ),
            (
                "<X><MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2></MSH><PID><PID.1>a&#13;b</PID.1></PID></X>",
                "line end",
            ),
        ];
        for (doc, text) in cases {
            let e = from_xml(doc).expect_err(doc);
            assert!(e.to_string().contains(text), "{doc}: {e}");
        }
        let deep = "<a>".repeat(100_000);
        assert!(from_xml(&deep).is_err());
    }

    proptest! {
        #[test]
        fn xml_round_trip(tree in tree_strategy(), d in delims_strategy(), rest in 0usize..3, v in prop_oneof![Just("2.5.1"), Just("2.3"), Just("9")]) {
            let mut er7 = tree_er7(&tree, &d, rest);
            // A version to name things by, sometimes.
            if rest == 2 {
                let mut msh = b"MSH".to_vec();
                msh.push(d.field);
                msh.extend(d.encoding_characters());
                for f in ["", "", "", "", "", "", "ORU:R01", "1", "P", v] {
                    msh.push(d.field);
                    msh.extend(f.bytes().map(|b| if b == b':' { d.component } else { b }));
                }
                let end = er7.iter().position(|&b| b == b'\r').unwrap();
                er7.splice(..end, msh);
            }
            let msg = Message::parse(&er7).unwrap();
            let doc = to_xml(&msg);
            let back = from_xml(&doc).unwrap();
            prop_assert_eq!(back[0].to_er7(), er7);
        }

        #[test]
        fn arbitrary_xml_never_panics(s in "[<>/a-zA-Z0-9.&;#|^ =\"]{0,80}") {
            let _ = from_xml(&s);
        }
    }
}

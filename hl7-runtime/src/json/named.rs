//! Named JSON: a message in the names a profile gives it, without
//! generating code.
//!
//! The keys and shapes are exactly those of the typed messages
//! `hl7-codegen` generates from the same profile with serde on
//! (`Builder::serde`): snake_case names of segments, groups, fields and
//! components (`patient_name`, `family_name`), groups nested, required
//! single members always present, optional ones left out when empty,
//! repeating ones as arrays; values are strings of their wire text. So
//! `hl7 convert --to json --profile site.toml` prints what
//! `serde_json::to_string(&typed_message)` would.
//!
//! ```
//! use hl7_runtime::er7::Message;
//! use hl7_runtime::json::named::NamedJson;
//!
//! let profile = hl7_schema::profile::structure_profile("2.5.1", "ADT_A09")?;
//! let named = NamedJson::new(&profile);
//! let msg = Message::parse(b"MSH|^~\\&|A||B||20260101||ADT^A09^ADT_A09|1|P|2.5.1\rEVN||20260101\rPID|1||42^^^H^MR||DOE^JANE\rPV1|1|I\r")?;
//! let json = named.to_value(&msg)?;
//! assert_eq!(json["pid"]["patient_name"][0]["family_name"]["surname"], "DOE");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Content the profile's types do not model (segments the structure does
//! not expect, undeclared fields, repetitions past the first of a single
//! field) is not in named JSON: the structural JSON of
//! [`json`](crate::json) keeps every byte.

use std::fmt;

use hl7_schema::naming::{
    Shape, Unique, data_type, element_names, element_shape, field_key, shape, snake, usage_code,
};
use std::collections::HashMap;

use hl7_schema::profile::{ElementDef, MessageDef, Profile, StructureNode};
use serde_json::{Map, Value as Json};

use crate::er7::{Level, Message, Segment, Value};
use crate::structure::{Instance, Item, Node, Structure, match_segments};

/// A profile, prepared for named JSON.
#[derive(Debug)]
pub struct NamedJson<'p> {
    profile: &'p Profile,
    /// Per profile message: its typed structure (modeled members only, as
    /// the typed message matches).
    structures: Vec<Structure>,
    /// The modeled fields of each segment flavor, named once.
    fields: HashMap<&'p str, Vec<Named<'p>>>,
    /// The modeled components of each composite data-type flavor.
    components: HashMap<&'p str, Vec<Named<'p>>>,
}

/// A modeled element of a segment or data type: its JSON key, definition
/// and shape, as the typed struct has it.
#[derive(Debug)]
struct Named<'p> {
    key: String,
    def: &'p ElementDef,
    shape: Shape,
}

fn named(elems: &[ElementDef], component: bool) -> Vec<Named<'_>> {
    element_names(elems, component)
        .into_iter()
        .filter_map(|(name, def)| {
            let (_, shape, _, _) = element_shape(def, component)?;
            Some(Named {
                key: field_key(&name),
                def,
                shape,
            })
        })
        .collect()
}

/// Writing named JSON failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedJsonError {
    message: String,
}

impl fmt::Display for NamedJsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for NamedJsonError {}

fn err(message: String) -> NamedJsonError {
    NamedJsonError { message }
}

/// The nodes a typed struct models, with their index among `nodes`, shape,
/// min and max (the typed struct's members, in order).
fn modeled(
    nodes: &[StructureNode],
) -> impl Iterator<Item = (usize, &StructureNode, Shape, u32, Option<u32>)> + '_ {
    nodes.iter().enumerate().filter_map(|(i, n)| {
        let (shape, min, max) = shape(usage_code(n.usage())?, n.cardinality())?;
        Some((i, n, shape, min, max))
    })
}

/// The modeled nodes of a message tree, as the typed structure has them.
fn typed_nodes(nodes: &[StructureNode]) -> Vec<(usize, Node)> {
    let mut out = Vec::new();
    for (i, n, _, min, max) in modeled(nodes) {
        let node = match n {
            StructureNode::Segment(s) => Node::segment(s.name.clone(), min, max),
            StructureNode::Group(g) => Node::group(
                g.name.clone(),
                min,
                max,
                typed_nodes(&g.children)
                    .into_iter()
                    .map(|(_, n)| n)
                    .collect(),
            ),
        };
        out.push((i, node));
    }
    out
}

impl<'p> NamedJson<'p> {
    /// Prepares `profile`'s messages.
    pub fn new(profile: &'p Profile) -> Self {
        let structures = profile
            .messages
            .iter()
            .map(|m| {
                Structure::new(
                    m.structure.clone(),
                    typed_nodes(&m.children)
                        .into_iter()
                        .map(|(_, n)| n)
                        .collect(),
                )
            })
            .collect();
        NamedJson {
            profile,
            structures,
            fields: (profile.segments.iter())
                .map(|(id, s)| (id.as_str(), named(&s.fields, false)))
                .collect(),
            components: (profile.datatypes.iter())
                .map(|(id, d)| (id.as_str(), named(&d.components, true)))
                .collect(),
        }
    }

    /// The profile message for `msg`: by MSH-9 type and event, else by the
    /// structure in MSH-9.3.
    fn message_index(&self, msg: &Message<'_>) -> Option<usize> {
        let get = |p: &str| {
            p.parse()
                .ok()
                .and_then(|path| msg.get(&path))
                .map(|v| v.text().into_owned())
                .unwrap_or_default()
        };
        let key = format!("{}^{}", get("MSH-9.1"), get("MSH-9.2"));
        let structure = get("MSH-9.3");
        let messages = &self.profile.messages;
        messages
            .iter()
            .position(|m| m.message_type() == key)
            .or_else(|| {
                (!structure.is_empty())
                    .then(|| messages.iter().position(|m| m.structure == structure))
                    .flatten()
            })
            .or_else(|| (messages.len() == 1).then_some(0))
    }

    /// The message as named JSON.
    ///
    /// # Errors
    ///
    /// When the profile has no message for MSH-9, or a segment or group
    /// the profile requires is missing (the typed message could not hold
    /// it either).
    pub fn to_value(&self, msg: &Message<'_>) -> Result<Json, NamedJsonError> {
        let i = self.message_index(msg).ok_or_else(|| {
            err("the profile has no message for this MSH-9 type and event".to_owned())
        })?;
        let def: &MessageDef = &self.profile.messages[i];
        let matched = match_segments(&self.structures[i], msg.segments().map(|s| s.id()));
        self.members(msg, &def.children, &matched.root, &def.structure)
    }

    fn members(
        &self,
        msg: &Message<'_>,
        nodes: &[StructureNode],
        instance: &Instance,
        within: &str,
    ) -> Result<Json, NamedJsonError> {
        let mut names = Unique::default();
        let mut out = Map::new();
        // Child `child` of the typed structure is the `child`-th modeled node.
        for (child, (_, node, shape, _, _)) in modeled(nodes).enumerate() {
            let (hl7, name) = match node {
                StructureNode::Segment(s) => (s.name.as_str(), snake(&s.name)),
                StructureNode::Group(g) => (g.name.as_str(), snake(&g.name)),
            };
            let key = field_key(&names.name(name));
            let mut values = Vec::new();
            for item in &instance.items {
                match item {
                    Item::Segment {
                        child: c, position, ..
                    } if *c == child => {
                        if let (StructureNode::Segment(s), Some(seg)) =
                            (node, msg.segment(*position))
                        {
                            values.push(self.segment(&seg, &s.segment));
                        }
                    }
                    Item::Group {
                        child: c, instance, ..
                    } if *c == child => {
                        if let StructureNode::Group(g) = node {
                            values.push(self.members(msg, &g.children, instance, &g.name)?);
                        }
                    }
                    _ => {}
                }
            }
            match shape {
                Shape::Single => {
                    let first = values.into_iter().next().ok_or_else(|| {
                        err(format!(
                            "{hl7} is required in {within} but missing (at segment {})",
                            instance.first_position().unwrap_or(0) + 1
                        ))
                    })?;
                    out.insert(key, first);
                }
                Shape::Optional => {
                    if let Some(first) = values.into_iter().next() {
                        out.insert(key, first);
                    }
                }
                Shape::Repeated => {
                    if !values.is_empty() {
                        out.insert(key, Json::Array(values));
                    }
                }
            }
        }
        Ok(Json::Object(out))
    }

    fn segment(&self, seg: &Segment<'_>, flavor: &str) -> Json {
        let mut out = Map::new();
        let Some(fields) = self.fields.get(flavor) else {
            return Json::Object(out);
        };
        for Named { key, def: e, shape } in fields {
            let key = key.clone();
            let field = seg.field(e.position as usize);
            let one = |v: Option<Value<'_>>| {
                let first = v.map(|v| {
                    if v.level() == Level::Field {
                        v.repetition(1).unwrap_or(v)
                    } else {
                        v
                    }
                });
                self.element(first, &e.datatype, 0)
            };
            match shape {
                Shape::Single => {
                    out.insert(key, one(field));
                }
                Shape::Optional => {
                    if let Some(v) = field.filter(|v| !v.is_empty()) {
                        out.insert(key, one(Some(v)));
                    }
                }
                Shape::Repeated => {
                    if let Some(v) = field.filter(|v| !v.is_empty()) {
                        let reps = v
                            .repetitions()
                            .map(|r| self.element(Some(r), &e.datatype, 0))
                            .collect();
                        out.insert(key, Json::Array(reps));
                    }
                }
            }
        }
        Json::Object(out)
    }

    /// A field repetition (`depth` 0) or component (1) or subcomponent (2)
    /// of data-type flavor `flavor`; `None` when not sent.
    fn element(&self, value: Option<Value<'_>>, flavor: &str, depth: u32) -> Json {
        match data_type(self.profile, flavor, depth) {
            (_, Some(_)) => self.composite(value, flavor, depth),
            (_, None) => Json::String(
                value
                    .map(|v| String::from_utf8_lossy(v.raw()).into_owned())
                    .unwrap_or_default(),
            ),
        }
    }

    fn composite(&self, value: Option<Value<'_>>, flavor: &str, depth: u32) -> Json {
        let parts: Vec<Value<'_>> = match value {
            Some(v) => match v.level() {
                Level::Field | Level::Repetition => v.components().collect(),
                Level::Component => v.subcomponents().collect(),
                Level::Subcomponent | Level::Literal => v.parts().collect(),
            },
            None => Vec::new(),
        };
        let mut out = Map::new();
        for Named { key, def: e, shape } in self.components.get(flavor).into_iter().flatten() {
            let key = key.clone();
            let part = parts.get(e.position as usize - 1).copied();
            match shape {
                Shape::Optional => {
                    if let Some(p) = part.filter(|p| !p.is_empty()) {
                        out.insert(key, self.element(Some(p), &e.datatype, depth + 1));
                    }
                }
                Shape::Single | Shape::Repeated => {
                    out.insert(key, self.element(part, &e.datatype, depth + 1));
                }
            }
        }
        Json::Object(out)
    }
}

// ---- Named JSON back to ER7 ----------------------------------------------

/// Where in the JSON a value is: `$.patient_result[0].obx.set_id_obx`.
#[derive(Default)]
struct JsonPath(String);

impl JsonPath {
    fn key<T>(&mut self, key: &str, f: impl FnOnce(&mut Self) -> T) -> T {
        let len = self.0.len();
        self.0.push('.');
        self.0.push_str(key);
        let out = f(self);
        self.0.truncate(len);
        out
    }

    fn index<T>(&mut self, i: usize, f: impl FnOnce(&mut Self) -> T) -> T {
        let len = self.0.len();
        self.0.push('[');
        self.0.push_str(&i.to_string());
        self.0.push(']');
        let out = f(self);
        self.0.truncate(len);
        out
    }

    fn err(&self, what: impl fmt::Display) -> NamedJsonError {
        err(format!("${}: {what}", self.0))
    }
}

use super::kind;

fn object<'j>(v: &'j Json, path: &JsonPath) -> Result<&'j Map<String, Json>, NamedJsonError> {
    v.as_object()
        .ok_or_else(|| path.err(format_args!("expected an object, found {}", kind(v))))
}

/// Fails on a key the profile does not name: named JSON has no place for
/// unmodeled content, and dropping it silently would lose data.
fn no_unknown_keys(
    obj: &Map<String, Json>,
    known: impl Fn(&str) -> bool,
    what: &str,
    path: &JsonPath,
) -> Result<(), NamedJsonError> {
    match obj.keys().find(|k| !known(k)) {
        Some(k) => Err(path.err(format_args!(
            "unknown key `{k}`: {what} has no member by that name"
        ))),
        None => Ok(()),
    }
}

/// Joins `parts` (position from 1, text) with `sep`, up to the last
/// non-empty one.
fn join(parts: &[(usize, Vec<u8>)], sep: u8, out: &mut Vec<u8>) {
    let last = parts
        .iter()
        .filter(|(_, t)| !t.is_empty())
        .map(|(p, _)| *p)
        .max()
        .unwrap_or(0);
    for n in 1..=last {
        if n > 1 {
            out.push(sep);
        }
        if let Some((_, t)) = parts.iter().find(|(p, _)| *p == n) {
            out.extend_from_slice(t);
        }
    }
}

/// Writing one message: the profile and the message's delimiters.
struct Writer<'n, 'p> {
    named: &'n NamedJson<'p>,
    delims: crate::er7::Delimiters,
}

impl NamedJson<'_> {
    /// Reads a message back from named JSON: the ER7 it describes, parsed.
    ///
    /// The profile message is chosen as for [`NamedJson::to_value`], from
    /// the MSH in the JSON. Values are wire text (escapes as written), so
    /// a value holding a separator is an error, as are a missing required
    /// member, a key the profile does not name (named JSON has no place
    /// for unmodeled content, and dropping it would lose data) and a value
    /// of the wrong JSON type. Each error names its JSON path
    /// (`$.pid.patient_name[0].family_name`).
    ///
    /// ```
    /// use hl7_runtime::er7::Message;
    /// use hl7_runtime::json::named::NamedJson;
    ///
    /// let profile = hl7_schema::profile::structure_profile("2.5.1", "ADT_A09")?;
    /// let named = NamedJson::new(&profile);
    /// let er7 = b"MSH|^~\\&|A||B||20260101||ADT^A09^ADT_A09|1|P|2.5.1\rEVN||20260101\rPID|1||42^^^H^MR||DOE^JANE\rPV1|1|I\r";
    /// let json = named.to_value(&Message::parse(er7)?)?;
    /// assert_eq!(named.from_value(&json)?.to_er7(), er7);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As above; also when the profile has no message for the MSH in the
    /// JSON, or the result does not parse as ER7.
    pub fn from_value(&self, json: &Json) -> Result<Message<'static>, NamedJsonError> {
        let er7 = self.value_to_er7(json)?;
        Message::parse(&er7).map(Message::into_owned).map_err(|e| {
            err(format!(
                "$: the message described does not parse as ER7: {e}"
            ))
        })
    }

    /// The ER7 bytes (CR terminators) named JSON describes; see
    /// [`NamedJson::from_value`].
    ///
    /// # Errors
    ///
    /// As [`NamedJson::from_value`].
    pub fn value_to_er7(&self, json: &Json) -> Result<Vec<u8>, NamedJsonError> {
        let mut path = JsonPath::default();
        let root = object(json, &path)?;
        // The MSH says which message this is and which delimiters to use:
        // write it with the first message's MSH, read it back, choose.
        let (msh_key, msh_flavor) = self
            .profile
            .messages
            .first()
            .and_then(|m| {
                m.children.iter().find_map(|n| match n {
                    StructureNode::Segment(s) if s.name == "MSH" => {
                        Some((field_key(&snake(&s.name)), s.segment.clone()))
                    }
                    _ => None,
                })
            })
            .ok_or_else(|| err("$: the profile declares no message with an MSH".to_owned()))?;
        let msh = root
            .get(&msh_key)
            .ok_or_else(|| path.err(format_args!("missing `{msh_key}`")))?;
        let w = Writer {
            named: self,
            delims: path.key(&msh_key, |path| self.delimiters(msh, &msh_flavor, path))?,
        };
        let mut header = Vec::new();
        path.key(&msh_key, |path| {
            w.segment(path, msh, "MSH", &msh_flavor, &mut header)
        })?;
        let index = Message::parse(&header)
            .ok()
            .and_then(|m| self.message_index(&m))
            .ok_or_else(|| {
                err("$: the profile has no message for this MSH-9 type and event".to_owned())
            })?;
        let def: &MessageDef = &self.profile.messages[index];
        let mut out = Vec::new();
        w.members(&mut path, root, &def.children, &def.structure, &mut out)?;
        Ok(out)
    }
}

impl NamedJson<'_> {
    /// The delimiters of the MSH object: its MSH-1 and MSH-2.
    fn delimiters(
        &self,
        msh: &Json,
        flavor: &str,
        path: &JsonPath,
    ) -> Result<crate::er7::Delimiters, NamedJsonError> {
        let obj = object(msh, path)?;
        let at = |n: u32| {
            let f = self
                .fields
                .get(flavor)?
                .iter()
                .find(|f| f.def.position == n)?;
            obj.get(&f.key)?.as_str()
        };
        let (Some(field), Some(enc)) = (at(1), at(2)) else {
            return Err(path.err("MSH-1 and MSH-2 (the delimiters) are missing"));
        };
        delimiters(field, enc, path)
    }
}

/// The delimiters MSH-1 `field` and MSH-2 `enc` give.
fn delimiters(
    field: &str,
    enc: &str,
    path: &JsonPath,
) -> Result<crate::er7::Delimiters, NamedJsonError> {
    Message::parse(format!("MSH{field}{enc}\r").as_bytes())
        .map(|m| *m.delimiters())
        .map_err(|e| path.err(format_args!("MSH-1 and MSH-2: {e}")))
}

impl Writer<'_, '_> {
    /// The members of a group or message, in order.
    fn members(
        &self,
        path: &mut JsonPath,
        obj: &Map<String, Json>,
        nodes: &[StructureNode],
        within: &str,
        out: &mut Vec<u8>,
    ) -> Result<(), NamedJsonError> {
        let mut names = Unique::default();
        let mut known = Vec::new();
        for (_, node, shape, _, _) in modeled(nodes) {
            let (hl7, name) = match node {
                StructureNode::Segment(s) => (s.name.as_str(), snake(&s.name)),
                StructureNode::Group(g) => (g.name.as_str(), snake(&g.name)),
            };
            let key = field_key(&names.name(name));
            let value = obj.get(&key);
            known.push(key.clone());
            let Some(value) = value else {
                if shape == Shape::Single {
                    return Err(path.err(format_args!(
                        "missing `{key}`: {hl7} is required in {within}"
                    )));
                }
                continue;
            };
            path.key(&key, |path| {
                if shape != Shape::Repeated {
                    return self.node(path, value, node, out);
                }
                let items = value.as_array().ok_or_else(|| {
                    path.err(format_args!("expected an array, found {}", kind(value)))
                })?;
                for (i, item) in items.iter().enumerate() {
                    path.index(i, |path| self.node(path, item, node, out))?;
                }
                Ok(())
            })?;
        }
        no_unknown_keys(obj, |k| known.iter().any(|n| n == k), within, path)
    }

    fn node(
        &self,
        path: &mut JsonPath,
        value: &Json,
        node: &StructureNode,
        out: &mut Vec<u8>,
    ) -> Result<(), NamedJsonError> {
        match node {
            StructureNode::Segment(s) => self.segment(path, value, &s.name, &s.segment, out),
            StructureNode::Group(g) => {
                let obj = object(value, path)?;
                self.members(path, obj, &g.children, &g.name, out)
            }
        }
    }

    /// One segment, followed by a CR.
    fn segment(
        &self,
        path: &mut JsonPath,
        value: &Json,
        id: &str,
        flavor: &str,
        out: &mut Vec<u8>,
    ) -> Result<(), NamedJsonError> {
        let obj = object(value, path)?;
        let elems = (self.named.fields.get(flavor))
            .ok_or_else(|| path.err(format_args!("the profile has no segment {flavor}")))?;
        let header = matches!(id, "MSH" | "FHS" | "BHS");
        let mut fields: Vec<(usize, Vec<u8>)> = Vec::new();
        for Named { key, def: e, shape } in elems {
            let position = e.position as usize;
            let Some(v) = obj.get(key) else {
                if *shape == Shape::Single {
                    return Err(
                        path.err(format_args!("missing `{key}`: {id}-{position} is required"))
                    );
                }
                continue;
            };
            let text = path.key(key, |path| {
                if header && position <= 2 {
                    // MSH-1 and MSH-2 are the delimiters themselves.
                    v.as_str().map(|s| s.as_bytes().to_vec()).ok_or_else(|| {
                        path.err(format_args!("expected a string, found {}", kind(v)))
                    })
                } else if *shape == Shape::Repeated {
                    self.repetitions(path, v, &e.datatype)
                } else {
                    self.element(path, v, &e.datatype, 0)
                }
            })?;
            fields.push((position, text));
        }
        no_unknown_keys(obj, |k| elems.iter().any(|n| n.key == k), id, path)?;
        out.extend_from_slice(id.as_bytes());
        let sep = self.delims.field;
        if header {
            // Field 1 is the separator itself; field 2 follows it directly.
            let take = |n: usize| fields.iter().find(|(p, _)| *p == n).map(|(_, t)| &t[..]);
            out.extend_from_slice(take(1).unwrap_or(&[sep]));
            out.extend_from_slice(take(2).unwrap_or_default());
            let rest: Vec<(usize, Vec<u8>)> = fields
                .iter()
                .filter(|(p, _)| *p > 2)
                .map(|(p, t)| (p - 2, t.clone()))
                .collect();
            if rest.iter().any(|(_, t)| !t.is_empty()) {
                out.push(sep);
                join(&rest, sep, out);
            }
        } else if fields.iter().any(|(_, t)| !t.is_empty()) {
            out.push(sep);
            join(&fields, sep, out);
        }
        out.push(b'\r');
        Ok(())
    }

    fn repetitions(
        &self,
        path: &mut JsonPath,
        v: &Json,
        flavor: &str,
    ) -> Result<Vec<u8>, NamedJsonError> {
        let items = v
            .as_array()
            .ok_or_else(|| path.err(format_args!("expected an array, found {}", kind(v))))?;
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(self.delims.repetition);
            }
            let text = path.index(i, |path| self.element(path, item, flavor, 0))?;
            out.extend_from_slice(&text);
        }
        Ok(out)
    }

    /// A field repetition (`depth` 0), component (1) or subcomponent (2).
    fn element(
        &self,
        path: &mut JsonPath,
        v: &Json,
        flavor: &str,
        depth: u32,
    ) -> Result<Vec<u8>, NamedJsonError> {
        let (code, def) = data_type(self.named.profile, flavor, depth);
        if def.is_none() {
            let text = v
                .as_str()
                .ok_or_else(|| path.err(format_args!("expected a string, found {}", kind(v))))?;
            // A separator that would end the value early is an error; one
            // of a deeper level is kept as written, as the typed value keeps
            // it (`3.5&5.0` in a field whose type has no components).
            let d = &self.delims;
            let breaks = |c: u8| {
                c == d.field
                    || c == d.repetition
                    || c == b'\r'
                    || c == b'\n'
                    || (depth >= 1 && c == d.component)
                    || (depth >= 2 && c == d.subcomponent)
            };
            if let Some(c) = text.bytes().find(|&c| breaks(c)) {
                return Err(path.err(format_args!(
                    "the value holds `{}`, a separator: write it escaped (\\F\\ \\S\\ \\R\\ \\T\\)",
                    char::from(c).escape_default()
                )));
            }
            return Ok(text.as_bytes().to_vec());
        }
        let obj = object(v, path)?;
        let elems = self
            .named
            .components
            .get(flavor)
            .map_or(&[][..], Vec::as_slice);
        let mut parts = Vec::new();
        for Named { key, def: e, .. } in elems {
            let part = obj.get(key);
            if let Some(part) = part {
                let text =
                    path.key(key, |path| self.element(path, part, &e.datatype, depth + 1))?;
                parts.push((e.position as usize, text));
            }
        }
        no_unknown_keys(obj, |k| elems.iter().any(|n| n.key == k), &code, path)?;
        let sep = if depth == 0 {
            self.delims.component
        } else {
            self.delims.subcomponent
        };
        let mut out = Vec::new();
        join(&parts, sep, &mut out);
        Ok(out)
    }
}

/// Reads a typed message (generated with serde on) from named JSON; a bad
/// value's error names its JSON path
/// (`patient_result.order_observation[0].observation[1].obx.set_id_obx:
/// invalid type: integer 5, expected a string ...`).
///
/// # Errors
///
/// The JSON path and serde's reason.
#[cfg(feature = "serde")]
pub fn from_str<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, NamedJsonError> {
    let mut de = serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        err(if path == "." {
            e.into_inner().to_string()
        } else {
            format!("{path}: {}", e.into_inner())
        })
    })
}

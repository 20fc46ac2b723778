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
use hl7_schema::profile::{DatatypeDef, MessageDef, Profile, StructureNode};
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
        let Some(def) = self.profile.segment(flavor) else {
            return Json::Object(out);
        };
        for (name, e) in element_names(&def.fields, false) {
            let Some((_, shape, _, _)) = element_shape(e, false) else {
                continue;
            };
            let field = seg.field(e.position as usize);
            let key = field_key(&name);
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
            (_, Some(def)) => self.composite(value, def, depth),
            (_, None) => Json::String(
                value
                    .map(|v| String::from_utf8_lossy(v.raw()).into_owned())
                    .unwrap_or_default(),
            ),
        }
    }

    fn composite(&self, value: Option<Value<'_>>, def: &DatatypeDef, depth: u32) -> Json {
        let parts: Vec<Value<'_>> = match value {
            Some(v) => match v.level() {
                Level::Field | Level::Repetition => v.components().collect(),
                Level::Component => v.subcomponents().collect(),
                Level::Subcomponent | Level::Literal => v.parts().collect(),
            },
            None => Vec::new(),
        };
        let mut out = Map::new();
        for (name, e) in element_names(&def.components, true) {
            let Some((_, shape, _, _)) = element_shape(e, true) else {
                continue;
            };
            let part = parts.get(e.position as usize - 1).copied();
            let key = field_key(&name);
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

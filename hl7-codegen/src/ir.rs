//! The profile, read into what will be emitted: one struct per composite
//! flavor, segment flavor, group and message, each member with its Rust
//! name, type and shape. Emission (`emit.rs`) only prints this.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use hl7_schema::profile::{ElementDef, MessageDef, Profile, StructureNode};

use hl7_schema::naming::{
    Shape as SchemaShape, element_names, element_shape, primitive_type, shape as shape_of,
    usage_code,
};

use crate::naming::{Unique, snake, type_name, upper_camel};

/// How a member is held.
pub(crate) type Shape = SchemaShape;

/// The Rust type of a field or component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    /// A primitive of `hl7_runtime::types`, and whether it is exactly the
    /// declared data type (so `datatype = X` can be emitted).
    Primitive { rust: &'static str, exact: bool },
    /// A generated composite struct.
    Composite(String),
    /// A generated enum of an HL7 table's codes (`ID` values).
    Table(String),
}

/// An enum of an HL7 table's codes.
#[derive(Clone, Debug)]
pub(crate) struct Table {
    pub(crate) rust: String,
    pub(crate) id: String,
    pub(crate) name: String,
    /// (variant, code, display)
    pub(crate) codes: Vec<(String, String, String)>,
}

/// A field of a segment, or a component of a composite.
#[derive(Clone, Debug)]
pub(crate) struct Elem {
    pub(crate) position: u32,
    pub(crate) rust: String,
    pub(crate) long_name: String,
    pub(crate) code: String,
    pub(crate) ty: Ty,
    pub(crate) usage: &'static str,
    pub(crate) min: u32,
    pub(crate) max: Option<u32>,
    pub(crate) shape: Shape,
    pub(crate) len: Option<u32>,
    pub(crate) table: Option<String>,
    pub(crate) constant: Option<String>,
    /// `PID-5` or `XPN.1`.
    pub(crate) alias: String,
}

#[derive(Clone, Debug)]
pub(crate) struct Composite {
    pub(crate) rust: String,
    pub(crate) code: String,
    pub(crate) flavor: String,
    pub(crate) components: Vec<Elem>,
}

#[derive(Clone, Debug)]
pub(crate) struct Segment {
    pub(crate) rust: String,
    pub(crate) id: String,
    pub(crate) flavor: String,
    pub(crate) description: Option<String>,
    pub(crate) fields: Vec<Elem>,
    pub(crate) site_defined: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Member {
    pub(crate) rust: String,
    /// The segment id or group name.
    pub(crate) hl7: String,
    pub(crate) ty: String,
    pub(crate) usage: &'static str,
    pub(crate) min: u32,
    pub(crate) max: Option<u32>,
    pub(crate) shape: Shape,
    pub(crate) is_group: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Group {
    pub(crate) rust: String,
    pub(crate) name: String,
    pub(crate) path: String,
    pub(crate) members: Vec<Member>,
}

#[derive(Clone, Debug)]
pub(crate) struct Message {
    pub(crate) rust: String,
    pub(crate) structure: String,
    pub(crate) events: Vec<String>,
    pub(crate) description: Option<String>,
    pub(crate) members: Vec<Member>,
    /// Tree signature, to merge events that share an identical structure.
    signature: String,
}

/// Everything one generated file holds.
#[derive(Default, Debug)]
pub(crate) struct Module {
    pub(crate) version: Option<String>,
    pub(crate) composites: Vec<Composite>,
    pub(crate) segments: Vec<Segment>,
    pub(crate) groups: Vec<Group>,
    pub(crate) messages: Vec<Message>,
    pub(crate) tables: Vec<Table>,
    /// The version's definitions, for table codes.
    defs: Option<hl7_schema::defs::Version>,
    /// table id → index in `tables`.
    table_index: BTreeMap<String, usize>,
    /// Rust type names in use.
    names: Unique,
    /// (version, composite flavor) → index in `composites`.
    composite_index: BTreeMap<String, usize>,
    /// (version, segment flavor) → index in `segments`.
    segment_index: BTreeMap<String, usize>,
}

impl Module {
    pub(crate) fn new(version: Option<String>) -> Self {
        let defs = version
            .as_deref()
            .and_then(|v| hl7_schema::defs::Version::load(v).ok());
        Module {
            version,
            defs,
            ..Module::default()
        }
    }

    /// The enum for HL7 table `id`, registered on first use; `None` when
    /// the table is not HL7-defined or the version has no codes for it.
    fn table(&mut self, id: &str) -> Option<String> {
        use hl7_schema::defs::TableKind;
        if let Some(&i) = self.table_index.get(id) {
            return Some(self.tables[i].rust.clone());
        }
        let t = self.defs.as_ref()?.table(id)?;
        if !matches!(t.kind, TableKind::Hl7 | TableKind::Hl7Extensible) || t.codes.is_empty() {
            return None;
        }
        let title = t
            .name
            .trim_start_matches("HL7 ")
            .trim_start_matches("User ")
            .to_owned();
        let mut variants: Vec<String> = Vec::new();
        let mut codes = Vec::new();
        for c in &t.codes {
            if c.code.is_empty()
                || codes
                    .iter()
                    .any(|(_, code, _): &(String, String, String)| *code == c.code)
            {
                continue;
            }
            let words = c.display.split_whitespace().count();
            let mut v = if (1..=4).contains(&words) {
                upper_camel(&c.display)
            } else {
                upper_camel(&c.code)
            };
            if v.starts_with('_') || v == "Unnamed" || v == "Other" || v == "Self" {
                v = format!("Code{}", upper_camel(&c.code).trim_start_matches('_'));
            }
            let base = v.clone();
            let mut n = 2;
            while variants.contains(&v) {
                v = format!("{base}{n}");
                n += 1;
            }
            variants.push(v.clone());
            codes.push((v, c.code.clone(), c.display.clone()));
        }
        let rust = self.names.name(type_name(&title, "Code"));
        self.table_index.insert(id.to_owned(), self.tables.len());
        self.tables.push(Table {
            rust: rust.clone(),
            id: id.to_owned(),
            name: title,
            codes,
        });
        Some(rust)
    }

    /// Adds every message of `profile` and what they use.
    pub(crate) fn add_profile(&mut self, profile: &Profile) {
        for msg in &profile.messages {
            self.add_message(profile, msg);
        }
    }

    fn add_message(&mut self, profile: &Profile, def: &MessageDef) {
        let event = def.message_type();
        let signature = signature(&def.children);
        if let Some(existing) = self
            .messages
            .iter_mut()
            .find(|m| m.structure == def.structure && m.signature == signature)
        {
            if !existing.events.contains(&event) && !def.event.is_empty() {
                existing.events.push(event);
            }
            return;
        }
        let base = if self.messages.iter().any(|m| m.structure == def.structure)
            && !def.event.is_empty()
        {
            upper_camel(&format!("{}_{}", def.msg_type, def.event))
        } else {
            upper_camel(&def.structure)
        };
        let rust = self.names.name(base);
        let members = self.members(profile, &rust, &def.structure, &def.children);
        let events = if def.event.is_empty() {
            Vec::new()
        } else {
            vec![event]
        };
        self.messages.push(Message {
            rust,
            structure: def.structure.clone(),
            events,
            description: def.description.clone(),
            members,
            signature,
        });
    }

    /// The members of a message or group, registering their types.
    fn members(
        &mut self,
        profile: &Profile,
        prefix: &str,
        path: &str,
        nodes: &[StructureNode],
    ) -> Vec<Member> {
        let mut fields = Unique::default();
        let mut out = Vec::new();
        for node in nodes {
            let Some(usage) = usage_code(node.usage()) else {
                continue;
            };
            let Some((shape, min, max)) = shape_of(usage, node.cardinality()) else {
                continue;
            };
            match node {
                StructureNode::Segment(s) => {
                    let Some(ty) = self.segment(profile, &s.segment) else {
                        continue;
                    };
                    out.push(Member {
                        rust: fields.name(snake(&s.name)),
                        hl7: s.name.clone(),
                        ty,
                        usage,
                        min,
                        max,
                        shape,
                        is_group: false,
                    });
                }
                StructureNode::Group(g) => {
                    let rust = self.names.name(format!("{prefix}{}", upper_camel(&g.name)));
                    let group_path = format!("{path}.{}", g.name);
                    let members = self.members(profile, prefix, &group_path, &g.children);
                    self.groups.push(Group {
                        rust: rust.clone(),
                        name: g.name.clone(),
                        path: group_path,
                        members,
                    });
                    out.push(Member {
                        rust: fields.name(snake(&g.name)),
                        hl7: g.name.clone(),
                        ty: rust,
                        usage,
                        min,
                        max,
                        shape,
                        is_group: true,
                    });
                }
            }
        }
        out
    }

    /// The struct for segment flavor `flavor`, registered on first use.
    fn segment(&mut self, profile: &Profile, flavor: &str) -> Option<String> {
        if let Some(&i) = self.segment_index.get(flavor) {
            return Some(self.segments[i].rust.clone());
        }
        let def = profile.segment(flavor)?;
        let rust = self.names.name(type_name(flavor, "Segment"));
        let i = self.segments.len();
        self.segment_index.insert(flavor.to_owned(), i);
        // Placeholder while the fields (which may register composites) are read.
        self.segments.push(Segment {
            rust: rust.clone(),
            id: def.name.clone(),
            flavor: flavor.to_owned(),
            description: def.description.clone().or_else(|| def.label.clone()),
            fields: Vec::new(),
            site_defined: def.site_defined,
        });
        let fields = self.elements(profile, &def.fields, &def.name, '-', 0);
        self.segments[i].fields = fields;
        Some(rust)
    }

    /// Fields of a segment (`sep` `-`) or components of a composite (`.`).
    fn elements(
        &mut self,
        profile: &Profile,
        elems: &[ElementDef],
        owner: &str,
        sep: char,
        depth: u32,
    ) -> Vec<Elem> {
        let component = sep == '.';
        let mut out = Vec::new();
        for (rust, e) in element_names(elems, component) {
            let Some((usage, shape, min, max)) = element_shape(e, component) else {
                continue;
            };
            let (code, mut ty) = self.data_type(profile, &e.datatype, depth);
            if code == "ID"
                && let Some(t) = &e.table
                && let Some(rust) = self.table(t)
            {
                ty = Ty::Table(rust);
            }
            out.push(Elem {
                position: e.position,
                rust,
                long_name: e.name.clone(),
                code,
                ty,
                usage,
                min,
                max,
                shape,
                len: e.length.max.and_then(hl7_schema::profile::Bound::limit),
                table: e.table.clone(),
                constant: e.constant.clone(),
                alias: format!("{owner}{sep}{}", e.position),
            });
        }
        out
    }

    /// The base code and Rust type of data-type flavor `flavor` at `depth`
    /// (0 field, 1 component, 2 subcomponent).
    fn data_type(&mut self, profile: &Profile, flavor: &str, depth: u32) -> (String, Ty) {
        let (code, composite) = hl7_schema::naming::data_type(profile, flavor, depth);
        if let Some(rust) = primitive_type(&code) {
            return (code, Ty::Primitive { rust, exact: true });
        }
        match composite {
            Some(d) => {
                if let Some(&i) = self.composite_index.get(flavor) {
                    return (code, Ty::Composite(self.composites[i].rust.clone()));
                }
                let rust = self.names.name(type_name(flavor, "Type"));
                let i = self.composites.len();
                self.composite_index.insert(flavor.to_owned(), i);
                self.composites.push(Composite {
                    rust: rust.clone(),
                    code: code.clone(),
                    flavor: flavor.to_owned(),
                    components: Vec::new(),
                });
                let comps = d.components.clone();
                let components = self.elements(profile, &comps, &code, '.', depth + 1);
                self.composites[i].components = components;
                (code, Ty::Composite(rust))
            }
            // `varies` (OBX-5, typed at run time from OBX-2), unknown types,
            // and composites below subcomponent level: the raw value.
            _ => (
                code,
                Ty::Primitive {
                    rust: "Varies",
                    exact: false,
                },
            ),
        }
    }
}

/// The segment flavors, groups and cardinalities of a message tree.
fn signature(nodes: &[StructureNode]) -> String {
    let mut out = String::new();
    for n in nodes {
        let card = n.cardinality();
        match n {
            StructureNode::Segment(s) => out.push_str(&s.segment),
            StructureNode::Group(g) => {
                out.push_str(&g.name);
                out.push('{');
                out.push_str(&signature(&g.children));
                out.push('}');
            }
        }
        let _ = write!(out, "/{:?}/{}/{:?};", n.usage(), card.min, card.max);
    }
    out
}

//! Layering a site profile on its base: the one place where a
//! [`SiteProfile`] meets base definitions.
//!
//! The base is anything implementing [`BaseDefinitions`]: the HL7 version
//! definitions (`hl7_schema::defs`, through [`version_base`]), or a loaded
//! [`Profile`] (an HL7-type MWB/NIST profile, or a vendor profile that the
//! site narrows further). [`layer()`] copies the message structures, segments
//! and data types the site's events use from the base, then applies the
//! site's Z segments, Z fields, constraints and code lists, reporting every
//! key that does not resolve and every constraint that loosens its base.

use std::collections::BTreeMap;

use super::Loaded;
use super::common::{free_id, is_known_datatype};
use super::diag::{Diagnostic, DiagnosticKind as K, Diags, Location, Severity};
use super::model::{
    Binding, Bound, Cardinality, Code, DatatypeDef, ElementDef, FileRole, GroupDef, MessageDef,
    Notes, Profile, SegmentDef, SegmentRef, SourceFile, SourceFormat, StructureNode, Usage,
    ValueSet,
};
use super::site::{Constraint, PlaceKind, Props, SiteNode, SiteProfile, Target};

pub use super::base::version_base;

/// Base definitions a site profile can be layered on.
///
/// Structures returned by [`BaseDefinitions::message_structure`] refer to
/// segments by an ID that [`BaseDefinitions::segment`] resolves; fields and
/// components name data types by an ID that [`BaseDefinitions::datatype`]
/// resolves. For plain version definitions these IDs are simply the HL7
/// names (`PID`, `CX`).
pub trait BaseDefinitions {
    /// The HL7 version, e.g. `2.5.1`.
    fn hl7_version(&self) -> &str;

    /// A short description for messages, e.g. `HL7 2.5.1`.
    fn describe(&self) -> String {
        format!("HL7 {}", self.hl7_version())
    }

    /// The message structure of an event, e.g. (`ADT`, `A04`) → `ADT_A01`.
    fn structure_for_event(&self, msg_type: &str, event: &str) -> Option<String>;

    /// The group/segment tree of a message structure.
    fn message_structure(&self, structure: &str) -> Option<Vec<StructureNode>>;

    /// A segment definition by ID or name.
    fn segment(&self, id: &str) -> Option<SegmentDef>;

    /// A data-type definition by ID or name.
    fn datatype(&self, id: &str) -> Option<DatatypeDef>;

    /// Is there a table with this ID (`0001` or `HL70001`)?
    fn has_table(&self, _id: &str) -> bool {
        false
    }

    /// The codes of a table, when the base has them.
    fn table(&self, _id: &str) -> Option<ValueSet> {
        None
    }
}

/// Layers a parsed site profile on a base. Every problem comes back as a
/// diagnostic located in the TOML file; the profile is returned whenever the
/// messages could be built.
pub fn layer(site: &SiteProfile, base: &dyn BaseDefinitions) -> Loaded {
    let mut l = Layerer {
        site,
        base,
        p: Profile::default(),
        diags: Diags::default(),
        field_flavors: BTreeMap::new(),
        message_flavors: BTreeMap::new(),
        site_of: Vec::new(),
    };
    l.meta();
    l.value_sets();
    l.z_segments();
    l.messages();
    l.placements();
    l.split_message_flavors();
    for c in &site.constraints {
        l.constraint(c, None);
    }
    let site_of = l.site_of.clone();
    for (i, &si) in site_of.iter().enumerate() {
        for c in &site.messages[si].constraints {
            l.constraint(c, Some(i));
        }
    }
    l.p.sources.push(SourceFile {
        path: site.path.clone(),
        role: FileRole::Profile,
        used: true,
    });
    let built = !l.p.messages.is_empty();
    let profile = built.then_some(l.p);
    Loaded::new(profile, l.diags)
}

struct Layerer<'a> {
    site: &'a SiteProfile,
    base: &'a dyn BaseDefinitions,
    p: Profile,
    diags: Diags,
    /// (segment flavor, field, component path) → data-type flavor made for it.
    field_flavors: BTreeMap<(String, Vec<u32>), String>,
    /// (message index, segment flavor) → per-message segment flavor.
    message_flavors: BTreeMap<(usize, String), String>,
    /// For each built message, the index of its `[messages]` entry (entries
    /// that failed to build have no message).
    site_of: Vec<usize>,
}

impl Layerer<'_> {
    fn push(
        &mut self,
        severity: Severity,
        kind: K,
        at: &Location,
        msg: impl Into<String>,
    ) -> &mut Diagnostic {
        self.diags
            .push(Diagnostic::new(severity, kind, msg).at(at.clone()));
        self.diags.last_mut()
    }

    fn error(&mut self, kind: K, at: &Location, msg: impl Into<String>) -> &mut Diagnostic {
        self.push(Severity::Error, kind, at, msg)
    }

    fn warning(&mut self, kind: K, at: &Location, msg: impl Into<String>) -> &mut Diagnostic {
        self.push(Severity::Warning, kind, at, msg)
    }

    fn meta(&mut self) {
        let m = &self.site.meta;
        let meta = &mut self.p.meta;
        meta.format = SourceFormat::Site;
        meta.name.clone_from(&m.name);
        meta.id.clone_from(&m.id);
        meta.organization.clone_from(&m.organization);
        meta.version.clone_from(&m.version);
        meta.description.clone_from(&m.description);
        meta.profile_type = m.profile_type;
        meta.encodings = vec!["ER7".to_owned()];
        let base_version = self.base.hl7_version().to_owned();
        meta.hl7_version = Some(
            m.hl7
                .as_ref()
                .map_or_else(|| base_version.clone(), |v| v.value.clone()),
        );
        if let Some(v) = &m.hl7
            && !base_version.is_empty()
            && v.value != base_version
        {
            let at = v.at.clone();
            let msg = format!(
                "the profile says hl7 = \"{}\" but its base is {}",
                v.value,
                self.base.describe()
            );
            self.warning(K::SchemaDeviation, &at, msg);
        }
    }

    fn value_sets(&mut self) {
        for vs in &self.site.value_sets {
            let set = ValueSet {
                id: vs.id.value.clone(),
                name: vs.name.clone(),
                description: vs.description.clone(),
                codes: vs
                    .codes
                    .iter()
                    .map(|(c, d, s)| Code {
                        value: c.clone(),
                        display: d.clone(),
                        code_system: s.clone(),
                        ..Code::default()
                    })
                    .collect(),
                site_defined: true,
                location: Some(vs.id.at.clone()),
                ..ValueSet::default()
            };
            self.p.value_sets.sets.insert(set.id.clone(), set);
        }
    }

    /// Copies a segment (and the data types it uses) from the base.
    fn ensure_segment(&mut self, id: &str) -> bool {
        if self.p.segments.contains_key(id) {
            return true;
        }
        let Some(seg) = self.base.segment(id) else {
            return false;
        };
        let types: Vec<String> = seg.fields.iter().map(|f| f.datatype.clone()).collect();
        self.p.segments.insert(id.to_owned(), seg);
        for t in types {
            self.ensure_datatype(&t);
        }
        true
    }

    /// Copies a data type (and its component types) from the base.
    fn ensure_datatype(&mut self, id: &str) -> bool {
        if id.is_empty() || self.p.datatypes.contains_key(id) {
            return true;
        }
        if let Some(dt) = self.base.datatype(id) {
            let types: Vec<String> = dt.components.iter().map(|c| c.datatype.clone()).collect();
            self.p.datatypes.insert(id.to_owned(), dt);
            for t in types {
                self.ensure_datatype(&t);
            }
            return true;
        }
        if is_known_datatype(id) {
            self.p.datatypes.insert(
                id.to_owned(),
                DatatypeDef {
                    id: id.to_owned(),
                    name: id.to_owned(),
                    ..DatatypeDef::default()
                },
            );
            return true;
        }
        false
    }

    fn z_segments(&mut self) {
        for s in &self.site.segments {
            let name = &s.name.value;
            if let Some(fields) = &s.fields {
                if !name.starts_with('Z') {
                    continue; // reported by the parser
                }
                if self.base.segment(name).is_some() {
                    let at = s.name.at.clone();
                    let msg = format!(
                        "{name} is already defined by {}; the site definition replaces it",
                        self.base.describe()
                    );
                    self.warning(K::Duplicate, &at, msg);
                }
                let mut def = SegmentDef {
                    id: name.clone(),
                    name: name.clone(),
                    description: s.description.clone(),
                    version: self.p.meta.hl7_version.clone(),
                    site_defined: true,
                    location: Some(s.name.at.clone()),
                    ..SegmentDef::default()
                };
                for (i, f) in fields.value.iter().enumerate() {
                    let pos = i as u32 + 1;
                    let e = self.site_field(f, &format!("{name}-{pos}"), pos);
                    def.fields.push(e);
                }
                self.p.segments.insert(name.clone(), def);
            } else if !s.append.is_empty() {
                if !self.ensure_segment(name) {
                    let at = s.name.at.clone();
                    let msg = format!(
                        "{} defines no segment {name} to append fields to",
                        self.base.describe()
                    );
                    self.error(K::DanglingReference, &at, msg);
                    continue;
                }
                let start = self.p.segments[name].fields.len() as u32;
                let mut added = Vec::new();
                for (i, f) in s.append.iter().enumerate() {
                    let pos = start + i as u32 + 1;
                    added.push(self.site_field(f, &format!("{name}-{pos}"), pos));
                }
                if let Some(seg) = self.p.segments.get_mut(name) {
                    seg.fields.extend(added);
                }
            }
        }
    }

    /// A Z field (of a Z segment, or appended to a standard one).
    fn site_field(&mut self, f: &Props, path: &str, position: u32) -> ElementDef {
        let usage = f.usage.as_ref().map_or(Usage::O, |u| u.value);
        let min = f
            .min
            .as_ref()
            .map_or(u32::from(usage == Usage::R), |m| m.value);
        let max = f.max.as_ref().map_or(Some(1), |m| m.value.limit());
        let mut e = ElementDef {
            position,
            name: f.name.as_ref().map(|n| n.value.clone()).unwrap_or_default(),
            usage,
            explicit_cardinality: Some(Cardinality::new(min, max)),
            datatype: "ST".to_owned(),
            site_defined: true,
            location: f.name.as_ref().map(|n| n.at.clone()),
            ..ElementDef::default()
        };
        if let Some(dt) = &f.datatype {
            if self.ensure_datatype(&dt.value) {
                e.datatype.clone_from(&dt.value);
            } else {
                let at = dt.at.clone();
                let msg = format!(
                    "{path}: unknown data type `{}`: {} defines no such type",
                    dt.value,
                    self.base.describe()
                );
                self.error(K::UnknownDatatype, &at, msg)
                    .help_mut("use an HL7 data type such as ST, NM, CWE, XPN, XAD, TS/DTM");
                e.datatype.clone_from(&dt.value);
            }
        }
        let only_binding = Props {
            usage: None,
            min: None,
            max: None,
            datatype: None,
            ..f.clone()
        };
        self.apply_element_props(&mut e, &only_binding, path, true);
        e
    }

    fn messages(&mut self) {
        for (si, sm) in self.site.messages.iter().enumerate() {
            let base_structure = self.base.structure_for_event(&sm.msg_type, &sm.event);
            let structure = match (&sm.structure, &base_structure) {
                (Some(s), Some(b)) => {
                    if &s.value != b && sm.segments.is_none() {
                        let at = s.at.clone();
                        let msg = format!(
                            "{} uses structure {b} for {}; this profile says {}",
                            self.base.describe(),
                            sm.key.value,
                            s.value
                        );
                        self.warning(K::SchemaDeviation, &at, msg);
                    }
                    s.value.clone()
                }
                (Some(s), None) => s.value.clone(),
                (None, Some(b)) => b.clone(),
                (None, None) if sm.segments.is_some() => format!("{}_{}", sm.msg_type, sm.event),
                (None, None) => {
                    let at = sm.key.at.clone();
                    let msg = format!(
                        "{} defines no event {}: give its structure",
                        self.base.describe(),
                        sm.key.value
                    );
                    self.error(K::DanglingReference, &at, msg)
                        .help_mut("a site event reuses a standard structure (structure = \"ADT_A01\") or lists its own segments (segments = [...])");
                    continue;
                }
            };
            let mut site_defined = base_structure.is_none();
            let children = if let Some(nodes) = &sm.segments {
                site_defined = true;
                self.site_nodes(nodes)
            } else if let Some(tree) = self.base.message_structure(&structure) {
                tree
            } else {
                let at = sm
                    .structure
                    .as_ref()
                    .map_or_else(|| sm.key.at.clone(), |s| s.at.clone());
                let msg = format!(
                    "{} defines no message structure {structure}",
                    self.base.describe()
                );
                self.error(K::DanglingReference, &at, msg);
                continue;
            };
            let mut msg = MessageDef {
                id: format!("{}_{}", sm.msg_type, sm.event),
                msg_type: sm.msg_type.clone(),
                event: sm.event.clone(),
                structure,
                description: sm.description.clone(),
                role: sm.role.or(self.site.meta.role),
                children,
                site_defined,
                location: Some(sm.key.at.clone()),
                ..MessageDef::default()
            };
            let mut missing = Vec::new();
            for (_, node) in msg.walk() {
                if let StructureNode::Segment(s) = node
                    && !self.p.segments.contains_key(&s.segment)
                    && !self.ensure_segment(&s.segment)
                {
                    missing.push(s.segment.clone());
                }
            }
            missing.dedup();
            for m in missing {
                let at = sm.key.at.clone();
                let text = format!(
                    "{}: segment {m} is not defined by {} nor under [segments]",
                    sm.key.value,
                    self.base.describe()
                );
                self.error(K::DanglingReference, &at, text);
            }
            // Copy the flavor's name onto references (bases may use IDs).
            fix_ref_names(&mut msg.children, &self.p);
            self.p.messages.push(msg);
            self.site_of.push(si);
        }
    }

    fn site_nodes(&mut self, nodes: &[SiteNode]) -> Vec<StructureNode> {
        let mut out = Vec::new();
        for n in nodes {
            match n {
                SiteNode::Segment {
                    name,
                    usage,
                    min,
                    max,
                } => {
                    let known = self.p.segments.contains_key(&name.value)
                        || self.ensure_segment(&name.value);
                    if !known {
                        let at = name.at.clone();
                        let msg = format!(
                            "segment {} is not defined by {} nor under [segments]",
                            name.value,
                            self.base.describe()
                        );
                        self.error(K::DanglingReference, &at, msg);
                    }
                    out.push(StructureNode::Segment(SegmentRef {
                        segment: name.value.clone(),
                        name: name.value.clone(),
                        usage: *usage,
                        cardinality: Cardinality::new(*min, *max),
                        notes: Notes::default(),
                        site_defined: name.value.starts_with('Z'),
                        location: Some(name.at.clone()),
                    }));
                }
                SiteNode::Group {
                    name,
                    usage,
                    min,
                    max,
                    children,
                } => {
                    let children = self.site_nodes(children);
                    out.push(StructureNode::Group(GroupDef {
                        id: None,
                        name: name.value.clone(),
                        long_name: None,
                        usage: *usage,
                        cardinality: Cardinality::new(*min, *max),
                        children,
                        notes: Notes::default(),
                        location: Some(name.at.clone()),
                    }));
                }
            }
        }
        out
    }

    fn placements(&mut self) {
        for s in &self.site.segments {
            let Some(place) = &s.placement else {
                if s.fields.is_some() && s.name.value.starts_with('Z') {
                    let listed = self.p.messages.iter().any(|m| {
                        m.walk().iter().any(|(_, n)| matches!(n, StructureNode::Segment(r) if r.name == s.name.value))
                    });
                    if !listed {
                        let at = s.name.at.clone();
                        let msg = format!(
                            "Z segment {} is defined but placed in no message",
                            s.name.value
                        );
                        self.warning(K::SchemaDeviation, &at, msg)
                            .help_mut("add after = \"PID\" (or before = / in = a group), or list it in a message's `segments`");
                    }
                }
                continue;
            };
            let name = s.name.value.clone();
            if !self.p.segments.contains_key(&name) && !self.ensure_segment(&name) {
                let at = s.name.at.clone();
                let msg = format!(
                    "cannot place {name}: it is neither a Z segment with `fields` nor a segment of {}",
                    self.base.describe()
                );
                self.error(K::DanglingReference, &at, msg);
                continue;
            }
            if !name.starts_with('Z') {
                let at = s.name.at.clone();
                let msg = format!(
                    "placing the standard segment {name} where the base structure does not have it extends the message"
                );
                self.warning(K::Relaxation, &at, msg);
            }
            let Some(Target::Structure(path)) = Target::parse(&place.anchor.value) else {
                let at = place.anchor.at.clone();
                let msg = format!(
                    "`{}` is not a segment or group path like PID or PATIENT/PV1",
                    place.anchor.value
                );
                self.error(K::InvalidValue, &at, msg);
                continue;
            };
            let usage = s.usage.as_ref().map_or(Usage::O, |u| u.value);
            let min = s
                .min
                .as_ref()
                .map_or(u32::from(usage == Usage::R), |m| m.value);
            let max = s.max.as_ref().map_or(Some(1), |m| m.value.limit());
            let node = StructureNode::Segment(SegmentRef {
                segment: name.clone(),
                name: name.clone(),
                usage,
                cardinality: Cardinality::new(min, max),
                notes: Notes::default(),
                site_defined: true,
                location: Some(s.name.at.clone()),
            });
            let mut selected = vec![true; self.p.messages.len()];
            if let Some(list) = &s.messages {
                selected = vec![false; self.p.messages.len()];
                for key in list {
                    if let Some(i) = self.p.messages.iter().position(|m| m.matches(&key.value)) {
                        selected[i] = true;
                    } else {
                        let at = key.at.clone();
                        let msg = format!(
                            "{name}: message `{}` is not one of this profile's [messages]",
                            key.value
                        );
                        self.error(K::DanglingReference, &at, msg);
                    }
                }
            }
            let mut placed = 0;
            for (i, m) in self.p.messages.iter_mut().enumerate() {
                if !selected[i] {
                    continue;
                }
                let already = m
                    .walk()
                    .iter()
                    .any(|(_, n)| matches!(n, StructureNode::Segment(r) if r.name == name));
                if already {
                    continue;
                }
                placed += insert_node(&mut m.children, &mut Vec::new(), &path, place.kind, &node);
            }
            if placed == 0 {
                let at = place.anchor.at.clone();
                let what = match place.kind {
                    PlaceKind::In => "group",
                    _ => "segment or group",
                };
                let msg = format!(
                    "cannot place {name}: no message of this profile has the {what} `{}`",
                    place.anchor.value
                );
                self.error(K::DanglingReference, &at, msg);
            }
        }
    }

    /// Before global constraints run, every message with its own element
    /// constraints gets its own flavor of the segments they touch, so a
    /// message-level entry replaces the global one for that message only.
    fn split_message_flavors(&mut self) {
        for (i, &si) in self.site_of.clone().iter().enumerate() {
            for c in &self.site.messages[si].constraints {
                let Target::Element { segment, .. } = &c.target else {
                    continue;
                };
                let ids: Vec<String> = self.p.messages[i]
                    .walk()
                    .iter()
                    .filter_map(|(_, n)| match n {
                        StructureNode::Segment(r) if &r.name == segment => Some(r.segment.clone()),
                        _ => None,
                    })
                    .collect();
                for id in ids {
                    if self.p.segments.contains_key(&id) {
                        self.message_flavor(i, &id);
                    }
                }
            }
        }
    }

    /// Is message `i` overriding the global constraint `c` with its own?
    fn overridden(&self, i: usize, c: &Constraint) -> bool {
        self.site_of
            .get(i)
            .and_then(|&si| self.site.messages.get(si))
            .is_some_and(|m| m.constraints.iter().any(|mc| mc.target == c.target))
    }

    /// Applies one constraint, to every message (`msg == None`) or to one.
    fn constraint(&mut self, c: &Constraint, msg: Option<usize>) {
        let skip: Vec<bool> = (0..self.p.messages.len())
            .map(|i| match msg {
                Some(only) => only != i,
                None => self.overridden(i, c),
            })
            .collect();
        match &c.target {
            Target::Structure(path) => {
                let mut hits = 0;
                let mut found_nodes = Vec::new();
                for (i, m) in self.p.messages.iter_mut().enumerate() {
                    if skip[i] {
                        continue;
                    }
                    for_each_match(&mut m.children, &mut Vec::new(), path, &mut |node| {
                        hits += 1;
                        found_nodes.push(node.clone());
                    });
                }
                if hits == 0 {
                    let where_ = msg.map_or_else(
                        || "any message of this profile".to_owned(),
                        |i| self.p.messages[i].message_type(),
                    );
                    let at = c.key.at.clone();
                    let text = format!("`{}` is not a segment or group of {where_}", c.key.value);
                    self.error(K::DanglingReference, &at, text);
                    return;
                }
                // Apply to clones, then write back (diagnostics need &mut self).
                let updated: Vec<StructureNode> = found_nodes
                    .into_iter()
                    .map(|mut n| {
                        self.apply_node_props(&mut n, &c.props, &c.key.value);
                        n
                    })
                    .collect();
                let mut it = updated.into_iter();
                for (i, m) in self.p.messages.iter_mut().enumerate() {
                    if skip[i] {
                        continue;
                    }
                    for_each_match(&mut m.children, &mut Vec::new(), path, &mut |node| {
                        if let Some(new) = it.next() {
                            *node = new;
                        }
                    });
                }
            }
            Target::Element {
                segment,
                field,
                component,
                sub,
            } => {
                let used_in: Vec<usize> = self
                    .p
                    .messages
                    .iter()
                    .enumerate()
                    .filter(|(i, m)| {
                        !skip[*i]
                            && m.walk().iter().any(|(_, n)| matches!(n, StructureNode::Segment(r) if &r.name == segment))
                    })
                    .map(|(i, _)| i)
                    .collect();
                if used_in.is_empty() {
                    let at = c.key.at.clone();
                    let known = self.base.segment(segment).is_some()
                        || self.p.segments.contains_key(segment);
                    let where_ = msg.map_or_else(
                        || "no message of this profile".to_owned(),
                        |i| format!("{} does not", self.p.messages[i].message_type()),
                    );
                    let text = if known {
                        format!(
                            "`{}`: {where_} contain{} {segment}",
                            c.key.value,
                            if msg.is_some() { "" } else { "s" }
                        )
                    } else {
                        format!(
                            "`{}`: {} defines no segment {segment}",
                            c.key.value,
                            self.base.describe()
                        )
                    };
                    self.error(K::DanglingReference, &at, text);
                    return;
                }
                // The segment flavors to change.
                let mut flavors: Vec<String> = Vec::new();
                for i in used_in {
                    let ids: Vec<String> = self.p.messages[i]
                        .walk()
                        .iter()
                        .filter_map(|(_, n)| match n {
                            StructureNode::Segment(r) if &r.name == segment => {
                                Some(r.segment.clone())
                            }
                            _ => None,
                        })
                        .collect();
                    for id in ids {
                        let id = if msg.is_some() {
                            self.message_flavor(i, &id)
                        } else {
                            id
                        };
                        if !flavors.contains(&id) {
                            flavors.push(id);
                        }
                    }
                }
                for flavor in flavors {
                    let mut steps = vec![*field];
                    steps.extend(component.iter());
                    steps.extend(sub.iter());
                    self.element_constraint(&flavor, &steps, c);
                }
            }
        }
    }

    /// The segment flavor message `i` uses instead of `id` (cloned on first
    /// use so per-message constraints do not leak into other messages).
    fn message_flavor(&mut self, i: usize, id: &str) -> String {
        if let Some(f) = self.message_flavors.get(&(i, id.to_owned())) {
            return f.clone();
        }
        if self
            .message_flavors
            .iter()
            .any(|((mi, _), own)| *mi == i && own == id)
        {
            return id.to_owned();
        }
        let msg_id = self.p.messages[i].id.clone();
        let new_id = free_id(&format!("{id}_{msg_id}"), |c| {
            self.p.segments.contains_key(c)
        });
        let Some(mut def) = self.p.segments.get(id).cloned() else {
            return id.to_owned();
        };
        def.id.clone_from(&new_id);
        self.p.segments.insert(new_id.clone(), def);
        repoint(&mut self.p.messages[i].children, id, &new_id);
        self.message_flavors
            .insert((i, id.to_owned()), new_id.clone());
        new_id
    }

    /// Applies a constraint to `flavor`-`steps[0]`(.`steps[1]`(.`steps[2]`)).
    fn element_constraint(&mut self, flavor: &str, steps: &[u32], c: &Constraint) {
        if !self.p.segments.contains_key(flavor) {
            // The segment itself is unknown; that was reported where it is used.
            return;
        }
        let seg_name = self.p.segments[flavor].name.clone();
        let field_count = self.p.segments[flavor].fields.len();
        let fpos = steps[0] as usize;
        if fpos > field_count {
            let at = c.key.at.clone();
            let msg = format!(
                "`{}`: {seg_name} has {field_count} fields in {}; there is no field {fpos}",
                c.key.value,
                self.base.describe()
            );
            self.error(K::DanglingReference, &at, msg)
                .help_mut(format!("add site fields with [segments.{seg_name}] append = [ {{ name = \"…\", type = \"ST\" }} ]"));
            return;
        }
        if steps.len() == 1 {
            let mut e = self.p.segments[flavor].fields[fpos - 1].clone();
            self.apply_element_props(&mut e, &c.props, &c.key.value, true);
            if let Some(seg) = self.p.segments.get_mut(flavor) {
                seg.fields[fpos - 1] = e;
            }
            return;
        }
        // Component or sub-component: give the field (and component) its
        // own data-type flavor so other users of the type are unaffected.
        let field_dt = self.p.segments[flavor].fields[fpos - 1].datatype.clone();
        let Some(dt_id) = self.own_flavor(
            flavor,
            &[steps[0]],
            &field_dt,
            &format!("{seg_name}{fpos}"),
            c,
        ) else {
            return;
        };
        if let Some(seg) = self.p.segments.get_mut(flavor) {
            seg.fields[fpos - 1].datatype.clone_from(&dt_id);
        }
        let cpos = steps[1] as usize;
        let comp_count = self.p.datatypes[&dt_id].components.len();
        if cpos > comp_count {
            let at = c.key.at.clone();
            let base_name = self.p.datatypes[&dt_id].name.clone();
            let msg = format!(
                "`{}`: {seg_name}-{fpos} is {base_name}, which has {comp_count} components; there is no component {cpos}",
                c.key.value
            );
            self.error(K::DanglingReference, &at, msg);
            return;
        }
        if steps.len() == 2 {
            let mut e = self.p.datatypes[&dt_id].components[cpos - 1].clone();
            self.apply_element_props(&mut e, &c.props, &c.key.value, false);
            if let Some(dt) = self.p.datatypes.get_mut(&dt_id) {
                dt.components[cpos - 1] = e;
            }
            return;
        }
        let comp_dt = self.p.datatypes[&dt_id].components[cpos - 1]
            .datatype
            .clone();
        let Some(sub_id) = self.own_flavor(
            flavor,
            &steps[..2],
            &comp_dt,
            &format!("{seg_name}{fpos}_{cpos}"),
            c,
        ) else {
            return;
        };
        if let Some(dt) = self.p.datatypes.get_mut(&dt_id) {
            dt.components[cpos - 1].datatype.clone_from(&sub_id);
        }
        let spos = steps[2] as usize;
        let sub_count = self.p.datatypes[&sub_id].components.len();
        if spos > sub_count {
            let at = c.key.at.clone();
            let base_name = self.p.datatypes[&sub_id].name.clone();
            let msg = format!(
                "`{}`: {seg_name}-{fpos}.{cpos} is {base_name}, which has {sub_count} components; there is no sub-component {spos}",
                c.key.value
            );
            self.error(K::DanglingReference, &at, msg);
            return;
        }
        let mut e = self.p.datatypes[&sub_id].components[spos - 1].clone();
        self.apply_element_props(&mut e, &c.props, &c.key.value, false);
        if let Some(dt) = self.p.datatypes.get_mut(&sub_id) {
            dt.components[spos - 1] = e;
        }
    }

    /// The site's own flavor of data type `dt` for one element; reports a
    /// primitive that has no components.
    fn own_flavor(
        &mut self,
        seg_flavor: &str,
        steps: &[u32],
        dt: &str,
        suffix: &str,
        c: &Constraint,
    ) -> Option<String> {
        let key = (seg_flavor.to_owned(), steps.to_vec());
        if let Some(id) = self.field_flavors.get(&key) {
            return Some(id.clone());
        }
        self.ensure_datatype(dt);
        let Some(def) = self.p.datatypes.get(dt).cloned() else {
            let at = c.key.at.clone();
            let msg = format!(
                "`{}`: data type {dt} is unknown, so its components cannot be constrained",
                c.key.value
            );
            self.error(K::UnknownDatatype, &at, msg);
            return None;
        };
        if def.components.is_empty() {
            let at = c.key.at.clone();
            let msg = format!(
                "`{}`: the element is {}, a primitive type without components",
                c.key.value, def.name
            );
            self.error(K::DanglingReference, &at, msg);
            return None;
        }
        let id = free_id(&format!("{}_{suffix}", def.name), |x| {
            self.p.datatypes.contains_key(x)
        });
        let mut new = def;
        new.id.clone_from(&id);
        self.p.datatypes.insert(id.clone(), new);
        self.field_flavors.insert(key, id.clone());
        Some(id)
    }

    fn apply_node_props(&mut self, node: &mut StructureNode, props: &Props, key: &str) {
        let (usage, card, notes) = match node {
            StructureNode::Segment(s) => (&mut s.usage, &mut s.cardinality, &mut s.notes),
            StructureNode::Group(g) => (&mut g.usage, &mut g.cardinality, &mut g.notes),
        };
        let (mut u, mut c) = (*usage, *card);
        self.apply_usage_cardinality(&mut u, &mut c, props, key, true);
        *usage = u;
        *card = c;
        if let Some(w) = &props.when {
            notes.predicate = Some(w.value.clone());
        }
        if let Some(n) = &props.note {
            notes.imp_note = Some(n.clone());
        }
    }

    fn apply_usage_cardinality(
        &mut self,
        usage: &mut Usage,
        card: &mut Cardinality,
        props: &Props,
        key: &str,
        has_cardinality: bool,
    ) {
        let base_usage = *usage;
        let base_card = *card;
        if let Some(u) = &props.usage {
            let new = u.value;
            let relaxes = (matches!(base_usage, Usage::R | Usage::RE)
                && new.strength() < base_usage.strength())
                || (base_usage.forbids() && !new.forbids());
            if relaxes {
                let at = u.at.clone();
                let msg = format!("`{key}`: usage {new} loosens the base usage {base_usage}");
                self.warning(K::Relaxation, &at, msg).help_mut(
                    "a profile may only narrow its base: R stays R, RE may become R or X",
                );
            }
            *usage = new;
            if has_cardinality && props.min.is_none() {
                if new == Usage::R && card.min == 0 {
                    card.min = 1;
                } else if new != Usage::R && new != Usage::RE && card.min > 0 {
                    card.min = 0;
                }
            }
        }
        if let Some(m) = &props.min {
            if m.value < base_card.min && base_usage == Usage::R {
                let at = m.at.clone();
                let msg = format!(
                    "`{key}`: min = {} loosens the base minimum {}",
                    m.value, base_card.min
                );
                self.warning(K::Relaxation, &at, msg);
            }
            card.min = m.value;
        }
        if let Some(m) = &props.max {
            if let Some(bmax) = base_card.max
                && m.value.limit().is_none_or(|n| n > bmax)
            {
                let at = m.at.clone();
                let shown = m.value;
                let msg = format!("`{key}`: max = {shown} loosens the base maximum {bmax}");
                self.warning(K::Relaxation, &at, msg);
            }
            card.max = m.value.limit();
        }
        let reported_by_parser = props.min.is_some() && props.max.is_some();
        if let Some(max) = card.max
            && card.min > max
            && !reported_by_parser
        {
            let at = props
                .min
                .as_ref()
                .map(|m| m.at.clone())
                .or_else(|| props.max.as_ref().map(|m| m.at.clone()))
                .or_else(|| props.usage.as_ref().map(|u| u.at.clone()));
            if let Some(at) = at {
                let msg = format!(
                    "`{key}`: min {} is greater than max {max} (after layering on the base {base_card})",
                    card.min
                );
                self.error(K::Contradiction, &at, msg);
            }
        }
    }

    fn apply_element_props(
        &mut self,
        e: &mut ElementDef,
        props: &Props,
        key: &str,
        is_field: bool,
    ) {
        let mut card = e.cardinality();
        let mut usage = e.usage;
        self.apply_usage_cardinality(&mut usage, &mut card, props, key, is_field);
        e.usage = usage;
        if is_field {
            e.explicit_cardinality = Some(card);
        }
        let base_len = e.length;
        if let Some(l) = &props.length {
            if let Some(Bound::Limit(b)) = base_len.max
                && l.value.limit().is_none_or(|n| n > b)
            {
                let at = l.at.clone();
                let msg = format!(
                    "`{key}`: length {} is longer than the base length {b}",
                    l.value
                );
                self.warning(K::Relaxation, &at, msg);
            }
            e.length.max = Some(l.value);
        }
        if let Some(m) = &props.min_length {
            e.length.min = Some(m.value);
        }
        if let Some(c) = &props.conf_length {
            e.length.conf = Some(c.value);
        }
        if let (Some(min), Some(Bound::Limit(max))) = (e.length.min, e.length.max)
            && min > max
            && (props.min_length.is_some() || props.length.is_some())
        {
            let at = props.min_length.as_ref().map_or_else(
                || props.length.as_ref().map(|l| l.at.clone()),
                |m| Some(m.at.clone()),
            );
            if let Some(at) = at {
                let msg =
                    format!("`{key}`: minimum length {min} is greater than maximum length {max}");
                self.error(K::Contradiction, &at, msg);
            }
        }
        if let Some(dt) = &props.datatype {
            if self.ensure_datatype(&dt.value) {
                let old_base = self
                    .p
                    .datatypes
                    .get(&e.datatype)
                    .map_or(e.datatype.clone(), |d| d.name.clone());
                if !old_base.eq_ignore_ascii_case("varies")
                    && old_base != dt.value
                    && !e.datatype.is_empty()
                    && !e.site_defined
                {
                    let at = dt.at.clone();
                    let msg = format!(
                        "`{key}`: changes the data type from {old_base} to {}",
                        dt.value
                    );
                    self.warning(K::SchemaDeviation, &at, msg);
                }
                e.datatype.clone_from(&dt.value);
            } else {
                let at = dt.at.clone();
                let msg = format!(
                    "`{key}`: unknown data type `{}`: {} defines no such type",
                    dt.value,
                    self.base.describe()
                );
                self.error(K::UnknownDatatype, &at, msg);
            }
        }
        if let Some(t) = &props.table {
            if !self.table_known(&t.value) {
                let at = t.at.clone();
                let msg = format!(
                    "`{key}`: table {} is defined neither by {} nor under [values]",
                    t.value,
                    self.base.describe()
                );
                self.warning(K::DanglingReference, &at, msg);
            }
            e.table = Some(t.value.clone());
        }
        if let Some(v) = &props.values {
            if !self.table_known(&v.value) {
                let at = v.at.clone();
                let msg = format!(
                    "`{key}`: value set `{}` is not defined under [values] (nor a table of {})",
                    v.value,
                    self.base.describe()
                );
                self.error(K::DanglingReference, &at, msg).help_mut(format!(
                    "add [values.{}] codes = {{ CODE = \"Display\" }}",
                    v.value
                ));
            }
            e.bindings.push(Binding {
                value_sets: vec![v.value.clone()],
                strength: props.strength.as_ref().map(|s| s.value),
                locations: Vec::new(),
            });
        }
        if let Some(c) = &props.constant {
            let composite = self
                .p
                .datatypes
                .get(&e.datatype)
                .is_some_and(|d| !d.components.is_empty());
            if composite {
                let at = c.at.clone();
                let msg = format!(
                    "`{key}`: a constant on the composite {} is compared with the whole encoded value; constrain a component instead",
                    e.datatype
                );
                self.warning(K::SchemaDeviation, &at, msg);
            }
            e.constant = Some(c.value.clone());
        }
        if let Some(w) = &props.when {
            e.notes.predicate = Some(w.value.clone());
        }
        if let Some(n) = &props.note {
            e.notes.imp_note = Some(n.clone());
        }
    }

    fn table_known(&self, id: &str) -> bool {
        self.p.value_sets.knows(id)
            || self.base.has_table(id)
            || id
                .strip_prefix("HL7")
                .is_some_and(|n| self.base.has_table(n))
            || (id.bytes().all(|b| b.is_ascii_digit()) && self.base.has_table(&format!("HL7{id}")))
    }
}

/// Does `path` (group/segment names, last = the node) match a node named
/// `name` under `ancestors`? Earlier path elements must appear in order
/// among the ancestors.
fn path_matches(path: &[String], ancestors: &[String], name: &str) -> bool {
    let Some((last, rest)) = path.split_last() else {
        return false;
    };
    if last != name {
        return false;
    }
    let mut it = ancestors.iter();
    rest.iter().all(|p| it.any(|a| a == p))
}

fn node_name(n: &StructureNode) -> &str {
    match n {
        StructureNode::Segment(s) => &s.name,
        StructureNode::Group(g) => &g.name,
    }
}

fn for_each_match(
    nodes: &mut [StructureNode],
    ancestors: &mut Vec<String>,
    path: &[String],
    f: &mut dyn FnMut(&mut StructureNode),
) {
    for n in nodes {
        if path_matches(path, ancestors, node_name(n)) {
            f(n);
        }
        if let StructureNode::Group(g) = n {
            ancestors.push(g.name.clone());
            for_each_match(&mut g.children, ancestors, path, f);
            ancestors.pop();
        }
    }
}

fn insert_node(
    nodes: &mut Vec<StructureNode>,
    ancestors: &mut Vec<String>,
    path: &[String],
    kind: PlaceKind,
    new: &StructureNode,
) -> usize {
    let mut placed = 0;
    let mut i = 0;
    while i < nodes.len() {
        let matches = path_matches(path, ancestors, node_name(&nodes[i]));
        if let StructureNode::Group(g) = &mut nodes[i] {
            ancestors.push(g.name.clone());
            if matches && kind == PlaceKind::In {
                g.children.push(new.clone());
                placed += 1;
            } else {
                placed += insert_node(&mut g.children, ancestors, path, kind, new);
            }
            ancestors.pop();
        }
        if matches {
            match kind {
                PlaceKind::After => {
                    nodes.insert(i + 1, new.clone());
                    placed += 1;
                    i += 1;
                }
                PlaceKind::Before => {
                    nodes.insert(i, new.clone());
                    placed += 1;
                    i += 1;
                }
                PlaceKind::In => {}
            }
        }
        i += 1;
    }
    placed
}

fn repoint(nodes: &mut [StructureNode], from: &str, to: &str) {
    for n in nodes {
        match n {
            StructureNode::Segment(s) if s.segment == from => to.clone_into(&mut s.segment),
            StructureNode::Group(g) => repoint(&mut g.children, from, to),
            StructureNode::Segment(_) => {}
        }
    }
}

fn fix_ref_names(nodes: &mut [StructureNode], p: &Profile) {
    for n in nodes {
        match n {
            StructureNode::Segment(s) => {
                if let Some(def) = p.segments.get(&s.segment) {
                    s.name.clone_from(&def.name);
                }
            }
            StructureNode::Group(g) => fix_ref_names(&mut g.children, p),
        }
    }
}

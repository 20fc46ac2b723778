//! Sources of base definitions for layering: loaded profiles, and the HL7
//! version definitions.

use std::sync::Arc;

use crate::defs::{self, Version};

use super::layer::BaseDefinitions;
use super::model::{
    Bound, Cardinality, Code, DatatypeDef, ElementDef, GroupDef, LengthSpec, Notes, Profile,
    SegmentDef, SegmentRef, StructureNode, Usage, ValueSet,
};

/// A loaded profile as a base: a site can narrow an HL7-type MWB profile or
/// a vendor's NIST profile. Segments and data types are found by flavor ID
/// first, then by base name (the flavor whose ID is the name, else the
/// first).
impl BaseDefinitions for Profile {
    fn hl7_version(&self) -> &str {
        self.meta.hl7_version.as_deref().unwrap_or("")
    }

    fn describe(&self) -> String {
        match (&self.meta.name, &self.meta.hl7_version) {
            (Some(n), Some(v)) => format!("the base profile \"{n}\" (HL7 {v})"),
            (Some(n), None) => format!("the base profile \"{n}\""),
            (None, Some(v)) => format!("the base profile (HL7 {v})"),
            (None, None) => "the base profile".to_owned(),
        }
    }

    fn structure_for_event(&self, msg_type: &str, event: &str) -> Option<String> {
        self.messages
            .iter()
            .find(|m| m.msg_type == msg_type && (m.event == event || m.event == "ALL"))
            .map(|m| m.structure.clone())
    }

    fn message_structure(&self, structure: &str) -> Option<Vec<StructureNode>> {
        self.messages
            .iter()
            .find(|m| m.structure == structure)
            .map(|m| m.children.clone())
    }

    fn segment(&self, id: &str) -> Option<SegmentDef> {
        self.segments
            .get(id)
            .or_else(|| self.segments.values().find(|s| s.name == id))
            .cloned()
    }

    fn datatype(&self, id: &str) -> Option<DatatypeDef> {
        self.datatypes
            .get(id)
            .or_else(|| self.datatypes.values().find(|d| d.name == id))
            .cloned()
    }

    fn has_table(&self, id: &str) -> bool {
        if self.value_sets.knows(id) {
            return true;
        }
        let uses = |e: &ElementDef| e.table.as_deref() == Some(id);
        self.segments.values().any(|s| s.fields.iter().any(uses))
            || self
                .datatypes
                .values()
                .any(|d| d.components.iter().any(uses))
    }

    fn table(&self, id: &str) -> Option<ValueSet> {
        self.value_sets.get(id).cloned()
    }
}

/// The base definitions of a bundled HL7 version, for `hl7 = "2.5.1"` in a
/// site profile.
///
/// This is the seam to [`crate::defs`]: the version definitions are adapted
/// to [`BaseDefinitions`] here and nowhere else.
///
/// # Errors
///
/// A message when the version is not bundled (or its data is broken).
pub fn version_base(version: &str) -> Result<Arc<dyn BaseDefinitions + Send + Sync>, String> {
    match Version::load(version) {
        Ok(v) => Ok(Arc::new(v)),
        Err(e) => Err(format!(
            "{e}; bundled versions: {}",
            crate::defs::versions().join(", ")
        )),
    }
}

/// The standard definition of one message structure of a bundled version,
/// as a profile (for `hl7 profile show --version 2.5.1 --structure ORU_R01`):
/// one message with the structure's groups and segments, and the segments
/// and data types it uses.
///
/// # Errors
///
/// A message when the version is not bundled or does not define the structure.
pub fn structure_profile(version: &str, structure: &str) -> Result<Profile, String> {
    let v = Version::load(version).map_err(|e| {
        format!(
            "{e}; bundled versions: {}",
            crate::defs::versions().join(", ")
        )
    })?;
    let children = BaseDefinitions::message_structure(&v, structure)
        .ok_or_else(|| format!("HL7 v{version} defines no message structure {structure}"))?;
    let (msg_type, event) = structure.split_once('_').unwrap_or((structure, ""));
    let mut p = Profile::default();
    p.meta.hl7_version = Some(version.to_owned());
    p.meta.name = Some(format!("HL7 v{version} {structure}"));
    let msg = super::model::MessageDef {
        id: structure.to_owned(),
        msg_type: msg_type.to_owned(),
        event: event.to_owned(),
        structure: structure.to_owned(),
        children,
        ..super::model::MessageDef::default()
    };
    let mut segments: Vec<String> = msg
        .walk()
        .into_iter()
        .filter_map(|(_, n)| match n {
            StructureNode::Segment(s) => Some(s.segment.clone()),
            StructureNode::Group(_) => None,
        })
        .collect();
    segments.sort();
    segments.dedup();
    let mut types = Vec::new();
    for id in segments {
        if let Some(seg) = BaseDefinitions::segment(&v, &id) {
            types.extend(seg.fields.iter().map(|f| f.datatype.clone()));
            p.segments.insert(id, seg);
        }
    }
    // Each data type once, with the types of its components; bounded by the
    // number of types the version defines.
    while let Some(t) = types.pop() {
        if t == "-" || t.is_empty() || p.datatypes.contains_key(&t) {
            continue;
        }
        if let Some(dt) = BaseDefinitions::datatype(&v, &t) {
            types.extend(dt.components.iter().map(|c| c.datatype.clone()));
            p.datatypes.insert(t, dt);
        }
    }
    p.messages.push(msg);
    Ok(p)
}

/// HL7 version definitions as a base. Structure nodes become segment
/// references and groups with usage R when their minimum is at least one,
/// else O; choice groups keep their members in order (noted as a choice);
/// wildcard nodes (any segment) have no counterpart in a profile and are
/// left out. Withdrawn placeholder fields get the data type `-`.
impl BaseDefinitions for Version {
    fn hl7_version(&self) -> &str {
        self.id()
    }

    fn structure_for_event(&self, msg_type: &str, event: &str) -> Option<String> {
        self.event(msg_type, event).map(|e| e.structure.clone())
    }

    fn message_structure(&self, structure: &str) -> Option<Vec<StructureNode>> {
        self.structure(structure)
            .map(|s| s.children.iter().filter_map(node_from_defs).collect())
    }

    fn segment(&self, id: &str) -> Option<SegmentDef> {
        let s = Version::segment(self, id)?;
        Some(SegmentDef {
            id: s.id.clone(),
            name: s.id.clone(),
            description: Some(s.name.clone()),
            version: Some(self.id().to_owned()),
            fields: s
                .fields
                .iter()
                .map(|f| ElementDef {
                    position: f.position as u32,
                    name: f.name.clone(),
                    usage: usage_from_defs(f.usage),
                    explicit_cardinality: Some(Cardinality::new(
                        f.repetition.min,
                        f.repetition.max,
                    )),
                    datatype: f.datatype.clone().unwrap_or_else(|| "-".to_owned()),
                    length: length_from_defs(f.length),
                    table: f.table.clone(),
                    item_no: f.item.clone(),
                    ..ElementDef::default()
                })
                .collect(),
            ..SegmentDef::default()
        })
    }

    fn datatype(&self, id: &str) -> Option<DatatypeDef> {
        let d = Version::datatype(self, id)?;
        Some(DatatypeDef {
            id: d.code.clone(),
            name: d.code.clone(),
            description: Some(d.name.clone()),
            version: Some(self.id().to_owned()),
            components: d
                .components
                .iter()
                .map(|c| ElementDef {
                    position: c.position as u32,
                    name: c.name.clone(),
                    usage: c.usage.map_or(Usage::O, usage_from_defs),
                    datatype: c.datatype.clone().unwrap_or_else(|| "-".to_owned()),
                    length: length_from_defs(c.length),
                    table: c.table.clone(),
                    ..ElementDef::default()
                })
                .collect(),
            ..DatatypeDef::default()
        })
    }

    fn has_table(&self, id: &str) -> bool {
        let id = id.strip_prefix("HL7").unwrap_or(id);
        Version::table(self, id).is_some()
    }

    fn table(&self, id: &str) -> Option<ValueSet> {
        let num = id.strip_prefix("HL7").unwrap_or(id);
        let t = Version::table(self, num)?;
        Some(ValueSet {
            id: t.id.clone(),
            name: Some(t.name.clone()),
            version: Some(self.id().to_owned()),
            codes: t
                .codes
                .iter()
                .map(|c| Code {
                    value: c.code.clone(),
                    display: Some(c.display.clone()),
                    code_system: Some(format!("HL7{}", t.id)),
                    ..Code::default()
                })
                .collect(),
            ..ValueSet::default()
        })
    }
}

fn usage_from_defs(u: defs::Usage) -> Usage {
    match u {
        defs::Usage::Required => Usage::R,
        defs::Usage::RequiredOrEmpty => Usage::RE,
        defs::Usage::Conditional => Usage::C(None),
        defs::Usage::NotSupported => Usage::X,
        defs::Usage::BackwardCompatible => Usage::B,
        defs::Usage::Withdrawn => Usage::W,
        defs::Usage::NotApplicable => Usage::NA,
        _ => Usage::O,
    }
}

fn length_from_defs(len: Option<u32>) -> LengthSpec {
    LengthSpec {
        max: len.map(Bound::Limit),
        ..LengthSpec::default()
    }
}

fn node_usage(c: defs::Cardinality) -> Usage {
    if c.min > 0 { Usage::R } else { Usage::O }
}

fn node_from_defs(n: &defs::StructureNode) -> Option<StructureNode> {
    match n {
        defs::StructureNode::Segment(s) => Some(StructureNode::Segment(SegmentRef {
            segment: s.id.clone(),
            name: s.id.clone(),
            usage: node_usage(s.cardinality),
            cardinality: Cardinality::new(s.cardinality.min, s.cardinality.max),
            notes: Notes::default(),
            site_defined: false,
            location: None,
        })),
        defs::StructureNode::Group(g) => Some(StructureNode::Group(GroupDef {
            id: None,
            name: g.name.clone(),
            long_name: None,
            usage: node_usage(g.cardinality),
            cardinality: Cardinality::new(g.cardinality.min, g.cardinality.max),
            children: g
                .children
                .iter()
                .filter_map(node_from_defs)
                .map(|mut c| {
                    if g.choice {
                        // Members of a choice are each optional; exactly one occurs.
                        match &mut c {
                            StructureNode::Segment(s) => {
                                s.usage = Usage::O;
                                s.cardinality.min = 0;
                            }
                            StructureNode::Group(inner) => {
                                inner.usage = Usage::O;
                                inner.cardinality.min = 0;
                            }
                        }
                    }
                    c
                })
                .collect(),
            notes: Notes {
                description: g
                    .choice
                    .then(|| "choice: exactly one of the members occurs".to_owned()),
                ..Notes::default()
            },
            location: None,
        })),
        _ => None,
    }
}

//! Static metadata of typed segments and composites, for the validator.

use std::fmt;

/// The usage code of a field or component (HL7 v2 conformance).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Usage {
    /// Required.
    R,
    /// Required, but may be empty.
    RE,
    /// Optional.
    O,
    /// Conditional.
    C,
    /// Conditional, but may be empty.
    CE,
    /// Not supported: must not be sent. Typed structs never model such a field.
    X,
    /// Kept for backward compatibility.
    B,
    /// Withdrawn.
    W,
}

impl Usage {
    /// The code as written in profiles (`R`, `RE` ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Usage::R => "R",
            Usage::RE => "RE",
            Usage::O => "O",
            Usage::C => "C",
            Usage::CE => "CE",
            Usage::X => "X",
            Usage::B => "B",
            Usage::W => "W",
        }
    }
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a field is held on its struct: the Rust shape of its cardinality.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    /// `T`: one value, always present (empty when not sent).
    Single,
    /// `Option<T>`: one value or none.
    Optional,
    /// `Vec<T>`: the repetitions.
    Repeated,
}

/// One field of a segment, or one component of a composite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FieldMeta {
    /// Position, from 1: the field number (`5` for PID-5) or component number.
    pub position: usize,
    /// The Rust field name (`patient_name`).
    pub name: &'static str,
    /// The HL7 data type code (`XPN`, `ST` ...).
    pub data_type: &'static str,
    /// The usage code.
    pub usage: Usage,
    /// Minimum number of repetitions.
    pub min: u32,
    /// Maximum number of repetitions; `None` for unbounded (`*`).
    pub max: Option<u32>,
    /// Maximum length, when declared.
    pub len: Option<u32>,
    /// The HL7 table the value is coded from (`"0200"`), when declared.
    pub table: Option<&'static str>,
    /// How the struct holds it.
    pub shape: Shape,
}

/// What a typed segment declares: its id and fields, in position order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SegmentMeta {
    /// The segment id (`PID`, `ZPI`).
    pub id: &'static str,
    /// The declared fields, by ascending position.
    pub fields: &'static [FieldMeta],
}

impl SegmentMeta {
    /// The field declared at `position`, if any.
    pub fn field(&self, position: usize) -> Option<&'static FieldMeta> {
        self.fields.iter().find(|f| f.position == position)
    }
}

/// What a typed composite declares: its data type and components, in
/// position order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CompositeMeta {
    /// The data type code (`XPN`, `CX`).
    pub data_type: &'static str,
    /// The declared components, by ascending position.
    pub components: &'static [FieldMeta],
}

impl CompositeMeta {
    /// The component declared at `position`, if any.
    pub fn component(&self, position: usize) -> Option<&'static FieldMeta> {
        self.components.iter().find(|f| f.position == position)
    }
}

/// What a member of a group or message is: a segment or a nested group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeMeta {
    /// A typed segment.
    Segment(&'static SegmentMeta),
    /// A typed group.
    Group(&'static GroupMeta),
}

impl NodeMeta {
    /// The segment id or group name.
    pub fn name(&self) -> &'static str {
        match self {
            NodeMeta::Segment(s) => s.id,
            NodeMeta::Group(g) => g.name,
        }
    }
}

/// One member of a group or message: a segment or group, with its
/// cardinality, in structure order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemberMeta {
    /// The Rust field name (`patient_result`).
    pub name: &'static str,
    /// The segment or group.
    pub node: NodeMeta,
    /// The usage code.
    pub usage: Usage,
    /// Minimum occurrences.
    pub min: u32,
    /// Maximum occurrences; `None` for unbounded.
    pub max: Option<u32>,
    /// How the struct holds it.
    pub shape: Shape,
}

/// What a typed group declares: its name and members, in structure order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GroupMeta {
    /// The group name (`ORDER_OBSERVATION`).
    pub name: &'static str,
    /// The members, in structure order.
    pub members: &'static [MemberMeta],
}

/// What a typed message declares: its structure, the message types it
/// reads, and its members in structure order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MessageMeta {
    /// The message structure (`ORU_R01`).
    pub structure: &'static str,
    /// The message types and events it carries (`ADT^A01`, `ADT^A04`).
    pub events: &'static [&'static str],
    /// The HL7 version it was made from, when known (`2.5.1`).
    pub version: Option<&'static str>,
    /// The members, in structure order.
    pub members: &'static [MemberMeta],
}

impl MessageMeta {
    /// The runtime [`Structure`](crate::structure::Structure) description
    /// of this message, for the matcher and the validator.
    pub fn structure(&self) -> crate::structure::Structure {
        crate::structure::Structure::new(self.structure, nodes(self.members))
    }
}

fn nodes(members: &[MemberMeta]) -> Vec<crate::structure::Node> {
    use crate::structure::Node;
    members
        .iter()
        .map(|m| match m.node {
            NodeMeta::Segment(s) => Node::segment(s.id, m.min, m.max),
            NodeMeta::Group(g) => Node::group(g.name, m.min, m.max, nodes(g.members)),
        })
        .collect()
}

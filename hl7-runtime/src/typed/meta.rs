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

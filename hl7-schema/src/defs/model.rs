//! The model of one HL7 v2 version's definitions.

use std::fmt;
use std::str::FromStr;

/// Usage (optionality) of a field or component, as the standard's OPT column
/// gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Usage {
    /// `R`: required.
    Required,
    /// `RE`: required, but may be empty.
    RequiredOrEmpty,
    /// `O`: optional.
    Optional,
    /// `C`: conditional (the predicate is not recorded).
    Conditional,
    /// `X`: not supported.
    NotSupported,
    /// `B`: retained for backward compatibility.
    BackwardCompatible,
    /// `W`: withdrawn (also used for reserved positions).
    Withdrawn,
    /// `NA`: not applicable / not known.
    NotApplicable,
}

impl Usage {
    /// The code used in the standard and in the definition files.
    pub fn code(self) -> &'static str {
        match self {
            Usage::Required => "R",
            Usage::RequiredOrEmpty => "RE",
            Usage::Optional => "O",
            Usage::Conditional => "C",
            Usage::NotSupported => "X",
            Usage::BackwardCompatible => "B",
            Usage::Withdrawn => "W",
            Usage::NotApplicable => "NA",
        }
    }
}

impl FromStr for Usage {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        Ok(match s {
            "R" => Usage::Required,
            "RE" => Usage::RequiredOrEmpty,
            "O" => Usage::Optional,
            "C" => Usage::Conditional,
            "X" => Usage::NotSupported,
            "B" => Usage::BackwardCompatible,
            "W" => Usage::Withdrawn,
            "NA" => Usage::NotApplicable,
            _ => return Err(()),
        })
    }
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// How often something may occur: `min..max`, `max` `None` for unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cardinality {
    /// Minimum number of occurrences.
    pub min: u32,
    /// Maximum number of occurrences; `None` is unbounded (`*`).
    pub max: Option<u32>,
}

impl Cardinality {
    /// `1..1`
    pub const ONE: Cardinality = Cardinality {
        min: 1,
        max: Some(1),
    };
    /// `0..1`
    pub const OPTIONAL: Cardinality = Cardinality {
        min: 0,
        max: Some(1),
    };

    /// Whether more than one occurrence is allowed.
    pub fn repeats(self) -> bool {
        self.max.is_none_or(|m| m > 1)
    }

    /// Whether at least one occurrence is required.
    pub fn is_required(self) -> bool {
        self.min > 0
    }
}

impl fmt::Display for Cardinality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.max {
            Some(m) => write!(f, "{}..{m}", self.min),
            None => write!(f, "{}..*", self.min),
        }
    }
}

/// A segment definition.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SegmentDef {
    /// Segment id, e.g. `PID`.
    pub id: String,
    /// Short name, e.g. `Patient Identification`.
    pub name: String,
    /// Fields in position order; `fields[i].position == i + 1`.
    pub fields: Vec<FieldDef>,
}

impl SegmentDef {
    /// The field at a 1-based position.
    pub fn field(&self, position: usize) -> Option<&FieldDef> {
        position.checked_sub(1).and_then(|i| self.fields.get(i))
    }
}

/// A field of a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FieldDef {
    /// 1-based position (`PID-5` has position 5).
    pub position: usize,
    /// Short name, e.g. `Patient Name`.
    pub name: String,
    /// Data type code; `None` for a withdrawn or reserved placeholder.
    pub datatype: Option<String>,
    /// Usage code.
    pub usage: Usage,
    /// Repetitions.
    pub repetition: Cardinality,
    /// Maximum length, where known.
    pub length: Option<u32>,
    /// Table number (`0001`), where the field is bound to one.
    pub table: Option<String>,
    /// HL7 data element number (`00108`), where known.
    pub item: Option<String>,
}

impl FieldDef {
    /// A withdrawn or reserved position kept so that positions stay contiguous.
    pub fn is_placeholder(&self) -> bool {
        self.datatype.is_none()
    }
}

/// Primitive or composite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataTypeKind {
    /// No components (`ST`, `ID`, `DTM`, … and `varies`).
    Primitive,
    /// Made of components.
    Composite,
}

/// A data type definition.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DataTypeDef {
    /// Code, e.g. `XPN`.
    pub code: String,
    /// Short name.
    pub name: String,
    /// Primitive or composite.
    pub kind: DataTypeKind,
    /// Components in position order (empty for primitives). A component whose
    /// type is composite has that type's components as subcomponents.
    pub components: Vec<ComponentDef>,
}

impl DataTypeDef {
    /// The component at a 1-based position.
    pub fn component(&self, position: usize) -> Option<&ComponentDef> {
        position.checked_sub(1).and_then(|i| self.components.get(i))
    }
}

/// A component of a composite data type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ComponentDef {
    /// 1-based position.
    pub position: usize,
    /// Short name.
    pub name: String,
    /// Data type code; `None` for a withdrawn placeholder.
    pub datatype: Option<String>,
    /// Usage, where a source gives it.
    pub usage: Option<Usage>,
    /// Maximum length, where known.
    pub length: Option<u32>,
    /// Table number, where the component is bound to one.
    pub table: Option<String>,
}

impl ComponentDef {
    /// A withdrawn position kept so that positions stay contiguous.
    pub fn is_placeholder(&self) -> bool {
        self.datatype.is_none()
    }
}

/// A message structure, e.g. `ADT_A01`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessageStructure {
    /// Structure id.
    pub id: String,
    /// Top-level children in order.
    pub children: Vec<StructureNode>,
}

/// A node of a message structure.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StructureNode {
    /// A segment. The same segment may occur more than once among siblings.
    Segment(SegmentRef),
    /// A group of nodes (or a choice of alternatives).
    Group(Group),
    /// A wildcard: any segment, or any Z segment.
    Any(AnySegment),
}

impl StructureNode {
    /// How often the node may occur.
    pub fn cardinality(&self) -> Cardinality {
        match self {
            StructureNode::Segment(s) => s.cardinality,
            StructureNode::Group(g) => g.cardinality,
            StructureNode::Any(a) => a.cardinality,
        }
    }

    /// The segment id, group name, or `*` / `Z*` for wildcards.
    pub fn name(&self) -> &str {
        match self {
            StructureNode::Segment(s) => &s.id,
            StructureNode::Group(g) => &g.name,
            StructureNode::Any(a) => match a.scope {
                AnyScope::All => "*",
                AnyScope::Z => "Z*",
            },
        }
    }
}

/// A segment in a message structure.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SegmentRef {
    /// Segment id.
    pub id: String,
    /// Occurrences.
    pub cardinality: Cardinality,
}

/// A segment group.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Group {
    /// Group name, e.g. `PATIENT_RESULT`.
    pub name: String,
    /// Occurrences.
    pub cardinality: Cardinality,
    /// Whether exactly one of the children occurs (a choice) rather than all in order.
    pub choice: bool,
    /// Children in order; never empty.
    pub children: Vec<StructureNode>,
}

/// Which segments a wildcard node matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnyScope {
    /// Any segment (the standard's `Hxx` / "any HL7 segment").
    All,
    /// Any Z (locally defined) segment.
    Z,
}

/// A wildcard node.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AnySegment {
    /// What it matches.
    pub scope: AnyScope,
    /// Occurrences.
    pub cardinality: Cardinality,
}

/// A trigger event and the structure its messages use.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Event {
    /// Message type, e.g. `ADT`.
    pub message_type: String,
    /// Trigger event, e.g. `A04`.
    pub trigger: String,
    /// Message structure id, e.g. `ADT_A01`.
    pub structure: String,
}

/// Who defines a table's values (HL7 Terminology's table type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TableKind {
    /// HL7-defined.
    Hl7,
    /// User-defined (values are site-specific).
    User,
    /// Externally defined (a code system HL7 does not maintain).
    External,
    /// HL7-defined, extensible.
    Hl7Extensible,
    /// Imported.
    Imported,
    /// No longer used.
    Unused,
    /// Not in HL7 Terminology.
    Unknown,
}

impl TableKind {
    pub(crate) fn from_code(s: &str) -> Option<Self> {
        Some(match s {
            "HL7" => TableKind::Hl7,
            "User" => TableKind::User,
            "External" => TableKind::External,
            "HL7-EXT" => TableKind::Hl7Extensible,
            "Imported" => TableKind::Imported,
            "Unused" => TableKind::Unused,
            "-" => TableKind::Unknown,
            _ => return None,
        })
    }
}

/// A code table referenced by the version.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Table {
    /// Table number, e.g. `0001`.
    pub id: String,
    /// Name as the version gives it.
    pub name: String,
    /// Who defines the values.
    pub kind: TableKind,
    /// Values from HL7 Terminology (THO); empty where THO has none (most
    /// user-defined tables). THO is not versioned: these are its current
    /// values, with the status and the version a code was deprecated in.
    pub codes: Vec<TableCode>,
}

impl Table {
    /// The value with this code.
    pub fn code(&self, code: &str) -> Option<&TableCode> {
        self.codes.iter().find(|c| c.code == code)
    }
}

/// A value of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TableCode {
    /// The code.
    pub code: String,
    /// Display name (HL7 Terminology, CC0).
    pub display: String,
    /// THO's status: `active`, `deprecated`, `retired`, or a v2 status letter.
    pub status: String,
    /// The HL7 version THO says the code was deprecated in.
    pub deprecated_in: Option<String>,
}

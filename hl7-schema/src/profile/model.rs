//! The conformance-profile model (the IR every loader produces).
//!
//! The shape follows the NIST/IGAMT *library* form: messages hold group
//! trees of segment **references**; segments and data types are *flavors*
//! keyed by an ID in [`Profile::segments`] and [`Profile::datatypes`]. A field
//! or component names its data type by flavor ID, and the components of a
//! component's data type are its sub-components. MWB profiles, which define
//! everything inline, are turned into the same libraries (identical subtrees
//! share one flavor). Site profiles written in TOML are layered on a base
//! version into the same shape.
//!
//! Walk the tree with [`Profile::segment`] and [`Profile::datatype`], or print
//! it with [`Profile::tree`].

use std::collections::BTreeMap;
use std::fmt;

use super::diag::Location;

/// A loaded conformance profile: one or more messages plus the segment and
/// data-type libraries they use, vocabulary, and machine-readable rules.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Profile {
    /// Who wrote it, for which HL7 version, in which format.
    pub meta: ProfileMeta,
    /// The message definitions (static definitions), in file order.
    pub messages: Vec<MessageDef>,
    /// Segment flavors by ID.
    pub segments: BTreeMap<String, SegmentDef>,
    /// Data-type flavors by ID.
    pub datatypes: BTreeMap<String, DatatypeDef>,
    /// Value sets / code tables (NIST ValueSets.xml, MWB table library, site
    /// code lists).
    pub value_sets: ValueSetLibrary,
    /// Value-set bindings addressed by context and path
    /// (NIST ValueSetBindings.xml). Bindings written as attributes on an
    /// element live on [`ElementDef::bindings`] instead.
    pub bindings: Vec<ContextBinding>,
    /// Machine-readable predicates for conditional usage (NIST
    /// Constraints.xml). Where a predicate's target resolves to one element,
    /// that element's usage is also set to `C(a/b)`.
    pub predicates: Vec<Predicate>,
    /// Conformance statements (NIST Constraints.xml).
    pub conformance_statements: Vec<ConformanceStatement>,
    /// Slicings (NIST Slicings.xml), kept raw: loaded, not applied.
    pub slicings: Option<RawElement>,
    /// Co-constraints (NIST CoConstraints.xml), kept raw: loaded, not applied.
    pub co_constraints: Option<RawElement>,
    /// Every file that went into this profile and what it was used for.
    pub sources: Vec<SourceFile>,
}

impl Profile {
    /// The segment flavor with this ID.
    pub fn segment(&self, id: &str) -> Option<&SegmentDef> {
        self.segments.get(id)
    }

    /// The data-type flavor with this ID.
    pub fn datatype(&self, id: &str) -> Option<&DatatypeDef> {
        self.datatypes.get(id)
    }

    /// The message whose ID, structure or `TYPE^EVENT` / `TYPE_EVENT` matches.
    pub fn message(&self, key: &str) -> Option<&MessageDef> {
        self.messages
            .iter()
            .find(|m| m.id == key)
            .or_else(|| self.messages.iter().find(|m| m.matches(key)))
    }

    /// The value set bound under this identifier; a 4-digit HL7 table number
    /// also finds `HL7nnnn` and the reverse.
    pub fn value_set(&self, id: &str) -> Option<&ValueSet> {
        self.value_sets.get(id)
    }

    /// Segment flavors declared by the site (Z segments and site segments).
    pub fn z_segments(&self) -> impl Iterator<Item = &SegmentDef> {
        self.segments.values().filter(|s| s.is_z())
    }

    /// The components of an element's data type (empty for primitives and
    /// unknown types).
    pub fn components_of(&self, element: &ElementDef) -> &[ElementDef] {
        self.datatype(&element.datatype)
            .map_or(&[][..], |d| d.components.as_slice())
    }

    /// Predicates attached to a context (by ID, or by base name).
    pub fn predicates_for<'a>(
        &'a self,
        kind: ContextKind,
        id: &'a str,
        base_name: &'a str,
    ) -> impl Iterator<Item = &'a Predicate> + 'a {
        self.predicates
            .iter()
            .filter(move |p| p.context.matches(kind, id, base_name))
    }

    /// Conformance statements attached to a context (by ID, or by base name).
    pub fn statements_for<'a>(
        &'a self,
        kind: ContextKind,
        id: &'a str,
        base_name: &'a str,
    ) -> impl Iterator<Item = &'a ConformanceStatement> + 'a {
        self.conformance_statements
            .iter()
            .filter(move |p| p.context.matches(kind, id, base_name))
    }

    /// Sidecar bindings attached to a context.
    pub fn bindings_for<'a>(
        &'a self,
        kind: ContextKind,
        id: &'a str,
        base_name: &'a str,
    ) -> impl Iterator<Item = &'a ContextBinding> + 'a {
        self.bindings
            .iter()
            .filter(move |p| p.context.matches(kind, id, base_name))
    }
}

/// The format a profile was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum SourceFormat {
    /// HL7 Messaging Workbench `HL7v2xConformanceProfile` XML.
    #[default]
    Mwb,
    /// MWB table library (`Specification/hl7tables`): vocabulary only.
    MwbTables,
    /// NIST / IGAMT `ConformanceProfile` with its sidecar files.
    Nist,
    /// A TOML site profile layered on a base version.
    Site,
}

impl fmt::Display for SourceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SourceFormat::Mwb => "MWB HL7v2xConformanceProfile",
            SourceFormat::MwbTables => "MWB table library",
            SourceFormat::Nist => "NIST/IGAMT ConformanceProfile",
            SourceFormat::Site => "TOML site profile",
        })
    }
}

/// `HL7` (the standard), `Constrainable`, or `Implementation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProfileType {
    /// The base standard itself.
    Hl7,
    /// Still contains optionality (O, C).
    Constrainable,
    /// Fully constrained.
    Implementation,
}

/// `Sender` or `Receiver` (MWB `Role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The profile describes what a sender sends.
    Sender,
    /// The profile describes what a receiver accepts.
    Receiver,
}

/// Descriptive data of a profile.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ProfileMeta {
    /// Which loader produced the profile.
    pub format: SourceFormat,
    /// `ID` (NIST) or `Identifier` (MWB), e.g. an OID or UUID.
    pub id: Option<String>,
    /// `MetaData/@Name`.
    pub name: Option<String>,
    /// `MetaData/@OrgName`.
    pub organization: Option<String>,
    /// The profile's own version (`MetaData/@Version`), not the HL7 version.
    pub version: Option<String>,
    /// `MetaData/@Status`.
    pub status: Option<String>,
    /// `MetaData/@Topics` (MWB confsig string).
    pub topics: Option<String>,
    /// `MetaData/@Date`.
    pub date: Option<String>,
    /// `MetaData/@SpecificationName`.
    pub specification_name: Option<String>,
    /// HL7 version the profile constrains, e.g. `2.5.1`.
    pub hl7_version: Option<String>,
    /// `HL7`, `Constrainable` or `Implementation`.
    pub profile_type: Option<ProfileType>,
    /// `ER7`, `XML`.
    pub encodings: Vec<String>,
    /// Free-text description, implementation note or use-case purpose.
    pub description: Option<String>,
}

/// One input file of a profile and what the loader did with it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SourceFile {
    /// Path as given or discovered.
    pub path: std::path::PathBuf,
    /// What kind of file it is.
    pub role: FileRole,
    /// Whether its content went into the profile.
    pub used: bool,
}

/// The part a file plays in a (multi-file) profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileRole {
    /// The profile proper (MWB file, NIST Profile.xml, TOML site file).
    Profile,
    /// NIST Constraints.xml.
    Constraints,
    /// NIST ValueSets.xml, or an MWB table library.
    ValueSets,
    /// NIST ValueSetBindings.xml.
    ValueSetBindings,
    /// NIST CoConstraints.xml.
    CoConstraints,
    /// NIST Slicings.xml.
    Slicings,
    /// A base profile a site profile layers on.
    Base,
    /// A file found next to the profile that the loader did not use.
    Ignored,
}

/// One message (an MWB static definition, a NIST `Message`, or a site event).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct MessageDef {
    /// Unique ID within the profile (NIST `ID`; otherwise `TYPE_EVENT`).
    pub id: String,
    /// Display name (NIST `Name`).
    pub name: Option<String>,
    /// MSH-9.1, e.g. `ADT`.
    pub msg_type: String,
    /// MSH-9.2, e.g. `A01`; `ALL` in ACK profiles means any event.
    pub event: String,
    /// MSH-9.3, e.g. `ADT_A01`.
    pub structure: String,
    /// Event description.
    pub description: Option<String>,
    /// MWB `OrderControl` (ORC-1).
    pub order_control: Option<String>,
    /// MWB `Role`.
    pub role: Option<Role>,
    /// MWB static `Identifier`.
    pub identifier: Option<String>,
    /// Acknowledgement behaviour (MWB `DynamicDef`).
    pub dynamic: Option<DynamicDef>,
    /// The top-level segments and groups in order (MSH first).
    pub children: Vec<StructureNode>,
    /// Free text.
    pub notes: Notes,
    /// Declared by a site profile (a site-defined event).
    pub site_defined: bool,
    /// Where it is defined.
    pub location: Option<Location>,
}

impl MessageDef {
    /// `TYPE^EVENT`, e.g. `ADT^A01`.
    pub fn message_type(&self) -> String {
        format!("{}^{}", self.msg_type, self.event)
    }

    /// Does `key` name this message (`ADT^A01`, `ADT_A01` as event or as
    /// structure)?
    pub fn matches(&self, key: &str) -> bool {
        let ev = format!("{}^{}", self.msg_type, self.event);
        let ev_us = format!("{}_{}", self.msg_type, self.event);
        key == ev || key == ev_us || key == self.structure || key == self.id
    }

    /// Depth-first walk over every node of the message tree with its depth
    /// (top level = 0).
    pub fn walk(&self) -> Vec<(usize, &StructureNode)> {
        fn go<'a>(
            nodes: &'a [StructureNode],
            depth: usize,
            out: &mut Vec<(usize, &'a StructureNode)>,
        ) {
            for n in nodes {
                out.push((depth, n));
                if let StructureNode::Group(g) = n {
                    go(&g.children, depth + 1, out);
                }
            }
        }
        let mut out = Vec::new();
        go(&self.children, 0, &mut out);
        out
    }
}

/// Acknowledgement attributes of an MWB `DynamicDef`, kept as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DynamicDef {
    /// `AccAck`: AL, NE, SU, ER.
    pub accept_ack: Option<String>,
    /// `AppAck`: AL, NE, SU, ER.
    pub application_ack: Option<String>,
    /// `MsgAckMode`: Immediate or Deferred.
    pub ack_mode: Option<String>,
    /// `QueryMessageType`.
    pub query_message_type: Option<String>,
    /// `QueryMode`.
    pub query_mode: Option<String>,
}

/// A node of a message tree: a segment reference or a group.
#[derive(Debug, Clone)]
pub enum StructureNode {
    /// A segment at this position.
    Segment(SegmentRef),
    /// A segment group.
    Group(GroupDef),
}

impl StructureNode {
    /// Usage of the segment or group.
    pub fn usage(&self) -> Usage {
        match self {
            StructureNode::Segment(s) => s.usage,
            StructureNode::Group(g) => g.usage,
        }
    }

    /// Cardinality of the segment or group.
    pub fn cardinality(&self) -> Cardinality {
        match self {
            StructureNode::Segment(s) => s.cardinality,
            StructureNode::Group(g) => g.cardinality,
        }
    }
}

/// A segment occurrence in a message or group: refers to a segment flavor.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SegmentRef {
    /// ID in [`Profile::segments`].
    pub segment: String,
    /// The three-letter segment name (copied from the flavor for convenience).
    pub name: String,
    /// Usage at this position.
    pub usage: Usage,
    /// Occurrences at this position.
    pub cardinality: Cardinality,
    /// Free text (MWB notes on the segment element).
    pub notes: Notes,
    /// Declared by a site profile (a Z segment placed by the site).
    pub site_defined: bool,
    /// Where it is declared.
    pub location: Option<Location>,
}

/// A segment group.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GroupDef {
    /// NIST group ID (may be dotted or a hex string); `None` in MWB.
    pub id: Option<String>,
    /// Group name, e.g. `PATIENT_RESULT`.
    pub name: String,
    /// MWB `LongName`.
    pub long_name: Option<String>,
    /// Usage of the group.
    pub usage: Usage,
    /// Occurrences of the group.
    pub cardinality: Cardinality,
    /// Members in order.
    pub children: Vec<StructureNode>,
    /// Free text.
    pub notes: Notes,
    /// Where it is declared.
    pub location: Option<Location>,
}

/// A segment flavor: a base segment (by `name`) with its field definitions.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct SegmentDef {
    /// Flavor ID, unique in the profile (`PID`, `PID_M`, `PID_2`).
    pub id: String,
    /// Three-letter segment name, e.g. `PID` or `ZPI`.
    pub name: String,
    /// NIST `Label`.
    pub label: Option<String>,
    /// Long name / description, e.g. "Patient Identification".
    pub description: Option<String>,
    /// HL7 version the flavor belongs to, when stated.
    pub version: Option<String>,
    /// Fields in position order; `fields[0]` is field 1.
    pub fields: Vec<ElementDef>,
    /// Typing of `varies` fields by another field (OBX-5 by OBX-2).
    pub dynamic_mappings: Vec<DynamicMapping>,
    /// Free text.
    pub notes: Notes,
    /// Declared by a site profile.
    pub site_defined: bool,
    /// Where it is defined.
    pub location: Option<Location>,
}

impl SegmentDef {
    /// Is this a Z segment (name starts with `Z`)?
    pub fn is_z(&self) -> bool {
        self.name.starts_with('Z')
    }

    /// Field at a 1-based position.
    pub fn field(&self, position: u32) -> Option<&ElementDef> {
        self.fields.get((position as usize).checked_sub(1)?)
    }
}

/// A data-type flavor: a base type (by `name`) with its components.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct DatatypeDef {
    /// Flavor ID (`XCN`, `XCN_IZ`, `HD_2`).
    pub id: String,
    /// Base type name, e.g. `XCN`.
    pub name: String,
    /// NIST `Label`.
    pub label: Option<String>,
    /// Long name, e.g. "Extended Composite ID Number and Name for Persons".
    pub description: Option<String>,
    /// HL7 version the flavor belongs to, when stated.
    pub version: Option<String>,
    /// Components in position order; empty for primitive types.
    pub components: Vec<ElementDef>,
    /// Where it is defined.
    pub location: Option<Location>,
}

impl DatatypeDef {
    /// Primitive (no components)?
    pub fn is_primitive(&self) -> bool {
        self.components.is_empty()
    }
}

/// `varies` typing: the type of field `position` is chosen by the value of
/// field `reference` (OBX-5 by OBX-2).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DynamicMapping {
    /// The field whose type varies.
    pub position: u32,
    /// The field carrying the type code, e.g. `2`.
    pub reference: String,
    /// Optional second discriminator, e.g. `3.1`.
    pub second_reference: Option<String>,
    /// Value → data-type flavor ID.
    pub cases: Vec<DynamicCase>,
}

/// One case of a [`DynamicMapping`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DynamicCase {
    /// Value of the reference field, e.g. `CWE`.
    pub value: String,
    /// Value of the second reference, if any.
    pub second_value: Option<String>,
    /// Data-type flavor ID used in that case.
    pub datatype: String,
}

/// A field (of a segment) or a component / sub-component (of a data type).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ElementDef {
    /// 1-based position within the segment or data type.
    pub position: u32,
    /// Human name, e.g. "Patient Identifier List".
    pub name: String,
    /// Usage.
    pub usage: Usage,
    /// Explicit cardinality (fields). `None` for components, whose
    /// cardinality is implied by usage: see [`ElementDef::cardinality`].
    pub explicit_cardinality: Option<Cardinality>,
    /// Data-type flavor ID in [`Profile::datatypes`], e.g. `CX` or `CX_PID3`;
    /// `varies` for OBX-5-style fields.
    pub datatype: String,
    /// Length constraints.
    pub length: LengthSpec,
    /// HL7 / user table number, e.g. `0001` (MWB `Table`).
    pub table: Option<String>,
    /// Value-set bindings written on the element.
    pub bindings: Vec<Binding>,
    /// A fixed value.
    pub constant: Option<String>,
    /// HL7 data element number (`ItemNo`), e.g. `00106`.
    pub item_no: Option<String>,
    /// NIST `Hide`.
    pub hide: bool,
    /// Free text: description, implementation note, reference, predicate
    /// text, example values.
    pub notes: Notes,
    /// Declared by a site profile (a Z field).
    pub site_defined: bool,
    /// Where it is defined.
    pub location: Option<Location>,
}

impl ElementDef {
    /// Explicit cardinality, or the one implied by usage (R → 1..1,
    /// X/W → 0..0, others → 0..1).
    pub fn cardinality(&self) -> Cardinality {
        self.explicit_cardinality
            .unwrap_or_else(|| Cardinality::implied_by(self.usage))
    }

    /// Same definition, ignoring [`ElementDef::location`] (used to share
    /// identical flavors).
    pub(crate) fn same_shape(&self, other: &ElementDef) -> bool {
        self.position == other.position
            && self.name == other.name
            && self.usage == other.usage
            && self.explicit_cardinality == other.explicit_cardinality
            && self.datatype == other.datatype
            && self.length == other.length
            && self.table == other.table
            && self.bindings == other.bindings
            && self.constant == other.constant
            && self.item_no == other.item_no
            && self.hide == other.hide
            && self.notes == other.notes
            && self.site_defined == other.site_defined
    }
}

/// Free-text annotations kept from the source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Notes {
    /// `Description`.
    pub description: Option<String>,
    /// `ImpNote` (implementation note).
    pub imp_note: Option<String>,
    /// `Reference`, usually a chapter number in the base standard.
    pub reference: Option<String>,
    /// Human-readable predicate (MWB `Predicate`, site `when`). Machine
    /// predicates are in [`Profile::predicates`].
    pub predicate: Option<String>,
    /// Example values (MWB `DataValues/@ExValue`); not constraints.
    pub examples: Vec<String>,
}

impl Notes {
    /// No text at all?
    pub fn is_empty(&self) -> bool {
        self.description.is_none()
            && self.imp_note.is_none()
            && self.reference.is_none()
            && self.predicate.is_none()
            && self.examples.is_empty()
    }
}

/// A usage code.
///
/// `C` carries its outcome when it is a *declared* conditional `C(a/b)`
/// (from a NIST predicate or a site profile); a bare `C` is an undeclared
/// conditional with no testable requirement. `CE` is the v2.5–2.7
/// "conditional but may be empty", i.e. C(RE/X) in prose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Usage {
    /// Required.
    R,
    /// Required but may be empty.
    RE,
    /// Optional.
    #[default]
    O,
    /// Conditional; `Some` for a declared `C(true/false)`.
    C(Option<Conditional>),
    /// Conditional but may be empty (v2.5–2.7), C(RE/X) in prose.
    CE,
    /// Not supported: must not be sent.
    X,
    /// Backward compatible.
    B,
    /// Withdrawn: must not be sent.
    W,
    /// IGAMT receiver-side "ignore".
    IX,
    /// Not applicable (`NA` or `-`), e.g. a withdrawn position.
    NA,
}

/// The outcome of a declared conditional `C(if_true/if_false)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Conditional {
    /// Usage when the predicate holds.
    pub if_true: Outcome,
    /// Usage when it does not.
    pub if_false: Outcome,
}

/// A usage a declared conditional can resolve to: R, RE, O or X.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Required.
    R,
    /// Required but may be empty.
    RE,
    /// Optional.
    O,
    /// Not supported.
    X,
}

impl Outcome {
    /// As a plain [`Usage`].
    pub fn usage(self) -> Usage {
        match self {
            Outcome::R => Usage::R,
            Outcome::RE => Usage::RE,
            Outcome::O => Usage::O,
            Outcome::X => Usage::X,
        }
    }

    /// From R, RE, O or X; `None` for any other usage.
    pub fn from_usage(u: Usage) -> Option<Outcome> {
        match u {
            Usage::R => Some(Outcome::R),
            Usage::RE => Some(Outcome::RE),
            Usage::O => Some(Outcome::O),
            Usage::X => Some(Outcome::X),
            _ => None,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.usage().fmt(f)
    }
}

impl Usage {
    /// Parses `R`, `RE`, `O`, `C`, `CE`, `C(R/X)`, `X`, `B`, `W`, `IX`, `NA`,
    /// `-` (case-insensitive, surrounding blanks ignored).
    pub fn parse(s: &str) -> Option<Usage> {
        let t = s.trim().to_ascii_uppercase();
        Some(match t.as_str() {
            "R" => Usage::R,
            "RE" => Usage::RE,
            "O" => Usage::O,
            "C" => Usage::C(None),
            "CE" => Usage::CE,
            "X" => Usage::X,
            "B" => Usage::B,
            "W" => Usage::W,
            "IX" => Usage::IX,
            "NA" | "-" | "N/A" => Usage::NA,
            _ => {
                let inner = t.strip_prefix("C(")?.strip_suffix(')')?;
                let (a, b) = inner.split_once('/')?;
                let a = Outcome::from_usage(Usage::parse(a)?)?;
                let b = Outcome::from_usage(Usage::parse(b)?)?;
                if a == b {
                    return None;
                }
                Usage::C(Some(Conditional {
                    if_true: a,
                    if_false: b,
                }))
            }
        })
    }

    /// One of R, RE, O, X (the outcomes a `C(a/b)` may take).
    pub fn is_simple(self) -> bool {
        matches!(self, Usage::R | Usage::RE | Usage::O | Usage::X)
    }

    /// Must not be sent (X, W).
    pub fn forbids(self) -> bool {
        matches!(self, Usage::X | Usage::W)
    }

    /// How strongly the element is demanded, for "does the site loosen the
    /// base" checks: R 4, RE 3, C/CE 2, O/B/IX/NA 1, X/W 0.
    pub(crate) fn strength(self) -> u8 {
        match self {
            Usage::R => 4,
            Usage::RE => 3,
            Usage::C(_) | Usage::CE => 2,
            Usage::O | Usage::B | Usage::IX | Usage::NA => 1,
            Usage::X | Usage::W => 0,
        }
    }
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Usage::R => f.write_str("R"),
            Usage::RE => f.write_str("RE"),
            Usage::O => f.write_str("O"),
            Usage::C(None) => f.write_str("C"),
            Usage::C(Some(c)) => write!(f, "C({}/{})", c.if_true, c.if_false),
            Usage::CE => f.write_str("CE"),
            Usage::X => f.write_str("X"),
            Usage::B => f.write_str("B"),
            Usage::W => f.write_str("W"),
            Usage::IX => f.write_str("IX"),
            Usage::NA => f.write_str("NA"),
        }
    }
}

/// Minimum and maximum occurrences; `max == None` is `*` (unbounded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cardinality {
    /// Minimum occurrences.
    pub min: u32,
    /// Maximum occurrences; `None` = unbounded (`*`).
    pub max: Option<u32>,
}

impl Default for Cardinality {
    fn default() -> Self {
        Cardinality {
            min: 0,
            max: Some(1),
        }
    }
}

impl Cardinality {
    /// `[min..max]`.
    pub fn new(min: u32, max: Option<u32>) -> Self {
        Cardinality { min, max }
    }

    /// The methodology's implicit cardinality of components: R → 1..1,
    /// X/W → 0..0, otherwise 0..1.
    pub fn implied_by(usage: Usage) -> Self {
        match usage {
            Usage::R => Cardinality::new(1, Some(1)),
            Usage::X | Usage::W => Cardinality::new(0, Some(0)),
            _ => Cardinality::new(0, Some(1)),
        }
    }

    /// May repeat (max > 1 or unbounded)?
    pub fn repeats(self) -> bool {
        self.max.is_none_or(|m| m > 1)
    }
}

impl fmt::Display for Cardinality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.max {
            Some(m) => write!(f, "[{}..{}]", self.min, m),
            None => write!(f, "[{}..*]", self.min),
        }
    }
}

/// Length constraints of a primitive element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LengthSpec {
    /// Minimum length (NIST `MinLength`).
    pub min: Option<u32>,
    /// Maximum length (MWB `Length`, NIST `MaxLength`).
    pub max: Option<Bound>,
    /// Conformance length (NIST `ConfLength`).
    pub conf: Option<ConfLength>,
}

impl LengthSpec {
    /// No length given at all?
    pub fn is_unspecified(&self) -> bool {
        self.min.is_none() && self.max.is_none() && self.conf.is_none()
    }
}

impl fmt::Display for LengthSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        match (self.min, self.max) {
            (Some(min), Some(Bound::Limit(max))) => parts.push(format!("len {min}..{max}")),
            (Some(min), Some(Bound::Unbounded)) => parts.push(format!("len {min}..*")),
            (None, Some(Bound::Limit(max))) => parts.push(format!("len {max}")),
            (Some(min), None) => parts.push(format!("len {min}..")),
            _ => {}
        }
        if let Some(c) = self.conf {
            parts.push(format!("conf {c}"));
        }
        f.write_str(&parts.join(" "))
    }
}

/// An upper limit that may be unbounded (`*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bound {
    /// At most this many.
    Limit(u32),
    /// No limit (`*`).
    Unbounded,
}

impl Bound {
    /// The limit, `None` when unbounded.
    pub fn limit(self) -> Option<u32> {
        match self {
            Bound::Limit(n) => Some(n),
            Bound::Unbounded => None,
        }
    }

    /// From a maximum where `None` means unbounded.
    pub fn from_max(max: Option<u32>) -> Bound {
        max.map_or(Bound::Unbounded, Bound::Limit)
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bound::Limit(n) => write!(f, "{n}"),
            Bound::Unbounded => f.write_str("*"),
        }
    }
}

/// A conformance length: a maximum with a truncation rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConfLength {
    /// The length.
    pub length: u32,
    /// `#` may truncate, `=` must not; `None` when not stated.
    pub truncation: Option<Truncation>,
}

impl fmt::Display for ConfLength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.length)?;
        match self.truncation {
            Some(Truncation::MayTruncate) => f.write_str("#"),
            Some(Truncation::MustNotTruncate) => f.write_str("="),
            None => Ok(()),
        }
    }
}

/// Truncation rule of a [`ConfLength`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Truncation {
    /// `#`: the value may be truncated.
    MayTruncate,
    /// `=`: the value must not be truncated.
    MustNotTruncate,
}

/// A value-set binding on an element.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Binding {
    /// Binding identifiers (value-set IDs), e.g. `HL70001`, `PHVS_Race`.
    pub value_sets: Vec<String>,
    /// `R` required, `S` suggested, `U` unspecified.
    pub strength: Option<BindingStrength>,
    /// Where the code sits inside a composite (empty = the element itself).
    pub locations: Vec<BindingLocation>,
}

/// Binding strength.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BindingStrength {
    /// `R`: the code must be in the set.
    Required,
    /// `S`: suggested.
    Suggested,
    /// `U`: unspecified.
    Unspecified,
}

impl BindingStrength {
    /// Parses `R`, `S`, `U`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "R" | "r" => Some(BindingStrength::Required),
            "S" | "s" => Some(BindingStrength::Suggested),
            "U" | "u" => Some(BindingStrength::Unspecified),
            _ => None,
        }
    }
}

impl fmt::Display for BindingStrength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BindingStrength::Required => "R",
            BindingStrength::Suggested => "S",
            BindingStrength::Unspecified => "U",
        })
    }
}

/// Where in a composite the bound code sits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BindingLocation {
    /// Path of the code, e.g. `.` or `1[1]` or `1`.
    Simple(String),
    /// Paths of the code and of its code system, e.g. `1[1]` and `3[1]`.
    Complex {
        /// Path of the code.
        code: String,
        /// Path of the code system.
        code_system: String,
    },
}

/// A binding addressed by context and path (NIST ValueSetBindings.xml).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ContextBinding {
    /// The flavor or message the path is relative to.
    pub context: Context,
    /// Positional path, e.g. `8[*]`.
    pub target: String,
    /// The binding.
    pub binding: Binding,
    /// Single-code bindings (`SingleCodeBinding`): (code, code system).
    pub single_codes: Vec<(String, Option<String>)>,
    /// Where it is declared.
    pub location: Option<Location>,
}

/// What a context-bound rule is attached to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Context {
    /// Datatype, segment, group or message.
    pub kind: ContextKind,
    /// By flavor/group/message ID, or by base name (all flavors).
    pub key: ContextKey,
}

impl Context {
    /// Does this context select an item of `kind` with this ID / base name?
    pub fn matches(&self, kind: ContextKind, id: &str, base_name: &str) -> bool {
        self.kind == kind
            && match &self.key {
                ContextKey::Id(i) => i == id,
                ContextKey::Name(n) => n == base_name,
            }
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            ContextKind::Datatype => "Datatype",
            ContextKind::Segment => "Segment",
            ContextKind::Group => "Group",
            ContextKind::Message => "Message",
        };
        match &self.key {
            ContextKey::Id(i) => write!(f, "{kind} ID {i}"),
            ContextKey::Name(n) => write!(f, "{kind} name {n}"),
        }
    }
}

/// The kind of item a [`Context`] selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContextKind {
    /// A data-type flavor.
    Datatype,
    /// A segment flavor.
    Segment,
    /// A group.
    Group,
    /// A message.
    Message,
}

/// How a [`Context`] selects: by ID or by base name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ContextKey {
    /// `ByID ID=…`.
    Id(String),
    /// `ByName Name=…`.
    Name(String),
}

/// A machine-readable predicate: usage `true_usage` when `condition` holds,
/// else `false_usage`, for the element at `target`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Predicate {
    /// Context the target path is relative to.
    pub context: Context,
    /// Optional ID.
    pub id: Option<String>,
    /// Positional path, e.g. `6[1]`.
    pub target: String,
    /// Usage when the condition holds.
    pub true_usage: Usage,
    /// Usage when it does not.
    pub false_usage: Usage,
    /// Human-readable text.
    pub description: Option<String>,
    /// The condition; `None` when the source had only text.
    pub condition: Option<Expr>,
    /// Where it is declared.
    pub location: Option<Location>,
}

/// `SHALL` or `SHOULD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strength {
    /// Failure is an error.
    Shall,
    /// Failure is a warning.
    Should,
}

/// A conformance statement (NIST `Constraint`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConformanceStatement {
    /// Context the paths are relative to.
    pub context: Context,
    /// Statement ID, e.g. `MSH-5`.
    pub id: Option<String>,
    /// Optional target path.
    pub target: Option<String>,
    /// `SHALL` / `SHOULD`.
    pub strength: Option<Strength>,
    /// Optional classification.
    pub classification: Option<String>,
    /// Human-readable text.
    pub description: Option<String>,
    /// The assertion.
    pub assertion: Option<Expr>,
    /// Where it is declared.
    pub location: Option<Location>,
}

/// What a leaf test does when the path is not present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotPresent {
    /// Passes.
    Pass,
    /// Fails.
    Fail,
    /// Inconclusive.
    Inconclusive,
}

/// A NIST expression (predicate condition or statement assertion). Paths
/// are positional, relative to the context (`2[1].1[1]`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expr {
    /// The element at `path` is present.
    Presence {
        /// Path.
        path: String,
    },
    /// The value equals `text`.
    PlainText {
        /// Path.
        path: String,
        /// Expected text.
        text: String,
        /// Compare ignoring case.
        ignore_case: bool,
        /// True if one occurrence suffices.
        at_least_once: bool,
        /// Behaviour when absent.
        not_present: Option<NotPresent>,
    },
    /// The value matches `regex`.
    Format {
        /// Path.
        path: String,
        /// Regular expression (Java syntax).
        regex: String,
        /// True if one occurrence suffices.
        at_least_once: bool,
        /// Behaviour when absent.
        not_present: Option<NotPresent>,
    },
    /// The value is one of `values`.
    StringList {
        /// Path.
        path: String,
        /// Allowed values.
        values: Vec<String>,
        /// Compare ignoring case.
        ignore_case: bool,
        /// Behaviour when absent.
        not_present: Option<NotPresent>,
    },
    /// The value is one of the numbers.
    NumberList {
        /// Path.
        path: String,
        /// Allowed numbers, as written.
        values: Vec<String>,
        /// Behaviour when absent.
        not_present: Option<NotPresent>,
    },
    /// Compare the value with a literal.
    SimpleValue {
        /// Path.
        path: String,
        /// EQ, NE, GT, LT, GE, LE.
        operator: String,
        /// Literal.
        value: String,
        /// String, Number, Date, …
        value_type: Option<String>,
        /// Behaviour when absent.
        not_present: Option<NotPresent>,
    },
    /// Compare two values.
    PathValue {
        /// Left path.
        path1: String,
        /// EQ, NE, …
        operator: String,
        /// Right path.
        path2: String,
        /// Behaviour when absent.
        not_present: Option<NotPresent>,
    },
    /// The value is in a value set.
    ValueSet {
        /// Path.
        path: String,
        /// Value-set ID.
        value_set: String,
        /// Binding strength.
        strength: Option<BindingStrength>,
        /// Binding location, as written.
        location: Option<String>,
    },
    /// Sequential set IDs.
    SetId {
        /// Path.
        path: String,
    },
    /// Negation.
    Not(Box<Expr>),
    /// All hold.
    And(Vec<Expr>),
    /// Any holds.
    Or(Vec<Expr>),
    /// Exactly one holds.
    Xor(Vec<Expr>),
    /// `first` implies `second`.
    Imply(Box<Expr>, Box<Expr>),
    /// All hold (NIST FORALL).
    ForAll(Vec<Expr>),
    /// One holds (NIST EXIST).
    Exist(Vec<Expr>),
    /// A validator plugin.
    Plugin {
        /// Java class.
        class: String,
    },
    /// Anything else, kept raw (e.g. `IZSetID`, `StringFormat`, `SubContext`).
    Other(RawElement),
}

/// An XML element kept as written (slicings, co-constraints, unknown
/// expressions).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RawElement {
    /// Element name.
    pub name: String,
    /// Attributes in order.
    pub attributes: Vec<(String, String)>,
    /// Child elements.
    pub children: Vec<RawElement>,
    /// Text content (whitespace-normalised).
    pub text: String,
}

impl RawElement {
    /// Attribute value by name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A library of value sets / code tables.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ValueSetLibrary {
    /// `ValueSetLibraryIdentifier`.
    pub id: Option<String>,
    /// Binding identifiers that are deliberately not validated.
    pub no_validation: Vec<String>,
    /// Value sets by binding identifier.
    pub sets: BTreeMap<String, ValueSet>,
}

impl ValueSetLibrary {
    /// The value set with this ID; `0001` also finds `HL70001` and the
    /// reverse.
    pub fn get(&self, id: &str) -> Option<&ValueSet> {
        if let Some(v) = self.sets.get(id) {
            return Some(v);
        }
        if let Some(num) = id.strip_prefix("HL7") {
            return self.sets.get(num);
        }
        if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
            return self.sets.get(&format!("HL7{id}"));
        }
        None
    }

    /// Is this ID known (see [`ValueSetLibrary::get`]) or on the
    /// no-validation list?
    pub fn knows(&self, id: &str) -> bool {
        self.get(id).is_some() || self.no_validation.iter().any(|n| n == id)
    }
}

/// A value set or code table.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ValueSet {
    /// Binding identifier, e.g. `HL70001`, `0001`, `acme-vip`.
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// OID.
    pub oid: Option<String>,
    /// Static / Dynamic.
    pub stability: Option<String>,
    /// Open / Closed.
    pub extensibility: Option<String>,
    /// Extensional / Intensional.
    pub content_definition: Option<String>,
    /// Library group (`ValueSetDefinitions/@Group`), or MWB table type
    /// (`HL7` / `USER`).
    pub group: Option<String>,
    /// The codes.
    pub codes: Vec<Code>,
    /// Declared by a site profile.
    pub site_defined: bool,
    /// Where it is defined.
    pub location: Option<Location>,
}

impl ValueSet {
    /// Does the set list this code (and not as excluded)?
    pub fn contains(&self, code: &str) -> bool {
        self.codes
            .iter()
            .any(|c| c.value == code && c.usage != Some(CodeUsage::Excluded))
    }
}

/// One code of a [`ValueSet`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Code {
    /// The code.
    pub value: String,
    /// Display name / description.
    pub display: Option<String>,
    /// Code system, e.g. `HL70001`.
    pub code_system: Option<String>,
    /// Code-system version.
    pub code_system_version: Option<String>,
    /// R (required), P (permitted), E (excluded).
    pub usage: Option<CodeUsage>,
    /// Comments.
    pub comments: Option<String>,
}

/// Usage of one code in a value set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeUsage {
    /// `R`: must be supported.
    Required,
    /// `P`: permitted.
    Permitted,
    /// `E`: excluded.
    Excluded,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_round_trips() {
        for s in [
            "R", "RE", "O", "C", "CE", "X", "B", "W", "IX", "NA", "C(R/X)", "C(RE/O)",
        ] {
            let u = Usage::parse(s).unwrap();
            assert_eq!(u.to_string(), s);
        }
        assert_eq!(Usage::parse("-"), Some(Usage::NA));
        assert_eq!(Usage::parse("c(r/x)").unwrap().to_string(), "C(R/X)");
        assert_eq!(Usage::parse("C(R/R)"), None);
        assert_eq!(Usage::parse("C(C/X)"), None);
        assert_eq!(Usage::parse("Q"), None);
    }

    #[test]
    fn cardinality_display_and_implied() {
        assert_eq!(Cardinality::new(1, None).to_string(), "[1..*]");
        assert_eq!(
            Cardinality::implied_by(Usage::R),
            Cardinality::new(1, Some(1))
        );
        assert_eq!(
            Cardinality::implied_by(Usage::X),
            Cardinality::new(0, Some(0))
        );
        assert!(Cardinality::new(0, None).repeats());
        assert!(!Cardinality::new(0, Some(1)).repeats());
    }
}

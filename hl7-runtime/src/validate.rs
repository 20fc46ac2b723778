//! Validating messages against conformance profiles.
//!
//! A [`Validator`] checks parsed messages against one
//! [`Profile`]: a TOML site profile, an MWB or
//! NIST/IGAMT profile, or the standard structure of a bundled HL7 version
//! (built with [`structure_profile`](hl7_schema::profile::structure_profile)).
//! A [`Catalog`] holds several profiles (a directory of them, or a base
//! version) and picks one per message, for mixed feeds.
//!
//! Findings are data, not errors: [`Validator::validate`] returns a
//! [`Report`] holding every [`Finding`] (up to [`Options::max_findings`]),
//! each with a [`Severity`], a [`Code`] (HL7 table 0357 where one applies),
//! a [`Location`] and a message.
//!
//! ```
//! use hl7_runtime::er7::Message;
//! use hl7_runtime::validate::{Code, Validator};
//! use hl7_schema::profile::structure_profile;
//!
//! let profile = structure_profile("2.5.1", "ADT_A01")?;
//! let validator = Validator::new(profile);
//! let msg = Message::parse(b"MSH|^~\\&|A|B|C|D|20260101||ADT^A01^ADT_A01|1|P|2.5.1\rEVN||20260101\rPID|1||42^^^H^MR||DOE^J||2026013x\r")?;
//! let report = validator.validate(&msg);
//! // PV1 is required; PID-7 is not a date.
//! assert!(report.findings.iter().any(|f| f.code == Code::SegmentSequence));
//! let bad_date = report.findings.iter().find(|f| f.code == Code::DataType).unwrap();
//! assert_eq!(bad_date.location.path, "PID[1]-7.1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is checked
//!
//! * **Header**: MSH-9.1 against the profile's message type (200), MSH-9.2
//!   against its event (201; `ALL` matches any), MSH-9.3 against its
//!   structure (`structure`, a warning), MSH-12.1 against the profile's HL7
//!   version (203).
//! * **Structure**: segments are matched to the profile's groups with
//!   [`crate::structure`]. A segment that fits nowhere, out of order or a Z
//!   segment the profile does not declare, is 100. A missing required
//!   segment or group is 100; too many or too few occurrences is
//!   `cardinality`.
//! * **Usage** at every level (segment, group, field, component,
//!   sub-component), and for children only when their parent is present:
//!   `R` missing is 101 (100 for segments and groups); `RE` missing is
//!   `usage-re` (a warning); `X` and `W` present are `not-supported`; `O`,
//!   `B`, `IX` and undeclared `C`/`CE` are not checked. A declared `C(a/b)`
//!   is resolved by evaluating its machine-readable predicate (NIST
//!   Constraints.xml); when the predicate cannot be evaluated the element is
//!   treated as optional.
//! * **Cardinality** of fields (repetitions): `cardinality`. Only
//!   non-empty repetitions count; `""` (the HL7 null) counts as present.
//! * **Lengths**: `length`. See [Lengths](#lengths).
//! * **Formats** of primitive values by base data type: NM, SI, DT, TM,
//!   DTM (and a primitive TS) with precision and UTC offset, ID and IS: 102.
//!   Values that are not valid in their escaping are `escape`.
//! * **Value bindings**: HL7 tables of the profile's version (only tables
//!   HL7 defines and lists codes for; user-defined tables are checked only
//!   when the profile supplies codes), site code lists and NIST value sets:
//!   103. A binding of strength `S` or `U`, or an extensible HL7 table, gives
//!   a warning instead of an error. A composite's binding applies to its
//!   first component unless the binding names a location.
//! * **Constants**: `constant`, compared with the escaped value as written.
//! * **Extra content**: fields or components beyond the profile's
//!   definition that carry a value: `extra`.
//! * **Conformance statements** (NIST): evaluated in their context
//!   (message, group, segment or data type); a failed `SHALL` is an error,
//!   a failed `SHOULD` a warning: `statement`. A statement that cannot be
//!   evaluated (a plugin, an unknown expression) is reported once per
//!   message as `inconclusive` (info).
//!
//! # Lengths
//!
//! By default, the length of a **primitive** value is measured on the
//! **decoded** value, in characters: `\F\` counts as one character, a
//! multi-byte UTF-8 character as one. This is what the conformance
//! methodology means by the length of a value. [`LengthMode::Escaped`]
//! measures the bytes as written instead (what HAPI does). The maximum is
//! `MaxLength` (MWB `Length`), else the conformance length; `MinLength` is
//! checked too. The length of a **composite** (given by the base versions up
//! to 2.6 on composite fields) is the length of the whole encoded
//! repetition, separators included, in both modes.
//!
//! # Locations
//!
//! [`Location::path`] is `SEG[occurrence]-field[repetition].component.sub`,
//! e.g. `OBX[3]-5.1` (the repetition is shown from the second on). A missing
//! segment or group is named by its group path, e.g.
//! `PATIENT_RESULT[1].ORDER_OBSERVATION[2].OBR`, and located at the segment
//! where it was expected. [`Location::line`] is the segment's line **in the
//! message** (MSH is line 1), [`Location::column`] the 1-based byte column in
//! that segment, [`Location::offset`] the byte offset **in the input** the
//! message was read from.
//!
//! # Severities
//!
//! Each code has a default severity ([`Code::default_severity`]; a few
//! findings choose their own, such as a `SHOULD` statement). A [`Policy`]
//! overrides severities per code, like NIST's classification overrides.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path as FsPath, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use hl7_schema::defs::{TableKind, Version};
use hl7_schema::profile::{
    Binding, BindingLocation, BindingStrength, Bound, Cardinality, ContextKind, ElementDef, Expr,
    MessageDef, NotPresent, Profile, Strength, StructureNode, Usage,
};

use crate::er7::{Delimiters, Level, Message, Segment, Value};
use crate::structure::{Instance, Item, Matched, Structure, match_segments};

mod select;

pub use select::{Catalog, CatalogError};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// For information; never makes a message invalid.
    Info,
    /// Should be looked at; does not make a message invalid.
    Warning,
    /// The message does not conform.
    Error,
}

impl Severity {
    /// `error`, `warning` or `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "error" | "e" => Ok(Severity::Error),
            "warning" | "warn" | "w" => Ok(Severity::Warning),
            "info" | "i" | "information" | "informational" => Ok(Severity::Info),
            other => Err(format!(
                "unknown severity `{other}`: use error, warning or info"
            )),
        }
    }
}

/// What a finding is about. Codes from HL7 table 0357 print as their number;
/// the project's own codes print as a short name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Code {
    /// 100: a segment is out of order, unexpected (undeclared Z segments
    /// included), or a required segment or group is missing.
    SegmentSequence,
    /// 101: a required field, component or sub-component is missing.
    RequiredFieldMissing,
    /// 102: a value does not have the format of its data type.
    DataType,
    /// 103: a code is not in its table or value set.
    TableValue,
    /// 200: the profile does not support the message type (MSH-9.1).
    UnsupportedMessageType,
    /// 201: the profile does not support the event (MSH-9.2).
    UnsupportedEvent,
    /// 203: the profile does not support the version (MSH-12).
    UnsupportedVersion,
    /// 207: the profile could not be applied (an element refers to an
    /// undefined segment or data type).
    InternalError,
    /// `not-supported`: an element with usage X or W is present.
    NotSupported,
    /// `usage-re`: an RE element is empty.
    RequiredButEmpty,
    /// `cardinality`: too many or too few occurrences.
    Cardinality,
    /// `length`: a value is too long or too short.
    Length,
    /// `constant`: a value differs from the profile's constant.
    Constant,
    /// `extra`: a value where the profile defines no element.
    Extra,
    /// `escape`: a malformed escape sequence or bytes invalid in the
    /// character set.
    Escape,
    /// `structure`: MSH-9.3 names another structure than the profile's.
    Structure,
    /// `statement`: a conformance statement does not hold.
    Statement,
    /// `inconclusive`: a conformance statement could not be evaluated.
    Inconclusive,
    /// `unparseable`: the message could not be parsed.
    Unparseable,
    /// `truncated`: more findings than [`Options::max_findings`].
    Truncated,
}

impl Code {
    /// Every code, in order.
    pub const ALL: [Code; 20] = [
        Code::SegmentSequence,
        Code::RequiredFieldMissing,
        Code::DataType,
        Code::TableValue,
        Code::UnsupportedMessageType,
        Code::UnsupportedEvent,
        Code::UnsupportedVersion,
        Code::InternalError,
        Code::NotSupported,
        Code::RequiredButEmpty,
        Code::Cardinality,
        Code::Length,
        Code::Constant,
        Code::Extra,
        Code::Escape,
        Code::Structure,
        Code::Statement,
        Code::Inconclusive,
        Code::Unparseable,
        Code::Truncated,
    ];

    /// The code as written in reports: `101`, `length`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::SegmentSequence => "100",
            Code::RequiredFieldMissing => "101",
            Code::DataType => "102",
            Code::TableValue => "103",
            Code::UnsupportedMessageType => "200",
            Code::UnsupportedEvent => "201",
            Code::UnsupportedVersion => "203",
            Code::InternalError => "207",
            Code::NotSupported => "not-supported",
            Code::RequiredButEmpty => "usage-re",
            Code::Cardinality => "cardinality",
            Code::Length => "length",
            Code::Constant => "constant",
            Code::Extra => "extra",
            Code::Escape => "escape",
            Code::Structure => "structure",
            Code::Statement => "statement",
            Code::Inconclusive => "inconclusive",
            Code::Unparseable => "unparseable",
            Code::Truncated => "truncated",
        }
    }

    /// The HL7 table 0357 code, for ERR-3 in an ACK: the code itself for
    /// 0357 codes, 207 for the project's own error codes.
    pub fn hl7_code(self) -> u16 {
        match self {
            Code::SegmentSequence => 100,
            Code::RequiredFieldMissing => 101,
            Code::DataType | Code::Length | Code::Constant | Code::Escape => 102,
            Code::TableValue => 103,
            Code::UnsupportedMessageType | Code::Structure => 200,
            Code::UnsupportedEvent => 201,
            Code::UnsupportedVersion => 203,
            _ => 207,
        }
    }

    /// The severity used unless a [`Policy`] says otherwise.
    pub fn default_severity(self) -> Severity {
        match self {
            Code::RequiredButEmpty | Code::Length | Code::Escape | Code::Structure => {
                Severity::Warning
            }
            Code::Inconclusive | Code::Truncated => Severity::Info,
            _ => Severity::Error,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Code {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        Code::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let all: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
                format!("unknown finding code `{s}`; codes: {}", all.join(", "))
            })
    }
}

/// Where a finding is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// `PID[1]-3[2].4`, `ORDER_OBSERVATION[2].OBR`, `MSH[1]-9.2`.
    pub path: String,
    /// Position of the segment in the message, from 0, when in one.
    pub segment: Option<usize>,
    /// Line of the segment in the message, from 1 (MSH is 1).
    pub line: usize,
    /// Byte column in the segment, from 1.
    pub column: usize,
    /// Byte offset in the input the message was read from.
    pub offset: usize,
    /// Number of bytes of the offending value (0 for a missing one).
    pub len: usize,
}

/// One validation finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How serious it is (after the [`Policy`]).
    pub severity: Severity,
    /// What it is about.
    pub code: Code,
    /// Where it is.
    pub location: Location,
    /// What is wrong, for people.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}[{}] {}: {}",
            self.severity, self.code, self.location.path, self.message
        )
    }
}

/// The findings for one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The profile used (its name, ID or file), when one was found.
    pub profile: Option<String>,
    /// MSH-9 as written.
    pub message_type: Option<String>,
    /// MSH-10.
    pub control_id: Option<String>,
    /// Every finding, in message order within each check, at most
    /// [`Options::max_findings`] plus one `truncated` note.
    pub findings: Vec<Finding>,
    /// How many findings were left out because of the cap. They are
    /// counted up to ten times [`Options::max_findings`]; past that
    /// validation stops and this is a lower bound (the `truncated` note
    /// says "at least").
    pub suppressed: usize,
}

impl Report {
    /// No finding of severity error?
    pub fn is_valid(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// Number of findings of a severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Does any finding have this code and path?
    pub fn has(&self, code: Code, path: &str) -> bool {
        self.findings
            .iter()
            .any(|f| f.code == code && f.location.path == path)
    }
}

/// Severity overrides per code: a site's policy.
///
/// ```
/// use hl7_runtime::validate::{Code, Policy, Severity};
///
/// let p: Policy = "length = warning\nnot-supported = warning # CDC style\n100=info".parse()?;
/// assert_eq!(p.severity(Code::SegmentSequence), Severity::Info);
/// assert_eq!(p.severity(Code::RequiredFieldMissing), Severity::Error);
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    overrides: HashMap<Code, Severity>,
}

impl Policy {
    /// Sets the severity of one code.
    pub fn set(&mut self, code: Code, severity: Severity) -> &mut Self {
        self.overrides.insert(code, severity);
        self
    }

    /// The override for a code, if any.
    pub fn get(&self, code: Code) -> Option<Severity> {
        self.overrides.get(&code).copied()
    }

    /// The severity of a code: its override or its default.
    pub fn severity(&self, code: Code) -> Severity {
        self.get(code).unwrap_or_else(|| code.default_severity())
    }

    /// Parses `code = severity` entries, one per line or separated by
    /// commas; `#` starts a comment; quotes around either side are ignored
    /// (so a TOML table of strings works, e.g. `"101" = "warning"`).
    ///
    /// # Errors
    ///
    /// An unknown code or severity, or an entry without `=`.
    pub fn parse(text: &str) -> Result<Policy, String> {
        let mut p = Policy::default();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            for entry in line.split(',') {
                let entry = entry.trim();
                if entry.is_empty() || entry.starts_with('[') {
                    continue;
                }
                let (k, v) = entry
                    .split_once('=')
                    .ok_or_else(|| format!("`{entry}`: expected `code = severity`"))?;
                let unq = |s: &str| s.trim().trim_matches('"').trim_matches('\'').to_owned();
                p.set(unq(k).parse()?, unq(v).parse()?);
            }
        }
        Ok(p)
    }
}

impl FromStr for Policy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Policy::parse(s)
    }
}

/// How lengths are measured; see [Lengths](self#lengths).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LengthMode {
    /// Characters of the decoded value (the default).
    #[default]
    Decoded,
    /// Bytes as written, escape sequences included (HAPI's way).
    Escaped,
}

/// Validation options.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// At most this many findings per message (default 100); one
    /// `truncated` note says how many more there were.
    pub max_findings: usize,
    /// Severity overrides.
    pub policy: Policy,
    /// How lengths are measured.
    pub length: LengthMode,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_findings: 100,
            policy: Policy::default(),
            length: LengthMode::Decoded,
        }
    }
}

impl Options {
    /// Sets [`Options::max_findings`].
    #[must_use]
    pub fn max_findings(mut self, n: usize) -> Self {
        self.max_findings = n;
        self
    }

    /// Sets [`Options::policy`].
    #[must_use]
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Sets [`Options::length`].
    #[must_use]
    pub fn length(mut self, mode: LengthMode) -> Self {
        self.length = mode;
        self
    }
}

/// FNV-1a: code lists are probed with short codes on every coded value,
/// where SipHash's setup dominates.
#[derive(Default, Clone, Copy)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// A set of codes, probed with the bytes of a value: codes of up to seven
/// bytes are packed into a `u64` (no string comparison), longer ones are
/// kept as bytes.
#[derive(Debug, Default)]
struct CodeSet {
    /// The packed short codes of a small list, searched in order (one or
    /// two cache lines, no hashing); empty when the list is large.
    few: Vec<u64>,
    short: HashSet<u64, std::hash::BuildHasherDefault<Mix>>,
    long: HashSet<Box<[u8]>, std::hash::BuildHasherDefault<Fnv>>,
}

/// Lists with at most this many short codes are searched in order.
const FEW: usize = 16;

/// A code of up to seven bytes as a `u64`: the bytes, then the length in
/// the top byte (so `A` and `A\0` differ).
fn pack(code: &[u8]) -> Option<u64> {
    if code.len() > 7 {
        return None;
    }
    // Shifts, not a copy into an array: a variable-length store read back
    // as one word stalls store forwarding.
    let mut k = (code.len() as u64) << 56;
    for (i, &b) in code.iter().enumerate() {
        k |= u64::from(b) << (8 * i);
    }
    Some(k)
}

impl CodeSet {
    fn insert(&mut self, code: &str) {
        match pack(code.as_bytes()) {
            Some(k) => {
                self.short.insert(k);
            }
            None => {
                self.long.insert(code.as_bytes().into());
            }
        }
    }

    fn contains(&self, code: &[u8]) -> bool {
        match pack(code) {
            Some(k) if self.short.len() <= FEW => self.few.contains(&k),
            Some(k) => self.short.contains(&k),
            None => self.long.contains(code),
        }
    }
}

impl<'a> FromIterator<&'a str> for CodeSet {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Self {
        let mut set = CodeSet::default();
        for c in iter {
            set.insert(c);
        }
        if set.short.len() <= FEW {
            set.few = set.short.iter().copied().collect();
        }
        set
    }
}

/// A multiply-shift hasher for the packed short codes.
#[derive(Default, Clone, Copy)]
struct Mix(u64);

impl std::hash::Hasher for Mix {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        let x = (self.0 ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = x ^ (x >> 29);
    }
}

/// A resolved code list: a table or value set.
#[derive(Debug)]
struct CodeList {
    name: String,
    codes: CodeSet,
    /// Severity of a code not in the list (before the policy).
    severity: Severity,
}

/// A profile element with its data type and code list resolved.
///
/// What the walk reads for every value is kept here, in a few words; the
/// definition itself (names for messages, bindings, constants) is boxed,
/// so that an element is one cache line.
#[derive(Debug)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent flags read on the hot path"
)]
#[repr(align(64))]
struct PElem {
    /// Index into [`Plan::dts`].
    dt: Option<u32>,
    /// `dt` is a composite (has components).
    composite: bool,
    /// Explicit or implied cardinality (fields).
    card: Cardinality,
    /// `def.length.max` when a number (the limit of a composite's length);
    /// `u32::MAX` when none (no length exceeds it).
    max_bound: u32,
    /// `def.length.min`; 0 when none (no length is below it).
    min_len: u32,
    /// `def.constant` is set.
    constant: bool,
    /// `def.bindings` is not empty.
    bindings: bool,
    def: Box<ElementDef>,
    /// The code list of `def.table`, when checkable.
    list: Option<Arc<CodeList>>,
    /// Whether `def.table` is table 0396 (coding systems, with patterns).
    list_0396: bool,
    /// The format check of the base type, if it has one.
    fmt: Option<Fmt>,
    /// The base type is `varies` (OBX-5): components are not extra.
    varies: bool,
    /// Maximum length (`MaxLength`, else the conformance length);
    /// `u32::MAX` when none.
    max_len: u32,
    /// The usage when it needs no predicate ([`Run::resolve`] of it).
    fixed: Option<Usage>,
    /// `fixed` is a usage that allows a value: a present value needs no
    /// usage check.
    go: bool,
    /// No format check, code list, binding or constant: a plain value
    /// within its lengths needs no look at all.
    light: bool,
}

/// The format checks of [`crate::types`], chosen once per element instead
/// of by data-type name per value.
#[derive(Debug, Clone, Copy)]
enum Fmt {
    Nm,
    Si,
    Dt,
    Tm,
    Dtm,
    Ts,
    Id,
    Is,
    Snm,
}

impl Fmt {
    fn of(base: &str) -> Option<Fmt> {
        let f = match base {
            "NM" => Fmt::Nm,
            "SI" => Fmt::Si,
            "DT" => Fmt::Dt,
            "TM" => Fmt::Tm,
            "DTM" => Fmt::Dtm,
            "TS" => Fmt::Ts,
            "ID" => Fmt::Id,
            "IS" => Fmt::Is,
            "SNM" => Fmt::Snm,
            _ => return None,
        };
        debug_assert!(crate::types::has_format_check(base));
        Some(f)
    }

    /// [`crate::types::check_format`] for this type.
    fn run(self, raw: &[u8], separator: u8) -> Result<(), crate::types::FormatError> {
        use crate::types as t;
        match self {
            Fmt::Nm => t::check_nm(raw),
            Fmt::Si => t::check_si(raw),
            Fmt::Dt => t::check_dt(raw),
            Fmt::Tm => t::check_tm(raw),
            Fmt::Dtm => t::check_dtm(raw),
            Fmt::Ts => t::check_ts(raw, separator),
            Fmt::Id => t::check_id(raw),
            Fmt::Is => t::check_is(raw),
            Fmt::Snm => t::check_snm(raw),
        }
    }

    /// [`Fmt::run`] passes: the common ID and IS inline (a direct branch;
    /// the jump table of `run` was mispredicted every other value).
    #[inline]
    fn ok(self, raw: &[u8], separator: u8) -> bool {
        if matches!(self, Fmt::Id | Fmt::Is) {
            // `check_id`: no control character, no leading or trailing
            // space.
            raw.first() != Some(&b' ')
                && raw.last() != Some(&b' ')
                && raw.iter().all(|&b| b >= 0x20 && b != 0x7F)
        } else {
            self.run(raw, separator).is_ok()
        }
    }
}

/// A data-type flavor, ready to walk.
#[derive(Debug)]
struct PDt {
    id: String,
    name: String,
    comps: Vec<PElem>,
    /// Components that need a check when absent (R, RE, declared C).
    when_absent: Vec<usize>,
}

/// A segment flavor, ready to walk.
#[derive(Debug)]
struct PSeg {
    id: String,
    name: String,
    fields: Vec<PElem>,
    /// Fields that need a check when absent (R, RE, declared C).
    when_absent: Vec<usize>,
}

/// The profile's segments and data types with every reference resolved,
/// so that checking a value costs no map lookups.
#[derive(Debug, Default)]
struct Plan {
    dts: Vec<PDt>,
    segs: Vec<PSeg>,
    seg_index: HashMap<String, usize, std::hash::BuildHasherDefault<Fnv>>,
}

fn needs_check_when_absent(u: Usage) -> bool {
    matches!(u, Usage::R | Usage::RE | Usage::C(Some(_)))
}

impl Plan {
    fn build(p: &Profile, lists: &HashMap<String, Option<Arc<CodeList>>>) -> Plan {
        let dt_index: HashMap<&str, usize> = p
            .datatypes
            .keys()
            .enumerate()
            .map(|(i, k)| (k.as_str(), i))
            .collect();
        let elem = |e: &ElementDef| {
            let base = p
                .datatype(&e.datatype)
                .map_or_else(|| e.datatype.clone(), |d| d.name.clone());
            let list = e
                .table
                .as_ref()
                .and_then(|t| lists.get(t.as_str()).cloned().flatten());
            let fmt = Fmt::of(&base);
            let fixed = match e.usage {
                Usage::C(Some(_)) => None,
                Usage::C(None) | Usage::CE | Usage::IX | Usage::NA => Some(Usage::O),
                u => Some(u),
            };
            let list_0396 = e
                .table
                .as_deref()
                .is_some_and(|t| t.strip_prefix("HL7").unwrap_or(t) == "0396");
            PElem {
                light: fmt.is_none()
                    && list.is_none()
                    && e.bindings.is_empty()
                    && e.constant.is_none(),
                go: fixed.is_some_and(|u| !u.forbids()),
                fixed,
                def: Box::new(e.clone()),
                dt: dt_index
                    .get(e.datatype.as_str())
                    .and_then(|&i| u32::try_from(i).ok()),
                composite: p
                    .datatypes
                    .get(e.datatype.as_str())
                    .is_some_and(|d| !d.components.is_empty()),
                card: e.cardinality(),
                max_bound: match e.length.max {
                    Some(Bound::Limit(m)) => m,
                    _ => u32::MAX,
                },
                min_len: e.length.min.unwrap_or(0),
                constant: e.constant.is_some(),
                bindings: !e.bindings.is_empty(),
                list_0396,
                varies: base == "varies",
                max_len: match (e.length.max, e.length.conf) {
                    (Some(Bound::Limit(m)), _) => m,
                    (None, Some(c)) => c.length,
                    _ => u32::MAX,
                },
                list,
                fmt,
            }
        };
        let absent = |es: &[ElementDef]| {
            es.iter()
                .enumerate()
                .filter(|(_, e)| needs_check_when_absent(e.usage))
                .map(|(i, _)| i)
                .collect()
        };
        let dts = p
            .datatypes
            .values()
            .map(|d| PDt {
                id: d.id.clone(),
                name: d.name.clone(),
                comps: d.components.iter().map(elem).collect(),
                when_absent: absent(&d.components),
            })
            .collect();
        let mut seg_index = HashMap::default();
        let segs = p
            .segments
            .values()
            .enumerate()
            .map(|(i, s)| {
                seg_index.insert(s.id.clone(), i);
                PSeg {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    fields: s.fields.iter().map(elem).collect(),
                    when_absent: absent(&s.fields),
                }
            })
            .collect();
        Plan {
            dts,
            segs,
            seg_index,
        }
    }
}

/// Validates messages against one profile. Build once, use for many
/// messages (it precomputes structures and code lists); it is `Send` and
/// `Sync`.
#[derive(Debug)]
pub struct Validator {
    profile: Arc<Profile>,
    options: Options,
    structures: Vec<Structure>,
    /// Table / value-set ID → codes (`None`: known not to be checkable).
    lists: HashMap<String, Option<Arc<CodeList>>>,
    regexes: HashMap<String, Option<regex::Regex>>,
    plan: Plan,
    label: String,
    /// The policy's override of each code, by [`Code`] as a number.
    severities: [Option<Severity>; Code::ALL.len()],
}

impl Validator {
    /// A validator with default [`Options`].
    pub fn new(profile: impl Into<Arc<Profile>>) -> Validator {
        Validator::with_options(profile, Options::default())
    }

    /// A validator with options.
    pub fn with_options(profile: impl Into<Arc<Profile>>, options: Options) -> Validator {
        let profile: Arc<Profile> = profile.into();
        let structures = profile
            .messages
            .iter()
            .map(Structure::from_message_def)
            .collect();
        let label = profile
            .meta
            .name
            .clone()
            .or_else(|| profile.meta.id.clone())
            .unwrap_or_else(|| "profile".to_owned());
        let mut severities = [None; Code::ALL.len()];
        for c in Code::ALL {
            severities[c as usize] = options.policy.get(c);
        }
        let mut v = Validator {
            profile,
            options,
            structures,
            lists: HashMap::new(),
            regexes: HashMap::new(),
            plan: Plan::default(),
            label,
            severities,
        };
        v.prepare_lists();
        v.plan = Plan::build(&v.profile, &v.lists);
        v.prepare_regexes();
        v
    }

    /// Sets the name reports use for the profile (e.g. its file name).
    #[must_use]
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// The name reports use for the profile.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The profile.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.options
    }

    fn prepare_lists(&mut self) {
        let p = Arc::clone(&self.profile);
        let mut ids: Vec<&str> = Vec::new();
        let add = |e: &'_ ElementDef, ids: &mut Vec<String>| {
            if let Some(t) = &e.table {
                ids.push(t.clone());
            }
            for b in &e.bindings {
                ids.extend(b.value_sets.iter().cloned());
            }
        };
        let mut owned: Vec<String> = Vec::new();
        for s in p.segments.values() {
            for f in &s.fields {
                add(f, &mut owned);
            }
        }
        for d in p.datatypes.values() {
            for c in &d.components {
                add(c, &mut owned);
            }
        }
        for b in &p.bindings {
            owned.extend(b.binding.value_sets.iter().cloned());
        }
        ids.extend(owned.iter().map(String::as_str));
        ids.sort_unstable();
        ids.dedup();
        let mut version: Option<Option<Version>> = None;
        for id in ids {
            let list = if p.value_sets.no_validation.iter().any(|n| n == id) {
                None
            } else if let Some(vs) = p.value_set(id) {
                (!vs.codes.is_empty()).then(|| {
                    Arc::new(CodeList {
                        name: vs.name.clone().unwrap_or_else(|| vs.id.clone()),
                        codes: vs
                            .codes
                            .iter()
                            .filter(|c| c.usage != Some(hl7_schema::profile::CodeUsage::Excluded))
                            .map(|c| c.value.as_str())
                            .collect(),
                        severity: Severity::Error,
                    })
                })
            } else {
                let v = version.get_or_insert_with(|| {
                    p.meta
                        .hl7_version
                        .as_deref()
                        .and_then(|v| Version::load(v).ok())
                });
                let num = id.strip_prefix("HL7").unwrap_or(id);
                v.as_ref().and_then(|v| v.table(num)).and_then(|t| {
                    let severity = match t.kind {
                        TableKind::Hl7 => Severity::Error,
                        TableKind::Hl7Extensible => Severity::Warning,
                        _ => return None,
                    };
                    (!t.codes.is_empty()).then(|| {
                        Arc::new(CodeList {
                            name: format!("HL7 table {} ({})", t.id, t.name),
                            codes: t.codes.iter().map(|c| c.code.as_str()).collect(),
                            severity,
                        })
                    })
                })
            };
            self.lists.insert(id.to_owned(), list);
        }
    }

    fn prepare_regexes(&mut self) {
        fn walk(e: &Expr, out: &mut Vec<String>) {
            match e {
                Expr::Format { regex, .. } => out.push(regex.clone()),
                Expr::Not(x) => walk(x, out),
                Expr::Imply(a, b) => {
                    walk(a, out);
                    walk(b, out);
                }
                Expr::And(v) | Expr::Or(v) | Expr::Xor(v) | Expr::ForAll(v) | Expr::Exist(v) => {
                    for x in v {
                        walk(x, out);
                    }
                }
                _ => {}
            }
        }
        let mut all = Vec::new();
        for s in &self.profile.conformance_statements {
            if let Some(a) = &s.assertion {
                walk(a, &mut all);
            }
        }
        for p in &self.profile.predicates {
            if let Some(c) = &p.condition {
                walk(c, &mut all);
            }
        }
        for r in all {
            let compiled = regex::Regex::new(&format!("^(?:{r})$")).ok();
            self.regexes.insert(r, compiled);
        }
    }

    /// The index of the profile message that fits MSH-9 (type and event,
    /// `ALL` matching any event; then the structure in MSH-9.3; then the
    /// type alone), if any.
    pub fn message_for(&self, msg: &Message<'_>) -> Option<usize> {
        let (ty, ev, st) = msh9(msg);
        let defs = &self.profile.messages;
        defs.iter()
            .position(|d| d.msg_type == ty && d.event == ev)
            .or_else(|| {
                defs.iter()
                    .position(|d| d.msg_type == ty && d.event.eq_ignore_ascii_case("ALL"))
            })
            .or_else(|| {
                (!st.is_empty())
                    .then(|| defs.iter().position(|d| d.structure == st))
                    .flatten()
            })
    }

    /// Validates a message against the profile message that fits its MSH-9
    /// (see [`Validator::message_for`]); when none fits, against the first,
    /// with the header findings (200, 201) saying why.
    pub fn validate(&self, msg: &Message<'_>) -> Report {
        let index = self.message_for(msg).unwrap_or(0);
        self.validate_as(msg, index)
    }

    /// Validates a message against the profile's message number `index`.
    pub fn validate_as(&self, msg: &Message<'_>, index: usize) -> Report {
        let mut run = Run::new(self, msg);
        match self.profile.messages.get(index) {
            Some(def) => {
                run.header(def);
                run.structure(def, &self.structures[index]);
            }
            None => run.push(Code::UnsupportedMessageType, None, run.seg_loc(0), |_| {
                "the profile defines no message".to_owned()
            }),
        }
        run.finish()
    }
}

/// MSH-9.1, MSH-9.2, MSH-9.3 as written.
fn msh9<'m>(msg: &'m Message<'_>) -> (Cow<'m, str>, Cow<'m, str>, Cow<'m, str>) {
    let f = msg.segment(0).and_then(|s| s.field(9));
    let c = |n: usize| {
        f.and_then(|f| f.component(n))
            .map_or(Cow::Borrowed(""), text_of)
    };
    (c(1), c(2), c(3))
}

/// [`Value::text`], without the decoder for plain ASCII (its own text).
fn text_of(v: Value<'_>) -> Cow<'_, str> {
    let raw = v.raw();
    if plain(raw, v.delimiters().escape)
        && let Ok(s) = std::str::from_utf8(raw)
    {
        return Cow::Borrowed(s);
    }
    v.text()
}

/// MSH-12.1 as written.
fn msh12<'m>(msg: &'m Message<'_>) -> Cow<'m, str> {
    msg.segment(0)
        .and_then(|s| s.field(12))
        .and_then(|f| f.component(1))
        .map_or(Cow::Borrowed(""), text_of)
}

/// Where a value is, while walking: segment position, field, repetition,
/// component, sub-component.
///
/// The four numbers are packed in pairs into whole words: a value's
/// location is derived from its parent's by changing one number, and a
/// narrow store read back as part of a wider copy (when the location is
/// passed on) would stall store forwarding.
#[derive(Clone, Copy, Debug, Default)]
struct At {
    pos: usize,
    /// Field (low half) and repetition (high half).
    fr: u64,
    /// Component (low half) and sub-component (high half).
    cs: u64,
}

impl At {
    fn new(pos: usize, field: u32, rep: u32, comp: u32, sub: u32) -> At {
        At {
            pos,
            fr: u64::from(field) | u64::from(rep) << 32,
            cs: u64::from(comp) | u64::from(sub) << 32,
        }
    }

    fn field(self) -> u32 {
        self.fr as u32
    }

    fn rep(self) -> u32 {
        (self.fr >> 32) as u32
    }

    fn comp(self) -> u32 {
        self.cs as u32
    }

    fn sub(self) -> u32 {
        (self.cs >> 32) as u32
    }

    fn with_rep(self, rep: u32) -> At {
        At {
            fr: self.fr & 0xffff_ffff | u64::from(rep) << 32,
            ..self
        }
    }

    fn with_comp(self, comp: u32) -> At {
        At {
            cs: self.cs & !0xffff_ffff | u64::from(comp),
            ..self
        }
    }

    fn with_sub(self, sub: u32) -> At {
        At {
            cs: self.cs & 0xffff_ffff | u64::from(sub) << 32,
            ..self
        }
    }
}

/// Byte classes of the delimiters of a message, to learn in one pass over a
/// field which kinds of bytes it holds.
struct Classes([u8; 256]);

impl Classes {
    const REP: u8 = 1;
    const COMP: u8 = 2;
    const SUB: u8 = 4;
    const ESC: u8 = 8;
    const HIGH: u8 = 16;

    fn new(d: &Delimiters) -> Classes {
        let mut t = [0u8; 256];
        for b in 0x80..=0xff_u8 {
            t[usize::from(b)] = Classes::HIGH;
        }
        t[usize::from(d.repetition)] |= Classes::REP;
        t[usize::from(d.component)] |= Classes::COMP;
        t[usize::from(d.subcomponent)] |= Classes::SUB;
        t[usize::from(d.escape)] |= Classes::ESC;
        Classes(t)
    }

    #[inline]
    fn of(&self, raw: &[u8], delims: &Delimiters) -> u8 {
        // Eight bytes at a time: a byte equal to a delimiter is a zero byte
        // of the word xor the delimiter repeated.
        const LO: u64 = 0x0101_0101_0101_0101;
        const HI: u64 = 0x8080_8080_8080_8080;
        if raw.len() < 16 {
            return raw.iter().fold(0, |f, &b| f | self.0[usize::from(b)]);
        }
        let zero = |w: u64| w.wrapping_sub(LO) & !w & HI;
        let splat = [
            LO * u64::from(delims.repetition),
            LO * u64::from(delims.component),
            LO * u64::from(delims.subcomponent),
            LO * u64::from(delims.escape),
        ];
        let mut seen = [0u64; 5];
        let mut words = raw.chunks_exact(8);
        for word in &mut words {
            let word = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
            for (k, &d) in splat.iter().enumerate() {
                seen[k] |= zero(word ^ d);
            }
            seen[4] |= word & HI;
        }
        let mut flags = words
            .remainder()
            .iter()
            .fold(0, |f, &b| f | self.0[usize::from(b)]);
        let classes = [
            Classes::REP,
            Classes::COMP,
            Classes::SUB,
            Classes::ESC,
            Classes::HIGH,
        ];
        for (m, class) in seen.into_iter().zip(classes) {
            if m != 0 {
                flags |= class;
            }
        }
        flags
    }
}

/// The parts of a value between separators, like [`Value::parts`] but on
/// bytes (a plain loop: parts are short).
#[derive(Clone)]
struct Split<'m> {
    rest: Option<&'m [u8]>,
    sep: u8,
    /// False when `sep` is known not to occur: one part, no search.
    search: bool,
}

impl<'m> Split<'m> {
    fn new(raw: &'m [u8], sep: u8, search: bool) -> Self {
        Split {
            rest: Some(raw),
            sep,
            search,
        }
    }
}

impl<'m> Iterator for Split<'m> {
    type Item = &'m [u8];

    #[inline]
    fn next(&mut self) -> Option<&'m [u8]> {
        let rest = self.rest?;
        if !self.search {
            self.rest = None;
            return Some(rest);
        }
        if let Some(e) = rest.iter().position(|&b| b == self.sep) {
            self.rest = Some(&rest[e + 1..]);
            Some(&rest[..e])
        } else {
            self.rest = None;
            Some(rest)
        }
    }
}

/// Equal segment IDs, compared inline (they are three bytes; a library
/// `memcmp` call costs more than the comparison).
#[inline]
fn same_id(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// One pass over a primitive value: does it have an escape character, a
/// non-ASCII byte, and a separator `sep` followed by more content?
#[inline]
fn scan(raw: &[u8], escape: u8, sep: u8) -> (bool, bool, bool) {
    if raw.len() > 32 {
        // Long text: vectorised searches.
        let non_ascii = !raw.is_ascii();
        let (mut escaped, mut split) = (false, false);
        if let Some(first) = memchr::memchr2(escape, sep, raw) {
            let mut seen_sep = false;
            for &b in &raw[first..] {
                if b == escape {
                    escaped = true;
                } else if b == sep {
                    seen_sep = true;
                } else if seen_sep {
                    split = true;
                }
            }
        }
        return (escaped, non_ascii, split);
    }
    let (mut escaped, mut non_ascii, mut seen_sep, mut split) = (false, false, false, false);
    for &b in raw {
        non_ascii |= b >= 0x80;
        if b == escape {
            escaped = true;
        } else if b == sep {
            seen_sep = true;
        } else {
            split |= seen_sep;
        }
    }
    (escaped, non_ascii, split)
}

/// The decoded length in characters of ASCII `raw` when its escape
/// sequences all decode without a problem: a delimiter escape is one
/// character, formatting, highlighting, local and character-set escapes are
/// kept as written (as [`Value::text`] does); `None` for a hexadecimal or
/// malformed one.
fn decoded_len(raw: &[u8], d: &Delimiters) -> Option<usize> {
    use crate::er7::escape::Fragment;
    let mut len = raw.len();
    for f in crate::er7::escape::fragments(raw, d) {
        match f {
            Fragment::Delimiter(_) => len -= 2,
            Fragment::Hex { .. } | Fragment::Malformed { .. } => return None,
            _ => {}
        }
    }
    Some(len)
}

/// ASCII without an escape character: the value is its own text.
fn plain(raw: &[u8], escape: u8) -> bool {
    raw.is_ascii() && !raw.contains(&escape)
}

/// Appends a number in decimal (without the formatting machinery: paths
/// are built for every finding).
fn push_num(s: &mut String, n: impl Into<u64>) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n: u64 = n.into();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &b in &buf[i..] {
        s.push(char::from(b));
    }
}

/// Room for a finding's message: most fit, so that building one is a
/// single allocation.
const MESSAGE_CAPACITY: usize = 128;

/// A finding's message built by appending, without the formatting
/// machinery: the common findings (an undefined component, a value too
/// long) can come by the dozen in one message.
struct Text(String);

impl Text {
    /// Appends text.
    fn s(mut self, x: &str) -> Text {
        self.0.push_str(x);
        self
    }

    /// Appends a number in decimal.
    fn n(mut self, x: impl Into<u64>) -> Text {
        push_num(&mut self.0, x);
        self
    }

    fn done(self) -> String {
        self.0
    }
}

/// The group path above a structure node (`PATIENT_RESULT[1].ORDER[2].`),
/// written out only for a finding.
#[derive(Clone, Copy)]
enum Trail<'a> {
    Root,
    Group {
        parent: &'a Trail<'a>,
        name: &'a str,
        repetition: u32,
    },
}

impl fmt::Display for Trail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trail::Root => Ok(()),
            Trail::Group {
                parent,
                name,
                repetition,
            } => write!(f, "{parent}{name}[{repetition}]."),
        }
    }
}

/// A node a conformance-statement path is evaluated on.
#[derive(Clone, Copy)]
enum Node<'a, 'm> {
    Group(&'a Instance, &'a [StructureNode]),
    Seg(Segment<'m>),
    Val(Value<'m>),
}

/// Three-valued result of an expression.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tri {
    True,
    False,
    Unknown,
}

impl Tri {
    fn from(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }
}

/// [`Run::path`]: a path written straight into a message.
struct PathOf<'r, 'v, 'm> {
    r: &'r Run<'v, 'm>,
    at: At,
}

impl fmt::Display for PathOf<'_, '_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (r, at) = (self.r, self.at);
        let occ = r.occ.get(at.pos).copied().unwrap_or(1);
        write!(f, "{}[{occ}]", r.seg_name(at.pos))?;
        if at.field() > 0 {
            write!(f, "-{}", at.field())?;
            if at.rep() > 1 {
                write!(f, "[{}]", at.rep())?;
            }
            if at.comp() > 0 {
                write!(f, ".{}", at.comp())?;
                if at.sub() > 0 {
                    write!(f, ".{}", at.sub())?;
                }
            }
        }
        Ok(())
    }
}

struct Run<'v, 'm> {
    v: &'v Validator,
    p: &'v Profile,
    msg: &'m Message<'m>,
    /// The message's delimiters.
    d: Delimiters,
    classes: Classes,
    /// [`Options::max_findings`].
    cap: usize,
    /// [`Options::length`].
    length: LengthMode,
    /// The message's character set is supported: ASCII decodes as itself
    /// without a problem.
    charset_ok: bool,
    /// Occurrence of each segment position among segments of its id.
    occ: Vec<u32>,
    findings: Vec<Finding>,
    suppressed: usize,
    inconclusive: HashSet<String>,
}

impl<'v, 'm> Run<'v, 'm> {
    fn new(v: &'v Validator, msg: &'m Message<'m>) -> Self {
        // Counts per segment id: the first ids on the stack, more (rare)
        // in a vector.
        let mut few: [(&str, u32); 24] = [("", 0); 24];
        let mut n_few = 0;
        let mut more: Vec<(&str, u32)> = Vec::new();
        let occ = msg
            .segments()
            .map(|s| {
                let id = s.id();
                if let Some(e) = few[..n_few]
                    .iter_mut()
                    .chain(more.iter_mut())
                    .find(|(i, _)| same_id(i, id))
                {
                    e.1 += 1;
                    e.1
                } else {
                    if n_few < few.len() {
                        few[n_few] = (id, 1);
                        n_few += 1;
                    } else {
                        more.push((id, 1));
                    }
                    1
                }
            })
            .collect();
        Run {
            v,
            p: &v.profile,
            msg,
            d: *msg.delimiters(),
            classes: Classes::new(msg.delimiters()),
            cap: v.options.max_findings,
            length: v.options.length,
            charset_ok: msg.charset().is_supported(),
            occ,
            findings: Vec::with_capacity(8),
            suppressed: 0,
            inconclusive: HashSet::new(),
        }
    }

    /// Findings past the cap are counted, not kept.
    fn full(&self) -> bool {
        self.findings.len() >= self.cap
    }

    /// Counting stops too, at ten times the cap: past that the walk ends
    /// and the count of left-out findings is a lower bound.
    fn stopped(&self) -> bool {
        self.findings.len() + self.suppressed >= self.cap.saturating_mul(10).max(1)
    }

    #[cold]
    #[inline(never)]
    fn push(
        &mut self,
        code: Code,
        severity: Option<Severity>,
        location: Location,
        message: impl FnOnce(&Self) -> String,
    ) {
        if self.full() {
            self.suppressed += 1;
            return;
        }
        let severity = self.v.severities[code as usize]
            .or(severity)
            .unwrap_or_else(|| code.default_severity());
        self.findings.push(Finding {
            severity,
            code,
            location,
            message: String::new(),
        });
        let text = message(self);
        if let Some(f) = self.findings.last_mut() {
            f.message = text;
        }
    }

    fn finish(self) -> Report {
        let (ty, ev, st) = msh9(self.msg);
        let message_type = if ty.is_empty() {
            None
        } else if st.is_empty() {
            Some(format!("{ty}^{ev}"))
        } else {
            Some(format!("{ty}^{ev}^{st}"))
        };
        let control_id = self
            .msg
            .segment(0)
            .and_then(|s| s.field(10))
            .map(|v| text_of(v).into_owned())
            .filter(|s| !s.is_empty());
        let stopped = self.stopped();
        let mut findings = self.findings;
        // Message order (the checks run structure first, then fields).
        if !findings.is_sorted_by_key(|f| f.location.offset) {
            findings.sort_by_key(|f| f.location.offset);
        }
        if self.suppressed > 0 {
            let n = self.suppressed;
            findings.push(Finding {
                severity: self.v.options.policy.severity(Code::Truncated),
                code: Code::Truncated,
                location: Location {
                    path: "MSH[1]".to_owned(),
                    segment: Some(0),
                    line: 1,
                    column: 1,
                    offset: self.msg.offset(),
                    len: 0,
                },
                message: format!(
                    "{}{n} more findings not reported (the limit is {})",
                    if stopped { "at least " } else { "" },
                    self.v.options.max_findings
                ),
            });
        }
        Report {
            profile: Some(self.v.label.clone()),
            message_type,
            control_id,
            findings,
            suppressed: self.suppressed,
        }
    }

    // ----- locations -------------------------------------------------------

    fn seg_name(&self, pos: usize) -> &'m str {
        self.msg.segment(pos).map_or("???", |s| s.id())
    }

    fn seg_path(&self, pos: usize) -> String {
        let mut s = String::with_capacity(24);
        self.push_seg_path(&mut s, pos);
        s
    }

    fn push_seg_path(&self, s: &mut String, pos: usize) {
        s.push_str(self.seg_name(pos));
        s.push('[');
        push_num(s, self.occ.get(pos).copied().unwrap_or(1));
        s.push(']');
    }

    /// The path of `at`, to format into a message (without a string of
    /// its own).
    fn path(&self, at: At) -> PathOf<'_, 'v, 'm> {
        PathOf { r: self, at }
    }

    /// [`Run::path_string`] as the start of a finding's message.
    fn text(&self, at: At) -> Text {
        let mut s = String::with_capacity(MESSAGE_CAPACITY);
        self.push_path(&mut s, at);
        Text(s)
    }

    fn path_string(&self, at: At) -> String {
        let mut s = String::with_capacity(24);
        self.push_path(&mut s, at);
        s
    }

    fn push_path(&self, s: &mut String, at: At) {
        self.push_seg_path(s, at.pos);
        if at.field() > 0 {
            s.push('-');
            push_num(s, at.field());
            if at.rep() > 1 {
                s.push('[');
                push_num(s, at.rep());
                s.push(']');
            }
            if at.comp() > 0 {
                s.push('.');
                push_num(s, at.comp());
                if at.sub() > 0 {
                    s.push('.');
                    push_num(s, at.sub());
                }
            }
        }
    }

    /// Location of a whole segment (or of the end of the message when
    /// `pos` is past the last segment).
    fn seg_loc(&self, pos: usize) -> Location {
        let n = self.msg.segment_count();
        let (seg_pos, off, len) = match self.msg.segment(pos.min(n.saturating_sub(1))) {
            Some(s) if pos < n => (Some(pos), s.offset(), s.raw().len()),
            Some(s) => (Some(s.position()), s.offset() + s.raw().len(), 0),
            None => (None, 0, 0),
        };
        Location {
            path: if pos < n {
                self.seg_path(pos)
            } else {
                String::new()
            },
            segment: seg_pos,
            line: seg_pos.map_or(1, |p| p + 1),
            column: 1 + if pos < n { 0 } else { len },
            offset: self.msg.offset() + off,
            len,
        }
    }

    /// Location of a value (or, for a missing one, of where it would be:
    /// `near` is a value or segment slice it belongs to).
    #[cold]
    #[inline(never)]
    fn val_loc(&self, at: At, raw: Option<&[u8]>) -> Location {
        let base = self.msg.as_bytes().as_ptr() as usize;
        let seg = self.msg.segment(at.pos);
        let seg_off = seg.map_or(0, |s| s.offset());
        let (off, len) = match raw {
            Some(r) => {
                let o = (r.as_ptr() as usize).wrapping_sub(base);
                if o <= self.msg.as_bytes().len() {
                    (o, r.len())
                } else {
                    (seg_off, 0)
                }
            }
            None => (seg.map_or(0, |s| s.offset() + s.raw().len()), 0),
        };
        Location {
            path: self.path_string(at),
            segment: Some(at.pos),
            line: at.pos + 1,
            column: off.saturating_sub(seg_off) + 1,
            offset: self.msg.offset() + off,
            len,
        }
    }

    /// The [`Value`] at `at` of `level` (1 repetition, 2 component, 3
    /// sub-component): the bytes a walk is on, as a value of the message,
    /// for the few checks that need one.
    fn value_at(&self, at: At, level: u8) -> Value<'m> {
        let field = self
            .msg
            .segment(at.pos)
            .and_then(|s| s.field(at.field() as usize))
            .expect("a value is walked only inside a field of a segment");
        let rep = field.repetition(at.rep() as usize).unwrap_or(field);
        match level {
            1 => Some(rep),
            2 => rep.component(at.comp() as usize),
            _ => rep
                .component(at.comp() as usize)
                .and_then(|c| c.subcomponent(at.sub() as usize)),
        }
        .unwrap_or(rep)
    }

    // ----- header ----------------------------------------------------------

    fn header(&mut self, def: &MessageDef) {
        let Some(msh) = self.msg.segment(0) else {
            return;
        };
        let f9 = msh.field(9);
        let comp = |n: usize| f9.and_then(|f| f.component(n));
        let at = |c: u32| At::new(0, 9, 1, c, 0);
        let ty = comp(1).map(|v| v.text()).unwrap_or_default();
        if ty != def.msg_type.as_str() {
            let loc = self.val_loc(at(1), comp(1).map(|v| v.raw()));
            self.push(Code::UnsupportedMessageType, None, loc, |_| {
                format!(
                    "message type `{ty}` is not supported: the profile expects `{}`",
                    def.msg_type
                )
            });
        }
        let ev = comp(2).map(|v| v.text()).unwrap_or_default();
        if !def.event.eq_ignore_ascii_case("ALL") && ev != def.event.as_str() {
            let loc = self.val_loc(at(2), comp(2).map(|v| v.raw()));
            self.push(Code::UnsupportedEvent, None, loc, |_| {
                format!(
                    "event `{ev}` is not supported: the profile expects `{}`",
                    def.event
                )
            });
        }
        let st = comp(3).map(|v| v.text()).unwrap_or_default();
        if !st.is_empty() && !def.structure.is_empty() && st != def.structure.as_str() {
            let loc = self.val_loc(at(3), comp(3).map(|v| v.raw()));
            self.push(Code::Structure, None, loc, |_| {
                format!(
                    "message structure `{st}` differs from the profile's `{}`",
                    def.structure
                )
            });
        }
        if let Some(want) = self.p.meta.hl7_version.as_deref() {
            let f12 = msh.field(12).and_then(|f| f.component(1));
            let got = f12.map(|v| v.text()).unwrap_or_default();
            if got != want {
                let loc = self.val_loc(At::new(0, 12, 1, 1, 0), f12.map(|v| v.raw()));
                self.push(Code::UnsupportedVersion, None, loc, |_| {
                    format!("version `{got}` is not supported: the profile is for HL7 v{want}")
                });
            }
        }
    }

    // ----- structure -------------------------------------------------------

    fn structure(&mut self, def: &'v MessageDef, structure: &Structure) {
        let matched: Matched = match_segments(structure, self.msg.segments().map(|s| s.id()));
        let root = Node::Group(&matched.root, &def.children);
        if !self.p.conformance_statements.is_empty() {
            self.statements(ContextKind::Message, &def.id, &def.structure, root, 0);
        }
        self.instance(&def.children, &matched.root, Trail::Root);
    }

    fn instance(&mut self, defs: &'v [StructureNode], inst: &Instance, trail: Trail<'_>) {
        // Occurrences per child, in one pass over the items.
        let mut small = [0u32; 32];
        let mut large = Vec::new();
        let counts: &mut [u32] = if defs.len() <= small.len() {
            &mut small[..defs.len()]
        } else {
            large.resize(defs.len(), 0);
            &mut large
        };
        for item in &inst.items {
            if let Item::Segment { child, .. } | Item::Group { child, .. } = item
                && let Some(c) = counts.get_mut(*child)
            {
                *c += 1;
            }
        }
        let end = self.msg.segment_count();
        for (j, node) in defs.iter().enumerate() {
            if self.stopped() {
                return;
            }
            let count = counts[j];
            let usage = node.usage();
            let card = node.cardinality();
            let (name, is_group) = match node {
                StructureNode::Segment(s) => (s.name.as_str(), false),
                StructureNode::Group(g) => (g.name.as_str(), true),
            };
            let what = if is_group { "group" } else { "segment" };
            if count == 0 {
                let required = usage == Usage::R || card.min > 0 && !usage.forbids();
                if required || usage == Usage::RE {
                    let pos = anchor(inst, j, self.msg.segment_count());
                    let mut loc = self.seg_loc(pos);
                    loc.path = format!("{trail}{name}");
                    loc.len = 0;
                    if required {
                        self.push(Code::SegmentSequence, None, loc, |_| {
                            format!("required {what} {name} is missing")
                        });
                    } else {
                        self.push(Code::RequiredButEmpty, None, loc, |_| {
                            format!("{what} {name} (usage RE) is missing")
                        });
                    }
                }
                continue;
            }
            // The first segment of each occurrence.
            let firsts = || {
                inst.items.iter().filter_map(move |i| match i {
                    Item::Segment {
                        child, position, ..
                    } if *child == j => Some(*position),
                    Item::Group {
                        child, instance, ..
                    } if *child == j => Some(instance.first_position().unwrap_or(end)),
                    _ => None,
                })
            };
            if usage.forbids() {
                for pos in firsts() {
                    let mut loc = self.seg_loc(pos);
                    if is_group {
                        loc.path = format!("{trail}{name}");
                    }
                    self.push(Code::NotSupported, None, loc, |_| {
                        format!("{what} {name} has usage {usage} and must not be sent")
                    });
                }
                continue;
            }
            if let Some(max) = card.max
                && count > max
            {
                let pos = firsts().nth(max as usize).unwrap_or(end);
                let mut loc = self.seg_loc(pos);
                if is_group {
                    loc.path = format!("{trail}{name}[{}]", max + 1);
                }
                self.push(Code::Cardinality, None, loc, |_| {
                    format!("{what} {name} occurs {count} times; at most {max} allowed")
                });
            }
            if count < card.min {
                let mut loc = self.seg_loc(firsts().next().unwrap_or(end));
                loc.path = format!("{trail}{name}");
                self.push(Code::Cardinality, None, loc, |_| {
                    format!(
                        "{what} {name} occurs {count} times; at least {} required",
                        card.min
                    )
                });
            }
            match node {
                StructureNode::Segment(sref) => {
                    let plan = &self.v.plan;
                    let flavor = plan.seg_index.get(&sref.segment).map(|&i| &plan.segs[i]);
                    for pos in firsts() {
                        if let Some(f) = flavor {
                            self.segment(pos, f);
                        } else {
                            let loc = self.seg_loc(pos);
                            self.push(Code::InternalError, None, loc, |_| {
                                format!(
                                    "the profile refers to segment {} but does not define it",
                                    sref.segment
                                )
                            });
                        }
                    }
                }
                StructureNode::Group(g) => {
                    for item in &inst.items {
                        if let Item::Group {
                            child,
                            repetition,
                            instance,
                        } = item
                            && *child == j
                        {
                            let t = Trail::Group {
                                parent: &trail,
                                name: &g.name,
                                repetition: *repetition,
                            };
                            if !self.p.conformance_statements.is_empty() {
                                let gid = g.id.clone().unwrap_or_else(|| g.name.clone());
                                let pos = instance.first_position().unwrap_or(0);
                                self.statements(
                                    ContextKind::Group,
                                    &gid,
                                    &g.name,
                                    Node::Group(instance, &g.children),
                                    pos,
                                );
                            }
                            self.instance(&g.children, instance, t);
                        }
                    }
                }
            }
        }
        for item in &inst.items {
            if let Item::Unexpected { position } = item {
                let id = self.seg_name(*position);
                let loc = self.seg_loc(*position);
                let declared = self.p.segments.values().any(|s| s.name == id);
                self.push(Code::SegmentSequence, None, loc, |_| {
                    if id.starts_with('Z') && !declared {
                        format!("Z segment {id} is not declared by the profile")
                    } else if declared {
                        format!("segment {id} is not expected here (out of order or too many)")
                    } else {
                        format!("segment {id} is not part of this message structure")
                    }
                });
            }
        }
    }

    // ----- segments and fields ---------------------------------------------

    fn segment(&mut self, pos: usize, flavor: &'v PSeg) {
        let Some(seg) = self.msg.segment(pos) else {
            return;
        };
        let is_msh = seg.raw().starts_with(b"MSH");
        let at_field = |n: usize| At::new(pos, n as u32, 1, 0, 0);
        // Fields with a value.
        for n in 1..=seg.field_count() {
            if self.stopped() {
                return;
            }
            let Some(value) = seg.field(n) else { break };
            let raw = value.raw();
            if raw.is_empty() {
                continue;
            }
            let at = at_field(n);
            let Some(pe) = flavor.fields.get(n - 1) else {
                if !(is_msh && n <= 2) {
                    let defined = flavor.fields.len();
                    let loc = self.val_loc(at, Some(raw));
                    self.push(Code::Extra, None, loc, |r| {
                        Text(String::with_capacity(MESSAGE_CAPACITY))
                            .s("field ")
                            .s(&r.path_string(at))
                            .s(" is not defined by the profile (")
                            .s(&flavor.name)
                            .s(" defines ")
                            .n(defined as u64)
                            .s(" fields)")
                            .done()
                    });
                }
                continue;
            };
            if is_msh && n <= 2 {
                self.literal(at, &pe.def, seg.field(n));
                continue;
            }
            let fdef = &pe.def;
            let usage = match pe.fixed {
                Some(u) => u,
                None => self.resolve(fdef.usage, ContextKind::Segment, flavor, n, || {
                    Node::Seg(seg)
                }),
            };
            let flags = self.classes.of(raw, &self.d);
            let reps = Split::new(raw, self.d.repetition, flags & Classes::REP != 0);
            let raw = Some(raw);
            if usage.forbids() {
                if reps.clone().any(|r| !r.is_empty()) {
                    let loc = self.val_loc(at, raw);
                    self.push(Code::NotSupported, None, loc, |r| {
                        format!(
                            "field {} ({}) has usage {usage} and must not be sent",
                            r.path(at),
                            fdef.name
                        )
                    });
                }
                continue;
            }
            // One pass over the repetitions: check each, count them.
            let mut count = 0u32;
            for (r, rep) in reps.enumerate() {
                if rep.is_empty() {
                    continue;
                }
                count += 1;
                let at = at.with_rep(r as u32 + 1);
                self.element(at, pe, rep, 1, flags);
            }
            if count == 0 {
                self.absent(at, usage, &fdef.name, "field", raw);
                continue;
            }
            let card = pe.card;
            if let Some(max) = card.max
                && count > max
            {
                let loc = self.val_loc(at, raw);
                self.push(Code::Cardinality, None, loc, |r| {
                    format!(
                        "field {} ({}) has {count} repetitions; at most {max} allowed",
                        r.path(at),
                        fdef.name
                    )
                });
            }
            if count < card.min {
                let loc = self.val_loc(at, raw);
                self.push(Code::Cardinality, None, loc, |r| {
                    format!(
                        "field {} ({}) has {count} repetitions; at least {} required",
                        r.path(at),
                        fdef.name,
                        card.min
                    )
                });
            }
        }
        // Fields without a value that must (or should) have one.
        for &i in &flavor.when_absent {
            let n = i + 1;
            let value = seg.field(n);
            if value.is_some_and(|v| !v.is_empty()) {
                continue;
            }
            let pe = &flavor.fields[i];
            let at = at_field(n);
            if is_msh && n <= 2 {
                self.literal(at, &pe.def, value);
                continue;
            }
            let usage = match pe.fixed {
                Some(u) => u,
                None => self.resolve(pe.def.usage, ContextKind::Segment, flavor, n, || {
                    Node::Seg(seg)
                }),
            };
            self.absent(at, usage, &pe.def.name, "field", value.map(|v| v.raw()));
        }
        if !self.p.bindings.is_empty() {
            self.context_bindings(
                ContextKind::Segment,
                &flavor.id,
                &flavor.name,
                Node::Seg(seg),
                pos,
            );
        }
        if !self.p.conformance_statements.is_empty() {
            self.statements(
                ContextKind::Segment,
                &flavor.id,
                &flavor.name,
                Node::Seg(seg),
                pos,
            );
        }
    }

    /// MSH-1 and MSH-2: only presence, constant and length.
    fn literal(&mut self, at: At, def: &ElementDef, value: Option<Value<'m>>) {
        let raw = value.map_or(&b""[..], |v| v.raw());
        if raw.is_empty() {
            self.absent(at, def.usage, &def.name, "field", None);
            return;
        }
        if let Some(c) = &def.constant
            && c.as_bytes() != raw
        {
            let loc = self.val_loc(at, Some(raw));
            self.push(Code::Constant, None, loc, |r| {
                format!(
                    "{} is `{}`; the profile requires `{c}`",
                    r.path(at),
                    String::from_utf8_lossy(raw)
                )
            });
        }
    }

    /// Findings for an absent element of the given usage.
    fn absent(&mut self, at: At, usage: Usage, name: &str, what: &str, raw: Option<&[u8]>) {
        match usage {
            Usage::R => {
                let loc = self.val_loc(at, raw);
                self.push(Code::RequiredFieldMissing, None, loc, |r| {
                    Text(String::with_capacity(MESSAGE_CAPACITY))
                        .s("required ")
                        .s(what)
                        .s(" ")
                        .s(&r.path_string(at))
                        .s(" (")
                        .s(name)
                        .s(") is missing")
                        .done()
                });
            }
            Usage::RE => {
                let loc = self.val_loc(at, raw);
                self.push(Code::RequiredButEmpty, None, loc, |r| {
                    Text(String::with_capacity(MESSAGE_CAPACITY))
                        .s(what)
                        .s(" ")
                        .s(&r.path_string(at))
                        .s(" (")
                        .s(name)
                        .s(", usage RE) is empty")
                        .done()
                });
            }
            _ => {}
        }
    }

    /// The usage of an element after evaluating a declared predicate;
    /// undeclared conditionals and unevaluable predicates count as O.
    fn resolve<'a, F>(
        &mut self,
        usage: Usage,
        kind: ContextKind,
        owner: &dyn Owner,
        position: usize,
        ctx: F,
    ) -> Usage
    where
        F: FnOnce() -> Node<'a, 'm>,
    {
        let Usage::C(Some(cond)) = usage else {
            return match usage {
                Usage::C(None) | Usage::CE | Usage::IX | Usage::NA => Usage::O,
                u => u,
            };
        };
        let pred = self
            .p
            .predicates_for(kind, owner.id(), owner.name())
            .find(|p| first_position(&p.target) == Some(position) && !p.target.contains('.'));
        let Some(expr) = pred.and_then(|p| p.condition.as_ref()) else {
            return Usage::O;
        };
        match self.eval(expr, ctx()) {
            Tri::True => cond.if_true.usage(),
            Tri::False => cond.if_false.usage(),
            Tri::Unknown => Usage::O,
        }
    }

    /// Checks one present value (a repetition, component or sub-component)
    /// against its element definition; `level` is 1 for a repetition, 2 for
    /// a component, 3 for a sub-component.
    fn element(&mut self, at: At, pe: &'v PElem, raw: &'m [u8], level: u8, flags: u8) {
        if self.stopped() || raw == b"\"\"" {
            return;
        }
        match pe.dt {
            Some(i) if pe.composite && level < 3 => {
                self.composite(at, pe, &self.v.plan.dts[i as usize], raw, level, flags);
            }
            _ => self.primitive(at, pe, raw, level, flags),
        }
    }

    fn composite(
        &mut self,
        at: At,
        pe: &'v PElem,
        dt: &'v PDt,
        raw: &'m [u8],
        level: u8,
        flags: u8,
    ) {
        let def = &pe.def;
        // Length of a composite: the encoded repetition.
        if raw.len() > pe.max_bound as usize {
            let max = pe.max_bound;
            let loc = self.val_loc(at, Some(raw));
            self.push(Code::Length, None, loc, |r| {
                r.text(at)
                    .s(" (")
                    .s(&def.name)
                    .s(") is ")
                    .n(raw.len() as u64)
                    .s(" bytes long as encoded; at most ")
                    .n(max)
                    .s(" allowed")
                    .done()
            });
        }
        if pe.constant
            && let Some(c) = &def.constant
            && c.as_bytes() != raw
        {
            let loc = self.val_loc(at, Some(raw));
            self.push(Code::Constant, None, loc, |r| {
                format!("{} is not the constant `{c}`", r.path(at))
            });
        }
        let (sep, search) = if level == 1 {
            (self.d.component, flags & Classes::COMP != 0)
        } else {
            (self.d.subcomponent, flags & Classes::SUB != 0)
        };
        let sub = |n: usize| {
            if level == 1 {
                at.with_comp(n as u32)
            } else {
                at.with_sub(n as u32)
            }
        };
        let mut first: &'m [u8] = &[];
        // Bit k: part k+1 has a value (parts past 64 are never required).
        let mut present = 0u64;
        for (k, part) in Split::new(raw, sep, search).enumerate() {
            if k == 0 {
                first = part;
            }
            if part.is_empty() {
                continue;
            }
            if k < 64 {
                present |= 1 << k;
            }
            let n = k + 1;
            let cat = sub(n);
            let Some(cpe) = dt.comps.get(k) else {
                let loc = self.val_loc(cat, Some(part));
                self.push(Code::Extra, None, loc, |r| {
                    r.text(cat)
                        .s(" is not defined: ")
                        .s(&dt.name)
                        .s(" has ")
                        .n(dt.comps.len() as u64)
                        .s(" components")
                        .done()
                });
                continue;
            };
            if !cpe.go {
                let usage = if let Some(u) = cpe.fixed {
                    u
                } else {
                    let value = self.value_at(at, level);
                    self.resolve(cpe.def.usage, ContextKind::Datatype, dt, n, || {
                        Node::Val(value)
                    })
                };
                if usage.forbids() {
                    let loc = self.val_loc(cat, Some(part));
                    self.push(Code::NotSupported, None, loc, |r| {
                        format!(
                            "component {} ({}) has usage {usage} and must not be sent",
                            r.path(cat),
                            cpe.def.name
                        )
                    });
                    continue;
                }
            }
            // The field's byte classes, narrowed to this component when
            // the field has bytes that make its values need a closer look
            // (most components of such a field have none).
            let part_flags =
                if level == 1 && flags & (Classes::SUB | Classes::ESC | Classes::HIGH) != 0 {
                    self.classes.of(part, &self.d)
                } else {
                    flags
                };
            if cpe.composite && level < 2 {
                self.element(cat, cpe, part, level + 1, part_flags);
            } else if !self.stopped() && part != b"\"\"" {
                // A leaf: straight to its checks.
                self.primitive(cat, cpe, part, level + 1, part_flags);
            }
        }
        for &i in &dt.when_absent {
            if i < 64 && present & (1 << i) != 0 {
                continue;
            }
            let n = i + 1;
            let part = Split::new(raw, sep, search).nth(i);
            if part.is_some_and(|p| !p.is_empty()) {
                continue;
            }
            let cpe = &dt.comps[i];
            let usage = if let Some(u) = cpe.fixed {
                u
            } else {
                let value = self.value_at(at, level);
                self.resolve(cpe.def.usage, ContextKind::Datatype, dt, n, || {
                    Node::Val(value)
                })
            };
            let what = if level == 1 {
                "component"
            } else {
                "sub-component"
            };
            self.absent(sub(n), usage, &cpe.def.name, what, part);
        }
        // A table on a composite binds its first component (the code).
        if let Some(list) = &pe.list
            && !first.is_empty()
        {
            let cat = if level == 1 {
                at.with_comp(1)
            } else {
                at.with_sub(1)
            };
            let text = (!plain(first, self.d.escape)).then(|| self.value_at(cat, level + 1).text());
            self.code_in(cat, pe.list_0396, list, first, text.as_deref(), None);
        }
        if pe.bindings {
            let value = self.value_at(at, level);
            for b in &def.bindings {
                self.binding(at, b, value, true);
            }
        }
        if !self.p.bindings.is_empty() {
            self.context_bindings(
                ContextKind::Datatype,
                &dt.id,
                &dt.name,
                Node::Val(self.value_at(at, level)),
                at.pos,
            );
        }
        if !self.p.conformance_statements.is_empty() {
            self.statements(
                ContextKind::Datatype,
                &dt.id,
                &dt.name,
                Node::Val(self.value_at(at, level)),
                at.pos,
            );
        }
    }

    /// Checks a leaf value: inline for the common value that needs no
    /// check (no escapes, non-ASCII bytes or separators of the level
    /// below in its field, nothing to check beyond lengths it meets).
    #[allow(
        clippy::inline_always,
        reason = "called for every leaf value from two places; as a call it cost a tenth of the walk"
    )]
    #[inline(always)]
    fn primitive(&mut self, at: At, pe: &'v PElem, raw: &'m [u8], level: u8, flags: u8) {
        let below = match level {
            1 => Classes::COMP,
            2 => Classes::SUB,
            _ => 0,
        };
        // A value without escapes, non-ASCII bytes or separators of the
        // level below is its own text: when every check passes on the
        // bytes, there is nothing to report and nothing more to do. Any
        // failure goes to the full checks, which report in their order.
        if flags & (Classes::ESC | Classes::HIGH | below) == 0
            && !pe.bindings
            && raw.len() <= pe.max_len as usize
            && raw.len() >= pe.min_len as usize
        {
            if pe.light {
                return;
            }
            let separator = if level == 1 {
                self.d.component
            } else {
                self.d.subcomponent
            };
            let ok = pe.fmt.is_none_or(|check| check.ok(raw, separator))
                && (!pe.constant || pe.def.constant.as_ref().is_none_or(|c| c.as_bytes() == raw))
                && pe.list.as_ref().is_none_or(|list| {
                    list.codes.contains(raw) || pe.list_0396 && coding_system_code(raw)
                });
            if ok {
                return;
            }
        }
        self.primitive_checks(at, pe, raw, level, flags);
    }

    #[inline(never)]
    fn primitive_checks(&mut self, at: At, pe: &'v PElem, raw: &'m [u8], level: u8, flags: u8) {
        let def = &pe.def;
        let d = self.d;
        // One pass: escapes, non-ASCII bytes, and a separator of the level
        // below followed by more content (a primitive with components).
        let sep = match level {
            1 => d.component,
            2 => d.subcomponent,
            _ => d.escape,
        };
        let below = match level {
            1 => Classes::COMP,
            2 => Classes::SUB,
            _ => 0,
        };
        let (escaped, non_ascii, split) = if flags & (Classes::ESC | Classes::HIGH | below) == 0 {
            (false, false, false)
        } else {
            scan(raw, d.escape, sep)
        };
        // A primitive of a known data type has no components.
        if split && level < 3 && pe.dt.is_some() && !pe.varies {
            let loc = self.val_loc(at, Some(raw));
            self.push(Code::Extra, None, loc, |r| {
                format!(
                    "{} ({}) is a {} and has no components, but `{}` has some",
                    r.path(at),
                    def.name,
                    r.p.datatype(&def.datatype)
                        .map_or(def.datatype.as_str(), |d| d.name.as_str()),
                    String::from_utf8_lossy(raw)
                )
            });
        }
        // Decode only when a check needs the text: ASCII without escapes
        // reads the same in every character set, and is its own text. When
        // only the length needs it, ASCII whose escapes all decode is
        // measured without building the text.
        let mut escaped_len = None;
        if escaped
            && !non_ascii
            && self.charset_ok
            && pe.list.is_none()
            && self.length == LengthMode::Decoded
        {
            escaped_len = decoded_len(raw, &d);
        }
        let text: Option<Cow<'m, str>> = if (escaped || non_ascii) && escaped_len.is_none() {
            let value = self.value_at(at, level);
            match value.try_text() {
                Ok(t) => Some(t),
                Err(e) => {
                    let loc = self.val_loc(at, Some(raw));
                    self.push(Code::Escape, None, loc, |r| format!("{}: {e}", r.path(at)));
                    Some(value.text())
                }
            }
        } else {
            None
        };
        // Lengths.
        if pe.max_len != u32::MAX || pe.min_len != 0 {
            let len = match (self.length, &text) {
                (LengthMode::Decoded, Some(t)) => {
                    if t.is_ascii() {
                        t.len()
                    } else {
                        t.chars().count()
                    }
                }
                _ => escaped_len.unwrap_or(raw.len()),
            };
            if len > pe.max_len as usize {
                let max = pe.max_len;
                let loc = self.val_loc(at, Some(raw));
                self.push(Code::Length, None, loc, |r| {
                    r.text(at)
                        .s(" (")
                        .s(&def.name)
                        .s(") is ")
                        .n(len as u64)
                        .s(" characters long; at most ")
                        .n(max)
                        .s(" allowed")
                        .done()
                });
            }
            if len < pe.min_len as usize {
                let min = pe.min_len;
                let loc = self.val_loc(at, Some(raw));
                self.push(Code::Length, None, loc, |r| {
                    r.text(at)
                        .s(" (")
                        .s(&def.name)
                        .s(") is ")
                        .n(len as u64)
                        .s(" characters long; at least ")
                        .n(min)
                        .s(" required")
                        .done()
                });
            }
        }
        // Format, on the wire bytes (one implementation: `types`).
        if let Some(check) = pe.fmt {
            let separator = if level == 1 {
                d.component
            } else {
                d.subcomponent
            };
            if let Err(why) = check.run(raw, separator) {
                let loc = self.val_loc(at, Some(raw));
                self.push(Code::DataType, None, loc, |r| {
                    format!(
                        "{} ({}) `{}` is not a valid {why}",
                        r.path(at),
                        def.name,
                        String::from_utf8_lossy(raw)
                    )
                });
            }
        }
        if pe.constant
            && let Some(c) = &def.constant
            && c.as_bytes() != raw
        {
            let loc = self.val_loc(at, Some(raw));
            self.push(Code::Constant, None, loc, |r| {
                format!(
                    "{} is `{}`; the profile requires `{c}`",
                    r.path(at),
                    String::from_utf8_lossy(raw)
                )
            });
        }
        if pe.list.is_none() && !pe.bindings {
            return;
        }
        // Without escapes and non-ASCII bytes, the value is its own text.
        if let Some(list) = &pe.list {
            self.code_in(at, pe.list_0396, list, raw, text.as_deref(), None);
        }
        if pe.bindings {
            let value = self.value_at(at, level);
            for b in &def.bindings {
                self.binding(at, b, value, false);
            }
        }
    }

    // ----- vocabulary ------------------------------------------------------

    /// Checks a code (`raw` as written, `code` decoded; `None` when `raw`
    /// is plain ASCII, its own text) against a code list; `is_0396` when
    /// the list is table 0396 (coding systems, with patterns).
    fn code_in(
        &mut self,
        at: At,
        is_0396: bool,
        list: &CodeList,
        raw: &'m [u8],
        code: Option<&str>,
        strength: Option<BindingStrength>,
    ) -> bool {
        if raw.is_empty() || raw == b"\"\"" {
            return true;
        }
        let text = || code.map_or_else(|| String::from_utf8_lossy(raw), Cow::Borrowed);
        let ok = list.codes.contains(code.map_or(raw, str::as_bytes))
            || is_0396 && coding_system_pattern("0396", &text());
        if !ok {
            let severity = match strength {
                Some(BindingStrength::Suggested | BindingStrength::Unspecified) => {
                    Severity::Warning
                }
                _ => list.severity,
            };
            let loc = self.val_loc(at, Some(raw));
            self.push(Code::TableValue, Some(severity), loc, |r| {
                r.text(at)
                    .s(" `")
                    .s(&text())
                    .s("` is not in ")
                    .s(&list.name)
                    .done()
            });
        }
        ok
    }

    /// Checks a binding written on an element.
    fn binding(&mut self, at: At, b: &Binding, value: Value<'m>, composite: bool) {
        let targets: Vec<(At, Value<'m>)> = if b.locations.is_empty() {
            if composite {
                match value.components().next() {
                    Some(c) => vec![(at.with_comp(1), c)],
                    None => vec![],
                }
            } else {
                vec![(at, value)]
            }
        } else {
            b.locations
                .iter()
                .filter_map(|l| {
                    let p = match l {
                        BindingLocation::Simple(p) => p,
                        BindingLocation::Complex { code, .. } => code,
                    };
                    if p.trim() == "." {
                        return Some((at, value));
                    }
                    let n = first_position(p)?;
                    let c = value.components().nth(n - 1)?;
                    Some((at.with_comp(n as u32), c))
                })
                .collect()
        };
        for (a, v) in targets {
            if v.is_empty() {
                continue;
            }
            self.value_sets(a, &b.value_sets, v, b.strength);
        }
    }

    /// A code must be in one of the value sets (those the validator can
    /// check).
    fn value_sets(
        &mut self,
        at: At,
        sets: &[String],
        v: Value<'m>,
        strength: Option<BindingStrength>,
    ) {
        let text = v.text();
        let mut checkable = Vec::new();
        for s in sets {
            if let Some(Some(list)) = self.v.lists.get(s.as_str()) {
                if list.codes.contains(text.as_bytes()) || coding_system_pattern(s, &text) {
                    return;
                }
                checkable.push(Arc::clone(list));
            }
        }
        if checkable.is_empty() {
            return;
        }
        let severity = match strength {
            Some(BindingStrength::Suggested | BindingStrength::Unspecified) => Severity::Warning,
            _ => checkable[0].severity,
        };
        let names: Vec<String> = checkable.iter().map(|l| l.name.clone()).collect();
        let loc = self.val_loc(at, Some(v.raw()));
        self.push(Code::TableValue, Some(severity), loc, |r| {
            format!("{} `{text}` is not in {}", r.path(at), names.join(" or "))
        });
    }

    /// Bindings from a NIST ValueSetBindings file, for one context.
    fn context_bindings<'a>(
        &mut self,
        kind: ContextKind,
        id: &str,
        name: &str,
        ctx: Node<'a, 'm>,
        pos: usize,
    ) {
        let p = self.p;
        let list: Vec<usize> = (0..p.bindings.len())
            .filter(|&i| p.bindings[i].context.matches(kind, id, name))
            .collect();
        for i in list {
            let cb = &p.bindings[i];
            for (at, v) in self.resolve_values(ctx, &cb.target, pos) {
                let b = &cb.binding;
                let composite = v.level() != Level::Subcomponent
                    && v.raw().iter().any(|&c| c == v.delimiters().component);
                self.binding(at, b, v, composite);
            }
        }
    }

    // ----- conformance statements -----------------------------------------

    fn statements<'a>(
        &mut self,
        kind: ContextKind,
        id: &str,
        name: &str,
        ctx: Node<'a, 'm>,
        pos: usize,
    ) {
        let p = self.p;
        let list: Vec<usize> = (0..p.conformance_statements.len())
            .filter(|&i| p.conformance_statements[i].context.matches(kind, id, name))
            .collect();
        for i in list {
            let st = &p.conformance_statements[i];
            let Some(expr) = &st.assertion else { continue };
            let label = st
                .id
                .clone()
                .or_else(|| st.description.clone())
                .unwrap_or_default();
            match self.eval(expr, ctx) {
                Tri::True => {}
                Tri::False => {
                    let severity = match st.strength {
                        Some(Strength::Should) => Severity::Warning,
                        _ => Severity::Error,
                    };
                    let mut loc = self.seg_loc(pos);
                    if let Some(t) = &st.target
                        && let Some((a, v)) = self.resolve_values(ctx, t, pos).into_iter().next()
                    {
                        loc = self.val_loc(a, Some(v.raw()));
                    }
                    let desc = st.description.clone().unwrap_or_default();
                    self.push(Code::Statement, Some(severity), loc, |_| {
                        format!("conformance statement {label} does not hold: {desc}")
                    });
                }
                Tri::Unknown => {
                    if self.inconclusive.insert(label.clone()) {
                        let loc = self.seg_loc(pos);
                        self.push(Code::Inconclusive, None, loc, |_| {
                            format!("conformance statement {label} could not be evaluated")
                        });
                    }
                }
            }
        }
    }

    /// The nodes a positional path (`2[1].1[*]`) selects from `ctx`.
    fn nodes<'a>(&self, ctx: Node<'a, 'm>, path: &str) -> Vec<Node<'a, 'm>> {
        let path = path.trim();
        if path.is_empty() || path == "." {
            return vec![ctx];
        }
        let mut cur = vec![ctx];
        for step in path.split('.') {
            let Some((pos, inst)) = parse_step(step) else {
                return Vec::new();
            };
            let mut next = Vec::new();
            for n in cur {
                match n {
                    Node::Group(inst_tree, defs) => {
                        let j = pos - 1;
                        let Some(def) = defs.get(j) else { continue };
                        let mut k = 0;
                        for item in &inst_tree.items {
                            match (item, def) {
                                (
                                    Item::Segment {
                                        child, position, ..
                                    },
                                    StructureNode::Segment(_),
                                ) if *child == j => {
                                    k += 1;
                                    if inst.is_none_or(|i| i == k)
                                        && let Some(s) = self.msg.segment(*position)
                                    {
                                        next.push(Node::Seg(s));
                                    }
                                }
                                (
                                    Item::Group {
                                        child, instance, ..
                                    },
                                    StructureNode::Group(g),
                                ) if *child == j => {
                                    k += 1;
                                    if inst.is_none_or(|i| i == k) {
                                        next.push(Node::Group(instance, &g.children));
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                    Node::Seg(s) => {
                        let f = if s.id() == "MSH" && pos <= 2 {
                            s.field(pos).into_iter().collect::<Vec<_>>()
                        } else {
                            s.field(pos)
                                .map(|f| f.repetitions().collect::<Vec<_>>())
                                .unwrap_or_default()
                        };
                        for (k, r) in f.into_iter().enumerate() {
                            if inst.is_none_or(|i| i == k + 1) {
                                next.push(Node::Val(r));
                            }
                        }
                    }
                    Node::Val(v) => {
                        if inst.is_some_and(|i| i != 1) {
                            continue;
                        }
                        let part = match v.level() {
                            Level::Repetition | Level::Field => v.component(pos),
                            Level::Component => v.subcomponent(pos),
                            _ => None,
                        };
                        if let Some(p) = part {
                            next.push(Node::Val(p));
                        }
                    }
                }
            }
            cur = next;
        }
        cur
    }

    /// Values a path selects, with their locations (for bindings and
    /// statement targets).
    fn resolve_values<'a>(
        &self,
        ctx: Node<'a, 'm>,
        path: &str,
        pos: usize,
    ) -> Vec<(At, Value<'m>)> {
        self.nodes(ctx, path)
            .into_iter()
            .filter_map(|n| match n {
                Node::Val(v) if !v.is_empty() => Some((self.at_of(v, pos), v)),
                _ => None,
            })
            .collect()
    }

    /// Locates a value by its bytes (segment by offset; field etc. by
    /// counting separators before it).
    fn at_of(&self, v: Value<'m>, fallback: usize) -> At {
        let base = self.msg.as_bytes().as_ptr() as usize;
        let off = (v.raw().as_ptr() as usize).wrapping_sub(base);
        let Some(seg) = self
            .msg
            .segments()
            .find(|s| s.offset() <= off && off <= s.offset() + s.raw().len())
        else {
            return At {
                pos: fallback,
                ..At::default()
            };
        };
        let d = self.msg.delimiters();
        let before = &seg.raw()[..off - seg.offset()];
        let (mut field, mut rep, mut comp, mut sub) = (0u32, 1u32, 0u32, 0u32);
        for &b in before {
            if b == d.field {
                field += 1;
                rep = 1;
                comp = 0;
                sub = 0;
            } else if b == d.repetition {
                rep += 1;
                comp = 0;
                sub = 0;
            } else if b == d.component {
                comp = comp.max(1) + 1;
                sub = 0;
            } else if b == d.subcomponent {
                comp = comp.max(1);
                sub = sub.max(1) + 1;
            }
        }
        if seg.id() == "MSH" {
            field += 1;
        }
        match v.level() {
            Level::Component if comp == 0 => comp = 1,
            Level::Subcomponent => {
                comp = comp.max(1);
                sub = sub.max(1);
            }
            _ => {}
        }
        At::new(seg.position(), field, rep, comp, sub)
    }

    fn texts<'a>(&self, ctx: Node<'a, 'm>, path: &str) -> Vec<Cow<'m, str>> {
        self.nodes(ctx, path)
            .into_iter()
            .filter_map(|n| match n {
                Node::Val(v) if !v.is_empty() => Some(v.text()),
                Node::Seg(s) => Some(Cow::Borrowed(s.id())),
                _ => None,
            })
            .collect()
    }

    fn eval<'a>(&self, expr: &Expr, ctx: Node<'a, 'm>) -> Tri {
        let absent = |np: Option<NotPresent>| match np {
            Some(NotPresent::Fail) => Tri::False,
            Some(NotPresent::Inconclusive) => Tri::Unknown,
            Some(NotPresent::Pass) | None => Tri::True,
        };
        match expr {
            Expr::Presence { path } => Tri::from(self.nodes(ctx, path).iter().any(|n| match n {
                Node::Val(v) => !v.is_empty(),
                _ => true,
            })),
            Expr::PlainText {
                path,
                text,
                ignore_case,
                at_least_once,
                not_present,
            } => {
                let vals = self.texts(ctx, path);
                if vals.is_empty() {
                    return absent(*not_present);
                }
                let eq = |v: &Cow<'_, str>| {
                    if *ignore_case {
                        v.eq_ignore_ascii_case(text)
                    } else {
                        v == text
                    }
                };
                Tri::from(if *at_least_once {
                    vals.iter().any(eq)
                } else {
                    vals.iter().all(eq)
                })
            }
            Expr::Format {
                path,
                regex,
                at_least_once,
                not_present,
            } => {
                let Some(Some(re)) = self.v.regexes.get(regex) else {
                    return Tri::Unknown;
                };
                let vals = self.texts(ctx, path);
                if vals.is_empty() {
                    return absent(*not_present);
                }
                Tri::from(if *at_least_once {
                    vals.iter().any(|v| re.is_match(v))
                } else {
                    vals.iter().all(|v| re.is_match(v))
                })
            }
            Expr::StringList {
                path,
                values,
                ignore_case,
                not_present,
            } => {
                let vals = self.texts(ctx, path);
                if vals.is_empty() {
                    return absent(*not_present);
                }
                Tri::from(vals.iter().all(|v| {
                    values.iter().any(|x| {
                        if *ignore_case {
                            x.eq_ignore_ascii_case(v)
                        } else {
                            x == v
                        }
                    })
                }))
            }
            Expr::NumberList {
                path,
                values,
                not_present,
            } => {
                let vals = self.texts(ctx, path);
                if vals.is_empty() {
                    return absent(*not_present);
                }
                let nums: Vec<f64> = values
                    .iter()
                    .filter_map(|x| x.trim().parse().ok())
                    .collect();
                Tri::from(vals.iter().all(|v| {
                    v.trim()
                        .parse::<f64>()
                        .is_ok_and(|n| nums.iter().any(|x| (x - n).abs() < f64::EPSILON))
                }))
            }
            Expr::SimpleValue {
                path,
                operator,
                value,
                not_present,
                ..
            } => {
                let vals = self.texts(ctx, path);
                if vals.is_empty() {
                    return absent(*not_present);
                }
                Tri::from(vals.iter().all(|v| compare(v, operator, value)))
            }
            Expr::PathValue {
                path1,
                operator,
                path2,
                not_present,
            } => {
                let left = self.texts(ctx, path1);
                let right = self.texts(ctx, path2);
                match (left.first(), right.first()) {
                    (None, None) => absent(*not_present),
                    (Some(l), Some(r)) => Tri::from(compare(l, operator, r)),
                    _ => Tri::False,
                }
            }
            Expr::ValueSet {
                path, value_set, ..
            } => {
                let Some(Some(list)) = self.v.lists.get(value_set.as_str()) else {
                    return match self.p.value_set(value_set) {
                        Some(vs) => {
                            let vals = self.texts(ctx, path);
                            Tri::from(vals.iter().all(|v| vs.contains(v)))
                        }
                        None => Tri::Unknown,
                    };
                };
                let vals = self.texts(ctx, path);
                Tri::from(vals.iter().all(|v| list.codes.contains(v.as_bytes())))
            }
            Expr::SetId { path } => {
                let vals = self.texts(ctx, path);
                Tri::from(
                    vals.iter()
                        .enumerate()
                        .all(|(i, v)| v.trim().parse::<usize>().ok() == Some(i + 1)),
                )
            }
            Expr::Not(x) => match self.eval(x, ctx) {
                Tri::True => Tri::False,
                Tri::False => Tri::True,
                Tri::Unknown => Tri::Unknown,
            },
            Expr::And(v) | Expr::ForAll(v) => {
                let mut out = Tri::True;
                for x in v {
                    match self.eval(x, ctx) {
                        Tri::False => return Tri::False,
                        Tri::Unknown => out = Tri::Unknown,
                        Tri::True => {}
                    }
                }
                out
            }
            Expr::Or(v) | Expr::Exist(v) => {
                let mut out = Tri::False;
                for x in v {
                    match self.eval(x, ctx) {
                        Tri::True => return Tri::True,
                        Tri::Unknown => out = Tri::Unknown,
                        Tri::False => {}
                    }
                }
                out
            }
            Expr::Xor(v) => {
                let mut n = 0;
                for x in v {
                    match self.eval(x, ctx) {
                        Tri::True => n += 1,
                        Tri::Unknown => return Tri::Unknown,
                        Tri::False => {}
                    }
                }
                Tri::from(n == 1)
            }
            Expr::Imply(a, b) => match self.eval(a, ctx) {
                Tri::False => Tri::True,
                Tri::True => self.eval(b, ctx),
                Tri::Unknown => match self.eval(b, ctx) {
                    Tri::True => Tri::True,
                    _ => Tri::Unknown,
                },
            },
            _ => Tri::Unknown,
        }
    }
}

/// What [`Run::resolve`] needs of a segment or data-type flavor.
trait Owner {
    fn id(&self) -> &str;
    fn name(&self) -> &str;
}

impl Owner for PSeg {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl Owner for PDt {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

/// The segment position where a missing child `j` of an instance would
/// have been: the first item after it, else the instance's last segment,
/// else the end of the message.
fn anchor(inst: &Instance, j: usize, end: usize) -> usize {
    let mut last = None;
    for item in &inst.items {
        let (child, first) = match item {
            Item::Segment {
                child, position, ..
            } => (Some(*child), Some(*position)),
            Item::Group {
                child, instance, ..
            } => (Some(*child), instance.first_position()),
            Item::Unexpected { position } => (None, Some(*position)),
        };
        if child.is_some_and(|c| c > j)
            && let Some(p) = first
        {
            return p;
        }
        if first.is_some() {
            last = first;
        }
    }
    last.map_or(end, |p| p.min(end))
}

/// Table 0396 (coding systems) lists the patterns `HL7nnnn` (any HL7
/// table) and `99zzz` (local systems) instead of the codes themselves.
fn coding_system_pattern(table: &str, code: &str) -> bool {
    let table = table.strip_prefix("HL7").unwrap_or(table);
    table == "0396" && coding_system_code(code.as_bytes())
}

/// A code of table 0396 by pattern: `HL7nnnn` (an HL7 table) or `99zzz`
/// (a local coding system).
fn coding_system_code(code: &[u8]) -> bool {
    code.strip_prefix(b"HL7")
        .is_some_and(|n| n.len() == 4 && n.iter().all(u8::is_ascii_digit))
        || code.strip_prefix(b"99").is_some_and(|z| !z.is_empty())
}

/// `6[1]` → 6; `6` → 6; `6[1].2[1]` → 6.
fn first_position(path: &str) -> Option<usize> {
    parse_step(path.trim().split('.').next()?).map(|(p, _)| p)
}

/// `4[2]` → (4, Some(2)); `4[*]` and `4` → (4, None for * / Some(1) bare).
fn parse_step(step: &str) -> Option<(usize, Option<usize>)> {
    let step = step.trim();
    match step.split_once('[') {
        Some((p, rest)) => {
            let p = p.trim().parse().ok()?;
            let i = rest.strip_suffix(']')?.trim();
            if i == "*" {
                Some((p, None))
            } else {
                Some((p, Some(i.parse().ok()?)))
            }
        }
        None => Some((step.parse().ok()?, Some(1))),
    }
}

/// Compares a value with another by a NIST operator, as numbers when both
/// are numbers.
fn compare(a: &str, op: &str, b: &str) -> bool {
    use std::cmp::Ordering;
    let ord = match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y),
        _ => Some(a.cmp(b)),
    };
    let Some(ord) = ord else { return false };
    match op.to_ascii_uppercase().as_str() {
        "EQ" => ord == Ordering::Equal,
        "NE" => ord != Ordering::Equal,
        "GT" => ord == Ordering::Greater,
        "LT" => ord == Ordering::Less,
        "GE" => ord != Ordering::Less,
        "LE" => ord != Ordering::Greater,
        _ => false,
    }
}

/// Loads every profile in a directory for a [`Catalog`]: `*.xml` and
/// `*.toml` files, and sub-directories holding a NIST set. Returns the
/// profiles that loaded (with their file name as label) and a message for
/// each that did not.
pub fn load_dir(dir: &FsPath) -> (Vec<(PathBuf, Profile)>, Vec<String>) {
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            errors.push(format!("{}: {e}", dir.display()));
            return (ok, errors);
        }
    };
    entries.sort();
    for path in entries {
        let is_profile_file = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("xml") || e.eq_ignore_ascii_case("toml"));
        if !(path.is_dir() || is_profile_file) {
            continue;
        }
        match hl7_schema::profile::load(&path).into_result() {
            Ok((p, _)) if !p.messages.is_empty() => ok.push((path, p)),
            Ok(_) => {}
            Err(e) => errors.push(format!(
                "{}: {}",
                path.display(),
                e.errors()
                    .next()
                    .map_or_else(|| "cannot be loaded".to_owned(), ToString::to_string)
            )),
        }
    }
    (ok, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_map_to_0357() {
        for c in Code::ALL {
            assert_eq!(c.as_str().parse::<Code>().unwrap(), c);
        }
        assert_eq!(Code::Length.hl7_code(), 102);
        assert_eq!(Code::NotSupported.hl7_code(), 207);
        assert!("nope".parse::<Code>().is_err());
    }

    #[test]
    fn policy_parses_lines_commas_and_toml() {
        let p =
            Policy::parse("[severity]\n\"101\" = \"warning\"\nlength=info, extra = error").unwrap();
        assert_eq!(p.severity(Code::RequiredFieldMissing), Severity::Warning);
        assert_eq!(p.severity(Code::Length), Severity::Info);
        assert_eq!(p.severity(Code::Extra), Severity::Error);
        assert_eq!(p.severity(Code::DataType), Severity::Error);
        assert!(Policy::parse("101").is_err());
        assert!(Policy::parse("101 = fatal").is_err());
    }

    #[test]
    fn a_profile_element_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<PElem>(), 64);
    }

    #[test]
    fn steps_and_compare() {
        assert_eq!(parse_step("4[2]"), Some((4, Some(2))));
        assert_eq!(parse_step("4[*]"), Some((4, None)));
        assert_eq!(parse_step("4"), Some((4, Some(1))));
        assert_eq!(first_position("9[1].5[1]"), Some(9));
        assert!(compare("10", "GT", "9"));
        assert!(compare("abc", "EQ", "abc"));
        assert!(!compare("1", "XX", "1"));
    }
}

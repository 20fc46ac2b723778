//! HL7 v2 version definitions: message structures, segments and fields,
//! data types, tables and trigger events of HL7 v2.3 to v2.8.
//!
//! The definitions live in `profiles/versions/<version>/` (format:
//! `profiles/versions/FORMAT.md`; produced by `tools/defs/convert.py` from
//! pinned packages, every correction logged in `REPAIRS.txt`). They are
//! bundled into this crate, so build scripts and the command line need no
//! paths:
//!
//! ```
//! use hl7_schema::defs::{Version, versions};
//!
//! assert!(versions().contains(&"2.5.1"));
//! let v = Version::load("2.5.1")?;
//! let pid = v.segment("PID").unwrap();
//! assert_eq!(pid.field(5).unwrap().datatype.as_deref(), Some("XPN"));
//! let adt = v.structure_for_event("ADT", "A04").unwrap();
//! assert_eq!(adt.id, "ADT_A01");
//! # Ok::<(), hl7_schema::defs::DefsError>(())
//! ```
//!
//! Only structural facts and short element names are kept (see
//! `profiles/versions/NOTICE-HL7.md`); table values come from HL7
//! Terminology (CC0).

mod bundled;
mod error;
mod model;
mod parse;

use std::collections::HashMap;
use std::path::Path;

pub use error::{DefsError, DefsErrorKind};
pub use model::{
    AnyScope, AnySegment, Cardinality, ComponentDef, DataTypeDef, DataTypeKind, Event, FieldDef,
    Group, MessageStructure, SegmentDef, SegmentRef, StructureNode, Table, TableCode, TableKind,
    Usage,
};

/// The ids of the bundled versions, oldest first:
/// `2.3`, `2.3.1`, `2.4`, `2.5`, `2.5.1`, `2.6`, `2.7`, `2.7.1`, `2.8`.
pub fn versions() -> Vec<&'static str> {
    bundled::VERSIONS.iter().map(|(id, _)| *id).collect()
}

/// The definitions of one HL7 v2 version.
///
/// Lists are sorted by id (events by message type, then trigger); lookups
/// are binary searches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    id: String,
    segments: Vec<SegmentDef>,
    datatypes: Vec<DataTypeDef>,
    structures: Vec<MessageStructure>,
    events: Vec<Event>,
    tables: Vec<Table>,
}

/// The five texts of a version plus the shared table values.
struct Sources<'a> {
    names: [String; 6],
    texts: [&'a str; 6],
}

impl Version {
    /// Loads a bundled version (`"2.5.1"`; see [`versions`]).
    ///
    /// # Errors
    ///
    /// [`DefsErrorKind::UnknownVersion`] for an id that is not bundled; any
    /// other error means the bundled data is broken (the crate's tests load
    /// every version).
    pub fn load(id: &str) -> Result<Version, DefsError> {
        let Some((vid, f)) = bundled::VERSIONS.iter().find(|(v, _)| *v == id) else {
            return Err(DefsError::new(
                "profiles/versions",
                0,
                DefsErrorKind::UnknownVersion(id.to_owned()),
            ));
        };
        let name = |file: &str| format!("{vid}/{file}");
        Self::parse(
            vid,
            &Sources {
                names: [
                    name("segments.txt"),
                    name("datatypes.txt"),
                    name("structures.txt"),
                    name("events.txt"),
                    name("tables.txt"),
                    "tables-tho.txt".to_owned(),
                ],
                texts: [
                    f.segments,
                    f.datatypes,
                    f.structures,
                    f.events,
                    f.tables,
                    bundled::THO,
                ],
            },
        )
    }

    /// Loads a version from a directory laid out like
    /// `profiles/versions/<version>/`: the version id is the directory's
    /// name, and the table values are read from `tables-tho.txt` in its
    /// parent directory. Meant for tests and for regenerated data.
    ///
    /// # Errors
    ///
    /// A file that cannot be read, or any syntax or consistency error, with
    /// the file's path and line.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Version, DefsError> {
        let dir = dir.as_ref();
        let id = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let tho = dir
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join("tables-tho.txt");
        let paths = [
            dir.join("segments.txt"),
            dir.join("datatypes.txt"),
            dir.join("structures.txt"),
            dir.join("events.txt"),
            dir.join("tables.txt"),
            tho,
        ];
        let mut texts: Vec<String> = Vec::with_capacity(paths.len());
        for p in &paths {
            let text = std::fs::read_to_string(p)
                .map_err(|e| DefsError::new(p.display().to_string(), 0, DefsErrorKind::Io(e)))?;
            texts.push(text);
        }
        let names = paths.map(|p| p.display().to_string());
        Self::parse(
            &id,
            &Sources {
                names,
                texts: std::array::from_fn(|i| texts[i].as_str()),
            },
        )
    }

    fn parse(id: &str, src: &Sources<'_>) -> Result<Version, DefsError> {
        let n = &src.names;
        let t = &src.texts;
        let segments = parse::segments(&n[0], t[0])?;
        let datatypes = parse::datatypes(&n[1], t[1])?;
        let structures = parse::structures(&n[2], t[2])?;
        let events = parse::events(&n[3], t[3])?;
        let headers = parse::tables(&n[4], t[4])?;
        let mut values: HashMap<String, Vec<TableCode>> = parse::tho(&n[5], t[5])?;
        let tables = headers
            .into_iter()
            .map(|h| Table {
                codes: values.remove(&h.id).unwrap_or_default(),
                id: h.id,
                name: h.name,
                kind: h.kind,
            })
            .collect();
        Ok(Version {
            id: id.to_owned(),
            segments,
            datatypes,
            structures,
            events,
            tables,
        })
    }

    /// The version id, e.g. `2.5.1`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// All segments, sorted by id.
    pub fn segments(&self) -> &[SegmentDef] {
        &self.segments
    }

    /// The segment with this id.
    pub fn segment(&self, id: &str) -> Option<&SegmentDef> {
        find(&self.segments, id, |s| &s.id)
    }

    /// All data types (primitive and composite), sorted by code.
    pub fn datatypes(&self) -> &[DataTypeDef] {
        &self.datatypes
    }

    /// The data type with this code.
    pub fn datatype(&self, code: &str) -> Option<&DataTypeDef> {
        find(&self.datatypes, code, |d| &d.code)
    }

    /// All message structures, sorted by id.
    pub fn structures(&self) -> &[MessageStructure] {
        &self.structures
    }

    /// The message structure with this id (`ADT_A01`).
    pub fn structure(&self, id: &str) -> Option<&MessageStructure> {
        find(&self.structures, id, |s| &s.id)
    }

    /// All trigger events, sorted by message type, then trigger.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The event `message_type^trigger` (`ADT`, `A04`).
    pub fn event(&self, message_type: &str, trigger: &str) -> Option<&Event> {
        self.events
            .binary_search_by(|e| {
                (e.message_type.as_str(), e.trigger.as_str()).cmp(&(message_type, trigger))
            })
            .ok()
            .map(|i| &self.events[i])
    }

    /// The message structure used by the event `message_type^trigger`.
    pub fn structure_for_event(
        &self,
        message_type: &str,
        trigger: &str,
    ) -> Option<&MessageStructure> {
        self.event(message_type, trigger)
            .and_then(|e| self.structure(&e.structure))
    }

    /// All tables referenced by this version, sorted by number.
    pub fn tables(&self) -> &[Table] {
        &self.tables
    }

    /// The table with this number (`0001`).
    pub fn table(&self, id: &str) -> Option<&Table> {
        find(&self.tables, id, |t| &t.id)
    }
}

fn find<'a, T>(items: &'a [T], id: &str, key: impl Fn(&T) -> &String) -> Option<&'a T> {
    items
        .binary_search_by(|x| key(x).as_str().cmp(id))
        .ok()
        .map(|i| &items[i])
}

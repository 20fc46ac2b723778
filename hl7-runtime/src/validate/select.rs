//! Choosing a profile per message in a mixed feed.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use hl7_schema::defs::Version;
use hl7_schema::profile::{Profile, structure_profile};

use super::{Code, Finding, Location, Options, Report, Validator, msh9, msh12};
use crate::er7::Message;

/// A set of profiles to validate a mixed feed against: the profiles of a
/// directory, one profile, or a bundled HL7 version.
///
/// For each message, [`Catalog::select`] picks:
///
/// 1. the profile named by an MSH-21 repetition (its first component equal
///    to the profile's ID, its name, a message's identifier, or the
///    profile's file name without extension; case is ignored);
/// 2. otherwise a profile with a message for MSH-9 type and event (`ALL`
///    matching any event), preferring one whose HL7 version is MSH-12;
/// 3. otherwise, for a base version, the standard structure of MSH-9's
///    event in that version (or the structure MSH-9.3 names).
///
/// When nothing fits, the finding says why: 200 when no profile knows the
/// message type, 201 when none knows the event.
#[derive(Debug)]
pub struct Catalog {
    entries: Vec<Entry>,
    base: Option<Base>,
    options: Options,
}

#[derive(Debug)]
struct Entry {
    stem: String,
    validator: Validator,
}

#[derive(Debug)]
struct Base {
    version: String,
    defs: Version,
    /// Structure ID → index in `validators`.
    built: HashMap<String, usize>,
    validators: Vec<Validator>,
    /// The last MSH-9 (type, event, structure) and its validator: feeds
    /// repeat their message types.
    last: Option<(String, String, String, usize)>,
}

/// A catalog that cannot be built: a profile or version that does not load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError {
    message: String,
}

impl CatalogError {
    fn new(message: impl Into<String>) -> Self {
        CatalogError {
            message: message.into(),
        }
    }
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CatalogError {}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl Catalog {
    /// An empty catalog.
    pub fn new(options: Options) -> Catalog {
        Catalog {
            entries: Vec::new(),
            base: None,
            options,
        }
    }

    /// Adds a profile; `label` names it in reports and may be matched by
    /// MSH-21 (a file name without extension, say).
    pub fn add(&mut self, profile: Profile, label: impl Into<String>) {
        let label = label.into();
        let validator =
            Validator::with_options(profile, self.options.clone()).with_label(label.clone());
        self.entries.push(Entry {
            stem: label,
            validator,
        });
    }

    /// The standard structures of a bundled HL7 version (`2.5.1`), built
    /// per structure on first use.
    ///
    /// # Errors
    ///
    /// The version is not bundled.
    pub fn base_version(version: &str, options: Options) -> Result<Catalog, CatalogError> {
        let defs = Version::load(version).map_err(|e| {
            CatalogError::new(format!(
                "{e}; bundled versions: {}",
                hl7_schema::defs::versions().join(", ")
            ))
        })?;
        let mut c = Catalog::new(options);
        c.base = Some(Base {
            version: version.to_owned(),
            defs,
            built: HashMap::new(),
            validators: Vec::new(),
            last: None,
        });
        Ok(c)
    }

    /// Opens `spec`: a profile file, a directory of profiles (or a NIST
    /// profile directory), or, when no such path exists, a bundled HL7
    /// version such as `2.5.1`. Returns the catalog and a message for each
    /// file of a directory that did not load.
    ///
    /// # Errors
    ///
    /// A profile file that does not load, a directory with no usable
    /// profile, or an unknown version.
    pub fn open(spec: &str, options: Options) -> Result<(Catalog, Vec<String>), CatalogError> {
        let path = Path::new(spec);
        if !path.exists() {
            if spec.starts_with('2') && spec.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                return Catalog::base_version(spec, options).map(|c| (c, Vec::new()));
            }
            return Err(CatalogError::new(format!(
                "{spec}: no such profile file or directory, and not an HL7 version (bundled: {})",
                hl7_schema::defs::versions().join(", ")
            )));
        }
        let mut c = Catalog::new(options);
        // A NIST set is a directory too: try it as one profile first.
        if path.is_dir() {
            if let Ok((p, _)) = hl7_schema::profile::load(path).into_result()
                && !p.messages.is_empty()
            {
                c.add(p, stem(path));
                return Ok((c, Vec::new()));
            }
            let (ok, errors) = super::load_dir(path);
            if ok.is_empty() {
                let mut msg = format!("{}: no profile could be loaded", path.display());
                for e in &errors {
                    msg.push_str("\n  ");
                    msg.push_str(e);
                }
                return Err(CatalogError::new(msg));
            }
            for (p, profile) in ok {
                c.add(profile, stem(&p));
            }
            return Ok((c, errors));
        }
        match hl7_schema::profile::load(path).into_result() {
            Ok((p, _)) if !p.messages.is_empty() => {
                c.add(p, stem(path));
                Ok((c, Vec::new()))
            }
            Ok(_) => Err(CatalogError::new(format!(
                "{}: the profile defines no message",
                path.display()
            ))),
            Err(e) => {
                let mut msg = format!("{}: the profile does not load", path.display());
                for d in e.errors().take(10) {
                    msg.push_str("\n  ");
                    msg.push_str(&d.to_string());
                }
                Err(CatalogError::new(msg))
            }
        }
    }

    /// Number of profiles (a base version counts as one).
    pub fn len(&self) -> usize {
        self.entries.len() + usize::from(self.base.is_some())
    }

    /// No profile at all?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The validators of the profiles added, in order.
    pub fn validators(&self) -> impl Iterator<Item = &Validator> {
        self.entries.iter().map(|e| &e.validator)
    }

    /// The validator and profile message index for a message; see the
    /// type's docs for the rules.
    ///
    /// # Errors
    ///
    /// A 200 or 201 finding when no profile fits.
    pub fn select(&mut self, msg: &Message<'_>) -> Result<(&Validator, usize), Finding> {
        if !self.entries.is_empty()
            && let Some(i) = self.by_msh21(msg).or_else(|| self.by_type(msg))
        {
            let v = &self.entries[i].validator;
            return Ok((v, v.message_for(msg).unwrap_or(0)));
        }
        let (ty, ev, st) = msh9(msg);
        if let Some(base) = &mut self.base {
            if let Some((t, e, s, i)) = &base.last
                && *t == ty
                && *e == ev
                && *s == st
            {
                return Ok((&base.validators[*i], 0));
            }
            let structure = base
                .defs
                .structure_for_event(&ty, &ev)
                .map(|s| s.id.clone())
                .or_else(|| base.defs.structure(&st).map(|s| s.id.clone()));
            if let Some(structure) = structure {
                let i = if let Some(&i) = base.built.get(&structure) {
                    i
                } else {
                    let mut p = structure_profile(&base.version, &structure)
                        .map_err(|e| self::finding(msg, Code::InternalError, 1, e))?;
                    // One structure serves every event that uses it.
                    for m in &mut p.messages {
                        "ALL".clone_into(&mut m.event);
                    }
                    let label = format!("HL7 v{} {structure}", base.version);
                    let v = Validator::with_options(p, self.options.clone()).with_label(label);
                    base.validators.push(v);
                    base.built.insert(structure, base.validators.len() - 1);
                    base.validators.len() - 1
                };
                base.last = Some((ty.into_owned(), ev.into_owned(), st.into_owned(), i));
                return Ok((&base.validators[i], 0));
            }
            let known_type = base.defs.events().iter().any(|e| e.message_type == ty);
            return Err(if known_type {
                finding(
                    msg,
                    Code::UnsupportedEvent,
                    2,
                    format!(
                        "HL7 v{} defines no event {ty}^{ev} (and no structure `{st}`)",
                        base.version
                    ),
                )
            } else {
                finding(
                    msg,
                    Code::UnsupportedMessageType,
                    1,
                    format!("HL7 v{} defines no message type `{ty}`", base.version),
                )
            });
        }
        let known_type = self.entries.iter().any(|e| {
            e.validator
                .profile()
                .messages
                .iter()
                .any(|m| m.msg_type == ty)
        });
        Err(if known_type {
            finding(
                msg,
                Code::UnsupportedEvent,
                2,
                format!("no profile has a message for event {ty}^{ev}"),
            )
        } else {
            finding(
                msg,
                Code::UnsupportedMessageType,
                1,
                format!("no profile has a message of type `{ty}`"),
            )
        })
    }

    fn by_msh21(&self, msg: &Message<'_>) -> Option<usize> {
        let f = msg.segment(0)?.field(21)?;
        for rep in f.repetitions() {
            let Some(id) = rep.component(1).map(|v| v.text()) else {
                continue;
            };
            let id = id.trim();
            if id.is_empty() {
                continue;
            }
            let eq = |s: Option<&str>| s.is_some_and(|s| s.eq_ignore_ascii_case(id));
            if let Some(i) = self.entries.iter().position(|e| {
                let p = e.validator.profile();
                eq(p.meta.id.as_deref())
                    || eq(p.meta.name.as_deref())
                    || eq(Some(&e.stem))
                    || p.messages
                        .iter()
                        .any(|m| eq(m.identifier.as_deref()) || eq(Some(&m.id)))
            }) {
                return Some(i);
            }
        }
        None
    }

    fn by_type(&self, msg: &Message<'_>) -> Option<usize> {
        let (ty, ev, _) = msh9(msg);
        let version = msh12(msg);
        let fits: Vec<usize> = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.validator.profile().messages.iter().any(|m| {
                    m.msg_type == ty && (m.event == ev || m.event.eq_ignore_ascii_case("ALL"))
                })
            })
            .map(|(i, _)| i)
            .collect();
        fits.iter()
            .copied()
            .find(|&i| {
                self.entries[i]
                    .validator
                    .profile()
                    .meta
                    .hl7_version
                    .as_deref()
                    == Some(version.as_ref())
            })
            .or_else(|| fits.first().copied())
    }

    /// Validates a message against the profile [`Catalog::select`] picks; a
    /// message no profile fits gets a report with the selection finding.
    pub fn validate(&mut self, msg: &Message<'_>) -> Report {
        match self.select(msg) {
            Ok((v, i)) => v.validate_as(msg, i),
            Err(f) => {
                let (ty, ev, st) = msh9(msg);
                Report {
                    profile: None,
                    message_type: (!ty.is_empty()).then(|| {
                        if st.is_empty() {
                            format!("{ty}^{ev}")
                        } else {
                            format!("{ty}^{ev}^{st}")
                        }
                    }),
                    control_id: msg
                        .segment(0)
                        .and_then(|s| s.field(10))
                        .map(|v| v.text().into_owned())
                        .filter(|s| !s.is_empty()),
                    findings: vec![f],
                    suppressed: 0,
                }
            }
        }
    }

    /// Paths of the profiles added, by label (for messages).
    pub fn labels(&self) -> Vec<String> {
        let mut out: Vec<String> = self.entries.iter().map(|e| e.stem.clone()).collect();
        if let Some(b) = &self.base {
            out.push(format!("HL7 v{}", b.version));
        }
        out
    }
}

/// A finding on MSH-9 component `comp`.
fn finding(msg: &Message<'_>, code: Code, comp: usize, message: String) -> Finding {
    let base = msg.as_bytes().as_ptr() as usize;
    let seg = msg.segment(0);
    let v = seg.and_then(|s| s.field(9)).and_then(|f| f.component(comp));
    let (off, len) = v.map_or((0, 0), |v| {
        (
            (v.raw().as_ptr() as usize).wrapping_sub(base),
            v.raw().len(),
        )
    });
    let off = off.min(msg.as_bytes().len());
    Finding {
        severity: code.default_severity(),
        code,
        location: Location {
            path: format!("MSH[1]-9.{comp}"),
            segment: Some(0),
            line: 1,
            column: off + 1,
            offset: msg.offset() + off,
            len,
        },
        message,
    }
}

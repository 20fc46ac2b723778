//! TOML site profiles: constraints, Z segments, Z fields, site events and
//! code lists, layered on a base HL7 version.
//!
//! The format is documented with a worked example in `docs/site-profiles.md`.
//! In short:
//!
//! ```toml
//! [profile]
//! name = "ACME ADT outbound"
//! hl7 = "2.5.1"                    # the base version
//!
//! [messages."ADT^A01"]             # events covered (structure from the base)
//! [messages."ADT^A08"]
//!
//! [constraints]                    # apply to every message above
//! "PID-3"  = { usage = "R", max = 3 }
//! "PID-19" = "X"
//! "PID-8"  = { usage = "RE", values = "acme-sex" }
//! "NK1"    = { max = 2 }           # a segment (or group) in the structure
//!
//! [segments.ZPI]                   # a Z segment, placed after PID
//! after = "PID"
//! usage = "RE"
//! fields = [
//!   { name = "Set ID", type = "SI", usage = "R", length = 4 },
//!   { name = "VIP level", type = "CWE", usage = "O", values = "acme-vip" },
//! ]
//!
//! [values.acme-sex]                # a site code list
//! codes = { F = "Female", M = "Male", U = "Unknown" }
//! ```
//!
//! Parsing ([`parse_str`]) checks the file on its own and collects every
//! problem with its line:column. Layering ([`super::layer()`]) then
//! resolves every key against the base definitions.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::common::parse_conf_length;
use super::diag::{DiagnosticKind as K, Diags, Location, SourceText};
use super::layer::{self, BaseDefinitions};
use super::model::{BindingStrength, Bound, ConfLength, ProfileType, Role, Usage};
use super::{Diagnostic, Loaded, Severity, relative_to};

/// A value with the position it was written at.
#[derive(Debug, Clone)]
pub(crate) struct Sp<T> {
    pub(crate) value: T,
    pub(crate) at: Location,
}

/// A parsed TOML site profile, not yet layered on its base.
///
/// Produced by [`parse_str`]; turned into a [`super::Profile`] by
/// [`super::layer()`].
#[derive(Debug, Clone)]
pub struct SiteProfile {
    pub(crate) path: PathBuf,
    pub(crate) meta: SiteMeta,
    pub(crate) messages: Vec<SiteMessage>,
    pub(crate) constraints: Vec<Constraint>,
    pub(crate) segments: Vec<SiteSegment>,
    pub(crate) value_sets: Vec<SiteValueSet>,
}

impl SiteProfile {
    /// The file it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The base HL7 version (`[profile] hl7`), when given.
    pub fn hl7_version(&self) -> Option<&str> {
        self.meta.hl7.as_ref().map(|s| s.value.as_str())
    }

    /// The base profile path (`[profile] base_profile`), resolved against
    /// the site file's directory, when given.
    pub fn base_profile(&self) -> Option<PathBuf> {
        self.meta
            .base_profile
            .as_ref()
            .map(|s| relative_to(&self.path, &s.value))
    }

    /// The profile name.
    pub fn name(&self) -> Option<&str> {
        self.meta.name.as_deref()
    }

    /// Message keys (`ADT^A01` …) in file order.
    pub fn message_keys(&self) -> impl Iterator<Item = &str> {
        self.messages.iter().map(|m| m.key.value.as_str())
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct SiteMeta {
    pub(crate) name: Option<String>,
    pub(crate) id: Option<String>,
    pub(crate) organization: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) hl7: Option<Sp<String>>,
    pub(crate) base_profile: Option<Sp<String>>,
    pub(crate) profile_type: Option<ProfileType>,
    pub(crate) role: Option<Role>,
    pub(crate) at: Option<Location>,
}

#[derive(Debug, Clone)]
pub(crate) struct SiteMessage {
    pub(crate) key: Sp<String>,
    pub(crate) msg_type: String,
    pub(crate) event: String,
    pub(crate) structure: Option<Sp<String>>,
    pub(crate) description: Option<String>,
    pub(crate) role: Option<Role>,
    pub(crate) segments: Option<Vec<SiteNode>>,
    pub(crate) constraints: Vec<Constraint>,
}

/// A node of a site-defined message structure.
#[derive(Debug, Clone)]
pub(crate) enum SiteNode {
    Segment {
        name: Sp<String>,
        usage: Usage,
        min: u32,
        max: Option<u32>,
    },
    Group {
        name: Sp<String>,
        usage: Usage,
        min: u32,
        max: Option<u32>,
        children: Vec<SiteNode>,
    },
}

/// What a constraint key addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// `PID-3`, `PID-3.4`, `PID-3.4.1`.
    Element {
        segment: String,
        field: u32,
        component: Option<u32>,
        sub: Option<u32>,
    },
    /// `NK1`, `PATIENT/NK1`, `PROCEDURE`: nodes of the message tree.
    Structure(Vec<String>),
}

impl Target {
    pub(crate) fn parse(key: &str) -> Option<Target> {
        let key = key.trim();
        if let Some((seg, rest)) = key.split_once('-') {
            if !is_segment_name(seg) {
                return None;
            }
            let mut nums = rest
                .split('.')
                .map(|n| n.parse::<u32>().ok().filter(|n| *n > 0));
            let field = nums.next()??;
            let component = match nums.next() {
                Some(n) => Some(n?),
                None => None,
            };
            let sub = match nums.next() {
                Some(n) => Some(n?),
                None => None,
            };
            if nums.next().is_some() {
                return None;
            }
            return Some(Target::Element {
                segment: seg.to_owned(),
                field,
                component,
                sub,
            });
        }
        let parts: Vec<String> = key.split('/').map(|p| p.trim().to_owned()).collect();
        let ok = parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
                && p.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        });
        ok.then_some(Target::Structure(parts))
    }
}

pub(crate) fn is_segment_name(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 3
        && b[0].is_ascii_uppercase()
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// The properties a constraint or a Z field may set.
#[derive(Debug, Clone, Default)]
pub(crate) struct Props {
    pub(crate) name: Option<Sp<String>>,
    pub(crate) usage: Option<Sp<Usage>>,
    pub(crate) min: Option<Sp<u32>>,
    pub(crate) max: Option<Sp<Bound>>,
    pub(crate) length: Option<Sp<Bound>>,
    pub(crate) min_length: Option<Sp<u32>>,
    pub(crate) conf_length: Option<Sp<ConfLength>>,
    pub(crate) datatype: Option<Sp<String>>,
    pub(crate) table: Option<Sp<String>>,
    pub(crate) values: Option<Sp<String>>,
    pub(crate) strength: Option<Sp<BindingStrength>>,
    pub(crate) constant: Option<Sp<String>>,
    pub(crate) when: Option<Sp<String>>,
    pub(crate) note: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Constraint {
    pub(crate) key: Sp<String>,
    pub(crate) target: Target,
    pub(crate) props: Props,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlaceKind {
    After,
    Before,
    In,
}

#[derive(Debug, Clone)]
pub(crate) struct Placement {
    pub(crate) kind: PlaceKind,
    pub(crate) anchor: Sp<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct SiteSegment {
    pub(crate) name: Sp<String>,
    pub(crate) description: Option<String>,
    /// Fields of a Z segment.
    pub(crate) fields: Option<Sp<Vec<Props>>>,
    /// Z fields appended to a standard segment.
    pub(crate) append: Vec<Props>,
    pub(crate) placement: Option<Placement>,
    pub(crate) usage: Option<Sp<Usage>>,
    pub(crate) min: Option<Sp<u32>>,
    pub(crate) max: Option<Sp<Bound>>,
    pub(crate) messages: Option<Vec<Sp<String>>>,
}

#[derive(Debug, Clone)]
pub(crate) struct SiteValueSet {
    pub(crate) id: Sp<String>,
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) codes: Vec<(String, Option<String>, Option<String>)>,
}

/// Loads a site profile and layers it on its base: `base` if given,
/// otherwise `[profile] base_profile`, otherwise the HL7 version
/// definitions for `[profile] hl7`.
pub fn load_str(
    text: &str,
    path: &Path,
    base: Option<Arc<dyn BaseDefinitions + Send + Sync>>,
) -> Loaded {
    let (site, mut diags) = parse_str(text, path);
    let Some(site) = site else {
        return Loaded::from_vec(None, diags);
    };
    let base: Arc<dyn BaseDefinitions + Send + Sync> = if let Some(b) = base {
        b
    } else if let Some(bp) = &site.meta.base_profile {
        let file = relative_to(path, &bp.value);
        let loaded = super::load(&file);
        let had_errors = loaded.has_errors();
        diags.extend(loaded.diagnostics);
        match loaded.profile {
            Some(p) if !had_errors => {
                let mut layered = layer::layer(&site, &p);
                if let Some(pr) = &mut layered.profile {
                    pr.sources.push(super::SourceFile {
                        path: file,
                        role: super::FileRole::Base,
                        used: true,
                    });
                }
                diags.extend(layered.diagnostics);
                return Loaded::from_vec(layered.profile, diags);
            }
            _ => {
                diags.push(
                    Diagnostic::new(
                        Severity::Error,
                        K::BaseUnavailable,
                        format!("the base profile {} could not be loaded", file.display()),
                    )
                    .at(bp.at.clone()),
                );
                return Loaded::from_vec(None, diags);
            }
        }
    } else if let Some(v) = &site.meta.hl7 {
        match layer::version_base(&v.value) {
            Ok(b) => b,
            Err(why) => {
                diags.push(
                    Diagnostic::new(
                        Severity::Error,
                        K::BaseUnavailable,
                        format!("cannot layer on HL7 {}: {why}", v.value),
                    )
                    .at(v.at.clone()),
                );
                return Loaded::from_vec(None, diags);
            }
        }
    } else {
        // parse_str already reported the missing base.
        return Loaded::from_vec(None, diags);
    };
    let layered = layer::layer(&site, base.as_ref());
    diags.extend(layered.diagnostics);
    Loaded::from_vec(layered.profile, diags)
}

/// Reads a site profile file (see [`parse_str`]).
pub fn parse(path: impl AsRef<Path>) -> (Option<SiteProfile>, Vec<Diagnostic>) {
    let path = path.as_ref();
    match super::read_text(path) {
        Ok(t) => parse_str(&t, path),
        Err(d) => (None, vec![*d]),
    }
}

/// Parses a site profile without resolving it against a base: TOML syntax,
/// known keys, value domains, contradictions within one entry. Returns
/// `None` only when the TOML itself could not be parsed.
pub fn parse_str(text: &str, path: &Path) -> (Option<SiteProfile>, Vec<Diagnostic>) {
    let src = SourceText::new(Arc::from(path), text);
    let mut diags = Diags::default();
    let (doc, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        for e in errors {
            let at = e.span().map_or(0, |s| s.start);
            diags.error(
                &src,
                at,
                K::MalformedToml,
                format!("invalid TOML: {}", e.message().trim()),
            );
        }
        return (None, diags.into_vec());
    }
    let mut r = Reader {
        src: &src,
        diags: &mut diags,
    };
    let site = r.document(doc.get_ref(), path);
    (Some(site), diags.into_vec())
}

type Table<'i> = DeTable<'i>;
type Value<'i> = Spanned<DeValue<'i>>;

struct Reader<'a> {
    src: &'a SourceText,
    diags: &'a mut Diags,
}

const TOP_KEYS: &[&str] = &["profile", "messages", "constraints", "segments", "values"];
const PROFILE_KEYS: &[&str] = &[
    "name",
    "id",
    "organization",
    "version",
    "description",
    "hl7",
    "base_profile",
    "type",
    "role",
];
const MESSAGE_KEYS: &[&str] = &[
    "structure",
    "description",
    "role",
    "segments",
    "constraints",
];
const CONSTRAINT_KEYS: &[&str] = &[
    "usage",
    "min",
    "max",
    "length",
    "min_length",
    "conf_length",
    "type",
    "table",
    "values",
    "strength",
    "constant",
    "when",
    "note",
];
const FIELD_KEYS: &[&str] = &[
    "name",
    "usage",
    "min",
    "max",
    "length",
    "min_length",
    "conf_length",
    "type",
    "table",
    "values",
    "strength",
    "constant",
    "when",
    "note",
];
const SEGMENT_KEYS: &[&str] = &[
    "description",
    "fields",
    "append",
    "after",
    "before",
    "in",
    "usage",
    "min",
    "max",
    "messages",
];
const VALUES_KEYS: &[&str] = &["name", "description", "codes"];

impl Reader<'_> {
    fn at(&self, offset: usize) -> Location {
        self.src.location(offset)
    }

    fn sp<T>(&self, value: T, v: &Value<'_>) -> Sp<T> {
        Sp {
            value,
            at: self.at(v.span().start),
        }
    }

    /// Reports a cardinality whose minimum exceeds its maximum.
    fn check_min_max(&mut self, what: &str, min: Option<&Sp<u32>>, max: Option<&Sp<Bound>>) {
        if let (
            Some(min),
            Some(Sp {
                value: Bound::Limit(max),
                ..
            }),
        ) = (min, max)
            && min.value > *max
        {
            self.diags.push(
                Diagnostic::new(
                    Severity::Error,
                    K::Contradiction,
                    format!("{what}: min = {} is greater than max = {max}", min.value),
                )
                .at(min.at.clone()),
            );
        }
    }

    fn err(&mut self, offset: usize, kind: K, msg: impl Into<String>) -> &mut Diagnostic {
        self.diags.error(self.src, offset, kind, msg)
    }

    /// Entries of a table, reporting keys not in `allowed` (with a
    /// suggestion when one is close).
    fn entries<'t, 'i>(
        &mut self,
        table: &'t Table<'i>,
        allowed: &[&str],
        what: &str,
    ) -> Vec<(&'t Spanned<std::borrow::Cow<'i, str>>, &'t Value<'i>)> {
        let mut out = Vec::new();
        for (k, v) in table {
            if allowed.contains(&k.get_ref().as_ref()) {
                out.push((k, v));
            } else {
                let key = k.get_ref().to_string();
                let d = self.err(
                    k.span().start,
                    K::Unexpected,
                    format!("unknown key `{key}` in {what}"),
                );
                match suggest(&key, allowed) {
                    Some(s) => d.help_mut(format!("did you mean `{s}`?")),
                    None => d.help_mut(format!("allowed keys: {}", allowed.join(", "))),
                };
            }
        }
        out
    }

    fn string(&mut self, v: &Value<'_>, what: &str) -> Option<String> {
        if let Some(s) = v.get_ref().as_str() {
            Some(s.to_owned())
        } else {
            self.err(
                v.span().start,
                K::InvalidValue,
                format!("{what} must be a string, not {}", v.get_ref().type_str()),
            );
            None
        }
    }

    fn sp_string(&mut self, v: &Value<'_>, what: &str) -> Option<Sp<String>> {
        let s = self.string(v, what)?;
        Some(self.sp(s, v))
    }

    fn uint(&mut self, v: &Value<'_>, what: &str) -> Option<u32> {
        match v.get_ref() {
            DeValue::Integer(i) => {
                let digits: String = i.as_str().chars().filter(|c| *c != '_').collect();
                let parsed = i64::from_str_radix(
                    digits
                        .trim_start_matches(['+'])
                        .trim_start_matches("0x")
                        .trim_start_matches("0o")
                        .trim_start_matches("0b"),
                    i.radix(),
                );
                if let Some(n) = parsed.ok().and_then(|n| u32::try_from(n).ok()) {
                    Some(n)
                } else {
                    self.err(
                        v.span().start,
                        K::InvalidValue,
                        format!("{what} must be a non-negative integer, not {}", i.as_str()),
                    );
                    None
                }
            }
            other => {
                self.err(
                    v.span().start,
                    K::InvalidValue,
                    format!(
                        "{what} must be a non-negative integer, not {}",
                        other.type_str()
                    ),
                );
                None
            }
        }
    }

    /// An integer or `"*"`.
    fn max(&mut self, v: &Value<'_>, what: &str) -> Option<Bound> {
        if let Some(s) = v.get_ref().as_str() {
            if s.trim() == "*" {
                return Some(Bound::Unbounded);
            }
            self.err(
                v.span().start,
                K::InvalidValue,
                format!("{what} must be a number or \"*\", not \"{s}\""),
            );
            return None;
        }
        self.uint(v, what).map(Bound::Limit)
    }

    fn usage(&mut self, v: &Value<'_>, what: &str) -> Option<Sp<Usage>> {
        let s = self.string(v, what)?;
        if let Some(u) = Usage::parse(&s) {
            Some(self.sp(u, v))
        } else {
            self.err(
                v.span().start,
                K::InvalidValue,
                format!("{what}: `{s}` is not a usage code"),
            )
            .help_mut("usage is one of R, RE, O, C, C(R/X) (any two of R, RE, O, X), CE, X, B, W");
            None
        }
    }

    fn table<'t, 'i>(&mut self, v: &'t Value<'i>, what: &str) -> Option<&'t Table<'i>> {
        if let Some(t) = v.get_ref().as_table() {
            Some(t)
        } else {
            self.err(
                v.span().start,
                K::InvalidValue,
                format!("{what} must be a table, not {}", v.get_ref().type_str()),
            );
            None
        }
    }

    fn document(&mut self, doc: &Table<'_>, path: &Path) -> SiteProfile {
        let mut site = SiteProfile {
            path: path.to_path_buf(),
            meta: SiteMeta::default(),
            messages: Vec::new(),
            constraints: Vec::new(),
            segments: Vec::new(),
            value_sets: Vec::new(),
        };
        let mut saw_profile = false;
        for (k, v) in self.entries(doc, TOP_KEYS, "the site profile") {
            match k.get_ref().as_ref() {
                "profile" => {
                    saw_profile = true;
                    if let Some(t) = self.table(v, "[profile]") {
                        self.meta(t, &mut site.meta, v);
                    }
                }
                "messages" => {
                    if let Some(t) = self.table(v, "[messages]") {
                        for (mk, mv) in t {
                            if let Some(m) = self.message(mk, mv) {
                                site.messages.push(m);
                            }
                        }
                    }
                }
                "constraints" => {
                    if let Some(t) = self.table(v, "[constraints]") {
                        site.constraints = self.constraints(t, "[constraints]");
                    }
                }
                "segments" => {
                    if let Some(t) = self.table(v, "[segments]") {
                        for (sk, sv) in t {
                            if let Some(s) = self.segment(sk, sv) {
                                site.segments.push(s);
                            }
                        }
                    }
                }
                "values" => {
                    if let Some(t) = self.table(v, "[values]") {
                        for (vk, vv) in t {
                            if let Some(s) = self.value_set(vk, vv) {
                                site.value_sets.push(s);
                            }
                        }
                    }
                }
                _ => unreachable!("filtered by entries()"),
            }
        }
        if !saw_profile {
            self.err(0, K::Missing, "the site profile has no [profile] table")
                .help_mut("start with [profile] name = \"…\" and hl7 = \"2.5.1\"");
        } else if site.meta.hl7.is_none() && site.meta.base_profile.is_none() {
            let d = Diagnostic::new(
                Severity::Error,
                K::Missing,
                "[profile] names no base: give `hl7 = \"2.5.1\"` (a version) or `base_profile = \"path\"`",
            );
            let d = d.at(site.meta.at.clone().unwrap_or_else(|| self.at(0)));
            self.diags.push(d);
        }
        if site.messages.is_empty() {
            self.err(
                0,
                K::Missing,
                "the site profile covers no message: add [messages.\"ADT^A01\"] (one per event)",
            );
        }
        site
    }

    fn meta(&mut self, t: &Table<'_>, meta: &mut SiteMeta, whole: &Value<'_>) {
        meta.at = Some(self.at(whole.span().start));
        for (k, v) in self.entries(t, PROFILE_KEYS, "[profile]") {
            let key = k.get_ref().as_ref();
            let what = format!("[profile] {key}");
            match key {
                "name" => meta.name = self.string(v, &what),
                "id" => meta.id = self.string(v, &what),
                "organization" => meta.organization = self.string(v, &what),
                "version" => meta.version = self.string(v, &what),
                "description" => meta.description = self.string(v, &what),
                "hl7" => {
                    if let Some(s) = self.sp_string(v, &what) {
                        let ok = s.value.starts_with("2.")
                            && s.value[2..]
                                .split('.')
                                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
                        if ok {
                            meta.hl7 = Some(s);
                        } else {
                            self.err(
                                v.span().start,
                                K::InvalidValue,
                                format!(
                                    "`hl7 = \"{}\"` is not an HL7 v2 version such as 2.5.1",
                                    s.value
                                ),
                            );
                        }
                    }
                }
                "base_profile" => meta.base_profile = self.sp_string(v, &what),
                "type" => {
                    meta.profile_type = self.string(v, &what).and_then(|s| match s.to_ascii_lowercase().as_str() {
                        "constrainable" => Some(ProfileType::Constrainable),
                        "implementation" => Some(ProfileType::Implementation),
                        _ => {
                            self.err(v.span().start, K::InvalidValue, format!("`type = \"{s}\"` must be \"constrainable\" or \"implementation\""));
                            None
                        }
                    });
                }
                "role" => meta.role = self.role(v, &what),
                _ => unreachable!(),
            }
        }
    }

    fn role(&mut self, v: &Value<'_>, what: &str) -> Option<Role> {
        self.string(v, what)
            .and_then(|s| match s.to_ascii_lowercase().as_str() {
                "sender" => Some(Role::Sender),
                "receiver" => Some(Role::Receiver),
                _ => {
                    self.err(
                        v.span().start,
                        K::InvalidValue,
                        format!("{what}: `{s}` must be \"sender\" or \"receiver\""),
                    );
                    None
                }
            })
    }

    fn message(
        &mut self,
        key_sp: &Spanned<std::borrow::Cow<'_, str>>,
        v: &Value<'_>,
    ) -> Option<SiteMessage> {
        let key = key_sp.get_ref().to_string();
        let at = self.at(key_sp.span().start);
        let parsed = key.split_once('^').filter(|(t, e)| {
            t.len() == 3
                && t.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                && !e.is_empty()
                && e.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        });
        let Some((msg_type, event)) = parsed else {
            self.err(
                key_sp.span().start,
                K::InvalidValue,
                format!("message key `{key}` is not TYPE^EVENT"),
            )
            .help_mut("write the event as in MSH-9, e.g. [messages.\"ADT^A01\"]");
            return None;
        };
        let what = format!("[messages.\"{key}\"]");
        let table = self.table(v, &what)?;
        let mut m = SiteMessage {
            key: Sp {
                value: key.clone(),
                at,
            },
            msg_type: msg_type.to_owned(),
            event: event.to_owned(),
            structure: None,
            description: None,
            role: None,
            segments: None,
            constraints: Vec::new(),
        };
        for (entry, v) in self.entries(table, MESSAGE_KEYS, &what) {
            let name = entry.get_ref().as_ref();
            let label = format!("{what} {name}");
            match name {
                "structure" => {
                    m.structure = self.sp_string(v, &label).filter(|s| {
                        let ok = s.value.len() >= 3
                            && s.value
                                .bytes()
                                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
                        if !ok {
                            self.diags.error(
                                self.src,
                                v.span().start,
                                K::InvalidValue,
                                format!(
                                    "{label}: `{}` is not a message structure ID like ADT_A01",
                                    s.value
                                ),
                            );
                        }
                        ok
                    });
                }
                "description" => m.description = self.string(v, &label),
                "role" => m.role = self.role(v, &label),
                "segments" => m.segments = self.structure_list(v, &label),
                "constraints" => {
                    if let Some(t) = self.table(v, &label) {
                        m.constraints = self.constraints(t, &label);
                    }
                }
                _ => unreachable!(),
            }
        }
        Some(m)
    }

    /// `["MSH", "[PID]", "{ZBB}", "[{NTE}]", { group = "G", … }]`.
    fn structure_list(&mut self, v: &Value<'_>, what: &str) -> Option<Vec<SiteNode>> {
        let DeValue::Array(items) = v.get_ref() else {
            self.err(
                v.span().start,
                K::InvalidValue,
                format!(
                    "{what} must be an array of segments, e.g. [\"MSH\", \"[PID]\", \"{{ZBB}}\"]"
                ),
            );
            return None;
        };
        let mut out = Vec::new();
        for item in items {
            match item.get_ref() {
                DeValue::String(s) => {
                    let t = s.trim();
                    let (opt, t) = match t.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
                        Some(inner) => (true, inner.trim()),
                        None => (false, t),
                    };
                    let (rep, t) = match t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                        Some(inner) => (true, inner.trim()),
                        None => (false, t),
                    };
                    if !is_segment_name(t) {
                        self.err(item.span().start, K::InvalidValue, format!("{what}: `{s}` is not a segment like \"PID\", \"[PID]\", \"{{OBX}}\" or \"[{{NTE}}]\""));
                        continue;
                    }
                    out.push(SiteNode::Segment {
                        name: self.sp(t.to_owned(), item),
                        usage: if opt { Usage::O } else { Usage::R },
                        min: u32::from(!opt),
                        max: if rep { None } else { Some(1) },
                    });
                }
                DeValue::Table(t) => {
                    if let Some(n) = self.structure_table(t, item, what) {
                        out.push(n);
                    }
                }
                other => {
                    self.err(
                        item.span().start,
                        K::InvalidValue,
                        format!(
                            "{what}: a structure entry must be a string or a table, not {}",
                            other.type_str()
                        ),
                    );
                }
            }
        }
        Some(out)
    }

    fn structure_table(
        &mut self,
        t: &Table<'_>,
        whole: &Value<'_>,
        what: &str,
    ) -> Option<SiteNode> {
        let mut name = None;
        let mut group = false;
        let mut usage = None;
        let mut min = None;
        let mut max = None;
        let mut children = None;
        for (k, v) in self.entries(
            t,
            &["segment", "group", "usage", "min", "max", "segments"],
            what,
        ) {
            let key = k.get_ref().as_ref();
            let w = format!("{what} {key}");
            match key {
                "segment" => name = self.sp_string(v, &w),
                "group" => {
                    name = self.sp_string(v, &w);
                    group = true;
                }
                "usage" => usage = self.usage(v, &w),
                "min" => min = self.uint(v, &w),
                "max" => max = self.max(v, &w),
                "segments" => children = self.structure_list(v, &w),
                _ => unreachable!(),
            }
        }
        let Some(name) = name else {
            self.err(
                whole.span().start,
                K::Missing,
                format!("{what}: a structure table needs `segment = \"…\"` or `group = \"…\"`"),
            );
            return None;
        };
        let usage = usage.map_or(Usage::O, |u| u.value);
        let min = min.unwrap_or(u32::from(usage == Usage::R));
        let max = max.map_or(Some(1), Bound::limit);
        if let Some(m) = max
            && min > m
        {
            self.err(
                whole.span().start,
                K::Contradiction,
                format!(
                    "{what} {}: min = {min} is greater than max = {m}",
                    name.value
                ),
            );
        }
        if group {
            let children = children.unwrap_or_default();
            if children.is_empty() {
                self.err(
                    whole.span().start,
                    K::Missing,
                    format!("{what}: group {} needs `segments = [...]`", name.value),
                );
            }
            Some(SiteNode::Group {
                name,
                usage,
                min,
                max,
                children,
            })
        } else {
            if children.is_some() {
                self.err(
                    whole.span().start,
                    K::Unexpected,
                    format!(
                        "{what}: `segments` belongs to a group, not to segment {}",
                        name.value
                    ),
                );
            }
            if !is_segment_name(&name.value) {
                self.err(
                    whole.span().start,
                    K::InvalidValue,
                    format!("{what}: `{}` is not a segment name", name.value),
                );
                return None;
            }
            Some(SiteNode::Segment {
                name,
                usage,
                min,
                max,
            })
        }
    }

    fn constraints(&mut self, t: &Table<'_>, what: &str) -> Vec<Constraint> {
        let mut out = Vec::new();
        for (k, v) in t {
            let key = k.get_ref().to_string();
            let key_sp = Sp {
                value: key.clone(),
                at: self.at(k.span().start),
            };
            let Some(target) = Target::parse(&key) else {
                self.err(k.span().start, K::InvalidValue, format!("{what}: `{key}` is neither an element path (PID-3, PID-3.4, PID-3.4.1) nor a segment/group path (NK1, PATIENT/NK1)"));
                continue;
            };
            let w = format!("{what} \"{key}\"");
            let props = match v.get_ref() {
                DeValue::String(_) => match self.usage(v, &w) {
                    Some(u) => Props {
                        usage: Some(u),
                        ..Props::default()
                    },
                    None => continue,
                },
                DeValue::Table(t) => self.props(t, CONSTRAINT_KEYS, &w),
                other => {
                    self.err(v.span().start, K::InvalidValue, format!("{w} must be a usage string (\"X\") or a table ({{ usage = \"R\", max = 3 }}), not {}", other.type_str()));
                    continue;
                }
            };
            if let Target::Structure(_) = target {
                for (name, present) in [
                    ("length", props.length.is_some()),
                    ("min_length", props.min_length.is_some()),
                    ("conf_length", props.conf_length.is_some()),
                    ("type", props.datatype.is_some()),
                    ("table", props.table.is_some()),
                    ("values", props.values.is_some()),
                    ("constant", props.constant.is_some()),
                ] {
                    if present {
                        self.err(k.span().start, K::InvalidValue, format!("{w}: `{name}` applies to fields and components, not to a segment or group"));
                    }
                }
            }
            if let (
                Target::Element {
                    component: Some(_), ..
                },
                true,
            ) = (&target, props.min.is_some() || props.max.is_some())
            {
                self.err(k.span().start, K::InvalidValue, format!("{w}: components have no cardinality of their own (it follows usage); drop min/max"));
            }
            out.push(Constraint {
                key: key_sp,
                target,
                props,
            });
        }
        out
    }

    fn props(&mut self, t: &Table<'_>, allowed: &[&str], what: &str) -> Props {
        let mut p = Props::default();
        for (k, v) in self.entries(t, allowed, what) {
            let key = k.get_ref().as_ref();
            let w = format!("{what} {key}");
            match key {
                "name" => p.name = self.sp_string(v, &w),
                "usage" => p.usage = self.usage(v, &w),
                "min" => p.min = self.uint(v, &w).map(|n| self.sp(n, v)),
                "max" => p.max = self.max(v, &w).map(|n| self.sp(n, v)),
                "length" => p.length = self.max(v, &w).map(|n| self.sp(n, v)),
                "min_length" => p.min_length = self.uint(v, &w).map(|n| self.sp(n, v)),
                "conf_length" => {
                    let parsed = match v.get_ref() {
                        DeValue::String(s) => parse_conf_length(s),
                        DeValue::Integer(_) => self.uint(v, &w).map(|n| ConfLength {
                            length: n,
                            truncation: None,
                        }),
                        _ => None,
                    };
                    match parsed {
                        Some(c) => p.conf_length = Some(self.sp(c, v)),
                        None => {
                            self.err(v.span().start, K::InvalidValue, format!("{w} must be a length like 20, \"20#\" (may truncate) or \"20=\" (must not)"));
                        }
                    }
                }
                "type" => p.datatype = self.sp_string(v, &w),
                "table" => p.table = self.sp_string(v, &w),
                "values" => p.values = self.sp_string(v, &w),
                "strength" => {
                    if let Some(s) = self.string(v, &w) {
                        match BindingStrength::parse(&s) {
                            Some(b) => p.strength = Some(self.sp(b, v)),
                            None => {
                                self.err(v.span().start, K::InvalidValue, format!("{w}: `{s}` must be R (required), S (suggested) or U (unspecified)"));
                            }
                        }
                    }
                }
                "constant" => p.constant = self.sp_string(v, &w),
                "when" => p.when = self.sp_string(v, &w),
                "note" => p.note = self.string(v, &w),
                _ => unreachable!(),
            }
        }
        self.check_min_max(what, p.min.as_ref(), p.max.as_ref());
        if let (Some(u), Some(min)) = (&p.usage, &p.min) {
            if u.value.forbids() && min.value > 0 {
                self.diags.push(
                    Diagnostic::new(
                        Severity::Error,
                        K::Contradiction,
                        format!(
                            "{what}: usage {} (must not be sent) contradicts min = {}",
                            u.value, min.value
                        ),
                    )
                    .at(min.at.clone()),
                );
            }
            if u.value == Usage::R && min.value == 0 {
                self.diags.push(
                    Diagnostic::new(Severity::Error, K::Contradiction, format!("{what}: usage R contradicts min = 0 (R requires at least one occurrence)"))
                        .at(min.at.clone())
                        .with_help("use RE for \"required but may be empty\""),
                );
            }
        }
        if let (
            Some(min),
            Some(Sp {
                value: Bound::Limit(max),
                at,
            }),
        ) = (&p.min_length, &p.length)
            && min.value > *max
        {
            self.diags.push(
                Diagnostic::new(
                    Severity::Error,
                    K::Contradiction,
                    format!(
                        "{what}: min_length = {} is greater than length = {max}",
                        min.value
                    ),
                )
                .at(at.clone()),
            );
        }
        if let Some(w) = &p.when
            && !p
                .usage
                .as_ref()
                .is_some_and(|u| matches!(u.value, Usage::C(_) | Usage::CE))
        {
            self.diags.push(
                Diagnostic::new(
                    Severity::Warning,
                    K::SchemaDeviation,
                    format!(
                        "{what}: `when` describes a condition, but the usage is not conditional"
                    ),
                )
                .at(w.at.clone())
                .with_help("use usage = \"C(R/X)\" (or another C(a/b)) with `when`"),
            );
        }
        if p.strength.is_some()
            && p.values.is_none()
            && p.table.is_none()
            && let Some(s) = &p.strength
        {
            self.diags.push(
                Diagnostic::new(
                    Severity::Warning,
                    K::SchemaDeviation,
                    format!("{what}: `strength` without `values` or `table` binds nothing"),
                )
                .at(s.at.clone()),
            );
        }
        p
    }

    fn segment(
        &mut self,
        k: &Spanned<std::borrow::Cow<'_, str>>,
        v: &Value<'_>,
    ) -> Option<SiteSegment> {
        let name = k.get_ref().to_string();
        if !is_segment_name(&name) {
            self.err(k.span().start, K::InvalidValue, format!("[segments.{name}]: `{name}` is not a segment name (three upper-case letters or digits, Z segments start with Z)"));
            return None;
        }
        let what = format!("[segments.{name}]");
        let table = self.table(v, &what)?;
        let mut s = SiteSegment {
            name: Sp {
                value: name.clone(),
                at: self.at(k.span().start),
            },
            description: None,
            fields: None,
            append: Vec::new(),
            placement: None,
            usage: None,
            min: None,
            max: None,
            messages: None,
        };
        for (key, val) in self.entries(table, SEGMENT_KEYS, &what) {
            let kname = key.get_ref().as_ref();
            let label = format!("{what} {kname}");
            match kname {
                "description" => s.description = self.string(val, &label),
                "fields" => {
                    let fields = self.field_list(val, &label);
                    s.fields = Some(self.sp(fields, val));
                }
                "append" => s.append = self.field_list(val, &label),
                "after" | "before" | "in" => {
                    let kind = match kname {
                        "after" => PlaceKind::After,
                        "before" => PlaceKind::Before,
                        _ => PlaceKind::In,
                    };
                    if let Some(anchor) = self.sp_string(val, &label) {
                        if s.placement.is_some() {
                            self.err(
                                key.span().start,
                                K::Contradiction,
                                format!("{what}: give only one of `after`, `before`, `in`"),
                            );
                        } else {
                            s.placement = Some(Placement { kind, anchor });
                        }
                    }
                }
                "usage" => s.usage = self.usage(val, &label),
                "min" => s.min = self.uint(val, &label).map(|n| self.sp(n, val)),
                "max" => s.max = self.max(val, &label).map(|n| self.sp(n, val)),
                "messages" => {
                    if let DeValue::Array(items) = val.get_ref() {
                        let list = items
                            .iter()
                            .filter_map(|i| self.sp_string(i, &label))
                            .collect();
                        s.messages = Some(list);
                    } else {
                        self.err(
                            val.span().start,
                            K::InvalidValue,
                            format!("{label} must be an array of message keys like [\"ADT^A01\"]"),
                        );
                    }
                }
                _ => unreachable!(),
            }
        }
        let is_z = name.starts_with('Z');
        if is_z && s.fields.is_none() {
            self.err(
                k.span().start,
                K::Missing,
                format!(
                    "{what}: a Z segment needs `fields = [ {{ name = \"…\", type = \"ST\" }}, … ]`"
                ),
            );
        }
        if !is_z && s.fields.is_some() {
            self.err(
                k.span().start,
                K::InvalidValue,
                format!("{what}: {name} is a standard segment; its fields come from the base"),
            )
            .help_mut(
                "constrain its fields under [constraints] and add Z fields with `append = [...]`",
            );
        }
        if is_z && !s.append.is_empty() {
            self.err(k.span().start, K::InvalidValue, format!("{what}: `append` adds Z fields to a standard segment; list a Z segment's fields under `fields`"));
        }
        self.check_min_max(&what, s.min.as_ref(), s.max.as_ref());
        if (s.usage.is_some() || s.min.is_some() || s.max.is_some() || s.messages.is_some())
            && s.placement.is_none()
        {
            self.diags.push(
                Diagnostic::new(Severity::Warning, K::SchemaDeviation, format!("{what}: `usage`, `min`, `max` and `messages` describe a placement, but the segment has no `after`, `before` or `in`"))
                    .at(s.name.at.clone()),
            );
        }
        Some(s)
    }

    fn field_list(&mut self, v: &Value<'_>, what: &str) -> Vec<Props> {
        let DeValue::Array(items) = v.get_ref() else {
            self.err(
                v.span().start,
                K::InvalidValue,
                format!("{what} must be an array of field tables"),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let w = format!("{what}[{}]", i + 1);
            let Some(t) = item.get_ref().as_table() else {
                self.err(
                    item.span().start,
                    K::InvalidValue,
                    format!("{w} must be a table like {{ name = \"…\", type = \"ST\" }}"),
                );
                continue;
            };
            let p = self.props(t, FIELD_KEYS, &w);
            if p.name.is_none() {
                self.err(item.span().start, K::Missing, format!("{w} has no `name`"));
            }
            if p.datatype.is_none() {
                self.err(
                    item.span().start,
                    K::Missing,
                    format!("{w} has no `type` (an HL7 data type such as ST, CWE, XPN)"),
                );
            }
            out.push(p);
        }
        out
    }

    fn value_set(
        &mut self,
        k: &Spanned<std::borrow::Cow<'_, str>>,
        v: &Value<'_>,
    ) -> Option<SiteValueSet> {
        let id = k.get_ref().to_string();
        let what = format!("[values.{id}]");
        let table = self.table(v, &what)?;
        let mut s = SiteValueSet {
            id: Sp {
                value: id,
                at: self.at(k.span().start),
            },
            name: None,
            description: None,
            codes: Vec::new(),
        };
        let mut saw_codes = false;
        for (key, val) in self.entries(table, VALUES_KEYS, &what) {
            let kname = key.get_ref().as_ref();
            let label = format!("{what} {kname}");
            match kname {
                "name" => s.name = self.string(val, &label),
                "description" => s.description = self.string(val, &label),
                "codes" => {
                    saw_codes = true;
                    self.codes(val, &label, &mut s.codes);
                }
                _ => unreachable!(),
            }
        }
        if !saw_codes {
            self.err(k.span().start, K::Missing, format!("{what} has no `codes`"));
        }
        Some(s)
    }

    fn codes(
        &mut self,
        v: &Value<'_>,
        what: &str,
        out: &mut Vec<(String, Option<String>, Option<String>)>,
    ) {
        let mut push = |this: &mut Self,
                        code: String,
                        display: Option<String>,
                        system: Option<String>,
                        at: usize| {
            if out.iter().any(|(c, _, _)| *c == code) {
                this.err(
                    at,
                    K::Duplicate,
                    format!("{what}: code `{code}` is listed twice"),
                );
            } else {
                out.push((code, display, system));
            }
        };
        match v.get_ref() {
            DeValue::Table(t) => {
                for (k, dv) in t {
                    let display = self.string(dv, &format!("{what}.{}", k.get_ref()));
                    push(self, k.get_ref().to_string(), display, None, k.span().start);
                }
            }
            DeValue::Array(items) => {
                for item in items {
                    match item.get_ref() {
                        DeValue::String(s) => {
                            push(self, s.to_string(), None, None, item.span().start);
                        }
                        DeValue::Table(t) => {
                            let mut code = None;
                            let mut display = None;
                            let mut system = None;
                            for (k, cv) in self.entries(t, &["code", "display", "system"], what) {
                                let w = format!("{what} {}", k.get_ref());
                                match k.get_ref().as_ref() {
                                    "code" => code = self.string(cv, &w),
                                    "display" => display = self.string(cv, &w),
                                    "system" => system = self.string(cv, &w),
                                    _ => unreachable!(),
                                }
                            }
                            match code {
                                Some(c) => push(self, c, display, system, item.span().start),
                                None => {
                                    self.err(
                                        item.span().start,
                                        K::Missing,
                                        format!("{what}: a code table needs `code = \"…\"`"),
                                    );
                                }
                            }
                        }
                        other => {
                            self.err(item.span().start, K::InvalidValue, format!("{what}: a code must be a string or {{ code = \"…\", display = \"…\" }}, not {}", other.type_str()));
                        }
                    }
                }
            }
            other => {
                self.err(
                    v.span().start,
                    K::InvalidValue,
                    format!(
                        "{what} must be a table {{ CODE = \"display\" }} or an array, not {}",
                        other.type_str()
                    ),
                );
            }
        }
    }
}

/// The allowed key closest to `key` (edit distance ≤ 2).
fn suggest<'a>(key: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|a| (levenshtein(key, a), *a))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(
            Target::parse("PID-3.4.1"),
            Some(Target::Element {
                segment: "PID".into(),
                field: 3,
                component: Some(4),
                sub: Some(1)
            })
        );
        assert_eq!(
            Target::parse("PATIENT/NK1"),
            Some(Target::Structure(vec!["PATIENT".into(), "NK1".into()]))
        );
        assert_eq!(Target::parse("PID-0"), None);
        assert_eq!(Target::parse("pid-3"), None);
        assert_eq!(Target::parse("PID-3.x"), None);
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("usgae", CONSTRAINT_KEYS), Some("usage"));
        assert_eq!(suggest("zzzzzz", CONSTRAINT_KEYS), None);
    }
}

//! NIST / IGAMT validation profiles: `Profile.xml` (`ConformanceProfile`)
//! and its sidecars.
//!
//! | file (any case) | root | what is loaded |
//! |---|---|---|
//! | `Profile.xml` | `ConformanceProfile` | messages, segment and data-type libraries, inline bindings, dynamic mappings |
//! | `Constraints.xml` | `ConformanceContext` | predicates (applied to `C` usages where the target is one element) and conformance statements |
//! | `ValueSets.xml` | `ValueSetLibrary` | value sets, the no-validation list |
//! | `ValueSetBindings.xml` (also the misspelt `ValuSetBindings.xml`) | `ValueSetBindingsContext` | bindings by context and path |
//! | `Slicings.xml` | `ProfileSlicing` | kept raw |
//! | `CoConstraints.xml` | `CoConstraintContext` | kept raw |
//!
//! Every reference is checked: message `Segment/@Ref` against the segment
//! library, `Datatype` attributes against the data-type library, context
//! IDs of predicates, statements and bindings against the libraries and
//! messages, and their target paths against the element they address.
//! [`Profile::sources`] records which files were found, used or ignored.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::common::{
    Dialect, cardinality_attrs, check_usage_cardinality, is_known_datatype, nist_length, uint_attr,
    usage_attr,
};
use super::diag::{DiagnosticKind as K, Diags, SourceText};
use super::model::{
    Binding, BindingLocation, BindingStrength, Code, CodeUsage, Conditional, ConformanceStatement,
    Context, ContextBinding, ContextKey, ContextKind, DatatypeDef, DynamicCase, DynamicMapping,
    ElementDef, Expr, FileRole, GroupDef, MessageDef, NotPresent, Outcome, Predicate, Profile,
    ProfileType, RawElement, SegmentDef, SegmentRef, SourceFile, SourceFormat, Strength,
    StructureNode, Usage, ValueSet,
};
use super::xml::{self, Element, normalize_space};
use super::{Diagnostic, Loaded, Severity, read_text};

/// The files of a NIST profile set found in a directory.
#[derive(Debug, Default, Clone)]
#[non_exhaustive]
pub struct Sidecars {
    /// `Profile.xml`.
    pub profile: Option<PathBuf>,
    /// `Constraints.xml`.
    pub constraints: Option<PathBuf>,
    /// `ValueSets.xml`.
    pub value_sets: Option<PathBuf>,
    /// `ValueSetBindings.xml` (or `ValuSetBindings.xml`).
    pub bindings: Option<PathBuf>,
    /// `CoConstraints.xml`.
    pub co_constraints: Option<PathBuf>,
    /// `Slicings.xml`.
    pub slicings: Option<PathBuf>,
    /// Other `.xml` files in the directory (not used).
    pub others: Vec<PathBuf>,
}

/// Finds the NIST files in `dir`, matching names case-insensitively.
pub fn find_sidecars(dir: &Path) -> Sidecars {
    let mut s = Sidecars::default();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return s;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if !p.is_file() {
            continue;
        }
        let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let lower = name.to_ascii_lowercase();
        let slot = match lower.as_str() {
            "profile.xml" => &mut s.profile,
            "constraints.xml" => &mut s.constraints,
            "valuesets.xml" => &mut s.value_sets,
            "valuesetbindings.xml" | "valusetbindings.xml" => &mut s.bindings,
            "coconstraints.xml" => &mut s.co_constraints,
            "slicings.xml" => &mut s.slicings,
            _ => {
                if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("xml")) {
                    s.others.push(p);
                }
                continue;
            }
        };
        if slot.is_none() {
            *slot = Some(p);
        } else {
            s.others.push(p);
        }
    }
    s
}

/// Loads a NIST profile directory.
pub fn load_dir(dir: &Path) -> Loaded {
    let sidecars = find_sidecars(dir);
    if sidecars.profile.is_none() {
        let mut diags = Diags::default();
        diags.push(
            Diagnostic::new(
                Severity::Error,
                K::Missing,
                format!("{} holds no Profile.xml", dir.display()),
            )
            .in_file(Arc::from(dir))
            .with_help("a NIST profile directory needs Profile.xml (any case) plus optional Constraints.xml, ValueSets.xml, ValueSetBindings.xml"),
        );
        return Loaded::new(None, diags);
    }
    load_set(&sidecars, None, true)
}

/// Loads a NIST `Profile.xml` given by file, with sidecars of the usual names
/// found beside it.
pub fn load_profile_file(path: &Path, text: &str) -> Loaded {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut sidecars = find_sidecars(dir);
    sidecars.profile = Some(path.to_path_buf());
    sidecars.others.clear();
    load_set(&sidecars, Some(text), false)
}

/// Loads a NIST profile from text alone (no sidecars).
pub fn load_str(text: &str, path: &Path) -> Loaded {
    let sidecars = Sidecars {
        profile: Some(path.to_path_buf()),
        ..Sidecars::default()
    };
    load_set(&sidecars, Some(text), false)
}

fn load_set(files: &Sidecars, profile_text: Option<&str>, report_others: bool) -> Loaded {
    let mut diags = Diags::default();
    let profile_path = files.profile.clone().expect("caller checked");
    let text = match profile_text {
        Some(t) => t.to_owned(),
        None => match read_text(&profile_path) {
            Ok(t) => t,
            Err(d) => {
                diags.push(*d);
                return Loaded::new(None, diags);
            }
        },
    };
    let src = SourceText::new(Arc::from(profile_path.as_path()), &text);
    let Some(root) = xml::parse(&text, &src, &mut diags) else {
        return Loaded::new(None, diags);
    };
    if root.name != "ConformanceProfile" {
        diags.error(
            &src,
            root.offset,
            K::UnknownFormat,
            format!("root element <{}> is not <ConformanceProfile>", root.name),
        );
        return Loaded::new(None, diags);
    }
    let mut p = profile_from(&root, &src, &mut diags);
    p.sources.push(SourceFile {
        path: profile_path.clone(),
        role: FileRole::Profile,
        used: true,
    });

    let sidecar =
        |path: &Option<PathBuf>,
         role: FileRole,
         expect: &str,
         p: &mut Profile,
         diags: &mut Diags,
         f: &mut dyn FnMut(&Element, &SourceText, &mut Profile, &mut Diags)| {
            let Some(path) = path else { return };
            let used = match read_text(path) {
                Err(d) => {
                    diags.push(*d);
                    false
                }
                Ok(text) => {
                    let src = SourceText::new(Arc::from(path.as_path()), &text);
                    match xml::parse(&text, &src, diags) {
                        None => false,
                        Some(root) if root.name != expect => {
                            diags.error(
                            &src,
                            root.offset,
                            K::UnknownFormat,
                            format!("expected <{expect}> as the root of this file, found <{}>; file ignored", root.name),
                        );
                            false
                        }
                        Some(root) => {
                            f(&root, &src, p, diags);
                            true
                        }
                    }
                }
            };
            p.sources.push(SourceFile {
                path: path.clone(),
                role,
                used,
            });
        };
    // Value sets first, so bindings can be checked against them.
    sidecar(
        &files.value_sets,
        FileRole::ValueSets,
        "ValueSetLibrary",
        &mut p,
        &mut diags,
        &mut value_sets_from,
    );
    let has_value_sets = p
        .sources
        .iter()
        .any(|s| s.role == FileRole::ValueSets && s.used);
    check_inline_bindings(&mut p, has_value_sets, &mut diags);
    sidecar(
        &files.constraints,
        FileRole::Constraints,
        "ConformanceContext",
        &mut p,
        &mut diags,
        &mut constraints_from,
    );
    sidecar(
        &files.bindings,
        FileRole::ValueSetBindings,
        "ValueSetBindingsContext",
        &mut p,
        &mut diags,
        &mut |root, src, p, d| {
            bindings_from(root, src, p, d, has_value_sets);
        },
    );
    sidecar(
        &files.slicings,
        FileRole::Slicings,
        "ProfileSlicing",
        &mut p,
        &mut diags,
        &mut |root, _, p, _| {
            p.slicings = Some(raw(root));
        },
    );
    sidecar(
        &files.co_constraints,
        FileRole::CoConstraints,
        "CoConstraintContext",
        &mut p,
        &mut diags,
        &mut |root, _, p, _| {
            p.co_constraints = Some(raw(root));
        },
    );
    if report_others {
        for other in &files.others {
            diags.push(
                Diagnostic::new(
                    Severity::Note,
                    K::Unexpected,
                    format!(
                        "{} is not a NIST profile file name; ignored",
                        other.display()
                    ),
                )
                .in_file(Arc::from(other.as_path())),
            );
            p.sources.push(SourceFile {
                path: other.clone(),
                role: FileRole::Ignored,
                used: false,
            });
        }
    }
    Loaded::new(Some(p), diags)
}

fn profile_from(root: &Element, src: &SourceText, diags: &mut Diags) -> Profile {
    let mut p = Profile::default();
    p.meta.format = SourceFormat::Nist;
    p.meta.id = root.get_nonempty("ID").map(str::to_owned);
    p.meta.profile_type = match root.get_nonempty("Type") {
        Some("HL7") => Some(ProfileType::Hl7),
        Some("Constrainable") => Some(ProfileType::Constrainable),
        Some("Implementation") => Some(ProfileType::Implementation),
        Some(other) => {
            diags.warning(
                src,
                root.offset_of("Type"),
                K::InvalidValue,
                format!("`Type=\"{other}\"` is not HL7, Constrainable or Implementation; ignored"),
            );
            None
        }
        None => None,
    };
    p.meta.hl7_version = root.get_nonempty("HL7Version").map(str::to_owned);
    let mut messages_el = None;
    let mut segments_el = None;
    let mut datatypes_el = None;
    for child in &root.children {
        match child.name.as_str() {
            "MetaData" => {
                let get = |a: &str| child.get_nonempty(a).map(str::to_owned);
                p.meta.name = get("Name");
                p.meta.organization = get("OrgName");
                p.meta.version = get("Version");
                p.meta.date = get("Date");
                p.meta.specification_name = get("SpecificationName");
                p.meta.status = get("Status");
                p.meta.topics = get("Topics");
            }
            "Encodings" => {
                p.meta.encodings = child
                    .children_named("Encoding")
                    .map(|e| normalize_space(&e.text))
                    .collect();
            }
            "Messages" => messages_el = Some(child),
            "Segments" => segments_el = Some(child),
            "Datatypes" => datatypes_el = Some(child),
            other => {
                diags.warning(
                    src,
                    child.offset,
                    K::Unexpected,
                    format!("unknown element <{other}> in <ConformanceProfile>; ignored"),
                );
            }
        }
    }
    if let Some(el) = datatypes_el {
        datatypes_from(el, src, diags, &mut p);
    } else {
        diags.error(
            src,
            root.offset,
            K::Missing,
            "<ConformanceProfile> has no <Datatypes> library",
        );
    }
    if let Some(el) = segments_el {
        segments_from(el, src, diags, &mut p);
    } else {
        diags.error(
            src,
            root.offset,
            K::Missing,
            "<ConformanceProfile> has no <Segments> library",
        );
    }
    if let Some(el) = messages_el {
        messages_from(el, src, diags, &mut p);
    } else {
        diags.error(
            src,
            root.offset,
            K::Missing,
            "<ConformanceProfile> has no <Messages>",
        );
    }
    if p.meta.hl7_version.is_none() {
        infer_version(root, src, diags, &mut p);
    }
    p
}

/// CDC's PHLIP export has no `HL7Version`: take the most common `Version`
/// of the library entries, or the metadata version when it looks like one.
fn infer_version(root: &Element, src: &SourceText, diags: &mut Diags, p: &mut Profile) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for v in p
        .segments
        .values()
        .filter_map(|s| s.version.as_deref())
        .chain(p.datatypes.values().filter_map(|d| d.version.as_deref()))
    {
        *counts.entry(v).or_default() += 1;
    }
    let from_libs = counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(v, _)| v.to_owned());
    let looks_like_version =
        |v: &str| v.starts_with("2.") && v.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let (version, from) = if let Some(v) = from_libs {
        (
            Some(v),
            "the Version of its segment and data-type definitions",
        )
    } else if let Some(v) = p.meta.version.clone().filter(|v| looks_like_version(v)) {
        (Some(v), "MetaData/@Version")
    } else {
        (None, "")
    };
    match version {
        Some(v) => {
            diags.warning(
                src,
                root.offset,
                K::SchemaDeviation,
                format!("<ConformanceProfile> has no `HL7Version`; using {v} from {from}"),
            );
            p.meta.hl7_version = Some(v);
        }
        None => {
            diags.warning(
                src,
                root.offset,
                K::SchemaDeviation,
                "<ConformanceProfile> has no `HL7Version` and none can be inferred; take it from MSH-12 of the messages",
            );
        }
    }
}

fn datatypes_from(el: &Element, src: &SourceText, diags: &mut Diags, p: &mut Profile) {
    for d in &el.children {
        if d.name != "Datatype" {
            diags.warning(
                src,
                d.offset,
                K::Unexpected,
                format!("unknown element <{}> in <Datatypes>; ignored", d.name),
            );
            continue;
        }
        let Some(id) = d.get_nonempty("ID").map(str::to_owned) else {
            diags.error(src, d.offset, K::Missing, "<Datatype> has no `ID`; skipped");
            continue;
        };
        let name = d.get_nonempty("Name").unwrap_or(&id).to_owned();
        if !is_known_datatype(&name) {
            diags.warning(
                src,
                d.offset_of("Name"),
                K::UnknownDatatype,
                format!("data type {id}: base type `{name}` is not an HL7 data type"),
            );
        }
        if p.datatypes.contains_key(&id) {
            diags.warning(
                src,
                d.offset_of("ID"),
                K::Duplicate,
                format!("data type ID `{id}` is defined twice; the first definition is kept"),
            );
            continue;
        }
        let mut components = Vec::new();
        for c in &d.children {
            if c.name != "Component" {
                diags.warning(
                    src,
                    c.offset,
                    K::Unexpected,
                    format!("unknown element <{}> in data type {id}; ignored", c.name),
                );
                continue;
            }
            let pos = components.len() as u32 + 1;
            components.push(data_element(
                c,
                &format!("{id}.{pos}"),
                pos,
                false,
                src,
                diags,
            ));
        }
        p.datatypes.insert(
            id.clone(),
            DatatypeDef {
                id,
                name,
                label: d.get_nonempty("Label").map(str::to_owned),
                description: d.get_nonempty("Description").map(str::to_owned),
                version: d.get_nonempty("Version").map(str::to_owned),
                components,
                location: Some(src.location(d.offset)),
            },
        );
    }
    // References between data types (components are sub-components).
    let ids: BTreeSet<String> = p.datatypes.keys().cloned().collect();
    for dt in p.datatypes.values() {
        for c in &dt.components {
            check_datatype_ref(
                &c.datatype,
                &ids,
                &format!("component {}.{} ({})", dt.id, c.position, c.name),
                c,
                src,
                diags,
            );
        }
    }
}

fn check_datatype_ref(
    id: &str,
    ids: &BTreeSet<String>,
    what: &str,
    el: &ElementDef,
    src: &SourceText,
    diags: &mut Diags,
) {
    if !ids.contains(id) {
        let at = el.location.clone();
        let mut d = Diagnostic::new(
            Severity::Error,
            K::DanglingReference,
            format!("{what}: data type `{id}` is not defined in <Datatypes>"),
        )
        .with_help("every Datatype attribute must be the ID of a <Datatype> in the library");
        d = match at {
            Some(loc) => d.at(loc),
            None => d.in_file(src.path.clone()),
        };
        diags.push(d);
    }
}

fn data_element(
    el: &Element,
    path: &str,
    position: u32,
    is_field: bool,
    src: &SourceText,
    diags: &mut Diags,
) -> ElementDef {
    let name = el.get_nonempty("Name").unwrap_or("").to_owned();
    let what = if name.is_empty() {
        path.to_owned()
    } else {
        format!("{path} ({name})")
    };
    let usage = usage_attr(el, "Usage", &what, Dialect::Nist, src, diags);
    let explicit_cardinality = if is_field {
        let c = cardinality_attrs(el, &what, true, src, diags).unwrap_or_default();
        check_usage_cardinality(usage, c, &what, el.offset, src, diags);
        Some(c)
    } else {
        None
    };
    let datatype = if let Some(d) = el.get_nonempty("Datatype") {
        d.to_owned()
    } else {
        diags.error(
            src,
            el.offset,
            K::Missing,
            format!("{what} has no `Datatype` attribute"),
        );
        String::new()
    };
    let length = nist_length(el, &what, src, diags);
    if length.conf.is_some() && (length.min.is_some() || length.max.is_some()) {
        diags.warning(
            src,
            el.offset_of("ConfLength"),
            K::SchemaDeviation,
            format!("{what}: both MinLength/MaxLength and ConfLength are given; a profile states one length kind"),
        );
    }
    let mut bindings = Vec::new();
    if let Some(b) = el.get_nonempty("Binding") {
        let strength = el.get_nonempty("BindingStrength").and_then(|s| {
            let parsed = BindingStrength::parse(s);
            if parsed.is_none() {
                diags.warning(
                    src,
                    el.offset_of("BindingStrength"),
                    K::InvalidValue,
                    format!("{what}: binding strength `{s}` is not R, S or U; ignored"),
                );
            }
            parsed
        });
        let locations = el
            .get_nonempty("BindingLocation")
            .map(|l| {
                l.split([':', ' '])
                    .filter(|s| !s.is_empty())
                    .map(|s| BindingLocation::Simple(s.to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        bindings.push(Binding {
            value_sets: b
                .split(':')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            strength,
            locations,
        });
    }
    ElementDef {
        position,
        name,
        usage,
        explicit_cardinality,
        datatype,
        length,
        table: el.get_nonempty("Table").map(str::to_owned),
        bindings,
        constant: el.get("ConstantValue").map(str::to_owned),
        item_no: el.get_nonempty("ItemNo").map(str::to_owned),
        hide: el
            .get("Hide")
            .is_some_and(|h| h.eq_ignore_ascii_case("true")),
        notes: super::model::Notes {
            description: el.get_nonempty("Description").map(str::to_owned),
            ..Default::default()
        },
        site_defined: false,
        location: Some(src.location(el.offset)),
    }
}

fn segments_from(el: &Element, src: &SourceText, diags: &mut Diags, p: &mut Profile) {
    let dt_ids: BTreeSet<String> = p.datatypes.keys().cloned().collect();
    for s in &el.children {
        if s.name != "Segment" {
            diags.warning(
                src,
                s.offset,
                K::Unexpected,
                format!("unknown element <{}> in <Segments>; ignored", s.name),
            );
            continue;
        }
        let Some(id) = s.get_nonempty("ID").map(str::to_owned) else {
            diags.error(
                src,
                s.offset,
                K::Missing,
                "<Segment> in <Segments> has no `ID`; skipped",
            );
            continue;
        };
        let name = s.get_nonempty("Name").unwrap_or(&id).to_owned();
        if p.segments.contains_key(&id) {
            diags.warning(
                src,
                s.offset_of("ID"),
                K::Duplicate,
                format!("segment ID `{id}` is defined twice; the first definition is kept"),
            );
            continue;
        }
        let mut fields = Vec::new();
        let mut dynamic_mappings = Vec::new();
        for f in &s.children {
            match f.name.as_str() {
                "Field" => {
                    let pos = fields.len() as u32 + 1;
                    let field = data_element(f, &format!("{name}-{pos}"), pos, true, src, diags);
                    check_datatype_ref(
                        &field.datatype,
                        &dt_ids,
                        &format!("field {id}-{pos} ({})", field.name),
                        &field,
                        src,
                        diags,
                    );
                    fields.push(field);
                }
                "DynamicMapping" => {
                    for m in f.children_named("Mapping") {
                        let position =
                            uint_attr(m, "Position", "dynamic mapping", src, diags).unwrap_or(0);
                        let mut cases = Vec::new();
                        for c in m.children_named("Case") {
                            let datatype = c.get_nonempty("Datatype").unwrap_or("").to_owned();
                            if !dt_ids.contains(&datatype) {
                                diags.error(
                                    src,
                                    c.offset_of("Datatype"),
                                    K::DanglingReference,
                                    format!("segment {id}: dynamic mapping case `{}` uses data type `{datatype}`, which is not defined in <Datatypes>", c.get("Value").unwrap_or("")),
                                );
                            }
                            cases.push(DynamicCase {
                                value: c.get("Value").unwrap_or("").to_owned(),
                                second_value: c.get_nonempty("SecondValue").map(str::to_owned),
                                datatype,
                            });
                        }
                        dynamic_mappings.push(DynamicMapping {
                            position,
                            reference: m.get("Reference").unwrap_or("").to_owned(),
                            second_reference: m.get_nonempty("SecondReference").map(str::to_owned),
                            cases,
                        });
                    }
                }
                other => {
                    diags.warning(
                        src,
                        f.offset,
                        K::Unexpected,
                        format!("unknown element <{other}> in segment {id}; ignored"),
                    );
                }
            }
        }
        for m in &dynamic_mappings {
            if m.position == 0 || m.position as usize > fields.len() {
                diags.error(
                    src,
                    s.offset,
                    K::DanglingReference,
                    format!(
                        "segment {id}: dynamic mapping for field {} but the segment has {} fields",
                        m.position,
                        fields.len()
                    ),
                );
            }
        }
        p.segments.insert(
            id.clone(),
            SegmentDef {
                id,
                name,
                label: s.get_nonempty("Label").map(str::to_owned),
                description: s.get_nonempty("Description").map(str::to_owned),
                version: s.get_nonempty("Version").map(str::to_owned),
                fields,
                dynamic_mappings,
                location: Some(src.location(s.offset)),
                ..SegmentDef::default()
            },
        );
    }
}

fn messages_from(el: &Element, src: &SourceText, diags: &mut Diags, p: &mut Profile) {
    for m in &el.children {
        if m.name != "Message" {
            diags.warning(
                src,
                m.offset,
                K::Unexpected,
                format!("unknown element <{}> in <Messages>; ignored", m.name),
            );
            continue;
        }
        let get = |a: &str| m.get_nonempty(a).map(str::to_owned);
        let msg_type = get("Type").unwrap_or_default();
        let event = get("Event").unwrap_or_default();
        let structure = get("StructID").unwrap_or_else(|| format!("{msg_type}_{event}"));
        for (attr, v) in [("Type", &msg_type), ("Event", &event)] {
            if v.is_empty() {
                diags.error(
                    src,
                    m.offset,
                    K::Missing,
                    format!("<Message> has no `{attr}`"),
                );
            }
        }
        let id = get("ID").unwrap_or_else(|| format!("{msg_type}_{event}"));
        if p.messages.iter().any(|x| x.id == id) {
            diags.warning(
                src,
                m.offset_of("ID"),
                K::Duplicate,
                format!("message ID `{id}` is defined twice; both are kept"),
            );
        }
        let what = format!("message {msg_type}^{event}");
        let children = structure_from(m, &what, src, diags, p);
        p.messages.push(MessageDef {
            id,
            name: get("Name"),
            msg_type,
            event,
            structure,
            description: get("Description"),
            identifier: get("Identifier"),
            children,
            location: Some(src.location(m.offset)),
            ..MessageDef::default()
        });
    }
}

fn structure_from(
    el: &Element,
    parent: &str,
    src: &SourceText,
    diags: &mut Diags,
    p: &Profile,
) -> Vec<StructureNode> {
    let mut out = Vec::new();
    for c in &el.children {
        match c.name.as_str() {
            "Segment" => {
                let Some(r) = c.get_nonempty("Ref") else {
                    diags.error(
                        src,
                        c.offset,
                        K::Missing,
                        format!("<Segment> in {parent} has no `Ref`; skipped"),
                    );
                    continue;
                };
                let name = if let Some(seg) = p.segments.get(r) {
                    seg.name.clone()
                } else {
                    diags
                        .error(
                            src,
                            c.offset_of("Ref"),
                            K::DanglingReference,
                            format!("{parent}: segment reference `{r}` is not defined in <Segments>"),
                        )
                        .help_mut("every message Segment/@Ref must be the ID of a <Segment> in the library");
                    r.chars().take(3).collect()
                };
                let what = format!("segment {r} in {parent}");
                let usage = usage_attr(c, "Usage", &what, Dialect::Nist, src, diags);
                let cardinality = cardinality_attrs(c, &what, true, src, diags).unwrap_or_default();
                check_usage_cardinality(usage, cardinality, &what, c.offset, src, diags);
                out.push(StructureNode::Segment(SegmentRef {
                    segment: r.to_owned(),
                    name,
                    usage,
                    cardinality,
                    notes: super::model::Notes::default(),
                    site_defined: false,
                    location: Some(src.location(c.offset)),
                }));
            }
            "Group" => {
                let name = c.get_nonempty("Name").unwrap_or("GROUP").to_owned();
                let short = name.rsplit('.').next().unwrap_or(&name).to_owned();
                let what = format!("group {short}");
                let usage = usage_attr(c, "Usage", &what, Dialect::Nist, src, diags);
                let cardinality = cardinality_attrs(c, &what, true, src, diags).unwrap_or_default();
                check_usage_cardinality(usage, cardinality, &what, c.offset, src, diags);
                let children = structure_from(c, &what, src, diags, p);
                if children.is_empty() {
                    diags.error(src, c.offset, K::Missing, format!("{what} has no members"));
                }
                out.push(StructureNode::Group(GroupDef {
                    id: c.get_nonempty("ID").map(str::to_owned),
                    name: short,
                    long_name: (name.contains('.')).then(|| name.clone()),
                    usage,
                    cardinality,
                    children,
                    notes: super::model::Notes::default(),
                    location: Some(src.location(c.offset)),
                }));
            }
            other => {
                diags.warning(
                    src,
                    c.offset,
                    K::Unexpected,
                    format!("unknown element <{other}> in {parent}; ignored"),
                );
            }
        }
    }
    out
}

fn check_inline_bindings(p: &mut Profile, has_value_sets: bool, diags: &mut Diags) {
    if !has_value_sets {
        return;
    }
    let lib = &p.value_sets;
    let mut out = Vec::new();
    let elements = p
        .segments
        .values()
        .flat_map(|s| {
            s.fields
                .iter()
                .map(move |f| (format!("{}-{}", s.id, f.position), f))
        })
        .chain(p.datatypes.values().flat_map(|d| {
            d.components
                .iter()
                .map(move |c| (format!("{}.{}", d.id, c.position), c))
        }));
    for (path, e) in elements {
        for b in &e.bindings {
            for vs in &b.value_sets {
                if !lib.knows(vs) {
                    let mut d = Diagnostic::new(
                        Severity::Warning,
                        K::DanglingReference,
                        format!(
                            "{path} ({}): bound value set `{vs}` is not in ValueSets.xml",
                            e.name
                        ),
                    );
                    if let Some(l) = &e.location {
                        d = d.at(l.clone());
                    }
                    out.push(d);
                }
            }
        }
    }
    diags.extend(out);
}

// ---------------------------------------------------------------- value sets

fn value_sets_from(root: &Element, src: &SourceText, p: &mut Profile, diags: &mut Diags) {
    let lib = &mut p.value_sets;
    lib.id = root
        .get_nonempty("ValueSetLibraryIdentifier")
        .map(str::to_owned);
    for child in &root.children {
        match child.name.as_str() {
            "MetaData" => {}
            "NoValidation" => {
                lib.no_validation.extend(
                    child
                        .children_named("BindingIdentifier")
                        .map(|b| normalize_space(&b.text))
                        .filter(|s| !s.is_empty()),
                );
            }
            "ValueSetDefinitions" => {
                let group = child.get_nonempty("Group").map(str::to_owned);
                for def in &child.children {
                    if def.name != "ValueSetDefinition" {
                        diags.warning(
                            src,
                            def.offset,
                            K::Unexpected,
                            format!(
                                "unknown element <{}> in <ValueSetDefinitions>; ignored",
                                def.name
                            ),
                        );
                        continue;
                    }
                    let Some(id) = def.get_nonempty("BindingIdentifier") else {
                        diags.error(
                            src,
                            def.offset,
                            K::Missing,
                            "<ValueSetDefinition> has no `BindingIdentifier`; skipped",
                        );
                        continue;
                    };
                    let get = |a: &str| def.get_nonempty(a).map(str::to_owned);
                    let mut set = ValueSet {
                        id: id.to_owned(),
                        name: get("Name"),
                        description: get("Description"),
                        version: get("Version"),
                        oid: get("Oid"),
                        stability: get("Stability"),
                        extensibility: get("Extensibility"),
                        content_definition: get("ContentDefinition"),
                        group: group.clone(),
                        location: Some(src.location(def.offset)),
                        ..ValueSet::default()
                    };
                    for v in &def.children {
                        if v.name != "ValueElement" {
                            diags.warning(
                                src,
                                v.offset,
                                K::Unexpected,
                                format!("unknown element <{}> in value set {id}; ignored", v.name),
                            );
                            continue;
                        }
                        let Some(value) = v.get("Value") else {
                            diags.error(
                                src,
                                v.offset,
                                K::Missing,
                                format!("<ValueElement> in value set {id} has no `Value`; skipped"),
                            );
                            continue;
                        };
                        let code_system = v.get_nonempty("CodeSystem").map(str::to_owned);
                        if set
                            .codes
                            .iter()
                            .any(|c| c.value == value && c.code_system == code_system)
                        {
                            diags.warning(
                                src,
                                v.offset_of("Value"),
                                K::Duplicate,
                                format!("value set {id} lists code `{value}` twice"),
                            );
                        }
                        let usage = match v.get_nonempty("Usage") {
                            None => None,
                            Some("R") => Some(CodeUsage::Required),
                            Some("P") => Some(CodeUsage::Permitted),
                            Some("E") => Some(CodeUsage::Excluded),
                            Some(other) => {
                                diags.warning(src, v.offset_of("Usage"), K::InvalidValue, format!("value set {id}, code `{value}`: usage `{other}` is not R, P or E; ignored"));
                                None
                            }
                        };
                        set.codes.push(Code {
                            value: value.to_owned(),
                            display: v.get_nonempty("DisplayName").map(str::to_owned),
                            code_system,
                            code_system_version: v
                                .get_nonempty("CodeSystemVersion")
                                .map(str::to_owned),
                            usage,
                            comments: v.get_nonempty("Comments").map(str::to_owned),
                        });
                    }
                    if lib.sets.contains_key(id) {
                        diags.warning(
                            src,
                            def.offset_of("BindingIdentifier"),
                            K::Duplicate,
                            format!(
                                "value set `{id}` is defined twice; the first definition is kept"
                            ),
                        );
                    } else {
                        lib.sets.insert(id.to_owned(), set);
                    }
                }
            }
            other => {
                diags.warning(
                    src,
                    child.offset,
                    K::Unexpected,
                    format!("unknown element <{other}> in <ValueSetLibrary>; ignored"),
                );
            }
        }
    }
}

// --------------------------------------------------------------- contexts

fn context_kind(name: &str) -> Option<ContextKind> {
    match name {
        "Datatype" => Some(ContextKind::Datatype),
        "Segment" => Some(ContextKind::Segment),
        "Group" => Some(ContextKind::Group),
        "Message" => Some(ContextKind::Message),
        _ => None,
    }
}

/// Iterates `container > ByID|ByName` blocks, yielding the context and the
/// block element; reports unknown containers and unresolved IDs.
fn each_context<'a>(
    parent: &'a Element,
    src: &SourceText,
    diags: &mut Diags,
    p: &Profile,
    what: &str,
) -> Vec<(Context, &'a Element)> {
    let mut out = Vec::new();
    for container in &parent.children {
        let Some(kind) = context_kind(&container.name) else {
            diags.warning(
                src,
                container.offset,
                K::Unexpected,
                format!(
                    "unknown element <{}> in <{}>; ignored",
                    container.name, parent.name
                ),
            );
            continue;
        };
        for block in &container.children {
            let key = match block.name.as_str() {
                "ByID" => {
                    if let Some(id) = block.get_nonempty("ID") {
                        ContextKey::Id(id.to_owned())
                    } else {
                        diags.error(
                            src,
                            block.offset,
                            K::Missing,
                            "<ByID> has no `ID`; block skipped",
                        );
                        continue;
                    }
                }
                "ByName" => {
                    if let Some(n) = block.get_nonempty("Name") {
                        ContextKey::Name(n.to_owned())
                    } else {
                        diags.error(
                            src,
                            block.offset,
                            K::Missing,
                            "<ByName> has no `Name`; block skipped",
                        );
                        continue;
                    }
                }
                other => {
                    diags.warning(
                        src,
                        block.offset,
                        K::Unexpected,
                        format!("unknown element <{other}> in <{}>; ignored", container.name),
                    );
                    continue;
                }
            };
            let ctx = Context { kind, key };
            if !context_exists(p, &ctx) {
                let attr = if matches!(ctx.key, ContextKey::Id(_)) {
                    "ID"
                } else {
                    "Name"
                };
                diags.error(
                    src,
                    block.offset_of(attr),
                    K::DanglingReference,
                    format!(
                        "{what} for {ctx}: the profile defines no such {}",
                        container.name.to_ascii_lowercase()
                    ),
                );
            }
            out.push((ctx, block));
        }
    }
    out
}

fn all_groups(p: &Profile) -> Vec<&GroupDef> {
    fn go<'a>(nodes: &'a [StructureNode], out: &mut Vec<&'a GroupDef>) {
        for n in nodes {
            if let StructureNode::Group(g) = n {
                out.push(g);
                go(&g.children, out);
            }
        }
    }
    let mut out = Vec::new();
    for m in &p.messages {
        go(&m.children, &mut out);
    }
    out
}

fn context_exists(p: &Profile, ctx: &Context) -> bool {
    match (&ctx.kind, &ctx.key) {
        (ContextKind::Datatype, ContextKey::Id(id)) => p.datatypes.contains_key(id),
        (ContextKind::Datatype, ContextKey::Name(n)) => p.datatypes.values().any(|d| &d.name == n),
        (ContextKind::Segment, ContextKey::Id(id)) => p.segments.contains_key(id),
        (ContextKind::Segment, ContextKey::Name(n)) => p.segments.values().any(|s| &s.name == n),
        (ContextKind::Group, ContextKey::Id(id)) => all_groups(p)
            .iter()
            .any(|g| g.id.as_deref() == Some(id.as_str())),
        (ContextKind::Group, ContextKey::Name(n)) => all_groups(p).iter().any(|g| &g.name == n),
        (ContextKind::Message, ContextKey::Id(id)) => p.messages.iter().any(|m| &m.id == id),
        (ContextKind::Message, ContextKey::Name(n)) => p
            .messages
            .iter()
            .any(|m| &m.structure == n || m.name.as_deref() == Some(n)),
    }
}

/// Parses `9[1].5[*].1[1]` into positions; `.` (the context itself) is empty.
fn path_positions(path: &str) -> Option<Vec<u32>> {
    let path = path.trim();
    if path == "." || path.is_empty() {
        return Some(Vec::new());
    }
    path.split('.')
        .map(|step| {
            let num = step.split_once('[').map_or(step, |(n, rest)| {
                let _ = rest;
                n
            });
            num.trim().parse::<u32>().ok().filter(|n| *n > 0)
        })
        .collect()
}

/// Where a context-relative path leads.
enum Target {
    Element,
    Node,
    Context,
}

/// Follows a path from one context item; `Err` explains where it breaks.
fn resolve(p: &Profile, kind: ContextKind, id: &str, positions: &[u32]) -> Result<Target, String> {
    if positions.is_empty() {
        return Ok(Target::Context);
    }
    match kind {
        ContextKind::Datatype => {
            let dt = p
                .datatypes
                .get(id)
                .ok_or_else(|| format!("no data type {id}"))?;
            resolve_in_elements(p, &dt.components, &format!("data type {id}"), positions)
        }
        ContextKind::Segment => {
            let seg = p
                .segments
                .get(id)
                .ok_or_else(|| format!("no segment {id}"))?;
            resolve_in_elements(p, &seg.fields, &format!("segment {id}"), positions)
        }
        ContextKind::Group => {
            let g = all_groups(p)
                .into_iter()
                .find(|g| g.id.as_deref() == Some(id) || g.name == id)
                .ok_or_else(|| format!("no group {id}"))?;
            resolve_in_nodes(p, &g.children, &format!("group {}", g.name), positions)
        }
        ContextKind::Message => {
            let m = p
                .messages
                .iter()
                .find(|m| m.id == id || m.structure == id)
                .ok_or_else(|| format!("no message {id}"))?;
            resolve_in_nodes(
                p,
                &m.children,
                &format!("message {}", m.structure),
                positions,
            )
        }
    }
}

fn resolve_in_nodes<'a>(
    p: &'a Profile,
    nodes: &'a [StructureNode],
    what: &str,
    positions: &[u32],
) -> Result<Target, String> {
    let pos = positions[0];
    let node = nodes
        .get(pos as usize - 1)
        .ok_or_else(|| format!("{what} has {} children, not {pos}", nodes.len()))?;
    if positions.len() == 1 {
        return Ok(Target::Node);
    }
    match node {
        StructureNode::Group(g) => resolve_in_nodes(
            p,
            &g.children,
            &format!("group {}", g.name),
            &positions[1..],
        ),
        StructureNode::Segment(s) => {
            let seg = p
                .segments
                .get(&s.segment)
                .ok_or_else(|| format!("no segment {}", s.segment))?;
            resolve_in_elements(
                p,
                &seg.fields,
                &format!("segment {}", s.segment),
                &positions[1..],
            )
        }
    }
}

fn resolve_in_elements<'a>(
    p: &'a Profile,
    elements: &'a [ElementDef],
    what: &str,
    positions: &[u32],
) -> Result<Target, String> {
    let pos = positions[0];
    let e = elements
        .get(pos as usize - 1)
        .ok_or_else(|| format!("{what} has {} elements, not {pos}", elements.len()))?;
    if positions.len() == 1 {
        return Ok(Target::Element);
    }
    let dt = p
        .datatypes
        .get(&e.datatype)
        .ok_or_else(|| format!("no data type {}", e.datatype))?;
    if dt.components.is_empty() {
        return Err(format!(
            "{what}.{pos} is {}, a primitive without components",
            e.datatype
        ));
    }
    resolve_in_elements(
        p,
        &dt.components,
        &format!("data type {}", dt.id),
        &positions[1..],
    )
}

/// IDs of the items a context selects (one for ByID, all flavors for ByName).
fn context_ids(p: &Profile, ctx: &Context) -> Vec<String> {
    match (&ctx.kind, &ctx.key) {
        (_, ContextKey::Id(id)) => vec![id.clone()],
        (ContextKind::Datatype, ContextKey::Name(n)) => p
            .datatypes
            .values()
            .filter(|d| &d.name == n)
            .map(|d| d.id.clone())
            .collect(),
        (ContextKind::Segment, ContextKey::Name(n)) => p
            .segments
            .values()
            .filter(|s| &s.name == n)
            .map(|s| s.id.clone())
            .collect(),
        (ContextKind::Group | ContextKind::Message, ContextKey::Name(n)) => vec![n.clone()],
    }
}

/// Checks that `target` resolves in every item the context selects.
fn check_target(
    p: &Profile,
    ctx: &Context,
    target: &str,
    what: &str,
    at: usize,
    src: &SourceText,
    diags: &mut Diags,
) -> Option<Vec<u32>> {
    let Some(positions) = path_positions(target) else {
        diags.error(
            src,
            at,
            K::InvalidValue,
            format!("{what}: `{target}` is not a positional path like 2[1].1[1]"),
        );
        return None;
    };
    for id in context_ids(p, ctx) {
        if let Err(why) = resolve(p, ctx.kind, &id, &positions) {
            diags.error(
                src,
                at,
                K::DanglingReference,
                format!("{what}: path `{target}` in {ctx} does not resolve: {why}"),
            );
            return None;
        }
    }
    Some(positions)
}

// -------------------------------------------------------------- constraints

fn constraints_from(root: &Element, src: &SourceText, p: &mut Profile, diags: &mut Diags) {
    for child in &root.children {
        match child.name.as_str() {
            "MetaData" => {}
            "Predicates" => {
                for (ctx, block) in each_context(child, src, diags, p, "predicates") {
                    for pe in &block.children {
                        if pe.name != "Predicate" {
                            diags.warning(
                                src,
                                pe.offset,
                                K::Unexpected,
                                format!("unknown element <{}> in {ctx}; ignored", pe.name),
                            );
                            continue;
                        }
                        if let Some(pred) = predicate_from(pe, &ctx, src, diags, p) {
                            p.predicates.push(pred);
                        }
                    }
                }
            }
            "Constraints" => {
                for (ctx, block) in each_context(child, src, diags, p, "conformance statements") {
                    for ce in &block.children {
                        if ce.name != "Constraint" {
                            diags.warning(
                                src,
                                ce.offset,
                                K::Unexpected,
                                format!("unknown element <{}> in {ctx}; ignored", ce.name),
                            );
                            continue;
                        }
                        let target = ce.get_nonempty("Target").map(str::to_owned);
                        let id = ce.get_nonempty("ID").map(str::to_owned);
                        let what = format!(
                            "conformance statement {}",
                            id.as_deref().unwrap_or("(no ID)")
                        );
                        if let Some(t) = &target {
                            check_target(p, &ctx, t, &what, ce.offset_of("Target"), src, diags);
                        }
                        let strength = match ce.get_nonempty("Strength") {
                            Some("SHALL") => Some(Strength::Shall),
                            Some("SHOULD") => Some(Strength::Should),
                            None => None,
                            Some(other) => {
                                diags.warning(
                                    src,
                                    ce.offset_of("Strength"),
                                    K::InvalidValue,
                                    format!(
                                        "{what}: strength `{other}` is not SHALL or SHOULD; ignored"
                                    ),
                                );
                                None
                            }
                        };
                        let assertion = ce
                            .child("Assertion")
                            .and_then(|a| single_expr(a, &what, src, diags));
                        if ce.child("Assertion").is_none() {
                            diags.error(
                                src,
                                ce.offset,
                                K::Missing,
                                format!("{what} has no <Assertion>"),
                            );
                        }
                        p.conformance_statements.push(ConformanceStatement {
                            context: ctx.clone(),
                            id,
                            target,
                            strength,
                            classification: ce.get_nonempty("Classification").map(str::to_owned),
                            description: ce.child_text("Description"),
                            assertion,
                            location: Some(src.location(ce.offset)),
                        });
                    }
                }
            }
            "OrderIndifferent" | "CoConstraints" => {
                diags.note(
                    src,
                    child.offset,
                    K::Unexpected,
                    format!("<{}> in Constraints.xml is not applied", child.name),
                );
            }
            other => {
                diags.warning(
                    src,
                    child.offset,
                    K::Unexpected,
                    format!("unknown element <{other}> in <ConformanceContext>; ignored"),
                );
            }
        }
    }
}

fn predicate_from(
    pe: &Element,
    ctx: &Context,
    src: &SourceText,
    diags: &mut Diags,
    p: &mut Profile,
) -> Option<Predicate> {
    let target = if let Some(t) = pe.get_nonempty("Target") {
        t.to_owned()
    } else {
        diags.error(
            src,
            pe.offset,
            K::Missing,
            format!("predicate in {ctx} has no `Target`; skipped"),
        );
        return None;
    };
    let what = format!("predicate on {target} in {ctx}");
    let outcome = |attr: &str, diags: &mut Diags| -> Usage {
        let u = usage_attr(pe, attr, &what, Dialect::Nist, src, diags);
        if !u.is_simple() {
            diags.warning(
                src,
                pe.offset_of(attr),
                K::InvalidValue,
                format!("{what}: `{attr}` must be R, RE, O or X, not {u}"),
            );
        }
        u
    };
    let true_usage = outcome("TrueUsage", diags);
    let false_usage = outcome("FalseUsage", diags);
    if true_usage == false_usage {
        diags.warning(src, pe.offset_of("FalseUsage"), K::Contradiction, format!("{what}: TrueUsage and FalseUsage are both {true_usage}; the predicate decides nothing"));
    }
    let condition = pe
        .child("Condition")
        .and_then(|c| single_expr(c, &what, src, diags));
    if pe.child("Condition").is_none() {
        diags.error(
            src,
            pe.offset,
            K::Missing,
            format!("{what} has no <Condition>"),
        );
    }
    if let Some(positions) =
        check_target(p, ctx, &target, &what, pe.offset_of("Target"), src, diags)
    {
        apply_predicate(
            p,
            ctx,
            &positions,
            true_usage,
            false_usage,
            &what,
            pe.offset,
            src,
            diags,
        );
    }
    Some(Predicate {
        context: ctx.clone(),
        id: pe.get_nonempty("ID").map(str::to_owned),
        target,
        true_usage,
        false_usage,
        description: pe.child_text("Description"),
        condition,
        location: Some(src.location(pe.offset)),
    })
}

/// Sets `C(true/false)` on the element a one-step path addresses.
#[allow(clippy::too_many_arguments)]
fn apply_predicate(
    p: &mut Profile,
    ctx: &Context,
    positions: &[u32],
    if_true: Usage,
    if_false: Usage,
    what: &str,
    at: usize,
    src: &SourceText,
    diags: &mut Diags,
) {
    let (Some(if_true), Some(if_false)) =
        (Outcome::from_usage(if_true), Outcome::from_usage(if_false))
    else {
        return;
    };
    if positions.len() != 1 || if_true == if_false {
        return;
    }
    let idx = positions[0] as usize - 1;
    let cond = Usage::C(Some(Conditional { if_true, if_false }));
    let ids = context_ids(p, ctx);
    for id in ids {
        let usage: Option<&mut Usage> = match ctx.kind {
            ContextKind::Datatype => p
                .datatypes
                .get_mut(&id)
                .and_then(|d| d.components.get_mut(idx))
                .map(|e| &mut e.usage),
            ContextKind::Segment => p
                .segments
                .get_mut(&id)
                .and_then(|s| s.fields.get_mut(idx))
                .map(|e| &mut e.usage),
            ContextKind::Group | ContextKind::Message => None,
        };
        if let Some(u) = usage {
            match *u {
                Usage::C(_) | Usage::CE => *u = cond,
                other => {
                    diags.warning(
                        src,
                        at,
                        K::SchemaDeviation,
                        format!("{what}: the target has usage {other}, not C; the predicate is kept but does not change the usage"),
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------- bindings

fn bindings_from(
    root: &Element,
    src: &SourceText,
    p: &mut Profile,
    diags: &mut Diags,
    has_value_sets: bool,
) {
    for child in &root.children {
        let single = match child.name.as_str() {
            "ValueSetBindings" => false,
            "SingleCodeBindings" => true,
            other => {
                diags.warning(
                    src,
                    child.offset,
                    K::Unexpected,
                    format!("unknown element <{other}> in <ValueSetBindingsContext>; ignored"),
                );
                continue;
            }
        };
        for (ctx, block) in each_context(child, src, diags, p, "value-set bindings") {
            for b in &block.children {
                let expected = if single {
                    "SingleCodeBinding"
                } else {
                    "ValueSetBinding"
                };
                if b.name != expected {
                    diags.warning(
                        src,
                        b.offset,
                        K::Unexpected,
                        format!("unknown element <{}> in {ctx}; ignored", b.name),
                    );
                    continue;
                }
                let Some(target) = b.get_nonempty("Target").map(str::to_owned) else {
                    diags.error(
                        src,
                        b.offset,
                        K::Missing,
                        format!("<{expected}> in {ctx} has no `Target`; skipped"),
                    );
                    continue;
                };
                let what = format!("binding on {target} in {ctx}");
                check_target(p, &ctx, &target, &what, b.offset_of("Target"), src, diags);
                let mut binding = Binding::default();
                let mut single_codes = Vec::new();
                if single {
                    if let Some(code) = b.get_nonempty("Code") {
                        single_codes.push((
                            code.to_owned(),
                            b.get_nonempty("CodeSystem").map(str::to_owned),
                        ));
                    } else {
                        diags.error(
                            src,
                            b.offset,
                            K::Missing,
                            format!("{what}: <SingleCodeBinding> has no `Code`"),
                        );
                    }
                } else {
                    binding.strength = b.get_nonempty("BindingStrength").and_then(|s| {
                        let parsed = BindingStrength::parse(s);
                        if parsed.is_none() {
                            diags.warning(
                                src,
                                b.offset_of("BindingStrength"),
                                K::InvalidValue,
                                format!("{what}: binding strength `{s}` is not R, S or U; ignored"),
                            );
                        }
                        parsed
                    });
                    for part in &b.children {
                        match part.name.as_str() {
                            "BindingLocations" => {
                                for l in &part.children {
                                    match l.name.as_str() {
                                        "SimpleBindingLocation" => {
                                            binding.locations.push(BindingLocation::Simple(
                                                l.get("CodeLocation").unwrap_or(".").to_owned(),
                                            ));
                                        }
                                        "ComplexBindingLocation" => {
                                            binding.locations.push(BindingLocation::Complex {
                                                code: l
                                                    .get("CodeLocation")
                                                    .unwrap_or("")
                                                    .to_owned(),
                                                code_system: l
                                                    .get("CodeSystemLocation")
                                                    .unwrap_or("")
                                                    .to_owned(),
                                            });
                                        }
                                        other => {
                                            diags.warning(src, l.offset, K::Unexpected, format!("unknown element <{other}> in <BindingLocations>; ignored"));
                                        }
                                    }
                                }
                            }
                            "Bindings" => {
                                for bi in part.children_named("Binding") {
                                    let Some(id) = bi.get_nonempty("BindingIdentifier") else {
                                        diags.error(
                                            src,
                                            bi.offset,
                                            K::Missing,
                                            format!("{what}: <Binding> has no `BindingIdentifier`"),
                                        );
                                        continue;
                                    };
                                    if has_value_sets && !p.value_sets.knows(id) {
                                        diags.warning(
                                            src,
                                            bi.offset_of("BindingIdentifier"),
                                            K::DanglingReference,
                                            format!(
                                                "{what}: value set `{id}` is not in ValueSets.xml"
                                            ),
                                        );
                                    }
                                    binding.value_sets.push(id.to_owned());
                                }
                            }
                            other => {
                                diags.warning(
                                    src,
                                    part.offset,
                                    K::Unexpected,
                                    format!(
                                        "unknown element <{other}> in <ValueSetBinding>; ignored"
                                    ),
                                );
                            }
                        }
                    }
                    if binding.value_sets.is_empty() {
                        diags.error(
                            src,
                            b.offset,
                            K::Missing,
                            format!("{what} names no value set"),
                        );
                    }
                }
                p.bindings.push(ContextBinding {
                    context: ctx.clone(),
                    target,
                    binding,
                    single_codes,
                    location: Some(src.location(b.offset)),
                });
            }
        }
    }
}

// ------------------------------------------------------------- expressions

fn single_expr(holder: &Element, what: &str, src: &SourceText, diags: &mut Diags) -> Option<Expr> {
    let mut exprs = holder.children.iter();
    let first = exprs.next();
    if exprs.next().is_some() {
        diags.warning(
            src,
            holder.offset,
            K::SchemaDeviation,
            format!(
                "{what}: <{}> holds more than one expression; only the first is used",
                holder.name
            ),
        );
    }
    if let Some(e) = first {
        Some(expr(e, what, src, diags))
    } else {
        diags.error(
            src,
            holder.offset,
            K::Missing,
            format!("{what}: <{}> is empty", holder.name),
        );
        None
    }
}

fn expr(el: &Element, what: &str, src: &SourceText, diags: &mut Diags) -> Expr {
    let req = |attr: &str, diags: &mut Diags| -> String {
        if let Some(v) = el.get(attr) {
            v.to_owned()
        } else {
            diags.error(
                src,
                el.offset,
                K::Missing,
                format!("{what}: <{}> has no `{attr}`", el.name),
            );
            String::new()
        }
    };
    let flag = |attr: &str| el.get(attr).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let not_present = el.get("NotPresentBehavior").and_then(|v| match v {
        "PASS" => Some(NotPresent::Pass),
        "FAIL" => Some(NotPresent::Fail),
        "INCONCLUSIVE" => Some(NotPresent::Inconclusive),
        _ => None,
    });
    let kids = |diags: &mut Diags| -> Vec<Expr> {
        el.children
            .iter()
            .map(|c| expr(c, what, src, diags))
            .collect()
    };
    let arity = |n: usize, exprs: &[Expr], diags: &mut Diags| {
        if exprs.len() != n {
            diags.error(
                src,
                el.offset,
                K::InvalidValue,
                format!(
                    "{what}: <{}> needs {n} operand(s), found {}",
                    el.name,
                    exprs.len()
                ),
            );
        }
    };
    match el.name.as_str() {
        "Presence" => Expr::Presence {
            path: req("Path", diags),
        },
        "PlainText" => Expr::PlainText {
            path: req("Path", diags),
            text: req("Text", diags),
            ignore_case: flag("IgnoreCase"),
            at_least_once: flag("AtLeastOnce"),
            not_present,
        },
        "Format" => Expr::Format {
            path: req("Path", diags),
            regex: req("Regex", diags),
            at_least_once: flag("AtLeastOnce"),
            not_present,
        },
        "StringList" => Expr::StringList {
            path: req("Path", diags),
            values: req("CSV", diags)
                .split(',')
                .map(|s| s.trim().to_owned())
                .collect(),
            ignore_case: flag("IgnoreCase"),
            not_present,
        },
        "NumberList" => Expr::NumberList {
            path: req("Path", diags),
            values: req("CSV", diags)
                .split(',')
                .map(|s| s.trim().to_owned())
                .collect(),
            not_present,
        },
        "SimpleValue" => Expr::SimpleValue {
            path: req("Path", diags),
            operator: req("Operator", diags),
            value: req("Value", diags),
            value_type: el.get_nonempty("Type").map(str::to_owned),
            not_present,
        },
        "PathValue" => Expr::PathValue {
            path1: req("Path1", diags),
            operator: req("Operator", diags),
            path2: req("Path2", diags),
            not_present,
        },
        "ValueSet" => Expr::ValueSet {
            path: req("Path", diags),
            value_set: req("ValueSetID", diags),
            strength: el.get("BindingStrength").and_then(BindingStrength::parse),
            location: el.get_nonempty("BindingLocation").map(str::to_owned),
        },
        "SetID" => Expr::SetId {
            path: req("Path", diags),
        },
        "Plugin" => Expr::Plugin {
            class: req("QualifiedClassName", diags),
        },
        "NOT" => {
            let mut k = kids(diags);
            arity(1, &k, diags);
            match k.pop() {
                Some(e) => Expr::Not(Box::new(e)),
                None => Expr::Other(raw(el)),
            }
        }
        "IMPLY" => {
            let k = kids(diags);
            arity(2, &k, diags);
            let mut it = k.into_iter();
            match (it.next(), it.next()) {
                (Some(a), Some(b)) => Expr::Imply(Box::new(a), Box::new(b)),
                _ => Expr::Other(raw(el)),
            }
        }
        "AND" => Expr::And(kids(diags)),
        "OR" => Expr::Or(kids(diags)),
        "XOR" => Expr::Xor(kids(diags)),
        "FORALL" => Expr::ForAll(kids(diags)),
        "EXIST" => Expr::Exist(kids(diags)),
        _ => Expr::Other(raw(el)),
    }
}

fn raw(el: &Element) -> RawElement {
    RawElement {
        name: el.name.clone(),
        attributes: el
            .attrs
            .iter()
            .map(|a| (a.name.clone(), a.value.clone()))
            .collect(),
        children: el.children.iter().map(raw).collect(),
        text: normalize_space(&el.text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(path_positions("9[1].5[*].1[1]"), Some(vec![9, 5, 1]));
        assert_eq!(path_positions("."), Some(vec![]));
        assert_eq!(path_positions("8[*]"), Some(vec![8]));
        assert_eq!(path_positions("x[1]"), None);
        assert_eq!(path_positions("0[1]"), None);
    }
}

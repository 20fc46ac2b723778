//! HL7 Messaging Workbench (`HL7v2xConformanceProfile`) profiles and MWB
//! table libraries (`Specification/hl7tables`).
//!
//! MWB files define every segment, field, component and sub-component
//! inline. The loader turns them into the segment and data-type libraries of
//! the [`Profile`] model: identical subtrees share one flavor, differing ones
//! get suffixed IDs (`HD`, `HD_2`). Positions are implicit (the n-th `Field`
//! is field n). Known quirks of real files are accepted with a diagnostic:
//! `W` usage, wrapper groups (flattened, as HAPI's source generator does),
//! implausible `Min` values, a missing `UseCase`.

use std::path::Path;

use super::Loaded;
use super::common::{
    Dialect, Interner, cardinality_attrs, check_usage_cardinality, is_known_datatype, uint_attr,
    usage_attr,
};
use super::diag::{DiagnosticKind as K, Diags, SourceText};
use super::model::{
    Bound, Cardinality, Code, DatatypeDef, DynamicDef, ElementDef, FileRole, GroupDef, LengthSpec,
    MessageDef, Notes, Profile, ProfileType, Role, SegmentDef, SegmentRef, SourceFile,
    SourceFormat, StructureNode, Usage, ValueSet, ValueSetLibrary,
};
use super::xml::{self, Element, normalize_space};

/// Loads an MWB profile or table library from text. `path` is used for
/// diagnostics only.
pub fn load_str(text: &str, path: &Path) -> Loaded {
    let src = SourceText::new(Arc::from(path), text);
    let mut diags = Diags::default();
    let profile = xml::parse(text, &src, &mut diags).and_then(|root| match root.name.as_str() {
        "HL7v2xConformanceProfile" => Some(profile_from(&root, &src, &mut diags)),
        "Specification" => Some(tables_from(&root, &src, &mut diags)),
        other => {
            diags.error(
                &src,
                root.offset,
                K::UnknownFormat,
                format!("root element <{other}> is not an MWB profile (<HL7v2xConformanceProfile>) or table library (<Specification>)"),
            );
            None
        }
    });
    let profile = profile.map(|mut p| {
        p.sources.push(SourceFile {
            path: path.to_path_buf(),
            role: if p.meta.format == SourceFormat::MwbTables {
                FileRole::ValueSets
            } else {
                FileRole::Profile
            },
            used: true,
        });
        p
    });
    Loaded::new(profile, diags)
}

use std::sync::Arc;

/// Loads an MWB table library into a value-set library.
pub fn load_tables_str(
    text: &str,
    path: &Path,
) -> (Option<ValueSetLibrary>, Vec<super::Diagnostic>) {
    let loaded = load_str(text, path);
    let (profile, diagnostics) = (loaded.profile, loaded.diagnostics);
    (profile.map(|p| p.value_sets), diagnostics)
}

struct Ctx<'a> {
    src: &'a SourceText,
    diags: &'a mut Diags,
    profile: Profile,
    interner: Interner,
    /// Leaf data-type names referenced without inline components.
    leaf_types: Vec<(String, usize)>,
}

fn profile_from(root: &Element, src: &SourceText, diags: &mut Diags) -> Profile {
    let mut cx = Ctx {
        src,
        diags,
        profile: Profile::default(),
        interner: Interner::default(),
        leaf_types: Vec::new(),
    };
    cx.profile.meta.format = SourceFormat::Mwb;
    cx.profile.meta.id = root.get_nonempty("Identifier").map(str::to_owned);
    match root.get_nonempty("HL7Version") {
        Some(v) => cx.profile.meta.hl7_version = Some(v.to_owned()),
        None => {
            cx.diags.warning(
                src,
                root.offset,
                K::SchemaDeviation,
                "<HL7v2xConformanceProfile> has no `HL7Version`; the HL7 version is unknown",
            );
        }
    }
    cx.profile.meta.profile_type = match root.get_nonempty("ProfileType") {
        Some("HL7") => Some(ProfileType::Hl7),
        Some("Constrainable") => Some(ProfileType::Constrainable),
        Some("Implementation") => Some(ProfileType::Implementation),
        Some(other) => {
            cx.diags.warning(
                src,
                root.offset_of("ProfileType"),
                K::InvalidValue,
                format!(
                    "`ProfileType=\"{other}\"` is not HL7, Constrainable or Implementation; ignored"
                ),
            );
            None
        }
        None => {
            cx.diags.warning(
                src,
                root.offset,
                K::SchemaDeviation,
                "<HL7v2xConformanceProfile> has no `ProfileType`",
            );
            None
        }
    };
    let mut dynamic: Option<DynamicDef> = None;
    let mut statics = 0;
    let mut seen_use_case = false;
    for child in &root.children {
        match child.name.as_str() {
            "MetaData" => meta_from(child, &mut cx.profile),
            "ImpNote" | "Description" => {
                if cx.profile.meta.description.is_none() {
                    cx.profile.meta.description =
                        Some(normalize_space(&child.text)).filter(|s| !s.is_empty());
                }
            }
            "UseCase" => {
                seen_use_case = true;
                if cx.profile.meta.description.is_none() {
                    cx.profile.meta.description = child
                        .child_text("Purpose")
                        .or_else(|| child.child_text("Description"));
                }
            }
            "Encodings" => {
                cx.profile.meta.encodings = child
                    .children_named("Encoding")
                    .map(|e| normalize_space(&e.text))
                    .filter(|s| !s.is_empty())
                    .collect();
            }
            "DynamicDef" => {
                dynamic = Some(DynamicDef {
                    accept_ack: child.get_nonempty("AccAck").map(str::to_owned),
                    application_ack: child.get_nonempty("AppAck").map(str::to_owned),
                    ack_mode: child.get_nonempty("MsgAckMode").map(str::to_owned),
                    query_message_type: child.get_nonempty("QueryMessageType").map(str::to_owned),
                    query_mode: child.get_nonempty("QueryMode").map(str::to_owned),
                });
            }
            "HL7v2xStaticDef" => {
                statics += 1;
                let msg = cx.static_def(child, dynamic.clone());
                cx.profile.messages.push(msg);
            }
            "HL7v2xStaticDefRef" => {
                statics += 1;
                cx.diags.warning(
                    src,
                    child.offset,
                    K::Unexpected,
                    format!(
                        "<HL7v2xStaticDefRef Identifier=\"{}\"> refers to a static definition in another file; it is not loaded",
                        child.get("Identifier").unwrap_or("")
                    ),
                );
            }
            other => {
                cx.diags.warning(
                    src,
                    child.offset,
                    K::Unexpected,
                    format!("unknown element <{other}> in <HL7v2xConformanceProfile>; ignored"),
                );
            }
        }
    }
    let _ = seen_use_case; // the DTD makes UseCase optional; HAPI's XSD does not.
    if statics == 0 {
        cx.diags.error(
            src,
            root.offset,
            K::Missing,
            "the profile has no <HL7v2xStaticDef>: there is no message to load",
        );
    }
    // Leaf data types referenced without components: make sure the library
    // has an entry (a primitive or an unprofiled composite).
    let leaves = std::mem::take(&mut cx.leaf_types);
    for (name, at) in leaves {
        if !is_known_datatype(&name) && !cx.profile.datatypes.contains_key(&name) {
            cx.diags
                .error(
                    src,
                    at,
                    K::UnknownDatatype,
                    format!("unknown data type `{name}`: HL7 defines no such type and the profile does not define its components"),
                )
                .help_mut("use an HL7 data type name (e.g. ST, CWE, XPN) or list its <Component> elements");
        }
        cx.profile
            .datatypes
            .entry(name.clone())
            .or_insert_with(|| DatatypeDef {
                id: name.clone(),
                name: name.clone(),
                ..DatatypeDef::default()
            });
    }
    cx.profile
}

fn meta_from(el: &Element, p: &mut Profile) {
    let m = &mut p.meta;
    let get = |a: &str| el.get_nonempty(a).map(str::to_owned);
    m.name = get("Name");
    m.organization = get("OrgName");
    m.version = get("Version");
    m.status = get("Status");
    m.topics = get("Topics");
}

fn notes_from(el: &Element) -> Notes {
    Notes {
        description: el.child_text("Description"),
        imp_note: el.child_text("ImpNote"),
        reference: el.child_text("Reference"),
        predicate: el.child_text("Predicate"),
        examples: el
            .children_named("DataValues")
            .filter_map(|d| d.get("ExValue").map(str::to_owned))
            .collect(),
    }
}

const NOTE_ELEMENTS: &[&str] = &[
    "ImpNote",
    "Description",
    "Reference",
    "Predicate",
    "DataValues",
    "MetaData",
];

impl Ctx<'_> {
    fn static_def(&mut self, el: &Element, dynamic: Option<DynamicDef>) -> MessageDef {
        let src = self.src;
        let required = |attr: &str, diags: &mut Diags| -> String {
            if let Some(v) = el.get_nonempty(attr) {
                v.to_owned()
            } else {
                diags.error(
                    src,
                    el.offset,
                    K::Missing,
                    format!("<HL7v2xStaticDef> has no `{attr}` attribute"),
                );
                String::new()
            }
        };
        let msg_type = required("MsgType", self.diags);
        let event = required("EventType", self.diags);
        let structure = match el.get_nonempty("MsgStructID") {
            Some(s) => s.to_owned(),
            None if msg_type == "ACK" => "ACK".to_owned(),
            None => {
                let s = format!("{msg_type}_{event}");
                self.diags.note(
                    src,
                    el.offset,
                    K::Normalized,
                    format!("<HL7v2xStaticDef> has no `MsgStructID`; assuming {s}"),
                );
                s
            }
        };
        let role = match el.get_nonempty("Role") {
            None | Some("Sender") => Some(Role::Sender),
            Some("Receiver") => Some(Role::Receiver),
            Some(other) => {
                self.diags.warning(
                    src,
                    el.offset_of("Role"),
                    K::InvalidValue,
                    format!("`Role=\"{other}\"` is neither Sender nor Receiver; ignored"),
                );
                None
            }
        };
        let mut msg = MessageDef {
            id: if event.is_empty() {
                structure.clone()
            } else {
                format!("{msg_type}_{event}")
            },
            name: el
                .child("MetaData")
                .and_then(|m| m.get_nonempty("Name"))
                .map(str::to_owned),
            msg_type,
            event,
            structure,
            description: el.get_nonempty("EventDesc").map(normalize_space),
            order_control: el.get_nonempty("OrderControl").map(str::to_owned),
            role,
            identifier: el.get_nonempty("Identifier").map(str::to_owned),
            dynamic,
            notes: notes_from(el),
            location: Some(src.location(el.offset)),
            ..MessageDef::default()
        };
        msg.children = self.structure_children(el, &msg.structure);
        match msg.children.first() {
            Some(StructureNode::Segment(s)) if s.name == "MSH" => {}
            _ => {
                self.diags.warning(
                    src,
                    el.offset,
                    K::SchemaDeviation,
                    format!(
                        "message {}: the first segment is not MSH",
                        msg.message_type()
                    ),
                );
            }
        }
        msg
    }

    fn structure_children(&mut self, el: &Element, parent: &str) -> Vec<StructureNode> {
        let mut out = Vec::new();
        for child in &el.children {
            match child.name.as_str() {
                "Segment" => out.push(StructureNode::Segment(self.segment(child, parent))),
                "SegGroup" => out.push(StructureNode::Group(self.group(child, parent))),
                n if NOTE_ELEMENTS.contains(&n) => {}
                other => {
                    self.diags.warning(
                        self.src,
                        child.offset,
                        K::Unexpected,
                        format!("unknown element <{other}> in {parent}; ignored"),
                    );
                }
            }
        }
        out
    }

    fn group(&mut self, el: &Element, parent: &str) -> GroupDef {
        let src = self.src;
        let name = el.get_nonempty("Name").map_or_else(
            || {
                self.diags.error(
                    src,
                    el.offset,
                    K::Missing,
                    format!("<SegGroup> in {parent} has no `Name`"),
                );
                "GROUP".to_owned()
            },
            str::to_owned,
        );
        let what = format!("group {name}");
        let usage = usage_attr(el, "Usage", &what, Dialect::Mwb, src, self.diags);
        let cardinality = cardinality_attrs(el, &what, true, src, self.diags).unwrap_or_default();
        check_usage_cardinality(usage, cardinality, &what, el.offset, src, self.diags);
        let children = self.structure_children(el, &what);
        if children.is_empty() {
            self.diags.error(
                src,
                el.offset,
                K::Missing,
                format!("{what} has no segments"),
            );
        }
        let group = GroupDef {
            id: None,
            name,
            long_name: el.get_nonempty("LongName").map(str::to_owned),
            usage,
            cardinality,
            children,
            notes: notes_from(el),
            location: Some(src.location(el.offset)),
        };
        self.flatten_wrapper(group, el.offset)
    }

    /// MWB writes an optional repeating group as an optional non-repeating
    /// wrapper whose only child is the required repeating group. Fold the
    /// pair into one group (HAPI's source generator does the same).
    fn flatten_wrapper(&mut self, group: GroupDef, at: usize) -> GroupDef {
        let is_wrapper = group.children.len() == 1
            && group.cardinality.max == Some(1)
            && matches!(&group.children[0], StructureNode::Group(inner) if inner.usage == Usage::R && inner.cardinality.repeats());
        if !is_wrapper || group.usage == Usage::R {
            return group;
        }
        let GroupDef {
            name: wrapper_name,
            usage,
            cardinality,
            children,
            notes,
            ..
        } = group;
        let Some(StructureNode::Group(mut inner)) = children.into_iter().next() else {
            unreachable!("checked above")
        };
        let folded = Cardinality::new(
            cardinality.min.min(inner.cardinality.min),
            inner.cardinality.max,
        );
        self.diags.note(
            self.src,
            at,
            K::Normalized,
            format!(
                "flattened MWB wrapper group {wrapper_name} {usage} {cardinality} around {} {} {} into {} {usage} {folded}",
                inner.name, inner.usage, inner.cardinality, inner.name
            ),
        );
        inner.usage = usage;
        inner.cardinality = folded;
        if inner.notes.is_empty() {
            inner.notes = notes;
        }
        inner
    }

    fn segment(&mut self, el: &Element, parent: &str) -> SegmentRef {
        let src = self.src;
        let name = if let Some(n) = el.get_nonempty("Name") {
            let b = n.as_bytes();
            let ok = b.len() == 3
                && b[0].is_ascii_uppercase()
                && b[1..]
                    .iter()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
            if !ok {
                self.diags.warning(
                    src,
                    el.offset_of("Name"),
                    K::InvalidValue,
                    format!("segment name `{n}` is not three upper-case letters or digits"),
                );
            }
            n.to_owned()
        } else {
            self.diags.error(
                src,
                el.offset,
                K::Missing,
                format!("<Segment> in {parent} has no `Name`"),
            );
            "???".to_owned()
        };
        let what = format!("segment {name}");
        let usage = usage_attr(el, "Usage", &what, Dialect::Mwb, src, self.diags);
        let cardinality = cardinality_attrs(el, &what, true, src, self.diags).unwrap_or_default();
        check_usage_cardinality(usage, cardinality, &what, el.offset, src, self.diags);
        let mut fields = Vec::new();
        for child in &el.children {
            match child.name.as_str() {
                "Field" => {
                    let pos = fields.len() as u32 + 1;
                    let f = self.element(child, &format!("{name}-{pos}"), pos, true);
                    fields.push(f);
                }
                n if NOTE_ELEMENTS.contains(&n) => {}
                other => {
                    self.diags.warning(
                        src,
                        child.offset,
                        K::Unexpected,
                        format!("unknown element <{other}> in {what}; ignored"),
                    );
                }
            }
        }
        if fields.is_empty() {
            self.diags.warning(
                src,
                el.offset,
                K::SchemaDeviation,
                format!("{what} lists no fields"),
            );
        }
        let def = SegmentDef {
            id: String::new(),
            name: name.clone(),
            label: None,
            description: el.get_nonempty("LongName").map(str::to_owned),
            version: self.profile.meta.hl7_version.clone(),
            fields,
            location: Some(src.location(el.offset)),
            ..SegmentDef::default()
        };
        let id = self.interner.segment(&mut self.profile.segments, def);
        SegmentRef {
            segment: id,
            name,
            usage,
            cardinality,
            notes: notes_from(el),
            site_defined: false,
            location: Some(src.location(el.offset)),
        }
    }

    /// A Field, Component or SubComponent.
    fn element(&mut self, el: &Element, path: &str, position: u32, is_field: bool) -> ElementDef {
        let src = self.src;
        let label = el.get_nonempty("Name").unwrap_or("");
        let what = if label.is_empty() {
            path.to_owned()
        } else {
            format!("{path} ({label})")
        };
        let usage = usage_attr(el, "Usage", &what, Dialect::Mwb, src, self.diags);
        let explicit_cardinality = if is_field {
            let c = cardinality_attrs(el, &what, true, src, self.diags).unwrap_or_default();
            check_usage_cardinality(usage, c, &what, el.offset, src, self.diags);
            Some(c)
        } else {
            if el.get("Min").is_some() || el.get("Max").is_some() {
                self.diags.warning(
                    src,
                    el.offset_of("Min"),
                    K::SchemaDeviation,
                    format!(
                        "{what}: components take no Min/Max (cardinality follows usage); ignored"
                    ),
                );
            }
            None
        };
        let datatype_name = if let Some(d) = el.get_nonempty("Datatype") {
            d.to_owned()
        } else {
            self.diags.error(
                src,
                el.offset,
                K::Missing,
                format!("{what} has no `Datatype` attribute"),
            );
            "ST".to_owned()
        };
        let child_tag = if is_field {
            "Component"
        } else {
            "SubComponent"
        };
        let mut components = Vec::new();
        for child in &el.children {
            let n = child.name.as_str();
            if n == child_tag || (n == "SubComponent" && !is_field) {
                let pos = components.len() as u32 + 1;
                let sub_path = format!("{path}.{pos}");
                let c = self.element(child, &sub_path, pos, false);
                components.push(c);
            } else if n == "Component" || n == "SubComponent" {
                self.diags.warning(
                    src,
                    child.offset,
                    K::Unexpected,
                    format!("<{n}> is not allowed inside {what}; ignored"),
                );
            } else if !NOTE_ELEMENTS.contains(&n) {
                self.diags.warning(
                    src,
                    child.offset,
                    K::Unexpected,
                    format!("unknown element <{n}> in {what}; ignored"),
                );
            }
        }
        let datatype = if components.is_empty() {
            self.leaf_types
                .push((datatype_name.clone(), el.offset_of("Datatype")));
            datatype_name
        } else {
            if !is_known_datatype(&datatype_name) {
                self.diags.warning(
                    src,
                    el.offset_of("Datatype"),
                    K::UnknownDatatype,
                    format!("{what}: `{datatype_name}` is not an HL7 data type; using the components listed here"),
                );
            }
            let def = DatatypeDef {
                id: String::new(),
                name: datatype_name,
                version: self.profile.meta.hl7_version.clone(),
                components,
                location: Some(src.location(el.offset)),
                ..DatatypeDef::default()
            };
            self.interner.datatype(&mut self.profile.datatypes, def)
        };
        let length = el
            .get("Length")
            .and_then(|_| uint_attr(el, "Length", &what, src, self.diags))
            .map(|n| LengthSpec {
                max: Some(Bound::Limit(n)),
                ..LengthSpec::default()
            })
            .unwrap_or_default();
        ElementDef {
            position,
            name: label.to_owned(),
            usage,
            explicit_cardinality,
            datatype,
            length,
            table: el.get_nonempty("Table").map(str::to_owned),
            bindings: Vec::new(),
            constant: el.get("ConstantValue").map(str::to_owned),
            item_no: el.get_nonempty("ItemNo").map(str::to_owned),
            hide: false,
            notes: notes_from(el),
            site_defined: false,
            location: Some(src.location(el.offset)),
        }
    }
}

/// The MWB table library (`Specification/hl7tables/hl7table/tableElement`).
fn tables_from(root: &Element, src: &SourceText, diags: &mut Diags) -> Profile {
    let mut p = Profile::default();
    p.meta.format = SourceFormat::MwbTables;
    p.meta.name = root.get_nonempty("SpecName").map(str::to_owned);
    p.meta.organization = root.get_nonempty("OrgName").map(str::to_owned);
    p.meta.hl7_version = root.get_nonempty("HL7Version").map(str::to_owned);
    p.meta.version = root.get_nonempty("SpecVersion").map(str::to_owned);
    p.meta.status = root.get_nonempty("Status").map(str::to_owned);
    let mut found_tables = false;
    for child in &root.children {
        match child.name.as_str() {
            "hl7tables" => {
                found_tables = true;
                for t in &child.children {
                    if t.name != "hl7table" {
                        diags.warning(
                            src,
                            t.offset,
                            K::Unexpected,
                            format!("unknown element <{}> in <hl7tables>; ignored", t.name),
                        );
                        continue;
                    }
                    table_from(t, src, diags, &mut p.value_sets);
                }
            }
            "Encodings" => {
                p.meta.encodings = child
                    .children_named("Encoding")
                    .map(|e| normalize_space(&e.text))
                    .collect();
            }
            "Conformance" | "Diagrams" | "MetaData" => {}
            other => {
                diags.warning(
                    src,
                    child.offset,
                    K::Unexpected,
                    format!("unknown element <{other}> in <Specification>; ignored"),
                );
            }
        }
    }
    if !found_tables {
        diags.warning(
            src,
            root.offset,
            K::Missing,
            "<Specification> has no <hl7tables>: no tables loaded",
        );
    }
    p
}

fn table_from(t: &Element, src: &SourceText, diags: &mut Diags, lib: &mut ValueSetLibrary) {
    let Some(id) = t.get_nonempty("id") else {
        if t.children.is_empty() {
            diags.warning(
                src,
                t.offset,
                K::Missing,
                "empty <hl7table> without an `id`; skipped",
            );
        } else {
            diags.error(
                src,
                t.offset,
                K::Missing,
                "<hl7table> has no `id`; its codes are skipped",
            );
        }
        return;
    };
    let mut set = ValueSet {
        id: id.to_owned(),
        name: t.get_nonempty("name").map(str::to_owned),
        description: t.get_nonempty("codesys").map(str::to_owned),
        group: t.get_nonempty("type").map(str::to_owned),
        location: Some(src.location(t.offset)),
        ..ValueSet::default()
    };
    for e in &t.children {
        if e.name != "tableElement" {
            diags.warning(
                src,
                e.offset,
                K::Unexpected,
                format!("unknown element <{}> in table {id}; ignored", e.name),
            );
            continue;
        }
        let Some(code) = e.get("code") else {
            diags.error(
                src,
                e.offset,
                K::Missing,
                format!("<tableElement> in table {id} has no `code`; skipped"),
            );
            continue;
        };
        if set.codes.iter().any(|c| c.value == code) {
            diags.warning(
                src,
                e.offset_of("code"),
                K::Duplicate,
                format!("table {id} lists code `{code}` twice"),
            );
            continue;
        }
        set.codes.push(Code {
            value: code.to_owned(),
            display: e
                .get_nonempty("description")
                .or_else(|| e.get_nonempty("displayName"))
                .map(str::to_owned),
            code_system: t.get_nonempty("id").map(|n| format!("HL7{n}")),
            comments: e.get_nonempty("instruction").map(str::to_owned),
            ..Code::default()
        });
    }
    if lib.sets.contains_key(id) {
        diags.warning(
            src,
            t.offset_of("id"),
            K::Duplicate,
            format!("table {id} is defined twice; the first definition is kept"),
        );
    } else {
        lib.sets.insert(id.to_owned(), set);
    }
}

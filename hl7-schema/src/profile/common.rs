//! Helpers shared by the XML loaders: attribute parsing with diagnostics,
//! methodology checks, flavor interning.

use std::collections::BTreeMap;

use super::diag::{DiagnosticKind as K, Diags, SourceText};
use super::model::{
    Bound, Cardinality, ConfLength, DatatypeDef, ElementDef, LengthSpec, SegmentDef, Truncation,
    Usage,
};
use super::xml::Element;

/// Data-type names defined by HL7 v2.1 – v2.8 (plus the `varies` spellings).
/// Used to flag unknown types when no version definitions are at hand.
pub(crate) const KNOWN_DATATYPES: &[&str] = &[
    "AD", "AUI", "CCD", "CCP", "CD", "CE", "CF", "CK", "CM", "CN", "CNE", "CNN", "CP", "CQ", "CSU",
    "CWE", "CX", "DDI", "DIN", "DLD", "DLN", "DLT", "DR", "DT", "DTM", "DTN", "ED", "EI", "EIP",
    "ELD", "ERL", "FC", "FN", "FT", "GTS", "HD", "ICD", "ID", "IS", "JCC", "LA1", "LA2", "MA",
    "MO", "MOC", "MOP", "MSG", "NA", "NDL", "NM", "NR", "NUL", "OCD", "OSD", "OSP", "PIP", "PL",
    "PLN", "PN", "PPN", "PRL", "PT", "PTA", "QIP", "QSC", "RCD", "RFR", "RI", "RMC", "RP", "RPT",
    "SAD", "SCV", "SI", "SN", "SNM", "SPD", "SPS", "SRT", "ST", "TM", "TN", "TQ", "TS", "TX",
    "UVC", "VH", "VID", "VR", "WVI", "WVS", "XAD", "XCN", "XON", "XPN", "XTN",
];

/// Is `name` an HL7 data type (or a `CM_*` composite, or `varies`)?
pub(crate) fn is_known_datatype(name: &str) -> bool {
    KNOWN_DATATYPES.contains(&name)
        || name.starts_with("CM_")
        || name.eq_ignore_ascii_case("varies")
        || name.eq_ignore_ascii_case("var")
        || name == "*"
        || name == "-"
}

/// Which format's vocabulary applies when parsing usage codes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Mwb,
    Nist,
}

/// Reads a usage attribute; unknown codes are errors (the element becomes
/// `O`), codes outside the format's schema are warnings.
pub(crate) fn usage_attr(
    el: &Element,
    attr: &str,
    what: &str,
    dialect: Dialect,
    src: &SourceText,
    diags: &mut Diags,
) -> Usage {
    let Some(raw) = el.get(attr) else {
        diags.error(
            src,
            el.offset,
            K::Missing,
            format!("{what} has no `{attr}` attribute; assuming O"),
        );
        return Usage::O;
    };
    let at = el.offset_of(attr);
    if let Some(u) = Usage::parse(raw) {
        let in_schema = match dialect {
            Dialect::Mwb => matches!(
                u,
                Usage::R | Usage::RE | Usage::O | Usage::C(None) | Usage::CE | Usage::X | Usage::B
            ),
            Dialect::Nist => matches!(
                u,
                Usage::R
                    | Usage::RE
                    | Usage::O
                    | Usage::C(None)
                    | Usage::X
                    | Usage::B
                    | Usage::W
                    | Usage::IX
            ),
        };
        if !in_schema {
            let meaning = match u {
                Usage::W => "withdrawn (must not be sent)",
                Usage::NA => "not applicable",
                Usage::IX => "ignored by the receiver",
                Usage::CE => "conditional, may be empty",
                _ => "accepted",
            };
            diags.warning(
                src,
                at,
                K::SchemaDeviation,
                format!(
                    "{what}: usage `{raw}` is not allowed by the schema; read as {u}, {meaning}"
                ),
            );
        }
        u
    } else {
        diags
            .error(
                src,
                at,
                K::InvalidValue,
                format!("{what}: `{raw}` is not a usage code; assuming O"),
            )
            .help_mut("usage is one of R, RE, O, C, CE, X, B, W");
        Usage::O
    }
}

/// Parses a non-negative integer attribute.
pub(crate) fn uint_attr(
    el: &Element,
    attr: &str,
    what: &str,
    src: &SourceText,
    diags: &mut Diags,
) -> Option<u32> {
    let raw = el.get(attr)?;
    if let Ok(n) = raw.trim().parse::<u32>() {
        Some(n)
    } else {
        diags.error(
            src,
            el.offset_of(attr),
            K::InvalidValue,
            format!("{what}: `{attr}=\"{raw}\"` is not a non-negative integer"),
        );
        None
    }
}

/// Parses Min/Max into a cardinality, reporting bad numbers and Min > Max.
/// Missing attributes default to `[0..1]` with an error when `required`.
pub(crate) fn cardinality_attrs(
    el: &Element,
    what: &str,
    required: bool,
    src: &SourceText,
    diags: &mut Diags,
) -> Option<Cardinality> {
    if el.get("Min").is_none() && el.get("Max").is_none() && !required {
        return None;
    }
    let min = match el.get("Min") {
        None => {
            if required {
                diags.error(
                    src,
                    el.offset,
                    K::Missing,
                    format!("{what} has no `Min` attribute; assuming 0"),
                );
            }
            0
        }
        Some(_) => uint_attr(el, "Min", what, src, diags).unwrap_or(0),
    };
    let max = match el.get("Max").map(str::trim) {
        None => {
            if required {
                diags.error(
                    src,
                    el.offset,
                    K::Missing,
                    format!("{what} has no `Max` attribute; assuming *"),
                );
            }
            None
        }
        Some("*") => None,
        Some(raw) => {
            if let Ok(n) = raw.parse::<u32>() {
                Some(n)
            } else {
                diags.error(
                    src,
                    el.offset_of("Max"),
                    K::InvalidValue,
                    format!("{what}: `Max=\"{raw}\"` is neither a number nor `*`; assuming *"),
                );
                None
            }
        }
    };
    if let Some(m) = max
        && min > m
    {
        diags.error(
            src,
            el.offset_of("Min"),
            K::Contradiction,
            format!("{what}: Min={min} is greater than Max={m}"),
        );
    }
    Some(Cardinality::new(min, max))
}

/// Methodology checks on a usage/cardinality pair (warnings only; Min > Max
/// is reported where the numbers are parsed).
pub(crate) fn check_usage_cardinality(
    usage: Usage,
    card: Cardinality,
    what: &str,
    at: usize,
    src: &SourceText,
    diags: &mut Diags,
) {
    match usage {
        Usage::R if card.min == 0 => {
            diags.warning(
                src,
                at,
                K::SchemaDeviation,
                format!("{what}: usage R with Min=0; R requires at least one occurrence"),
            );
        }
        Usage::X | Usage::W if card.min > 0 => {
            diags.warning(
                src,
                at,
                K::Contradiction,
                format!(
                    "{what}: usage {usage} (must not be sent) with Min={}; usage wins",
                    card.min
                ),
            );
        }
        Usage::O | Usage::B if card.min > 0 => {
            diags.warning(
                src,
                at,
                K::SchemaDeviation,
                format!(
                    "{what}: usage {usage} with Min={}; only R and RE may have a minimum",
                    card.min
                ),
            );
        }
        _ => {}
    }
    if card.max == Some(0) && !usage.forbids() && usage != Usage::NA {
        diags.warning(
            src,
            at,
            K::SchemaDeviation,
            format!(
                "{what}: Max=0 with usage {usage}: the element can never be sent; did you mean X?"
            ),
        );
    }
    if card.min >= 100 {
        diags.warning(
            src,
            at,
            K::SchemaDeviation,
            format!(
                "{what}: Min={} is implausibly large; check the profile",
                card.min
            ),
        );
    }
}

/// Parses NIST `MinLength` / `MaxLength` / `ConfLength` (integers, `NA`, `*`).
pub(crate) fn nist_length(
    el: &Element,
    what: &str,
    src: &SourceText,
    diags: &mut Diags,
) -> LengthSpec {
    let mut spec = LengthSpec::default();
    let num = |attr: &str, allow_star: bool, diags: &mut Diags| -> Option<Bound> {
        let raw = el.get(attr)?.trim();
        if raw.is_empty() || raw.eq_ignore_ascii_case("NA") {
            return None;
        }
        if raw == "*" {
            if allow_star {
                return Some(Bound::Unbounded);
            }
            diags.warning(
                src,
                el.offset_of(attr),
                K::InvalidValue,
                format!("{what}: `{attr}=\"*\"` is not allowed; ignored"),
            );
            return None;
        }
        if let Ok(n) = raw.parse::<u32>() {
            Some(Bound::Limit(n))
        } else {
            diags.error(
                src,
                el.offset_of(attr),
                K::InvalidValue,
                format!("{what}: `{attr}=\"{raw}\"` is not a length (a number, NA or *)"),
            );
            None
        }
    };
    spec.min = num("MinLength", false, diags).and_then(Bound::limit);
    spec.max = num("MaxLength", true, diags);
    if let Some(raw) = el.get("ConfLength").map(str::trim)
        && !raw.is_empty()
        && !raw.eq_ignore_ascii_case("NA")
    {
        match parse_conf_length(raw) {
            Some(c) => spec.conf = Some(c),
            None => {
                diags.error(
                    src,
                    el.offset_of("ConfLength"),
                    K::InvalidValue,
                    format!("{what}: `ConfLength=\"{raw}\"` is not a conformance length (e.g. 20, 20# or 20=)"),
                );
            }
        }
    }
    if let (Some(min), Some(Bound::Limit(max))) = (spec.min, spec.max)
        && min > max
    {
        diags.error(
            src,
            el.offset_of("MinLength"),
            K::Contradiction,
            format!("{what}: MinLength={min} is greater than MaxLength={max}"),
        );
    }
    spec
}

/// `20`, `20#`, `20=`.
pub(crate) fn parse_conf_length(raw: &str) -> Option<ConfLength> {
    let (num, truncation) = if let Some(n) = raw.strip_suffix('#') {
        (n, Some(Truncation::MayTruncate))
    } else if let Some(n) = raw.strip_suffix('=') {
        (n, Some(Truncation::MustNotTruncate))
    } else {
        (raw, None)
    };
    Some(ConfLength {
        length: num.trim().parse().ok()?,
        truncation,
    })
}

/// Shares identical data-type / segment flavors: the first flavor of a base
/// name gets the plain name as ID, different ones get `NAME_2`, `NAME_3` …
#[derive(Default)]
pub(crate) struct Interner {
    by_name: BTreeMap<String, Vec<String>>,
}

impl Interner {
    pub(crate) fn datatype(
        &mut self,
        lib: &mut BTreeMap<String, DatatypeDef>,
        mut def: DatatypeDef,
    ) -> String {
        let ids = self.by_name.entry(format!("dt:{}", def.name)).or_default();
        for id in ids.iter() {
            if let Some(existing) = lib.get(id)
                && same_components(&existing.components, &def.components)
                && existing.description == def.description
            {
                return id.clone();
            }
        }
        let id = free_id(&def.name, |c| lib.contains_key(c));
        def.id.clone_from(&id);
        ids.push(id.clone());
        lib.insert(id.clone(), def);
        id
    }

    pub(crate) fn segment(
        &mut self,
        lib: &mut BTreeMap<String, SegmentDef>,
        mut def: SegmentDef,
    ) -> String {
        let ids = self.by_name.entry(format!("seg:{}", def.name)).or_default();
        for id in ids.iter() {
            if let Some(existing) = lib.get(id)
                && same_components(&existing.fields, &def.fields)
                && existing.description == def.description
            {
                return id.clone();
            }
        }
        let id = free_id(&def.name, |c| lib.contains_key(c));
        def.id.clone_from(&id);
        ids.push(id.clone());
        lib.insert(id.clone(), def);
        id
    }
}

fn same_components(a: &[ElementDef], b: &[ElementDef]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_shape(y))
}

/// `base` if free, else `base_2`, `base_3`, …
pub(crate) fn free_id(base: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(base) {
        return base.to_owned();
    }
    (2..=u32::MAX)
        .map(|n| format!("{base}_{n}"))
        .find(|c| !taken(c))
        .expect("an unused suffix exists")
}

//! The Rust names the code generator gives HL7 things, as plain strings:
//! shared by `hl7-codegen` (struct and field names) and the runtime's
//! named JSON (object keys), so both always agree.
//!
//! ```
//! use hl7_schema::naming::{snake, upper_camel};
//!
//! assert_eq!(snake("Date/Time Of Message"), "date_time_of_message");
//! assert_eq!(upper_camel("ORDER_OBSERVATION"), "OrderObservation");
//! ```

/// Words split at anything that is not a letter or digit, and at
/// lower-to-upper case changes (`CX_PID3` → `CX`, `PID3`).
fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            cur.push(c);
        } else {
            prev_lower = false;
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `ORDER_OBSERVATION` → `OrderObservation`; `XPN` → `Xpn`; `HD_MSH3` → `HdMsh3`.
pub fn upper_camel(s: &str) -> String {
    let mut out = String::new();
    for w in words(s) {
        let mut chars = w.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars.map(|c| c.to_ascii_lowercase()));
        }
    }
    if out.is_empty() {
        out.push_str("Unnamed");
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// `Date/Time Of Message` → `date_time_of_message`; `PATIENT_RESULT` →
/// `patient_result`; a leading digit gets `n_`.
pub fn snake(s: &str) -> String {
    let mut out = words(s)
        .iter()
        .map(|w| w.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("_");
    if out.is_empty() {
        out.push_str("unnamed");
    }
    // Not `_1st`: a public field starting with `_` reads as unused.
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "n_");
    }
    out
}

/// Names in the Rust prelude (and `Self`): a generated type must not
/// shadow them, so `FN` becomes `FnType` and `ERR` `ErrSegment`.
const PRELUDE: &[&str] = &[
    "Box",
    "Clone",
    "Copy",
    "Default",
    "Drop",
    "Eq",
    "Err",
    "Extend",
    "Fn",
    "FnMut",
    "FnOnce",
    "From",
    "Into",
    "Iterator",
    "None",
    "Ok",
    "Option",
    "Ord",
    "PartialEq",
    "PartialOrd",
    "Result",
    "Self",
    "Send",
    "Sized",
    "Some",
    "String",
    "Sync",
    "ToOwned",
    "ToString",
    "Unpin",
    "Vec",
];

/// A type name for `id` that does not shadow the prelude, `suffix` added
/// when it would.
pub fn type_name(id: &str, suffix: &str) -> String {
    let name = upper_camel(id);
    if PRELUDE.contains(&name.as_str()) {
        format!("{name}{suffix}")
    } else {
        name
    }
}

/// Makes names unique within one scope by appending `_2`, `_3` ... to
/// repeats.
#[derive(Default, Debug)]
pub struct Unique {
    seen: std::collections::BTreeMap<String, u32>,
}

impl Unique {
    pub fn name(&mut self, base: String) -> String {
        let Some(&count) = self.seen.get(&base) else {
            self.seen.insert(base.clone(), 1);
            return base;
        };
        let mut n = count + 1;
        let mut candidate = format!("{base}_{n}");
        while self.seen.contains_key(&candidate) {
            n += 1;
            candidate = format!("{base}_{n}");
        }
        self.seen.insert(base, n);
        self.seen.insert(candidate.clone(), 1);
        candidate
    }
}

// ---- How profile elements become typed members -------------------------

use crate::profile::{Cardinality, DatatypeDef, ElementDef, Profile, Usage};

/// How a typed struct holds a member, field or component.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    /// `T`: required, one.
    Single,
    /// `Option<T>`: optional, one.
    Optional,
    /// `Vec<T>`: repeats.
    Repeated,
}

/// The usage code a typed member declares; `None` for elements that are
/// not sent (`X`, not applicable), which typed structs do not model.
pub fn usage_code(u: Usage) -> Option<&'static str> {
    Some(match u {
        Usage::R => "R",
        Usage::RE => "RE",
        Usage::O | Usage::IX => "O",
        Usage::C(_) => "C",
        Usage::CE => "CE",
        Usage::B => "B",
        Usage::W => "W",
        Usage::X | Usage::NA => return None,
    })
}

/// Shape, min and max from a usage code and cardinality; `None` when the
/// element must not occur (maximum 0).
pub fn shape(usage: &str, card: Cardinality) -> Option<(Shape, u32, Option<u32>)> {
    if card.max == Some(0) {
        return None;
    }
    let required = usage == "R";
    let max = card.max;
    let repeats = max.is_none_or(|m| m > 1);
    let min = if required { card.min.max(1) } else { card.min };
    let min = max.map_or(min, |m| min.min(m));
    Some(match (required, repeats) {
        (_, true) => (Shape::Repeated, min, max),
        (true, false) => (Shape::Single, 1, Some(1)),
        (false, false) => (Shape::Optional, 0, Some(1)),
    })
}

/// A field (`component = false`) or component of a typed struct: its
/// usage code, shape, min and max; `None` when it is not modeled.
/// Components never repeat.
pub fn element_shape(
    e: &ElementDef,
    component: bool,
) -> Option<(&'static str, Shape, u32, Option<u32>)> {
    let usage = usage_code(e.usage)?;
    let card = e.cardinality();
    let card = if component {
        Cardinality {
            min: card.min.min(1),
            max: card.max.map(|m| m.min(1)),
        }
    } else {
        card
    };
    let (shape, min, max) = shape(usage, card)?;
    Some((usage, shape, min, max))
}

/// The `hl7_runtime::types` primitive for a data type code.
pub fn primitive_type(code: &str) -> Option<&'static str> {
    Some(match code {
        "ST" => "St",
        "TX" => "Tx",
        "FT" => "Ft",
        "GTS" => "Gts",
        "TN" => "Tn",
        "ID" => "Id",
        "IS" => "Is",
        "SNM" => "Snm",
        "NM" => "Nm",
        "SI" => "Si",
        "DT" => "Dt",
        "TM" => "Tm",
        "DTM" => "Dtm",
        // TS is a composite from 2.5 on (DTM ^ degree of precision); the
        // runtime type reads both forms.
        "TS" => "Ts",
        _ => return None,
    })
}

/// What data-type flavor `flavor` becomes at `depth` (0 field, 1
/// component, 2 subcomponent): its base code, and its definition when it
/// is a typed composite (`None`: a primitive, or `Varies` for `varies`,
/// unknown types and composites below subcomponent level).
pub fn data_type<'p>(
    profile: &'p Profile,
    flavor: &str,
    depth: u32,
) -> (String, Option<&'p DatatypeDef>) {
    let def = profile.datatype(flavor);
    let code = def.map_or_else(|| flavor.to_owned(), |d| d.name.clone());
    if primitive_type(&code).is_some() {
        return (code, None);
    }
    match def {
        Some(d) if !d.components.is_empty() && depth < 2 => (code, Some(d)),
        _ => (code, None),
    }
}

/// The Rust names of the modeled elements of a segment or data type, in
/// order, with the element each names. `rest` is kept for the unmodeled
/// part; an element without a name is `field_N` or `component_N`.
pub fn element_names(elems: &[ElementDef], component: bool) -> Vec<(String, &ElementDef)> {
    let mut names = Unique::default();
    names.name("rest".to_owned());
    let mut out = Vec::new();
    for e in elems {
        if element_shape(e, component).is_none() {
            continue;
        }
        let mut rust = snake(&e.name);
        if rust == "unnamed" {
            rust = format!(
                "{}{}",
                if component { "component_" } else { "field_" },
                e.position
            );
        }
        out.push((names.name(rust), e));
    }
    out
}

/// The key serde gives a field named `rust` (raw identifiers lose `r#`;
/// names that cannot be identifiers get a trailing `_`).
pub fn field_key(rust: &str) -> String {
    match rust {
        "self" | "super" | "crate" | "Self" | "_" => format!("{rust}_"),
        _ => rust.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_and_snake() {
        assert_eq!(upper_camel("ORDER_OBSERVATION"), "OrderObservation");
        assert_eq!(upper_camel("XPN"), "Xpn");
        assert_eq!(upper_camel("HD_MSH3"), "HdMsh3");
        assert_eq!(upper_camel("ADT_A01"), "AdtA01");
        assert_eq!(upper_camel("2nd"), "_2nd");
        assert_eq!(snake("Date/Time Of Message"), "date_time_of_message");
        assert_eq!(snake("Patient ID (Internal ID)"), "patient_id_internal_id");
        assert_eq!(snake("PATIENT_RESULT"), "patient_result");
        assert_eq!(snake("Set ID - PID"), "set_id_pid");
        assert_eq!(snake(""), "unnamed");
        assert_eq!(snake("1st"), "n_1st");
    }

    #[test]
    fn prelude_names_get_a_suffix() {
        assert_eq!(type_name("FN", "Type"), "FnType");
        assert_eq!(type_name("ERR", "Segment"), "ErrSegment");
        assert_eq!(type_name("PID", "Segment"), "Pid");
    }

    #[test]
    fn repeats_get_a_number() {
        let mut u = Unique::default();
        assert_eq!(u.name("rol".into()), "rol");
        assert_eq!(u.name("rol".into()), "rol_2");
        assert_eq!(u.name("rol_2".into()), "rol_2_2");
    }
}

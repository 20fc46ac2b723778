//! Every generated identifier comes from here.

use proc_macro2::{Ident, Span};

/// Words that cannot be identifiers as they are (edition 2024).
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where",
    "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv", "try",
    "typeof", "unsized", "virtual", "yield",
];

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
pub(crate) fn upper_camel(s: &str) -> String {
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
pub(crate) fn snake(s: &str) -> String {
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

/// An identifier for `name` (already snake or camel case), raw when it is
/// a keyword, with a trailing `_` where a raw identifier is not allowed.
pub(crate) fn ident(name: &str) -> Ident {
    match name {
        "self" | "super" | "crate" | "Self" | "_" => {
            Ident::new(&format!("{name}_"), Span::call_site())
        }
        _ if KEYWORDS.contains(&name) => Ident::new_raw(name, Span::call_site()),
        _ => Ident::new(name, Span::call_site()),
    }
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
pub(crate) fn type_name(id: &str, suffix: &str) -> String {
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
pub(crate) struct Unique {
    seen: std::collections::BTreeMap<String, u32>,
}

impl Unique {
    pub(crate) fn name(&mut self, base: String) -> String {
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
    fn keywords_and_repeats() {
        assert_eq!(ident("type").to_string(), "r#type");
        assert_eq!(ident("gen").to_string(), "r#gen");
        assert_eq!(ident("self").to_string(), "self_");
        assert_eq!(ident("name").to_string(), "name");
        let mut u = Unique::default();
        assert_eq!(u.name("rol".into()), "rol");
        assert_eq!(u.name("rol".into()), "rol_2");
        assert_eq!(u.name("rol_2".into()), "rol_2_2");
    }
}

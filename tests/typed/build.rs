//! Generates typed messages for the sample site profiles, as a user's
//! build.rs would, and a dispatch table over the stock message types for
//! the round-trip tests.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let profiles = [
        "../../profiles/sites/acme-adt.toml",
        "../../profiles/sites/acme-orm.toml",
        "../../profiles/sites/acme-oru.toml",
    ];
    let mut builder = hl7_codegen::Builder::new();
    builder.serde(hl7_codegen::Serde::On);
    for p in profiles {
        builder.profile(p);
    }
    if let Err(e) = builder.compile() {
        for line in e.to_string().lines() {
            println!("cargo::error={line}");
        }
    }
    stock_dispatch();
}

/// `stock_dispatch.rs`: `roundtrip_stock(version, structure, msg)` tries the
/// stock message type of that version and structure.
fn stock_dispatch() {
    let dir = Path::new("../../hl7-runtime/src/stock");
    let mut out = String::from(
        "/// Reads `msg` as the stock type of `version` and `structure` and writes it back; `None` when there is none.\n\
         pub fn roundtrip_stock(version: &str, structure: &str, msg: &::hl7_runtime::er7::Message<'_>) -> Option<Result<(Vec<u8>, usize), ::hl7_runtime::typed::TypedParseError>> {\n\
         fn rt<'m, T: ::hl7_runtime::typed::Message<'m>>(msg: &'m ::hl7_runtime::er7::Message<'_>) -> Result<(Vec<u8>, usize), ::hl7_runtime::typed::TypedParseError> {\n\
         T::from_message(msg).map(|t| (t.to_er7(msg.delimiters()), t.unmodeled().len()))\n\
         }\n\
         match (version, structure) {\n",
    );
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        println!("cargo::rerun-if-changed={}", path.display());
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        if !stem.starts_with('v') {
            continue;
        }
        let version = stem[1..].replace('_', ".");
        let text = std::fs::read_to_string(&path).unwrap();
        let mut in_message = false;
        let mut structure = None;
        for line in text.lines() {
            if line.contains("::hl7_runtime::Message)]") {
                in_message = true;
            }
            if in_message
                && structure.is_none()
                && let Some((_, rest)) = line.split_once("id = \"")
            {
                structure = rest.split('"').next().map(str::to_owned);
            }
            if let (Some(s), Some(rest)) = (&structure, line.strip_prefix("pub struct ")) {
                in_message = false;
                let ty = rest.split('<').next().unwrap();
                let _ = writeln!(
                    out,
                    "(\"{version}\", \"{s}\") => Some(rt::<::hl7_runtime::stock::{stem}::{ty}<'_>>(msg)),"
                );
                structure = None;
            }
        }
    }
    out.push_str("_ => None,\n}\n}\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("stock_dispatch.rs");
    std::fs::write(dest, out).unwrap();
}

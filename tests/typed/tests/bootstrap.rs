//! The stock typed messages checked in under `hl7-runtime/src/stock/` are
//! what hl7-codegen makes from the bundled definitions today. On a
//! difference the test rewrites the file and fails: review the diff and
//! commit it.

use std::path::PathBuf;

/// Every ADT structure, ORM_O01 and ORU_R01 of `version`.
fn structures(version: &str) -> Vec<String> {
    let v = hl7_schema::defs::Version::load(version).unwrap();
    v.structures()
        .iter()
        .map(|s| s.id.clone())
        .filter(|id| id.starts_with("ADT_") || id == "ORM_O01" || id == "ORU_R01")
        .collect()
}

#[test]
fn stock_types_are_fresh() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../hl7-runtime/src/stock");
    let mut builder = hl7_codegen::Builder::new();
    builder.serde(hl7_codegen::Serde::Feature("serde".to_owned()));
    let mut stale = Vec::new();
    for version in hl7_schema::defs::versions() {
        let structures = structures(version);
        let refs: Vec<&str> = structures.iter().map(String::as_str).collect();
        let code = hl7_codegen::generate_version(&builder, version, &refs).unwrap();
        let file = dir.join(format!("v{}.rs", version.replace('.', "_")));
        let old = std::fs::read_to_string(&file).unwrap_or_default();
        if old != code {
            std::fs::write(&file, &code).unwrap();
            stale.push(file.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "regenerated (review and commit): {}",
        stale.join(", ")
    );
}

//! HL7 v2 version definitions and the conformance-profile model.
//!
//! This crate is pure data: it loads the version definitions kept in
//! `profiles/versions/` and site conformance profiles, and it knows nothing of
//! parsing messages or generating code. Build scripts (through `hl7-codegen`)
//! and the `hl7` command read it.
//!
//! [`defs`] holds the HL7 v2 version definitions (2.3 to 2.8), bundled into
//! the crate.

pub mod defs;
pub mod naming;

pub mod profile;

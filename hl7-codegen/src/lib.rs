//! The build.rs generator: turns an `hl7-schema` profile into Rust
//! declarations annotated for `hl7-derive`.
//!
//! Like prost-build, it emits declarations only; every behaviour lives in the
//! derive macros and `hl7-runtime`. The generator is built under the typed
//! messages issue; until then this crate exposes no items.

//! Derive macros for typed HL7 v2 segments, composites, groups and messages.
//!
//! The derives (`Segment`, `Composite`, `Group`, `Message`) are built under
//! the typed messages issue; until then this crate exports no macros.

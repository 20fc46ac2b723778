//! Holds the trybuild UI tests of hl7-derive; see `tests/ui.rs`.

//! Typed messages generated at build time from `profiles/sites`, compiled
//! with `-D warnings` through the workspace lints: the generated code and
//! the derives must agree.

#![deny(warnings)]

hl7_runtime::include_profile!(pub mod acme_adt);
hl7_runtime::include_profile!(pub mod acme_orm);
hl7_runtime::include_profile!(pub mod acme_oru);

include!(concat!(env!("OUT_DIR"), "/stock_dispatch.rs"));

/// The generator's golden output (hl7-codegen/tests/expected), compiled
/// through the derives so the two crates' attribute grammar cannot drift.
pub mod golden {
    include!("../../../hl7-codegen/tests/expected/golden.rs");
}

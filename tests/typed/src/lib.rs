//! Typed messages generated at build time from `profiles/sites`, compiled
//! with `-D warnings` through the workspace lints: the generated code and
//! the derives must agree.

#![deny(warnings)]

hl7_runtime::include_profile!(pub mod acme_adt);
hl7_runtime::include_profile!(pub mod acme_orm);
hl7_runtime::include_profile!(pub mod acme_oru);

include!(concat!(env!("OUT_DIR"), "/stock_dispatch.rs"));

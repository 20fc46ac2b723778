//! The HL7 v2 runtime: lossless, zero-copy ER7 parsing, paths, editing and
//! writing.
//!
//! ```
//! use hl7_runtime::er7::{parse_stream, Path};
//!
//! let input = b"MSH|^~\\&|LAB||EHR||20260101||ORU^R01|42|P|2.5.1\r\
//! PID|1||123^^^HOSP^MR||O'BRIEN^ANN\r\
//! OBX|1|NM|718-7^Hemoglobin^LN||13.2|g/dL\r\
//! OBX|2|FT|11502-2^Report^LN||Line one\\.br\\Line two \\T\\ more\r";
//! let values: Path = "OBX[*]-5".parse()?;
//! for msg in parse_stream(input) {
//!     let msg = msg?;
//!     for v in msg.get_all(&values) {
//!         println!("{}", v.text());
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Modules:
//!
//! * [`er7`]: the engine (parse, paths, escapes, character sets, streams,
//!   editing, writing);
//! * [`types`]: the primitive HL7 data types over their wire text, with typed
//!   access (NM as an exact decimal, DT/TM/DTM with precision and offset);
//! * [`typed`]: the traits behind `#[derive(Segment, Composite, Group, Message)]`;
//! * [`stock`]: typed ADT, ORM and ORU messages of each HL7 version
//!   (features `v2_3` ... `v2_8`; `v2_5_1` by default);
//! * [`structure`]: assigning a message's segments to the groups of a
//!   message structure;
//! * `validate` (feature `validate`): checking messages against profiles;
//! * `json` and `xml` (features `json`, `xml`): lossless encodings;
//! * `store` (feature `store`): the durable SQLite message store behind the
//!   MLLP listener.
//! * `mllp` (feature `mllp`): MLLP framing, ACKs, the validating listener,
//!   the sender and TLS.

// Generated code (the stock types) names this crate by its absolute path,
// as a user's does.
extern crate self as hl7_runtime;

pub mod er7;
#[cfg(feature = "json")]
pub mod json;
#[cfg(feature = "mllp")]
pub mod mllp;
#[cfg(feature = "derive")]
pub mod stock;
#[cfg(feature = "store")]
pub mod store;
pub mod structure;
pub mod typed;
pub mod types;
#[cfg(feature = "validate")]
pub mod validate;
#[cfg(feature = "xml")]
pub mod xml;

#[doc(hidden)]
pub mod __private;

#[cfg(feature = "derive")]
pub use hl7_derive::{Composite, Group, Message, Segment, Table};

/// Includes the code `hl7-codegen` wrote for a profile into a module.
///
/// `include_profile!(pub mod site)` includes `$OUT_DIR/site.rs`;
/// `include_profile!(pub mod site, "other.rs")` names the file. Lints that
/// do not fit generated code are allowed inside the module only.
///
/// ```ignore
/// hl7_runtime::include_profile!(pub mod acme_adt);
/// ```
#[macro_export]
macro_rules! include_profile {
    ($vis:vis mod $name:ident) => {
        $crate::include_profile!($vis mod $name, concat!(stringify!($name), ".rs"));
    };
    ($vis:vis mod $name:ident, $file:expr) => {
        #[allow(
            // Profile text is not Markdown.
            clippy::doc_markdown,
            // Struct names repeat the structure (AdtA01 in module adt).
            clippy::module_name_repetitions,
            // HL7 names are long and many.
            clippy::struct_field_names,
            // The module may be private to a binary.
            unreachable_pub,
            missing_docs,
        )]
        $vis mod $name {
            include!(concat!(env!("OUT_DIR"), "/", $file));
        }
    };
}

//! The `#[hl7(...)]` keywords.

use std::fmt;

use syn::{Ident, Path};

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Symbol(pub(crate) &'static str);

pub(crate) const HL7: Symbol = Symbol("hl7");
pub(crate) const ID: Symbol = Symbol("id");
pub(crate) const CRATE: Symbol = Symbol("crate");
pub(crate) const FIELD: Symbol = Symbol("field");
pub(crate) const COMPONENT: Symbol = Symbol("component");
pub(crate) const DATATYPE: Symbol = Symbol("datatype");
pub(crate) const USAGE: Symbol = Symbol("usage");
pub(crate) const MIN: Symbol = Symbol("min");
pub(crate) const MAX: Symbol = Symbol("max");
pub(crate) const LEN: Symbol = Symbol("len");
pub(crate) const TABLE: Symbol = Symbol("table");
pub(crate) const UNMODELED: Symbol = Symbol("unmodeled");
pub(crate) const EVENT: Symbol = Symbol("event");
pub(crate) const VERSION: Symbol = Symbol("version");

impl PartialEq<Symbol> for Ident {
    fn eq(&self, word: &Symbol) -> bool {
        self == word.0
    }
}

impl PartialEq<Symbol> for Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

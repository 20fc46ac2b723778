//! serde for the typed primitives: each is a JSON string holding its wire
//! text (escape sequences as sent, in the message's delimiters), so named
//! JSON says exactly what the message said. Reading builds owned values,
//! so a typed message read from JSON is `'static`.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;

use crate::types::{Dt, Dtm, Ft, Gts, Id, Is, Nm, Si, Snm, St, Tm, Tn, Ts, Tx, Varies};

/// Reads a JSON string (or bytes) as wire bytes.
struct WireVisitor;

impl Visitor<'_> for WireVisitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string holding an HL7 value as on the wire")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
        Ok(v.as_bytes().to_vec())
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
        Ok(v.to_vec())
    }
}

macro_rules! serde_primitive {
    ($($name:ident),* $(,)?) => {
        $(
            impl serde::Serialize for $name<'_> {
                fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    s.serialize_str(&String::from_utf8_lossy(self.wire()))
                }
            }

            impl<'de> serde::Deserialize<'de> for $name<'_> {
                fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    let bytes = d.deserialize_str(WireVisitor)?;
                    Ok($name::from_wire(Cow::Owned(bytes)))
                }
            }
        )*
    };
}

serde_primitive!(
    St, Tx, Ft, Gts, Tn, Id, Is, Snm, Nm, Si, Dt, Tm, Dtm, Ts, Varies
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primitives_are_strings_of_their_wire_text() {
        let st = St::from_wire(&b"O\\T\\BRIEN"[..]);
        assert_eq!(serde_json::to_string(&st).unwrap(), r#""O\\T\\BRIEN""#);
        let back: St<'static> = serde_json::from_str(r#""O\\T\\BRIEN""#).unwrap();
        assert_eq!(back, st);
        let err = serde_json::from_str::<Nm<'static>>("12").unwrap_err();
        assert!(
            err.to_string().contains("a string holding an HL7 value"),
            "{err}"
        );
    }
}

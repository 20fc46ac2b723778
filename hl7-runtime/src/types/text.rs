//! Text and code types: ST, TX, FT, GTS, TN, ID, IS, and SNM.

use std::borrow::Cow;

use super::error::{FormatError, FormatErrorKind};
use super::primitive;
use crate::er7::escape::{self, escape_text};
use crate::er7::{Charset, Delimiters};

primitive!(
    /// `ST`, string data: text with escape sequences, kept escaped.
    ///
    /// ```
    /// use hl7_runtime::types::St;
    ///
    /// let st = St::from_wire(b"O\\T\\BRIEN");
    /// assert_eq!(st.text(), "O&BRIEN");
    /// assert_eq!(St::from_text("A|B").wire(), b"A\\F\\B");
    /// ```
    St,
    "ST",
    |_: &[u8]| Ok(())
);
primitive!(
    /// `TX`, text data: like [`St`], for longer text that may have leading
    /// spaces and repetitions as paragraphs.
    Tx,
    "TX",
    |_: &[u8]| Ok(())
);
primitive!(
    /// `FT`, formatted text: text with formatting escapes (`\.br\` ...),
    /// which [`Ft::text`] keeps as written. Use
    /// [`fragments`](crate::er7::escape::fragments) on [`Ft::wire`] for
    /// the formatting structure.
    Ft,
    "FT",
    |_: &[u8]| Ok(())
);
primitive!(
    /// `GTS`, general timing specification: free text in the format of the
    /// HL7 calendar-time grammar, not checked here.
    Gts,
    "GTS",
    |_: &[u8]| Ok(())
);
primitive!(
    /// `TN`, a telephone number as text (v2.3 to v2.4; later versions use
    /// the `XTN` composite). The suggested layout
    /// `[NN] [(999)]999-9999[X99999][B99999][C any text]` is not checked:
    /// senders rarely follow it.
    Tn,
    "TN",
    |_: &[u8]| Ok(())
);
primitive!(
    /// `ID`, a coded value from an HL7 table. The format check is
    /// [`check_id`]; whether the code is in its table is the validator's
    /// business.
    ///
    /// ```
    /// use hl7_runtime::types::Id;
    ///
    /// assert!(Id::from_wire(b"UNICODE UTF-8").validate().is_ok());
    /// assert!(Id::from_wire(b" F").validate().is_err());
    /// ```
    Id,
    "ID",
    check_id
);
primitive!(
    /// `IS`, a coded value from a user-defined table. The format check is
    /// [`check_is`].
    Is,
    "IS",
    check_is
);
primitive!(
    /// `SNM`, a telephone number as digits: an optional leading `+` and one
    /// or more digits. The format check is [`check_snm`].
    ///
    /// ```
    /// use hl7_runtime::types::Snm;
    ///
    /// assert_eq!(Snm::from_wire(b"+15551234").digits()?, Some("15551234"));
    /// assert!(Snm::from_wire(b"555-1234").validate().is_err());
    /// # Ok::<(), hl7_runtime::types::FormatError>(())
    /// ```
    Snm,
    "SNM",
    check_snm
);

macro_rules! text_methods {
    ($($name:ident),*) => {$(
        impl<'a> $name<'a> {
            /// The decoded text, read with the default delimiters (`|^~\&`)
            /// and character set (UTF-8, with the Windows-1252 fallback).
            /// Use [`text_in`](Self::text_in) for a message with others.
            /// Malformed escapes are kept as written. Borrows when nothing
            /// needs decoding.
            pub fn text(&self) -> Cow<'_, str> {
                self.text_in(&Delimiters::default(), &Charset::default())
            }

            /// The decoded text, read with the message's delimiters and
            /// character set.
            pub fn text_in(&self, delims: &Delimiters, charset: &Charset) -> Cow<'_, str> {
                escape::decode(&self.raw, delims, charset).0
            }

            /// The wire form of plain `text` under the default delimiters
            /// (UTF-8): delimiters and the escape character are escaped.
            pub fn from_text(text: &str) -> $name<'static> {
                let mut out = Vec::with_capacity(text.len());
                escape::escape_bytes(text.as_bytes(), &Delimiters::default(), &mut out);
                $name::from_wire(out)
            }

            /// The wire form of plain `text` under a message's delimiters and
            /// character set; `None` when the character set cannot represent
            /// a character of `text`.
            pub fn from_text_in(
                text: &str,
                delims: &Delimiters,
                charset: &Charset,
            ) -> Option<$name<'static>> {
                escape_text(text, delims, charset).map($name::from_wire)
            }
        }
    )*};
}

text_methods!(St, Tx, Ft, Gts, Tn, Id, Is);

impl Snm<'_> {
    /// The digits without the leading `+`; `Ok(None)` for empty and `""`.
    pub fn digits(&self) -> Result<Option<&str>, FormatError> {
        if super::is_absent(&self.raw) {
            return Ok(None);
        }
        check_snm(&self.raw)?;
        let digits = self.raw.strip_prefix(b"+").unwrap_or(&self.raw);
        // Only ASCII digits are left.
        Ok(std::str::from_utf8(digits).ok())
    }

    /// True when the number starts with `+` (an international number).
    pub fn is_international(&self) -> bool {
        self.raw.first() == Some(&b'+')
    }
}

/// Checks an `ID` value: no leading or trailing space, and no control
/// characters (bytes below 0x20, and 0x7F). Empty and `""` pass. Whether the
/// code is in its table is not checked here.
pub fn check_id(raw: &[u8]) -> Result<(), FormatError> {
    check_code(raw, "ID")
}

/// Checks an `IS` value: the rules of [`check_id`].
pub fn check_is(raw: &[u8]) -> Result<(), FormatError> {
    check_code(raw, "IS")
}

fn check_code(raw: &[u8], data_type: &'static str) -> Result<(), FormatError> {
    let bad = |at: usize, expected| {
        Err(FormatError::new(
            data_type,
            FormatErrorKind::UnexpectedCharacter,
            at,
            Some(raw[at]),
            expected,
        ))
    };
    if let Some(at) = raw.iter().position(|&b| b < 0x20 || b == 0x7F) {
        return bad(at, "a printable character");
    }
    if raw.first() == Some(&b' ') {
        return bad(0, "no leading space");
    }
    if raw.last() == Some(&b' ') {
        return bad(raw.len() - 1, "no trailing space");
    }
    Ok(())
}

/// Checks an `SNM` value: an optional `+` followed by one or more ASCII
/// digits, nothing else (no spaces, dashes or parentheses). Empty and `""`
/// pass.
pub fn check_snm(raw: &[u8]) -> Result<(), FormatError> {
    if super::is_absent(raw) {
        return Ok(());
    }
    let start = usize::from(raw[0] == b'+');
    if start == raw.len() {
        return Err(FormatError::new(
            "SNM",
            FormatErrorKind::UnexpectedEnd,
            raw.len(),
            None,
            "a digit",
        ));
    }
    match raw[start..].iter().position(|b| !b.is_ascii_digit()) {
        None => Ok(()),
        Some(p) => Err(FormatError::new(
            "SNM",
            FormatErrorKind::UnexpectedCharacter,
            start + p,
            Some(raw[start + p]),
            "a digit",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Primitive;
    use proptest::prelude::*;

    #[test]
    fn text_decodes_and_keeps_wire() {
        let st = St::from_wire(b"a\\S\\b\\E\\c");
        assert_eq!(st.text(), "a^b\\c");
        assert_eq!(st.wire(), b"a\\S\\b\\E\\c");
        let odd = Delimiters {
            field: b'#',
            component: b'!',
            repetition: b'~',
            escape: b'$',
            subcomponent: b'&',
            truncation: None,
        };
        let st = St::from_wire(b"a$S$b^c");
        assert_eq!(st.text_in(&odd, &Charset::default()), "a!b^c");
        let latin = St::from_wire(b"M\xfcller");
        assert_eq!(
            latin.text_in(&Delimiters::default(), &Charset::LATIN1),
            "Müller"
        );
        assert_eq!(latin.as_str(), None);
        assert_eq!(latin.to_string(), "M\u{FFFD}ller");
        // Malformed escapes stay as written.
        assert_eq!(St::from_wire(b"a\\Q").text(), "a\\Q");
        let ft = Ft::from_wire(b"one\\.br\\two");
        assert_eq!(ft.text(), "one\\.br\\two");
        assert!(ft.validate().is_ok());
    }

    #[test]
    fn from_text_escapes() {
        assert_eq!(
            St::from_text("a|b^c~d\\e&f").wire(),
            b"a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f"
        );
        assert!(Tx::from_text_in("€", &Delimiters::default(), &Charset::LATIN1).is_none());
        assert_eq!(
            Tx::from_text_in("ü", &Delimiters::default(), &Charset::LATIN1)
                .unwrap()
                .wire(),
            b"\xfc"
        );
    }

    #[test]
    fn codes() {
        for ok in [&b""[..], b"\"\"", b"F", b"UNICODE UTF-8", b"8859/1", b"A B"] {
            assert!(check_id(ok).is_ok(), "{ok:?}");
            assert!(Is::from_wire(ok).validate().is_ok());
        }
        let e = check_id(b" F").unwrap_err();
        assert_eq!(
            (e.kind(), e.position()),
            (FormatErrorKind::UnexpectedCharacter, 0)
        );
        let e = check_is(b"F ").unwrap_err();
        assert_eq!((e.position(), e.data_type()), (1, "IS"));
        let e = check_id(b"A\tB").unwrap_err();
        assert_eq!((e.position(), e.found()), (1, Some(b'\t')));
        let e = check_id(b" ").unwrap_err();
        assert_eq!(e.position(), 0);
    }

    #[test]
    fn snm() {
        assert!(check_snm(b"").is_ok());
        assert!(check_snm(b"\"\"").is_ok());
        assert!(check_snm(b"0").is_ok());
        assert!(check_snm(b"+4930123").is_ok());
        assert_eq!(
            check_snm(b"+").unwrap_err().kind(),
            FormatErrorKind::UnexpectedEnd
        );
        assert_eq!(check_snm(b"12 3").unwrap_err().position(), 2);
        assert_eq!(check_snm(b"++1").unwrap_err().position(), 1);
        assert_eq!(Snm::from_wire(b"").digits(), Ok(None));
        assert!(Snm::from_wire(b"+1").is_international());
        assert_eq!(Snm::from_wire(b"x").digits().unwrap_err().position(), 0);
    }

    #[test]
    fn shared_surface() {
        const FIXED: Id<'static> = Id::from_static(b"F");
        let st: St<'_> = "abc".into();
        assert_eq!(st, "abc");
        assert_eq!(format!("{st:?}"), "St(\"abc\")");
        assert!(St::null().is_null());
        assert!(St::default().is_empty());
        assert_eq!(<St<'_> as Primitive<'_>>::DATA_TYPE, "ST");
        let owned: St<'static> = St::from(String::from("x")).into_owned();
        assert_eq!(owned.into_wire().as_ref(), b"x");
        assert_eq!(FIXED.as_str(), Some("F"));
    }

    proptest! {
        #[test]
        fn text_round_trips(s in "\\PC*") {
            let st = St::from_text(&s);
            prop_assert_eq!(st.text(), s.as_str());
            let again = St::from_wire(st.wire().to_vec());
            prop_assert_eq!(again.wire(), st.wire());
        }

        #[test]
        fn any_bytes_kept(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let id = Id::from_wire(bytes.clone());
            prop_assert_eq!(id.wire(), &bytes[..]);
            let _ = id.validate();
            let _ = id.text();
        }
    }
}

//! `varies`: a value whose data type is chosen by another field (OBX-5 by
//! OBX-2), typed at run time.

use super::{Dt, Dtm, Ft, Id, Is, Nm, Si, Snm, St, Tm, Ts, Tx, primitive};

primitive!(
    /// A value whose data type another field names: OBX-5, whose type is
    /// OBX-2, and any value a profile types as `varies` or with a type this
    /// crate has no struct for. It keeps the whole wire value, components
    /// and subcomponents included; [`Varies::typed`] reads it as the named
    /// type.
    ///
    /// ```
    /// use hl7_runtime::types::{Varies, VariesValue};
    ///
    /// let v = Varies::from_wire(b"13.2");
    /// let VariesValue::Nm(nm) = v.typed("NM") else { panic!() };
    /// assert_eq!(nm.to_f64().unwrap(), Some(13.2));
    /// assert!(v.check_as("DT").is_err());
    /// ```
    Varies,
    "varies",
    |_: &[u8]| Ok(())
);

/// A [`Varies`] value read as the data type another field names.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VariesValue<'v> {
    /// `ST`.
    St(St<'v>),
    /// `TX`.
    Tx(Tx<'v>),
    /// `FT`.
    Ft(Ft<'v>),
    /// `ID`.
    Id(Id<'v>),
    /// `IS`.
    Is(Is<'v>),
    /// `NM`.
    Nm(Nm<'v>),
    /// `SI`.
    Si(Si<'v>),
    /// `SNM`.
    Snm(Snm<'v>),
    /// `DT`.
    Dt(Dt<'v>),
    /// `TM`.
    Tm(Tm<'v>),
    /// `DTM`.
    Dtm(Dtm<'v>),
    /// `TS`.
    Ts(Ts<'v>),
    /// A composite or another type: its code and the raw value (split it
    /// with the message's delimiters, or read it with a generated
    /// composite).
    Other {
        /// The data type code, as named (`CWE`, `SN` ...).
        data_type: String,
        /// The wire bytes.
        raw: &'v [u8],
    },
}

impl Varies<'_> {
    /// The value read as `data_type` (an HL7 code such as `NM`, `CWE`; for
    /// OBX-5 pass OBX-2). Never fails: format problems show on typed access
    /// or with [`Varies::check_as`].
    pub fn typed(&self, data_type: &str) -> VariesValue<'_> {
        let raw: &[u8] = self.wire();
        let code = data_type.trim();
        match code {
            "ST" => VariesValue::St(St::from_wire(raw)),
            "TX" => VariesValue::Tx(Tx::from_wire(raw)),
            "FT" => VariesValue::Ft(Ft::from_wire(raw)),
            "ID" => VariesValue::Id(Id::from_wire(raw)),
            "IS" => VariesValue::Is(Is::from_wire(raw)),
            "NM" => VariesValue::Nm(Nm::from_wire(raw)),
            "SI" => VariesValue::Si(Si::from_wire(raw)),
            "SNM" => VariesValue::Snm(Snm::from_wire(raw)),
            "DT" => VariesValue::Dt(Dt::from_wire(raw)),
            "TM" => VariesValue::Tm(Tm::from_wire(raw)),
            "DTM" => VariesValue::Dtm(Dtm::from_wire(raw)),
            "TS" => VariesValue::Ts(Ts::from_wire(raw)),
            _ => VariesValue::Other {
                data_type: code.to_owned(),
                raw,
            },
        }
    }

    /// Checks the value's format as `data_type`
    /// ([`check_format`](super::check_format), `^` as the component
    /// separator).
    ///
    /// # Errors
    ///
    /// The format problem, with its position.
    pub fn check_as(&self, data_type: &str) -> Result<(), super::FormatError> {
        super::check_format(data_type.trim(), self.wire(), b'^')
    }
}

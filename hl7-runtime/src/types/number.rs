//! Numbers: NM and SI, and the exact [`Decimal`].

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use super::error::{FormatError, FormatErrorKind};
use super::{is_absent, primitive};

primitive!(
    /// `NM`, a number: an optional leading `+` or `-`, digits, and an
    /// optional decimal point (`12`, `-0.5`, `+007.50`, `.5`, `5.`). No
    /// exponent, no spaces, no thousands separators. The format check is
    /// [`check_nm`].
    ///
    /// ```
    /// use hl7_runtime::types::{Decimal, Nm};
    ///
    /// let nm = Nm::from_wire(b"+0013.20");
    /// assert_eq!(nm.decimal()?, Some(Decimal::new(1320, 2).unwrap()));
    /// assert_eq!(nm.to_f64()?, Some(13.2));
    /// assert_eq!(Nm::from(Decimal::new(-5, 1).unwrap()).wire(), b"-0.5");
    /// assert_eq!(Nm::from_wire(b"1e3").decimal().unwrap_err().position(), 1);
    /// # Ok::<(), hl7_runtime::types::FormatError>(())
    /// ```
    Nm,
    "NM",
    check_nm
);
primitive!(
    /// `SI`, a sequence ID: a non-negative integer, digits only (leading
    /// zeros allowed, no sign). The format check is [`check_si`].
    ///
    /// ```
    /// use hl7_runtime::types::Si;
    ///
    /// assert_eq!(Si::from_wire(b"0003").value()?, Some(3));
    /// assert_eq!(Si::from(12).wire(), b"12");
    /// assert!(Si::from_wire(b"-1").value().is_err());
    /// # Ok::<(), hl7_runtime::types::FormatError>(())
    /// ```
    Si,
    "SI",
    check_si
);

impl Nm<'_> {
    /// The number, exactly as written (digits and scale kept); `Ok(None)`
    /// for empty and `""`. Does not allocate.
    pub fn decimal(&self) -> Result<Option<Decimal>, FormatError> {
        if is_absent(&self.raw) {
            return Ok(None);
        }
        Decimal::parse_nm(&self.raw).map(Some)
    }

    /// The number as the nearest `f64` (correctly rounded, for any number
    /// of digits); `Ok(None)` for empty and `""`. Does not allocate.
    pub fn to_f64(&self) -> Result<Option<f64>, FormatError> {
        if is_absent(&self.raw) {
            return Ok(None);
        }
        scan_nm(&self.raw)?;
        // The NM syntax is a subset of what `f64::from_str` reads, and it
        // is ASCII.
        Ok(std::str::from_utf8(&self.raw)
            .ok()
            .and_then(|s| s.parse::<f64>().ok()))
    }

    /// The canonical wire form of a finite `f64`: the shortest decimal that
    /// reads back as the same `f64`, without exponent. `None` for NaN and
    /// infinities.
    ///
    /// ```
    /// use hl7_runtime::types::Nm;
    ///
    /// assert_eq!(Nm::from_f64(0.1).unwrap().wire(), b"0.1");
    /// assert_eq!(Nm::from_f64(-2.0).unwrap().wire(), b"-2");
    /// assert!(Nm::from_f64(f64::NAN).is_none());
    /// ```
    pub fn from_f64(value: f64) -> Option<Nm<'static>> {
        value
            .is_finite()
            .then(|| Nm::from(format!("{value}").into_bytes()))
    }
}

impl From<Decimal> for Nm<'static> {
    /// The canonical form of the decimal (see its `Display`).
    fn from(d: Decimal) -> Self {
        Nm::from(d.to_string().into_bytes())
    }
}

macro_rules! nm_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Nm<'static> {
            /// The integer in decimal.
            fn from(v: $t) -> Self {
                Nm::from(v.to_string().into_bytes())
            }
        }
    )*};
}
nm_from_int!(i8, i16, i32, i64, i128, u8, u16, u32, u64, u128);

impl Si<'_> {
    /// The number; `Ok(None)` for empty and `""`.
    pub fn value(&self) -> Result<Option<u32>, FormatError> {
        if is_absent(&self.raw) {
            return Ok(None);
        }
        parse_si(&self.raw).map(Some)
    }
}

impl From<u32> for Si<'static> {
    /// The number in decimal, without leading zeros.
    fn from(v: u32) -> Self {
        Si::from(v.to_string().into_bytes())
    }
}

/// Checks an `NM` value: an optional `+` or `-`, then digits with at most
/// one `.` among or around them, at least one digit in all; nothing else.
/// Any number of digits passes, though [`Nm::decimal`] holds at most 38
/// (see [`Decimal`]). Empty and `""` pass.
pub fn check_nm(raw: &[u8]) -> Result<(), FormatError> {
    if is_absent(raw) {
        return Ok(());
    }
    scan_nm(raw)
}

/// The NM syntax, without limits on the number of digits; empty text is an
/// error.
fn scan_nm(raw: &[u8]) -> Result<(), FormatError> {
    let start = usize::from(matches!(raw.first(), Some(b'+' | b'-')));
    let mut any_digit = false;
    let mut point = false;
    for (i, &b) in raw.iter().enumerate().skip(start) {
        match b {
            b'0'..=b'9' => any_digit = true,
            b'.' if !point => point = true,
            _ => {
                let expected = if point { "a digit" } else { "a digit or `.`" };
                return Err(FormatError::new(
                    "NM",
                    FormatErrorKind::UnexpectedCharacter,
                    i,
                    Some(b),
                    expected,
                ));
            }
        }
    }
    if any_digit {
        Ok(())
    } else {
        Err(FormatError::new(
            "NM",
            FormatErrorKind::UnexpectedEnd,
            raw.len(),
            None,
            "a digit",
        ))
    }
}

/// Checks an `SI` value: one or more ASCII digits, at most `u32::MAX`.
/// Empty and `""` pass.
pub fn check_si(raw: &[u8]) -> Result<(), FormatError> {
    if is_absent(raw) {
        return Ok(());
    }
    parse_si(raw).map(|_| ())
}

fn parse_si(raw: &[u8]) -> Result<u32, FormatError> {
    let mut v: u32 = 0;
    for (i, &b) in raw.iter().enumerate() {
        if !b.is_ascii_digit() {
            return Err(FormatError::new(
                "SI",
                FormatErrorKind::UnexpectedCharacter,
                i,
                Some(b),
                "a digit",
            ));
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u32::from(b - b'0')))
            .ok_or_else(|| FormatError::new("SI", FormatErrorKind::Overflow, i, None, ""))?;
    }
    Ok(v)
}

/// An exact decimal number: sign, up to 38 digits of mantissa, and a scale
/// (the number of digits after the point, up to 38).
///
/// It keeps the digits of an `NM` as written, trailing zeros included:
/// `1.50` is mantissa 150, scale 2. Equality and hashing compare that
/// representation (`1.50 != 1.5`), so it is lossless; compare values with
/// [`Decimal::cmp_value`] or after [`Decimal::normalized`]. `-0` keeps its
/// sign. Plain `Copy` data: parsing allocates nothing.
///
/// ```
/// use hl7_runtime::types::Decimal;
///
/// let a: Decimal = "1.50".parse()?;
/// let b: Decimal = "1.5".parse()?;
/// assert_ne!(a, b);
/// assert_eq!(a.cmp_value(&b), std::cmp::Ordering::Equal);
/// assert_eq!(a.normalized(), b);
/// assert_eq!(a.to_string(), "1.50");
/// assert_eq!(Decimal::new(-1234, 3).unwrap().to_string(), "-1.234");
/// # Ok::<(), hl7_runtime::types::FormatError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Decimal {
    mantissa: u128,
    scale: u8,
    negative: bool,
}

/// 10^38, the first mantissa that does not fit.
const MANTISSA_LIMIT: u128 = 100_000_000_000_000_000_000_000_000_000_000_000_000;

impl Decimal {
    /// The most digits in the mantissa, and the largest scale.
    pub const MAX_DIGITS: u32 = 38;

    /// `mantissa × 10^-scale`. `None` when the scale is above 38 or the
    /// mantissa has more than 38 digits.
    pub fn new(mantissa: i128, scale: u32) -> Option<Decimal> {
        Decimal::from_parts(mantissa < 0, mantissa.unsigned_abs(), scale)
    }

    /// From sign, magnitude and scale: `±mantissa × 10^-scale`. `None` when
    /// the scale is above 38 or the mantissa has more than 38 digits.
    pub fn from_parts(negative: bool, mantissa: u128, scale: u32) -> Option<Decimal> {
        (mantissa < MANTISSA_LIMIT && scale <= Decimal::MAX_DIGITS).then_some(Decimal {
            mantissa,
            scale: scale as u8,
            negative,
        })
    }

    /// True when a `-` was written (also for `-0`).
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// The digits as an unsigned integer, without the point.
    pub fn mantissa(&self) -> u128 {
        self.mantissa
    }

    /// The mantissa with its sign. Always fits, since it has at most 38
    /// digits.
    pub fn signed_mantissa(&self) -> i128 {
        // Below 10^38 < i128::MAX.
        let m = self.mantissa.cast_signed();
        if self.negative { -m } else { m }
    }

    /// The number of digits after the decimal point.
    pub fn scale(&self) -> u32 {
        u32::from(self.scale)
    }

    /// True for zero, whatever the sign and scale.
    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    /// The same value with trailing zeros after the point removed, and the
    /// sign of zero dropped: `1.500` becomes `1.5`, `-0.0` becomes `0`.
    #[must_use]
    pub fn normalized(&self) -> Decimal {
        let mut d = *self;
        while d.scale > 0 && d.mantissa.is_multiple_of(10) {
            d.mantissa /= 10;
            d.scale -= 1;
        }
        if d.mantissa == 0 {
            d.negative = false;
        }
        d
    }

    /// Compares the values, not the representations: `1.50` equals `1.5`,
    /// and `-0` equals `0`.
    pub fn cmp_value(&self, other: &Decimal) -> Ordering {
        let sign = |d: &Decimal| {
            if d.mantissa == 0 {
                0
            } else if d.negative {
                -1
            } else {
                1
            }
        };
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal if sign(self) == 0 => Ordering::Equal,
            Ordering::Equal => {
                let magnitude = cmp_magnitude(self, other);
                if self.negative {
                    magnitude.reverse()
                } else {
                    magnitude
                }
            }
            unequal => unequal,
        }
    }

    /// The nearest `f64` (correctly rounded).
    pub fn to_f64(&self) -> f64 {
        let mut buf = [0u8; 80];
        let n = self.write_to(&mut buf);
        // The buffer holds only ASCII digits, `-` and `.`.
        std::str::from_utf8(&buf[..n])
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    }

    /// Writes the canonical text into `buf` (at most 41 bytes) and returns
    /// its length.
    fn write_to(&self, buf: &mut [u8; 80]) -> usize {
        let mut digits = [0u8; 40];
        let mut n = 0;
        let mut m = self.mantissa;
        loop {
            digits[n] = b'0' + (m % 10) as u8;
            n += 1;
            m /= 10;
            if m == 0 {
                break;
            }
        }
        let scale = usize::from(self.scale);
        // Pad with zeros so there is at least one digit before the point.
        while n <= scale {
            digits[n] = b'0';
            n += 1;
        }
        let mut len = 0;
        if self.negative {
            buf[0] = b'-';
            len = 1;
        }
        for i in (0..n).rev() {
            if i + 1 == scale {
                buf[len] = b'.';
                len += 1;
            }
            buf[len] = digits[i];
            len += 1;
        }
        len
    }

    /// Parses the `NM` format (see [`check_nm`]); empty text is an error,
    /// and so are more than 38 significant digits or decimals.
    fn parse_nm(raw: &[u8]) -> Result<Decimal, FormatError> {
        scan_nm(raw)?;
        let negative = raw.first() == Some(&b'-');
        let mut mantissa: u128 = 0;
        let mut scale: u32 = 0;
        let mut point = false;
        for (i, &b) in raw.iter().enumerate() {
            match b {
                b'.' => point = true,
                b'0'..=b'9' => {
                    if point {
                        scale += 1;
                    }
                    mantissa = mantissa * 10 + u128::from(b - b'0');
                    if mantissa >= MANTISSA_LIMIT || scale > Decimal::MAX_DIGITS {
                        return Err(FormatError::new(
                            "NM",
                            FormatErrorKind::Overflow,
                            i,
                            None,
                            "at most 38 significant digits and 38 decimals",
                        ));
                    }
                }
                _ => {} // the sign
            }
        }
        Ok(Decimal {
            mantissa,
            scale: scale as u8,
            negative,
        })
    }
}

fn cmp_magnitude(a: &Decimal, b: &Decimal) -> Ordering {
    // Bring both to the larger scale; a mantissa that overflows when scaled
    // up is the larger one.
    let (sa, sb) = (u32::from(a.scale), u32::from(b.scale));
    let scale_up = |m: u128, by: u32| 10u128.checked_pow(by).and_then(|p| m.checked_mul(p));
    match sa.cmp(&sb) {
        Ordering::Equal => a.mantissa.cmp(&b.mantissa),
        Ordering::Less => {
            scale_up(a.mantissa, sb - sa).map_or(Ordering::Greater, |m| m.cmp(&b.mantissa))
        }
        Ordering::Greater => {
            scale_up(b.mantissa, sa - sb).map_or(Ordering::Less, |m| a.mantissa.cmp(&m))
        }
    }
}

impl fmt::Display for Decimal {
    /// Canonical text: `-` when negative, at least one digit before the
    /// point, and exactly `scale` digits after it (`0.50`, `-3`, `-0`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 80];
        let n = self.write_to(&mut buf);
        f.write_str(std::str::from_utf8(&buf[..n]).map_err(|_| fmt::Error)?)
    }
}

impl FromStr for Decimal {
    type Err = FormatError;

    /// Parses the `NM` format (see [`check_nm`]); empty text is an error.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Decimal::parse_nm(s.as_bytes())
    }
}

impl From<i64> for Decimal {
    fn from(v: i64) -> Self {
        Decimal {
            mantissa: u128::from(v.unsigned_abs()),
            scale: 0,
            negative: v < 0,
        }
    }
}

impl From<u64> for Decimal {
    fn from(v: u64) -> Self {
        Decimal {
            mantissa: u128::from(v),
            scale: 0,
            negative: false,
        }
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // Exact conversions are the point.
mod tests {
    use super::*;
    use crate::types::Primitive;
    use proptest::prelude::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn nm_forms() {
        let cases: &[(&str, bool, u128, u32)] = &[
            ("0", false, 0, 0),
            ("12", false, 12, 0),
            ("+12", false, 12, 0),
            ("-12", true, 12, 0),
            ("007", false, 7, 0),
            ("1.50", false, 150, 2),
            (".5", false, 5, 1),
            ("5.", false, 5, 0),
            ("-0.0", true, 0, 1),
            ("-.25", true, 25, 2),
            (
                "00000000000000000000000000000000000000000000000001",
                false,
                1,
                0,
            ),
            (
                "99999999999999999999999999999999999999",
                false,
                MANTISSA_LIMIT - 1,
                0,
            ),
        ];
        for &(s, neg, m, scale) in cases {
            let d = Nm::from_wire(s.as_bytes()).decimal().unwrap().unwrap();
            assert_eq!(
                (d.is_negative(), d.mantissa(), d.scale()),
                (neg, m, scale),
                "{s}"
            );
        }
    }

    #[test]
    fn nm_errors() {
        let cases: &[(&str, FormatErrorKind, usize)] = &[
            ("+", FormatErrorKind::UnexpectedEnd, 1),
            ("-", FormatErrorKind::UnexpectedEnd, 1),
            (".", FormatErrorKind::UnexpectedEnd, 1),
            ("-.", FormatErrorKind::UnexpectedEnd, 2),
            (" 1", FormatErrorKind::UnexpectedCharacter, 0),
            ("1 ", FormatErrorKind::UnexpectedCharacter, 1),
            ("1.2.3", FormatErrorKind::UnexpectedCharacter, 3),
            ("1e5", FormatErrorKind::UnexpectedCharacter, 1),
            ("1,5", FormatErrorKind::UnexpectedCharacter, 1),
            ("--1", FormatErrorKind::UnexpectedCharacter, 1),
            ("1-", FormatErrorKind::UnexpectedCharacter, 1),
            ("abc", FormatErrorKind::UnexpectedCharacter, 0),
            ("\"", FormatErrorKind::UnexpectedCharacter, 0),
            ("\"\"\"", FormatErrorKind::UnexpectedCharacter, 0),
            ("NaN", FormatErrorKind::UnexpectedCharacter, 0),
            (
                "100000000000000000000000000000000000000",
                FormatErrorKind::Overflow,
                38,
            ),
            (
                "0.000000000000000000000000000000000000001",
                FormatErrorKind::Overflow,
                40,
            ),
        ];
        for &(s, kind, at) in cases {
            let e = Nm::from_wire(s.as_bytes()).decimal().unwrap_err();
            assert_eq!(
                (e.kind(), e.position(), e.data_type()),
                (kind, at, "NM"),
                "{s}"
            );
            if kind == FormatErrorKind::Overflow {
                // Too long for a Decimal, but a valid NM, and an f64.
                assert_eq!(check_nm(s.as_bytes()), Ok(()));
                assert!(Nm::from_wire(s.as_bytes()).to_f64().unwrap().is_some());
            } else {
                assert_eq!(check_nm(s.as_bytes()), Err(e));
                assert_eq!(Nm::from_wire(s.as_bytes()).to_f64(), Err(e));
            }
        }
        let e = check_nm(b"1x").unwrap_err();
        assert_eq!(
            e.to_string(),
            "NM: unexpected `x` at position 1 (expected a digit or `.`)"
        );
        assert_eq!(e.found(), Some(b'x'));
    }

    #[test]
    fn nm_absent() {
        assert_eq!(Nm::from_wire(b"").decimal(), Ok(None));
        assert_eq!(Nm::null().decimal(), Ok(None));
        assert_eq!(Nm::null().to_f64(), Ok(None));
        assert!(Nm::null().validate().is_ok());
        assert!(Nm::from_wire(b"").validate().is_ok());
    }

    #[test]
    fn floats() {
        assert_eq!(dec("13.2").to_f64(), 13.2);
        assert_eq!(dec("-0.1").to_f64(), -0.1);
        assert_eq!(dec(".5").to_f64(), 0.5);
        assert!(dec("-0").to_f64().is_sign_negative());
        assert_eq!(
            dec("0.00000000000000000000000000000000000001").to_f64(),
            1e-38
        );
        assert_eq!(dec("99999999999999999999999999999999999999").to_f64(), 1e38);
        assert_eq!(
            Nm::from_f64(1e21).unwrap().wire(),
            b"1000000000000000000000"
        );
        assert_eq!(Nm::from_f64(1.5e-7).unwrap().wire(), b"0.00000015");
    }

    #[test]
    fn display_and_compare() {
        use Ordering::{Equal, Greater, Less};
        assert_eq!(dec("007.50").to_string(), "7.50");
        assert_eq!(dec(".05").to_string(), "0.05");
        assert_eq!(dec("-0").to_string(), "-0");
        assert_eq!(dec("+3.").to_string(), "3");
        assert_eq!(Decimal::new(5, 3).unwrap().to_string(), "0.005");
        assert_eq!(Decimal::new(0, 0).unwrap().to_string(), "0");
        assert!(Decimal::new(1, 39).is_none());
        assert!(Decimal::from_parts(false, MANTISSA_LIMIT, 0).is_none());
        assert_eq!(dec("-1.5").signed_mantissa(), -15);
        assert_eq!(dec("-0.0").normalized(), dec("0"));
        assert_eq!(dec("1.500").normalized(), dec("1.5"));
        assert!(dec("0.0").is_zero());
        for (a, b, o) in [
            ("1.5", "1.50", Equal),
            ("-0", "0.00", Equal),
            ("2", "10", Less),
            ("-2", "-10", Greater),
            ("-1", "0", Less),
            ("0.1", "0.09", Greater),
            (
                "99999999999999999999999999999999999999",
                "0.00000000000000000000000000000000000001",
                Greater,
            ),
            (
                "0.00000000000000000000000000000000000001",
                "99999999999999999999999999999999999999",
                Less,
            ),
        ] {
            assert_eq!(dec(a).cmp_value(&dec(b)), o, "{a} {b}");
        }
        assert_eq!(Nm::from(-42i64).wire(), b"-42");
        assert_eq!(Nm::from(7u8).wire(), b"7");
        assert_eq!(Decimal::from(-3i64), dec("-3"));
        assert_eq!(Decimal::from(3u64), dec("3"));
    }

    #[test]
    fn si() {
        assert_eq!(Si::from_wire(b"1").value(), Ok(Some(1)));
        assert_eq!(Si::from_wire(b"0").value(), Ok(Some(0)));
        assert_eq!(Si::from_wire(b"4294967295").value(), Ok(Some(u32::MAX)));
        assert_eq!(Si::from_wire(b"").value(), Ok(None));
        assert_eq!(Si::null().value(), Ok(None));
        let e = Si::from_wire(b"4294967296").value().unwrap_err();
        assert_eq!((e.kind(), e.position()), (FormatErrorKind::Overflow, 9));
        for (s, at) in [("+1", 0), ("-1", 0), ("1.0", 1), (" 1", 0), ("1 ", 1)] {
            let e = check_si(s.as_bytes()).unwrap_err();
            assert_eq!(
                (e.kind(), e.position()),
                (FormatErrorKind::UnexpectedCharacter, at)
            );
        }
        assert_eq!(<Si<'_> as Primitive<'_>>::DATA_TYPE, "SI");
    }

    proptest! {
        #[test]
        fn decimal_round_trips(m in any::<i128>(), scale in 0u32..=38) {
            let m = m % MANTISSA_LIMIT.cast_signed();
            let d = Decimal::new(m, scale).unwrap();
            let nm = Nm::from(d);
            prop_assert!(nm.validate().is_ok());
            prop_assert_eq!(nm.decimal().unwrap(), Some(d));
            let again = Nm::from_wire(nm.wire().to_vec());
            prop_assert_eq!(again.wire(), nm.wire());
            let again = Nm::from(nm.decimal().unwrap().unwrap());
            prop_assert_eq!(again.wire(), nm.wire());
        }

        #[test]
        fn wire_forms_parse(sign in "[+-]?", int in "[0-9]{0,20}", frac in proptest::option::of("[0-9]{0,15}")) {
            let mut s = format!("{sign}{int}");
            if let Some(f) = &frac {
                s.push('.');
                s.push_str(f);
            }
            let has_digit = !int.is_empty() || frac.as_ref().is_some_and(|f| !f.is_empty());
            let nm = Nm::from_wire(s.as_bytes());
            prop_assert_eq!(nm.validate().is_ok(), has_digit || s.is_empty());
            if has_digit {
                let d = nm.decimal().unwrap().unwrap();
                // f64 agrees with the standard library's reading of the text.
                let std: f64 = s.parse().unwrap();
                prop_assert_eq!(d.to_f64(), std);
                prop_assert_eq!(nm.wire(), s.as_bytes());
            }
        }

        #[test]
        fn f64_round_trips(v in any::<f64>().prop_filter("finite", |v| v.is_finite())) {
            let nm = Nm::from_f64(v).unwrap();
            prop_assert!(nm.validate().is_ok(), "{:?}", nm);
            prop_assert_eq!(nm.to_f64().unwrap(), Some(v));
        }

        #[test]
        fn si_round_trips(v in any::<u32>()) {
            let si = Si::from(v);
            prop_assert_eq!(si.value(), Ok(Some(v)));
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..50)) {
            let nm = Nm::from_wire(bytes.clone());
            let _ = nm.decimal();
            let _ = nm.to_f64();
            let _ = Si::from_wire(bytes.clone()).value();
            prop_assert_eq!(nm.wire(), &bytes[..]);
        }
    }
}

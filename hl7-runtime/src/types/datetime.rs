//! Dates and times: DT, TM, DTM and TS, and the typed values [`Date`],
//! [`Time`] and [`DateTime`] with their [`Precision`] and UTC [`Offset`].

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::error::{FormatError, FormatErrorKind};
use super::{Lossy, Primitive, is_absent, primitive};

primitive!(
    /// `DT`, a date: `YYYY[MM[DD]]`. The format check is [`check_dt`].
    ///
    /// ```
    /// use hl7_runtime::types::{Date, Dt, Precision};
    ///
    /// let d = Dt::from_wire(b"202402").date()?.unwrap();
    /// assert_eq!((d.year(), d.month(), d.day()), (2024, Some(2), None));
    /// assert_eq!(d.precision(), Precision::Month);
    /// assert_eq!(Dt::from(Date::new(2024, 2, 29)?).wire(), b"20240229");
    /// assert!(Dt::from_wire(b"20230229").date().is_err());
    /// # Ok::<(), hl7_runtime::types::FormatError>(())
    /// ```
    Dt,
    "DT",
    check_dt
);
primitive!(
    /// `TM`, a time of day: `HH[MM[SS[.S[S[S[S]]]]]][+/-ZZZZ]`. The format
    /// check is [`check_tm`].
    ///
    /// ```
    /// use hl7_runtime::types::{Precision, Tm};
    ///
    /// let t = Tm::from_wire(b"235959.25-0500").time()?.unwrap();
    /// assert_eq!((t.hour(), t.minute(), t.second()), (23, Some(59), Some(59)));
    /// assert_eq!(t.nanosecond(), Some(250_000_000));
    /// assert_eq!(t.precision(), Precision::Fraction(2));
    /// assert_eq!(t.offset().unwrap().minutes(), -300);
    /// # Ok::<(), hl7_runtime::types::FormatError>(())
    /// ```
    Tm,
    "TM",
    check_tm
);
primitive!(
    /// `DTM`, a date and time:
    /// `YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]`. The format check is
    /// [`check_dtm`].
    ///
    /// ```
    /// use hl7_runtime::types::{DateTime, Dtm, Offset, Precision};
    ///
    /// let dtm = Dtm::from_wire(b"20260131153000+0100");
    /// let t = dtm.datetime()?.unwrap();
    /// assert_eq!(t.precision(), Precision::Second);
    /// assert_eq!(t.to_unix(), Some((1_769_869_800, 0)));
    /// let back = Dtm::from(t);
    /// assert_eq!(back.wire(), dtm.wire());
    /// # Ok::<(), hl7_runtime::types::FormatError>(())
    /// ```
    Dtm,
    "DTM",
    check_dtm
);

impl Dt<'_> {
    /// The date; `Ok(None)` for empty and `""`. Does not allocate.
    pub fn date(&self) -> Result<Option<Date>, FormatError> {
        if is_absent(&self.raw) {
            return Ok(None);
        }
        parse(&self.raw, Shape::Date, "DT").map(|v| Some(v.date()))
    }
}

impl Tm<'_> {
    /// The time of day; `Ok(None)` for empty and `""`. Does not allocate.
    pub fn time(&self) -> Result<Option<Time>, FormatError> {
        if is_absent(&self.raw) {
            return Ok(None);
        }
        parse(&self.raw, Shape::Time, "TM").map(|v| v.time())
    }
}

impl Dtm<'_> {
    /// The date and time; `Ok(None)` for empty and `""`. Does not allocate.
    pub fn datetime(&self) -> Result<Option<DateTime>, FormatError> {
        if is_absent(&self.raw) {
            return Ok(None);
        }
        parse(&self.raw, Shape::DateTime, "DTM").map(Some)
    }
}

impl From<Date> for Dt<'static> {
    /// The canonical text at the date's precision.
    fn from(d: Date) -> Self {
        Dt::from(d.to_string().into_bytes())
    }
}

impl From<Time> for Tm<'static> {
    /// The canonical text at the time's precision, with its offset.
    fn from(t: Time) -> Self {
        Tm::from(t.to_string().into_bytes())
    }
}

impl From<DateTime> for Dtm<'static> {
    /// The canonical text at the value's precision, with its offset.
    fn from(t: DateTime) -> Self {
        Dtm::from(t.to_string().into_bytes())
    }
}

/// Checks a `DT` value: `YYYY[MM[DD]]`, see the [rules](super#dates-and-times).
pub fn check_dt(raw: &[u8]) -> Result<(), FormatError> {
    check(raw, Shape::Date, "DT")
}

/// Checks a `TM` value: `HH[MM[SS[.S[S[S[S]]]]]][+/-ZZZZ]`.
pub fn check_tm(raw: &[u8]) -> Result<(), FormatError> {
    check(raw, Shape::Time, "TM")
}

/// Checks a `DTM` value: `YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]`.
pub fn check_dtm(raw: &[u8]) -> Result<(), FormatError> {
    check(raw, Shape::DateTime, "DTM")
}

/// Checks a `TS` value: a `DTM`, optionally followed by `separator` and a
/// degree-of-precision code (`Y L D H M S`, HL7 table 0529, or empty); no
/// third component. `separator` is the component separator for a field,
/// the subcomponent separator for a component.
pub fn check_ts(raw: &[u8], separator: u8) -> Result<(), FormatError> {
    split_ts(raw, separator).map(|_| ())
}

fn check(raw: &[u8], shape: Shape, data_type: &'static str) -> Result<(), FormatError> {
    if is_absent(raw) {
        return Ok(());
    }
    parse(raw, shape, data_type).map(|_| ())
}

/// `TS`, a time stamp: a [`DTM`](Dtm) as its first component and, in
/// versions before 2.6, a degree of precision (`Y L D H M S`) as its
/// second. The format check is [`check_ts`].
///
/// It remembers the separator between its components (the component
/// separator for a field, the subcomponent separator inside a composite).
///
/// ```
/// use hl7_runtime::types::{Precision, Ts};
///
/// let ts = Ts::from_wire(b"200601011230^D");
/// assert_eq!(ts.datetime()?.unwrap().precision(), Precision::Minute);
/// assert_eq!(ts.degree_of_precision()?, Some(Precision::Day));
/// assert_eq!(ts.dtm().wire(), b"200601011230");
/// assert_eq!(ts.wire(), b"200601011230^D");
/// # Ok::<(), hl7_runtime::types::FormatError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Ts<'a> {
    raw: Cow<'a, [u8]>,
    separator: u8,
}

impl Default for Ts<'_> {
    fn default() -> Self {
        Ts {
            raw: Cow::Borrowed(b""),
            separator: b'^',
        }
    }
}

impl<'a> Ts<'a> {
    /// Wraps wire bytes of a field-level `TS` (components separated by `^`).
    /// Never fails; nothing is checked until typed access or validation.
    /// Use [`Primitive::from_wire_in`] or [`Primitive::from_value`] for
    /// other separators.
    pub fn from_wire(raw: impl Into<Cow<'a, [u8]>>) -> Self {
        Ts {
            raw: raw.into(),
            separator: b'^',
        }
    }

    /// The bytes as on the wire, both components.
    pub fn wire(&self) -> &[u8] {
        &self.raw
    }

    /// The wire text, when it is UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.raw).ok()
    }

    /// The separator between the components.
    pub fn separator(&self) -> u8 {
        self.separator
    }

    /// True when the value is empty (not sent).
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// True for the explicit null `""`.
    pub fn is_null(&self) -> bool {
        &*self.raw == b"\"\""
    }

    /// The explicit null `""`.
    pub const fn null() -> Self {
        Ts {
            raw: Cow::Borrowed(b"\"\""),
            separator: b'^',
        }
    }

    /// The first component, the time itself, borrowed.
    pub fn dtm(&self) -> Dtm<'_> {
        let end = self
            .raw
            .iter()
            .position(|&b| b == self.separator)
            .unwrap_or(self.raw.len());
        Dtm::from_wire(&self.raw[..end])
    }

    /// The time of the first component as written (its precision is that
    /// of the digits, whatever the degree of precision says); `Ok(None)`
    /// for empty and `""`. The whole value is checked, degree of precision
    /// included. Does not allocate.
    pub fn datetime(&self) -> Result<Option<DateTime>, FormatError> {
        split_ts(&self.raw, self.separator).map(|(t, _)| t)
    }

    /// The degree of precision (second component), when present and not
    /// empty. The whole value is checked.
    pub fn degree_of_precision(&self) -> Result<Option<Precision>, FormatError> {
        split_ts(&self.raw, self.separator).map(|(_, p)| p)
    }

    /// The same value, owning its bytes.
    pub fn into_owned(self) -> Ts<'static> {
        Ts {
            raw: Cow::Owned(self.raw.into_owned()),
            separator: self.separator,
        }
    }

    /// Checks the format; see [`check_ts`].
    pub fn validate(&self) -> Result<(), FormatError> {
        check_ts(&self.raw, self.separator)
    }
}

/// Splits and checks a TS: the time and the degree of precision.
#[allow(clippy::type_complexity)]
fn split_ts(
    raw: &[u8],
    separator: u8,
) -> Result<(Option<DateTime>, Option<Precision>), FormatError> {
    let (first, rest) = match raw.iter().position(|&b| b == separator) {
        Some(p) => (&raw[..p], Some((p + 1, &raw[p + 1..]))),
        None => (raw, None),
    };
    let time = if is_absent(first) {
        None
    } else {
        Some(parse(first, Shape::DateTime, "TS")?)
    };
    let precision = match rest {
        None | Some((_, [])) => None,
        Some((at, [code])) => Some(Precision::from_code(*code).ok_or_else(|| {
            FormatError::new(
                "TS",
                FormatErrorKind::UnexpectedCharacter,
                at,
                Some(*code),
                "a degree of precision: Y, L, D, H, M or S",
            )
        })?),
        Some((at, rest)) => {
            let bad = rest
                .iter()
                .position(|&b| b == separator)
                .map_or(at + 1, |p| at + p);
            return Err(FormatError::new(
                "TS",
                FormatErrorKind::UnexpectedCharacter,
                bad,
                raw.get(bad).copied(),
                if raw[bad] == separator {
                    "at most two components"
                } else {
                    "a one-letter degree of precision"
                },
            ));
        }
    };
    Ok((time, precision))
}

impl<'a> Primitive<'a> for Ts<'a> {
    const DATA_TYPE: &'static str = "TS";
    type Owned = Ts<'static>;

    fn from_wire_in(raw: Cow<'a, [u8]>, separator: u8) -> Self {
        Ts { raw, separator }
    }

    fn wire(&self) -> &[u8] {
        &self.raw
    }

    fn into_wire(self) -> Cow<'a, [u8]> {
        self.raw
    }

    fn into_owned(self) -> Ts<'static> {
        Ts::into_owned(self)
    }

    fn validate(&self) -> Result<(), FormatError> {
        Ts::validate(self)
    }
}

impl From<DateTime> for Ts<'static> {
    /// The canonical `DTM` text, without a degree of precision.
    fn from(t: DateTime) -> Self {
        Ts::from_wire(t.to_string().into_bytes())
    }
}

impl fmt::Debug for Ts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ts({:?})", Lossy(&self.raw))
    }
}

/// The wire text; bytes that are not UTF-8 show as U+FFFD.
impl fmt::Display for Ts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&Lossy(&self.raw), f)
    }
}

impl AsRef<[u8]> for Ts<'_> {
    fn as_ref(&self) -> &[u8] {
        &self.raw
    }
}

impl<'a> From<&'a str> for Ts<'a> {
    /// Wire text of a field-level `TS`.
    fn from(raw: &'a str) -> Self {
        Ts::from_wire(raw.as_bytes())
    }
}

impl<'a> From<&'a [u8]> for Ts<'a> {
    /// Wire bytes of a field-level `TS`.
    fn from(raw: &'a [u8]) -> Self {
        Ts::from_wire(raw)
    }
}

impl From<Vec<u8>> for Ts<'static> {
    /// Wire bytes of a field-level `TS`.
    fn from(raw: Vec<u8>) -> Self {
        Ts::from_wire(raw)
    }
}

impl From<String> for Ts<'static> {
    /// Wire text of a field-level `TS`.
    fn from(raw: String) -> Self {
        Ts::from_wire(raw.into_bytes())
    }
}

impl PartialEq<str> for Ts<'_> {
    /// Compares the wire text.
    fn eq(&self, other: &str) -> bool {
        &*self.raw == other.as_bytes()
    }
}

impl PartialEq<&str> for Ts<'_> {
    /// Compares the wire text.
    fn eq(&self, other: &&str) -> bool {
        &*self.raw == other.as_bytes()
    }
}

/// How much of a date or time was given: the last part written.
///
/// The order is from coarse to fine, so `precision >= Precision::Day` asks
/// whether the day is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Precision {
    /// `YYYY`
    Year,
    /// `YYYYMM`
    Month,
    /// `YYYYMMDD`
    Day,
    /// `HH`
    Hour,
    /// `HHMM`
    Minute,
    /// `HHMMSS`
    Second,
    /// `HHMMSS.S` to `HHMMSS.SSSS`: fractional seconds with this many digits
    /// (1 to 4).
    Fraction(u8),
}

impl Precision {
    /// The HL7 degree-of-precision code (table 0529, the second component
    /// of `TS`): `Y`, `L` (month), `D`, `H`, `M` (minute), `S`; fractions
    /// give `S`.
    pub fn code(self) -> u8 {
        match self {
            Precision::Year => b'Y',
            Precision::Month => b'L',
            Precision::Day => b'D',
            Precision::Hour => b'H',
            Precision::Minute => b'M',
            Precision::Second | Precision::Fraction(_) => b'S',
        }
    }

    /// The precision a table 0529 code stands for.
    pub fn from_code(code: u8) -> Option<Precision> {
        Some(match code {
            b'Y' => Precision::Year,
            b'L' => Precision::Month,
            b'D' => Precision::Day,
            b'H' => Precision::Hour,
            b'M' => Precision::Minute,
            b'S' => Precision::Second,
            _ => return None,
        })
    }
}

/// A UTC offset, `+/-HHMM` on the wire: minutes east of UTC, at most 14
/// hours either way.
///
/// ```
/// use hl7_runtime::types::Offset;
///
/// let o = Offset::from_hours_minutes(true, 5, 30).unwrap();
/// assert_eq!(o.minutes(), -330);
/// assert_eq!(o.to_string(), "-0530");
/// assert!(Offset::from_minutes(15 * 60).is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Offset {
    minutes: i16,
}

impl Offset {
    /// UTC, `+0000`.
    pub const UTC: Offset = Offset { minutes: 0 };
    /// The largest offset either way, in minutes (14 hours).
    pub const MAX_MINUTES: i16 = 14 * 60;

    /// From minutes east of UTC; `None` beyond ±14:00.
    pub fn from_minutes(minutes: i32) -> Option<Offset> {
        let minutes = i16::try_from(minutes).ok()?;
        (minutes.abs() <= Offset::MAX_MINUTES).then_some(Offset { minutes })
    }

    /// From the parts of `+/-HHMM`; `None` when hours exceed 14, minutes 59,
    /// or the total 14:00.
    pub fn from_hours_minutes(negative: bool, hours: u8, minutes: u8) -> Option<Offset> {
        if hours > 14 || minutes > 59 {
            return None;
        }
        let total = i32::from(hours) * 60 + i32::from(minutes);
        Offset::from_minutes(if negative { -total } else { total })
    }

    /// Minutes east of UTC (negative west).
    pub fn minutes(self) -> i16 {
        self.minutes
    }

    /// Seconds east of UTC (negative west).
    pub fn seconds(self) -> i32 {
        i32::from(self.minutes) * 60
    }
}

impl fmt::Display for Offset {
    /// `+HHMM` or `-HHMM`; UTC is `+0000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.minutes < 0 { '-' } else { '+' };
        let m = self.minutes.unsigned_abs();
        write!(f, "{sign}{:02}{:02}", m / 60, m % 60)
    }
}

/// A calendar date at year, month or day precision (`DT`).
///
/// Parts not given read as `None`; internally they are the first of the
/// period, which is what [`Date::days_since_epoch`] counts from. Ordered by
/// date, then precision.
///
/// ```
/// use hl7_runtime::types::Date;
///
/// assert!(Date::new(2024, 2, 29).is_ok());
/// assert!(Date::new(2100, 2, 29).is_err());
/// assert_eq!(Date::from_year_month(2026, 1)?.to_string(), "202601");
/// assert_eq!(Date::new(1970, 1, 2)?.days_since_epoch(), 1);
/// # Ok::<(), hl7_runtime::types::FormatError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
    precision: Precision,
}

impl Date {
    /// A full date. Errors name the bad part: year above 9999
    /// ([`Overflow`](FormatErrorKind::Overflow)), month, or day for the month.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Date, FormatError> {
        check_year(year)?;
        check_month(month, 4, "DT")?;
        check_day(year, month, day, 6, "DT")?;
        Ok(Date {
            year,
            month,
            day,
            precision: Precision::Day,
        })
    }

    /// A month of a year (`YYYYMM`).
    pub fn from_year_month(year: u16, month: u8) -> Result<Date, FormatError> {
        check_year(year)?;
        check_month(month, 4, "DT")?;
        Ok(Date {
            year,
            month,
            day: 1,
            precision: Precision::Month,
        })
    }

    /// A year (`YYYY`).
    pub fn from_year(year: u16) -> Result<Date, FormatError> {
        check_year(year)?;
        Ok(Date {
            year,
            month: 1,
            day: 1,
            precision: Precision::Year,
        })
    }

    /// The year.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month (1-12), when given.
    pub fn month(&self) -> Option<u8> {
        (self.precision >= Precision::Month).then_some(self.month)
    }

    /// The day of the month, when given.
    pub fn day(&self) -> Option<u8> {
        (self.precision >= Precision::Day).then_some(self.day)
    }

    /// Year, month or day.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Days from 1970-01-01 to the first day of the date's period
    /// (negative before 1970).
    pub fn days_since_epoch(&self) -> i64 {
        days_from_civil(i64::from(self.year), self.month, self.day)
    }

    /// The day `days` after 1970-01-01, at day precision; `None` outside
    /// the years 0000-9999.
    pub fn from_days_since_epoch(days: i64) -> Option<Date> {
        let (year, month, day) = civil_from_days(days)?;
        Some(Date {
            year,
            month,
            day,
            precision: Precision::Day,
        })
    }

    /// True for leap years of the Gregorian calendar.
    pub fn is_leap_year(year: u16) -> bool {
        year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
    }

    /// The number of days in a month (1-12) of a year; 0 for other months.
    pub fn days_in_month(year: u16, month: u8) -> u8 {
        match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if Date::is_leap_year(year) => 29,
            2 => 28,
            _ => 0,
        }
    }
}

impl fmt::Display for Date {
    /// `YYYY[MM[DD]]` at the date's precision.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if self.precision >= Precision::Month {
            write!(f, "{:02}", self.month)?;
        }
        if self.precision >= Precision::Day {
            write!(f, "{:02}", self.day)?;
        }
        Ok(())
    }
}

/// A time of day at hour, minute, second or fractional-second precision,
/// with an optional UTC offset (`TM`).
///
/// ```
/// use hl7_runtime::types::{Offset, Time};
///
/// let t = Time::new(9, 5, 0)?.with_fraction(120_000_000, 3)?.with_offset(Some(Offset::UTC));
/// assert_eq!(t.to_string(), "090500.120+0000");
/// assert!(Time::new(24, 0, 0).is_err());
/// # Ok::<(), hl7_runtime::types::FormatError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Time {
    hour: u8,
    minute: u8,
    second: u8,
    nanos: u32,
    precision: Precision,
    offset: Option<Offset>,
}

impl Time {
    /// A time to the second, without offset.
    pub fn new(hour: u8, minute: u8, second: u8) -> Result<Time, FormatError> {
        check_hms(hour, minute, second, 0, "TM")?;
        Ok(Time {
            hour,
            minute,
            second,
            nanos: 0,
            precision: Precision::Second,
            offset: None,
        })
    }

    /// A time to the minute (`HHMM`).
    pub fn from_hour_minute(hour: u8, minute: u8) -> Result<Time, FormatError> {
        Ok(Time {
            precision: Precision::Minute,
            ..Time::new(hour, minute, 0)?
        })
    }

    /// A time to the hour (`HH`).
    pub fn from_hour(hour: u8) -> Result<Time, FormatError> {
        Ok(Time {
            precision: Precision::Hour,
            ..Time::new(hour, 0, 0)?
        })
    }

    /// Adds fractional seconds: `nanos` (below 10^9) written with `digits`
    /// digits (1 to 4), truncated to them. The time must be at second
    /// precision or finer.
    pub fn with_fraction(self, nanos: u32, digits: u8) -> Result<Time, FormatError> {
        if self.precision < Precision::Second {
            return Err(FormatError::new(
                "TM",
                FormatErrorKind::UnexpectedEnd,
                4,
                None,
                "seconds before a fraction",
            ));
        }
        if !(1..=4).contains(&digits) {
            return Err(FormatError::new(
                "TM",
                FormatErrorKind::FractionTooLong,
                7 + usize::from(digits.min(4)),
                None,
                "1 to 4 digits",
            ));
        }
        if nanos >= 1_000_000_000 {
            return Err(FormatError::new(
                "TM",
                FormatErrorKind::Overflow,
                7,
                None,
                "less than one second",
            ));
        }
        let unit = 10u32.pow(9 - u32::from(digits));
        Ok(Time {
            nanos: nanos / unit * unit,
            precision: Precision::Fraction(digits),
            ..self
        })
    }

    /// The same time with this offset (or none).
    #[must_use]
    pub fn with_offset(self, offset: Option<Offset>) -> Time {
        Time { offset, ..self }
    }

    /// The hour (0-23).
    pub fn hour(&self) -> u8 {
        self.hour
    }

    /// The minute, when given.
    pub fn minute(&self) -> Option<u8> {
        (self.precision >= Precision::Minute).then_some(self.minute)
    }

    /// The second, when given.
    pub fn second(&self) -> Option<u8> {
        (self.precision >= Precision::Second).then_some(self.second)
    }

    /// The fractional seconds in nanoseconds, when given.
    pub fn nanosecond(&self) -> Option<u32> {
        matches!(self.precision, Precision::Fraction(_)).then_some(self.nanos)
    }

    /// Hour, minute, second or fraction.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The UTC offset, when given.
    pub fn offset(&self) -> Option<Offset> {
        self.offset
    }

    /// Seconds since midnight (local time; parts not given count as 0).
    pub fn seconds_from_midnight(&self) -> u32 {
        u32::from(self.hour) * 3600 + u32::from(self.minute) * 60 + u32::from(self.second)
    }
}

impl fmt::Display for Time {
    /// `HH[MM[SS[.S...]]][+/-ZZZZ]` at the time's precision.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_time(
            f,
            self.hour,
            self.minute,
            self.second,
            self.nanos,
            self.precision,
        )?;
        if let Some(o) = self.offset {
            write!(f, "{o}")?;
        }
        Ok(())
    }
}

fn write_time(
    f: &mut fmt::Formatter<'_>,
    hour: u8,
    minute: u8,
    second: u8,
    nanos: u32,
    precision: Precision,
) -> fmt::Result {
    write!(f, "{hour:02}")?;
    if precision >= Precision::Minute {
        write!(f, "{minute:02}")?;
    }
    if precision >= Precision::Second {
        write!(f, "{second:02}")?;
    }
    if let Precision::Fraction(n) = precision {
        let n = u32::from(n.clamp(1, 4));
        let value = nanos / 10u32.pow(9 - n);
        write!(f, ".{value:0width$}", width = n as usize)?;
    }
    Ok(())
}

/// A date and time at any precision from year to fractional seconds, with
/// an optional UTC offset (`DTM`, and the first component of `TS`).
///
/// ```
/// use hl7_runtime::types::{Date, DateTime, Offset, Precision, Time};
///
/// let t = DateTime::new(Date::new(2026, 3, 1)?, Time::from_hour_minute(8, 30)?)
///     .unwrap()
///     .with_offset(Some(Offset::from_minutes(-300).unwrap()));
/// assert_eq!(t.to_string(), "202603010830-0500");
/// assert_eq!(t.with_precision(Precision::Day).to_string(), "20260301-0500");
/// let (secs, _) = t.to_unix().unwrap();
/// let same = DateTime::from_unix(secs, 0, t.offset().unwrap(), Precision::Minute).unwrap();
/// assert_eq!(same, t);
/// # Ok::<(), hl7_runtime::types::FormatError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DateTime {
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    nanos: u32,
    precision: Precision,
    offset: Option<Offset>,
}

impl DateTime {
    /// A date alone, at its precision, without offset.
    pub fn from_date(date: Date) -> DateTime {
        DateTime {
            year: date.year,
            month: date.month,
            day: date.day,
            hour: 0,
            minute: 0,
            second: 0,
            nanos: 0,
            precision: date.precision,
            offset: None,
        }
    }

    /// A day and a time on it, at the time's precision and with its
    /// offset. `None` when the date is not at day precision.
    pub fn new(date: Date, time: Time) -> Option<DateTime> {
        (date.precision == Precision::Day).then_some(DateTime {
            year: date.year,
            month: date.month,
            day: date.day,
            hour: time.hour,
            minute: time.minute,
            second: time.second,
            nanos: time.nanos,
            precision: time.precision,
            offset: time.offset,
        })
    }

    /// The same value with this offset (or none); the local parts do not
    /// change.
    #[must_use]
    pub fn with_offset(self, offset: Option<Offset>) -> DateTime {
        DateTime { offset, ..self }
    }

    /// The same value at another precision: coarser drops parts (and
    /// truncates fractions), finer adds zeros. `Fraction(n)` takes `n` from
    /// 1 to 4 (clamped).
    #[must_use]
    pub fn with_precision(self, precision: Precision) -> DateTime {
        let precision = match precision {
            Precision::Fraction(n) => Precision::Fraction(n.clamp(1, 4)),
            p => p,
        };
        let mut t = self;
        t.precision = precision;
        if precision < Precision::Month {
            t.month = 1;
        }
        if precision < Precision::Day {
            t.day = 1;
        }
        if precision < Precision::Hour {
            t.hour = 0;
        }
        if precision < Precision::Minute {
            t.minute = 0;
        }
        if precision < Precision::Second {
            t.second = 0;
        }
        t.nanos = match precision {
            Precision::Fraction(n) => {
                let unit = 10u32.pow(9 - u32::from(n));
                t.nanos / unit * unit
            }
            _ => 0,
        };
        t
    }

    /// The date part, at year, month or day precision.
    pub fn date(&self) -> Date {
        Date {
            year: self.year,
            month: self.month,
            day: self.day,
            precision: self.precision.min(Precision::Day),
        }
    }

    /// The time part with the offset, when an hour is given.
    pub fn time(&self) -> Option<Time> {
        (self.precision >= Precision::Hour).then_some(Time {
            hour: self.hour,
            minute: self.minute,
            second: self.second,
            nanos: self.nanos,
            precision: self.precision,
            offset: self.offset,
        })
    }

    /// The year.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month, when given.
    pub fn month(&self) -> Option<u8> {
        (self.precision >= Precision::Month).then_some(self.month)
    }

    /// The day, when given.
    pub fn day(&self) -> Option<u8> {
        (self.precision >= Precision::Day).then_some(self.day)
    }

    /// The hour, when given.
    pub fn hour(&self) -> Option<u8> {
        (self.precision >= Precision::Hour).then_some(self.hour)
    }

    /// The minute, when given.
    pub fn minute(&self) -> Option<u8> {
        (self.precision >= Precision::Minute).then_some(self.minute)
    }

    /// The second, when given.
    pub fn second(&self) -> Option<u8> {
        (self.precision >= Precision::Second).then_some(self.second)
    }

    /// The fractional seconds in nanoseconds, when given.
    pub fn nanosecond(&self) -> Option<u32> {
        matches!(self.precision, Precision::Fraction(_)).then_some(self.nanos)
    }

    /// The last part given.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The UTC offset, when given.
    pub fn offset(&self) -> Option<Offset> {
        self.offset
    }

    /// Seconds and nanoseconds since the Unix epoch of the start of the
    /// period the value names (`2026` is 2026-01-01T00:00 local), read in
    /// its own offset. `None` without an offset: use
    /// [`to_unix_assuming`](DateTime::to_unix_assuming).
    pub fn to_unix(&self) -> Option<(i64, u32)> {
        self.offset.map(|o| self.to_unix_assuming(o))
    }

    /// Like [`to_unix`](DateTime::to_unix), reading a value without offset in
    /// `assumed` (the sending system's zone, say). A value's own offset wins.
    pub fn to_unix_assuming(&self, assumed: Offset) -> (i64, u32) {
        let offset = self.offset.unwrap_or(assumed);
        let days = days_from_civil(i64::from(self.year), self.month, self.day);
        let local = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        (local - i64::from(offset.seconds()), self.nanos)
    }

    /// The start of the period as a [`SystemTime`]; `None` without an offset.
    pub fn to_system_time(&self) -> Option<SystemTime> {
        let (secs, nanos) = self.to_unix()?;
        let nanos = Duration::from_nanos(u64::from(nanos));
        if secs >= 0 {
            Some(UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs()) + nanos)
        } else {
            Some(UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs()) + nanos)
        }
    }

    /// The instant `secs` seconds and `nanos` nanoseconds after the Unix
    /// epoch, in local time at `offset`, at `precision` (finer parts are
    /// dropped). `None` when `nanos` is 10^9 or more or the year falls
    /// outside 0000-9999.
    pub fn from_unix(
        secs: i64,
        nanos: u32,
        offset: Offset,
        precision: Precision,
    ) -> Option<DateTime> {
        if nanos >= 1_000_000_000 {
            return None;
        }
        let local = secs.checked_add(i64::from(offset.seconds()))?;
        let days = local.div_euclid(86_400);
        // 0..86400, so the parts fit a u8.
        let rem = u32::try_from(local.rem_euclid(86_400)).ok()?;
        let date = Date::from_days_since_epoch(days)?;
        let t = DateTime {
            year: date.year,
            month: date.month,
            day: date.day,
            hour: (rem / 3600) as u8,
            minute: (rem % 3600 / 60) as u8,
            second: (rem % 60) as u8,
            nanos,
            precision: Precision::Fraction(4),
            offset: Some(offset),
        };
        Some(t.with_precision(precision))
    }

    /// A [`SystemTime`] in local time at `offset`, at `precision`; `None`
    /// when the year falls outside 0000-9999.
    ///
    /// ```
    /// use hl7_runtime::types::{DateTime, Dtm, Offset, Precision};
    ///
    /// let now = DateTime::from_system_time(std::time::SystemTime::now(), Offset::UTC, Precision::Second).unwrap();
    /// assert_eq!(Dtm::from(now).wire().len(), 19); // YYYYMMDDHHMMSS+0000
    /// ```
    pub fn from_system_time(
        time: SystemTime,
        offset: Offset,
        precision: Precision,
    ) -> Option<DateTime> {
        let (secs, nanos) = match time.duration_since(UNIX_EPOCH) {
            Ok(d) => (i64::try_from(d.as_secs()).ok()?, d.subsec_nanos()),
            Err(e) => {
                let d = e.duration();
                let secs = i64::try_from(d.as_secs()).ok()?;
                if d.subsec_nanos() == 0 {
                    (-secs, 0)
                } else {
                    (-secs - 1, 1_000_000_000 - d.subsec_nanos())
                }
            }
        };
        DateTime::from_unix(secs, nanos, offset, precision)
    }
}

impl From<Date> for DateTime {
    fn from(date: Date) -> Self {
        DateTime::from_date(date)
    }
}

impl fmt::Display for DateTime {
    /// `YYYY[MM[DD[HH[MM[SS[.S...]]]]]][+/-ZZZZ]` at the value's precision.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.date(), f)?;
        if self.precision >= Precision::Hour {
            write_time(
                f,
                self.hour,
                self.minute,
                self.second,
                self.nanos,
                self.precision,
            )?;
        }
        if let Some(o) = self.offset {
            write!(f, "{o}")?;
        }
        Ok(())
    }
}

fn check_year(year: u16) -> Result<(), FormatError> {
    if year > 9999 {
        return Err(FormatError::new(
            "DT",
            FormatErrorKind::Overflow,
            0,
            None,
            "a year 0000-9999",
        ));
    }
    Ok(())
}

fn check_month(month: u8, at: usize, data_type: &'static str) -> Result<(), FormatError> {
    if (1..=12).contains(&month) {
        Ok(())
    } else {
        Err(FormatError::new(
            data_type,
            FormatErrorKind::MonthOutOfRange,
            at,
            None,
            "",
        ))
    }
}

fn check_day(
    year: u16,
    month: u8,
    day: u8,
    at: usize,
    data_type: &'static str,
) -> Result<(), FormatError> {
    if day >= 1 && day <= Date::days_in_month(year, month) {
        Ok(())
    } else {
        Err(FormatError::new(
            data_type,
            FormatErrorKind::DayOutOfRange,
            at,
            None,
            "",
        ))
    }
}

fn check_hms(
    hour: u8,
    minute: u8,
    second: u8,
    at: usize,
    data_type: &'static str,
) -> Result<(), FormatError> {
    let out = |kind, at| Err(FormatError::new(data_type, kind, at, None, ""));
    if hour > 23 {
        return out(FormatErrorKind::HourOutOfRange, at);
    }
    if minute > 59 {
        return out(FormatErrorKind::MinuteOutOfRange, at + 2);
    }
    if second > 59 {
        return out(FormatErrorKind::SecondOutOfRange, at + 4);
    }
    Ok(())
}

/// Days from 1970-01-01 to a proleptic Gregorian date. Counts in 400-year
/// cycles (146 097 days) of years that start on 1 March, so that the leap
/// day ends the year.
fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let (month, day) = (i64::from(month), i64::from(day));
    let year = if month <= 2 { year - 1 } else { year };
    let cycle = year.div_euclid(400);
    let year_of_cycle = year.rem_euclid(400);
    // Months counted from March: March 0 ... February 11.
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_cycle = year_of_cycle * 365 + year_of_cycle / 4 - year_of_cycle / 100 + day_of_year;
    // 719 468 days from 0000-03-01 to 1970-01-01.
    cycle * 146_097 + day_of_cycle - 719_468
}

/// The inverse of [`days_from_civil`], for years 0000-9999.
fn civil_from_days(days: i64) -> Option<(u16, u8, u8)> {
    let days = days.checked_add(719_468)?;
    let cycle = days.div_euclid(146_097);
    let day_of_cycle = days.rem_euclid(146_097);
    let year_of_cycle =
        (day_of_cycle - day_of_cycle / 1460 + day_of_cycle / 36_524 - day_of_cycle / 146_096) / 365;
    let day_of_year =
        day_of_cycle - (365 * year_of_cycle + year_of_cycle / 4 - year_of_cycle / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = cycle * 400 + year_of_cycle + i64::from(month <= 2);
    let year = u16::try_from(year).ok().filter(|y| *y <= 9999)?;
    Some((year, u8::try_from(month).ok()?, u8::try_from(day).ok()?))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Date,
    Time,
    DateTime,
}

/// Parses DT, TM or DTM text (not empty, not `""`).
fn parse(raw: &[u8], shape: Shape, data_type: &'static str) -> Result<DateTime, FormatError> {
    let err = |kind, at: usize, expected: &'static str| {
        FormatError::new(data_type, kind, at, raw.get(at).copied(), expected)
    };
    let two = |at: usize| -> Result<u8, FormatError> {
        let mut v = 0u8;
        for k in at..at + 2 {
            match raw.get(k) {
                None => return Err(err(FormatErrorKind::UnexpectedEnd, raw.len(), "a digit")),
                Some(b) if b.is_ascii_digit() => v = v * 10 + (b - b'0'),
                Some(_) => return Err(err(FormatErrorKind::UnexpectedCharacter, k, "a digit")),
            }
        }
        Ok(v)
    };
    let offsets = shape != Shape::Date;
    // Whether another part follows at `at`: not at the end or an offset.
    let more = |at: usize| at < raw.len() && !(offsets && matches!(raw[at], b'+' | b'-'));
    let mut v = DateTime {
        year: 0,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        nanos: 0,
        precision: Precision::Year,
        offset: None,
    };
    let mut i = 0;
    'parts: {
        if shape != Shape::Time {
            v.year = u16::from(two(0)?) * 100 + u16::from(two(2)?);
            i = 4;
            if !more(i) {
                break 'parts;
            }
            v.month = two(i)?;
            check_month(v.month, i, data_type)?;
            v.precision = Precision::Month;
            i += 2;
            if !more(i) {
                break 'parts;
            }
            v.day = two(i)?;
            check_day(v.year, v.month, v.day, i, data_type)?;
            v.precision = Precision::Day;
            i += 2;
            if shape == Shape::Date || !more(i) {
                break 'parts;
            }
        }
        v.hour = two(i)?;
        check_hms(v.hour, 0, 0, i, data_type)?;
        v.precision = Precision::Hour;
        i += 2;
        if !more(i) {
            break 'parts;
        }
        v.minute = two(i)?;
        check_hms(0, v.minute, 0, i - 2, data_type)?;
        v.precision = Precision::Minute;
        i += 2;
        if !more(i) {
            break 'parts;
        }
        v.second = two(i)?;
        check_hms(0, 0, v.second, i - 4, data_type)?;
        v.precision = Precision::Second;
        i += 2;
        if raw.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            let mut fraction = 0u32;
            while let Some(&b) = raw.get(i).filter(|b| b.is_ascii_digit()) {
                if i - start == 4 {
                    return Err(err(FormatErrorKind::FractionTooLong, i, "at most 4 digits"));
                }
                fraction = fraction * 10 + u32::from(b - b'0');
                i += 1;
            }
            let digits = (i - start) as u32;
            if digits == 0 {
                let kind = if i == raw.len() {
                    FormatErrorKind::UnexpectedEnd
                } else {
                    FormatErrorKind::UnexpectedCharacter
                };
                return Err(err(kind, i, "a digit"));
            }
            v.nanos = fraction * 10u32.pow(9 - digits);
            v.precision = Precision::Fraction(digits as u8);
        }
    }
    if offsets && matches!(raw.get(i), Some(b'+' | b'-')) {
        let negative = raw[i] == b'-';
        let hours = two(i + 1)?;
        let minutes = two(i + 3)?;
        if hours > 14 {
            return Err(err(FormatErrorKind::OffsetOutOfRange, i + 1, ""));
        }
        if minutes > 59 {
            return Err(err(FormatErrorKind::OffsetOutOfRange, i + 3, ""));
        }
        v.offset = Some(
            Offset::from_hours_minutes(negative, hours, minutes)
                .ok_or_else(|| err(FormatErrorKind::OffsetOutOfRange, i + 1, ""))?,
        );
        i += 5;
        if i < raw.len() {
            return Err(err(
                FormatErrorKind::UnexpectedCharacter,
                i,
                "the end of the value",
            ));
        }
    }
    if i < raw.len() {
        let expected = match (shape, v.precision) {
            (Shape::Date, _) => "the end of the value",
            (_, Precision::Second) => "`.`, an offset or the end of the value",
            _ => "an offset or the end of the value",
        };
        return Err(err(FormatErrorKind::UnexpectedCharacter, i, expected));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn err(r: Result<impl fmt::Debug, FormatError>) -> (FormatErrorKind, usize) {
        let e = r.unwrap_err();
        (e.kind(), e.position())
    }

    use FormatErrorKind as K;

    #[test]
    fn dt_forms_and_leap_years() {
        let d = Dt::from_wire(b"2026").date().unwrap().unwrap();
        assert_eq!(
            (d.year(), d.month(), d.day(), d.precision()),
            (2026, None, None, Precision::Year)
        );
        let d = Dt::from_wire(b"20260131").date().unwrap().unwrap();
        assert_eq!(
            (d.month(), d.day(), d.precision()),
            (Some(1), Some(31), Precision::Day)
        );
        for ok in [
            "20240229", "20000229", "16000229", "00000229", "99991231", "00000101",
        ] {
            assert!(check_dt(ok.as_bytes()).is_ok(), "{ok}");
        }
        for (bad, kind, at) in [
            ("20230229", K::DayOutOfRange, 6),
            ("21000229", K::DayOutOfRange, 6),
            ("19000229", K::DayOutOfRange, 6),
            ("20260431", K::DayOutOfRange, 6),
            ("20260100", K::DayOutOfRange, 6),
            ("20261301", K::MonthOutOfRange, 4),
            ("20260001", K::MonthOutOfRange, 4),
            ("2026013", K::UnexpectedEnd, 7),
            ("202", K::UnexpectedEnd, 3),
            ("20260101+0100", K::UnexpectedCharacter, 8),
            ("202601011200", K::UnexpectedCharacter, 8),
            ("2026-01-01", K::UnexpectedCharacter, 4),
            (" 2026", K::UnexpectedCharacter, 0),
            ("2026 ", K::UnexpectedCharacter, 4),
            ("２０２６", K::UnexpectedCharacter, 0),
            ("\"", K::UnexpectedCharacter, 0),
        ] {
            assert_eq!(err(check_dt(bad.as_bytes())), (kind, at), "{bad}");
            assert_eq!(
                err(Dt::from_wire(bad.as_bytes()).date()),
                (kind, at),
                "{bad}"
            );
        }
        assert_eq!(Date::days_in_month(2024, 2), 29);
        assert_eq!(Date::days_in_month(2023, 2), 28);
        assert_eq!(Date::days_in_month(2023, 13), 0);
        assert_eq!(err(Date::new(10_000, 1, 1)), (K::Overflow, 0));
        assert_eq!(err(Date::new(2026, 2, 30)), (K::DayOutOfRange, 6));
        assert_eq!(err(Date::from_year_month(2026, 0)), (K::MonthOutOfRange, 4));
        assert_eq!(Date::from_year(7).unwrap().to_string(), "0007");
    }

    #[test]
    fn tm_forms() {
        let t = Tm::from_wire(b"12").time().unwrap().unwrap();
        assert_eq!(
            (t.hour(), t.minute(), t.precision()),
            (12, None, Precision::Hour)
        );
        let t = Tm::from_wire(b"123045.1").time().unwrap().unwrap();
        assert_eq!(
            (t.second(), t.nanosecond(), t.precision()),
            (Some(45), Some(100_000_000), Precision::Fraction(1))
        );
        let t = Tm::from_wire(b"000000.0001+1400").time().unwrap().unwrap();
        assert_eq!(
            (t.nanosecond(), t.offset().unwrap().minutes()),
            (Some(100_000), 840)
        );
        let t = Tm::from_wire(b"12-0000").time().unwrap().unwrap();
        assert_eq!(t.offset(), Some(Offset::UTC));
        assert_eq!(t.seconds_from_midnight(), 43_200);
        for (bad, kind, at) in [
            ("24", K::HourOutOfRange, 0),
            ("2400", K::HourOutOfRange, 0),
            ("1260", K::MinuteOutOfRange, 2),
            ("123060", K::SecondOutOfRange, 4),
            ("235960", K::SecondOutOfRange, 4),
            ("123045.12345", K::FractionTooLong, 11),
            ("123045.", K::UnexpectedEnd, 7),
            ("123045.x", K::UnexpectedCharacter, 7),
            ("1230.5", K::UnexpectedCharacter, 4),
            ("1230+1500", K::OffsetOutOfRange, 5),
            ("1230+0160", K::OffsetOutOfRange, 7),
            ("1230+1401", K::OffsetOutOfRange, 5),
            ("1230-1430", K::OffsetOutOfRange, 5),
            ("1230+01", K::UnexpectedEnd, 7),
            ("1230+01:00", K::UnexpectedCharacter, 7),
            ("1230+0100x", K::UnexpectedCharacter, 9),
            ("1230+0100+0100", K::UnexpectedCharacter, 9),
            ("1230Z", K::UnexpectedCharacter, 4),
            ("12:30", K::UnexpectedCharacter, 2),
            ("1", K::UnexpectedEnd, 1),
            ("+0100", K::UnexpectedCharacter, 0),
            ("123045 ", K::UnexpectedCharacter, 6),
        ] {
            assert_eq!(err(check_tm(bad.as_bytes())), (kind, at), "{bad}");
        }
        assert_eq!(err(Time::new(24, 0, 0)), (K::HourOutOfRange, 0));
        assert_eq!(err(Time::new(0, 60, 0)), (K::MinuteOutOfRange, 2));
        assert_eq!(err(Time::new(0, 0, 60)), (K::SecondOutOfRange, 4));
        assert_eq!(
            err(Time::from_hour(1).unwrap().with_fraction(0, 1)),
            (K::UnexpectedEnd, 4)
        );
        assert_eq!(
            err(Time::new(1, 2, 3).unwrap().with_fraction(0, 5)),
            (K::FractionTooLong, 11)
        );
        assert_eq!(
            err(Time::new(1, 2, 3).unwrap().with_fraction(1_000_000_000, 4)),
            (K::Overflow, 7)
        );
        let t = Time::new(1, 2, 3)
            .unwrap()
            .with_fraction(123_456_789, 4)
            .unwrap();
        assert_eq!(t.to_string(), "010203.1234");
        assert_eq!(Tm::from(t).time().unwrap(), Some(t));
    }

    #[test]
    fn dtm_forms() {
        let cases: &[(&str, Precision, Option<i16>)] = &[
            ("2026", Precision::Year, None),
            ("2026+0100", Precision::Year, Some(60)),
            ("202601-0300", Precision::Month, Some(-180)),
            ("20260131", Precision::Day, None),
            ("2026013115", Precision::Hour, None),
            ("202601311530", Precision::Minute, None),
            ("20260131153045", Precision::Second, None),
            ("20260131153045.12", Precision::Fraction(2), None),
            (
                "20260131153045.1234-1200",
                Precision::Fraction(4),
                Some(-720),
            ),
        ];
        for &(s, p, o) in cases {
            let t = Dtm::from_wire(s.as_bytes()).datetime().unwrap().unwrap();
            assert_eq!(t.precision(), p, "{s}");
            assert_eq!(t.offset().map(Offset::minutes), o, "{s}");
            assert_eq!(t.to_string(), s, "canonical {s}");
            assert_eq!(Dtm::from(t).wire(), s.as_bytes());
        }
        let t = Dtm::from_wire(b"20260131153045.5")
            .datetime()
            .unwrap()
            .unwrap();
        assert_eq!(t.date(), Date::new(2026, 1, 31).unwrap());
        assert_eq!(t.time().unwrap().to_string(), "153045.5");
        assert_eq!(
            (t.hour(), t.minute(), t.second(), t.nanosecond()),
            (Some(15), Some(30), Some(45), Some(500_000_000))
        );
        let d = Dtm::from_wire(b"202601").datetime().unwrap().unwrap();
        assert_eq!((d.day(), d.hour(), d.time()), (None, None, None));
        for (bad, kind, at) in [
            ("20260131T1530", K::UnexpectedCharacter, 8),
            ("2026013124", K::HourOutOfRange, 8),
            ("20260131153", K::UnexpectedEnd, 11),
            ("20260230", K::DayOutOfRange, 6),
            ("20260131153045123", K::UnexpectedCharacter, 14),
            ("2026+01", K::UnexpectedEnd, 7),
            ("2026-", K::UnexpectedEnd, 5),
            ("-2026", K::UnexpectedCharacter, 0),
        ] {
            let e = Dtm::from_wire(bad.as_bytes()).datetime().unwrap_err();
            assert_eq!(
                (e.kind(), e.position(), e.data_type()),
                (kind, at, "DTM"),
                "{bad}"
            );
            assert_eq!(check_dtm(bad.as_bytes()), Err(e));
        }
        let e = check_dtm(b"20260131153045123").unwrap_err();
        assert_eq!(
            e.to_string(),
            "DTM: unexpected `1` at position 14 (expected `.`, an offset or the end of the value)"
        );
        // -0000 reads as UTC and is written back as sent.
        let utc = Dtm::from_wire(b"2026-0000");
        assert_eq!(utc.datetime().unwrap().unwrap().to_string(), "2026+0000");
        assert_eq!(utc.wire(), b"2026-0000");
    }

    #[test]
    fn absent_values() {
        assert_eq!(Dt::from_wire(b"").date(), Ok(None));
        assert_eq!(Dt::null().date(), Ok(None));
        assert_eq!(Tm::null().time(), Ok(None));
        assert_eq!(Dtm::from_wire(b"").datetime(), Ok(None));
        assert_eq!(Ts::null().datetime(), Ok(None));
        assert_eq!(Ts::default().datetime(), Ok(None));
        for raw in [&b""[..], b"\"\""] {
            assert!(check_dt(raw).is_ok() && check_tm(raw).is_ok() && check_dtm(raw).is_ok());
            assert!(check_ts(raw, b'^').is_ok());
        }
        // Only the exact null is absent.
        assert!(check_dtm(b"\"\" ").is_err());
        assert!(check_dtm(b" ").is_err());
    }

    #[test]
    fn ts() {
        let ts = Ts::from_wire(b"20260101^D");
        assert_eq!(ts.degree_of_precision(), Ok(Some(Precision::Day)));
        assert_eq!(ts.datetime().unwrap().unwrap().precision(), Precision::Day);
        assert!(Ts::from_wire(b"20260101^").validate().is_ok());
        assert_eq!(Ts::from_wire(b"20260101^").degree_of_precision(), Ok(None));
        assert_eq!(Ts::from_wire(b"^S").datetime(), Ok(None));
        for (bad, kind, at) in [
            ("20260101^X", K::UnexpectedCharacter, 9),
            ("20260101^DD", K::UnexpectedCharacter, 10),
            ("2026^D^x", K::UnexpectedCharacter, 6),
            ("202613^D", K::MonthOutOfRange, 4),
            ("2026 ^D", K::UnexpectedCharacter, 4),
        ] {
            let e = Ts::from_wire(bad.as_bytes()).validate().unwrap_err();
            assert_eq!(
                (e.kind(), e.position(), e.data_type()),
                (kind, at, "TS"),
                "{bad}"
            );
            assert_eq!(Ts::from_wire(bad.as_bytes()).datetime().unwrap_err(), e);
        }
        // Inside a composite the separator is the subcomponent separator.
        let sub = Ts::from_wire_in(Cow::Borrowed(b"20260101&L"), b'&');
        assert_eq!(sub.degree_of_precision(), Ok(Some(Precision::Month)));
        assert_eq!(sub.separator(), b'&');
        assert!(check_ts(b"20260101^L", b'&').is_err());
        assert_eq!(sub.clone().into_owned(), sub);
        assert_eq!(format!("{sub:?} {sub}"), "Ts(\"20260101&L\") 20260101&L");
        assert_eq!(
            Ts::from(DateTime::from(Date::new(2026, 1, 2).unwrap())),
            "20260102"
        );
        assert_eq!(Precision::Fraction(3).code(), b'S');
        for c in *b"YLDHMS" {
            assert_eq!(Precision::from_code(c).unwrap().code(), c);
        }
    }

    #[test]
    fn ts_from_message_values() {
        use crate::er7::{Message, Path};
        let msg = Message::parse(
            b"MSH|^~\\&|A||B||20260101120000+0100^S||ADT^A01|1|P|2.4\rZTS|200601011200^M&D\r",
        )
        .unwrap();
        let field = msg.get(&"MSH-7".parse::<Path>().unwrap()).unwrap();
        let ts = Ts::from_value(&field);
        assert_eq!(ts.degree_of_precision(), Ok(Some(Precision::Second)));
        assert_eq!(
            ts.datetime().unwrap().unwrap().to_unix(),
            Some((1_767_265_200, 0))
        );
        let comp = msg.get(&"ZTS-1.2".parse::<Path>().unwrap()).unwrap();
        let ts = Ts::from_value(&comp);
        assert_eq!(ts.wire(), b"M&D");
        assert_eq!(ts.validate().unwrap_err().position(), 0);
        assert!(super::super::check_value("TS", &field).is_ok());
    }

    #[test]
    fn unix_conversions() {
        assert_eq!(Date::new(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!(Date::new(2000, 3, 1).unwrap().days_since_epoch(), 11_017);
        assert_eq!(Date::new(1969, 12, 31).unwrap().days_since_epoch(), -1);
        assert_eq!(Date::new(0, 1, 1).unwrap().days_since_epoch(), -719_528);
        assert_eq!(
            Date::new(9999, 12, 31).unwrap().days_since_epoch(),
            2_932_896
        );
        assert_eq!(Date::from_days_since_epoch(-719_529), None);
        assert_eq!(Date::from_days_since_epoch(2_932_897), None);
        assert_eq!(Date::from_days_since_epoch(i64::MAX), None);
        assert_eq!(Date::from_days_since_epoch(i64::MIN), None);
        let t = Dtm::from_wire(b"19700101000000+0000")
            .datetime()
            .unwrap()
            .unwrap();
        assert_eq!(t.to_unix(), Some((0, 0)));
        assert_eq!(t.to_system_time(), Some(UNIX_EPOCH));
        let t = Dtm::from_wire(b"19691231235959.5+0000")
            .datetime()
            .unwrap()
            .unwrap();
        assert_eq!(t.to_unix(), Some((-1, 500_000_000)));
        assert_eq!(
            t.to_system_time(),
            Some(UNIX_EPOCH - Duration::from_millis(500))
        );
        let back = DateTime::from_system_time(
            UNIX_EPOCH - Duration::from_millis(500),
            Offset::UTC,
            Precision::Fraction(1),
        )
        .unwrap();
        assert_eq!(back, t);
        let local = Dtm::from_wire(b"20260101").datetime().unwrap().unwrap();
        assert_eq!(local.to_unix(), None);
        let east = Offset::from_minutes(60).unwrap();
        assert_eq!(local.to_unix_assuming(east), (1_767_222_000, 0));
        assert_eq!(
            local.with_offset(Some(Offset::UTC)).to_unix_assuming(east),
            (1_767_225_600, 0)
        );
        assert_eq!(
            DateTime::from_unix(0, 1_000_000_000, Offset::UTC, Precision::Second),
            None
        );
        assert_eq!(
            DateTime::from_unix(i64::MAX, 0, east, Precision::Second),
            None
        );
        assert_eq!(
            DateTime::from_unix(-62_167_219_201, 0, Offset::UTC, Precision::Second),
            None
        );
        let t = DateTime::from_unix(0, 0, Offset::from_minutes(-30).unwrap(), Precision::Minute)
            .unwrap();
        assert_eq!(t.to_string(), "196912312330-0030");
        assert_eq!(t.with_precision(Precision::Year).to_string(), "1969-0030");
        assert_eq!(
            t.with_precision(Precision::Fraction(9)).to_string(),
            "19691231233000.0000-0030"
        );
        assert!(
            DateTime::new(Date::from_year(2026).unwrap(), Time::from_hour(1).unwrap()).is_none()
        );
    }

    #[test]
    fn offsets() {
        assert_eq!(Offset::from_minutes(840).unwrap().to_string(), "+1400");
        assert_eq!(Offset::from_minutes(-840).unwrap().to_string(), "-1400");
        assert!(Offset::from_minutes(841).is_none());
        assert!(Offset::from_minutes(i32::MAX).is_none());
        assert!(Offset::from_hours_minutes(false, 14, 1).is_none());
        assert!(Offset::from_hours_minutes(false, 1, 60).is_none());
        assert_eq!(
            Offset::from_hours_minutes(true, 0, 45).unwrap().to_string(),
            "-0045"
        );
        assert_eq!(Offset::from_minutes(-90).unwrap().seconds(), -5400);
    }

    fn any_datetime() -> impl Strategy<Value = DateTime> {
        (
            0u16..=9999,
            1u8..=12,
            1u8..=31,
            (0u8..24, 0u8..60, 0u8..60, 0u32..1_000_000_000),
            0usize..10,
            proptest::option::of(-840i32..=840),
        )
            .prop_map(|(y, m, d, (h, mi, s, nanos), p, o)| {
                let d = d.min(Date::days_in_month(y, m));
                let date = Date::new(y, m, d).unwrap();
                let time = Time::new(h, mi, s).unwrap();
                let precision = [
                    Precision::Year,
                    Precision::Month,
                    Precision::Day,
                    Precision::Hour,
                    Precision::Minute,
                    Precision::Second,
                    Precision::Fraction(1),
                    Precision::Fraction(2),
                    Precision::Fraction(3),
                    Precision::Fraction(4),
                ][p];
                let mut t = DateTime::new(date, time).unwrap();
                t.nanos = nanos;
                t.with_precision(precision)
                    .with_offset(o.map(|o| Offset::from_minutes(o).unwrap()))
            })
    }

    proptest! {
        #[test]
        fn dtm_round_trips(t in any_datetime()) {
            let dtm = Dtm::from(t);
            prop_assert!(dtm.validate().is_ok());
            prop_assert_eq!(dtm.datetime().unwrap(), Some(t));
            let again = Dtm::from(dtm.datetime().unwrap().unwrap());
            prop_assert_eq!(again.wire(), dtm.wire());
            let ts = Ts::from(t);
            prop_assert_eq!(ts.datetime().unwrap(), Some(t));
            // The date and time parts round-trip through DT and TM.
            let dt = Dt::from(t.date());
            prop_assert_eq!(dt.date().unwrap(), Some(t.date()));
            if let Some(time) = t.time() {
                let tm = Tm::from(time);
                prop_assert_eq!(tm.time().unwrap(), Some(time));
            }
        }

        #[test]
        fn unix_round_trips(t in any_datetime()) {
            let t = t.with_precision(Precision::Fraction(4)).with_offset(t.offset().or(Some(Offset::UTC)));
            let (secs, nanos) = t.to_unix().unwrap();
            let back = DateTime::from_unix(secs, nanos, t.offset().unwrap(), Precision::Fraction(4));
            prop_assert_eq!(back, Some(t));
            let st = t.to_system_time().unwrap();
            let back = DateTime::from_system_time(st, t.offset().unwrap(), Precision::Fraction(4));
            prop_assert_eq!(back, Some(t));
        }

        #[test]
        fn days_round_trip(days in -719_528i64..=2_932_896) {
            let d = Date::from_days_since_epoch(days).unwrap();
            prop_assert_eq!(d.days_since_epoch(), days);
            prop_assert!(Date::new(d.year(), d.month().unwrap(), d.day().unwrap()).is_ok());
        }

        #[test]
        fn wire_text_is_kept(s in "[0-9+\\-.^ ]{0,26}") {
            for v in [Dtm::from_wire(s.as_bytes()).wire(), Dt::from_wire(s.as_bytes()).wire(),
                      Tm::from_wire(s.as_bytes()).wire(), Ts::from_wire(s.as_bytes()).wire()] {
                prop_assert_eq!(v, s.as_bytes());
            }
            // A value that parses formats back to its text, except for the
            // `-0000` offset, which is written `+0000`.
            if let Ok(Some(t)) = Dtm::from_wire(s.as_bytes()).datetime()
                && !s.ends_with("-0000")
            {
                prop_assert_eq!(t.to_string(), s.clone());
            }
            if let Ok(Some(t)) = Tm::from_wire(s.as_bytes()).time()
                && !s.ends_with("-0000")
            {
                prop_assert_eq!(t.to_string(), s.clone());
            }
            if let Ok(Some(d)) = Dt::from_wire(s.as_bytes()).date() {
                prop_assert_eq!(d.to_string(), s);
            }
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..40), sep in any::<u8>()) {
            let _ = check_dt(&bytes);
            let _ = check_tm(&bytes);
            let r = check_dtm(&bytes);
            if let Err(e) = r {
                prop_assert!(e.position() <= bytes.len());
                let _ = e.to_string();
            }
            let _ = check_ts(&bytes, sep);
            let _ = Ts::from_wire_in(Cow::Owned(bytes.clone()), sep).degree_of_precision();
        }

        #[test]
        fn digit_strings_agree_with_check(s in "[0-9]{0,20}([+-][0-9]{4})?") {
            let parsed = Dtm::from_wire(s.as_bytes()).datetime();
            prop_assert_eq!(parsed.is_ok(), check_dtm(s.as_bytes()).is_ok());
        }
    }
}

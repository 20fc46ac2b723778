//! HL7 acknowledgements: original and enhanced mode, built in the sender's
//! delimiters and version, with ERR segments from validation findings.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::er7::escape::escape_bytes;
use crate::er7::{Delimiters, Message, Segment};

/// An acknowledgement code (MSA-1, HL7 table 0008).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AckCode {
    /// AA: application accept.
    ApplicationAccept,
    /// AE: application error (a content problem; do not resend unchanged).
    ApplicationError,
    /// AR: application reject (unsupported type, version or processing
    /// id, or a failure of the receiver).
    ApplicationReject,
    /// CA: commit accept (enhanced mode: safely stored).
    CommitAccept,
    /// CE: commit error.
    CommitError,
    /// CR: commit reject.
    CommitReject,
}

impl AckCode {
    /// The code as written in MSA-1.
    pub fn as_str(self) -> &'static str {
        match self {
            AckCode::ApplicationAccept => "AA",
            AckCode::ApplicationError => "AE",
            AckCode::ApplicationReject => "AR",
            AckCode::CommitAccept => "CA",
            AckCode::CommitError => "CE",
            AckCode::CommitReject => "CR",
        }
    }

    /// AA or CA.
    pub fn is_accept(self) -> bool {
        matches!(self, AckCode::ApplicationAccept | AckCode::CommitAccept)
    }

    /// AE or CE.
    pub fn is_error(self) -> bool {
        matches!(self, AckCode::ApplicationError | AckCode::CommitError)
    }

    /// AR or CR.
    pub fn is_reject(self) -> bool {
        matches!(self, AckCode::ApplicationReject | AckCode::CommitReject)
    }
}

impl fmt::Display for AckCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AckCode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_uppercase().as_str() {
            "AA" => Ok(AckCode::ApplicationAccept),
            "AE" => Ok(AckCode::ApplicationError),
            "AR" => Ok(AckCode::ApplicationReject),
            "CA" => Ok(AckCode::CommitAccept),
            "CE" => Ok(AckCode::CommitError),
            "CR" => Ok(AckCode::CommitReject),
            other => Err(format!(
                "unknown acknowledgement code `{other}`: use AA, AE, AR, CA, CE or CR"
            )),
        }
    }
}

/// When an acknowledgement is wanted (MSH-15 / MSH-16, HL7 table 0155).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AckCondition {
    /// AL: always.
    Always,
    /// NE: never.
    Never,
    /// ER: only on error or reject.
    OnError,
    /// SU: only on success.
    OnSuccess,
}

impl AckCondition {
    /// Reads MSH-15 or MSH-16; empty or unknown values mean `Always`.
    pub fn parse(value: &str) -> AckCondition {
        match value.trim().to_ascii_uppercase().as_str() {
            "NE" => AckCondition::Never,
            "ER" => AckCondition::OnError,
            "SU" => AckCondition::OnSuccess,
            _ => AckCondition::Always,
        }
    }

    /// Is an acknowledgement with `code` to be sent?
    pub fn wants(self, code: AckCode) -> bool {
        match self {
            AckCondition::Always => true,
            AckCondition::Never => false,
            AckCondition::OnError => !code.is_accept(),
            AckCondition::OnSuccess => code.is_accept(),
        }
    }
}

/// The acknowledgement mode a message asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AckMode {
    /// MSH-15 and MSH-16 empty: one application acknowledgement (AA/AE/AR).
    Original,
    /// MSH-15 or MSH-16 valued: an accept acknowledgement (CA/CE/CR) and an
    /// application acknowledgement (AA/AE/AR), each sent when its condition
    /// holds.
    Enhanced {
        /// MSH-15, the accept acknowledgement condition.
        accept: AckCondition,
        /// MSH-16, the application acknowledgement condition.
        application: AckCondition,
    },
}

impl AckMode {
    /// The mode of `msg`, from its MSH-15 and MSH-16.
    pub fn of(msg: &Message<'_>) -> AckMode {
        let msh = msg.segment(0);
        let text = |n: usize| {
            msh.and_then(|s| s.field(n))
                .map(|v| v.text().trim().to_owned())
                .unwrap_or_default()
        };
        let (a, b) = (text(15), text(16));
        if a.is_empty() && b.is_empty() {
            AckMode::Original
        } else {
            AckMode::Enhanced {
                accept: AckCondition::parse(&a),
                application: AckCondition::parse(&b),
            }
        }
    }
}

/// How the receiver judged a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Accepted.
    Accept,
    /// A content problem: AE (CA when only committing).
    Error,
    /// Unsupported type, event, version or processing id: AR / CR.
    Reject,
    /// The receiver failed (storage, a handler): AR / CE.
    InternalFailure,
}

impl Verdict {
    /// The application acknowledgement code.
    pub fn application_code(self) -> AckCode {
        match self {
            Verdict::Accept => AckCode::ApplicationAccept,
            Verdict::Error => AckCode::ApplicationError,
            Verdict::Reject | Verdict::InternalFailure => AckCode::ApplicationReject,
        }
    }

    /// The accept (commit) acknowledgement code: a stored message with
    /// content errors is still committed (CA).
    pub fn accept_code(self) -> AckCode {
        match self {
            Verdict::Accept | Verdict::Error => AckCode::CommitAccept,
            Verdict::Reject => AckCode::CommitReject,
            Verdict::InternalFailure => AckCode::CommitError,
        }
    }
}

/// The severity of an ERR segment (ERR-4, HL7 table 0516).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrSeverity {
    /// E.
    Error,
    /// W.
    Warning,
    /// I.
    Information,
}

impl ErrSeverity {
    fn letter(self) -> &'static [u8] {
        match self {
            ErrSeverity::Error => b"E",
            ErrSeverity::Warning => b"W",
            ErrSeverity::Information => b"I",
        }
    }
}

/// One error to report in an ERR segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AckError {
    /// Where, as a path like `PID[1]-7.1` or `PID-3[2].1` (empty when the
    /// problem has no location). Group prefixes (`ORDER[1].OBR`) are allowed.
    pub location: String,
    /// The HL7 table 0357 code (101, 207, ...).
    pub code: u16,
    /// ERR-4.
    pub severity: ErrSeverity,
    /// Text for people (ERR-8; ERR-1.4.2 before v2.5).
    pub message: String,
}

#[cfg(feature = "validate")]
impl From<&crate::validate::Finding> for AckError {
    fn from(f: &crate::validate::Finding) -> Self {
        use crate::validate::Severity;
        AckError {
            location: f.location.path.clone(),
            code: f.code.hl7_code(),
            severity: match f.severity {
                Severity::Error => ErrSeverity::Error,
                Severity::Warning => ErrSeverity::Warning,
                Severity::Info => ErrSeverity::Information,
            },
            message: f.message.clone(),
        }
    }
}

/// The text of an HL7 table 0357 code.
pub fn error_code_text(code: u16) -> &'static str {
    match code {
        0 => "Message accepted",
        100 => "Segment sequence error",
        101 => "Required field missing",
        102 => "Data type error",
        103 => "Table value not found",
        104 => "Value too long",
        200 => "Unsupported message type",
        201 => "Unsupported event code",
        202 => "Unsupported processing id",
        203 => "Unsupported version id",
        204 => "Unknown key identifier",
        205 => "Duplicate key identifier",
        206 => "Application record locked",
        _ => "Application internal error",
    }
}

/// Settings for building acknowledgements.
#[derive(Clone, Debug)]
pub struct AckOptions {
    /// At most this many ERR segments (the first ones).
    pub max_errors: usize,
    /// Report warnings and information too, not only errors.
    pub include_warnings: bool,
    /// Used as MSH-3 of the ACK when the message has no MSH-5.
    pub application: String,
    /// Used as MSH-4 of the ACK when the message has no MSH-6.
    pub facility: String,
}

impl Default for AckOptions {
    fn default() -> Self {
        AckOptions {
            max_errors: 50,
            include_warnings: true,
            application: String::new(),
            facility: String::new(),
        }
    }
}

static CONTROL_IDS: AtomicU64 = AtomicU64::new(0);

/// A fresh control id for an ACK's MSH-10: unique within the process, and
/// across restarts more than a second apart (`A`, the process start time in
/// seconds, then a counter, in hex), at most 20 characters.
pub fn next_control_id() -> String {
    static START: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let start = *START.get_or_init(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    let n = CONTROL_IDS.fetch_add(1, Ordering::Relaxed);
    format!("A{start:X}{n:X}")
}

/// `YYYYMMDDHHMMSS+0000`, UTC.
pub fn hl7_timestamp(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = (secs / 86_400).cast_signed();
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}+0000",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The (major, minor) of an HL7 version string such as `2.5.1`.
fn version_of(raw: &[u8]) -> (u32, u32) {
    let s = std::str::from_utf8(raw).unwrap_or("");
    let mut it = s.trim().split('.');
    let major = it.next().and_then(|p| p.parse().ok()).unwrap_or(2);
    let minor = it.next().and_then(|p| p.parse().ok()).unwrap_or(5);
    (major, minor)
}

/// Builds one acknowledgement of `msg`.
///
/// * MSH: the sender's delimiters (MSH-1, MSH-2, truncation character
///   included); MSH-3/4 are the message's MSH-5/6 and MSH-5/6 its MSH-3/4;
///   MSH-7 now; MSH-9 `ACK` (2.1, 2.2), `ACK^<trigger>` (2.3, 2.3.1) or
///   `ACK^<trigger>^ACK` (2.4 on); MSH-10 `control_id`; MSH-11, MSH-12
///   and MSH-18 copied.
/// * MSA: the code and MSH-10 of the message as written; before v2.5 the
///   first error's text in MSA-3.
/// * ERR: one per error, up to [`AckOptions::max_errors`]: from v2.5 with
///   ERR-2 the location (segment, sequence, field, repetition, component,
///   subcomponent), ERR-3 `code^text^HL70357`, ERR-4 the severity and
///   ERR-8 the text; before v2.5 as ERR-1.
///
/// Values copied from the message keep its escaping; text written here is
/// escaped for its delimiters.
pub fn build_ack(
    msg: &Message<'_>,
    code: AckCode,
    errors: &[AckError],
    control_id: &str,
    options: &AckOptions,
) -> Vec<u8> {
    let d = *msg.delimiters();
    let msh = msg.segment(0);
    let raw = |n: usize| -> &[u8] { msh.and_then(|s| s.field(n)).map_or(&[], |v| v.raw()) };
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"MSH");
    out.push(d.field);
    out.extend_from_slice(raw(2));
    let f = |out: &mut Vec<u8>, value: &[u8]| {
        out.push(d.field);
        out.extend_from_slice(value);
    };
    let text = |out: &mut Vec<u8>, value: &str| escape_bytes(value.as_bytes(), &d, out);
    // MSH-3, 4: who answers.
    if raw(5).is_empty() && !options.application.is_empty() {
        out.push(d.field);
        text(&mut out, &options.application);
    } else {
        f(&mut out, raw(5));
    }
    if raw(6).is_empty() && !options.facility.is_empty() {
        out.push(d.field);
        text(&mut out, &options.facility);
    } else {
        f(&mut out, raw(6));
    }
    f(&mut out, raw(3));
    f(&mut out, raw(4));
    f(&mut out, hl7_timestamp(SystemTime::now()).as_bytes());
    f(&mut out, b"");
    // MSH-9.
    let version = raw(12);
    let (major, minor) = version_of(
        msh.and_then(|s| s.field(12))
            .and_then(|v| v.component(1))
            .map_or(&[][..], |v| v.raw()),
    );
    let trigger = msh
        .and_then(|s| s.field(9))
        .and_then(|v| v.component(2))
        .map_or(&[][..], |v| v.raw());
    out.push(d.field);
    out.extend_from_slice(b"ACK");
    if (major, minor) >= (2, 4) {
        out.push(d.component);
        out.extend_from_slice(trigger);
        out.push(d.component);
        out.extend_from_slice(b"ACK");
    } else if (major, minor) >= (2, 3) && !trigger.is_empty() {
        out.push(d.component);
        out.extend_from_slice(trigger);
    }
    out.push(d.field);
    text(&mut out, control_id);
    f(&mut out, raw(11));
    f(&mut out, version);
    let charset = raw(18);
    if !charset.is_empty() {
        for _ in 13..18 {
            out.push(d.field);
        }
        f(&mut out, charset);
    }
    out.push(b'\r');
    // MSA.
    out.extend_from_slice(b"MSA");
    f(&mut out, code.as_str().as_bytes());
    f(&mut out, raw(10));
    let old_err = (major, minor) < (2, 5);
    let shown: Vec<&AckError> = errors
        .iter()
        .filter(|e| options.include_warnings || e.severity == ErrSeverity::Error)
        .take(options.max_errors)
        .collect();
    if old_err && let Some(first) = shown.first() {
        out.push(d.field);
        text(&mut out, &truncate(&first.message, 80));
    }
    out.push(b'\r');
    for e in shown {
        write_err(&mut out, e, &d, old_err);
    }
    out
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The parts of a location path: segment id, segment sequence, field,
/// repetition, component, subcomponent (0 where absent).
fn location_parts(path: &str) -> Option<(String, [u32; 5])> {
    // The segment part is the last dot-separated name before `-` (group
    // prefixes such as `ORDER[1].OBR[2]-4` are skipped).
    let (seg_part, field_part) = match path.split_once('-') {
        Some((a, b)) => (a, Some(b)),
        None => (path, None),
    };
    let seg_part = seg_part.rsplit('.').next()?;
    let (id, seq) = split_index(seg_part);
    if id.len() != 3
        || !id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return None;
    }
    let mut nums = [seq.unwrap_or(1), 0, 0, 0, 0];
    if let Some(fp) = field_part {
        let mut parts = fp.split('.');
        let (field, rep) = split_index(parts.next().unwrap_or(""));
        nums[1] = field.parse().unwrap_or(0);
        nums[2] = rep.unwrap_or(u32::from(nums[1] > 0));
        nums[3] = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        nums[4] = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    }
    Some((id.to_owned(), nums))
}

/// `PID[2]` → (`PID`, Some(2)); `PID` → (`PID`, None).
fn split_index(s: &str) -> (&str, Option<u32>) {
    match s.split_once('[') {
        Some((name, rest)) => (name, rest.trim_end_matches(']').parse().ok()),
        None => (s, None),
    }
}

fn write_err(out: &mut Vec<u8>, e: &AckError, d: &Delimiters, old: bool) {
    let loc = location_parts(&e.location);
    let num = |n: u32| if n == 0 { String::new() } else { n.to_string() };
    let code = e.code.to_string();
    let code_text = error_code_text(e.code);
    out.extend_from_slice(b"ERR");
    out.push(d.field);
    if old {
        // ERR-1 (ELD): segment^sequence^field^code&text&HL70357.
        if let Some((id, n)) = &loc {
            out.extend_from_slice(id.as_bytes());
            out.push(d.component);
            out.extend_from_slice(num(n[0]).as_bytes());
            out.push(d.component);
            out.extend_from_slice(num(n[1]).as_bytes());
        } else {
            out.push(d.component);
            out.push(d.component);
        }
        out.push(d.component);
        out.extend_from_slice(code.as_bytes());
        out.push(d.subcomponent);
        escape_bytes(code_text.as_bytes(), d, out);
        out.push(d.subcomponent);
        out.extend_from_slice(b"HL70357");
        out.push(b'\r');
        return;
    }
    // ERR-1 empty, ERR-2 location.
    out.push(d.field);
    if let Some((id, n)) = &loc {
        out.extend_from_slice(id.as_bytes());
        let mut comps: Vec<String> = n.iter().map(|&v| num(v)).collect();
        while comps.last().is_some_and(String::is_empty) {
            comps.pop();
        }
        for c in comps {
            out.push(d.component);
            out.extend_from_slice(c.as_bytes());
        }
    }
    // ERR-3 code, ERR-4 severity.
    out.push(d.field);
    out.extend_from_slice(code.as_bytes());
    out.push(d.component);
    escape_bytes(code_text.as_bytes(), d, out);
    out.push(d.component);
    out.extend_from_slice(b"HL70357");
    out.push(d.field);
    out.extend_from_slice(e.severity.letter());
    // ERR-5..7 empty, ERR-8 user message.
    for _ in 5..=8 {
        out.push(d.field);
    }
    escape_bytes(truncate(&e.message, 250).as_bytes(), d, out);
    out.push(b'\r');
}

/// A minimal acknowledgement for bytes that hold no readable MSH: default
/// delimiters, version 2.5, MSA-2 empty.
pub fn build_bare_ack(code: AckCode, error: &AckError, control_id: &str) -> Vec<u8> {
    let d = Delimiters::default();
    let mut out = Vec::with_capacity(160);
    out.extend_from_slice(b"MSH|^~\\&|||||");
    out.extend_from_slice(hl7_timestamp(SystemTime::now()).as_bytes());
    out.extend_from_slice(b"||ACK^^ACK|");
    escape_bytes(control_id.as_bytes(), &d, &mut out);
    out.extend_from_slice(b"|P|2.5\rMSA|");
    out.extend_from_slice(code.as_str().as_bytes());
    out.extend_from_slice(b"|\r");
    write_err(&mut out, error, &d, false);
    out
}

/// Reads an acknowledgement: its MSA-1 code and MSA-2 control id.
///
/// # Errors
///
/// The bytes are not a message with an MSA segment and a known MSA-1 code;
/// the error says which.
pub fn read_ack(bytes: &[u8]) -> Result<(AckCode, String), String> {
    let msg = Message::parse(bytes).map_err(|e| format!("the response is not a message: {e}"))?;
    let msa: Segment<'_> = msg
        .segments_named("MSA")
        .next()
        .ok_or_else(|| "the response has no MSA segment".to_owned())?;
    let code_text = msa
        .field(1)
        .map(|v| v.text().into_owned())
        .unwrap_or_default();
    let code = code_text.parse::<AckCode>()?;
    let id = msa
        .field(2)
        .map(|v| v.text().into_owned())
        .unwrap_or_default();
    Ok((code, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack_of(input: &[u8], code: AckCode, errors: &[AckError]) -> String {
        let msg = Message::parse(input).unwrap();
        let out = build_ack(&msg, code, errors, "ACK1", &AckOptions::default());
        String::from_utf8(out).unwrap()
    }

    fn strip_time(s: &str) -> String {
        // MSH-7 is the only moving part.
        let sep = char::from(s.as_bytes()[3]);
        let mut parts: Vec<String> = s.splitn(8, sep).map(str::to_owned).collect();
        if parts.len() > 6 {
            parts[6] = "T".into();
        }
        parts.join(&sep.to_string())
    }

    #[test]
    fn original_mode_ack_swaps_and_echoes() {
        let s = ack_of(
            b"MSH|^~\\&|LAB|HOSP|EHR|CLINIC|20260101||ADT^A01^ADT_A01|MSG42|P|2.5.1\rPID|1\r",
            AckCode::ApplicationAccept,
            &[],
        );
        assert_eq!(
            strip_time(&s),
            "MSH|^~\\&|EHR|CLINIC|LAB|HOSP|T||ACK^A01^ACK|ACK1|P|2.5.1\rMSA|AA|MSG42\r"
        );
        let m = Message::parse(s.as_bytes()).unwrap();
        assert_eq!(m.get(&"MSH-7".parse().unwrap()).unwrap().text().len(), 19);
        assert_eq!(
            read_ack(s.as_bytes()).unwrap(),
            (AckCode::ApplicationAccept, "MSG42".into())
        );
    }

    #[test]
    fn sender_delimiters_and_old_versions() {
        let s = ack_of(
            b"MSH:;~\\&:A:B:C:D:2026::ORU;R01:X1:T:2.3\r",
            AckCode::ApplicationError,
            &[AckError {
                location: "PID[1]-7.1".into(),
                code: 102,
                severity: ErrSeverity::Error,
                message: "bad: date".into(),
            }],
        );
        assert_eq!(
            strip_time(&s),
            "MSH:;~\\&:C:D:A:B:T::ACK;R01:ACK1:T:2.3\rMSA:AE:X1:bad\\F\\ date\rERR:PID;1;7;102&Data type error&HL70357\r"
        );
        let s = ack_of(
            b"MSH|^~\\&|A|B|C|D|2026||ADT^A04|1|P|2.2\r",
            AckCode::ApplicationAccept,
            &[],
        );
        assert!(s.ends_with("||ACK|ACK1|P|2.2\rMSA|AA|1\r"), "{s}");
    }

    #[test]
    fn err_segments_from_v2_5() {
        let errs = [
            AckError {
                location: "ORDER[1].OBX[3]-5[2].1.2".into(),
                code: 101,
                severity: ErrSeverity::Error,
                message: "OBX-5 | missing".into(),
            },
            AckError {
                location: "PV1".into(),
                code: 100,
                severity: ErrSeverity::Warning,
                message: "PV1 missing".into(),
            },
            AckError {
                location: String::new(),
                code: 207,
                severity: ErrSeverity::Error,
                message: "store down".into(),
            },
        ];
        let s = ack_of(
            b"MSH|^~\\&#|A|B|C|D|2026||ORU^R01^ORU_R01|9|P|2.7|||AL|NE||UNICODE UTF-8\r",
            AckCode::ApplicationError,
            &errs,
        );
        let lines: Vec<&str> = s.split('\r').collect();
        assert!(lines[0].starts_with("MSH|^~\\&#|C|D|A|B|"), "{s}");
        assert!(
            lines[0].ends_with("||ACK^R01^ACK|ACK1|P|2.7||||||UNICODE UTF-8"),
            "{s}"
        );
        assert_eq!(lines[1], "MSA|AE|9");
        assert_eq!(
            lines[2],
            "ERR||OBX^3^5^2^1^2|101^Required field missing^HL70357|E||||OBX-5 \\F\\ missing"
        );
        assert_eq!(
            lines[3],
            "ERR||PV1^1|100^Segment sequence error^HL70357|W||||PV1 missing"
        );
        assert_eq!(
            lines[4],
            "ERR|||207^Application internal error^HL70357|E||||store down"
        );
    }

    #[test]
    fn modes_and_conditions() {
        let m = Message::parse(b"MSH|^~\\&|A|B|C|D|2026||ADT^A01|1|P|2.5\r").unwrap();
        assert_eq!(AckMode::of(&m), AckMode::Original);
        let m = Message::parse(b"MSH|^~\\&|A|B|C|D|2026||ADT^A01|1|P|2.5|||AL|ER\r").unwrap();
        let AckMode::Enhanced {
            accept,
            application,
        } = AckMode::of(&m)
        else {
            panic!()
        };
        assert!(accept.wants(AckCode::CommitAccept));
        assert!(!application.wants(AckCode::ApplicationAccept));
        assert!(application.wants(AckCode::ApplicationError));
        assert!(AckCondition::OnSuccess.wants(AckCode::CommitAccept));
        assert!(!AckCondition::Never.wants(AckCode::CommitReject));
        assert_eq!(Verdict::Error.accept_code(), AckCode::CommitAccept);
        assert_eq!(Verdict::InternalFailure.accept_code(), AckCode::CommitError);
        assert_eq!(
            Verdict::Reject.application_code(),
            AckCode::ApplicationReject
        );
    }

    #[test]
    fn timestamps_and_ids() {
        assert_eq!(hl7_timestamp(UNIX_EPOCH), "19700101000000+0000");
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_772_323_199); // 2026-02-28 23:59:59
        assert_eq!(hl7_timestamp(t), "20260228235959+0000");
        let (a, b) = (next_control_id(), next_control_id());
        assert_ne!(a, b);
        assert!(a.len() <= 20);
    }

    #[test]
    fn bare_ack_and_bad_responses() {
        let e = AckError {
            location: String::new(),
            code: 100,
            severity: ErrSeverity::Error,
            message: "no MSH".into(),
        };
        let s = build_bare_ack(AckCode::ApplicationError, &e, "Z1");
        assert_eq!(
            read_ack(&s).unwrap(),
            (AckCode::ApplicationError, String::new())
        );
        assert!(
            read_ack(b"MSH|^~\\&|A\rPID|1\r")
                .unwrap_err()
                .contains("no MSA")
        );
        assert!(
            read_ack(b"MSH|^~\\&|A\rMSA|ZZ|1\r")
                .unwrap_err()
                .contains("unknown")
        );
        assert!(read_ack(b"hello").is_err());
    }
}

//! `hl7 store list|show|export`: looking into the listener's message store.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Args, Subcommand, ValueEnum};
use hl7_runtime::store::{Filter, SqliteStore, Status, Store, StoreError, Summary};

/// The store `hl7 serve` writes when given no `--store`.
pub(crate) const DEFAULT_STORE: &str = "hl7-store.sqlite";

/// `hl7 store`: the subcommand and the store it reads.
#[derive(Args, Debug)]
pub(crate) struct StoreArgs {
    #[command(subcommand)]
    command: StoreCommand,
    /// The store file (the one `hl7 serve` writes).
    #[arg(long, global = true, value_name = "PATH", default_value = DEFAULT_STORE)]
    store: PathBuf,
}

#[derive(Subcommand, Debug)]
enum StoreCommand {
    /// List the stored messages, oldest first: id, time received (UTC),
    /// peer, control id, type, ACK code, status, the record it duplicates
    /// and how many validation findings it has.
    List {
        #[command(flatten)]
        filter: FilterArgs,
        /// Table for people, or JSON Lines (one object per record).
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Show one record: its metadata, findings, the message (one segment
    /// per line) and the ACK that was sent.
    Show {
        /// The record's id (the first column of `hl7 store list`).
        id: i64,
    },
    /// Write the stored messages as ER7, one after another with CR segment
    /// terminators, ready to be sent again with `hl7 send`.
    Export {
        #[command(flatten)]
        filter: FilterArgs,
        /// Leave out records that duplicate an earlier one (same sending
        /// application, facility and control id).
        #[arg(long)]
        skip_duplicates: bool,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

/// Output of `hl7 store list`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Json,
}

/// Which records `list` and `export` take.
#[derive(Args, Debug)]
struct FilterArgs {
    /// Only this message type (MSH-9) or types starting with it: `ADT`,
    /// `ADT^A01`, `ADT^A01^ADT_A01`.
    #[arg(long = "type", value_name = "TYPE")]
    message_type: Option<String>,
    /// Only records whose ACK meant this: `accepted` (AA, CA), `error`
    /// (AE, CE) or `rejected` (AR, CR).
    #[arg(long, value_parser = parse_status)]
    status: Option<Status>,
    /// Only records received at or after TIME: `2026-12-04T10:00:00Z`,
    /// `2026-12-04T11:00:00+01:00`, `2026-12-04` (midnight UTC; a time
    /// without an offset is UTC), or a span back from now: `30m`, `1h`,
    /// `2d`, `1h30m`.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    since: Option<SystemTime>,
    /// Only records received before TIME (same forms as --since).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    until: Option<SystemTime>,
    /// Only records with this control id (MSH-10).
    #[arg(long, value_name = "ID")]
    control_id: Option<String>,
    /// At most N records.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Newest first (with --limit: the latest N).
    #[arg(long)]
    newest: bool,
}

impl FilterArgs {
    fn filter(&self) -> Filter {
        let mut filter = Filter::new().newest_first(self.newest);
        filter.message_type.clone_from(&self.message_type);
        filter.status = self.status;
        filter.since = self.since;
        filter.until = self.until;
        filter.control_id.clone_from(&self.control_id);
        filter.limit = self.limit;
        filter
    }
}

/// Runs `hl7 store ...`. Exit status: 0 when all is well, 1 when `show`
/// finds no such record, 2 when the store cannot be read or output cannot
/// be written.
pub(crate) fn run(args: &StoreArgs) -> ExitCode {
    let store = match SqliteStore::open_read_only(&args.store) {
        Ok(store) => store,
        Err(e) => {
            report(&e);
            return ExitCode::from(2);
        }
    };
    let result = match &args.command {
        StoreCommand::List { filter, format } => store
            .list(&filter.filter())
            .map_err(Failure::Store)
            .and_then(|rows| {
                to_stdout(|out| match format {
                    Format::Table => write_table(&rows, out),
                    Format::Json => write_json_lines(&rows, out),
                })
            }),
        StoreCommand::Show { id } => match store.get(*id) {
            Ok(Some(record)) => to_stdout(|out| write_record(&record, out)),
            Ok(None) => {
                eprintln!("hl7: {}: no record {id}", args.store.display());
                return ExitCode::from(1);
            }
            Err(e) => Err(Failure::Store(e)),
        },
        StoreCommand::Export {
            filter,
            skip_duplicates,
            output,
        } => export(
            &store,
            &filter.filter(),
            *skip_duplicates,
            output.as_deref(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Store(e)) => {
            report(&e);
            ExitCode::from(2)
        }
        // A closed pipe (`hl7 store list | head`) is not an error.
        Err(Failure::Output(_, e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Failure::Output(to, e)) => {
            eprintln!("hl7: writing {to}: {e}");
            ExitCode::from(2)
        }
    }
}

enum Failure {
    Store(StoreError),
    /// Where the output was going, and what went wrong.
    Output(String, io::Error),
}

fn report(e: &StoreError) {
    if e.is_missing() {
        eprintln!("hl7: {e} (the listener creates it; give the store's path with --store PATH)");
    } else {
        eprintln!("hl7: {e}");
    }
}

fn to_stdout(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), Failure> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    f(&mut out)
        .and_then(|()| out.flush())
        .map_err(|e| Failure::Output("output".into(), e))
}

fn write_table(rows: &[Summary], out: &mut dyn Write) -> io::Result<()> {
    const HEADER: [&str; 9] = [
        "ID",
        "RECEIVED",
        "PEER",
        "CONTROL ID",
        "TYPE",
        "ACK",
        "STATUS",
        "DUP OF",
        "FINDINGS",
    ];
    let cells: Vec<[String; 9]> = rows
        .iter()
        .map(|s| {
            [
                s.id.to_string(),
                format_time(s.received_at),
                s.peer.clone(),
                s.control_id.clone(),
                s.message_type.clone(),
                s.ack_code.clone(),
                s.status.to_string(),
                s.duplicate_of.map_or_else(|| "-".into(), |d| d.to_string()),
                s.findings.map_or_else(|| "?".into(), |n| n.to_string()),
            ]
        })
        .collect();
    let mut widths = HEADER.map(|h| h.chars().count());
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut dyn Write, row: &[&str]| -> io::Result<()> {
        let mut text = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            // Numbers to the right, text to the left; no trailing spaces.
            let right = matches!(i, 0 | 7 | 8);
            let pad = " ".repeat(w - cell.chars().count());
            if i > 0 {
                text.push_str("  ");
            }
            if right {
                text.push_str(&pad);
                text.push_str(cell);
            } else {
                text.push_str(cell);
                if i + 1 < row.len() {
                    text.push_str(&pad);
                }
            }
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(out, &HEADER)?;
    for row in &cells {
        line(out, &row.each_ref().map(String::as_str))?;
    }
    Ok(())
}

fn write_json_lines(rows: &[Summary], out: &mut dyn Write) -> io::Result<()> {
    for s in rows {
        let value = serde_json::json!({
            "id": s.id,
            "received_at": format_time(s.received_at),
            "peer": s.peer,
            "control_id": s.control_id,
            "sending_app": s.sending_app,
            "sending_facility": s.sending_facility,
            "message_type": s.message_type,
            "version": s.version,
            "status": s.status.as_str(),
            "ack_code": s.ack_code,
            "findings": s.findings,
            "duplicate_of": s.duplicate_of,
            "bytes": s.raw_len,
        });
        writeln!(out, "{value}")?;
    }
    Ok(())
}

fn write_record(r: &hl7_runtime::store::StoredRecord, out: &mut dyn Write) -> io::Result<()> {
    let rec = &r.record;
    writeln!(out, "id            {}", r.id)?;
    writeln!(out, "received      {}", format_time(rec.received_at))?;
    writeln!(out, "peer          {}", rec.peer)?;
    writeln!(out, "sending app   {}", rec.sending_app)?;
    writeln!(out, "facility      {}", rec.sending_facility)?;
    writeln!(out, "type          {}", rec.message_type)?;
    writeln!(out, "control id    {}", rec.control_id)?;
    writeln!(out, "version       {}", rec.version)?;
    writeln!(out, "status        {} ({})", rec.status, rec.ack_code)?;
    if let Some(first) = r.duplicate_of {
        writeln!(out, "duplicate of  {first}")?;
    }
    match serde_json::from_str::<serde_json::Value>(&rec.findings) {
        Ok(serde_json::Value::Array(findings)) => {
            writeln!(out, "findings      {}", findings.len())?;
            for f in findings {
                writeln!(out, "  {f}")?;
            }
        }
        // Kept as given; shown as given.
        _ => writeln!(out, "findings      {}", rec.findings)?,
    }
    writeln!(out, "\nmessage ({} bytes)", rec.raw.len())?;
    write_segments(&rec.raw, b"\n", out)?;
    writeln!(out, "\nACK ({} bytes)", rec.ack.len())?;
    write_segments(&rec.ack, b"\n", out)
}

/// Writes each segment of `message` (ending in CR, LF or CRLF, or in
/// nothing at the end) followed by `terminator`; blank lines are dropped.
/// The bytes of the segments are written as they are.
fn write_segments(message: &[u8], terminator: &[u8], out: &mut dyn Write) -> io::Result<()> {
    for segment in message.split(|&b| b == b'\r' || b == b'\n') {
        if !segment.is_empty() {
            out.write_all(segment)?;
            out.write_all(terminator)?;
        }
    }
    Ok(())
}

fn export(
    store: &SqliteStore,
    filter: &Filter,
    skip_duplicates: bool,
    output: Option<&Path>,
) -> Result<(), Failure> {
    let rows = store.list(filter).map_err(Failure::Store)?;
    let write = |out: &mut dyn Write| -> Result<usize, Failure> {
        let mut written = 0;
        for s in rows
            .iter()
            .filter(|s| !skip_duplicates || s.duplicate_of.is_none())
        {
            // Listed a moment ago; a record cannot disappear from the store.
            let Some(record) = store.get(s.id).map_err(Failure::Store)? else {
                continue;
            };
            write_segments(&record.record.raw, b"\r", out)
                .map_err(|e| Failure::Output(output_name(output), e))?;
            written += 1;
        }
        Ok(written)
    };
    match output {
        None => {
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            write(&mut out)?;
            out.flush()
                .map_err(|e| Failure::Output(output_name(output), e))
        }
        Some(path) => {
            let file =
                std::fs::File::create(path).map_err(|e| Failure::Output(output_name(output), e))?;
            let mut out = io::BufWriter::new(file);
            let written = write(&mut out)?;
            out.flush()
                .map_err(|e| Failure::Output(output_name(output), e))?;
            eprintln!("hl7: {written} message(s) written to {}", path.display());
            Ok(())
        }
    }
}

fn output_name(output: Option<&Path>) -> String {
    output.map_or_else(|| "output".into(), |p| p.display().to_string())
}

fn parse_status(s: &str) -> Result<Status, String> {
    s.parse()
        .map_err(|e: hl7_runtime::store::UnknownStatus| e.to_string())
}

/// A `--since`/`--until` value: RFC 3339 (`2026-12-04T10:00:00Z`, with
/// fractions and offsets; `T` or a space; no offset means UTC), a date
/// (`2026-12-04`, midnight UTC) or a span back from now (`30m`, `1h30m`).
fn parse_time(s: &str) -> Result<SystemTime, String> {
    let s = s.trim();
    if let Some(span) = parse_span(s) {
        return SystemTime::now()
            .checked_sub(span)
            .ok_or_else(|| format!("'{s}' reaches too far back"));
    }
    parse_timestamp(s).ok_or_else(|| {
        format!(
            "'{s}' is not a time: write 2026-12-04T10:00:00Z, 2026-12-04, or a span back from now such as 30m, 1h, 2d"
        )
    })
}

/// `1h`, `30m`, `45s`, `2d`, `1w`, `1h30m`: a sum of numbers with units.
fn parse_span(s: &str) -> Option<Duration> {
    if s.is_empty() || !s.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    let mut total: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let n: u64 = rest[..digits].parse().ok()?;
        let unit = rest[digits..].chars().next()?;
        let seconds = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(seconds)?)?;
        rest = &rest[digits + unit.len_utf8()..];
    }
    Some(Duration::from_secs(total))
}

/// `YYYY-MM-DD`, optionally followed by `T` or a space, `hh:mm[:ss[.frac]]`
/// and `Z`, `±hh:mm` or `±hhmm`.
fn parse_timestamp(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(range)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut seconds = days_from_civil(year, month, day) * 86_400;
    let mut micros = 0;
    if b.len() > 10 {
        if !matches!(b[10], b'T' | b't' | b' ') {
            return None;
        }
        let (hour, minute) = (num(11..13)?, num(14..16)?);
        if b.get(13) != Some(&b':') || hour > 23 || minute > 59 {
            return None;
        }
        seconds += hour * 3600 + minute * 60;
        let mut at = 16;
        if b.get(at) == Some(&b':') {
            let second = num(17..19)?;
            if second > 60 {
                return None;
            }
            seconds += second;
            at = 19;
            if b.get(at) == Some(&b'.') {
                let digits = b[at + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_digit())
                    .count();
                if digits == 0 {
                    return None;
                }
                let fraction = &s[at + 1..at + 1 + digits.min(6)];
                micros = fraction.parse::<i64>().ok()? * 10_i64.pow(6 - fraction.len() as u32);
                at += 1 + digits;
            }
        }
        match &s[at..] {
            "" | "Z" | "z" => {}
            zone => {
                let sign = match zone.as_bytes()[0] {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                let digits: String = zone[1..].chars().filter(|&c| c != ':').collect();
                if digits.len() != 4 || zone.len() > 6 {
                    return None;
                }
                let (h, m): (i64, i64) = (digits[..2].parse().ok()?, digits[2..].parse().ok()?);
                if h > 23 || m > 59 {
                    return None;
                }
                seconds -= sign * (h * 3600 + m * 60);
            }
        }
    }
    let total = Duration::from_micros(seconds.unsigned_abs() * 1_000_000 + micros.unsigned_abs());
    if seconds >= 0 {
        UNIX_EPOCH.checked_add(total)
    } else {
        // Before 1970: whole seconds back, then the fraction forward.
        UNIX_EPOCH
            .checked_sub(Duration::from_secs(seconds.unsigned_abs()))?
            .checked_add(Duration::from_micros(micros.unsigned_abs()))
    }
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (`civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// RFC 3339 in UTC with milliseconds: `2026-12-04T10:00:00.123Z`.
fn format_time(time: SystemTime) -> String {
    let micros: i64 = match time.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_micros()).map_or(i64::MIN, |m| -m),
    };
    let millis = micros.div_euclid(1000);
    let (seconds, ms) = (millis.div_euclid(1000), millis.rem_euclid(1000));
    let (days, of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn timestamps_parse_in_their_forms() {
        // 2026-12-04T10:00:00Z
        let ten = at(1_796_378_400);
        assert_eq!(parse_timestamp("2026-12-04T10:00:00Z"), Some(ten));
        assert_eq!(parse_timestamp("2026-12-04 10:00:00"), Some(ten));
        assert_eq!(parse_timestamp("2026-12-04T10:00"), Some(ten));
        assert_eq!(parse_timestamp("2026-12-04T11:00:00+01:00"), Some(ten));
        assert_eq!(parse_timestamp("2026-12-04T05:00:00-0500"), Some(ten));
        assert_eq!(parse_timestamp("2026-12-04"), Some(at(1_796_342_400)));
        assert_eq!(
            parse_timestamp("2026-12-04T10:00:00.25Z"),
            Some(ten + Duration::from_millis(250))
        );
        assert_eq!(parse_timestamp("1970-01-01"), Some(UNIX_EPOCH));
        assert_eq!(
            parse_timestamp("1969-12-31T23:59:59.5Z"),
            Some(UNIX_EPOCH - Duration::from_millis(500))
        );
        assert_eq!(parse_timestamp("2024-02-29"), Some(at(1_709_164_800)));
        for bad in [
            "2026-13-01",
            "2026-02-30",
            "2025-02-29",
            "2026-12-04T25:00",
            "2026-12-04X10:00",
            "2026-12-04T10:00:00+1",
            "2026-12-04T10:00:00.Z",
            "2026/12/04",
            "yesterday",
            "",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn spans_count_back_from_now() {
        assert_eq!(parse_span("30m"), Some(Duration::from_mins(30)));
        assert_eq!(parse_span("1h30m"), Some(Duration::from_mins(90)));
        assert_eq!(parse_span("2d"), Some(Duration::from_hours(48)));
        assert_eq!(parse_span("1w"), Some(Duration::from_hours(168)));
        assert_eq!(parse_span("45s"), Some(Duration::from_secs(45)));
        for bad in ["1", "h", "1y", "1h30", "-1h", "99999999999999999999h"] {
            assert_eq!(parse_span(bad), None, "{bad}");
        }
        let an_hour_ago = parse_time("1h").unwrap();
        let age = SystemTime::now().duration_since(an_hour_ago).unwrap();
        assert!(age >= Duration::from_hours(1) && age < Duration::from_mins(61));
        assert!(parse_time("soon").unwrap_err().contains("is not a time"));
    }

    #[test]
    fn times_print_as_rfc_3339_utc() {
        assert_eq!(format_time(at(1_796_378_400)), "2026-12-04T10:00:00.000Z");
        assert_eq!(
            format_time(at(1_709_164_800) + Duration::from_micros(123_999)),
            "2024-02-29T00:00:00.123Z"
        );
        assert_eq!(
            format_time(UNIX_EPOCH - Duration::from_millis(1)),
            "1969-12-31T23:59:59.999Z"
        );
        for t in ["2000-02-29T12:34:56.789Z", "2100-03-01T00:00:00.000Z"] {
            assert_eq!(format_time(parse_timestamp(t).unwrap()), t);
        }
    }
}

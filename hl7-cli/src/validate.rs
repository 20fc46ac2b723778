//! `hl7 validate`: check messages against a conformance profile, a directory
//! of profiles, or a bundled HL7 version.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::ValueEnum;
use hl7_runtime::er7::parse_stream;
use hl7_runtime::validate::{
    Catalog, Code, Finding, LengthMode, Location, Options, Policy, Report, Severity,
};

/// Validate messages against a conformance profile, a directory of
/// profiles, or the standard structures of an HL7 version.
///
/// PROFILE_OR_DIR is a TOML site profile, an MWB or NIST/IGAMT profile (its
/// XML file or the folder holding its files), a directory of profiles (each
/// message is checked against the one its MSH-21 names, else the one with
/// its MSH-9 type and event, preferring MSH-12's version), or a bundled HL7
/// version such as `2.5.1`: each message is then checked against the
/// standard structure of its event in that version (`hl7 profile versions`
/// lists them).
///
/// Inputs are files, directories (every file in them, not recursing), or
/// `-` / nothing for standard input.
///
/// Output: with `--format human` (the default) each finding reads like a
/// compiler message: severity and code, the message, `file:line:column`
/// (lines of the file), the segment with the offending value marked, then a
/// summary. With `--format json` each message is one JSON object on one
/// line of standard output: {file, index, offset, control_id,
/// message_type, profile, valid, findings: [{severity, code, location,
/// line, column, offset, message}]}, where line and column are within the
/// message (MSH is line 1) and offsets are bytes in the file; the summary
/// then goes to standard error.
///
/// Codes: 100 segment sequence (unexpected, out of order or missing
/// segment), 101 required field missing, 102 data type, 103 table value,
/// 200/201/203 unsupported message type/event/version, 207 profile problem;
/// and not-supported, usage-re, cardinality, length, constant, extra,
/// escape, structure, statement, inconclusive, unparseable, truncated.
/// Lengths are measured on the decoded value unless `--length escaped`.
///
/// Exit status: 0 when no message has an error (warnings allowed), 1 when
/// any has (an unparseable message counts), 2 for usage errors, a profile
/// that does not load, or an input that cannot be read.
#[derive(clap::Args, Debug)]
#[command(verbatim_doc_comment)]
pub(crate) struct Args {
    /// Profile file, directory of profiles, NIST profile folder, or HL7
    /// version (2.5.1).
    #[arg(long, value_name = "PROFILE_OR_DIR")]
    profile: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Override the severity of a finding code, e.g. `length=info` or
    /// `101=warning` (repeatable).
    #[arg(long = "severity", value_name = "CODE=LEVEL")]
    severities: Vec<String>,
    /// A site policy file of `code = level` lines (TOML-compatible).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// At most this many findings per message.
    #[arg(long, default_value_t = 100, value_name = "N")]
    max_findings: usize,
    /// Measure lengths on the decoded value or on the bytes as written.
    #[arg(long, value_enum, default_value = "decoded")]
    length: Length,
    /// How many of the most frequent findings the summary lists.
    #[arg(long, default_value_t = 10, value_name = "N")]
    top: usize,
    /// Files or directories to read (`-` or none for standard input).
    inputs: Vec<PathBuf>,
}

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Compiler-style text.
    Human,
    /// One JSON object per message per line.
    Json,
}

/// `--length`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Length {
    /// Characters of the decoded value.
    Decoded,
    /// Bytes as written, escapes included.
    Escaped,
}

/// Counts for the summary.
#[derive(Default)]
struct Summary {
    read: usize,
    valid: usize,
    invalid: usize,
    unparseable: usize,
    by_severity: [usize; 3],
    /// (code, generic path) → count.
    frequent: HashMap<(String, String), usize>,
}

impl Summary {
    fn add(&mut self, report: &Report) {
        self.read += 1;
        if report.is_valid() {
            self.valid += 1;
        } else {
            self.invalid += 1;
        }
        for f in &report.findings {
            self.by_severity[f.severity as usize] += 1;
            *self
                .frequent
                .entry((f.code.to_string(), generic_path(&f.location.path)))
                .or_default() += 1;
        }
    }

    fn write(&self, out: &mut dyn Write, top: usize) -> io::Result<()> {
        writeln!(
            out,
            "{} messages read: {} valid, {} invalid{}; {} errors, {} warnings, {} notes",
            self.read,
            self.valid,
            self.invalid,
            if self.unparseable > 0 {
                format!(" ({} unparseable)", self.unparseable)
            } else {
                String::new()
            },
            self.by_severity[Severity::Error as usize],
            self.by_severity[Severity::Warning as usize],
            self.by_severity[Severity::Info as usize],
        )?;
        let mut list: Vec<(&(String, String), &usize)> = self.frequent.iter().collect();
        list.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        if !list.is_empty() && top > 0 {
            writeln!(out, "most frequent findings:")?;
            for ((code, path), n) in list.into_iter().take(top) {
                writeln!(out, "  {n:>7}  {code:<13} {path}")?;
            }
        }
        Ok(())
    }
}

/// `OBX[12]-3[2].7` → `OBX-3.7`: the path without occurrence indices, to
/// count the same problem across messages.
fn generic_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// A progress line on stderr, for large inputs when stderr is a terminal.
struct Progress {
    total: usize,
    done: usize,
    last: Instant,
    shown: bool,
    enabled: bool,
}

impl Progress {
    fn new(total: usize) -> Self {
        Progress {
            total,
            done: 0,
            last: Instant::now(),
            shown: false,
            enabled: total >= 4 << 20 && io::stderr().is_terminal(),
        }
    }

    fn advance(&mut self, bytes: usize, messages: usize) {
        self.done += bytes;
        if !self.enabled || self.last.elapsed() < Duration::from_millis(100) {
            return;
        }
        self.last = Instant::now();
        let pct = self.done * 100 / self.total.max(1);
        let filled = pct * 30 / 100;
        eprint!(
            "\r[{}{}] {pct:>3}% {messages} messages",
            "#".repeat(filled),
            " ".repeat(30 - filled)
        );
        self.shown = true;
    }

    fn clear(&mut self) {
        if self.shown {
            eprint!("\r{}\r", " ".repeat(60));
            self.shown = false;
        }
    }
}

fn options(args: &Args) -> Result<Options, String> {
    let mut policy = Policy::default();
    if let Some(p) = &args.policy {
        let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
        policy = Policy::parse(&text).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    for s in &args.severities {
        let (code, level) = s
            .split_once('=')
            .ok_or_else(|| format!("--severity {s}: expected CODE=LEVEL"))?;
        let code: Code = code.parse()?;
        policy.set(code, level.parse()?);
    }
    Ok(Options::default()
        .policy(policy)
        .max_findings(args.max_findings)
        .length(match args.length {
            Length::Decoded => LengthMode::Decoded,
            Length::Escaped => LengthMode::Escaped,
        }))
}

/// Files to read: each FILE, every regular file of each DIR (sorted, hidden
/// ones skipped), or standard input.
fn expand(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    if inputs.is_empty() {
        return Ok(vec![PathBuf::from("-")]);
    }
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.is_file()
                        && !f
                            .file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let options = match options(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("hl7: {e}");
            return ExitCode::from(2);
        }
    };
    let (mut catalog, warnings) = match Catalog::open(&args.profile, options) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("hl7: {e}");
            return ExitCode::from(2);
        }
    };
    for w in warnings {
        eprintln!("hl7: warning: skipped profile {w}");
    }
    let files = match expand(&args.inputs) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("hl7: {e}");
            return ExitCode::from(2);
        }
    };
    let mut io_failed = false;
    let mut inputs = Vec::new();
    for f in files {
        let (name, read) = if f.as_os_str() == "-" {
            let mut buf = Vec::new();
            (
                "<stdin>".to_owned(),
                io::stdin().read_to_end(&mut buf).map(|_| buf),
            )
        } else {
            (f.display().to_string(), std::fs::read(&f))
        };
        match read {
            Ok(bytes) => inputs.push((name, bytes)),
            Err(e) => {
                eprintln!("hl7: {name}: {e}");
                io_failed = true;
            }
        }
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut summary = Summary::default();
    let total: usize = inputs.iter().map(|(_, b)| b.len()).sum();
    let mut progress = Progress::new(total);
    let result = (|| -> io::Result<()> {
        for (name, bytes) in &inputs {
            let lines = LineIndex::new(bytes);
            let mut last_end = 0;
            for (index, item) in parse_stream(bytes).enumerate() {
                let (report, offset) = match item {
                    Ok(msg) => {
                        let r = catalog.validate(&msg);
                        let end = msg.offset() + msg.as_bytes().len();
                        progress.advance(end.saturating_sub(last_end), summary.read + 1);
                        last_end = end;
                        (r, msg.offset())
                    }
                    Err(e) => {
                        summary.unparseable += 1;
                        (unparseable(&e), e.offset())
                    }
                };
                summary.add(&report);
                match args.format {
                    Format::Json => json(&mut out, name, index, offset, &report)?,
                    Format::Human => {
                        progress.clear();
                        human(&mut out, name, index, bytes, &lines, &report)?;
                    }
                }
            }
        }
        progress.clear();
        match args.format {
            Format::Human => {
                if summary.read > 0 && summary.by_severity.iter().sum::<usize>() > 0 {
                    writeln!(out)?;
                }
                summary.write(&mut out, args.top)?;
            }
            Format::Json => {
                out.flush()?;
                summary.write(&mut io::stderr().lock(), args.top)?;
            }
        }
        out.flush()
    })();
    match result {
        Ok(()) | Err(_) if io_failed => ExitCode::from(2),
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            eprintln!("hl7: writing output: {e}");
            ExitCode::from(2)
        }
        _ if summary.invalid > 0 => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

/// The report of a message that could not be parsed.
fn unparseable(e: &hl7_runtime::er7::ParseError) -> Report {
    Report {
        findings: vec![Finding {
            severity: Severity::Error,
            code: Code::Unparseable,
            location: Location {
                path: e
                    .segment()
                    .map(|(id, n)| match e.field() {
                        Some(f) => format!("{id}[{n}]-{f}"),
                        None => format!("{id}[{n}]"),
                    })
                    .unwrap_or_default(),
                segment: None,
                line: 0,
                column: 0,
                offset: e.offset(),
                len: 0,
            },
            message: e.reason().to_owned(),
        }],
        ..Report::default()
    }
}

/// Start offsets of the lines of an input (CR, LF and CRLF all end one).
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(bytes: &[u8]) -> Self {
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    starts.push(i + 2);
                    i += 2;
                    continue;
                }
                b'\r' | b'\n' => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex { starts }
    }

    /// 0-based line of an offset.
    fn line_of(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }
}

fn human(
    out: &mut dyn Write,
    file: &str,
    index: usize,
    bytes: &[u8],
    lines: &LineIndex,
    report: &Report,
) -> io::Result<()> {
    for f in &report.findings {
        writeln!(out, "{}[{}]: {}", f.severity, f.code, f.message)?;
        let off = f.location.offset.min(bytes.len());
        let line = lines.line_of(off);
        let start = lines.starts[line];
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'\r' || b == b'\n')
            .map_or(bytes.len(), |p| start + p);
        let col = off - start;
        let mut context = format!("message {}", index + 1);
        if let Some(t) = &report.message_type {
            let _ = write!(context, ", {t}");
        }
        if let Some(c) = &report.control_id {
            let _ = write!(context, ", control id {c}");
        }
        if let Some(p) = &report.profile {
            let _ = write!(context, ", profile {p}");
        }
        writeln!(
            out,
            "  --> {file}:{}:{} ({}; {context})",
            line + 1,
            col + 1,
            if f.location.path.is_empty() {
                "?"
            } else {
                &f.location.path
            }
        )?;
        if start < end || f.code != Code::Unparseable {
            // Show at most ~100 characters of the segment around the value.
            let (from, prefix) = if col > 60 {
                (start + col - 40, "…")
            } else {
                (start, "")
            };
            let to = end.min(from + 100);
            let text = String::from_utf8_lossy(&bytes[from..to]);
            let suffix = if to < end { "…" } else { "" };
            let num = (line + 1).to_string();
            let pad = " ".repeat(num.len());
            writeln!(out, "{pad} |")?;
            writeln!(out, "{num} | {prefix}{text}{suffix}")?;
            let lead = String::from_utf8_lossy(&bytes[from..off.min(to).max(from)])
                .chars()
                .count()
                + prefix.chars().count();
            let width = if f.location.len == 0 {
                1
            } else {
                String::from_utf8_lossy(&bytes[off..(off + f.location.len).min(to).max(off)])
                    .chars()
                    .count()
                    .max(1)
            };
            writeln!(out, "{pad} | {}{}", " ".repeat(lead), "^".repeat(width))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn json(
    out: &mut dyn Write,
    file: &str,
    index: usize,
    offset: usize,
    report: &Report,
) -> io::Result<()> {
    let mut s = String::with_capacity(256);
    s.push_str("{\"file\":");
    json_str(&mut s, file);
    let _ = write!(s, ",\"index\":{index},\"offset\":{offset},\"control_id\":");
    json_opt(&mut s, report.control_id.as_deref());
    s.push_str(",\"message_type\":");
    json_opt(&mut s, report.message_type.as_deref());
    s.push_str(",\"profile\":");
    json_opt(&mut s, report.profile.as_deref());
    let _ = write!(s, ",\"valid\":{},\"findings\":[", report.is_valid());
    for (i, f) in report.findings.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str("{\"severity\":");
        json_str(&mut s, f.severity.as_str());
        s.push_str(",\"code\":");
        json_str(&mut s, f.code.as_str());
        s.push_str(",\"location\":");
        json_str(&mut s, &f.location.path);
        let _ = write!(
            s,
            ",\"line\":{},\"column\":{},\"offset\":{},\"message\":",
            f.location.line, f.location.column, f.location.offset
        );
        json_str(&mut s, &f.message);
        s.push('}');
    }
    s.push_str("]}");
    writeln!(out, "{s}")
}

fn json_opt(s: &mut String, v: Option<&str>) {
    match v {
        Some(v) => json_str(s, v),
        None => s.push_str("null"),
    }
}

fn json_str(s: &mut String, v: &str) {
    s.push('"');
    for c in v.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(s, "\\u{:04x}", u32::from(c));
            }
            c => s.push(c),
        }
    }
    s.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_paths_drop_indices() {
        assert_eq!(generic_path("OBX[12]-3[2].7"), "OBX-3.7");
        assert_eq!(
            generic_path("PATIENT_RESULT[1].ORDER_OBSERVATION[2].OBR"),
            "PATIENT_RESULT.ORDER_OBSERVATION.OBR"
        );
    }

    #[test]
    fn line_index_handles_every_terminator() {
        let l = LineIndex::new(b"a\rb\nc\r\nd");
        assert_eq!(l.starts, vec![0, 2, 4, 7]);
        assert_eq!(l.line_of(0), 0);
        assert_eq!(l.line_of(5), 2);
        assert_eq!(l.line_of(7), 3);
    }

    #[test]
    fn json_strings_are_escaped() {
        let mut s = String::new();
        json_str(&mut s, "a\"b\\c\rd\u{1}");
        assert_eq!(s, r#""a\"b\\c\rd\u0001""#);
    }
}

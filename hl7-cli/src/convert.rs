//! `hl7 convert`: ER7, structural JSON and HL7 v2 XML, in any direction.
//!
//! * ER7 input may hold many messages (back to back, or in FHS/BHS batches);
//!   ER7 output is each message with CR terminators.
//! * JSON output is JSON Lines: one structural-JSON object per message, one
//!   per line. JSON input is any sequence of JSON objects (JSON Lines, or
//!   pretty-printed objects one after another); after a syntax error reading
//!   goes on at the next line.
//! * With `--profile`, JSON (read or written) is named JSON: the profile's
//!   names for segments, groups, fields and components.
//! * XML output is one document: the message element itself for a single
//!   message, or an `<HL7Messages>` element holding one message element per
//!   message when there are several (or none). XML input may be either.

use std::io::{self, Write};
use std::path::Path;

use clap::ValueEnum;
use hl7_runtime::er7::{Message, parse_stream};
use hl7_runtime::json::named::NamedJson;
use hl7_runtime::{json, xml};
use hl7_schema::profile::{Profile, Severity};

use crate::{Input, Status};

/// An encoding `hl7 convert` reads or writes.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// HL7's pipe-delimited encoding.
    Er7,
    /// Structural JSON (lossless), one message per line.
    Json,
    /// The HL7 v2 XML encoding (lossless).
    Xml,
}

/// `--profile` asks for named JSON: loads the profile (every problem is
/// reported) and checks the directions.
pub(crate) fn load_profile(
    profile: Option<&Path>,
    from: Encoding,
    to: Encoding,
) -> Result<Option<Profile>, String> {
    let Some(path) = profile else {
        return Ok(None);
    };
    if to != Encoding::Json && from != Encoding::Json {
        return Err(format!(
            "--profile {}: the profile names the fields of JSON (`--to json` or `--from json`); \
             ER7 and XML need none",
            path.display()
        ));
    }
    let loaded = hl7_schema::profile::load(path);
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .map(ToString::to_string)
        .collect();
    match loaded.profile {
        Some(p) if errors.is_empty() => Ok(Some(p)),
        _ if errors.is_empty() => Err(format!("{}: the profile could not be read", path.display())),
        _ => Err(errors.join("\n")),
    }
}

/// Reads every input in `from`, writes every message that reads in `to`;
/// reports the others on stderr.
pub(crate) fn run(
    inputs: &[Input],
    from: Encoding,
    to: Encoding,
    profile: Option<&Profile>,
    out: &mut dyn Write,
    status: &mut Status,
) -> io::Result<()> {
    let mut report = |input: &Input, what: String| {
        eprintln!("hl7: {}: {what}", input.name);
        status.parse_failures = true;
    };
    let named = profile.map(NamedJson::new);
    let mut messages: Vec<Message<'_>> = Vec::new();
    for input in inputs {
        match from {
            Encoding::Er7 => {
                for item in parse_stream(&input.bytes) {
                    match item {
                        Ok(m) => messages.push(m),
                        Err(e) => report(input, e.to_string()),
                    }
                }
            }
            Encoding::Json => read_json(input, named.as_ref(), &mut messages, &mut report),
            Encoding::Xml => match std::str::from_utf8(&input.bytes) {
                Err(e) => report(input, format!("XML input must be UTF-8: {e}")),
                Ok(text) => match xml::from_xml(text.trim_start_matches('\u{feff}')) {
                    Ok(v) => messages.extend(v),
                    Err(e) => report(input, e.to_string()),
                },
            },
        }
    }
    match &named {
        Some(named) if to == Encoding::Json => write_named(&messages, named, out, status),
        _ => write(&messages, to, out),
    }
}

/// Named JSON Lines; a message the profile cannot name is reported.
fn write_named(
    messages: &[Message<'_>],
    named: &NamedJson<'_>,
    out: &mut dyn Write,
    status: &mut Status,
) -> io::Result<()> {
    for m in messages {
        match named.to_value(m) {
            Ok(v) => {
                serde_json::to_writer(&mut *out, &v)?;
                out.write_all(b"\n")?;
            }
            Err(e) => {
                eprintln!(
                    "hl7: message {} (byte {}): named JSON: {e}",
                    m.index() + 1,
                    m.offset()
                );
                status.parse_failures = true;
            }
        }
    }
    Ok(())
}

/// Reads a sequence of JSON objects, structural or (with a profile) named;
/// after an error, goes on at the next line.
fn read_json<'a>(
    input: &'a Input,
    named: Option<&NamedJson<'_>>,
    messages: &mut Vec<Message<'a>>,
    report: &mut impl FnMut(&Input, String),
) {
    let bytes = &input.bytes[..];
    let mut pos = 0;
    let mut n = 0;
    while pos < bytes.len() {
        let mut stream =
            serde_json::Deserializer::from_slice(&bytes[pos..]).into_iter::<serde_json::Value>();
        match stream.next() {
            None => break,
            Some(Ok(value)) => {
                n += 1;
                pos += stream.byte_offset();
                let read = match named {
                    Some(named) => named.from_value(&value).map_err(|e| e.to_string()),
                    None => json::from_value(&value).map_err(|e| e.to_string()),
                };
                match read {
                    Ok(m) => messages.push(m),
                    Err(e) => report(input, format!("JSON message {n}: {e}")),
                }
            }
            Some(Err(e)) => {
                n += 1;
                report(input, format!("JSON message {n}: not valid JSON: {e}"));
                // Skip to the line after the error.
                let mut line = 1;
                let mut at = pos;
                while at < bytes.len() && line < e.line() {
                    if bytes[at] == b'\n' {
                        line += 1;
                    }
                    at += 1;
                }
                pos = bytes[at..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(bytes.len(), |i| at + i + 1);
            }
        }
    }
}

fn write(messages: &[Message<'_>], to: Encoding, out: &mut dyn Write) -> io::Result<()> {
    match to {
        Encoding::Er7 => {
            for m in messages {
                m.write_er7(out)?;
            }
        }
        Encoding::Json => {
            let mut buf = Vec::new();
            for m in messages {
                buf.clear();
                json::write_json(m, &mut buf);
                buf.push(b'\n');
                out.write_all(&buf)?;
            }
        }
        Encoding::Xml => {
            let mut buf = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
            if let [m] = messages {
                xml::write_xml(m, &mut buf);
                buf.push('\n');
                return out.write_all(buf.as_bytes());
            }
            buf.push('<');
            buf.push_str(xml::WRAPPER);
            buf.push_str(">\n");
            out.write_all(buf.as_bytes())?;
            for m in messages {
                buf.clear();
                xml::write_xml(m, &mut buf);
                buf.push('\n');
                out.write_all(buf.as_bytes())?;
            }
            writeln!(out, "</{}>", xml::WRAPPER)?;
        }
    }
    Ok(())
}

//! The `hl7` command: parse, query and convert HL7 v2 messages.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hl7_runtime::er7::{Message, Path, Value, parse_stream};

mod codegen;
mod convert;
mod send;
mod serve;
mod store;
mod validate;

/// Read, query and convert HL7 v2 messages; check and show conformance profiles.
///
/// Every message command reads one or more FILEs, or standard input when none is
/// given or FILE is `-`. A file may hold many messages: back to back, with
/// blank lines between them, or in FHS/BHS batches; segments may end with
/// CR, LF or CRLF.
///
/// Exit status: 0 when all is well, 1 when some message could not be parsed
/// (each is reported on stderr with file, message, byte offset and reason;
/// the others are still processed) or a profile has errors, 2 for usage or
/// I/O errors.
#[derive(Parser, Debug)]
#[command(name = "hl7", version, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print each message as a tree: segments, numbered fields, repetitions,
    /// components and subcomponents (decoded text; empty values are left out).
    Parse {
        /// Show values as on the wire, escapes included.
        #[arg(long)]
        raw: bool,
        /// Files to read (`-` or none for standard input).
        files: Vec<PathBuf>,
    },
    /// Print the value at PATH, one line per message.
    ///
    /// PATH is terser-style: `PID-5` (field), `PID-5.1` (component),
    /// `PID-5.1.2` (subcomponent), `PID-3[2].1` (second repetition),
    /// `OBX[3]-5` (third OBX). Without an index a path means the first
    /// occurrence and the first repetition; `*` means all of them, one line
    /// per value (`OBX[*]-5`). A missing value prints an empty line.
    #[command(verbatim_doc_comment)]
    Get {
        /// The path, such as `PID-5.1` or `OBX[*]-5`.
        path: String,
        /// Print the wire form (escapes and separators as written)
        /// instead of decoded text.
        #[arg(long)]
        raw: bool,
        /// Do not prefix lines with the file name when reading several files.
        #[arg(long)]
        no_filename: bool,
        /// Files to read (`-` or none for standard input).
        files: Vec<PathBuf>,
    },
    /// Write the messages in another encoding.
    ///
    /// `--to er7` writes ER7 with CR segment terminators: byte for byte what
    /// was read, apart from the terminators (and blank lines or a byte-order
    /// mark between messages). `--to json` writes structural JSON (see
    /// docs/json.md), one message per line (JSON Lines). `--to xml` writes the
    /// HL7 v2 XML encoding: one message as one document, several inside an
    /// `<HL7Messages>` element. Every conversion comes back byte for byte:
    /// `--from json` reads JSON Lines (or any sequence of JSON objects) and
    /// `--from xml` reads either XML form.
    ///
    /// With `--profile P`, JSON is named JSON instead: keys are the
    /// profile's names (`"patient_name": [{"family_name": ...}]`), groups
    /// nest, exactly as serde writes the typed messages hl7-codegen makes
    /// from P (docs/json.md). `--to json --profile P` writes it; `--from
    /// json --profile P` reads it back (errors name the JSON path). Named
    /// JSON holds only what the profile models.
    Convert {
        /// Target encoding.
        #[arg(long, value_enum)]
        to: convert::Encoding,
        /// Encoding of the input.
        #[arg(long, value_enum, default_value = "er7")]
        from: convert::Encoding,
        /// Read or write named JSON with this profile's names (a TOML site
        /// profile, MWB or NIST); without it, JSON is the structural form.
        #[arg(long, value_name = "P")]
        profile: Option<PathBuf>,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Files to read (`-` or none for standard input).
        files: Vec<PathBuf>,
    },
    /// Check, show and list conformance profiles and HL7 versions.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Validate messages against a conformance profile, a directory of
    /// profiles, or an HL7 version's standard structures (`--profile 2.5.1`).
    Validate(validate::Args),
    /// Receive messages over MLLP: parse, validate, store durably, then ACK.
    Serve(serve::Args),
    /// Send messages over MLLP and print each one's ACK code.
    Send(send::Args),
    /// Look into the message store that `hl7 serve` writes: list, show and
    /// export the received messages and the ACKs sent.
    Store(store::StoreArgs),
    /// Print the typed Rust that hl7-codegen makes from a profile: what a
    /// build.rs gets (`hl7 codegen profiles/sites/acme-adt.toml`), or a
    /// bundled version's structures (`--version 2.5.1 --structure ADT_A01`).
    Codegen(codegen::Args),
}

#[derive(Subcommand, Debug)]
enum ProfileCommand {
    /// Load profiles and report every problem: the gate before a profile is
    /// committed.
    ///
    /// A PROFILE is a TOML site profile (layered on its base version), a
    /// Messaging Workbench XML profile or table library, or a NIST/IGAMT
    /// profile (its Profile.xml, or the folder holding it and its sidecar
    /// files). Exits 0 when no profile has an error (warnings are allowed),
    /// 1 otherwise.
    Check {
        /// Profiles to check.
        #[arg(required = true)]
        profiles: Vec<PathBuf>,
    },
    /// Print a profile's message trees, or the standard structure of a
    /// bundled HL7 version: each node with its usage, cardinality and data
    /// type, groups indented under their names.
    Show {
        /// The profile to show.
        #[arg(required_unless_present = "version", conflicts_with_all = ["version", "structure"])]
        profile: Option<PathBuf>,
        /// Show a bundled HL7 version's standard structure instead (with --structure).
        #[arg(long, requires = "structure")]
        version: Option<String>,
        /// The message structure to show, such as ORU_R01.
        #[arg(long, requires = "version")]
        structure: Option<String>,
        /// Only the message matching this type and event (ADT^A01) or structure.
        #[arg(long)]
        message: Option<String>,
        /// How deep below segments: 0 segments only, 1 fields, 2 components,
        /// 3 subcomponents.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=3))]
        depth: u8,
    },
    /// List the bundled HL7 versions.
    Versions,
}

/// How a run went: the worst thing that happened decides the exit code.
#[derive(Default)]
struct Status {
    parse_failures: bool,
    io_failures: bool,
}

impl Status {
    fn code(&self) -> ExitCode {
        if self.io_failures {
            ExitCode::from(2)
        } else if self.parse_failures {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    }
}

/// One input: a name for messages and its bytes.
struct Input {
    name: String,
    bytes: Vec<u8>,
}

fn read_inputs(files: &[PathBuf], status: &mut Status) -> Vec<Input> {
    let stdin = [PathBuf::from("-")];
    let files = if files.is_empty() { &stdin[..] } else { files };
    let mut inputs = Vec::new();
    for f in files {
        let (name, read) = if f.as_os_str() == "-" {
            let mut buf = Vec::new();
            (
                "<stdin>".to_string(),
                io::stdin().read_to_end(&mut buf).map(|_| buf),
            )
        } else {
            (f.display().to_string(), std::fs::read(f))
        };
        match read {
            Ok(bytes) => inputs.push(Input { name, bytes }),
            Err(e) => {
                eprintln!("hl7: {name}: {e}");
                status.io_failures = true;
            }
        }
    }
    inputs
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut status = Status::default();
    let result = match &cli.command {
        Command::Parse { raw, files } => {
            let inputs = read_inputs(files, &mut status);
            with_stdout(|out| parse_cmd(&inputs, *raw, out, &mut status))
        }
        Command::Get {
            path,
            raw,
            no_filename,
            files,
        } => {
            let path = match path.parse::<Path>() {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("hl7: {e}");
                    return ExitCode::from(2);
                }
            };
            let inputs = read_inputs(files, &mut status);
            let prefix = inputs.len() > 1 && !no_filename;
            with_stdout(|out| get_cmd(&inputs, &path, *raw, prefix, out, &mut status))
        }
        Command::Convert {
            to,
            from,
            profile,
            output,
            files,
        } => {
            let profile = match convert::load_profile(profile.as_deref(), *from, *to) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("hl7: {e}");
                    return ExitCode::from(2);
                }
            };
            let convert_cmd = |inputs: &[Input], to, out: &mut dyn Write, status: &mut Status| {
                convert::run(inputs, *from, to, profile.as_ref(), out, status)
            };
            let inputs = read_inputs(files, &mut status);
            match output {
                Some(file) => match std::fs::File::create(file) {
                    Ok(f) => {
                        let mut w = io::BufWriter::new(f);
                        convert_cmd(&inputs, *to, &mut w, &mut status).and_then(|()| w.flush())
                    }
                    Err(e) => {
                        eprintln!("hl7: {}: {e}", file.display());
                        return ExitCode::from(2);
                    }
                },
                None => with_stdout(|out| convert_cmd(&inputs, *to, out, &mut status)),
            }
        }
        Command::Profile(cmd) => return profile_cmd(cmd),
        Command::Validate(args) => return validate::run(args),
        Command::Serve(args) => return serve::run(args),
        Command::Send(args) => return send::run(args),
        Command::Store(args) => return store::run(args),
        Command::Codegen(args) => return codegen::run(args),
    };
    match result {
        Ok(()) => status.code(),
        // A closed pipe (`hl7 parse | head`) is not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => status.code(),
        Err(e) => {
            eprintln!("hl7: writing output: {e}");
            ExitCode::from(2)
        }
    }
}

fn with_stdout(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    f(&mut out)?;
    out.flush()
}

/// Runs `each` on every message of every input; reports the ones that fail.
fn for_each_message(
    inputs: &[Input],
    status: &mut Status,
    mut each: impl FnMut(&Input, &Message<'_>) -> io::Result<()>,
) -> io::Result<()> {
    for input in inputs {
        for item in parse_stream(&input.bytes) {
            match item {
                Ok(msg) => each(input, &msg)?,
                Err(e) => {
                    eprintln!("hl7: {}: {e}", input.name);
                    status.parse_failures = true;
                }
            }
        }
    }
    Ok(())
}

fn show(v: &Value<'_>, raw: bool) -> String {
    if raw {
        String::from_utf8_lossy(v.raw()).into_owned()
    } else {
        v.text().into_owned()
    }
}

fn parse_cmd(
    inputs: &[Input],
    raw: bool,
    out: &mut dyn Write,
    status: &mut Status,
) -> io::Result<()> {
    for_each_message(inputs, status, |input, msg| {
        let header = |p: &str| {
            msg.get(&p.parse().expect("fixed path"))
                .map(|v| v.text().into_owned())
                .unwrap_or_default()
        };
        writeln!(
            out,
            "# {} · message {} · byte {} · {} · control id {} · version {}",
            input.name,
            msg.index() + 1,
            msg.offset(),
            header("MSH-9"),
            header("MSH-10"),
            header("MSH-12"),
        )?;
        for w in msg.check() {
            eprintln!(
                "hl7: {}: message {}, warning: {w}",
                input.name,
                msg.index() + 1
            );
        }
        for seg in msg.segments() {
            writeln!(out, "{} (#{})", seg.id(), seg.position() + 1)?;
            for (n, field) in seg.fields() {
                if field.is_empty() {
                    continue;
                }
                let id = seg.id();
                let reps: Vec<_> = field.repetitions().collect();
                for (r, rep) in reps.iter().enumerate() {
                    if rep.is_empty() {
                        continue;
                    }
                    let label = if reps.len() > 1 {
                        format!("{id}-{n}[{}]", r + 1)
                    } else {
                        format!("{id}-{n}")
                    };
                    writeln!(out, "  {label:<14} {}", show(rep, raw))?;
                    let comps: Vec<_> = rep.components().collect();
                    if comps.len() < 2 && !comps.iter().any(|c| c.subcomponents().count() > 1) {
                        continue;
                    }
                    for (c, comp) in comps.iter().enumerate() {
                        if comp.is_empty() {
                            continue;
                        }
                        let clabel = format!("{label}.{}", c + 1);
                        writeln!(out, "    {clabel:<16} {}", show(comp, raw))?;
                        let subs: Vec<_> = comp.subcomponents().collect();
                        if subs.len() < 2 {
                            continue;
                        }
                        for (s, sub) in subs.iter().enumerate() {
                            if !sub.is_empty() {
                                let slabel = format!("{clabel}.{}", s + 1);
                                writeln!(out, "      {slabel:<18} {}", show(sub, raw))?;
                            }
                        }
                    }
                }
            }
        }
        writeln!(out)
    })
}

fn get_cmd(
    inputs: &[Input],
    path: &Path,
    raw: bool,
    prefix: bool,
    out: &mut dyn Write,
    status: &mut Status,
) -> io::Result<()> {
    for_each_message(inputs, status, |input, msg| {
        let lead = if prefix {
            format!("{}:", input.name)
        } else {
            String::new()
        };
        if path.is_multiple() {
            for v in msg.get_all(path) {
                writeln!(out, "{lead}{}", show(&v, raw))?;
            }
            Ok(())
        } else {
            let text = msg.get(path).map(|v| show(&v, raw)).unwrap_or_default();
            writeln!(out, "{lead}{text}")
        }
    })
}

fn profile_cmd(cmd: &ProfileCommand) -> ExitCode {
    use hl7_schema::profile::{self, Severity};
    match cmd {
        ProfileCommand::Check { profiles } => {
            let mut failed = false;
            for path in profiles {
                let loaded = profile::load(path);
                for d in &loaded.diagnostics {
                    eprintln!("{d}");
                }
                let count = |s| loaded.with_severity(s).count();
                let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
                if loaded.has_errors() || loaded.profile.is_none() {
                    failed = true;
                    println!(
                        "{}: {errors} error(s), {warnings} warning(s)",
                        path.display()
                    );
                } else {
                    println!("{}: ok, {warnings} warning(s)", path.display());
                }
            }
            if failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        ProfileCommand::Show {
            profile: path,
            version,
            structure,
            message,
            depth,
        } => {
            let loaded = match (path, version, structure) {
                (Some(path), _, _) => {
                    let loaded = profile::load(path);
                    for d in loaded.with_severity(Severity::Error) {
                        eprintln!("{d}");
                    }
                    match loaded.profile {
                        Some(p)
                            if !loaded
                                .diagnostics
                                .iter()
                                .any(|d| d.severity() == Severity::Error) =>
                        {
                            p
                        }
                        _ => return ExitCode::from(1),
                    }
                }
                (None, Some(v), Some(s)) => match profile::structure_profile(v, s) {
                    Ok(p) => p,
                    Err(e) => {
                        eprintln!("hl7: {e}");
                        return ExitCode::from(1);
                    }
                },
                _ => unreachable!("clap requires a profile or --version with --structure"),
            };
            let mut tree = loaded.tree().depth(*depth);
            if let Some(m) = message {
                if !loaded.messages.iter().any(|d| d.matches(m)) {
                    eprintln!("hl7: the profile has no message {m}");
                    return ExitCode::from(1);
                }
                tree = tree.message(m);
            }
            print!("{tree}");
            ExitCode::SUCCESS
        }
        ProfileCommand::Versions => {
            for id in hl7_schema::defs::versions() {
                match hl7_schema::defs::Version::load(id) {
                    Ok(v) => println!(
                        "{id:<6} {:>4} structures  {:>4} events  {:>4} segments  {:>3} data types  {:>4} tables",
                        v.structures().len(),
                        v.events().len(),
                        v.segments().len(),
                        v.datatypes().len(),
                        v.tables().len()
                    ),
                    Err(e) => {
                        eprintln!("hl7: {id}: {e}");
                        return ExitCode::from(2);
                    }
                }
            }
            ExitCode::SUCCESS
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn command_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}

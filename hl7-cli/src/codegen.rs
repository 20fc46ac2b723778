//! `hl7 codegen`: print the Rust a build script would get for a profile.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// Print the typed Rust that `hl7-codegen` generates for a profile (what a
/// build.rs with `hl7_codegen::compile` would include), or for standard
/// structures of a bundled HL7 version.
///
/// Exit status: 0 with the code on standard output, 1 when the profile has
/// errors (each printed as file:line:col), 2 for usage or I/O errors.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The profile: a TOML site profile, a Messaging Workbench XML profile,
    /// or a NIST/IGAMT profile.
    #[arg(required_unless_present = "version", conflicts_with = "version")]
    profile: Option<PathBuf>,
    /// Generate a bundled HL7 version's standard structures instead (with
    /// one or more --structure).
    #[arg(long, requires = "structure")]
    version: Option<String>,
    /// A structure of --version, such as ADT_A01 (repeatable).
    #[arg(long, requires = "version")]
    structure: Vec<String>,
    /// The path generated code uses for hl7-runtime, for crates that
    /// re-export it.
    #[arg(long, default_value = "::hl7_runtime", value_name = "PATH")]
    runtime_path: String,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let mut builder = hl7_codegen::Builder::new();
    builder.runtime_path(args.runtime_path.clone());
    let code = match (&args.profile, &args.version) {
        (Some(p), _) => builder.generate_file(p),
        (None, Some(v)) => {
            let s: Vec<&str> = args.structure.iter().map(String::as_str).collect();
            hl7_codegen::generate_version(&builder, v, &s)
        }
        (None, None) => unreachable!("clap requires one"),
    };
    let code = match code {
        Ok(c) => c,
        Err(e) => {
            for line in e.problems() {
                eprintln!("{line}");
            }
            return ExitCode::from(if args.profile.is_some() { 1 } else { 2 });
        }
    };
    let written = match &args.output {
        Some(path) => std::fs::write(path, &code).map_err(|e| format!("{}: {e}", path.display())),
        None => match std::io::stdout().lock().write_all(code.as_bytes()) {
            // A closed pipe (`hl7 codegen p.toml | head`) is not an error.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other.map_err(|e| e.to_string()),
        },
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hl7: {e}");
            ExitCode::from(2)
        }
    }
}

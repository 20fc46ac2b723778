//! Records what the report prints about the build: the compiler that built
//! the bench, the optimisation level, and the resolved versions of the peer
//! crates (read from the workspace's Cargo.lock, so the table never names a
//! version other than the one that ran).

use std::path::Path;
use std::process::Command;
use std::{env, fs};

/// Packages whose resolved versions the report names.
const PEERS: [&str; 7] = [
    "hl7-parser",
    "hl7v2",
    "er7",
    "hl7-2",
    "rust-hl7",
    "hl7-v2",
    "densa-alloc",
];

fn main() {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let version = Command::new(&rustc)
        .arg("-V")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map_or_else(|| "rustc (unknown)".to_owned(), |v| v.trim().to_owned());
    println!("cargo:rustc-env=HL7_BENCH_RUSTC={version}");

    let opt = env::var("OPT_LEVEL").unwrap_or_default();
    println!("cargo:rustc-env=HL7_BENCH_OPT_LEVEL={opt}");

    let manifest_dir = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    // The workspace root is this crate's parent directory (taken lexically,
    // so a symlinked checkout still finds its own lock file).
    let lock = Path::new(&manifest_dir)
        .parent()
        .unwrap_or(Path::new(".."))
        .join("Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    println!("cargo:rerun-if-changed=build.rs");
    let text = fs::read_to_string(&lock).unwrap_or_default();
    let versions: Vec<String> = PEERS
        .iter()
        .map(|name| format!("{name}={}", locked_version(&text, name).unwrap_or("?")))
        .collect();
    println!("cargo:rustc-env=HL7_BENCH_PEERS={}", versions.join(","));
}

/// The version of `name` in a Cargo.lock, if it is there exactly once.
fn locked_version<'a>(lock: &'a str, name: &str) -> Option<&'a str> {
    let wanted = format!("name = \"{name}\"");
    let mut found = None;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let version = lines.next()?.trim().strip_prefix("version = \"")?;
            if found.is_some() {
                return None; // Two versions resolved: do not guess.
            }
            found = Some(version.strip_suffix('"')?);
        }
    }
    found
}

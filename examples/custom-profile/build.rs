//! Typed messages from the crate's own site profile. hl7-codegen writes
//! `$OUT_DIR/riverside.rs`, reruns only when the profile changes, and
//! reports profile problems as `file:line:col` build errors.

fn main() {
    if let Err(e) = hl7_codegen::compile(&["profiles/riverside.toml"]) {
        for line in e.to_string().lines() {
            println!("cargo::error={line}");
        }
    }
}

//! The generator's output for a small site profile, byte for byte.
//! Bless with `UPDATE_EXPECT=1 cargo test -p hl7-codegen` and review the
//! diff; the same code is compiled through the derives by `tests/typed`.

use std::path::Path;

#[test]
fn golden_site_profile() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    std::env::set_current_dir(&dir).unwrap();
    let code = hl7_codegen::Builder::new()
        .generate_file(Path::new("profiles/golden.toml"))
        .unwrap();
    let expected = std::fs::read_to_string(dir.join("expected/golden.rs")).unwrap_or_default();
    if code == expected {
        return;
    }
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        expect_test::expect_file!["expected/golden.rs"].assert_eq(&code);
        return;
    }
    // Not expect-test's diff: on a file this size it takes minutes.
    let line = code
        .lines()
        .zip(expected.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| code.lines().count().min(expected.lines().count()));
    panic!(
        "generated code differs from tests/expected/golden.rs at line {}:\n  expected: {:?}\n  got:      {:?}\nrerun with UPDATE_EXPECT=1 and review the diff",
        line + 1,
        expected.lines().nth(line).unwrap_or(""),
        code.lines().nth(line).unwrap_or(""),
    );
}

#[test]
fn output_is_deterministic() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/profiles/golden.toml");
    let b = hl7_codegen::Builder::new();
    assert_eq!(
        b.generate_file(&path).unwrap(),
        b.generate_file(&path).unwrap()
    );
}

#[test]
fn profile_errors_come_as_file_line_col() {
    let dir = tempdir();
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[profile]\nhl7 = \"2.5.1\"\n[messages.\"ADT^A01\"]\n[constraints]\n\"PID-99\" = \"R\"\n",
    )
    .unwrap();
    let err = hl7_codegen::Builder::new().generate_file(&bad).unwrap_err();
    assert!(
        err.problems().iter().any(|p| p.contains("bad.toml:5:1")),
        "{err}"
    );
}

#[test]
fn compile_writes_only_when_changed() {
    let dir = tempdir();
    let profile = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/profiles/golden.toml");
    let mut b = hl7_codegen::Builder::new();
    b.profile(&profile)
        .out_dir(&dir)
        .emit_rerun_if_changed(false);
    let files = b.compile().unwrap();
    assert_eq!(files, [dir.join("golden.rs")]);
    let before = std::fs::metadata(&files[0]).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    b.compile().unwrap();
    let after = std::fs::metadata(&files[0]).unwrap().modified().unwrap();
    assert_eq!(before, after);
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "hl7-codegen-test-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

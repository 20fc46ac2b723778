//! trybuild UI tests of the hl7 derives. The `.stderr` files are pinned to
//! the workspace toolchain (Rust 1.95); bless with `TRYBUILD=overwrite`
//! and review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("pass/*.rs");
    t.compile_fail("fail/*/*.rs");
}

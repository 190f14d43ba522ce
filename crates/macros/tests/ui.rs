//! Compile-fail tests: each misuse of `#[greenery::main]` and `#[greenery::test]` in
//! `tests/ui/*.rs` fails with the message in its `.stderr` file. `TRYBUILD=overwrite cargo
//! test -p greenery-macros --test ui` rewrites those files after a deliberate change.

#[test]
fn misuse_is_a_compile_error_that_says_what_is_wrong() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}

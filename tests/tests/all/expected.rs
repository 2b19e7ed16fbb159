//! wasmtime-wasi, the reference, prints the committed expected output for
//! every guest over a fresh fixture, the same on every run (one test per guest:
//! `expected::NAME`). `STRATA_BLESS=1` rewrites the files.

use std::path::{Path, PathBuf};

use strata_tests::Guest;
use strata_tests::oracle::{self, diff_lines};

fn expected_path(guest: &Guest) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("guests/expected")
        .join(format!("{}.out", guest.name))
}

fn bless() -> bool {
    std::env::var_os("STRATA_BLESS").is_some_and(|v| v == "1")
}

/// The reference run of guest `name` ends as the table says and prints the
/// committed expected output; a second run is the same (the oracle must be
/// deterministic, or differential tests would flake).
fn reference_is_expected_and_repeatable(name: &str) {
    let guest = strata_tests::guest(name);
    let run = oracle::reference(guest);
    let path = expected_path(guest);
    if bless() {
        std::fs::write(&path, &run.outcome.stdout).expect("write expected output");
    }
    let expected = std::fs::read(&path).unwrap_or_default();
    assert_eq!(
        run.outcome.exit_code,
        guest.exit_code,
        "{name}: exit code; stderr:\n{}",
        String::from_utf8_lossy(&run.outcome.stderr)
    );
    assert!(
        run.outcome.stdout == expected,
        "{name}:\n{}\n(run with STRATA_BLESS=1 to accept)",
        diff_lines("stdout", &expected, &run.outcome.stdout)
    );
    let again = oracle::run_guest_wasmtime(guest);
    oracle::assert_same_run(&run, &again, name);
}

/// One test per guest: `expected::NAME`.
macro_rules! expected_tests {
    ($($name:ident)*) => {
        $(
            #[test]
            fn $name() {
                reference_is_expected_and_repeatable(stringify!($name));
            }
        )*
    };
}
strata_tests::foreach_guest!(expected_tests);

#[test]
fn stdio_and_trap_are_captured() {
    let run = oracle::reference(strata_tests::guest("stdio_poll"));
    assert_eq!(run.outcome.guest_stderr(), b"to stderr\n");
    let run = oracle::reference(strata_tests::guest("wasi_trap"));
    assert_eq!(run.outcome.exit_code, oracle::TRAP_EXIT_CODE);
    assert!(run.outcome.trap.is_some());
    assert_eq!(run.outcome.stdout, b"before trap\n");
    assert!(run.outcome.stderr.starts_with(b"trap: "));
}

/// wasmtime-wasi traps on every argument wiggle cannot convert (enum out of
/// range, unknown flag or rights bits) instead of returning EINVAL; the
/// GUESTS table runs only the "whence" case, this runs the others.
#[test]
fn bad_arguments_trap() {
    let guest = strata_tests::guest("wasi_bad_arg");
    let cases = [
        "advice",
        "oflags",
        "fdflags",
        "rights",
        "lookupflags",
        "fstflags",
        "set_flags",
        "rights_path_outside_memory",
        "oflags_path_outside_memory",
        "set_rights",
    ];
    for case in cases {
        let dir = tempfile::tempdir().expect("temp dir");
        let argv = [guest.name, strata_tests::GUEST_DIR, case];
        let outcome = oracle::run_wasmtime(
            guest.wasm,
            dir.path(),
            strata_tests::GUEST_DIR,
            &argv,
            &[],
            b"",
        );
        assert_eq!(
            String::from_utf8_lossy(&outcome.stdout),
            format!("before bad {case}\n"),
            "{case}: {}",
            String::from_utf8_lossy(&outcome.stderr)
        );
        assert_eq!(outcome.exit_code, oracle::TRAP_EXIT_CODE, "{case}");
    }
}

/// Every known divergence names a line that the reference really prints.
#[test]
fn known_divergences_name_real_lines() {
    for d in strata_tests::KNOWN_DIVERGENCES {
        let guest = strata_tests::guest(d.guest);
        let expected = std::fs::read_to_string(expected_path(guest)).expect("expected output");
        assert!(
            expected.lines().any(|l| l.starts_with(d.line_prefix)),
            "{}: no line starts with {:?}",
            d.guest,
            d.line_prefix
        );
        let masked = strata_tests::mask_known_divergences(d.guest, expected.as_bytes());
        let masked = String::from_utf8(masked).expect("utf-8");
        assert!(masked.contains(&format!("{}<known divergence>\n", d.line_prefix)));
    }
}

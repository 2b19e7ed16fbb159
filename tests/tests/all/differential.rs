//! The differential oracle: every guest under Strata (over an overlay of the
//! fixture) and under wasmtime-wasi (on a real copy of it) prints the same, ends
//! the same and leaves the same tree; the guests of `strata::DELIBERATE` are
//! held to Strata's own committed output instead.

use std::path::{Path, PathBuf};

use strata_tests::oracle::{self, diff_lines};
use strata_tests::{GUESTS, strata};

fn strata_expected(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("guests/expected-strata")
        .join(format!("{name}.out"))
}

#[test]
fn strata_matches_wasmtime_on_every_guest() {
    let bless = std::env::var_os("STRATA_BLESS").is_some_and(|v| v == "1");
    let mut failures = String::new();
    for guest in GUESTS {
        let ours = strata::run_guest_strata(guest).masked(guest.name);
        if let Some(d) = strata::deliberate(guest.name) {
            let path = strata_expected(guest.name);
            if bless {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &ours.outcome.stdout).unwrap();
            }
            let expected = std::fs::read(&path).unwrap_or_default();
            if ours.outcome.stdout != expected || ours.outcome.exit_code != d.exit_code {
                failures.push_str(&format!(
                    "{} (exit {}):\n",
                    guest.name, ours.outcome.exit_code
                ));
                failures.push_str(&diff_lines("stdout", &expected, &ours.outcome.stdout));
            }
            continue;
        }
        let reference = oracle::run_guest_wasmtime(guest).masked(guest.name);
        if !reference.same_as(&ours) {
            let r =
                std::panic::catch_unwind(|| oracle::assert_same_run(&reference, &ours, guest.name));
            if let Err(e) = r {
                failures.push_str(&e.downcast_ref::<String>().cloned().unwrap_or_default());
            }
        }
    }
    assert!(failures.is_empty(), "{failures}");
}

/// The deliberate-difference table names only guests that exist, and each of
/// them really differs from wasmtime-wasi (else it belongs in the plain check).
#[test]
fn deliberate_differences_are_real() {
    for d in strata::DELIBERATE {
        let guest = strata_tests::guest(d.guest);
        let reference = oracle::run_guest_wasmtime(guest).masked(d.guest);
        let ours = strata::run_guest_strata(guest).masked(d.guest);
        assert!(
            !reference.same_as(&ours),
            "{} no longer differs: drop it from DELIBERATE",
            d.guest
        );
    }
}

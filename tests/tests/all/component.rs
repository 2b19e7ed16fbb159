//! Every guest as a WASI 0.2 component (the preview 1 module behind wasmtime
//! 48's adapter): under Strata's p2 it prints the same, ends the same and
//! leaves the same tree as under wasmtime-wasi 48's p2 over a real copy of the
//! fixture. One test per guest: `component::NAME`.

use strata_tests::{component, oracle};

fn matches_reference(name: &str) {
    let guest = strata_tests::guest(name);
    let reference = component::masked(&component::run_wasmtime(guest), name);
    let ours = component::masked(&component::run_strata(guest), name);
    oracle::assert_same_run(&reference, &ours, name);
}

macro_rules! component_tests {
    ($($name:ident)*) => {
        $(
            #[test]
            fn $name() {
                matches_reference(stringify!($name));
            }
        )*
    };
}
strata_tests::foreach_guest!(component_tests);

/// Deterministic mode covers a component's clocks and randomness: two runs of
/// the clock guest (which sleeps, polls and reads every clock) print the same,
/// byte for byte, and its wall clock reads the virtual epoch (2000-01-01).
#[test]
fn deterministic_components_repeat() {
    let guest = strata_tests::guest("clock_random");
    let a = component::run_strata_deterministic(guest, 42);
    let b = component::run_strata_deterministic(guest, 42);
    assert_eq!(a.outcome, b.outcome);
    assert_eq!(a.outcome.exit_code, 0, "{:?}", a.outcome);
    let out = String::from_utf8_lossy(&a.outcome.stdout);
    assert!(out.contains("realtime after 2020: NO"), "{out}");
}

/// A component built natively for WASI 0.2 by a real toolchain: Python
/// (CPython in wasm) through componentize-py, from
/// `tests/components/py_files/` (source and build script beside it).
const PY_FILES: strata_tests::Guest = strata_tests::Guest {
    name: "py_files",
    wasm: include_bytes!("../../components/py_files/app.wasm"),
    args: &[],
    env: &[],
    stdin: b"",
    exit_code: 0,
    fuel: None,
    read_only_preopen: false,
};

#[test]
fn python_component_matches_wasmtime() {
    let reference = component::run_wasmtime(&PY_FILES);
    let ours = component::run_strata(&PY_FILES);
    assert_eq!(reference.outcome.exit_code, 0, "{:?}", reference.outcome);
    let out = String::from_utf8_lossy(&ours.outcome.stdout);
    assert!(
        out.contains("hello from python\nappended\nsize 27\nold name gone\n"),
        "{out}"
    );
    oracle::assert_same_run(&reference, &ours, "py_files");
}

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

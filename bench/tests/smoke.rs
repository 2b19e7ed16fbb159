//! The harness at its smallest: every configuration runs the tiny readdir
//! and lock-dir cases and prints the same checksum, and the committed
//! `.wasm` workloads are what `build.sh` makes of the sources.

use std::process::Command;

use strata_bench::workloads::{PROGRAMS, Size, cases};
use strata_bench::{Runner, Setup, report, run_case, scratch_dir};

#[test]
fn checksums_agree_across_configurations() {
    let runner = Runner::new().expect("compile workloads");
    let scratch = scratch_dir().expect("scratch dir");
    for case in cases(Size::Tiny)
        .into_iter()
        .filter(|c| c.label.starts_with("readdir") || c.label.starts_with("lock"))
    {
        let r = run_case(
            &runner,
            &case,
            &Setup::ALL,
            1,
            Size::Tiny.slow_run(),
            scratch.path(),
        )
        .expect("run case");
        assert_eq!(
            r.checksum.len(),
            16,
            "{}: checksum {}",
            case.label,
            r.checksum
        );
        for setup in Setup::ALL {
            for phase in &r.phases {
                assert_eq!(
                    r.samples[&(phase.clone(), setup)].len(),
                    1,
                    "{} {phase} {setup}",
                    case.label
                );
            }
        }
        let rows = report::case_rows(&r);
        assert!(rows.contains("| strata |"), "{rows}");
    }
}

#[test]
fn committed_wasm_is_fresh() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/workloads/build.sh");
    match Command::new("sh").arg(script).arg(dir.path()).status() {
        Ok(s) if s.success() => {}
        other => {
            eprintln!(
                "skipping: build.sh could not run ({other:?}); is clang with wasi-libc installed?"
            );
            return;
        }
    }
    for p in PROGRAMS {
        let built = std::fs::read(dir.path().join(format!("{}.wasm", p.name))).expect("built");
        assert!(
            built == p.wasm,
            "bench/workloads/{}.wasm is stale: run bench/workloads/build.sh",
            p.name
        );
    }
}

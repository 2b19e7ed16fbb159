//! `strata run --fork-bench N`: forks of one prepared state, a rate and a tally.

use crate::{Env, out};

/// Creates `marker` exclusively in the first mount: exit 0 if it could, the
/// errno otherwise. Every fork starts from the same state, so every run
/// succeeds only if no run sees another's writes.
const MARKER: &str = r#"(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "marker")
  ;; oflags 5 = O_CREAT | O_EXCL; rights: fd_write (1 << 6).
  (func (export "_start")
    (call $exit (call $open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 6)
      (i32.const 5) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 64)))))"#;

#[test]
fn forks_are_independent_and_a_rate_is_printed() {
    let e = Env::new();
    let g = e.wat("marker.wasm", MARKER);
    for threads in ["1", "3"] {
        let o = out(e
            .cmd()
            .args([
                "run",
                "--fork-bench",
                "20",
                "--fork-threads",
                threads,
                "--mem-dir",
                "/m",
            ])
            .arg(&g))
        .ok();
        assert!(o.stderr.contains("fork-bench: 20 runs in "), "{o:#?}");
        assert!(o.stderr.contains(" runs/s"), "{o:#?}");
        assert!(o.stderr.contains("fork-bench: exit 0: 20\n"), "{o:#?}");
    }
    // A state that already has the marker: every run fails the same way
    // (EEXIST is 20 in WASI preview 1).
    out(e
        .cmd()
        .args(["run", "--mem-dir", "/m", "--save", "marked"])
        .arg(&g))
    .ok();
    let o = out(e
        .cmd()
        .args([
            "run",
            "--fork-bench",
            "7",
            "--mem-dir",
            "/m",
            "--from",
            "marked",
        ])
        .arg(&g))
    .ok();
    assert!(o.stderr.contains("fork-bench: exit 20: 7\n"), "{o:#?}");
}

#[test]
fn traps_are_counted_and_the_first_is_shown() {
    let e = Env::new();
    let g = e.wat(
        "trap.wasm",
        r#"(module (memory (export "memory") 1) (func (export "_start") unreachable))"#,
    );
    let o = out(e.cmd().args(["run", "--fork-bench", "5"]).arg(&g)).ok();
    assert!(o.stderr.contains("fork-bench: trap: 5\n"), "{o:#?}");
    assert!(o.stderr.contains("fork-bench: first trap: "), "{o:#?}");
}

#[test]
fn the_demo_guest_runs_over_a_host_tree_in_forks() {
    let e = Env::new();
    let o = e
        .run_demo(&["--fork-bench", "10", "--fork-threads", "2"], "f")
        .ok();
    assert!(o.stderr.contains("exit 0: 10"), "{o:#?}");
    // Output is discarded and the host tree unchanged.
    assert!(o.stdout.is_empty(), "{o:#?}");
    assert!(e.tree().join("data/a.csv").exists() && !e.tree().join("out").exists());
    // --fork-bench never saves.
    let o = e.run_demo(&["--fork-bench", "2", "--save", "x"], "f");
    assert_eq!(o.code, Some(2), "{o:#?}");
}

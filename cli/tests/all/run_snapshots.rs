//! `strata run --save/--from/--state/--mount`: snapshots of a run's mount.

use crate::{DEMO, Env, out};

/// A guest that traps at once (after the mounts were set up).
const TRAP: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "_start") unreachable))"#;

#[test]
fn save_then_from_sees_the_writes() {
    let e = Env::new();
    let first = e.run_demo(&["--save", "one"], "first").ok();
    assert!(
        first.stdout.contains("[first] sum of data/*.csv: 12"),
        "{first:#?}"
    );
    assert!(first.stderr.contains("saved /data as `one`"), "{first:#?}");
    // The host tree is untouched; the store has the result.
    assert!(e.tree().join("data/old/archive.txt").exists());
    assert!(!e.tree().join("out").exists());

    let second = e
        .run_demo(&["--from", "one", "--save", "two"], "second")
        .ok();
    assert!(
        second.stdout.contains("[second] already migrated")
            && second.stdout.contains("  first: total 12\n")
            && second
                .stdout
                .contains("  second: total 12 (already migrated)"),
        "{second:#?}"
    );
    // `one` still holds the first state: a third run from it sees only `first`.
    let again = e.run_demo(&["--from", "one"], "third").ok();
    assert!(
        again
            .stdout
            .contains("  third: total 12 (already migrated)"),
        "{again:#?}"
    );
    assert!(!again.stdout.contains("second:"), "{again:#?}");
    // …and one from `two` sees both earlier runs.
    let fourth = e.run_demo(&["--from", "two"], "fourth").ok();
    assert!(fourth.stdout.contains("  second: total"), "{fourth:#?}");
}

#[test]
fn state_dir_carries_writes_across_runs() {
    let e = Env::new();
    let st = e.path("state");
    let st = st.to_str().unwrap();
    let first = e.run_demo(&["--state", st], "r1").ok();
    assert!(
        first.stdout.contains("[r1] sum of data/*.csv: 12"),
        "{first:#?}"
    );
    let second = e.run_demo(&["--state", st], "r2").ok();
    assert!(second.stdout.contains("  r1: total 12\n"), "{second:#?}");
    let third = e.run_demo(&["--state", st], "r3").ok();
    assert!(
        third.stdout.contains("  r1: total 12\n")
            && third.stdout.contains("  r2: total 12 (already"),
        "{third:#?}"
    );
    // The state dir is an ordinary store with the ref `latest`; the default
    // store was never touched.
    let ls = out(crate::strata().args(["snapshot", "--store", st, "ls"])).ok();
    assert!(ls.stdout.starts_with("latest "), "{ls:#?}");
    assert!(!e.store().exists());
}

#[test]
fn a_new_mount_can_start_from_a_snapshot() {
    let e = Env::new();
    e.run_demo(&["--save", "one"], "first").ok();
    // No host directory at all: --mem-dir /data is an in-memory mount
    // filled from the snapshot.
    let o = out(e.cmd().args([
        "run",
        "--mem-dir",
        "/data",
        "--from",
        "one",
        DEMO,
        "/data",
        "m",
    ]))
    .ok();
    assert!(
        o.stdout.contains("  m: total 12 (already migrated)"),
        "{o:#?}"
    );
    // A read-only mount can start from a snapshot too, and refuses changes.
    let ro = format!("{}::/data", e.tree().display());
    let o = out(e.cmd().args([
        "run", "--ro-dir", &ro, "--mount", "/data", "--from", "one", DEMO, "/data", "ro",
    ]));
    assert_eq!(o.code, Some(2), "{o:#?}");
    // It got past the migration check (the tree is the snapshot's), then
    // could not open the report for appending.
    assert!(o.stderr.contains("report"), "{o:#?}");
}

#[test]
fn snapshot_options_need_exactly_one_mount() {
    let e = Env::new();
    let tree = format!("{}::/data", e.tree().display());
    // No writable mount.
    out(e.cmd().args(["run", "--save", "x", DEMO])).fails(2, "needs a writable mount");
    // Two writable mounts and no --mount.
    out(e.cmd().args([
        "run",
        "--dir",
        &tree,
        "--mem-dir",
        "/tmp",
        "--save",
        "x",
        DEMO,
    ]))
    .fails(2, "several writable mounts (/data, /tmp)");
    // Saving a read-only mount.
    out(e.cmd().args([
        "run", "--ro-dir", &tree, "--mount", "/data", "--save", "x", DEMO,
    ]))
    .fails(2, "is read-only");
    // --mount alone means nothing.
    out(e
        .cmd()
        .args(["run", "--dir", &tree, "--mount", "/data", DEMO]))
    .fails(2, "--mount only");
    // A bad name is refused before the guest runs.
    let o = e
        .run_demo(&["--save", "../evil"], "t")
        .fails(2, "invalid snapshot name");
    assert!(o.stdout.is_empty(), "{o:#?}");
    // --state excludes --store (clap's own usage error).
    let o = e.run_demo(&["--state", "s", "--store", "x"], "t");
    assert_eq!(o.code, Some(2), "{o:#?}");
    // Two mounts at one guest path.
    out(e
        .cmd()
        .args(["run", "--dir", &tree, "--mem-dir", "/data", DEMO]))
    .fails(2, "two mounts");
}

#[test]
fn with_a_selector_any_of_several_mounts_is_saved() {
    let e = Env::new();
    let guest = e.wat(
        "mkdir.wasm",
        r#"(module
  (import "wasi_snapshot_preview1" "path_create_directory" (func $mkdir (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "made")
  ;; fd 3 is the first mount, fd 4 the second: make a directory in the second.
  (func (export "_start") (call $exit (call $mkdir (i32.const 4) (i32.const 16) (i32.const 4)))))"#,
    );
    let g = guest.to_str().unwrap();
    out(e.cmd().args([
        "run",
        "--mem-dir",
        "/a",
        "--mem-dir",
        "/b",
        "--mount",
        "/b",
        "--discard",
        "/a",
        "--save",
        "b",
        g,
    ]))
    .ok();
    let o = out(e.cmd().args([
        "run",
        "--mem-dir",
        "/a",
        "--mem-dir",
        "/b",
        "--mount",
        "/a",
        "--discard",
        "/b",
        "--save",
        "a",
        g,
    ]))
    .ok();
    assert!(o.stderr.contains("saved /a as `a`"), "{o:#?}");
    let diff = e.snap(&["show", "b"]).ok();
    assert!(
        diff.stdout.contains("objects   3 (2 directories"),
        "{diff:#?}"
    );
    let diff = e.snap(&["show", "a"]).ok();
    assert!(
        diff.stdout.contains("objects   2 (1 directories"),
        "{diff:#?}"
    );
}

#[test]
fn a_trap_saves_nothing_and_exits_134() {
    let e = Env::new();
    let guest = e.wat("trap.wasm", TRAP);
    let o = out(e
        .cmd()
        .args(["run", "--mem-dir", "/x", "--save", "t"])
        .arg(&guest));
    assert_eq!(o.code, Some(134), "{o:#?}");
    assert!(o.stderr.contains("nothing saved after a trap"), "{o:#?}");
    e.snap(&["show", "t"]).fails(1, "no snapshot named `t`");
}

#[test]
fn any_exit_status_saves() {
    let e = Env::new();
    // The demo guest exits 2 when etc/app.conf is missing: still saved.
    std::fs::remove_file(e.tree().join("etc/app.conf")).unwrap();
    let o = e.run_demo(&["--save", "failed"], "f");
    assert_eq!(o.code, Some(2), "{o:#?}");
    let show = e.snap(&["show", "failed"]).ok();
    assert!(
        show.stdout.contains("label     strata.exit = 2"),
        "{show:#?}"
    );
}

#[test]
fn unknown_snapshot_is_a_one_line_error() {
    let e = Env::new();
    e.run_demo(&["--save", "one"], "x").ok();
    let o = e
        .run_demo(&["--from", "nope"], "x")
        .fails(1, "no snapshot named `nope`");
    assert!(o.stdout.is_empty(), "the guest must not run: {o:#?}");
    e.run_demo(&["--from", "abcd"], "x")
        .fails(1, "no snapshot named `abcd`");
}

#[test]
fn deterministic_runs_save_the_same_hash() {
    let e = Env::new();
    e.run_demo(&["--save", "base"], "b").ok();
    // Runs from a saved state (no host directory whose access times move).
    let det = |name: &str, tag: &str| {
        out(e.cmd().args([
            "run",
            "--mem-dir",
            "/data",
            "--from",
            "base",
            "--deterministic",
            "--save",
            name,
            DEMO,
            "/data",
            tag,
        ]))
        .ok();
        e.hash_of(name)
    };
    assert_eq!(det("a", "d"), det("b", "d"));
    // A different guest argument gives a different tree (the report differs).
    assert_ne!(det("c", "d"), det("d", "other"));
}

#[test]
fn a_changed_host_directory_is_reported() {
    let e = Env::new();
    e.run_demo(&["--save", "one"], "x").ok();
    let quiet = e.run_demo(&["--from", "one"], "y").ok();
    assert!(!quiet.stderr.contains("warning"), "{quiet:#?}");
    std::fs::write(e.tree().join("new.txt"), "n").unwrap();
    let o = e.run_demo(&["--from", "one", "--save", "two"], "y").ok();
    assert!(o.stderr.contains("changed since snapshot"), "{o:#?}");
    // The fingerprint travels with reloaded trees.
    let o = e.run_demo(&["--from", "two"], "z").ok();
    assert!(o.stderr.contains("changed since snapshot"), "{o:#?}");
}

#[test]
fn a_module_that_cannot_start_saves_nothing() {
    let e = Env::new();
    let g = e.wat("lib.wasm", r#"(module (memory (export "memory") 1))"#);
    out(e
        .cmd()
        .args(["run", "--mem-dir", "/m", "--save", "x"])
        .arg(&g))
    .fails(1, "no `_start`");
    // Only the store's lock file (README, "Sharing a store between
    // processes") may exist: no pack, object or ref.
    let written: Vec<_> = crate::files_under(&e.store())
        .into_iter()
        .filter(|p| p.file_name() != Some(std::ffi::OsStr::new("lock")))
        .collect();
    assert_eq!(written, Vec::<std::path::PathBuf>::new());
}

#[test]
fn a_snapshot_over_the_quota_is_refused_before_the_run() {
    let e = Env::new();
    e.run_demo(&["--save", "one"], "x").ok();
    let o = e
        .run_demo(&["--from", "one", "--max-bytes", "10"], "y")
        .fails(1, "loading snapshot");
    // The engine's quota charges memory, so it may refuse first ("no space").
    assert!(
        o.stderr.contains("too large") || o.stderr.contains("no space"),
        "{o:#?}"
    );
    assert!(o.stdout.is_empty(), "{o:#?}");
}

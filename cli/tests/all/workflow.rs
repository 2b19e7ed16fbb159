//! Multi-step workflows: `run --apply`, no silently dropped writes, `--mount` typos, status lines, `snapshot --state`, `--state` with `--save`/`--from`.

use crate::apply::{EDITS, FS_SCRIPT, listing};
use crate::{Env, out};

#[test]
fn run_apply_writes_back_only_after_exit_0() {
    let e = Env::new();
    let before = listing(&e.tree());
    // A failing guest: nothing applied.
    let o = out(e.cmd().arg("run").args(e.data_mount()).args([
        "--apply",
        FS_SCRIPT,
        "write",
        "/data/new.txt",
        "x",
        "exit",
        "3",
    ]));
    assert_eq!(o.code, Some(3), "{o:#?}");
    assert!(o.stderr.contains("exited 3: nothing applied"), "{o:#?}");
    assert_eq!(listing(&e.tree()), before);

    // Exit 0: applied, with no store anywhere (a temporary one is used).
    let o = out(e
        .cmd()
        .arg("run")
        .args(e.data_mount())
        .args(["--apply", FS_SCRIPT])
        .args(EDITS))
    .ok();
    assert!(o.stderr.contains("strata: applied to"), "{o:#?}");
    assert!(!e.store().exists());
    assert_eq!(
        std::fs::read_to_string(e.tree().join("made/inner")).unwrap(),
        "x"
    );
    assert!(!e.tree().join("data/b.csv").exists());
    assert!(e.tree().join("archive/archive.txt").exists());

    // With --save, the saved snapshot is the one applied; a checkout of it
    // equals the host tree.
    let o = out(e.cmd().arg("run").args(e.data_mount()).args([
        "--apply",
        "--save",
        "s",
        FS_SCRIPT,
        "rm",
        "/data/new.txt",
    ]))
    .ok();
    assert!(o.stderr.contains("saved /data as `s`"), "{o:#?}");
    let co = e.path("co");
    e.snap(&["checkout", "s", co.to_str().unwrap()]).ok();
    assert_eq!(listing(&e.tree()), listing(&co));
    assert!(!e.tree().join("new.txt").exists());
    // --quiet drops the status lines.
    let o = out(e
        .cmd()
        .arg("run")
        .args(e.data_mount())
        .args(["--apply", "--quiet", FS_SCRIPT, "write", "/data/q", "q"]))
    .ok();
    assert!(o.stderr.is_empty(), "{o:#?}");
    assert!(e.tree().join("q").exists());
}

#[test]
fn run_apply_refuses_a_conflict_with_a_changed_host() {
    let e = Env::new();
    // Started from a snapshot taken before the host changed, the run's
    // change no longer applies to the host: refused, nothing changed.
    out(e
        .cmd()
        .arg("run")
        .args(e.data_mount())
        .args(["--save", "base", FS_SCRIPT]))
    .ok();
    std::fs::write(e.tree().join("etc/app.conf"), "threads = 8\n").unwrap();
    let before = listing(&e.tree());
    let o = out(e
        .cmd()
        .arg("run")
        .args(e.data_mount())
        .args(["--from", "base", "--apply", FS_SCRIPT])
        .args(["append", "/data/etc/app.conf", "debug = 1\n"]))
    .fails(1, "conflicting paths; nothing changed");
    assert!(o.stderr.contains("/etc/app.conf  CONFLICT"), "{o:#?}");
    assert_eq!(listing(&e.tree()), before);
}

#[test]
fn writes_are_never_dropped_unnamed() {
    let e = Env::new();
    let tree = format!("{}::/data", e.tree().display());
    // Saving /data while /tmp is writable too: refused before the run.
    let o = out(e.cmd().args([
        "run",
        "--dir",
        &tree,
        "--mem-dir",
        "/tmp",
        "--mount",
        "/data",
        "--save",
        "x",
        FS_SCRIPT,
        "write",
        "/tmp/t",
        "t",
    ]))
    .fails(2, "writes to /tmp would be lost");
    assert!(o.stdout.is_empty(), "{o:#?}");
    // Named with --discard, it runs.
    out(e.cmd().args([
        "run",
        "--dir",
        &tree,
        "--mem-dir",
        "/tmp",
        "--mount",
        "/data",
        "--discard",
        "/tmp",
        "--save",
        "x",
        FS_SCRIPT,
        "write",
        "/tmp/t",
        "t",
    ]))
    .ok();
    // --apply keeps every writable --dir mount, but not a --mem-dir one.
    out(e.cmd().args([
        "run",
        "--dir",
        &tree,
        "--mem-dir",
        "/tmp",
        "--apply",
        FS_SCRIPT,
    ]))
    .fails(2, "writes to /tmp would be lost");
    // --discard must name a writable mount.
    out(e.cmd().args([
        "run",
        "--dir",
        &tree,
        "--discard",
        "/nope",
        "--save",
        "x",
        FS_SCRIPT,
    ]))
    .fails(2, "--discard /nope names no mount");
    // A plain run keeps nothing, so it needs no --discard.
    out(e
        .cmd()
        .args(["run", "--dir", &tree, "--mem-dir", "/tmp", FS_SCRIPT]))
    .ok();
}

#[test]
fn a_mistyped_mount_is_an_error() {
    let e = Env::new();
    let tree = format!("{}::/data", e.tree().display());
    let o = out(e.cmd().args([
        "run", "--dir", &tree, "--mount", "/dat", "--save", "x", FS_SCRIPT,
    ]))
    .fails(2, "--mount /dat names no mount (mounted: /data)");
    assert!(o.stderr.contains("--mem-dir /dat"), "{o:#?}");
    e.snap(&["show", "x"]).fails(1, "no snapshot store");
}

#[test]
fn state_prints_its_status_line_and_snapshot_takes_state() {
    let e = Env::new();
    let st = e.path("st");
    let st = st.to_str().unwrap();
    let run = |args: &[&str]| {
        out(e
            .cmd()
            .args(["run", "--mem-dir", "/w", "--state", st])
            .args(args))
    };
    let o = run(&[FS_SCRIPT, "write", "/w/a", "1"]).ok();
    assert!(o.stderr.contains("strata: saved /w as `latest`"), "{o:#?}");
    assert!(o.stderr.contains(st), "{o:#?}");
    let o = run(&["--quiet", FS_SCRIPT, "write", "/w/b", "2"]).ok();
    assert!(o.stderr.is_empty(), "{o:#?}");
    // `snapshot --state DIR` is the state's store.
    let o = out(crate::strata().args(["snapshot", "--state", st, "cat", "latest", "/b"])).ok();
    assert_eq!(o.stdout, "2");
    let o = out(crate::strata().args(["snapshot", "--state", st, "ls"])).ok();
    assert!(o.stdout.starts_with("latest "), "{o:#?}");
}

#[test]
fn state_takes_a_named_checkpoint_and_branches_from_one() {
    let e = Env::new();
    let st = e.path("st");
    let st = st.to_str().unwrap();
    let run = |args: &[&str]| {
        out(e
            .cmd()
            .args(["run", "--mem-dir", "/w", "--state", st])
            .args(args))
    };
    // Step 1, named `one` besides `latest`.
    let o = run(&["--save", "one", FS_SCRIPT, "write", "/w/a", "1"]).ok();
    assert!(o.stderr.contains("as `latest` and `one`"), "{o:#?}");
    run(&[FS_SCRIPT, "write", "/w/b", "2"]).ok();
    // Branch from `one`: the result (no /b) becomes `latest`.
    run(&["--from", "one", FS_SCRIPT, "write", "/w/c", "3"]).ok();
    let cat = |p: &str| out(crate::strata().args(["snapshot", "--state", st, "cat", "latest", p]));
    assert_eq!(cat("/a").ok().stdout, "1");
    assert_eq!(cat("/c").ok().stdout, "3");
    assert_eq!(cat("/b").code, Some(1));
    // `latest` as a checkpoint name is refused.
    run(&["--save", "latest", FS_SCRIPT]).fails(2, "the state's own ref");
}

#[test]
fn log_lists_the_runs_of_a_state_chain() {
    let e = Env::new();
    let st = e.path("st");
    let st = st.to_str().unwrap();
    let run = |args: &[&str]| {
        out(e
            .cmd()
            .args(["run", "--mem-dir", "/w", "--state", st, FS_SCRIPT])
            .args(args))
    };
    run(&["write", "/w/a", "1"]).ok();
    run(&["write", "/w/b", "two words", "rm", "/w/a"]).ok();
    assert_eq!(run(&["exit", "4"]).code, Some(4));
    let log = out(crate::strata().args(["snapshot", "--state", st, "log"])).ok();
    let lines: Vec<&str> = log.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{log:#?}");
    assert!(
        lines[0].contains("exit 4    +0 -0 ~0  fs_script.wasm exit 4"),
        "{log:#?}"
    );
    assert!(
        lines[1].contains("exit 0    +1 -1 ~0  fs_script.wasm write /w/b 'two words' rm /w/a"),
        "{log:#?}"
    );
    assert!(
        lines[2].contains("+1 -0 ~0  fs_script.wasm write /w/a 1"),
        "{log:#?}"
    );
    // Each line's hash names that step's result: it can be checked out.
    let second = lines[1].split_whitespace().next().unwrap();
    let o = out(crate::strata().args(["snapshot", "--state", st, "cat", second, "/b"])).ok();
    assert_eq!(o.stdout, "two words");
}

#[test]
fn long_argument_lists_still_save() {
    let e = Env::new();
    let mut args: Vec<String> = Vec::new();
    for i in 0..600 {
        args.extend([
            "write".into(),
            format!("/w/file-{i}"),
            format!("content {i}"),
        ]);
    }
    out(e
        .cmd()
        .args(["run", "--mem-dir", "/w", "--save", "many", FS_SCRIPT])
        .args(&args))
    .ok();
    let show = e.snap(&["show", "many"]).ok();
    assert!(
        show.stdout.contains("strata.args = write /w/file-0 "),
        "{show:#?}"
    );
    assert!(show.stdout.contains('…'), "{show:#?}");
}

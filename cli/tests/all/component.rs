//! `strata run` on WASI 0.2 components: the fs_script guest behind wasmtime
//! 48's preview 1 adapter runs with mounts, arguments, exit codes, the state
//! chain (`--state`, `--save`, `--from`) and `--fork-bench`, as the module does.

use std::path::PathBuf;

use crate::apply::FS_SCRIPT;
use crate::{Env, out};

/// fs_script as a component, written into the test's workspace.
fn component(e: &Env) -> PathBuf {
    let module = std::fs::read(FS_SCRIPT).unwrap();
    let path = e.path("fs_script.component.wasm");
    std::fs::write(&path, strata_tests::component::componentize(&module)).unwrap();
    path
}

#[test]
fn a_component_runs_saves_and_continues_its_state() {
    let e = Env::new();
    let comp = component(&e);
    let comp = comp.to_str().unwrap();
    let st = e.path("st");
    let st = st.to_str().unwrap();
    let run = |args: &[&str]| {
        out(e
            .cmd()
            .args(["run", "--mem-dir", "/w", "--state", st])
            .args(args))
    };
    run(&["--save", "one", comp, "write", "/w/a", "1", "mkdir", "/w/d"]).ok();
    run(&[comp, "append", "/w/a", "2", "mv", "/w/d", "/w/e"]).ok();
    let cat =
        |r: &str, p: &str| out(crate::strata().args(["snapshot", "--state", st, "cat", r, p]));
    assert_eq!(cat("latest", "/a").ok().stdout, "12");
    assert_eq!(cat("one", "/a").ok().stdout, "1");
    // A failure exits 1: `wasi:cli/exit` of 0.2 carries only success or
    // failure, so the adapter's `proc_exit(7)` is 1, under wasmtime too.
    assert_eq!(run(&[comp, "exit", "7"]).code, Some(1));
    run(&[comp, "exit", "0"]).ok();
    let failed = run(&[comp, "rmdir", "/w/absent"]);
    assert_eq!(failed.code, Some(1), "{failed:#?}");
    assert!(failed.stderr.contains("rmdir: No such file"), "{failed:#?}");
    // Branch from `one`: /e does not exist there.
    run(&["--from", "one", comp, "write", "/w/b", "x"]).ok();
    assert_eq!(cat("latest", "/b").ok().stdout, "x");
    assert_eq!(cat("latest", "/e").code, Some(1));
}

#[test]
fn a_component_over_a_host_dir_leaves_the_host_alone_and_forks() {
    let e = Env::new();
    let comp = component(&e);
    let comp = comp.to_str().unwrap();
    out(e.cmd().arg("run").args(e.data_mount()).args([
        comp,
        "write",
        "/data/new",
        "n",
        "rm",
        "/data/etc/app.conf",
    ]))
    .ok();
    assert!(e.tree().join("etc/app.conf").exists());
    assert!(!e.tree().join("new").exists());
    let o = out(e
        .cmd()
        .arg("run")
        .args(e.data_mount())
        .args(["--fork-bench", "40", "--fork-threads", "2"])
        .args([comp, "write", "/data/new", "n"]))
    .ok();
    assert!(o.stderr.contains("fork-bench: 40 runs"), "{o:#?}");
    assert!(o.stderr.contains("exit 0: 40"), "{o:#?}");
}

#[test]
fn a_component_meets_the_limits() {
    let e = Env::new();
    let comp = component(&e);
    let comp = comp.to_str().unwrap();
    // A byte quota: the write fails inside the guest (exit 1), not the host.
    let o = out(e
        .cmd()
        .args([
            "run",
            "--mem-dir",
            "/w",
            "--max-bytes",
            "1000",
            comp,
            "write",
            "/w/big",
        ])
        .arg("x".repeat(5000)));
    assert_eq!(o.code, Some(1), "{o:#?}");
    // Fuel: the run stops with 124, as a module's does.
    let o = out(e.cmd().args([
        "run",
        "--mem-dir",
        "/w",
        "--fuel",
        "1000",
        comp,
        "write",
        "/w/a",
        "1",
    ]));
    assert_eq!(o.code, Some(124), "{o:#?}");
    assert!(o.stderr.contains("ran out of fuel"), "{o:#?}");
}

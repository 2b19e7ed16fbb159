//! README's "Embedding" example, whole: build, link, run, exit status, snapshot, fork.
//! `tests/all/readme.rs` runs it and checks that README shows this file.

use std::sync::Arc;

use strata_engine::{Config, Fs, HostLower, Name};
use strata_wasi::{StrataCtx, StrataCtxBuilder};
use wasmtime::{Engine, Linker, Module, Store};

/// A command that creates the directory `made` in its preopen and exits with 3.
const GUEST: &str = r#"(module
  (import "wasi_snapshot_preview1" "path_create_directory"
    (func $mkdir (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1) (data (i32.const 16) "made")
  (func (export "_start")
    (drop (call $mkdir (i32.const 3) (i32.const 16) (i32.const 4)))
    (call $exit (i32.const 3))))"#;

pub(crate) fn main() -> wasmtime::Result<()> {
    // The lower layer: a host directory the guest sees at /work and never changes.
    let project = tempfile::tempdir()?;
    let lower = Arc::new(HostLower::open(project.path())?);
    let fs = Fs::with_lower(lower, Config::default())?;
    let ctx = StrataCtxBuilder::new()
        .args(&["guest"])
        .inherit_stdio()
        .preopen("/work", fs)
        .build();

    let engine = Engine::default();
    let mut linker = Linker::new(&engine);
    strata_wasi::add_to_linker(&mut linker, |c: &mut StrataCtx| c)?;
    let module = Module::new(&engine, wat::parse_str(GUEST)?)?; // or Module::from_file
    let mut store = Store::new(&engine, ctx);
    let status = strata_wasi::run(&mut store, &linker, &module)?; // Err(e) only for a trap
    assert_eq!(status, Err(3)); // Ok(()) for success, Err(code) for exit(code)

    let snap = store.data().fs("/work").expect("mounted").snapshot(); // O(1)
    let made = Name::new("made")?;
    assert!(snap.lookup(snap.root(), &made)?.is_some()); // the guest's change is there,
    assert!(!project.path().join("made").exists()); // the host directory is untouched
    let fork = std::thread::spawn(move || Fs::from_snapshot(&snap)); // O(1), any thread
    let fork = fork.join().expect("fork thread");
    assert!(fork.snapshot().lookup(fork.root_ino(), &made)?.is_some());
    println!("guest exited with {status:?}; its tree forked");
    Ok(())
}

//! `strata demo`: a bundled guest run over a bundled tree, no arguments needed.
//!
//! Shows the main job end to end: the guest changes a read-only host tree through
//! the overlay, the host tree stays untouched, the result is an O(1) snapshot,
//! and forks of that snapshot run the guest again from any state.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use strata_engine::{Config, FileType, Fs, HostLower, Snapshot, VirtualClock};
use strata_wasi::{OutputCapture, StrataCtx, StrataCtxBuilder};
use wasmtime::{Linker, Module, Store};

use crate::guest::wt;

/// The bundled guest (source: `cli/demo/demo_guest.c`).
const GUEST: &[u8] = include_bytes!("../demo/demo_guest.wasm");

/// The bundled lower tree: (path, contents); directories are implied.
const TREE: &[(&str, &str)] = &[
    (
        "README.txt",
        "A read-only tree: the guest may change anything, the host sees nothing.\n",
    ),
    ("etc/app.conf", "threads = 4\nmode = safe\n"),
    ("data/a.csv", "id,value\n1,10\n2,20\n"),
    ("data/b.csv", "id,value\n3,30\n"),
    ("data/old/archive.txt", "stale\n"),
];

/// Runs the guest with `fs` mounted at `/data`; returns its stdout and the
/// final state.
fn run_guest(module: &Module, fs: Fs, tag: &str) -> Result<(String, Snapshot)> {
    let out = OutputCapture::new(1 << 20);
    let ctx = StrataCtxBuilder::new()
        .args(&["demo_guest", "/data", tag])
        .stdout_capture(&out)
        .inherit_stderr()
        .deterministic(7)
        .preopen("/data", fs)
        .build();
    let mut linker: Linker<StrataCtx> = Linker::new(module.engine());
    wt(strata_wasi::add_to_linker(
        &mut linker,
        |c: &mut StrataCtx| c,
    ))?;
    let mut store = Store::new(module.engine(), ctx);
    match strata_wasi::run(&mut store, &linker, module) {
        Ok(Ok(())) => {}
        Ok(Err(status)) => anyhow::bail!("the demo guest exited with status {status}"),
        Err(e) => anyhow::bail!("the demo guest failed: {}", crate::one_line(e.chain())),
    }
    let snap = store.data().fs("/data").context("mounted")?.snapshot();
    Ok((out.contents_string(), snap))
}

pub(crate) fn run() -> Result<()> {
    let host = tempfile::tempdir().context("creating the demo tree")?;
    for (path, body) in TREE {
        let p = host.path().join(path);
        std::fs::create_dir_all(p.parent().context("tree path")?)?;
        std::fs::write(&p, body)?;
    }
    println!(
        "lower layer: {} (read-only, mounted at /data)\n",
        host.path().display()
    );

    let engine = crate::guest::engine(&crate::guest::Limits::default())?;
    let module = wt(Module::new(&engine, GUEST)).context("compiling the demo guest")?;
    let config = Config {
        clock: Arc::new(VirtualClock::default()),
        ..Config::default()
    };
    let fs = Fs::with_lower(Arc::new(HostLower::open(host.path())?), config)?;
    let base = fs.snapshot();

    let (out, after) = run_guest(&module, fs, "first")?;
    print!("{out}");
    println!("\nthe guest's view afterwards:");
    print_tree(&after, after.root(), 1)?;
    println!(
        "upper layer: {} inodes, {} bytes",
        after.upper_inodes(),
        after.upper_bytes()
    );

    ensure!(
        std::fs::read_to_string(host.path().join("etc/app.conf"))? == "threads = 4\nmode = safe\n"
    );
    ensure!(
        host.path().join("data/old/archive.txt").exists() && !host.path().join("datasets").exists()
    );
    println!("host tree unchanged: yes");

    // O(1) snapshots: fork the start state and the changed state many times.
    let n = 10_000u32;
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(Fs::from_snapshot(&base));
        std::hint::black_box(Fs::from_snapshot(&after));
    }
    println!(
        "fork from a snapshot: {:?} each ({} forks)",
        t.elapsed() / (2 * n),
        2 * n
    );

    // Run the guest again from the original state, and from the changed one.
    let (again, _) = run_guest(&module, Fs::from_snapshot(&base), "again")?;
    println!("\nfrom the start state again:\n{again}");
    let (second, _) = run_guest(&module, Fs::from_snapshot(&after), "second")?;
    print!("from the changed state:\n{second}");
    Ok(())
}

fn print_tree(snap: &Snapshot, dir: strata_engine::Ino, depth: usize) -> Result<()> {
    for e in snap.entries(dir)? {
        let indent = "  ".repeat(depth);
        if e.kind == FileType::Dir {
            println!("{indent}{}/", e.name);
            print_tree(snap, e.ino, depth + 1)?;
        } else {
            println!("{indent}{} ({} bytes)", e.name, snap.stat(e.ino)?.size);
        }
    }
    Ok(())
}

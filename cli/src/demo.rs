//! `strata demo`: the overlay engine at work over a bundled tree, no arguments.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use strata_engine::{Config, Fs, HostLower, OpenOptions, VirtualClock};

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

pub(crate) fn run() -> Result<()> {
    let host = tempfile::tempdir().context("creating the demo tree")?;
    for (path, body) in TREE {
        let p = host.path().join(path);
        std::fs::create_dir_all(p.parent().context("tree path")?)?;
        std::fs::write(&p, body)?;
    }
    println!("lower layer: {} (read-only)", host.path().display());

    let config = Config {
        clock: Arc::new(VirtualClock::default()),
        ..Config::default()
    };
    let mut fs = Fs::with_lower(Arc::new(HostLower::open(host.path())?), config)?;
    let root = fs.open_root()?;
    let base = fs.snapshot();

    // Change the tree the way a program would.
    let rw = OpenOptions {
        write: true,
        ..OpenOptions::default()
    };
    let conf = fs.open(&root, "etc/app.conf", &rw)?;
    fs.pwrite(&conf, &[b"threads = 8\n"], 0)?;
    fs.close(conf);
    fs.rename(&root, "data", &root, "datasets")?;
    fs.unlink(&root, "datasets/old/archive.txt")?;
    fs.rmdir(&root, "datasets/old")?;
    fs.mkdir(&root, "out", 0o755)?;
    let create = OpenOptions {
        write: true,
        create: true,
        ..OpenOptions::default()
    };
    let report = fs.open(&root, "out/report.txt", &create)?;
    fs.write(&report, &[b"rows: 3\n"])?;
    fs.close(report);

    println!("\nafter the changes (merged view):");
    print_tree(&mut fs, &root, "", 0)?;
    let changed = fs.snapshot();
    println!(
        "\nupper layer holds {} inodes, {} bytes",
        changed.upper_inodes(),
        changed.upper_bytes()
    );

    // The host tree is untouched.
    ensure!(
        std::fs::read_to_string(host.path().join("etc/app.conf"))? == "threads = 4\nmode = safe\n"
    );
    ensure!(host.path().join("data/old/archive.txt").exists());
    println!("host tree unchanged: yes");

    // O(1) restore and fork.
    let t = Instant::now();
    let n = 10_000;
    for _ in 0..n {
        fs.restore(&base);
        fs.restore(&changed);
    }
    let per = t.elapsed() / (2 * n);
    println!("restore: {per:?} per restore ({} restores)", 2 * n);
    fs.restore(&base);
    let mut fork = Fs::from_snapshot(&changed);
    let froot = fork.open_root()?;
    println!(
        "after restore to the start: data/ exists: {}, datasets/ exists: {}",
        fs.stat_at(&root, "data", true).is_ok(),
        fs.stat_at(&root, "datasets", true).is_ok()
    );
    println!(
        "a fork of the changed state sees out/report.txt: {}",
        fork.stat_at(&froot, "out/report.txt", true).is_ok()
    );
    Ok(())
}

fn print_tree(fs: &mut Fs, root: &strata_engine::Handle, path: &str, depth: usize) -> Result<()> {
    let dir = if path.is_empty() {
        root.clone()
    } else {
        fs.open(
            root,
            path,
            &OpenOptions {
                directory: true,
                ..OpenOptions::default()
            },
        )?
    };
    let mut names = Vec::new();
    fs.readdir(&dir, 0, &mut |e| {
        if e.name != "." && e.name != ".." {
            names.push((e.name.to_string(), e.kind));
        }
        true
    })?;
    if !path.is_empty() {
        fs.close(dir);
    }
    for (name, kind) in names {
        let child = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}/{name}")
        };
        if kind == strata_engine::FileType::Dir {
            println!("{}{name}/", "  ".repeat(depth));
            print_tree(fs, root, &child, depth + 1)?;
        } else {
            let size = fs.stat_at(root, &child, false)?.size;
            println!("{}{name} ({size} bytes)", "  ".repeat(depth));
        }
    }
    Ok(())
}

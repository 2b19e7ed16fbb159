//! End-to-end tests of the `strata` binary (one test binary; one file per area).

mod apply;
mod component;
mod concurrency;
mod fork_bench;
mod fuzz;
mod limits;
mod lower_defects;
mod mount;
mod remote;
mod run_demo;
mod run_snapshots;
mod snapshot_cmds;
mod workflow;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The bundled demo guest: migrates `data/` to `datasets/`, writes
/// `out/report.txt`; run again over its own result it appends to the report.
pub(crate) const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/demo_guest.wasm");

/// `strata` with the module cache in the test's temp space and no store
/// from the environment.
pub(crate) fn strata() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_strata"));
    c.env(
        "STRATA_CACHE_DIR",
        std::env::temp_dir().join("strata-cli-test-cache"),
    );
    c.env_remove("STRATA_STORE");
    c
}

/// A finished command's status and output, as text.
#[derive(Debug)]
pub(crate) struct Out {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Out {
    pub(crate) fn ok(self) -> Out {
        assert_eq!(self.code, Some(0), "{self:#?}");
        self
    }

    /// Asserts exit status `code` and a one-line `strata: …` error containing `needle`.
    pub(crate) fn fails(self, code: i32, needle: &str) -> Out {
        assert_eq!(self.code, Some(code), "{self:#?}");
        let last = self.stderr.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("strata: ") && last.contains(needle),
            "{self:#?}"
        );
        self
    }
}

pub(crate) fn out(c: &mut Command) -> Out {
    let o: Output = c.output().unwrap();
    Out {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// A temporary workspace: a host tree for the demo guest and a store.
pub(crate) struct Env {
    pub(crate) t: tempfile::TempDir,
}

impl Env {
    pub(crate) fn new() -> Env {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("tree");
        for (p, body) in [
            ("etc/app.conf", "threads = 4\n"),
            ("data/a.csv", "id,value\n1,5\n"),
            ("data/b.csv", "id,value\n2,7\n"),
            ("data/old/archive.txt", "x"),
        ] {
            std::fs::create_dir_all(root.join(p).parent().unwrap()).unwrap();
            std::fs::write(root.join(p), body).unwrap();
        }
        Env { t }
    }

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.t.path().join(rel)
    }

    pub(crate) fn tree(&self) -> PathBuf {
        self.path("tree")
    }

    pub(crate) fn store(&self) -> PathBuf {
        self.path("store")
    }

    /// `strata` using this workspace's store (through `STRATA_STORE`).
    pub(crate) fn cmd(&self) -> Command {
        let mut c = strata();
        c.env("STRATA_STORE", self.store());
        c
    }

    /// `--dir TREE::/data`.
    pub(crate) fn data_mount(&self) -> [String; 2] {
        ["--dir".into(), format!("{}::/data", self.tree().display())]
    }

    /// `strata run --dir TREE::/data EXTRA… DEMO /data TAG`.
    pub(crate) fn run_demo(&self, extra: &[&str], tag: &str) -> Out {
        out(self
            .cmd()
            .arg("run")
            .args(self.data_mount())
            .args(extra)
            .args([DEMO, "/data", tag]))
    }

    /// `strata snapshot ARGS…` on this workspace's store.
    pub(crate) fn snap(&self, args: &[&str]) -> Out {
        out(self.cmd().arg("snapshot").args(args))
    }

    /// The raw stdout of a successful `strata snapshot ARGS…`.
    pub(crate) fn snap_bytes(&self, args: &[&str]) -> Vec<u8> {
        let o = self.cmd().arg("snapshot").args(args).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        o.stdout
    }

    /// The full hash ref `name` points at, read from `snapshot show`.
    pub(crate) fn hash_of(&self, name: &str) -> String {
        let o = self.snap(&["show", name]).ok();
        o.stdout
            .lines()
            .find_map(|l| l.strip_prefix("snapshot  "))
            .unwrap()
            .to_owned()
    }

    /// A WAT guest compiled into this workspace.
    pub(crate) fn wat(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, wat::parse_str(text).unwrap()).unwrap();
        p
    }
}

/// Every file under `dir`, recursively.
pub(crate) fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut work = vec![dir.to_path_buf()];
    while let Some(d) = work.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                work.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

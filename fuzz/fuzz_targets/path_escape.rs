//! Hostile lower trees and hostile paths: nothing outside the lower root is ever
//! reached. Each input builds, in a fresh temporary directory, a lower root
//! full of symlinks to absolute paths, `..` chains and loops, next to a canary
//! file and directory outside the root; then runs operations with hostile
//! paths through the engine. No read through the engine (of any path, of any
//! entry a directory handle lists, of everything reachable from the root) may
//! ever return the canary's content; the lower layer's own listing never shows
//! an outside-only name; and the whole host directory (inside and outside the
//! root) must be byte-for-byte unchanged afterwards.
#![no_main]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use strata_engine::{Config, FileType, Fs, Handle, HostLower, Lower, OpenOptions, SetTime};

/// Content of the canary files outside the root; never to be returned.
const CANARY: &[u8] = b"STRATA-CANARY-5e1f0c9a-never-inside";
/// Names that exist only outside the root.
const OUTSIDE_NAMES: [&str; 3] = ["zz-canary-only", "zz-outside-only", "zz-secret-only"];

/// Names of lower entries (paths below the root).
const LOWER_PATHS: [&str; 12] = [
    "a", "b", "d", "d/a", "d/b", "d/d", "d/d/a", "ln", "up", "loop1", "loop2", "d/d/up",
];

/// Symlink targets in the lower tree; `{OUT}` is the absolute outer directory.
const TARGETS: [&str; 22] = [
    "/",
    "/etc/passwd",
    "{OUT}/zz-canary-only",
    "{OUT}/root/a",
    "{OUT}",
    "..",
    "../zz-canary-only",
    "../zz-outside-only/zz-secret-only",
    "../..",
    "../../..",
    "d/../../zz-canary-only",
    "d/d/up/zz-canary-only",
    "up/../zz-canary-only",
    "loop2",
    "loop1",
    "ln",
    ".",
    "d",
    "d/..",
    "a",
    "../root/a",
    "ln/../..",
];

/// Paths handed to the engine, hostile or not.
const OP_PATHS: [&str; 26] = [
    "a",
    "b",
    "d",
    "d/a",
    "d/d/a",
    "ln",
    "ln/a",
    "ln/../a",
    "up",
    "up/zz-canary-only",
    "d/d/up",
    "d/d/up/zz-canary-only",
    "loop1",
    "loop1/x",
    "..",
    "../zz-canary-only",
    "d/../../zz-canary-only",
    "/",
    "/etc/passwd",
    "{OUT}/zz-canary-only",
    "new",
    "d/new",
    "ln/new",
    "up/new",
    "a\0b",
    "./d/./d/../d/a/",
];

fn expand(s: &str, outer: &Path) -> String {
    s.replace("{OUT}", &outer.display().to_string())
}

#[derive(Debug, Arbitrary)]
enum LowerKind {
    Dir,
    File(u8),
    Symlink(u8),
    HardLink(u8),
}

#[derive(Debug, Arbitrary)]
enum Op {
    Read(u8, bool),
    Stat(u8, bool),
    Readlink(u8),
    List(u8),
    Write(u8, Vec<u8>),
    Truncate(u8, u16),
    Mkdir(u8),
    Symlink(u8, u8),
    Rename(u8, u8),
    Unlink(u8),
    Rmdir(u8),
    Link(u8, u8, bool),
    Touch(u8, u16),
    /// A path made of up to four pieces of the op paths joined with `/`.
    ReadJoined(Vec<u8>),
    /// A very long path built from one piece.
    ReadLong(u8, u16),
}

#[derive(Debug, Arbitrary)]
struct Input {
    lower: Vec<(u8, LowerKind)>,
    ops: Vec<Op>,
}

/// One host object, for the before/after comparison.
#[derive(Debug, PartialEq, Eq)]
enum HostObj {
    Dir(u32, i64),
    File(u32, i64, Vec<u8>),
    Symlink(std::path::PathBuf),
    Other,
}

/// Walks the lower layer through its own interface (which never follows a
/// symlink): no outside-only name and no canary content may show up in it.
fn check_lower(lower: &HostLower) {
    let mut work = vec![lower.root()];
    let mut buf = vec![0u8; 4096];
    while let Some(dir) = work.pop() {
        let Ok(entries) = lower.entries(dir) else {
            continue;
        };
        for e in entries.iter() {
            no_outside_name("lower layer", e.name.as_str());
            let Ok(Some(ino)) = lower.lookup(dir, &e.name) else {
                continue;
            };
            match e.kind {
                FileType::Dir => work.push(ino),
                FileType::File => {
                    if let Ok(n) = lower.read(ino, 0, &mut buf) {
                        no_canary("lower layer", &buf[..n]);
                    }
                }
                FileType::Symlink => {}
            }
        }
    }
}

/// Every object under `dir`, never following symlinks.
fn host_tree(dir: &Path) -> BTreeMap<String, HostObj> {
    use std::os::unix::fs::MetadataExt;
    let mut out = BTreeMap::new();
    let mut work = vec![dir.to_path_buf()];
    while let Some(d) = work.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let e = e.expect("dir entry");
            let p = e.path();
            let m = std::fs::symlink_metadata(&p).expect("lstat");
            let key = p.strip_prefix(dir).expect("below").display().to_string();
            let obj = if m.file_type().is_symlink() {
                HostObj::Symlink(std::fs::read_link(&p).expect("readlink"))
            } else if m.is_dir() {
                work.push(p.clone());
                HostObj::Dir(m.mode(), m.mtime_nsec() + m.mtime() * 1_000_000_000)
            } else if m.is_file() {
                let data = std::fs::read(&p).expect("read");
                HostObj::File(m.mode(), m.mtime_nsec() + m.mtime() * 1_000_000_000, data)
            } else {
                HostObj::Other
            };
            out.insert(key, obj);
        }
    }
    out
}

fn build_lower(outer: &Path, root: &Path, entries: &[(u8, LowerKind)]) {
    for (p, kind) in entries.iter().take(24) {
        let rel = LOWER_PATHS[usize::from(*p) % LOWER_PATHS.len()];
        let at = root.join(rel);
        // Failures (missing parent, existing name) just leave the tree as it is.
        let _ = match kind {
            LowerKind::Dir => std::fs::create_dir(&at),
            // `create_new`: never through a symlink already at `at` (that
            // could write the canary or a name inside the root).
            LowerKind::File(n) => std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&at)
                .and_then(|mut f| {
                    std::io::Write::write_all(&mut f, &vec![b'a' + n % 26; usize::from(*n) * 37])
                }),
            LowerKind::Symlink(t) => {
                let t = expand(TARGETS[usize::from(*t) % TARGETS.len()], outer);
                std::os::unix::fs::symlink(t, &at)
            }
            LowerKind::HardLink(o) => {
                let other = root.join(LOWER_PATHS[usize::from(*o) % LOWER_PATHS.len()]);
                std::fs::hard_link(other, &at)
            }
        };
    }
}

fn no_canary(what: &str, data: &[u8]) {
    assert!(
        !data.windows(CANARY.len()).any(|w| w == CANARY),
        "{what}: returned the canary's content"
    );
}

fn no_outside_name(what: &str, name: &str) {
    assert!(
        !OUTSIDE_NAMES.contains(&name),
        "{what}: listed a name that exists only outside the root: {name}"
    );
}

struct Run<'a> {
    fs: Fs,
    root: Handle,
    outer: &'a Path,
}

impl Run<'_> {
    fn path(&self, i: u8) -> String {
        expand(OP_PATHS[usize::from(i) % OP_PATHS.len()], self.outer)
    }

    fn read(&mut self, p: &str, follow: bool) {
        let opts = OpenOptions {
            nofollow: !follow,
            ..OpenOptions::default()
        };
        let Ok(h) = self.fs.open(&self.root, p, &opts) else {
            return;
        };
        let mut buf = vec![0u8; 4096];
        if let Ok(n) = self.fs.pread(&h, &mut buf, 0) {
            no_canary(p, &buf[..n]);
        }
        if h.borrow().kind() == FileType::Dir {
            self.list_handle(p, &h);
        }
        self.fs.close(h);
    }

    /// Reads every entry of an open directory through that handle (the guest
    /// may legitimately create outside-only names, so names prove nothing;
    /// content does).
    fn list_handle(&mut self, p: &str, h: &Handle) {
        let mut names = Vec::new();
        let _ = self.fs.readdir(h, 0, &mut |d| {
            names.push(d.name.to_string());
            true
        });
        let opts = OpenOptions {
            nofollow: true,
            ..OpenOptions::default()
        };
        let mut buf = vec![0u8; 4096];
        for n in names.iter().filter(|n| *n != "." && *n != "..") {
            if let Ok(f) = self.fs.open(h, n, &opts) {
                if let Ok(k) = self.fs.pread(&f, &mut buf, 0) {
                    no_canary(&format!("{p}/{n}"), &buf[..k]);
                }
                self.fs.close(f);
            }
        }
    }

    fn apply(&mut self, op: &Op) {
        let root = &self.root;
        match op {
            Op::Read(p, follow) => {
                let p = self.path(*p);
                self.read(&p, *follow);
            }
            Op::Stat(p, follow) => {
                let p = self.path(*p);
                // Escapes and loops are errors; what succeeds is inside (the
                // sweep reads it).
                let _ = self.fs.stat_at(root, &p, *follow);
            }
            Op::Readlink(p) => {
                let p = self.path(*p);
                let _ = self.fs.readlink(root, &p);
            }
            Op::List(p) => {
                let p = self.path(*p);
                let opts = OpenOptions {
                    directory: true,
                    ..OpenOptions::default()
                };
                if let Ok(h) = self.fs.open(root, &p, &opts) {
                    self.list_handle(&p, &h);
                    self.fs.close(h);
                }
            }
            Op::Write(p, data) => {
                let p = self.path(*p);
                let opts = OpenOptions {
                    read: true,
                    write: true,
                    create: true,
                    ..OpenOptions::default()
                };
                if let Ok(h) = self.fs.open(root, &p, &opts) {
                    let _ = self.fs.write(&h, &[data]);
                    let mut buf = vec![0u8; 4096];
                    if let Ok(n) = self.fs.pread(&h, &mut buf, 0) {
                        no_canary(&p, &buf[..n]);
                    }
                    self.fs.close(h);
                }
            }
            Op::Truncate(p, len) => {
                let p = self.path(*p);
                let opts = OpenOptions {
                    write: true,
                    ..OpenOptions::default()
                };
                if let Ok(h) = self.fs.open(root, &p, &opts) {
                    let _ = self.fs.set_len(&h, u64::from(*len));
                    self.fs.close(h);
                }
            }
            Op::Mkdir(p) => {
                let _ = self.fs.mkdir(root, &self.path(*p), 0o755);
            }
            Op::Symlink(t, p) => {
                let t = expand(TARGETS[usize::from(*t) % TARGETS.len()], self.outer);
                let _ = self.fs.symlink(&t, root, &self.path(*p));
            }
            Op::Rename(a, b) => {
                let _ = self.fs.rename(root, &self.path(*a), root, &self.path(*b));
            }
            Op::Unlink(p) => {
                let _ = self.fs.unlink(root, &self.path(*p));
            }
            Op::Rmdir(p) => {
                let _ = self.fs.rmdir(root, &self.path(*p));
            }
            Op::Link(a, b, follow) => {
                let _ = self
                    .fs
                    .link(root, &self.path(*a), root, &self.path(*b), *follow);
            }
            Op::Touch(p, perm) => {
                let p = self.path(*p);
                let _ = self.fs.set_perm_at(root, &p, false, u32::from(*perm));
                let _ = self
                    .fs
                    .set_times_at(root, &p, true, SetTime::At(7), SetTime::Now);
            }
            Op::ReadJoined(parts) => {
                let p: Vec<String> = parts.iter().take(4).map(|i| self.path(*i)).collect();
                self.read(&p.join("/"), true);
            }
            Op::ReadLong(i, n) => {
                let piece = self.path(*i);
                let p = vec![piece.as_str(); usize::from(*n % 1200) + 1].join("/");
                self.read(&p, true);
            }
        }
    }

    /// Reads every file and lists every directory reachable from the root.
    fn sweep(&mut self) {
        let snap = self.fs.snapshot();
        let mut work = vec![snap.root()];
        let mut buf = vec![0u8; 4096];
        while let Some(dir) = work.pop() {
            let Ok(entries) = snap.entries(dir) else {
                continue;
            };
            for e in entries {
                match e.kind {
                    FileType::Dir => work.push(e.ino),
                    FileType::File => {
                        if let Ok(n) = snap.read(e.ino, 0, &mut buf) {
                            no_canary("sweep", &buf[..n]);
                        }
                    }
                    FileType::Symlink => {}
                }
            }
        }
    }
}

fuzz_target!(|input: Input| {
    let outer = tempfile::tempdir().expect("tempdir");
    let outer_path = outer.path();
    std::fs::write(outer_path.join("zz-canary-only"), CANARY).expect("canary");
    std::fs::create_dir(outer_path.join("zz-outside-only")).expect("outside dir");
    std::fs::write(outer_path.join("zz-outside-only/zz-secret-only"), CANARY).expect("secret");
    let root_path = outer_path.join("root");
    std::fs::create_dir(&root_path).expect("root");
    build_lower(outer_path, &root_path, &input.lower);
    let before = host_tree(outer_path);
    assert_eq!(
        std::fs::read(outer_path.join("zz-canary-only")).expect("canary"),
        CANARY,
        "building the lower tree went through a symlink"
    );

    let lower = Arc::new(HostLower::open(&root_path).expect("host lower"));
    let mut fs = Fs::with_lower(lower.clone(), Config::default()).expect("with_lower");
    let root = fs.open_root().expect("root handle");
    let mut run = Run {
        fs,
        root,
        outer: outer_path,
    };
    for op in input.ops.iter().take(48) {
        run.apply(op);
    }
    run.sweep();
    drop(run);
    check_lower(&lower);

    assert_eq!(before, host_tree(outer_path), "the host directory changed");
});

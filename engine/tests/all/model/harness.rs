//! The harness that runs one operation sequence on an engine filesystem and on
//! the reference model (`posix.rs`) side by side, comparing every result and
//! the whole tree after every step. A harness starts from the same seed tree in
//! one of three engine configurations (the gVisor habit): upper layer only, a
//! host directory as the lower layer, and a frozen snapshot as the lower layer.
//!
//! Shared by the property test (`mod.rs`) and the `ops_vs_model` fuzz target,
//! which includes this file and `posix.rs` by path as sibling modules: it
//! depends on nothing but `std`, `strata_engine`, `tempfile` and `super::posix`.

use std::collections::HashMap;
use std::fmt::Debug;
use std::path::Path;
use std::sync::Arc;

use strata_engine::{
    Config, Error, FdFlags, FrozenLower, Fs, Handle, HostLower, Ino, OpenOptions, SeekFrom,
    Snapshot,
};

use super::posix::*;

// ---------------------------------------------------------------------------
// The starting tree, shared by every configuration.

/// Content of the lower file `a`: two chunks and a bit, so copy-up and holes
/// cross chunk boundaries.
fn a_content() -> Vec<u8> {
    (0..5000u32).map(|i| (i * 7 % 251) as u8).collect()
}

enum Seed {
    Dir(&'static str),
    File(&'static str, Vec<u8>),
    Symlink(&'static str, &'static str),
    Link(&'static str, &'static str),
}

fn seed() -> Vec<Seed> {
    vec![
        Seed::File("a", a_content()),
        Seed::File("b", b"bee\n".to_vec()),
        Seed::Dir("d1"),
        Seed::File("d1/f", b"hello from d1".to_vec()),
        Seed::Dir("d1/d2"),
        Seed::File("d1/d2/deep", b"deep".to_vec()),
        Seed::Dir("e"),
        Seed::Symlink("ln", "d1"),
        Seed::Symlink("dangle", "nowhere"),
        Seed::Symlink("esc", "../x"),
        Seed::File("h1", b"shared".to_vec()),
        Seed::Link("h1", "h2"),
    ]
}

fn seed_model(ids: &mut Id) -> Model {
    let mut m = Model::new(ids);
    for s in seed() {
        match s {
            Seed::Dir(p) => m.mkdir(ids, p).expect("seed mkdir"),
            Seed::File(p, data) => {
                let args = OpenArgs {
                    read: true,
                    write: true,
                    create: true,
                    excl: true,
                    trunc: false,
                    append: false,
                    directory: false,
                    nofollow: false,
                };
                let (id, _) = m.open(ids, p, args).expect("seed file");
                m.write_at(id, 0, &data);
            }
            Seed::Symlink(p, t) => m.symlink(ids, t, p).expect("seed symlink"),
            Seed::Link(from, to) => m.link(from, to, false).expect("seed link"),
        }
    }
    m
}

pub(crate) fn seed_engine(fs: &mut Fs) {
    let root = fs.open_root().expect("root");
    for s in seed() {
        match s {
            Seed::Dir(p) => fs.mkdir(&root, p, 0o755).expect("seed mkdir"),
            Seed::File(p, data) => {
                let opts = OpenOptions {
                    write: true,
                    create: true,
                    exclusive: true,
                    ..OpenOptions::default()
                };
                let h = fs.open(&root, p, &opts).expect("seed file");
                fs.pwrite(&h, &[&data], 0).expect("seed write");
                fs.close(h);
            }
            Seed::Symlink(p, t) => fs.symlink(t, &root, p).expect("seed symlink"),
            Seed::Link(from, to) => fs.link(&root, from, &root, to, false).expect("seed link"),
        }
    }
    fs.close(root);
}

fn seed_host(dir: &Path) {
    for s in seed() {
        match s {
            Seed::Dir(p) => std::fs::create_dir(dir.join(p)).expect("seed mkdir"),
            Seed::File(p, data) => std::fs::write(dir.join(p), data).expect("seed file"),
            Seed::Symlink(p, t) => {
                std::os::unix::fs::symlink(t, dir.join(p)).expect("seed symlink");
            }
            Seed::Link(from, to) => {
                std::fs::hard_link(dir.join(from), dir.join(to)).expect("seed link");
            }
        }
    }
}

/// How a case's filesystem is built.
#[derive(Clone)]
pub(crate) enum Setup {
    /// `Fs::new`, seeded through the engine.
    Upper,
    /// A host directory holding the seed tree as the lower layer.
    Host(Arc<tempfile::TempDir>),
    /// A seeded upper-only filesystem, frozen, as the lower layer.
    Frozen(Snapshot),
}

impl Setup {
    pub(crate) fn host() -> Setup {
        let dir = tempfile::tempdir().expect("tempdir");
        seed_host(dir.path());
        Setup::Host(Arc::new(dir))
    }

    pub(crate) fn frozen() -> Setup {
        let mut fs = Fs::new(Config::default());
        seed_engine(&mut fs);
        Setup::Frozen(fs.snapshot())
    }

    fn build(&self) -> Harness {
        let mut ids = 1;
        let mut model = seed_model(&mut ids);
        let fs = match self {
            Setup::Upper => {
                let mut fs = Fs::new(Config::default());
                seed_engine(&mut fs);
                fs
            }
            Setup::Host(dir) => {
                // Directory link counts come from the host filesystem (some
                // report 1 for every directory).
                for p in [".", "d1", "d1/d2", "e"] {
                    let meta = std::fs::metadata(dir.path().join(p)).expect("host stat");
                    let id = model.resolve(p, false).and_then(|r| r.existing());
                    model.node_mut(id.expect("seeded")).nlink =
                        std::os::unix::fs::MetadataExt::nlink(&meta);
                }
                let lower = HostLower::open(dir.path()).expect("host lower");
                Fs::with_lower(Arc::new(lower), Config::default()).expect("with_lower")
            }
            Setup::Frozen(snap) => {
                let lower = FrozenLower::new(snap.clone());
                Fs::with_lower(Arc::new(lower), Config::default()).expect("with_lower")
            }
        };
        Harness::new(fs, model, ids)
    }
}

// ---------------------------------------------------------------------------
// Operations.

#[derive(Debug, Clone)]
pub(crate) enum Op {
    Open(String, [bool; 8]),
    Close(usize),
    Read(usize, usize),
    Pread(usize, u64, usize),
    Write(usize, Vec<u8>),
    Pwrite(usize, u64, Vec<u8>),
    SetLen(usize, u64),
    Seek(usize, SeekFrom),
    Fstat(usize),
    Freaddir(usize),
    Mkdir(String),
    Rmdir(String),
    Unlink(String),
    Rename(String, String),
    Link(String, String, bool),
    Symlink(String, String),
    Stat(String, bool),
    Readlink(String),
    Readdir(String),
    ReadFile(String),
    Snapshot,
    Restore(usize),
    Fork(usize),
}

pub(crate) const NAMES: &[&str] = &[
    "a", "b", "c", "d1", "d2", "e", "f", "h1", "h2", "ln", "dangle", "esc", "x", "deep", ".", "..",
];

pub(crate) const PATHS: &[&str] = &[
    "d1/d2",
    "d1/f",
    "d1/d2/deep",
    "ln/f",
    "ln/d2",
    "ln/",
    "a/../c",
    "d1/../b",
    "d1/d2/../x",
    "e/x",
    "x/y",
    "d1/",
    "e/",
    "a/",
    "d1/d2/..",
    "d1/.",
    "./a",
    "e/../e/x",
    "dangle/",
    "d1/x/",
    "c/d",
    "c/d/e",
    "x/a",
    "loop",
];

pub(crate) const TARGETS: &[&str] = &[
    "a",
    "b",
    "c",
    "d1",
    "d1/d2",
    "d1/d2/deep",
    "nowhere",
    "../a",
    "/abs",
    "ln",
    "loop",
    "c/../a",
    ".",
    "..",
    "x/",
    "e",
    "d2/..",
];

fn open_args(f: [bool; 8]) -> OpenArgs {
    let [
        read,
        write,
        create,
        excl,
        trunc,
        append,
        directory,
        nofollow,
    ] = f;
    OpenArgs {
        read: read || !write,
        write,
        create,
        excl,
        // Rarer flags stay rare so that most opens succeed.
        trunc: trunc && append,
        append,
        directory: directory && nofollow && excl,
        nofollow: nofollow && create,
    }
}

fn engine_options(o: OpenArgs) -> OpenOptions {
    OpenOptions {
        read: o.read,
        write: o.write,
        create: o.create,
        exclusive: o.excl,
        truncate: o.trunc,
        directory: o.directory,
        nofollow: o.nofollow,
        flags: FdFlags {
            append: o.append,
            ..FdFlags::default()
        },
        perm: 0o644,
    }
}

// ---------------------------------------------------------------------------
// The harness: one engine filesystem and the model side by side.

struct Harness {
    fs: Fs,
    root: Handle,
    model: Model,
    /// Model ids are never reused, even across restores.
    ids: Id,
    handles: Vec<(Handle, MHandle)>,
    snaps: Vec<(Snapshot, Model)>,
}

/// Compares an engine result with the model's; `Ok` values must be equal, an
/// engine error must be one the model allows.
fn same<T: PartialEq + Debug>(
    what: &dyn Fn() -> String,
    eng: Result<T, &Error>,
    model: Result<T, &Fail>,
) -> Result<(), String> {
    let ok = match (&eng, &model) {
        (Ok(a), Ok(b)) => a == b,
        (Err(e), Err(Fail(allowed))) => allowed.contains(&kind_of(e)),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{}: engine {eng:?}, model {model:?}", what()))
    }
}

impl Harness {
    fn new(mut fs: Fs, model: Model, ids: Id) -> Harness {
        let root = fs.open_root().expect("root");
        Harness {
            fs,
            root,
            ids,
            handles: Vec::new(),
            snaps: Vec::new(),
            model,
        }
    }

    fn handle(&self, i: usize) -> Option<usize> {
        (!self.handles.is_empty()).then(|| i % self.handles.len())
    }

    fn model_open_files(&self) -> Vec<MHandle> {
        self.handles.iter().map(|(_, m)| m.clone()).collect()
    }

    fn apply(&mut self, op: &Op) -> Result<(), String> {
        let what = || format!("{op:?}");
        match op {
            Op::Open(p, flags) => {
                let o = open_args(*flags);
                let eng = self.fs.open(&self.root, p, &engine_options(o));
                let model = self.model.open(&mut self.ids, p, o);
                same(&what, eng.as_ref().map(|_| ()), model.as_ref().map(|_| ()))?;
                if let (Ok(h), Ok((id, kind))) = (eng, model) {
                    self.handles.push((
                        h,
                        MHandle {
                            id,
                            kind,
                            read: o.read,
                            write: o.write,
                            append: o.append,
                            offset: 0,
                        },
                    ));
                }
            }
            Op::Close(i) => {
                if let Some(i) = self.handle(*i) {
                    let (h, _) = self.handles.remove(i);
                    self.fs.close(h);
                }
            }
            Op::Read(i, n) => {
                if let Some(i) = self.handle(*i) {
                    let mut buf = vec![0u8; *n];
                    let eng = self
                        .fs
                        .read(&self.handles[i].0, &mut buf)
                        .map(|k| buf[..k].to_vec());
                    let m = self.handles[i].1.clone();
                    let model = self.model_read(&m, m.offset, *n);
                    if let Ok(d) = &model {
                        self.handles[i].1.offset += d.len() as u64;
                    }
                    same(&what, eng.as_ref(), model.as_ref())?;
                }
            }
            Op::Pread(i, off, n) => {
                if let Some(i) = self.handle(*i) {
                    let mut buf = vec![0u8; *n];
                    let eng = self
                        .fs
                        .pread(&self.handles[i].0, &mut buf, *off)
                        .map(|k| buf[..k].to_vec());
                    let m = self.handles[i].1.clone();
                    let model = self.model_read(&m, *off, *n);
                    same(&what, eng.as_ref(), model.as_ref())?;
                }
            }
            Op::Write(i, d) => {
                if let Some(i) = self.handle(*i) {
                    let eng = self.fs.write(&self.handles[i].0, &[d]);
                    let m = self.handles[i].1.clone();
                    let at = if m.append {
                        self.model_size(m.id)
                    } else {
                        m.offset
                    };
                    let model = self.model_write(&m, at, d);
                    if model.is_ok() {
                        self.handles[i].1.offset = at + d.len() as u64;
                    }
                    same(&what, eng.as_ref(), model.as_ref())?;
                }
            }
            Op::Pwrite(i, off, d) => {
                if let Some(i) = self.handle(*i) {
                    let eng = self.fs.pwrite(&self.handles[i].0, &[d], *off);
                    let m = self.handles[i].1.clone();
                    // With O_APPEND the data goes to the end of file whatever
                    // the offset, as on Linux (pwrite(2), BUGS) and wasmtime-wasi.
                    let at = if m.append {
                        self.model_size(m.id)
                    } else {
                        *off
                    };
                    let model = self.model_write(&m, at, d);
                    same(&what, eng.as_ref(), model.as_ref())?;
                }
            }
            Op::SetLen(i, len) => {
                if let Some(i) = self.handle(*i) {
                    let eng = self.fs.set_len(&self.handles[i].0, *len);
                    let m = self.handles[i].1.clone();
                    let model = if m.kind == Kind::Dir {
                        // POSIX ftruncate: EINVAL or EBADF ("not open for
                        // writing"); a directory is never open for writing.
                        fail_any(&[E::BadHandle, E::Invalid])
                    } else if !m.write {
                        fail_any(&[E::BadHandle, E::Invalid])
                    } else {
                        let len = usize::try_from(*len).expect("small length");
                        self.model.data_mut(m.id).resize(len, 0);
                        Ok(())
                    };
                    same(&what, eng.as_ref(), model.as_ref())?;
                }
            }
            Op::Seek(i, pos) => {
                if let Some(i) = self.handle(*i) {
                    let eng = self.fs.seek(&self.handles[i].0, *pos);
                    let m = &self.handles[i].1;
                    let size = match &self.model.node(m.id).body {
                        Body::File(d) => d.len() as i128,
                        Body::Symlink(t) => t.len() as i128,
                        Body::Dir(_) => 0,
                    };
                    let new = match *pos {
                        SeekFrom::Start(n) => i128::from(n),
                        SeekFrom::Current(d) => i128::from(m.offset) + i128::from(d),
                        SeekFrom::End(d) => size + i128::from(d),
                    };
                    let model = match u64::try_from(new) {
                        Ok(n) => Ok(n),
                        Err(_) => fail(E::Invalid),
                    };
                    if let Ok(n) = model {
                        self.handles[i].1.offset = n;
                    }
                    same(&what, eng.as_ref(), model.as_ref())?;
                }
            }
            Op::Fstat(i) => {
                if let Some(i) = self.handle(*i) {
                    let eng = self.fs.stat(&self.handles[i].0).map(|s| stat_out(&s));
                    let model = Ok(self.model.stat_id(self.handles[i].1.id));
                    same(&what, eng.as_ref(), model.as_ref())?;
                }
            }
            Op::Freaddir(i) => {
                if let Some(i) = self.handle(*i) {
                    let eng = list_handle(&self.fs, &self.handles[i].0);
                    let m = &self.handles[i].1;
                    let model = if m.kind == Kind::Dir {
                        Ok(self.model.listing(m.id))
                    } else {
                        fail(E::NotDir)
                    };
                    same(&what, eng.as_ref(), model.as_ref())?;
                }
            }
            Op::Mkdir(p) => {
                let eng = self.fs.mkdir(&self.root, p, 0o755);
                let model = self.model.mkdir(&mut self.ids, p);
                same(&what, eng.as_ref(), model.as_ref())?;
            }
            Op::Rmdir(p) => {
                let eng = self.fs.rmdir(&self.root, p);
                let model = self.model.rmdir(p);
                same(&what, eng.as_ref(), model.as_ref())?;
            }
            Op::Unlink(p) => {
                let eng = self.fs.unlink(&self.root, p);
                let model = self.model.unlink(p);
                same(&what, eng.as_ref(), model.as_ref())?;
            }
            Op::Rename(a, b) => {
                let eng = self.fs.rename(&self.root, a, &self.root, b);
                let model = self.model.rename(a, b);
                same(&what, eng.as_ref(), model.as_ref())?;
            }
            Op::Link(a, b, follow) => {
                let eng = self.fs.link(&self.root, a, &self.root, b, *follow);
                let model = self.model.link(a, b, *follow);
                same(&what, eng.as_ref(), model.as_ref())?;
            }
            Op::Symlink(t, p) => {
                let eng = self.fs.symlink(t, &self.root, p);
                let model = self.model.symlink(&mut self.ids, t, p);
                same(&what, eng.as_ref(), model.as_ref())?;
            }
            Op::Stat(p, follow) => {
                let eng = self
                    .fs
                    .stat_at(&self.root, p, *follow)
                    .map(|s| stat_out(&s));
                let model = self.model.stat(p, *follow);
                same(&what, eng.as_ref(), model.as_ref())?;
            }
            Op::Readlink(p) => {
                let eng = self.fs.readlink(&self.root, p);
                let model = self.model.readlink(p);
                same(&what, eng.as_ref(), model.as_ref())?;
            }
            Op::Readdir(p) => {
                let opts = OpenOptions {
                    directory: true,
                    ..OpenOptions::default()
                };
                let eng = self.fs.open(&self.root, p, &opts).and_then(|h| {
                    let l = list_handle(&self.fs, &h);
                    self.fs.close(h);
                    l
                });
                let model = self
                    .model
                    .resolve(p, true)
                    .and_then(|r| r.existing())
                    .and_then(|id| match self.model.kind(id) {
                        Kind::Dir => Ok(self.model.listing(id)),
                        _ => fail(E::NotDir),
                    });
                same(&what, eng.as_ref(), model.as_ref())?;
            }
            Op::ReadFile(p) => {
                let eng = self
                    .fs
                    .open(&self.root, p, &OpenOptions::default())
                    .and_then(|h| {
                        let mut buf = vec![0u8; 20_000];
                        let r = self.fs.pread(&h, &mut buf, 0).map(|n| buf[..n].to_vec());
                        self.fs.close(h);
                        r
                    });
                let model = self
                    .model
                    .resolve(p, true)
                    .and_then(|r| r.existing())
                    .and_then(|id| self.model.read_at(id, 0, 20_000));
                same(&what, eng.as_ref(), model.as_ref())?;
            }
            Op::Snapshot => {
                if self.snaps.len() >= 6 {
                    self.snaps.remove(0);
                }
                self.snaps.push((self.fs.snapshot(), self.model.frozen()));
            }
            Op::Restore(i) => {
                if !self.snaps.is_empty() {
                    let (s, m) = self.snaps[i % self.snaps.len()].clone();
                    self.fs.restore(&s);
                    self.model = m;
                    self.drop_stale()?;
                }
            }
            Op::Fork(i) => {
                if !self.snaps.is_empty() {
                    let (s, m) = self.snaps[i % self.snaps.len()].clone();
                    self.handles.clear();
                    self.fs = Fs::from_snapshot(&s);
                    self.root = self
                        .fs
                        .open_root()
                        .map_err(|e| format!("open_root after fork: {e:?}"))?;
                    self.model = m;
                }
            }
        }
        let open = self.model_open_files();
        self.model.collect(&open);
        Ok(())
    }

    fn model_size(&self, id: Id) -> u64 {
        match &self.model.node(id).body {
            Body::File(d) => d.len() as u64,
            _ => 0,
        }
    }

    fn model_read(&self, m: &MHandle, offset: u64, n: usize) -> MResult<Vec<u8>> {
        if m.kind == Kind::Dir {
            return fail_any(&[E::IsDir, E::BadHandle]);
        }
        if !m.read {
            return fail(E::BadHandle);
        }
        self.model.read_at(m.id, offset, n)
    }

    fn model_write(&mut self, m: &MHandle, offset: u64, d: &[u8]) -> MResult<usize> {
        if m.kind == Kind::Dir || !m.write {
            // POSIX write: EBADF, "not a valid file descriptor open for writing".
            return fail(E::BadHandle);
        }
        self.model.write_at(m.id, offset, d);
        Ok(d.len())
    }

    /// After a restore, handles on objects the restored state does not have must
    /// fail every operation with `BadHandle`; they are then closed (their inode
    /// number may be reused by the restored state's next new object).
    fn drop_stale(&mut self) -> Result<(), String> {
        let mut i = 0;
        while i < self.handles.len() {
            let (h, m) = &self.handles[i];
            if self.model.nodes.contains_key(&m.id) {
                i += 1;
                continue;
            }
            let ino = h.borrow().ino();
            if self.fs.snapshot().stat(ino).is_ok() {
                // Known engine bugs: the handle's inode number names another
                // object in the restored state (`restored_handle_aliases_new_inode`)
                // or a lower object that state unlinked
                // (`restored_handle_on_unlinked_lower_file`).
                let (h, _) = self.handles.remove(i);
                self.fs.close(h);
                continue;
            }
            let what = || format!("stale handle after restore {m:?}");
            let bad = Fail(vec![E::BadHandle]);
            same(
                &what,
                (self.fs.stat(h).map(|_| ())).as_ref().map(|_| ()),
                Err(&bad),
            )?;
            if m.kind == Kind::Dir {
                same(
                    &what,
                    (list_handle(&self.fs, h).map(|_| ())).as_ref().map(|_| ()),
                    Err(&bad),
                )?;
            } else {
                let mut buf = [0u8; 4];
                same(
                    &what,
                    (self.fs.pread(h, &mut buf, 0).map(|_| ()))
                        .as_ref()
                        .map(|_| ()),
                    Err(&bad),
                )?;
                same(
                    &what,
                    (self.fs.write(h, &[b"x"]).map(|_| ())).as_ref().map(|_| ()),
                    Err(&bad),
                )?;
                same(
                    &what,
                    (self.fs.set_len(h, 1)).as_ref().map(|_| ()),
                    // ftruncate on a descriptor not open for writing: EINVAL.
                    Err(&Fail(vec![E::BadHandle, E::Invalid])),
                )?;
            }
            let (h, _) = self.handles.remove(i);
            self.fs.close(h);
        }
        Ok(())
    }

    /// Walks the whole tree of the engine (through a snapshot) and of the model
    /// and compares names, types, link counts, sizes, contents, symlink targets
    /// and hard-link identity.
    fn check_tree(&self) -> Result<(), String> {
        let snap = self.fs.snapshot();
        let m = &self.model;
        let mut seen: HashMap<Id, Ino> = HashMap::new();
        let mut seen_ino: HashMap<Ino, Id> = HashMap::new();
        let mut todo = vec![(String::from("."), m.root, snap.root())];
        while let Some((path, id, ino)) = todo.pop() {
            let fail_at = |msg: String| format!("tree at {path}: {msg}");
            match (seen.get(&id), seen_ino.get(&ino)) {
                (None, None) => {
                    seen.insert(id, ino);
                    seen_ino.insert(ino, id);
                }
                (Some(i), Some(d)) if *i == ino && *d == id => continue,
                other => return Err(fail_at(format!("hard-link identity differs: {other:?}"))),
            }
            let st = snap.stat(ino).map_err(|e| fail_at(format!("stat {e:?}")))?;
            let want = m.stat_id(id);
            if stat_out(&st) != want {
                return Err(fail_at(format!(
                    "engine {:?}, model {want:?}",
                    stat_out(&st)
                )));
            }
            match &m.node(id).body {
                Body::File(d) => {
                    let mut buf = vec![0u8; d.len() + 1];
                    let n = snap
                        .read(ino, 0, &mut buf)
                        .map_err(|e| fail_at(format!("read {e:?}")))?;
                    if buf[..n] != d[..] {
                        return Err(fail_at(format!(
                            "content differs: engine {:?}, model {:?}",
                            &buf[..n.min(64)],
                            &d[..d.len().min(64)]
                        )));
                    }
                }
                Body::Symlink(t) => {
                    let got = snap
                        .readlink(ino)
                        .map_err(|e| fail_at(format!("readlink {e:?}")))?;
                    if *got != **t {
                        return Err(fail_at(format!("target: engine {got:?}, model {t:?}")));
                    }
                }
                Body::Dir(entries) => {
                    let got: Vec<(String, Kind, Ino)> = snap
                        .entries(ino)
                        .map_err(|e| fail_at(format!("entries {e:?}")))?
                        .into_iter()
                        .map(|e| (e.name.as_str().to_string(), Kind::from(e.kind), e.ino))
                        .collect();
                    let names: Vec<(String, Kind)> =
                        got.iter().map(|(n, k, _)| (n.clone(), *k)).collect();
                    if names != m.listing(id) {
                        return Err(fail_at(format!(
                            "listing: engine {names:?}, model {:?}",
                            m.listing(id)
                        )));
                    }
                    for ((name, _, cino), (_, cid)) in got.into_iter().zip(entries) {
                        todo.push((format!("{path}/{name}"), *cid, cino));
                    }
                }
            }
        }
        Ok(())
    }
}

/// A directory handle's listing without `.` and `..` (checked to come first).
fn list_handle(fs: &Fs, h: &Handle) -> Result<Vec<(String, Kind)>, Error> {
    let mut names = Vec::new();
    fs.readdir(h, 0, &mut |d| {
        names.push((d.name.to_string(), Kind::from(d.kind)));
        true
    })?;
    assert!(
        names.len() >= 2 && names[0].0 == "." && names[1].0 == "..",
        "readdir must start with . and ..: {names:?}"
    );
    Ok(names.split_off(2))
}

/// Runs `ops` from `setup`'s starting tree, comparing engine and model after
/// every step; the error names the step and the difference.
pub(crate) fn run_ops(setup: &Setup, ops: &[Op]) -> Result<(), String> {
    let mut h = setup.build();
    h.check_tree()?;
    for (step, op) in ops.iter().enumerate() {
        h.apply(op).map_err(|e| format!("step {step}: {e}"))?;
        h.check_tree()
            .map_err(|e| format!("step {step} after {op:?}: {e}"))?;
    }
    Ok(())
}

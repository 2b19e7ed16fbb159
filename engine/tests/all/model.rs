//! Random operation sequences applied to the engine and to a naive reference model
//! of POSIX semantics must give the same observable results after every step.
//!
//! The model is an inode map with plain `Vec<u8>` files and `BTreeMap`
//! directories; a snapshot of it is a clone. It runs against three engine
//! configurations starting from the same tree (the gVisor habit): upper layer
//! only, a host directory as the lower layer, and a frozen snapshot as the lower
//! layer. `STRATA_PROPTEST_CASES` sets the total number of cases.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::path::Path;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};
use strata_engine::{
    Config, Error, FdFlags, FileType, FrozenLower, Fs, Handle, HostLower, Ino, OpenOptions,
    SeekFrom, Snapshot,
};

// ---------------------------------------------------------------------------
// The model.

type Id = u64;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Body {
    File(Vec<u8>),
    Dir(BTreeMap<String, Id>),
    Symlink(String),
}

#[derive(Debug, Clone)]
struct Node {
    body: Body,
    nlink: u64,
}

/// An error kind; the engine's error is compared by kind only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum E {
    NotFound,
    Exists,
    NotDir,
    IsDir,
    NotEmpty,
    Escape,
    Loop,
    Invalid,
    BadHandle,
    NotPermitted,
    Busy,
    Other,
}

fn kind_of(e: &Error) -> E {
    match e {
        Error::NotFound => E::NotFound,
        Error::Exists => E::Exists,
        Error::NotDir => E::NotDir,
        Error::IsDir => E::IsDir,
        Error::NotEmpty => E::NotEmpty,
        Error::Escape => E::Escape,
        Error::Loop => E::Loop,
        Error::Invalid(_) => E::Invalid,
        Error::BadHandle => E::BadHandle,
        Error::NotPermitted => E::NotPermitted,
        Error::Busy => E::Busy,
        _ => E::Other,
    }
}

/// A model failure: every error POSIX allows in this situation.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fail(Vec<E>);

type MResult<T> = Result<T, Fail>;

fn fail<T>(e: E) -> MResult<T> {
    Err(Fail(vec![e]))
}

fn fail_any<T>(es: &[E]) -> MResult<T> {
    Err(Fail(es.to_vec()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Dir,
    Symlink,
}

impl From<FileType> for Kind {
    fn from(t: FileType) -> Kind {
        match t {
            FileType::File => Kind::File,
            FileType::Dir => Kind::Dir,
            FileType::Symlink => Kind::Symlink,
        }
    }
}

/// What resolution found: the directory holding the final component, its name
/// (`None` when the path ends in `.` or `..`), the object if it exists, and
/// whether a trailing slash requires a directory.
#[derive(Debug)]
struct Res {
    parent: Id,
    name: Option<String>,
    target: Option<Id>,
    dir_required: bool,
}

impl Res {
    fn existing(&self) -> MResult<Id> {
        self.target.ok_or(Fail(vec![E::NotFound]))
    }
}

/// Symlink expansions allowed in one resolution (the engine's default).
const MAX_SYMLINKS: usize = 40;

#[derive(Debug, Clone)]
struct Model {
    nodes: BTreeMap<Id, Node>,
    root: Id,
}

/// Options of a model `open`.
#[derive(Debug, Clone, Copy)]
struct OpenArgs {
    read: bool,
    write: bool,
    create: bool,
    excl: bool,
    trunc: bool,
    append: bool,
    directory: bool,
    nofollow: bool,
}

impl Model {
    fn new(ids: &mut Id) -> Model {
        let root = *ids;
        *ids += 1;
        let mut nodes = BTreeMap::new();
        nodes.insert(
            root,
            Node {
                body: Body::Dir(BTreeMap::new()),
                nlink: 2,
            },
        );
        Model { nodes, root }
    }

    fn node(&self, id: Id) -> &Node {
        &self.nodes[&id]
    }

    fn node_mut(&mut self, id: Id) -> &mut Node {
        self.nodes.get_mut(&id).expect("model node")
    }

    fn kind(&self, id: Id) -> Kind {
        match self.node(id).body {
            Body::File(_) => Kind::File,
            Body::Dir(_) => Kind::Dir,
            Body::Symlink(_) => Kind::Symlink,
        }
    }

    fn entries(&self, id: Id) -> &BTreeMap<String, Id> {
        match &self.node(id).body {
            Body::Dir(e) => e,
            b => panic!("model: entries of a non-directory {b:?}"),
        }
    }

    fn entries_mut(&mut self, id: Id) -> &mut BTreeMap<String, Id> {
        match &mut self.node_mut(id).body {
            Body::Dir(e) => e,
            _ => panic!("model: entries of a non-directory"),
        }
    }

    fn data_mut(&mut self, id: Id) -> &mut Vec<u8> {
        match &mut self.node_mut(id).body {
            Body::File(d) => d,
            _ => panic!("model: data of a non-file"),
        }
    }

    fn add(&mut self, ids: &mut Id, parent: Id, name: String, body: Body) -> Id {
        let id = *ids;
        *ids += 1;
        let is_dir = matches!(body, Body::Dir(_));
        self.nodes.insert(
            id,
            Node {
                body,
                nlink: if is_dir { 2 } else { 1 },
            },
        );
        self.entries_mut(parent).insert(name, id);
        if is_dir {
            self.node_mut(parent).nlink += 1;
        }
        id
    }

    /// Drops objects that no name and no open handle reach any more.
    fn collect(&mut self, open: &[MHandle]) {
        self.nodes
            .retain(|id, n| n.nlink > 0 || open.iter().any(|h| h.id == *id));
    }

    /// The state a snapshot captures: unlinked objects are left out.
    fn frozen(&self) -> Model {
        let mut m = self.clone();
        m.nodes.retain(|_, n| n.nlink > 0);
        m
    }

    /// POSIX pathname resolution (XBD 4.13) confined to the root: `..` above it
    /// and absolute paths or symlink targets escape; a final symlink is followed
    /// when `follow` is set or a trailing slash follows it.
    fn resolve(&self, path: &str, follow: bool) -> MResult<Res> {
        if path.is_empty() {
            return fail(E::NotFound);
        }
        if path.starts_with('/') {
            return fail(E::Escape);
        }
        let mut dir_required = path.ends_with('/');
        let mut pending: Vec<String> = path
            .split('/')
            .filter(|c| !c.is_empty())
            .rev()
            .map(String::from)
            .collect();
        // The directories walked through: `..` goes back one.
        let mut walked = vec![self.root];
        let mut expansions = 0;
        while let Some(comp) = pending.pop() {
            let last = pending.is_empty();
            let cur = *walked.last().expect("walked is never empty");
            if comp == "." {
                continue;
            }
            if comp == ".." {
                if walked.len() == 1 {
                    return fail(E::Escape);
                }
                walked.pop();
                continue;
            }
            let Some(&id) = self.entries(cur).get(&comp) else {
                if last {
                    return Ok(Res {
                        parent: cur,
                        name: Some(comp),
                        target: None,
                        dir_required,
                    });
                }
                return fail(E::NotFound);
            };
            match &self.node(id).body {
                Body::Symlink(t) if !last || follow || dir_required => {
                    expansions += 1;
                    if expansions > MAX_SYMLINKS {
                        return fail(E::Loop);
                    }
                    if t.starts_with('/') {
                        return fail(E::Escape);
                    }
                    if last && t.ends_with('/') {
                        dir_required = true;
                    }
                    pending.extend(
                        t.split('/')
                            .filter(|c| !c.is_empty())
                            .rev()
                            .map(String::from),
                    );
                }
                Body::Dir(_) if !last => walked.push(id),
                _ if !last => return fail(E::NotDir),
                body => {
                    if dir_required && !matches!(body, Body::Dir(_)) {
                        return fail(E::NotDir);
                    }
                    return Ok(Res {
                        parent: cur,
                        name: Some(comp),
                        target: Some(id),
                        dir_required,
                    });
                }
            }
        }
        let dir = *walked.last().expect("walked is never empty");
        Ok(Res {
            parent: dir,
            name: None,
            target: Some(dir),
            dir_required: true,
        })
    }

    fn open(&mut self, ids: &mut Id, path: &str, o: OpenArgs) -> MResult<(Id, Kind)> {
        let follow = !(o.nofollow || (o.create && o.excl));
        let r = self.resolve(path, follow)?;
        let Some(id) = r.target else {
            if !o.create {
                return fail(E::NotFound);
            }
            if r.dir_required {
                // Linux: EISDIR; a trailing slash never names a new regular file.
                return fail_any(&[E::IsDir, E::NotFound, E::NotDir]);
            }
            if o.directory {
                return fail_any(&[E::Invalid, E::NotDir]);
            }
            let name = r.name.expect("a missing target has a name");
            let id = self.add(ids, r.parent, name, Body::File(Vec::new()));
            return Ok((id, Kind::File));
        };
        if o.create && o.excl {
            return fail(E::Exists);
        }
        let kind = self.kind(id);
        match kind {
            // Only reached unfollowed: O_NOFOLLOW.
            Kind::Symlink => {
                return if o.directory {
                    fail_any(&[E::Loop, E::NotDir])
                } else {
                    fail(E::Loop)
                };
            }
            // POSIX open: EISDIR when "the named file is a directory and oflag
            // includes O_WRONLY or O_RDWR, or includes O_CREAT without
            // O_DIRECTORY". O_TRUNC without write access is undefined.
            Kind::Dir if o.write || (o.create && !o.directory) => return fail(E::IsDir),
            Kind::Dir if o.trunc => return fail_any(&[E::IsDir, E::Invalid]),
            Kind::File if o.directory => return fail(E::NotDir),
            _ => {}
        }
        if o.trunc && kind == Kind::File {
            self.data_mut(id).clear();
        }
        Ok((id, kind))
    }

    fn mkdir(&mut self, ids: &mut Id, path: &str) -> MResult<()> {
        let r = self.resolve(path, false)?;
        if r.target.is_some() {
            return fail(E::Exists);
        }
        let name = r.name.expect("a missing target has a name");
        self.add(ids, r.parent, name, Body::Dir(BTreeMap::new()));
        Ok(())
    }

    fn symlink(&mut self, ids: &mut Id, target: &str, path: &str) -> MResult<()> {
        let r = self.resolve(path, false)?;
        if r.target.is_some() {
            return fail(E::Exists);
        }
        if r.dir_required {
            return fail_any(&[E::NotFound, E::NotDir]);
        }
        let name = r.name.expect("a missing target has a name");
        self.add(ids, r.parent, name, Body::Symlink(target.to_string()));
        Ok(())
    }

    fn unlink(&mut self, path: &str) -> MResult<()> {
        let r = self.resolve(path, false)?;
        let id = r.existing()?;
        let Some(name) = r.name else {
            return fail_any(&[E::IsDir, E::NotPermitted, E::Busy]);
        };
        if self.kind(id) == Kind::Dir {
            return fail_any(&[E::IsDir, E::NotPermitted]);
        }
        self.entries_mut(r.parent).remove(&name);
        self.node_mut(id).nlink -= 1;
        Ok(())
    }

    fn rmdir(&mut self, path: &str) -> MResult<()> {
        let r = self.resolve(path, false)?;
        let id = r.existing()?;
        let Some(name) = r.name else {
            return fail_any(&[E::Invalid, E::Busy, E::NotEmpty]);
        };
        if self.kind(id) != Kind::Dir {
            return fail(E::NotDir);
        }
        if !self.entries(id).is_empty() {
            return fail_any(&[E::NotEmpty, E::Exists]);
        }
        self.entries_mut(r.parent).remove(&name);
        self.node_mut(r.parent).nlink -= 1;
        self.node_mut(id).nlink = 0;
        Ok(())
    }

    /// Whether directory `dir` is `anc` or lies below it.
    fn within(&self, dir: Id, anc: Id) -> bool {
        if dir == anc {
            return true;
        }
        let mut stack = vec![anc];
        while let Some(d) = stack.pop() {
            for &c in self.entries(d).values() {
                if c == dir {
                    return true;
                }
                if self.kind(c) == Kind::Dir {
                    stack.push(c);
                }
            }
        }
        false
    }

    fn rename(&mut self, from: &str, to: &str) -> MResult<()> {
        let src = self.resolve(from, false)?;
        let sid = src.existing()?;
        let Some(sname) = src.name else {
            return fail_any(&[E::Busy, E::Invalid]);
        };
        let dst = self.resolve(to, false)?;
        let Some(dname) = dst.name else {
            return fail_any(&[E::Busy, E::Invalid]);
        };
        let skind = self.kind(sid);
        if dst.dir_required && skind != Kind::Dir {
            return fail(E::NotDir);
        }
        // POSIX leaves the order of these checks open: collect every one that
        // applies.
        let mut errs = Vec::new();
        if let Some(did) = dst.target {
            if did == sid {
                // Two names of one object: "return successfully and perform no
                // other action".
                return Ok(());
            }
            match (skind, self.kind(did)) {
                (Kind::Dir, Kind::Dir) if !self.entries(did).is_empty() => {
                    errs.extend([E::NotEmpty, E::Exists]);
                }
                (Kind::Dir, Kind::Dir) => {}
                (Kind::Dir, _) => errs.push(E::NotDir),
                (_, Kind::Dir) => errs.push(E::IsDir),
                _ => {}
            }
        }
        if skind == Kind::Dir && self.within(dst.parent, sid) {
            errs.push(E::Invalid);
        }
        if !errs.is_empty() {
            return Err(Fail(errs));
        }
        self.entries_mut(src.parent).remove(&sname);
        let replaced = self.entries_mut(dst.parent).insert(dname, sid);
        if let Some(did) = replaced {
            if self.kind(did) == Kind::Dir {
                self.node_mut(dst.parent).nlink -= 1;
                self.node_mut(did).nlink = 0;
            } else {
                self.node_mut(did).nlink -= 1;
            }
        }
        if skind == Kind::Dir && src.parent != dst.parent {
            self.node_mut(src.parent).nlink -= 1;
            self.node_mut(dst.parent).nlink += 1;
        }
        Ok(())
    }

    fn link(&mut self, from: &str, to: &str, follow: bool) -> MResult<()> {
        let src = self.resolve(from, follow)?;
        let sid = src.existing()?;
        if self.kind(sid) == Kind::Dir {
            return fail(E::NotPermitted);
        }
        let dst = self.resolve(to, false)?;
        if dst.target.is_some() {
            return fail(E::Exists);
        }
        if dst.dir_required {
            return fail_any(&[E::NotFound, E::NotDir]);
        }
        let dname = dst.name.expect("a missing target has a name");
        self.entries_mut(dst.parent).insert(dname, sid);
        self.node_mut(sid).nlink += 1;
        Ok(())
    }

    fn stat_id(&self, id: Id) -> StatOut {
        let n = self.node(id);
        let size = match &n.body {
            Body::File(d) => Some(d.len() as u64),
            Body::Symlink(t) => Some(t.len() as u64),
            Body::Dir(_) => None,
        };
        StatOut {
            kind: self.kind(id),
            size,
            nlink: n.nlink,
        }
    }

    fn stat(&self, path: &str, follow: bool) -> MResult<StatOut> {
        let id = self.resolve(path, follow)?.existing()?;
        Ok(self.stat_id(id))
    }

    fn readlink(&self, path: &str) -> MResult<String> {
        let id = self.resolve(path, false)?.existing()?;
        match &self.node(id).body {
            Body::Symlink(t) => Ok(t.clone()),
            _ => fail(E::Invalid),
        }
    }

    fn listing(&self, id: Id) -> Vec<(String, Kind)> {
        self.entries(id)
            .iter()
            .map(|(n, c)| (n.clone(), self.kind(*c)))
            .collect()
    }

    fn read_at(&self, id: Id, offset: u64, len: usize) -> MResult<Vec<u8>> {
        match &self.node(id).body {
            Body::File(d) => {
                let start = usize::try_from(offset).unwrap_or(usize::MAX).min(d.len());
                let end = start.saturating_add(len).min(d.len());
                Ok(d[start..end].to_vec())
            }
            Body::Dir(_) => fail(E::IsDir),
            Body::Symlink(_) => fail(E::Invalid),
        }
    }

    fn write_at(&mut self, id: Id, offset: u64, data: &[u8]) {
        let d = self.data_mut(id);
        let off = usize::try_from(offset).expect("small offsets");
        if d.len() < off + data.len() {
            d.resize(off + data.len(), 0);
        }
        d[off..off + data.len()].copy_from_slice(data);
    }
}

/// The stat fields compared: size is left out for directories (unspecified).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct StatOut {
    kind: Kind,
    size: Option<u64>,
    nlink: u64,
}

fn stat_out(s: &strata_engine::Stat) -> StatOut {
    let kind = Kind::from(s.kind);
    StatOut {
        kind,
        size: (kind != Kind::Dir).then_some(s.size),
        nlink: s.nlink,
    }
}

/// A model open-file description.
#[derive(Debug, Clone)]
struct MHandle {
    id: Id,
    kind: Kind,
    read: bool,
    write: bool,
    append: bool,
    offset: u64,
}

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

fn seed_engine(fs: &mut Fs) {
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
enum Setup {
    /// `Fs::new`, seeded through the engine.
    Upper,
    /// A host directory holding the seed tree as the lower layer.
    Host(Arc<tempfile::TempDir>),
    /// A seeded upper-only filesystem, frozen, as the lower layer.
    Frozen(Snapshot),
}

impl Setup {
    fn host() -> Setup {
        let dir = tempfile::tempdir().expect("tempdir");
        seed_host(dir.path());
        Setup::Host(Arc::new(dir))
    }

    fn frozen() -> Setup {
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
enum Op {
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

const NAMES: &[&str] = &[
    "a", "b", "c", "d1", "d2", "e", "f", "h1", "h2", "ln", "dangle", "esc", "x", "deep", ".", "..",
];

const PATHS: &[&str] = &[
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

const TARGETS: &[&str] = &[
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

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(NAMES).prop_map(String::from),
        2 => select(PATHS).prop_map(String::from),
        2 => (prop::collection::vec(select(NAMES), 1..=3), any::<bool>()).prop_map(|(cs, slash)| {
            let mut p = cs.join("/");
            if slash {
                p.push('/');
            }
            p
        }),
    ]
}

fn offset() -> impl Strategy<Value = u64> {
    prop_oneof![
        0..16u64,
        4090..4100u64,
        4995..5005u64,
        8188..8200u64,
        Just(12_000u64)
    ]
}

fn data() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 1..12)
}

fn read_len() -> impl Strategy<Value = usize> {
    prop_oneof![3 => 0..40usize, 1 => 4000..6000usize]
}

fn op() -> impl Strategy<Value = Op> {
    let h = any::<u8>().prop_map(usize::from);
    prop_oneof![
        6 => (path(), any::<[bool; 8]>()).prop_map(|(p, f)| Op::Open(p, f)),
        2 => h.clone().prop_map(Op::Close),
        2 => (h.clone(), read_len()).prop_map(|(h, n)| Op::Read(h, n)),
        2 => (h.clone(), offset(), read_len()).prop_map(|(h, o, n)| Op::Pread(h, o, n)),
        3 => (h.clone(), data()).prop_map(|(h, d)| Op::Write(h, d)),
        3 => (h.clone(), offset(), data()).prop_map(|(h, o, d)| Op::Pwrite(h, o, d)),
        2 => (h.clone(), offset()).prop_map(|(h, n)| Op::SetLen(h, n)),
        1 => (h.clone(), prop_oneof![
            offset().prop_map(SeekFrom::Start),
            (-20i64..20).prop_map(SeekFrom::Current),
            (-20i64..20).prop_map(SeekFrom::End),
        ]).prop_map(|(h, s)| Op::Seek(h, s)),
        1 => h.clone().prop_map(Op::Fstat),
        1 => h.prop_map(Op::Freaddir),
        3 => path().prop_map(Op::Mkdir),
        2 => path().prop_map(Op::Rmdir),
        3 => path().prop_map(Op::Unlink),
        5 => (path(), path()).prop_map(|(a, b)| Op::Rename(a, b)),
        2 => (path(), path(), any::<bool>()).prop_map(|(a, b, f)| Op::Link(a, b, f)),
        2 => (select(TARGETS).prop_map(String::from), path()).prop_map(|(t, p)| Op::Symlink(t, p)),
        2 => (path(), any::<bool>()).prop_map(|(p, f)| Op::Stat(p, f)),
        1 => path().prop_map(Op::Readlink),
        2 => path().prop_map(Op::Readdir),
        1 => path().prop_map(Op::ReadFile),
        1 => Just(Op::Snapshot),
        1 => any::<u8>().prop_map(|i| Op::Restore(usize::from(i))),
        1 => any::<u8>().prop_map(|i| Op::Fork(usize::from(i))),
    ]
}

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
) -> Result<(), TestCaseError> {
    let ok = match (&eng, &model) {
        (Ok(a), Ok(b)) => a == b,
        (Err(e), Err(Fail(allowed))) => allowed.contains(&kind_of(e)),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(TestCaseError::fail(format!(
            "{}: engine {eng:?}, model {model:?}",
            what()
        )))
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

    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
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
                        .map_err(|e| TestCaseError::fail(format!("open_root after fork: {e:?}")))?;
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
    fn drop_stale(&mut self) -> Result<(), TestCaseError> {
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
    fn check_tree(&self) -> Result<(), TestCaseError> {
        let snap = self.fs.snapshot();
        let m = &self.model;
        let mut seen: HashMap<Id, Ino> = HashMap::new();
        let mut seen_ino: HashMap<Ino, Id> = HashMap::new();
        let mut todo = vec![(String::from("."), m.root, snap.root())];
        while let Some((path, id, ino)) = todo.pop() {
            let fail_at = |msg: String| TestCaseError::fail(format!("tree at {path}: {msg}"));
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

// ---------------------------------------------------------------------------
// Running.

/// Total cases across the three configurations (`STRATA_PROPTEST_CASES`).
fn total_cases() -> u32 {
    std::env::var("STRATA_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12_000)
}

fn run_ops(setup: &Setup, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut h = setup.build();
    h.check_tree()?;
    for (step, op) in ops.iter().enumerate() {
        h.apply(op)
            .map_err(|e| TestCaseError::fail(format!("step {step}: {e}")))?;
        h.check_tree()
            .map_err(|e| TestCaseError::fail(format!("step {step} after {op:?}: {e}")))?;
    }
    Ok(())
}

fn fails_with(setup: &Setup, ops: &[Op]) -> String {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_ops(setup, ops)));
    match r {
        Ok(Ok(())) => String::new(),
        Ok(Err(e)) => e.to_string(),
        Err(p) => p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic".to_string()),
    }
}

fn fails(setup: &Setup, ops: &[Op]) -> bool {
    !fails_with(setup, ops).is_empty()
}

fn run(setup: Setup) {
    let config = RunnerConfig {
        cases: total_cases().div_ceil(3),
        failure_persistence: None,
        ..RunnerConfig::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&prop::collection::vec(op(), 20..40), |ops| {
        run_ops(&setup, &ops)
    });
    if let Err(e) = result {
        // Proptest keeps at least 20 operations; drop every one that is not
        // needed to fail, so the report is a short repro.
        let mut ops = match &e {
            proptest::test_runner::TestError::Fail(_, ops) => ops.clone(),
            proptest::test_runner::TestError::Abort(_) => panic!("{e}"),
        };
        let mut i = 0;
        while i < ops.len() {
            let mut fewer = ops.clone();
            fewer.remove(i);
            if fails(&setup, &fewer) {
                ops = fewer;
            } else {
                i += 1;
            }
        }
        let why = fails_with(&setup, &ops);
        panic!("{e}\nminimized to {ops:#?}\nwhich fails with: {why}");
    }
}

#[test]
fn model_upper_only() {
    run(Setup::Upper);
}

#[test]
fn model_host_lower() {
    run(Setup::host());
}

#[test]
fn model_frozen_lower() {
    run(Setup::frozen());
}

// ---------------------------------------------------------------------------
// Regressions: one test per engine bug the model found.

fn creating() -> OpenOptions {
    OpenOptions {
        write: true,
        create: true,
        ..OpenOptions::default()
    }
}

/// Bug: `open` of an existing directory with `O_CREAT` (no `O_DIRECTORY`)
/// succeeded; POSIX open says EISDIR.
#[test]
fn open_existing_dir_with_creat_is_eisdir() {
    let mut fs = Fs::new(Config::default());
    let root = fs.open_root().unwrap();
    fs.mkdir(&root, "d", 0o755).unwrap();
    let creat = OpenOptions {
        create: true,
        ..OpenOptions::default()
    };
    assert!(matches!(fs.open(&root, "d", &creat), Err(Error::IsDir)));
    let creat_dir = OpenOptions {
        directory: true,
        ..creat
    };
    assert!(fs.open(&root, "d", &creat_dir).is_ok());
}

/// Bug: `write` and `set_len` on a directory handle answered `IsDir`; POSIX
/// write and ftruncate say EBADF (a directory is never open for writing).
#[test]
fn write_and_truncate_on_dir_handle_are_badhandle() {
    let mut fs = Fs::new(Config::default());
    let root = fs.open_root().unwrap();
    fs.mkdir(&root, "d", 0o755).unwrap();
    let d = fs.open(&root, "d", &OpenOptions::default()).unwrap();
    assert!(matches!(fs.write(&d, &[b"x"]), Err(Error::BadHandle)));
    assert!(matches!(fs.pwrite(&d, &[b"x"], 0), Err(Error::BadHandle)));
    assert!(matches!(fs.set_len(&d, 0), Err(Error::BadHandle)));
}

/// Bug: `write` on an `O_APPEND` handle whose file the restored state does not
/// have answered `NotFound` (from the size lookup) instead of `BadHandle`.
#[test]
fn append_write_on_handle_killed_by_restore_is_badhandle() {
    let mut fs = Fs::new(Config::default());
    let root = fs.open_root().unwrap();
    let empty = fs.snapshot();
    let opts = OpenOptions {
        flags: FdFlags {
            append: true,
            ..FdFlags::default()
        },
        ..creating()
    };
    let h = fs.open(&root, "f", &opts).unwrap();
    fs.restore(&empty);
    assert!(matches!(fs.write(&h, &[b"x"]), Err(Error::BadHandle)));
}

/// Bug: reading inside a stored chunk past its stored bytes panicked (slice
/// index out of range) when a later write had grown the file beyond that chunk.
#[test]
fn read_past_short_stored_chunk_reads_zeros() {
    let mut fs = Fs::new(Config::default());
    let root = fs.open_root().unwrap();
    let h = fs.open(&root, "f", &creating()).unwrap();
    fs.write(&h, &[&[7]]).unwrap();
    fs.pwrite(&h, &[&[9]], 4995).unwrap();
    let mut buf = [1u8; 3];
    assert_eq!(fs.pread(&h, &mut buf, 2).unwrap(), 3);
    assert_eq!(buf, [0, 0, 0]);
}

/// Bug (open): a restore rewinds the inode allocator, so a handle whose object
/// the restored state lacks comes back to life when another object reuses its
/// number: here a file handle ends up on directory `x`.
#[test]
fn restored_handle_aliases_new_inode() {
    let mut fs = Fs::new(Config::default());
    let root = fs.open_root().unwrap();
    let s0 = fs.snapshot();
    fs.mkdir(&root, "x", 0o755).unwrap();
    let s1 = fs.snapshot();
    fs.restore(&s0);
    let h = fs.open(&root, "c", &creating()).unwrap();
    fs.restore(&s1);
    assert!(matches!(fs.stat(&h), Err(Error::BadHandle)));
}

/// Regression: a handle on a lower file unlinked while open keeps that file
/// (and its data) across a restore to a snapshot taken after the unlink: the
/// snapshot holds the open-but-unlinked file, as the live state did. A fork of
/// the snapshot, which has no handles, releases it.
#[test]
fn restored_handle_on_unlinked_lower_file() {
    let mut base = Fs::new(Config::default());
    seed_engine(&mut base);
    let lower = FrozenLower::new(base.snapshot());
    let mut fs = Fs::with_lower(Arc::new(lower), Config::default()).unwrap();
    let root = fs.open_root().unwrap();
    let h = fs.open(&root, "b", &OpenOptions::default()).unwrap();
    let mut before = [0u8; 8];
    let n = fs.pread(&h, &mut before, 0).unwrap();
    fs.unlink(&root, "b").unwrap();
    let after = fs.snapshot();
    fs.restore(&after);
    let mut buf = [0u8; 8];
    assert_eq!(fs.pread(&h, &mut buf, 0).unwrap(), n);
    assert_eq!(buf, before);
    assert_eq!(fs.stat(&h).unwrap().nlink, 0);
    let fork = Fs::from_snapshot(&after);
    assert!(fork.upper_inodes() < fs.upper_inodes());
}

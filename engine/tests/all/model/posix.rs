//! A naive reference model of POSIX file semantics: an inode map with plain
//! `Vec<u8>` files and `BTreeMap` directories, path resolution per XBD 4.13
//! confined to the root, and every operation the harness compares; a snapshot
//! of it is a clone. Each failing operation lists every error POSIX allows.
//!
//! Shared by the property test and the `ops_vs_model` fuzz target (which
//! includes this file by path), so it depends on nothing but `std` and
//! `strata_engine`.

use std::collections::BTreeMap;

use strata_engine::{Error, FileType};

// ---------------------------------------------------------------------------
// The model.

pub(crate) type Id = u64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Body {
    File(Vec<u8>),
    Dir(BTreeMap<String, Id>),
    Symlink(String),
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) body: Body,
    pub(crate) nlink: u64,
}

/// An error kind; the engine's error is compared by kind only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum E {
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

pub(crate) fn kind_of(e: &Error) -> E {
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
pub(crate) struct Fail(pub(crate) Vec<E>);

pub(crate) type MResult<T> = Result<T, Fail>;

pub(crate) fn fail<T>(e: E) -> MResult<T> {
    Err(Fail(vec![e]))
}

pub(crate) fn fail_any<T>(es: &[E]) -> MResult<T> {
    Err(Fail(es.to_vec()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
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
pub(crate) struct Res {
    pub(crate) parent: Id,
    pub(crate) name: Option<String>,
    pub(crate) target: Option<Id>,
    pub(crate) dir_required: bool,
}

impl Res {
    pub(crate) fn existing(&self) -> MResult<Id> {
        self.target.ok_or(Fail(vec![E::NotFound]))
    }
}

/// Symlink expansions allowed in one resolution (the engine's default).
pub(crate) const MAX_SYMLINKS: usize = 40;

#[derive(Debug, Clone)]
pub(crate) struct Model {
    pub(crate) nodes: BTreeMap<Id, Node>,
    pub(crate) root: Id,
}

/// Options of a model `open`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OpenArgs {
    pub(crate) read: bool,
    pub(crate) write: bool,
    pub(crate) create: bool,
    pub(crate) excl: bool,
    pub(crate) trunc: bool,
    pub(crate) append: bool,
    pub(crate) directory: bool,
    pub(crate) nofollow: bool,
}

impl Model {
    pub(crate) fn new(ids: &mut Id) -> Model {
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

    pub(crate) fn node(&self, id: Id) -> &Node {
        &self.nodes[&id]
    }

    pub(crate) fn node_mut(&mut self, id: Id) -> &mut Node {
        self.nodes.get_mut(&id).expect("model node")
    }

    pub(crate) fn kind(&self, id: Id) -> Kind {
        match self.node(id).body {
            Body::File(_) => Kind::File,
            Body::Dir(_) => Kind::Dir,
            Body::Symlink(_) => Kind::Symlink,
        }
    }

    pub(crate) fn entries(&self, id: Id) -> &BTreeMap<String, Id> {
        match &self.node(id).body {
            Body::Dir(e) => e,
            b => panic!("model: entries of a non-directory {b:?}"),
        }
    }

    pub(crate) fn entries_mut(&mut self, id: Id) -> &mut BTreeMap<String, Id> {
        match &mut self.node_mut(id).body {
            Body::Dir(e) => e,
            _ => panic!("model: entries of a non-directory"),
        }
    }

    pub(crate) fn data_mut(&mut self, id: Id) -> &mut Vec<u8> {
        match &mut self.node_mut(id).body {
            Body::File(d) => d,
            _ => panic!("model: data of a non-file"),
        }
    }

    pub(crate) fn add(&mut self, ids: &mut Id, parent: Id, name: String, body: Body) -> Id {
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
    pub(crate) fn collect(&mut self, open: &[MHandle]) {
        self.nodes
            .retain(|id, n| n.nlink > 0 || open.iter().any(|h| h.id == *id));
    }

    /// The state a snapshot captures: unlinked objects are left out.
    pub(crate) fn frozen(&self) -> Model {
        let mut m = self.clone();
        m.nodes.retain(|_, n| n.nlink > 0);
        m
    }

    /// POSIX pathname resolution (XBD 4.13) confined to the root: `..` above it
    /// and absolute paths or symlink targets escape; a final symlink is followed
    /// when `follow` is set or a trailing slash follows it.
    pub(crate) fn resolve(&self, path: &str, follow: bool) -> MResult<Res> {
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

    pub(crate) fn open(&mut self, ids: &mut Id, path: &str, o: OpenArgs) -> MResult<(Id, Kind)> {
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

    pub(crate) fn mkdir(&mut self, ids: &mut Id, path: &str) -> MResult<()> {
        let r = self.resolve(path, false)?;
        if r.target.is_some() {
            return fail(E::Exists);
        }
        let name = r.name.expect("a missing target has a name");
        self.add(ids, r.parent, name, Body::Dir(BTreeMap::new()));
        Ok(())
    }

    pub(crate) fn symlink(&mut self, ids: &mut Id, target: &str, path: &str) -> MResult<()> {
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

    pub(crate) fn unlink(&mut self, path: &str) -> MResult<()> {
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

    pub(crate) fn rmdir(&mut self, path: &str) -> MResult<()> {
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
    pub(crate) fn within(&self, dir: Id, anc: Id) -> bool {
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

    pub(crate) fn rename(&mut self, from: &str, to: &str) -> MResult<()> {
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

    pub(crate) fn link(&mut self, from: &str, to: &str, follow: bool) -> MResult<()> {
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

    pub(crate) fn stat_id(&self, id: Id) -> StatOut {
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

    pub(crate) fn stat(&self, path: &str, follow: bool) -> MResult<StatOut> {
        let id = self.resolve(path, follow)?.existing()?;
        Ok(self.stat_id(id))
    }

    pub(crate) fn readlink(&self, path: &str) -> MResult<String> {
        let id = self.resolve(path, false)?.existing()?;
        match &self.node(id).body {
            Body::Symlink(t) => Ok(t.clone()),
            _ => fail(E::Invalid),
        }
    }

    pub(crate) fn listing(&self, id: Id) -> Vec<(String, Kind)> {
        self.entries(id)
            .iter()
            .map(|(n, c)| (n.clone(), self.kind(*c)))
            .collect()
    }

    pub(crate) fn read_at(&self, id: Id, offset: u64, len: usize) -> MResult<Vec<u8>> {
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

    pub(crate) fn write_at(&mut self, id: Id, offset: u64, data: &[u8]) {
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
pub(crate) struct StatOut {
    pub(crate) kind: Kind,
    pub(crate) size: Option<u64>,
    pub(crate) nlink: u64,
}

pub(crate) fn stat_out(s: &strata_engine::Stat) -> StatOut {
    let kind = Kind::from(s.kind);
    StatOut {
        kind,
        size: (kind != Kind::Dir).then_some(s.size),
        nlink: s.nlink,
    }
}

/// A model open-file description.
#[derive(Debug, Clone)]
pub(crate) struct MHandle {
    pub(crate) id: Id,
    pub(crate) kind: Kind,
    pub(crate) read: bool,
    pub(crate) write: bool,
    pub(crate) append: bool,
    pub(crate) offset: u64,
}

//! A comparable picture of a directory tree: names, types, contents and
//! symlink targets, without inode numbers, times or permissions.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io;
use std::path::Path;

/// One entry of a [`Tree`].
#[derive(Clone, PartialEq, Eq)]
pub enum TreeEntry {
    /// A regular file and its whole content.
    File(Vec<u8>),
    /// A directory (its children are separate entries).
    Dir,
    /// A symbolic link and its target, as stored.
    Symlink(String),
    /// Anything else (a FIFO, a socket, a device): its kind, for the report.
    Other(String),
}

impl fmt::Debug for TreeEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Large files would drown a failure report: show a prefix and a digest.
            TreeEntry::File(data) if data.len() > 64 => write!(
                f,
                "File({} bytes, starts {:?}, digest {:016x})",
                data.len(),
                String::from_utf8_lossy(&data[..32]),
                fnv1a(data)
            ),
            TreeEntry::File(data) => write!(f, "File({:?})", String::from_utf8_lossy(data)),
            TreeEntry::Dir => write!(f, "Dir"),
            TreeEntry::Symlink(target) => write!(f, "Symlink({target:?})"),
            TreeEntry::Other(kind) => write!(f, "Other({kind})"),
        }
    }
}

fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Every entry below a root, keyed by its `/`-separated path relative to the
/// root (the root itself is not an entry). Sorted, so two trees compare with
/// `==` and print in a stable order.
pub type Tree = BTreeMap<String, TreeEntry>;

/// Takes the picture of the tree below `path`. Symlinks are recorded, never
/// followed.
pub fn snapshot_dir(path: &Path) -> io::Result<Tree> {
    let mut tree = Tree::new();
    walk(path, "", &mut tree)?;
    Ok(tree)
}

fn walk(dir: &Path, prefix: &str, tree: &mut Tree) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let path = entry.path();
        let ty = entry.file_type()?;
        let picture = if ty.is_dir() {
            walk(&path, &rel, tree)?;
            TreeEntry::Dir
        } else if ty.is_file() {
            TreeEntry::File(fs::read(&path)?)
        } else if ty.is_symlink() {
            TreeEntry::Symlink(fs::read_link(&path)?.to_string_lossy().into_owned())
        } else {
            TreeEntry::Other(format!("{ty:?}"))
        };
        tree.insert(rel, picture);
    }
    Ok(())
}

/// Lines describing how `actual` differs from `expected` (empty when equal).
pub fn diff(expected: &Tree, actual: &Tree) -> Vec<String> {
    let mut out = Vec::new();
    for (path, want) in expected {
        match actual.get(path) {
            None => out.push(format!("missing {path}: expected {want:?}")),
            Some(got) if got != want => {
                out.push(format!("differs {path}: expected {want:?}, got {got:?}"));
            }
            Some(_) => {}
        }
    }
    for (path, got) in actual {
        if !expected.contains_key(path) {
            out.push(format!("extra {path}: {got:?}"));
        }
    }
    out
}

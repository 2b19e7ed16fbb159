//! Shared fixtures: the standard tree in every layer configuration, and a
//! comparable picture of a filesystem.

use std::collections::BTreeMap;
use std::sync::Arc;

use strata_engine::{
    Config, FileType, FrozenLower, Fs, Handle, HostLower, OpenOptions, VirtualClock,
};
use tempfile::TempDir;

/// Where the standard tree lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// Everything created in the upper layer.
    Upper,
    /// Everything in a host lower layer.
    Lower,
    /// `d/` in the host lower layer, the rest created in the upper layer.
    Mixed,
    /// Everything in a frozen snapshot used as the lower layer.
    Frozen,
}

pub(crate) const LAYOUTS: [Layout; 4] =
    [Layout::Upper, Layout::Lower, Layout::Mixed, Layout::Frozen];

/// A filesystem holding the standard tree, and its root handle.
pub(crate) struct Env {
    pub(crate) fs: Fs,
    pub(crate) root: Handle,
    pub(crate) _host: Option<TempDir>,
}

/// The standard tree: `d/f1`, `d/sub/f2`, `top.txt`, `link -> d/f1`, `empty/`.
const LOWER_PART: &[(&str, Option<&str>)] = &[
    ("d", None),
    ("d/sub", None),
    ("d/f1", Some("hello")),
    ("d/sub/f2", Some("world")),
];
const UPPER_PART: &[(&str, Option<&str>)] = &[("top.txt", Some("top")), ("empty", None)];

pub(crate) fn config() -> Config {
    Config {
        clock: Arc::new(VirtualClock::default()),
        ..Config::default()
    }
}

pub(crate) fn rw() -> OpenOptions {
    OpenOptions {
        read: true,
        write: true,
        ..OpenOptions::default()
    }
}

pub(crate) fn create() -> OpenOptions {
    OpenOptions {
        read: true,
        write: true,
        create: true,
        ..OpenOptions::default()
    }
}

fn write_host(dir: &std::path::Path, part: &[(&str, Option<&str>)]) {
    for (path, body) in part {
        let p = dir.join(path);
        match body {
            None => std::fs::create_dir_all(&p).unwrap(),
            Some(b) => std::fs::write(&p, b).unwrap(),
        }
    }
}

fn write_upper(fs: &mut Fs, root: &Handle, part: &[(&str, Option<&str>)]) {
    for (path, body) in part {
        match body {
            None => fs.mkdir(root, path, 0o755).unwrap(),
            Some(b) => {
                let h = fs.open(root, path, &create()).unwrap();
                fs.write(&h, &[b.as_bytes()]).unwrap();
                fs.close(h);
            }
        }
    }
}

/// A host directory holding the whole standard tree.
pub(crate) fn host_tree() -> TempDir {
    let t = tempfile::tempdir().unwrap();
    write_host(t.path(), LOWER_PART);
    write_host(t.path(), UPPER_PART);
    std::os::unix::fs::symlink("d/f1", t.path().join("link")).unwrap();
    t
}

pub(crate) fn env(layout: Layout) -> Env {
    env_with(layout, config())
}

pub(crate) fn env_with(layout: Layout, config: Config) -> Env {
    match layout {
        Layout::Upper => {
            let mut fs = Fs::new(config);
            let root = fs.open_root().unwrap();
            write_upper(&mut fs, &root, LOWER_PART);
            write_upper(&mut fs, &root, UPPER_PART);
            fs.symlink("d/f1", &root, "link").unwrap();
            Env {
                fs,
                root,
                _host: None,
            }
        }
        Layout::Lower => {
            let t = host_tree();
            let mut fs =
                Fs::with_lower(Arc::new(HostLower::open(t.path()).unwrap()), config).unwrap();
            let root = fs.open_root().unwrap();
            Env {
                fs,
                root,
                _host: Some(t),
            }
        }
        Layout::Mixed => {
            let t = tempfile::tempdir().unwrap();
            write_host(t.path(), LOWER_PART);
            let mut fs =
                Fs::with_lower(Arc::new(HostLower::open(t.path()).unwrap()), config).unwrap();
            let root = fs.open_root().unwrap();
            write_upper(&mut fs, &root, UPPER_PART);
            fs.symlink("d/f1", &root, "link").unwrap();
            Env {
                fs,
                root,
                _host: Some(t),
            }
        }
        Layout::Frozen => {
            let base = env_with(Layout::Upper, config.clone());
            let snap = base.fs.snapshot();
            let mut fs = Fs::with_lower(Arc::new(FrozenLower::new(snap)), config).unwrap();
            let root = fs.open_root().unwrap();
            Env {
                fs,
                root,
                _host: None,
            }
        }
    }
}

/// Runs `f` on the standard tree in every layout; a failure names the layout.
pub(crate) fn each_layout(f: impl Fn(&mut Env)) {
    for layout in LAYOUTS {
        let mut e = env(layout);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut e)));
        if let Err(p) = r {
            eprintln!("failed in layout {layout:?}");
            std::panic::resume_unwind(p);
        }
    }
}

pub(crate) fn read_file(fs: &mut Fs, root: &Handle, path: &str) -> Vec<u8> {
    let h = fs.open(root, path, &OpenOptions::default()).unwrap();
    let size = fs.stat(&h).unwrap().size as usize;
    let mut buf = vec![0u8; size + 16];
    let mut got = 0;
    loop {
        let n = fs.read(&h, &mut buf[got..]).unwrap();
        if n == 0 {
            break;
        }
        got += n;
    }
    fs.close(h);
    buf.truncate(got);
    buf
}

pub(crate) fn write_file(fs: &mut Fs, root: &Handle, path: &str, body: &[u8]) {
    let h = fs
        .open(
            root,
            path,
            &OpenOptions {
                truncate: true,
                ..create()
            },
        )
        .unwrap();
    fs.write(&h, &[body]).unwrap();
    fs.close(h);
}

pub(crate) fn names(fs: &Fs, dir: &Handle) -> Vec<String> {
    let mut out = Vec::new();
    fs.readdir(dir, 0, &mut |e| {
        out.push(e.name.to_string());
        true
    })
    .unwrap();
    out
}

pub(crate) fn list(fs: &mut Fs, root: &Handle, path: &str) -> Vec<String> {
    let h = fs
        .open(
            root,
            path,
            &OpenOptions {
                directory: true,
                ..OpenOptions::default()
            },
        )
        .unwrap();
    let n = names(fs, &h)
        .into_iter()
        .filter(|n| n != "." && n != "..")
        .collect();
    fs.close(h);
    n
}

/// Everything observable about a tree except inode numbers: path → description.
pub(crate) fn dump_with_times(fs: &mut Fs, root: &Handle) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    dump_dir(fs, root, "", &mut out, true);
    out
}

fn dump_dir(
    fs: &mut Fs,
    root: &Handle,
    path: &str,
    out: &mut BTreeMap<String, String>,
    times: bool,
) {
    let names = if path.is_empty() {
        list_root(fs, root)
    } else {
        list(fs, root, path)
    };
    for name in names {
        let p = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}/{name}")
        };
        let st = fs.stat_at(root, &p, false).unwrap();
        let t = if times {
            format!(" a{} m{} c{}", st.atime, st.mtime, st.ctime)
        } else {
            String::new()
        };
        let desc = match st.kind {
            FileType::Dir => format!("dir {:o}{t}", st.perm),
            FileType::Symlink => format!("link -> {}{t}", fs.readlink(root, &p).unwrap()),
            FileType::File => {
                let body = read_file(fs, root, &p);
                format!(
                    "file {:o} n{} {:?}{t}",
                    st.perm,
                    st.nlink,
                    String::from_utf8_lossy(&body)
                )
            }
        };
        out.insert(p.clone(), desc);
        if st.kind == FileType::Dir {
            dump_dir(fs, root, &p, out, times);
        }
    }
}

fn list_root(fs: &Fs, root: &Handle) -> Vec<String> {
    names(fs, root)
        .into_iter()
        .filter(|n| n != "." && n != "..")
        .collect()
}

//! Saving a host lower layer with huge sparse files reads only their data, never their holes (issue 10, §4).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use strata_engine::{Config, Fs, HostLower, Ino, Lower, LowerEntry, LowerStat, Name, OpenOptions};
use strata_snapshots::format::{DirObject, FileObject};
use strata_snapshots::{MemBackend, Store, load, read_manifest, save};

/// A lower layer that counts the bytes read through it.
#[derive(Debug)]
struct Counting {
    inner: HostLower,
    read: AtomicU64,
}

impl Lower for Counting {
    fn root(&self) -> Ino {
        self.inner.root()
    }
    fn lookup(&self, dir: Ino, name: &Name) -> strata_engine::Result<Option<Ino>> {
        self.inner.lookup(dir, name)
    }
    fn stat(&self, ino: Ino) -> strata_engine::Result<LowerStat> {
        self.inner.stat(ino)
    }
    fn entries(&self, dir: Ino) -> strata_engine::Result<Arc<[LowerEntry]>> {
        self.inner.entries(dir)
    }
    fn read(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> strata_engine::Result<usize> {
        let n = self.inner.read(ino, offset, buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
    fn data_range(&self, ino: Ino, offset: u64) -> strata_engine::Result<Option<(u64, u64)>> {
        self.inner.data_range(ino, offset)
    }
    fn readlink(&self, ino: Ino) -> strata_engine::Result<Arc<str>> {
        self.inner.readlink(ino)
    }
    fn parent(&self, dir: Ino) -> strata_engine::Result<Ino> {
        self.inner.parent(dir)
    }
    fn first_free_ino(&self) -> u64 {
        self.inner.first_free_ino()
    }
}

const GIB: u64 = 1 << 30;

/// A host directory with `big`: 8 GiB apparent, 4 KiB of data at 3 GiB.
fn sparse_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let f = File::create(dir.path().join("big")).unwrap();
    f.set_len(8 * GIB).unwrap();
    f.write_all_at(&[0xa5; 4096], 3 * GIB).unwrap();
    dir
}

fn big_file(store: &Store, h: &strata_snapshots::Hash) -> FileObject {
    let root: DirObject = store
        .get_object(&read_manifest(store, h).unwrap().root)
        .unwrap();
    let e = root.entries.iter().find(|e| e.name == "big").unwrap();
    store.get_object(&e.hash).unwrap()
}

#[test]
fn saving_a_huge_sparse_lower_file_reads_only_its_data() {
    // Regression (issue 10): a 20 GB sparse host file took 57 s to save:
    // its holes were read.
    let dir = sparse_dir();
    let lower = Arc::new(Counting {
        inner: HostLower::open(dir.path()).unwrap(),
        read: AtomicU64::new(0),
    });
    let fs = Fs::with_lower(lower.clone(), Config::default()).unwrap();
    let store = Store::with_backend(MemBackend::new());
    let h = save(&store, &fs.snapshot(), &[]).unwrap();
    let read = lower.read.load(Ordering::Relaxed);
    // One 64 KiB window around the data; nothing of the 8 GiB of holes.
    assert!(read <= 1 << 20, "read {read} bytes");
    let file = big_file(&store, &h);
    assert_eq!(file.size, 8 * GIB);
    assert_eq!(file.chunks.len(), 1);
    assert_eq!(file.chunks[0].offset, 3 * GIB);
    // Loaded back, the data is where it was.
    let back = load(&store, &h).unwrap();
    let mut buf = [0u8; 8];
    let mut ino = None;
    for e in back.entries(back.root()).unwrap() {
        if e.name.as_str() == "big" {
            ino = Some(e.ino);
        }
    }
    back.read(ino.unwrap(), 3 * GIB + 100, &mut buf).unwrap();
    assert_eq!(buf, [0xa5; 8]);
}

#[test]
fn a_partly_copied_up_sparse_file_saves_both_its_writes_and_the_lower_data() {
    // A write into a hole of a lower sparse file: the saved file holds the
    // lower's data and the write, and still no hole is read.
    let dir = sparse_dir();
    let lower = Arc::new(Counting {
        inner: HostLower::open(dir.path()).unwrap(),
        read: AtomicU64::new(0),
    });
    let mut fs = Fs::with_lower(lower.clone(), Config::default()).unwrap();
    let root = fs.open_root().unwrap();
    let opts = OpenOptions {
        write: true,
        ..OpenOptions::default()
    };
    let f = fs.open(&root, "big", &opts).unwrap();
    fs.pwrite(&f, &[&[7u8; 10]], 5 * GIB).unwrap();
    fs.close(f);
    fs.close(root);
    let before = lower.read.load(Ordering::Relaxed);
    let store = Store::with_backend(MemBackend::new());
    let h = save(&store, &fs.snapshot(), &[]).unwrap();
    let read = lower.read.load(Ordering::Relaxed) - before;
    assert!(read <= 1 << 20, "read {read} bytes");
    let file = big_file(&store, &h);
    let offsets: Vec<u64> = file.chunks.iter().map(|c| c.offset).collect();
    assert_eq!(offsets, [3 * GIB, 5 * GIB]);
}

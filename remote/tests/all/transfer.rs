//! Push and pull between a local store and S3: only missing objects, in few requests.

use std::time::Duration;

use strata_engine::{Fs, OpenOptions};
use strata_snapshots::{MemBackend, NoProgress, Saver, Store, load};

use crate::{new_fs, s3, tree, write};

const GRACE: Duration = Duration::from_secs(3600);

/// The whole content of `path`.
pub(crate) fn read(fs: &mut Fs, path: &str) -> Vec<u8> {
    let root = fs.open_root().unwrap();
    let h = fs.open(&root, path, &OpenOptions::default()).unwrap();
    let mut buf = vec![0u8; 1 << 16];
    let n = fs.pread(&h, &mut buf, 0).unwrap();
    buf.truncate(n);
    fs.close(h);
    fs.close(root);
    buf
}

#[test]
fn push_then_incremental_push_then_pull() {
    let Some(s3) = s3() else { return };
    let local = Store::with_backend(MemBackend::new());
    let mut fs = new_fs();
    let mut saver = Saver::new();
    let v1 = saver
        .save(&local, &tree(&mut fs, "v1", 20, 50), &[])
        .unwrap();
    let (remote, requests) = s3.store("p", GRACE);
    let first = remote.fetch_from(&local, &v1, 8, &NoProgress).unwrap();
    assert!(first.objects > 1000, "{first:?}");
    remote.set_ref("main", &v1).unwrap();
    let before = requests.stats();
    // Nothing new: nothing sent.
    let none = remote.fetch_from(&local, &v1, 8, &NoProgress).unwrap();
    assert_eq!(none.objects, 0);
    assert_eq!(requests.stats().puts, before.puts);
    // One file changes.
    write(&mut fs, "d7/f30", b"changed\n");
    let v2 = saver.save(&local, &fs.snapshot(), &[]).unwrap();
    let before = requests.stats();
    let inc = remote.fetch_from(&local, &v2, 8, &NoProgress).unwrap();
    let after = requests.stats();
    // The manifest, the root, d7, the file and its chunk: a handful of
    // objects, in one pack, one PUT.
    assert!(inc.objects <= 6, "{inc:?}");
    assert_eq!(after.puts - before.puts, 1, "{before:?} {after:?}");
    remote.set_ref("main", &v2).unwrap();
    remote.verify(&v2).unwrap();
    // Pull into an empty local store, from another host's view.
    let (src, pulled) = s3.store("p", GRACE);
    let other = Store::with_backend(MemBackend::new());
    let got = other.fetch_from(&src, &v2, 8, &NoProgress).unwrap();
    assert!(got.objects > 1000, "{got:?}");
    // Reads are merged ranges of packs: far fewer requests than objects.
    let st = pulled.stats();
    assert!(st.gets < 50, "{st:?}");
    other.verify(&v2).unwrap();
    let mut back = new_fs();
    back.restore(&load(&other, &v2).unwrap());
    assert_eq!(read(&mut back, "d7/f30"), b"changed\n");
    assert_eq!(read(&mut back, "d19/f49"), b"v1 19 49\n");
    // The parent came along.
    other.verify(&v1).unwrap();
}

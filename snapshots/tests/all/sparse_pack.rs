//! A pack whose trailer declares more index than the file holds (issue 10):
//! rejected without allocating what it declares.

use std::io::{Seek, SeekFrom, Write};

use strata_snapshots::{Error, Hash, Kind, Store};

/// Name of the child half of `sparse_pack_index_is_rejected_without_allocating_it`.
const SPARSE_CHILD: &str = "STRATA_TEST_SPARSE_PACK_STORE";

/// A pack whose trailer declares 2^26 index entries (2.75 GiB, a sparse file
/// on no disk space): reading the store once allocated the whole index.
/// The check runs in a child process limited to 512 MiB of address space,
/// where such an allocation fails and aborts.
#[test]
fn sparse_pack_index_is_rejected_without_allocating_it() {
    if let Some(dir) = std::env::var_os(SPARSE_CHILD) {
        let store = Store::open(&dir).unwrap();
        let absent: Hash = "01".repeat(32).parse().unwrap();
        // A lookup that misses every readable pack reports the broken one.
        let e = store.get(&absent, Kind::Chunk).unwrap_err();
        assert!(
            matches!(e, Error::CorruptedPack { .. }),
            "unexpected error: {e}"
        );
        println!("child-ok: {e}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("packs")).unwrap();
    let n: u64 = 1 << 26;
    let size = 10 + n * 44 + 48;
    let mut f = std::fs::File::create(
        dir.path()
            .join("packs")
            .join(format!("{}.pack", "ab".repeat(32))),
    )
    .unwrap();
    f.write_all(&[0x89, b'S', b'N', b'P', b'P', b'A', b'C', b'K', 1, 0])
        .unwrap();
    f.set_len(size).unwrap();
    f.seek(SeekFrom::Start(size - 48)).unwrap();
    f.write_all(&n.to_le_bytes()).unwrap();
    f.write_all(&10u64.to_le_bytes()).unwrap();
    f.write_all(&[0u8; 32]).unwrap();
    drop(f);

    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -v 524288 && exec "$0" "$@""#)
        .arg(exe)
        .args([
            "sparse_pack::sparse_pack_index_is_rejected_without_allocating_it",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(SPARSE_CHILD, dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("child-ok: corrupted pack"),
        "{out:?}"
    );
}

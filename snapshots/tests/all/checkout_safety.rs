//! `checkout` of untrusted snapshots: set-ID bits dropped unless asked for; temporaries of killed checkouts cleaned, live ones kept (issue 10, §4).

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use strata_snapshots::checkout::{CheckoutError, CheckoutOptions, checkout};
use strata_snapshots::stale;
use strata_snapshots::{Hash, MemBackend, NoProgress, Store, save};

use crate::common::{mkdir, new_fs, set_meta, write};

/// A snapshot with a setuid file, a setgid file, a setgid+sticky directory
/// and a plain file.
fn setid_snapshot(store: &Store) -> Hash {
    let mut fs = new_fs();
    write(&mut fs, "suid-sh", 0, b"#!");
    write(&mut fs, "sgid", 0, b"x");
    write(&mut fs, "plain", 0, b"y");
    mkdir(&mut fs, "shared");
    set_meta(&mut fs, "suid-sh", 0o6777, 1, 2);
    set_meta(&mut fs, "sgid", 0o2755, 1, 2);
    set_meta(&mut fs, "plain", 0o640, 1, 2);
    set_meta(&mut fs, "shared", 0o3777, 1, 2);
    save(store, &fs.snapshot(), &[]).unwrap()
}

fn mode(p: &Path) -> u32 {
    fs::symlink_metadata(p).unwrap().mode() & 0o7777
}

#[test]
fn setid_bits_are_dropped_by_default() {
    // Regression (issue 10): a root checkout of a tar with mode 6777 gave a
    // setuid-root shell.
    let store = Store::with_backend(MemBackend::new());
    let h = setid_snapshot(&store);
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("out");
    checkout(&store, &h, &dest, CheckoutOptions::default(), &NoProgress).unwrap();
    assert_eq!(mode(&dest.join("suid-sh")), 0o777);
    assert_eq!(mode(&dest.join("sgid")), 0o755);
    assert_eq!(mode(&dest.join("plain")), 0o640);
    // The sticky bit stays: it only restricts who may remove entries.
    assert_eq!(mode(&dest.join("shared")), 0o1777);
}

#[test]
fn keep_setid_keeps_them() {
    let store = Store::with_backend(MemBackend::new());
    let h = setid_snapshot(&store);
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("out");
    let opts = CheckoutOptions {
        keep_setid: true,
        ..CheckoutOptions::default()
    };
    checkout(&store, &h, &dest, opts, &NoProgress).unwrap();
    assert_eq!(mode(&dest.join("suid-sh")), 0o6777);
    assert_eq!(mode(&dest.join("sgid")), 0o2755);
    assert_eq!(mode(&dest.join("shared")), 0o3777);
}

/// The pid of a process that has exited (and been reaped).
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

/// Makes a fake temporary directory `name` in `parent` with a file inside.
fn fake_temp(parent: &Path, name: &str) -> std::path::PathBuf {
    let p = parent.join(name);
    fs::create_dir(&p).unwrap();
    fs::write(p.join("partial"), vec![1u8; 1000]).unwrap();
    p
}

#[test]
fn a_killed_checkouts_temporaries_are_removed_and_live_ones_kept() {
    // Regression (issue 10): 35 `kill -9`s of checkout left 3.5 GB of
    // `.DEST.strata-checkout-*` and `.DEST.strata-old-*` behind.
    let store = Store::with_backend(MemBackend::new());
    let h = setid_snapshot(&store);
    let tmp = tempfile::tempdir().unwrap();
    let dead = dead_pid();
    let me = std::process::id();
    let stale_co = fake_temp(tmp.path(), &format!(".out.strata-checkout-{dead}-5-0"));
    let stale_old = fake_temp(tmp.path(), &format!(".out.strata-old-{dead}-5-0"));
    // A live process's temporary (this one's pid), and one whose pid looks
    // dead but whose lock is held (an owner in another pid namespace).
    let live = fake_temp(tmp.path(), &format!(".out.strata-checkout-{me}-5-0"));
    let locked = fake_temp(tmp.path(), &format!(".out.strata-checkout-{dead}-6-0"));
    let _held = stale::lock_path(&locked).unwrap();
    // Another destination's temporary is not ours to judge.
    let other = fake_temp(tmp.path(), &format!(".other.strata-checkout-{dead}-5-0"));

    let dest = tmp.path().join("out");
    checkout(&store, &h, &dest, CheckoutOptions::default(), &NoProgress).unwrap();
    assert!(!stale_co.exists());
    assert!(!stale_old.exists());
    assert!(live.join("partial").exists());
    assert!(locked.join("partial").exists());
    assert!(other.join("partial").exists());
    assert!(dest.join("plain").exists());
    // Nothing of this checkout is left beside it.
    let left: Vec<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(".out.") && !n.contains(&format!("-{dead}-6-")))
        .filter(|n| !n.contains(&format!("-{me}-5-")))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn an_old_tree_moved_aside_by_a_killed_overwrite_is_put_back() {
    // A checkout with `overwrite` killed between moving the old tree aside
    // and renaming the new one into place: the old tree must not be deleted
    // as a stale temporary.
    let store = Store::with_backend(MemBackend::new());
    let h = setid_snapshot(&store);
    let tmp = tempfile::tempdir().unwrap();
    let old = tmp
        .path()
        .join(format!(".out.strata-old-{}-5-0", dead_pid()));
    fs::create_dir(&old).unwrap();
    fs::create_dir(old.join("old")).unwrap();
    fs::write(old.join("old/precious"), b"keep me").unwrap();
    let dest = tmp.path().join("out");
    match checkout(&store, &h, &dest, CheckoutOptions::default(), &NoProgress) {
        Err(CheckoutError::DestinationExists(_)) => {}
        other => panic!("expected DestinationExists, got {other:?}"),
    }
    assert_eq!(fs::read(dest.join("precious")).unwrap(), b"keep me");
    assert!(!old.exists());
}

//! Interoperability with GNU tar: it extracts our layers exactly, and we import its POSIX archives exactly.

use std::path::Path;
use std::process::Command;

use strata_snapshots::checkout::{CheckoutOptions, checkout};
use strata_snapshots::oci::{self, ImportOptions};
use strata_snapshots::{MemBackend, NoProgress, Store, save};

use crate::checkout::{engine_view, host_dump};
use crate::common::{link, mkdir, new_fs, sample, set_meta, symlink, write};

/// Runs GNU tar; `None` (with a note) where there is no `tar` binary.
fn gnu_tar(args: &[&str], dir: &Path) -> Option<()> {
    let out = match Command::new("tar").args(args).current_dir(dir).output() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("note: no usable `tar` binary ({e}); interop not checked");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "tar {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(())
}

fn tree() -> strata_engine::Snapshot {
    let mut fs = new_fs();
    sample(&mut fs);
    let long = "x".repeat(150);
    mkdir(&mut fs, &long);
    write(
        &mut fs,
        &format!("{long}/{}", "y".repeat(140)),
        0,
        b"long path",
    );
    symlink(&mut fs, &"../".repeat(40), &format!("{long}/sym"));
    link(
        &mut fs,
        "etc/hello.txt",
        &format!("{long}/{}", "z".repeat(120)),
    );
    set_meta(&mut fs, &long, 0o700, 1, 1_600_000_000_123_456_789);
    set_meta(&mut fs, ".", 0o755, 1, 1_500_000_000_000_000_000);
    fs.snapshot()
}

#[test]
fn gnu_tar_extracts_an_exported_layer_like_checkout() {
    let store = Store::with_backend(MemBackend::new());
    let snap = tree();
    let h = save(&store, &snap, &[]).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let layer = tmp.path().join("layer.tar");
    let mut f = std::fs::File::create(&layer).unwrap();
    oci::export(&store, &h, None, &mut f, &NoProgress).unwrap();
    drop(f);
    let out = tmp.path().join("by-gnu-tar");
    std::fs::create_dir(&out).unwrap();
    let Some(()) = gnu_tar(
        &["-xpf", layer.to_str().unwrap(), "-C", out.to_str().unwrap()],
        tmp.path(),
    ) else {
        return;
    };
    let mine = tmp.path().join("by-checkout");
    // `tar -p` keeps set-ID bits: so does this checkout.
    checkout(
        &store,
        &h,
        &mine,
        CheckoutOptions {
            keep_setid: true,
            ..CheckoutOptions::default()
        },
        &NoProgress,
    )
    .unwrap();
    let strip_atime = |mut d: std::collections::BTreeMap<String, crate::common::Desc>| {
        // GNU tar does not restore access times.
        for x in d.values_mut() {
            x.atime = 0;
        }
        d
    };
    let want = strip_atime(engine_view(&snap));
    assert_eq!(strip_atime(host_dump(&mine)), want);
    assert_eq!(strip_atime(host_dump(&out)), want);
}

#[test]
fn a_gnu_tar_posix_archive_imports_exactly() {
    let store = Store::with_backend(MemBackend::new());
    let snap = tree();
    let h = save(&store, &snap, &[]).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    checkout(
        &store,
        &h,
        &src,
        CheckoutOptions {
            keep_setid: true,
            ..CheckoutOptions::default()
        },
        &NoProgress,
    )
    .unwrap();
    let before = host_dump(&src);
    let archive = tmp.path().join("gnu.tar");
    let Some(()) = gnu_tar(
        &[
            "--format=posix",
            "-cf",
            archive.to_str().unwrap(),
            "-C",
            src.to_str().unwrap(),
            ".",
        ],
        tmp.path(),
    ) else {
        return;
    };
    let data = std::fs::read(&archive).unwrap();
    let imported = oci::import(&data[..], None, &ImportOptions::default()).unwrap();
    let mut got = engine_view(&imported);
    let mut want = before;
    // Access times: GNU tar records the ones it saw while reading (after
    // ours were set), so compare everything else.
    for x in got.values_mut().chain(want.values_mut()) {
        x.atime = 0;
    }
    assert_eq!(got, want);
}

//! `strata snapshot apply`: a run's changes written back onto its host directory, refused on conflicts, rerunnable.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use crate::{Env, out};

/// The guest that runs file operations from its arguments (see its source).
pub(crate) const FS_SCRIPT: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/guests/fs_script.wasm");

/// Creates, edits, deletes and renames (a file and a directory), makes a
/// directory, a symlink and a hard link, all under the `/data` mount.
#[rustfmt::skip]
pub(crate) const EDITS: &[&str] = &[
    "write", "/data/new.txt", "hello\n",
    "append", "/data/etc/app.conf", "debug = 1\n",
    "rm", "/data/data/b.csv",
    "mv", "/data/data/a.csv", "/data/data/renamed.csv",
    "mv", "/data/data/old", "/data/archive",
    "mkdir", "/data/made",
    "write", "/data/made/inner", "x",
    "symlink", "../etc/app.conf", "/data/made/link",
    "link", "/data/new.txt", "/data/made/hard",
];

/// Every entry under `dir` (not following symlinks): type, permissions,
/// link count and content or target; files also their mtime.
pub(crate) fn listing(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut work = vec![dir.to_path_buf()];
    while let Some(d) = work.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            let m = std::fs::symlink_metadata(&p).unwrap();
            let what = if m.is_symlink() {
                format!("link -> {}", std::fs::read_link(&p).unwrap().display())
            } else if m.is_dir() {
                work.push(p.clone());
                format!("dir {:o}", m.permissions().mode() & 0o7777)
            } else {
                format!(
                    "file {:o} n{} t{}.{} {:?}",
                    m.permissions().mode() & 0o7777,
                    m.nlink(),
                    m.mtime(),
                    m.mtime_nsec(),
                    String::from_utf8_lossy(&std::fs::read(&p).unwrap())
                )
            };
            out.insert(rel, what);
        }
    }
    out
}

/// Runs the edits over the workspace tree and saves the result as `name`.
fn edited(e: &Env, name: &str) {
    out(e
        .cmd()
        .arg("run")
        .args(e.data_mount())
        .args(["--save", name, FS_SCRIPT])
        .args(EDITS))
    .ok();
}

#[test]
fn apply_makes_the_host_tree_equal_to_a_checkout() {
    let e = Env::new();
    edited(&e, "s");
    let before = listing(&e.tree());
    // The run itself never touches the host.
    assert!(!e.tree().join("new.txt").exists());
    let co = e.path("co");
    e.snap(&["checkout", "s", co.to_str().unwrap()]).ok();

    // --dry-run prints the plan and changes nothing.
    let tree = e.tree();
    let tree = tree.to_str().unwrap();
    let dry = e.snap(&["apply", "--dry-run", "s", tree]).ok();
    for l in [
        "A /new.txt",
        "D /data/b.csv",
        "D /data/a.csv",
        "A /data/renamed.csv",
        "D /data/old/",
        "A /archive/",
        "A /made/",
        "M /etc/app.conf",
    ] {
        assert!(dry.stdout.lines().any(|x| x == l), "{l}: {dry:#?}");
    }
    assert_eq!(listing(&e.tree()), before);

    let o = e.snap(&["apply", "s", tree]).ok();
    assert!(o.stderr.contains("applied to"), "{o:#?}");
    assert_eq!(listing(&e.tree()), listing(&co));
    let conf = std::fs::read_to_string(e.tree().join("etc/app.conf")).unwrap();
    assert_eq!(conf, "threads = 4\ndebug = 1\n");
    assert_eq!(
        std::fs::metadata(e.tree().join("made/hard")).unwrap().ino(),
        std::fs::metadata(e.tree().join("new.txt")).unwrap().ino()
    );
    // No temporary is left behind.
    let names: Vec<String> = std::fs::read_dir(e.tree())
        .unwrap()
        .map(|d| d.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.starts_with(".strata")), "{names:?}");

    // A second apply finds everything done and changes nothing.
    let again = e.snap(&["apply", "s", tree]).ok();
    assert!(
        again.stderr.contains("0 added, 0 removed, 0 updated"),
        "{again:#?}"
    );
    assert_eq!(listing(&e.tree()), listing(&co));
}

#[test]
fn a_conflicting_host_edit_is_refused_and_nothing_changes() {
    let e = Env::new();
    edited(&e, "s");
    // The user edits a file the guest edited, and one the guest deleted.
    std::fs::write(e.tree().join("etc/app.conf"), "threads = 8\n").unwrap();
    std::fs::write(e.tree().join("data/b.csv"), "id,value\n2,9\n").unwrap();
    // ... and creates one where the guest created one.
    std::fs::write(e.tree().join("new.txt"), "mine\n").unwrap();
    let before = listing(&e.tree());
    let tree = e.tree();
    let tree = tree.to_str().unwrap();
    let o = e
        .snap(&["apply", "s", tree])
        .fails(1, "3 conflicting paths");
    for p in ["/etc/app.conf", "/data/b.csv", "/new.txt"] {
        assert!(
            o.stderr
                .lines()
                .any(|l| l.contains(p) && l.contains("CONFLICT")),
            "{p}: {o:#?}"
        );
    }
    assert_eq!(listing(&e.tree()), before);
    // The dry run says the same, and fails the same way.
    let dry = e
        .snap(&["apply", "--dry-run", "s", tree])
        .fails(1, "conflicting");
    assert!(
        dry.stdout
            .contains("M /etc/app.conf  CONFLICT: changed on the host (its content differs)"),
        "{dry:#?}"
    );
    assert_eq!(listing(&e.tree()), before);

    // --force overrides: the host then has the snapshot's versions.
    e.snap(&["apply", "--force", "s", tree]).ok();
    let co = e.path("co");
    e.snap(&["checkout", "s", co.to_str().unwrap()]).ok();
    assert_eq!(listing(&e.tree()), listing(&co));
}

#[test]
fn a_symlinked_parent_is_never_written_through() {
    let e = Env::new();
    edited(&e, "s");
    let outside = e.path("outside");
    std::fs::create_dir(&outside).unwrap();
    // `etc` becomes a symlink to a directory outside the tree.
    std::fs::rename(e.tree().join("etc"), outside.join("etc")).unwrap();
    std::os::unix::fs::symlink(outside.join("etc"), e.tree().join("etc")).unwrap();
    let before = listing(&outside);
    let tree = e.tree();
    e.snap(&["apply", "--force", "s", tree.to_str().unwrap()])
        .fails(1, "is not a directory; nothing changed");
    assert_eq!(listing(&outside), before);
}

#[test]
fn an_interrupted_apply_is_finished_by_a_rerun() {
    let e = Env::new();
    edited(&e, "s");
    let co = e.path("co");
    e.snap(&["checkout", "s", co.to_str().unwrap()]).ok();
    // What a killed apply leaves: some paths already new, others old, and
    // its temporary directory (named for a pid that no longer runs).
    std::fs::copy(co.join("new.txt"), e.tree().join("new.txt")).unwrap();
    std::fs::remove_file(e.tree().join("data/b.csv")).unwrap();
    let stale = e.tree().join(".strata-apply-999999999-1-0");
    std::fs::create_dir(&stale).unwrap();
    std::fs::write(stale.join("1"), "half").unwrap();
    let tree = e.tree();
    let o = e.snap(&["apply", "s", tree.to_str().unwrap()]).ok();
    assert!(o.stderr.contains("already done"), "{o:#?}");
    assert!(!stale.exists());
    assert_eq!(listing(&e.tree()), listing(&co));
}

#[test]
fn setid_bits_are_dropped_unless_kept() {
    let e = Env::new();
    // The start tree has a setuid file; the guest rewrites it.
    let f = e.tree().join("etc/tool");
    std::fs::write(&f, "v1").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o4755)).unwrap();
    out(e.cmd().arg("run").args(e.data_mount()).args([
        "--save",
        "s",
        FS_SCRIPT,
        "write",
        "/data/etc/tool",
        "v2",
    ]))
    .ok();
    let tree = e.tree();
    let tree = tree.to_str().unwrap();
    e.snap(&["apply", "s", tree]).ok();
    let mode = std::fs::metadata(&f).unwrap().permissions().mode();
    assert_eq!(mode & 0o7777, 0o755);
    assert_eq!(std::fs::read(&f).unwrap(), b"v2");
    // Kept, the bits are as a checkout that keeps them writes them.
    e.snap(&["apply", "--keep-setid", "s", tree]).ok();
    let co = e.path("co");
    e.snap(&["checkout", "--keep-setid", "s", co.to_str().unwrap()])
        .ok();
    let kept = std::fs::metadata(co.join("etc/tool"))
        .unwrap()
        .permissions()
        .mode();
    let mode = std::fs::metadata(&f).unwrap().permissions().mode();
    assert_eq!(mode, kept);
}

#[test]
fn a_snapshot_without_parent_has_nothing_to_apply() {
    let e = Env::new();
    let layer = e.path("empty.tar");
    std::fs::write(&layer, [0u8; 1024]).unwrap();
    e.snap(&["import", layer.to_str().unwrap(), "--name", "imp"])
        .ok();
    let tree = e.tree();
    e.snap(&["apply", "imp", tree.to_str().unwrap()])
        .fails(1, "has no parent");
}

#[test]
fn the_committed_fs_script_guest_is_fresh() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/guests");
    let tmp = tempfile::tempdir().unwrap();
    let built = std::process::Command::new("bash")
        .arg(dir.join("build.sh"))
        .arg(tmp.path())
        .output();
    if !built.as_ref().is_ok_and(|o| o.status.success()) {
        eprintln!("note: clang for wasm32-wasi is not available; not rebuilding cli/tests/guests");
        return;
    }
    assert_eq!(
        std::fs::read(tmp.path().join("fs_script.wasm")).unwrap(),
        std::fs::read(FS_SCRIPT).unwrap(),
        "cli/tests/guests/fs_script.wasm is stale: run cli/tests/guests/build.sh and commit"
    );
}

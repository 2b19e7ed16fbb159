//! `strata snapshot …` over snapshots saved by real runs of the demo guest.

use crate::{Env, files_under, out, strata};

/// A store with `one` (the demo's first run) and `two` (a second run from it).
fn two_runs() -> Env {
    let e = Env::new();
    e.run_demo(&["--save", "one"], "first").ok();
    e.run_demo(&["--from", "one", "--save", "two"], "second")
        .ok();
    e
}

#[test]
fn ls_lists_refs_with_their_labels() {
    let e = two_runs();
    let ls = e.snap(&["ls"]).ok();
    let lines: Vec<&str> = ls.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{ls:#?}");
    assert!(
        lines[0].starts_with("one  ") && lines[1].starts_with("two  "),
        "{ls:#?}"
    );
    assert!(
        lines[0].contains("exit=0 module=demo_guest.wasm mount=/data"),
        "{ls:#?}"
    );
    // A damaged ref is shown as such and does not hide the others.
    std::fs::write(e.store().join("refs/one"), "not a hash\n").unwrap();
    let ls = e.snap(&["ls"]).fails(1, "1 of 2 refs are damaged");
    assert!(
        ls.stdout.contains("(unreadable: ref \"one\" is damaged"),
        "{ls:#?}"
    );
    assert!(ls.stdout.contains("\ntwo  "), "{ls:#?}");
}

#[test]
fn show_prints_the_manifest_and_counts() {
    let e = two_runs();
    let one = e.hash_of("one");
    let show = e.snap(&["show", "two"]).ok();
    let s = &show.stdout;
    assert!(s.contains(&format!("label     strata.from = {one}")), "{s}");
    assert!(s.contains("refs      two\n"), "{s}");
    // etc/, datasets/, out/ and the root; app.conf, a.csv, b.csv, report.txt.
    assert!(s.contains("(4 directories, 4 files, 0 symlinks"), "{s}");
    let report = "first: total 12\nsecond: total 12 (already migrated)\n";
    let content =
        "threads = 8\n".len() + "id,value\n1,5\n".len() + "id,value\n2,7\n".len() + report.len();
    assert!(
        s.contains(&format!("content   {content} bytes in files")),
        "{s}"
    );
    // The first run was over a host directory: its lower layer is recorded.
    let first = e.snap(&["show", "one"]).ok();
    assert!(
        first.stdout.contains("lower     fingerprint "),
        "{first:#?}"
    );

    // A unique prefix names the snapshot too; a short or unknown one does not.
    let by_prefix = e.snap(&["show", &one[..10]]).ok();
    assert!(by_prefix.stdout.starts_with(&format!("snapshot  {one}")));
    e.snap(&["show", &one[..3]]).fails(1, "no snapshot named");
    e.snap(&["show", "nope"])
        .fails(1, "no snapshot named `nope`");
}

#[test]
fn commands_on_a_missing_store_fail_without_creating_it() {
    let t = tempfile::tempdir().unwrap();
    let missing = t.path().join("nothing-here");
    out(strata()
        .env("STRATA_STORE", &missing)
        .args(["snapshot", "ls"]))
    .fails(1, "no snapshot store at");
    assert!(!missing.exists());
    // --store wins over STRATA_STORE.
    let e = two_runs();
    let ls = out(strata()
        .env("STRATA_STORE", &missing)
        .args(["snapshot", "--store"])
        .arg(e.store())
        .arg("ls"))
    .ok();
    assert!(ls.stdout.contains("one"), "{ls:#?}");
}

#[test]
fn verify_passes_then_detects_a_damaged_object() {
    let e = two_runs();
    let v = e.snap(&["verify"]).ok();
    assert!(
        v.stdout.contains("ok       one") && v.stdout.contains("ok       two"),
        "{v:#?}"
    );
    // Flip one bit in the middle of every stored object file (loose objects and
    // packs alike); refs are left alone.
    for f in files_under(&e.store()) {
        if f.starts_with(e.store().join("refs")) {
            continue;
        }
        let mut bytes = std::fs::read(&f).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x10;
        std::fs::write(&f, bytes).unwrap();
    }
    let v = e.snap(&["verify", "one"]);
    let v = v.fails(1, "damaged");
    assert!(v.stdout.contains("damaged  one"), "{v:#?}");
    // Starting a run from it is a clear error, and the guest never runs.
    let o = e.run_demo(&["--from", "two"], "x");
    assert_eq!(o.code, Some(1), "{o:#?}");
    assert!(o.stdout.is_empty(), "{o:#?}");
    let last = o.stderr.lines().last().unwrap();
    assert!(
        last.starts_with("strata: ") && last.contains("corrupt"),
        "{o:#?}"
    );
}

#[test]
fn gc_keeps_what_refs_reach_and_removes_the_rest() {
    let e = two_runs();
    let gc = e.snap(&["gc"]).ok();
    assert!(gc.stdout.starts_with("removed 0 objects"), "{gc:#?}");
    e.snap(&["rm", "two"]).ok();
    e.snap(&["show", "two"]).fails(1, "no snapshot named `two`");
    let gc = e.snap(&["gc"]).ok();
    assert!(!gc.stdout.starts_with("removed 0 objects"), "{gc:#?}");
    e.snap(&["verify", "one"]).ok();
    e.snap(&["rm", "two"]).fails(1, "no snapshot named `two`");
}

/// The manifest parent of `name`, read from `snapshot show`.
fn parent_of(e: &Env, name: &str) -> String {
    let o = e.snap(&["show", name]).ok();
    o.stdout
        .lines()
        .find_map(|l| l.strip_prefix("parent    "))
        .unwrap()
        .to_owned()
}

#[test]
fn diff_lists_what_a_run_changed() {
    let e = two_runs();
    let d = e.snap(&["diff", "one", "two"]).ok();
    assert_eq!(d.stdout, "M /out/report.txt  (content, meta)\n", "{d:#?}");
    // A saved run's parent is its starting tree: the host directory here.
    let start = parent_of(&e, "one");
    let d = e.snap(&["diff", &start, "one"]).ok();
    for line in [
        "D /data/\n",
        "A /datasets/\n",
        "A /out/\n",
        "M /etc/app.conf  (content, meta)\n",
    ] {
        assert!(d.stdout.contains(line), "{line}: {d:#?}");
    }
    assert!(e.snap(&["diff", "one", "one"]).ok().stdout.is_empty());
    e.snap(&["diff", "one", "nope"])
        .fails(1, "no snapshot named `nope`");
}

#[test]
fn export_then_import_reproduces_the_tree() {
    let e = two_runs();
    let layer = e.path("one.tar");
    let o = e
        .snap(&["export", "one", "-o", layer.to_str().unwrap()])
        .ok();
    assert!(o.stderr.contains("changes since"), "{o:#?}");
    let bytes = std::fs::read(&layer).unwrap();
    // The guest removed the host's data/ (renamed it): a whiteout says so.
    assert!(bytes.windows(8).any(|w| w == b".wh.data"), "no whiteout");
    // The layer applied over the starting tree gives the same snapshot tree.
    let start = parent_of(&e, "one");
    let imp = e
        .snap(&[
            "import",
            layer.to_str().unwrap(),
            "--base",
            &start,
            "--name",
            "re",
        ])
        .ok();
    assert_eq!(imp.stdout.trim(), e.hash_of("re"));
    assert!(e.snap(&["diff", "one", "re"]).ok().stdout.is_empty());

    // The whole tree, to stdout, imported with no base: the same tree too.
    let full = e.snap(&["export", "two", "--full"]).ok();
    assert!(!full.stdout.is_empty());
    let full_tar = e.path("two-full.tar");
    std::fs::write(&full_tar, e.snap_bytes(&["export", "two", "--full"])).unwrap();
    e.snap(&["import", full_tar.to_str().unwrap(), "--name", "two-again"])
        .ok();
    assert!(e.snap(&["diff", "two", "two-again"]).ok().stdout.is_empty());
    // Deterministic bytes: exporting twice gives the same archive.
    assert_eq!(
        e.snap_bytes(&["export", "two", "--full"]),
        std::fs::read(&full_tar).unwrap()
    );
}

#[test]
fn bad_export_and_import_leave_nothing_behind() {
    let e = two_runs();
    let missing_dir = e.path("no/such/dir/x.tar");
    e.snap(&["export", "one", "-o", missing_dir.to_str().unwrap()])
        .fails(1, "creating a file");
    let junk = e.path("junk.tar");
    std::fs::write(&junk, vec![0x5a; 3000]).unwrap();
    e.snap(&["import", junk.to_str().unwrap(), "--name", "junk"])
        .fails(1, "importing");
    e.snap(&["show", "junk"])
        .fails(1, "no snapshot named `junk`");
    e.snap(&["import", e.path("absent.tar").to_str().unwrap()])
        .fails(1, "opening");
    e.snap(&["import", junk.to_str().unwrap(), "--name", ".bad"])
        .fails(2, "invalid snapshot name");
}

#[test]
fn checkout_writes_a_new_directory_only() {
    let e = two_runs();
    let dest = e.path("co");
    let d = dest.to_str().unwrap();
    e.snap(&["checkout", "two", d]).ok();
    assert_eq!(
        std::fs::read_to_string(dest.join("out/report.txt")).unwrap(),
        "first: total 12\nsecond: total 12 (already migrated)\n"
    );
    assert_eq!(
        std::fs::read_to_string(dest.join("etc/app.conf")).unwrap(),
        "threads = 8\n"
    );
    assert!(!dest.join("data").exists());
    // An existing, non-empty destination is refused, and kept as it was.
    e.snap(&["checkout", "one", d]).fails(2, "--force");
    assert!(
        std::fs::read_to_string(dest.join("out/report.txt"))
            .unwrap()
            .contains("second")
    );
    e.snap(&["checkout", "one", d, "--force"]).ok();
    assert_eq!(
        std::fs::read_to_string(dest.join("out/report.txt")).unwrap(),
        "first: total 12\n"
    );
    // Changes only: what the first run did to the host tree, whiteouts included.
    let ch = e.path("changes");
    e.snap(&["checkout", "one", ch.to_str().unwrap(), "--changes-only"])
        .ok();
    assert!(ch.join(".wh.data").exists());
    assert!(ch.join("datasets/a.csv").exists());
}

/// `export` with stdout on a terminal refuses (run under util-linux `script`,
/// which gives the command a pseudo-terminal; skipped where it is missing).
#[test]
fn export_refuses_a_terminal() {
    let e = two_runs();
    let cmd = format!(
        "STRATA_STORE='{}' '{}' snapshot export one; echo \"rc=$?\"",
        e.store().display(),
        env!("CARGO_BIN_EXE_strata")
    );
    let Ok(o) = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
    else {
        eprintln!("note: `script` unavailable; terminal refusal not checked");
        return;
    };
    let text = String::from_utf8_lossy(&o.stdout);
    if !text.contains("rc=") {
        // `script` could not give the command a terminal here (no ptys).
        eprintln!("note: `script` failed ({text}); terminal refusal not checked");
        return;
    }
    assert!(
        text.contains("refusing to write a tar archive to a terminal"),
        "{text}"
    );
    assert!(text.contains("rc=2"), "{text}");
}

/// Writes "end" at offset 100000 of a new file `sparse` in the first mount.
const SPARSE: &str = r#"(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_pwrite"
    (func $pwrite (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "sparse")
  (data (i32.const 32) "end")
  (data (i32.const 128) "\20\00\00\00\03\00\00\00")
  (func (export "_start")
    (drop (call $open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 6)
      (i32.const 1) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 64)))
    (call $exit (call $pwrite (i32.load (i32.const 64)) (i32.const 128) (i32.const 1)
      (i64.const 100000) (i32.const 200)))))"#;

#[test]
fn cat_prints_one_file() {
    let e = two_runs();
    let o = e.snap(&["cat", "two", "/out/report.txt"]).ok();
    assert_eq!(
        o.stdout,
        "first: total 12\nsecond: total 12 (already migrated)\n"
    );
    let o = e.snap(&["cat", "one", "etc/app.conf"]).ok();
    assert_eq!(o.stdout, "threads = 8\n");
    e.snap(&["cat", "one", "/out"]).fails(1, "is a directory");
    e.snap(&["cat", "one", "/out/nope"])
        .fails(1, "reading `/out/nope` of `one`: no such path");
    e.snap(&["cat", "one", "/etc/app.conf/x"])
        .fails(1, "no such path");
    e.snap(&["cat", "one", "/data/a.csv"])
        .fails(1, "no such path");
    e.snap(&["cat", "nope", "/x"])
        .fails(1, "no snapshot named `nope`");

    // Holes read as zeros.
    let g = e.wat("sparse.wasm", SPARSE);
    out(e
        .cmd()
        .args(["run", "--mem-dir", "/m", "--save", "sp"])
        .arg(&g))
    .ok();
    let bytes = e.snap_bytes(&["cat", "sp", "sparse"]);
    assert_eq!(bytes.len(), 100_003);
    assert!(bytes[..100_000].iter().all(|&b| b == 0));
    assert_eq!(&bytes[100_000..], b"end");
}

#[test]
fn pack_moves_a_snapshot_to_another_store() {
    let e = two_runs();
    let file = e.path("two.snap");
    let f = file.to_str().unwrap();
    let o = e.snap(&["pack", "two", "-o", f]).ok();
    assert!(o.stderr.contains("objects)"), "{o:#?}");
    // Into an empty store (created by unpack), under a new name.
    let other = e.path("other-store");
    let unpack = out(strata()
        .args(["snapshot", "--store"])
        .arg(&other)
        .args(["unpack", f, "--name", "moved"]))
    .ok();
    assert_eq!(unpack.stdout.trim(), e.hash_of("two"));
    let cat = out(strata().args(["snapshot", "--store"]).arg(&other).args([
        "cat",
        "moved",
        "/out/report.txt",
    ]))
    .ok();
    assert!(cat.stdout.contains("second: total 12"), "{cat:#?}");
    // Parents come along, so the changes still export.
    let exp = out(strata()
        .args(["snapshot", "--store"])
        .arg(&other)
        .args(["export", "moved", "-o"])
        .arg(e.path("moved.tar")))
    .ok();
    assert!(exp.stderr.contains("changes since"), "{exp:#?}");
    out(strata()
        .args(["snapshot", "--store"])
        .arg(&other)
        .args(["verify"]))
    .ok();
}

#[test]
fn a_damaged_pack_is_refused_and_names_nothing() {
    let e = two_runs();
    let file = e.path("one.snap");
    let f = file.to_str().unwrap();
    e.snap(&["pack", "one", "-o", f]).ok();
    let good = std::fs::read(&file).unwrap();
    // Truncated.
    std::fs::write(&file, &good[..good.len() / 2]).unwrap();
    e.snap(&["unpack", f, "--name", "cut"])
        .fails(1, "unpacking");
    // One bit flipped in the middle.
    let mut bad = good.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 1;
    std::fs::write(&file, &bad).unwrap();
    e.snap(&["unpack", f, "--name", "flipped"])
        .fails(1, "unpacking");
    // Not a pack at all.
    std::fs::write(&file, b"hello").unwrap();
    e.snap(&["unpack", f, "--name", "junk"])
        .fails(1, "unpacking");
    let ls = e.snap(&["ls"]).ok();
    assert!(
        !ls.stdout.contains("cut") && !ls.stdout.contains("flipped") && !ls.stdout.contains("junk"),
        "{ls:#?}"
    );
    // A failed pack writes no file.
    let nothing = e.path("nothing.snap");
    e.snap(&["pack", "nope", "-o", nothing.to_str().unwrap()])
        .fails(1, "no snapshot named `nope`");
    assert!(!nothing.exists());
}

#[test]
fn a_prefix_finds_an_unnamed_snapshot_held_in_a_pack() {
    let e = two_runs();
    let two = e.hash_of("two");
    e.snap(&["rm", "two"]).ok();
    // No ref and no descendant leads to it any more, and saves write packs,
    // not loose objects: only a listing of the packs finds it (until gc).
    let shown = e.snap(&["show", &two[..12]]).ok();
    assert!(
        shown.stdout.starts_with(&format!("snapshot  {two}")),
        "{shown:#?}"
    );
    e.snap(&["gc"]).ok();
    e.snap(&["show", &two[..12]]).fails(1, "no snapshot named");
}

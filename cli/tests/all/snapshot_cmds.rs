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

//! `strata demo` and plain `strata run` (no snapshots).

use std::process::Command;

use crate::strata;

#[test]
fn demo_runs_with_no_arguments() {
    let out = strata().arg("demo").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("host tree unchanged: yes"), "{text}");
    assert!(text.contains("[first] sum of data/*.csv: 60"), "{text}");
    assert!(
        text.contains("second: total 60 (already migrated)"),
        "{text}"
    );
}

#[test]
fn run_changes_only_the_overlay() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    for (p, body) in [
        ("etc/app.conf", "threads = 4\n"),
        ("data/a.csv", "id,value\n1,5\n"),
        ("data/b.csv", ""),
    ] {
        std::fs::create_dir_all(root.join(p).parent().unwrap()).unwrap();
        std::fs::write(root.join(p), body).unwrap();
    }
    std::fs::create_dir_all(root.join("data/old")).unwrap();
    std::fs::write(root.join("data/old/archive.txt"), "x").unwrap();
    let guest = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/demo_guest.wasm");
    let spec = format!("{}::/data", root.display());
    for _ in 0..2 {
        // The second run hits the module cache and must behave the same.
        let out = strata()
            .args(["run", "--dir", &spec, guest, "/data", "t"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("[t] sum of data/*.csv: 5"), "{text}");
        assert!(text.contains("top level now: datasets etc out"), "{text}");
    }
    assert_eq!(
        std::fs::read_to_string(root.join("etc/app.conf")).unwrap(),
        "threads = 4\n"
    );
    assert!(root.join("data/old/archive.txt").exists());
    assert!(!root.join("out").exists());
}

#[test]
fn read_only_dir_refuses_changes_and_exit_code_passes_through() {
    let t = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(t.path().join("data")).unwrap();
    std::fs::create_dir_all(t.path().join("etc")).unwrap();
    std::fs::write(t.path().join("etc/app.conf"), "x\n").unwrap();
    let guest = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/demo_guest.wasm");
    let spec = format!("{}::/data", t.path().display());
    let out = strata()
        .args(["run", "--ro-dir", &spec, guest])
        .output()
        .unwrap();
    // The guest cannot open app.conf for writing and exits with status 2.
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("app.conf"));
}

#[test]
fn bad_usage_is_a_one_line_error() {
    let out = strata()
        .args(["run", "--dir", "/nonexistent-strata-dir", "x.wasm"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("strata: opening directory `/nonexistent-strata-dir`"),
        "{err}"
    );
    let out = strata()
        .args(["run", "--env", "NOEQUALS", "x.wasm"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("KEY=VALUE"));
}

/// The committed demo guest is what its source builds to (where clang with the
/// wasm32-wasi target exists; elsewhere there is nothing to compare with).
#[test]
fn demo_guest_is_fresh() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let out = tempfile::tempdir().unwrap();
    let built = out.path().join("demo_guest.wasm");
    let status = Command::new("clang")
        .args([
            "--target=wasm32-wasi",
            "-O2",
            "-Wall",
            "-Wl,--strip-debug",
            "-o",
        ])
        .arg(&built)
        .arg(format!("{dir}/demo/demo_guest.c"))
        .status();
    match status {
        Ok(s) if s.success() => {}
        _ => {
            eprintln!("note: clang for wasm32-wasi unavailable; freshness not checked");
            return;
        }
    }
    let committed = std::fs::read(format!("{dir}/demo/demo_guest.wasm")).unwrap();
    assert!(
        std::fs::read(&built).unwrap() == committed,
        "cli/demo/demo_guest.wasm is stale: run cli/demo/build.sh"
    );
}

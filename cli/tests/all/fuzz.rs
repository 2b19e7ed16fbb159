//! `strata fuzz`: finds the planted bug of the fuzz_guest target, reproduces it with a backtrace, judges forbidden writes, refuses bad flags in one line.

use std::path::{Path, PathBuf};

use crate::{out, strata};

/// The guest-fuzz crate's bundled target: a config parser with a planted
/// division by zero (`ratio = 1/0`).
const TARGET: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../guest-fuzz/examples/fuzz_guest/target.wasm"
);

/// A host tree with what the target needs (`keys.txt`, `out/`), a corpus
/// with one valid seed, and a crashes directory.
struct Setup {
    t: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let t = tempfile::tempdir().unwrap();
        let work = t.path().join("work");
        std::fs::create_dir_all(work.join("out")).unwrap();
        std::fs::write(work.join("keys.txt"), "name\nsize\nmode\nratio\n").unwrap();
        let corpus = t.path().join("corpus");
        std::fs::create_dir(&corpus).unwrap();
        std::fs::write(corpus.join("seed"), "[main]\nname = x\nratio = 10/4\n").unwrap();
        Setup { t }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.t.path().join(p)
    }

    /// `strata fuzz` over the tree, input as `/work/input`, exits 0 and 1 fine.
    fn fuzz(&self, extra: &[&str]) -> std::process::Command {
        let mut c = strata();
        c.arg("fuzz")
            .arg("--dir")
            .arg(format!("{}::/work", self.path("work").display()))
            .args([
                "--input",
                "file:/work/input",
                "--ok-exit",
                "0",
                "--ok-exit",
                "1",
            ])
            .arg("--corpus")
            .arg(self.path("corpus"))
            .arg("--crashes")
            .arg(self.path("crashes"))
            .args(extra)
            .args([TARGET, "/work/input"]);
        c
    }
}

/// The files of `dir`, without LibAFL's hidden lock and metadata files.
fn files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn finds_the_planted_bug_and_reproduces_it() {
    let s = Setup::new();
    let dict = s.path("ratio.dict");
    std::fs::write(
        &dict,
        "# the format's syntax\nslash=\"/\"\nzero=\"0\"\n\"ratio = \"\n",
    )
    .unwrap();
    let dict = dict.to_str().unwrap();
    let o = out(&mut s.fuzz(&["--seed", "1", "--runs", "200000", "--dict", dict]));
    assert_eq!(o.code, Some(1), "{o:#?}");
    assert!(o.stderr.contains("strata: finding: trap: "), "{o:#?}");
    // Plain status lines when stderr is not a terminal.
    assert!(
        o.stderr.contains(" cov: ") || o.stderr.contains("strata: done:"),
        "{o:#?}"
    );
    let crashes = files(&s.path("crashes"));
    assert!(!crashes.is_empty(), "{o:#?}");
    // The host tree is untouched: every run wrote to its own fork.
    assert!(files(&s.path("work/out")).is_empty());
    assert!(!s.path("work/input").exists());

    // --reproduce reruns the crash: outcome and wasm backtrace.
    let store = s.path("store");
    let (crash, store_s) = (crashes[0].to_str().unwrap(), store.to_str().unwrap());
    let o = out(&mut s.fuzz(&["--reproduce", crash, "--save", "crash1", "--store", store_s]));
    assert_eq!(o.code, Some(1), "{o:#?}");
    assert!(o.stderr.contains("strata: outcome: trap: "), "{o:#?}");
    assert!(o.stderr.contains("wasm backtrace"), "{o:#?}");
    assert!(o.stderr.contains("saved /work as `crash1`"), "{o:#?}");
    let listed = out(strata().args(["snapshot", "ls", "--store"]).arg(&store));
    assert!(listed.stdout.contains("crash1"), "{listed:#?}");
}

#[test]
fn reproduce_of_a_fine_input_exits_0() {
    let s = Setup::new();
    std::fs::write(s.path("ok"), "[a]\nsize = 3\n").unwrap();
    let mut c = strata();
    c.arg("fuzz")
        .arg("--dir")
        .arg(format!("{}::/work", s.path("work").display()))
        .args(["--input", "file:/work/input", "--reproduce"])
        .arg(s.path("ok"))
        .args([TARGET, "/work/input"]);
    let o = out(&mut c);
    assert_eq!(o.code, Some(0), "{o:#?}");
    assert_eq!(o.stdout, "sections=1 entries=1 ratios=0\n");
    assert!(o.stderr.contains("strata: outcome: exit 0"), "{o:#?}");
}

#[test]
fn forbid_write_is_a_finding() {
    let s = Setup::new();
    // Every run writes out/summary.txt: the first run is a finding.
    let o = out(&mut s.fuzz(&["--forbid-write", "/work/out", "--runs", "1000"]));
    assert_eq!(o.code, Some(1), "{o:#?}");
    assert!(
        o.stderr
            .contains("finding: wrote under forbidden path /work/out"),
        "{o:#?}"
    );
    // keys.txt is only read: no finding from it in a short campaign.
    let s = Setup::new();
    std::fs::write(s.path("corpus/seed"), "[main]\n").unwrap();
    let o = out(&mut s.fuzz(&[
        "--forbid-write",
        "/work/keys.txt",
        "--runs",
        "40",
        "--no-cmplog",
    ]));
    assert!(!o.stderr.contains("forbidden path"), "{o:#?}");
}

#[test]
fn bad_flags_are_one_line_errors() {
    let s = Setup::new();
    let mut c = strata();
    c.args(["fuzz", "--input", "pipe", TARGET]);
    out(&mut c).fails(2, "--input expects `stdin` or `file:GUEST_PATH`");
    let mut c = strata();
    c.args([
        "fuzz",
        "--mem-dir",
        "/work",
        "--input",
        "file:/elsewhere/in",
        TARGET,
    ]);
    out(&mut c).fails(2, "is in no mount");
    let mut c = strata();
    c.args([
        "fuzz",
        "--mem-dir",
        "/work",
        "--forbid-write",
        "/etc",
        TARGET,
    ]);
    out(&mut c).fails(2, "--forbid-write /etc: not in any mount");
    let mut c = strata();
    c.args(["fuzz", "--dict"])
        .arg(s.path("missing.dict"))
        .arg(TARGET);
    out(&mut c).fails(1, "missing.dict");
    let mut c = strata();
    c.args(["fuzz"]).arg(s.path("nothing.wasm"));
    out(&mut c).fails(1, "nothing.wasm");
}

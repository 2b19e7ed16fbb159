//! The `FuzzTarget` (moved from `strata_wasi::fuzz`) and the `fuzz_guest` example's campaign: runs are isolated forks, the planted bug is found.

use std::path::Path;
use std::process::Command;

use strata_engine::{Fs, OpenOptions, Snapshot};
use strata_guest_fuzz::{FuzzTarget, Input, Outcome};
use wasmtime::Trap;

#[allow(dead_code)] // the example's CLI uses parts this test does not
#[path = "../../examples/fuzz_guest/campaign.rs"]
pub(crate) mod campaign;

/// The contents of `path` in mount state `snap`, if it exists.
fn file(snap: &Snapshot, path: &str) -> Option<Vec<u8>> {
    let mut fs = Fs::from_snapshot(snap);
    let root = fs.open_root().ok()?;
    let h = fs.open(&root, path, &OpenOptions::default()).ok()?;
    let mut buf = vec![0u8; 4096];
    let n = fs.read(&h, &mut buf).ok()?;
    buf.truncate(n);
    Some(buf)
}

fn trap(outcome: &Outcome) -> Option<Trap> {
    match outcome {
        Outcome::Trapped { trap, .. } => *trap,
        Outcome::Exited(_) => None,
    }
}

#[test]
fn runs_answer_per_input_in_isolated_forks() {
    let snap = campaign::prepare();
    let engine = campaign::engine();
    let target = campaign::target(&engine, snap.clone());

    let ok = target
        .run(b"[main]\nname = x\nratio = 10/4\nratio = 9/3\n")
        .unwrap();
    assert_eq!(ok.outcome, Outcome::Exited(0));
    assert_eq!(ok.stdout, b"sections=1 entries=3 ratios=5\n");
    assert!(!ok.is_finding(campaign::EXPECTED_EXITS));
    // The run wrote its summary and saw its input in its own fork only.
    let after = &ok.mounts[0].1;
    assert_eq!(
        file(after, "out/summary.txt").unwrap(),
        b"sections=1 entries=3 ratios=5 last=[main]\n"
    );
    assert!(file(after, "input").is_some());
    assert!(file(&snap, "out/summary.txt").is_none());
    assert!(file(&snap, "input").is_none());

    let rejected = target.run(b"color = red\n").unwrap();
    assert_eq!(rejected.outcome, Outcome::Exited(1));
    assert_eq!(rejected.stdout, b"line 1: unknown key\n");
    assert!(!rejected.is_finding(campaign::EXPECTED_EXITS));

    // The planted bug, and its sibling.
    let zero = target.run(b"ratio = 1/0\n").unwrap();
    assert_eq!(trap(&zero.outcome), Some(Trap::IntegerDivisionByZero));
    assert!(zero.is_finding(campaign::EXPECTED_EXITS));
    let overflow = target.run(b"ratio = -2147483648/-1\n").unwrap();
    assert_eq!(trap(&overflow.outcome), Some(Trap::IntegerOverflow));

    // A previous run's summary is never seen: every run forks the snapshot.
    let again = target.run(b"").unwrap();
    assert_eq!(again.stdout, b"sections=0 entries=0 ratios=0\n");
}

#[test]
fn stdin_input_missing_files_and_fuel() {
    let engine = campaign::engine();
    let module = wasmtime::Module::new(&engine, campaign::TARGET_WASM).unwrap();
    // Input on stdin.
    let target = FuzzTarget::builder(&engine, &module)
        .mount(campaign::MOUNT, campaign::prepare())
        .args(&["target"])
        .build()
        .unwrap();
    let r = target.run(b"[s]\nsize = 1\n").unwrap();
    assert_eq!(r.outcome, Outcome::Exited(0));
    assert_eq!(r.stdout, b"sections=1 entries=1 ratios=0\n");

    // Without the prepared files the program answers 2: an unexpected exit.
    let bare = FuzzTarget::builder(&engine, &module)
        .mount(
            campaign::MOUNT,
            Fs::new(strata_engine::Config::default()).snapshot(),
        )
        .args(&["target"])
        .build()
        .unwrap();
    let r = bare.run(b"").unwrap();
    assert_eq!(r.outcome, Outcome::Exited(2));
    assert!(r.is_finding(campaign::EXPECTED_EXITS));

    // An input file on a path that is not mounted is refused up front.
    let err = FuzzTarget::builder(&engine, &module)
        .input(Input::File {
            mount: "/nowhere".into(),
            path: "input".into(),
        })
        .build();
    assert!(err.is_err());

    // A program that never ends runs out of fuel: a trap, not a hang.
    let spin = wat::parse_str(
        r#"(module (memory (export "memory") 1)
             (func (export "_start") (loop (br 0))))"#,
    )
    .unwrap();
    let spin = wasmtime::Module::new(&engine, spin).unwrap();
    let t = FuzzTarget::builder(&engine, &spin)
        .fuel(1_000_000)
        .build()
        .unwrap();
    assert_eq!(trap(&t.run(b"").unwrap().outcome), Some(Trap::OutOfFuel));
}

#[test]
fn the_campaign_finds_the_planted_bug_from_several_threads() {
    let snap = campaign::prepare();
    let engine = campaign::engine();
    let target = campaign::target(&engine, snap);
    // Two threads share the target; each draws a fixed sequence of inputs,
    // so whether the bug is found within the bound does not depend on luck.
    let summary = campaign::campaign(&target, 2, 20_000, 1, 1);
    let (what, finding) = summary
        .findings
        .iter()
        .next()
        .unwrap_or_else(|| panic!("no finding in {} runs", summary.runs));
    assert!(what.starts_with("trap: "), "{what}");
    assert!(matches!(
        trap(&finding.outcome),
        Some(Trap::IntegerDivisionByZero | Trap::IntegerOverflow)
    ));
    // The finding reproduces: the same input, the same trap.
    let again = target.run(&finding.input).unwrap();
    assert_eq!(again.outcome.to_string(), *what);
}

/// `target.wasm` is what `target.c` builds to, where clang can target wasm32-wasi.
#[test]
fn target_is_fresh() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fuzz_guest");
    let out = tempfile_dir();
    let wasm = out.join("target.wasm");
    let built = Command::new("clang")
        .current_dir(&dir)
        .args([
            "--target=wasm32-wasi",
            "-O2",
            "-Wall",
            "-Wextra",
            "-Wl,--strip-all",
            "-o",
        ])
        .arg(&wasm)
        .arg("target.c")
        .output();
    match built {
        Ok(o) if o.status.success() => {
            let fresh = std::fs::read(&wasm).unwrap();
            let _ = std::fs::remove_dir_all(&out);
            assert!(
                fresh == campaign::TARGET_WASM,
                "examples/fuzz_guest/target.wasm is stale: rebuild it with the command in target.c"
            );
        }
        _ => {
            let _ = std::fs::remove_dir_all(&out);
            eprintln!("note: clang cannot target wasm32-wasi here; not rebuilding target.wasm");
        }
    }
}

/// A fresh directory under the system's temp dir.
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "strata-fuzz-target-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

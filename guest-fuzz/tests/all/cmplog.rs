//! The LibAFL campaign: comparison feedback gets past a magic value and a checksum that coverage-guided havoc alone does not, within the same budget.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use strata_guest_fuzz::fuzzer::{self, Campaign, Judge};
use strata_guest_fuzz::{FuzzTarget, Options, instrument};

const MAGIC: &[u8] = include_bytes!("../../examples/magic/target.wasm");

/// The budget both campaigns get, in executions.
const BUDGET: u64 = 30_000;

fn target(engine: &wasmtime::Engine, cmplog: bool) -> Arc<FuzzTarget> {
    let wasm = instrument(MAGIC, &Options { cmplog }).unwrap();
    let module = wasmtime::Module::new(engine, wasm).unwrap();
    Arc::new(
        FuzzTarget::builder(engine, &module)
            .args(&["magic"])
            .fuel(50_000_000)
            .build()
            .unwrap(),
    )
}

fn campaign(dir: &Path, cmplog: bool) -> fuzzer::Summary {
    let mut config = wasmtime::Config::new();
    config.consume_fuel(true);
    let engine = wasmtime::Engine::new(&config).unwrap();
    let c = Campaign {
        seed: 7,
        corpus_dir: dir.join("corpus"),
        crashes_dir: dir.join("crashes"),
        seeds: vec![b"hello, world".to_vec()],
        tokens: Vec::new(),
        max_runs: Some(BUDGET),
        max_time: None,
        keep_going: false,
        max_len: 256,
    };
    let tracer = cmplog.then(|| target(&engine, true));
    let judge = Judge {
        fine_exits: vec![0],
        forbidden: Vec::new(),
    };
    fuzzer::run(&c, target(&engine, false), tracer, judge, &mut |_| {}).unwrap()
}

#[test]
fn cmplog_finds_what_havoc_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let guided = campaign(&dir.path().join("guided"), true);
    let finding = guided
        .findings
        .first()
        .unwrap_or_else(|| panic!("cmplog found nothing in {:?}", guided.stats));
    assert!(finding.what.starts_with("trap: "), "{}", finding.what);
    assert_eq!(&finding.input[..4], b"STRA");
    // The finding is written to the crashes directory.
    assert!(
        std::fs::read_dir(dir.path().join("guided/crashes"))
            .unwrap()
            .count()
            > 0
    );

    let havoc = campaign(&dir.path().join("havoc"), false);
    assert!(havoc.findings.is_empty(), "{:?}", havoc.findings);
    assert!(havoc.stats.execs >= BUDGET);
    // Coverage grew in both: the corpus holds more than the seed.
    assert!(havoc.stats.edges > 0 && guided.stats.edges > 0);
}

/// `magic/target.wasm` is what `target.c` builds to, where clang can target wasm32-wasi.
#[test]
fn magic_is_fresh() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/magic");
    let out = tempfile::tempdir().unwrap();
    let wasm = out.path().join("target.wasm");
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
            assert!(
                std::fs::read(&wasm).unwrap() == MAGIC,
                "examples/magic/target.wasm is stale: rebuild it with the command in target.c"
            );
        }
        _ => eprintln!("note: clang cannot target wasm32-wasi here; not rebuilding target.wasm"),
    }
}

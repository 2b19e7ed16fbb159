//! Real programs, run unchanged as a new user would run them: SQLite's shell,
//! the Lua interpreter and the Lua compiler (built by
//! `tests/real/fetch-build.sh`) do the workloads of `tests/real/workloads/`
//! under Strata (over an overlay of the workload directory) and under
//! wasmtime-wasi (on a real copy of it), and must print the same, end the same
//! and leave the same tree after every step.
//!
//! When the modules are not built, each test prints how to build them and
//! passes, unless `STRATA_REAL_PROGRAMS=1` (set by `.ci/run`) makes a missing
//! module a failure.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use strata_engine::{Config, FileType, Fs, HostLower, VirtualClock};
use strata_tests::oracle::{self, Outcome, Run};
use strata_tests::{strata, tree};
use strata_wasi::{OutputCapture, StrataCtx, StrataCtxBuilder};
use wasmtime::{Linker, Store};

/// Where the workload directory is mounted in the guest.
const GUEST_DIR: &str = "/w";

/// Every program gets this environment: SQLite looks for `~/.sqliterc` and
/// puts its temporary files in `$TMPDIR`.
const ENV: &[(&str, &str)] = &[("HOME", "/w"), ("TMPDIR", "/w/tmp")];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// The module `name`.wasm built by the fetch-build script, or `None` (with a
/// message) when it is absent and absence is allowed.
fn program(name: &str) -> Option<Vec<u8>> {
    let dir = std::env::var_os("STRATA_REAL_PROGRAMS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/real-programs"));
    let path = dir.join(format!("{name}.wasm"));
    match std::fs::read(&path) {
        Ok(wasm) => Some(wasm),
        Err(e) => {
            let required = std::env::var_os("STRATA_REAL_PROGRAMS").is_some_and(|v| v == "1");
            assert!(
                !required,
                "{}: {e}; STRATA_REAL_PROGRAMS=1 requires it: run tests/real/fetch-build.sh",
                path.display()
            );
            strata_tests::skip(
                name,
                &format!(
                    "{} is not built; run tests/real/fetch-build.sh",
                    path.display()
                ),
            );
            None
        }
    }
}

fn workload(name: &str) -> PathBuf {
    repo_root().join("tests/real/workloads").join(name)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("list dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// One command of a workload.
struct Step<'a> {
    wasm: &'a [u8],
    args: &'a [&'a str],
    stdin: &'a [u8],
}

/// Runs `steps` in order under both runtimes, each step over what the one
/// before left, starting from a copy of `start`; checks after every step that
/// both runs are the same and that the lower layer was never written.
/// Returns wasmtime-wasi's runs and the directory holding its final tree.
fn differential(start: &Path, steps: &[Step<'_>]) -> (Vec<Run>, tempfile::TempDir) {
    let lower_dir = tempfile::tempdir().expect("temp dir");
    copy_tree(start, lower_dir.path());
    let lower_before = tree::snapshot_dir(lower_dir.path()).expect("picture lower");
    let real_dir = tempfile::tempdir().expect("temp dir");
    copy_tree(start, real_dir.path());

    let lower = HostLower::open(lower_dir.path()).expect("open lower");
    let mut fs = Fs::with_lower(Arc::new(lower), Config::default()).expect("mount");
    let mut runs = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let context = format!("step {} ({})", i + 1, step.args.join(" "));
        let outcome = oracle::run_wasmtime(
            step.wasm,
            real_dir.path(),
            GUEST_DIR,
            step.args,
            ENV,
            step.stdin,
        );
        let reference = Run {
            outcome,
            tree: tree::snapshot_dir(real_dir.path()).expect("picture tree"),
        };
        let (outcome, snap) =
            strata::run_strata(step.wasm, fs, GUEST_DIR, step.args, ENV, step.stdin);
        let ours = Run {
            outcome,
            tree: strata::picture(&snap),
        };
        oracle::assert_same_run(&reference, &ours, &context);
        fs = Fs::from_snapshot(&snap);
        runs.push(reference);
    }
    assert!(
        tree::snapshot_dir(lower_dir.path()).expect("picture lower") == lower_before,
        "the host lower directory changed"
    );
    (runs, real_dir)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Fails unless the run exited 0 with nothing on stderr and printed `last`
/// as its last line: both runtimes failing the same way is no success.
fn assert_completed(outcome: &Outcome, last: &str) {
    assert_eq!(
        outcome.exit_code,
        0,
        "exit code; stderr: {}",
        text(&outcome.stderr)
    );
    assert!(
        outcome.stderr.is_empty(),
        "stderr: {}",
        text(&outcome.stderr)
    );
    let stdout = text(&outcome.stdout);
    assert_eq!(stdout.lines().last(), Some(last), "stdout: {stdout}");
}

#[test]
fn sqlite_shell_builds_a_database_then_updates_it_in_the_lower_layer() {
    let Some(sqlite) = program("sqlite3") else {
        return;
    };
    let dir = workload("sqlite");
    let build = std::fs::read(dir.join("build.sql")).expect("build.sql");
    let update = std::fs::read(dir.join("update.sql")).expect("update.sql");
    let args = ["sqlite3", "-bail", "/w/shop.db"];

    // Phase 1 from the CSV file alone (and an empty tmp/ for VACUUM).
    let start = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        dir.join("customers.csv"),
        start.path().join("customers.csv"),
    )
    .expect("copy");
    std::fs::create_dir(start.path().join("tmp")).expect("mkdir tmp");
    let (runs, built) = differential(
        start.path(),
        &[Step {
            wasm: &sqlite,
            args: &args,
            stdin: &build,
        }],
    );
    let phase1 = &runs[0];
    assert_completed(&phase1.outcome, "done");
    let stdout = text(&phase1.outcome.stdout);
    assert!(stdout.contains("orders|20000|60000|"), "{stdout}");
    assert!(stdout.contains("integrity_check\nok\n"), "{stdout}");
    for file in ["shop.db", "archive.db", "copy.db", "dump.sql"] {
        assert!(phase1.tree.contains_key(file), "{file} missing");
    }
    assert!(!phase1.tree.contains_key("shop.db-journal"), "journal left");

    // Phase 2 over the database that phase 1 left, now in the lower layer.
    let (runs, _) = differential(
        built.path(),
        &[Step {
            wasm: &sqlite,
            args: &args,
            stdin: &update,
        }],
    );
    let phase2 = &runs[0];
    assert_completed(&phase2.outcome, "done");
    let stdout = text(&phase2.outcome.stdout);
    assert!(stdout.contains("after|12900|48300"), "{stdout}");
    assert!(stdout.contains("wal rows|3000"), "{stdout}");
    assert_ne!(phase1.tree.get("shop.db"), phase2.tree.get("shop.db"));
}

#[test]
fn lua_interpreter_runs_a_script_that_works_with_files() {
    let Some(lua) = program("lua") else {
        return;
    };
    let stdin = b"first line of stdin\nsecond\nthird\n";
    let (runs, _) = differential(
        &workload("lua"),
        &[
            Step {
                wasm: &lua,
                args: &["lua", "/w/main.lua", "/w", "x", "y"],
                stdin,
            },
            Step {
                wasm: &lua,
                args: &["lua", "/w/fail.lua", "/w"],
                stdin: b"",
            },
        ],
    );
    let main = &runs[0];
    assert_completed(&main.outcome, "done");
    let stdout = text(&main.outcome.stdout);
    for line in [
        "args 3 x,y",
        "stdin 33 3 first line of stdin",
        "pcall deep false bottom 0",
        "coroutine false in coroutine x",
        "compute 17984 ",
    ] {
        assert!(stdout.contains(line), "{line:?} not in {stdout}");
    }
    assert!(!main.tree.contains_key("data/obsolete.txt"));
    assert!(main.tree.contains_key("renamed.txt"));
    assert!(main.tree.contains_key("kept-100.txt"));
    assert!(!main.tree.contains_key("gen-001.txt"));

    // An uncaught error: exit 1, the message and a traceback on stderr, and
    // what was written before it stays.
    let fail = &runs[1].outcome;
    assert_eq!(fail.exit_code, 1);
    assert_eq!(text(&fail.stdout), "about to fail\n");
    let stderr = text(&fail.stderr);
    assert!(
        stderr.starts_with("lua: /w/fail.lua:6: attempt to index a nil value"),
        "{stderr}"
    );
    assert!(stderr.contains("stack traceback:"), "{stderr}");
    assert!(runs[1].tree.contains_key("before-failure.txt"));
}

#[test]
fn luac_compiles_a_program_that_lua_then_runs_from_bytecode() {
    let (Some(lua), Some(luac)) = (program("lua"), program("luac")) else {
        return;
    };
    let (runs, _) = differential(
        &workload("lua"),
        &[
            Step {
                wasm: &luac,
                args: &["luac", "-s", "-o", "/w/prog.luac", "/w/prog.lua"],
                stdin: b"",
            },
            Step {
                wasm: &lua,
                args: &["lua", "/w/prog.luac", "/w"],
                stdin: b"",
            },
            Step {
                wasm: &lua,
                args: &["lua", "/w/prog.lua", "/w"],
                stdin: b"",
            },
            Step {
                wasm: &luac,
                args: &["luac", "-o", "/w/bad.luac", "/w/syntax_error.lua"],
                stdin: b"",
            },
        ],
    );
    let compiled = &runs[0];
    assert_completed_quietly(&compiled.outcome);
    match compiled.tree.get("prog.luac") {
        Some(tree::TreeEntry::File(bytes)) => assert!(bytes.starts_with(b"\x1bLua\x54")),
        other => panic!("prog.luac: {other:?}"),
    }
    let (from_bytecode, from_source) = (&runs[1].outcome, &runs[2].outcome);
    assert_completed(
        from_bytecode,
        "banner long string|  with \"quotes\" and \\escapes",
    );
    assert_eq!(from_bytecode.stdout, from_source.stdout);
    assert!(text(&from_bytecode.stdout).contains("queens 8 = 92\n"));

    let bad = &runs[3].outcome;
    assert_eq!(bad.exit_code, 1);
    assert!(
        text(&bad.stderr).contains("syntax_error.lua:2: unexpected symbol near '='"),
        "{}",
        text(&bad.stderr)
    );
    assert!(!runs[3].tree.contains_key("bad.luac"));
}

fn assert_completed_quietly(outcome: &Outcome) {
    assert_eq!(
        outcome.exit_code,
        0,
        "exit code; stderr: {}",
        text(&outcome.stderr)
    );
    assert!(outcome.stdout.is_empty() && outcome.stderr.is_empty());
}

/// `lua.wasm` and `luac.wasm` report Lua errors through wasm exceptions
/// (setjmp/longjmp lowered to `try_table`/`throw`), so the tests above run a
/// module of the exception-handling proposal: without the proposal the
/// module does not even validate.
#[test]
fn lua_modules_use_the_exception_handling_proposal() {
    let (Some(lua), Some(luac)) = (program("lua"), program("luac")) else {
        return;
    };
    let mut without = wasmtime::Config::new();
    without.wasm_exceptions(false);
    let without = wasmtime::Engine::new(&without).expect("engine without exceptions");
    for (name, wasm) in [("lua", &lua), ("luac", &luac)] {
        assert!(
            wasmtime::Module::validate(&without, wasm).is_err(),
            "{name}.wasm validates without exceptions"
        );
        wasmtime::Module::validate(oracle::engine(), wasm)
            .unwrap_or_else(|e| panic!("{name}.wasm: {e:#}"));
    }
}

/// SQLite commits a transaction over two databases through a super-journal
/// and then fsyncs its directory. wasmtime-wasi answers EBADF to `fd_sync` on
/// a directory and Strata now answers the same (issue 11: the reference
/// wins), so SQLite reports a disk I/O error under both and the transaction
/// is rolled back: no half-committed pair of databases under either.
#[test]
fn sqlite_transaction_over_two_databases_fails_as_under_wasmtime_wasi() {
    let Some(sqlite) = program("sqlite3") else {
        return;
    };
    let script = std::fs::read(workload("sqlite").join("two_databases.sql")).expect("script");
    let args = ["sqlite3", "-bail", "/w/a.db"];
    let start = tempfile::tempdir().expect("temp dir");

    let real = tempfile::tempdir().expect("temp dir");
    let theirs = oracle::run_wasmtime(&sqlite, real.path(), GUEST_DIR, &args, ENV, &script);
    let lower = HostLower::open(start.path()).expect("open lower");
    let fs = Fs::with_lower(Arc::new(lower), Config::default()).expect("mount");
    let (ours, _) = strata::run_strata(&sqlite, fs, GUEST_DIR, &args, ENV, &script);
    for (who, o) in [("wasmtime-wasi", &theirs), ("strata", &ours)] {
        assert_eq!(o.exit_code, 1, "{who}: {o:?}");
        assert!(
            text(&o.stderr).contains("disk I/O error"),
            "{who}: {}",
            text(&o.stderr)
        );
    }
    assert_eq!(ours.stdout, theirs.stdout);
}

#[test]
fn quickjs_runs_scripts_that_work_with_directories_timers_fds_and_stdin() {
    let Some(qjs) = program("qjs") else {
        return;
    };
    let (runs, _) = differential(
        &workload("js"),
        &[
            Step {
                wasm: &qjs,
                args: &["qjs", "/w/main.js", "/w"],
                stdin: b"first line of stdin\nsecond\nthird\n",
            },
            Step {
                wasm: &qjs,
                args: &["qjs", "/w/bulk.js", "/w"],
                stdin: b"read in pieces of seven bytes\n",
            },
        ],
    );
    let run = &runs[0];
    assert_completed(&run.outcome, "done");
    let stdout = text(&run.outcome.stdout);
    for line in [
        "lower bulk.js,data,main.js | a.txt,b.txt,nested | deep.txt",
        "listed 41 b file-39.txt",
        "rename dir 0 a.txt,b.txt deep.txt",
        "times 1000000 1700000000000",
        "read 16 88,95,102,109",
        "relative file 32",
        "timers t0,t5,t20,slept",
    ] {
        assert!(stdout.contains(line), "{line:?} not in {stdout}");
    }
    assert!(run.tree.contains_key("moved/deep.txt"));
    assert!(!run.tree.contains_key("data"), "removed after it emptied");

    let bulk = &runs[1];
    assert_completed(&bulk.outcome, "done");
    let stdout = text(&bulk.outcome.stdout);
    for line in [
        "many 3002",
        "many after 1500 true",
        "hole 8 00000000",
        "sparse size 10485763",
        "big true",
        "stdin \"read in pieces of seven bytes\\n\"",
    ] {
        assert!(stdout.contains(line), "{line:?} not in {stdout}");
    }
}

#[test]
fn qjsc_compiles_a_module_to_bytecode_and_to_c() {
    let Some(qjsc) = program("qjsc") else {
        return;
    };
    let (runs, _) = differential(
        &workload("js"),
        &[
            Step {
                wasm: &qjsc,
                args: &["qjsc", "-b", "-o", "/w/main.bin", "/w/main.js"],
                stdin: b"",
            },
            Step {
                wasm: &qjsc,
                args: &["qjsc", "-e", "-o", "/w/main.c", "/w/main.js"],
                stdin: b"",
            },
        ],
    );
    for run in &runs {
        assert_completed_quietly(&run.outcome);
    }
    let tree = &runs[1].tree;
    match tree.get("main.bin") {
        Some(tree::TreeEntry::File(bytes)) => assert!(bytes.len() > 1000),
        other => panic!("main.bin: {other:?}"),
    }
    match tree.get("main.c") {
        Some(tree::TreeEntry::File(c)) => {
            let c = text(c);
            assert!(c.contains("int main(int argc, char **argv)"), "{c}");
        }
        other => panic!("main.c: {other:?}"),
    }
}

/// Every object of a filesystem state with its full metadata (inode number,
/// times, link count) and content, sorted by path.
type FullPicture = Vec<(String, strata_engine::Stat, Vec<u8>)>;

/// The [`FullPicture`] of `snap`.
fn full_picture(snap: &strata_engine::Snapshot) -> FullPicture {
    let mut out = Vec::new();
    let mut stack = vec![(snap.root(), String::new())];
    while let Some((dir, path)) = stack.pop() {
        for e in snap.entries(dir).expect("list") {
            let p = format!("{path}/{}", e.name);
            let stat = snap.stat(e.ino).expect("stat");
            let mut data = vec![
                0u8;
                if e.kind == FileType::File {
                    stat.size as usize
                } else {
                    0
                }
            ];
            let mut got = 0;
            while got < data.len() {
                match snap
                    .read(e.ino, got as u64, &mut data[got..])
                    .expect("read")
                {
                    0 => break,
                    n => got += n,
                }
            }
            if e.kind == FileType::Dir {
                stack.push((e.ino, p.clone()));
            }
            out.push((p, stat, data));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Runs one step under Strata over `lower`, in deterministic mode (virtual
/// clocks, seeded randomness) when `seed` is given.
fn run_strata_mode(lower: &Path, step: &Step<'_>, seed: Option<u64>) -> (Vec<u8>, FullPicture) {
    let mut config = Config::default();
    let mut b = StrataCtxBuilder::new();
    if let Some(seed) = seed {
        config.clock = Arc::new(VirtualClock::default());
        b.deterministic(seed);
    }
    let host = HostLower::open(lower).expect("open lower");
    let fs = Fs::with_lower(Arc::new(host), config).expect("mount");
    let out = OutputCapture::new(16 << 20);
    b.args(step.args)
        .envs(ENV)
        .stdin_bytes(step.stdin.to_vec())
        .stdout_capture(&out)
        .stderr_capture(&out);
    b.preopen(GUEST_DIR, fs);
    let engine = oracle::engine();
    let mut linker: Linker<StrataCtx> = Linker::new(engine);
    strata_wasi::add_to_linker(&mut linker, |c: &mut StrataCtx| c).expect("link");
    let mut store = Store::new(engine, b.build());
    let status = strata_wasi::run(&mut store, &linker, &oracle::module(step.wasm));
    assert_eq!(status.expect("no trap"), Ok(()), "exit status");
    let snap = store.data().fs(GUEST_DIR).expect("mounted").snapshot();
    (out.contents(), full_picture(&snap))
}

/// Deterministic mode makes real programs reproducible: SQLite (random
/// temp-file names and journal nonces seeded from the clock) and QuickJS
/// (timers, `Date.now`) run twice over the same lower directory print the same
/// and leave the same tree, inode numbers and timestamps included; with the
/// host clock the timestamps differ, so the comparison has teeth. The lower
/// directory is read by both runs, so a run that moved its access times would
/// also show here.
#[test]
fn real_programs_are_reproducible_in_deterministic_mode() {
    let (Some(sqlite), Some(qjs)) = (program("sqlite3"), program("qjs")) else {
        return;
    };
    let script = std::fs::read(workload("sqlite").join("build.sql")).expect("build.sql");
    let sqlite_start = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        workload("sqlite").join("customers.csv"),
        sqlite_start.path().join("customers.csv"),
    )
    .expect("copy");
    std::fs::create_dir(sqlite_start.path().join("tmp")).expect("mkdir tmp");
    let cases = [
        (
            sqlite_start.path().to_path_buf(),
            Step {
                wasm: &sqlite,
                args: &["sqlite3", "-bail", "/w/shop.db"],
                stdin: &script,
            },
        ),
        (
            workload("js"),
            Step {
                wasm: &qjs,
                args: &["qjs", "/w/main.js", "/w"],
                stdin: b"stdin\n",
            },
        ),
    ];
    for (lower, step) in &cases {
        let first = run_strata_mode(lower, step, Some(7));
        let second = run_strata_mode(lower, step, Some(7));
        assert!(text(&first.0).ends_with("done\n"), "{}", text(&first.0));
        assert_eq!(text(&first.0), text(&second.0), "{}", step.args[0]);
        for (a, b) in first.1.iter().zip(&second.1) {
            assert_eq!(a, b, "{}", step.args[0]);
        }
        assert_eq!(first.1.len(), second.1.len(), "{}", step.args[0]);

        std::thread::sleep(std::time::Duration::from_millis(5));
        let host_clock = run_strata_mode(lower, step, None);
        assert_ne!(first.1, host_clock.1, "{}: host clock", step.args[0]);
    }
}

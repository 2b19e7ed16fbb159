//! `strata run`'s limits on the guest (memory, fuel, time, host-call copies),
//! on the module file, the module cache's trust rules, and one-line errors
//! (issue 10, sections 3 and 4).

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use strata_wasi::abi::Errno;

use crate::{DEMO, Env, Out, strata};

/// A guest that never ends.
const ENDLESS: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "_start") (loop $l (br $l))))"#;

/// Longest a command may take before the test calls it hung (a guard
/// against hanging forever, not a timing check).
const HANG: Duration = Duration::from_secs(120);

/// Runs `c` to its end, killing it (and failing) if it hangs.
fn finish(c: &mut Command) -> Out {
    let mut child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > HANG {
            child.kill().unwrap();
            panic!("{c:?} hung");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let o = child.wait_with_output().unwrap();
    Out {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// Asserts that stderr is exactly one line, `strata: ` and then `needle`
/// somewhere, with the OS error (if any) said once.
fn one_line(o: &Out, needle: &str) {
    let lines: Vec<&str> = o.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{o:#?}");
    assert!(lines[0].starts_with("strata: "), "{o:#?}");
    assert!(lines[0].contains(needle), "{o:#?}");
    assert!(lines[0].matches("(os error").count() <= 1, "{o:#?}");
}

#[test]
fn fuel_stops_an_endless_loop() {
    let env = Env::new();
    let guest = env.wat("endless.wasm", ENDLESS);
    let o = finish(strata().args(["run", "--fuel", "1000000"]).arg(&guest));
    assert_eq!(o.code, Some(124), "{o:#?}");
    one_line(&o, "the guest ran out of fuel (--fuel 1000000)");
}

#[test]
fn timeout_stops_an_endless_loop() {
    let env = Env::new();
    let guest = env.wat("endless.wasm", ENDLESS);
    let o = finish(strata().args(["run", "--timeout", "300ms"]).arg(&guest));
    assert_eq!(o.code, Some(124), "{o:#?}");
    one_line(&o, "the guest ran out of time (--timeout 300ms)");
}

#[test]
fn a_guest_within_its_limits_runs_as_without_them() {
    let env = Env::new();
    let o = env.run_demo(
        &[
            "--fuel",
            "100000000000",
            "--timeout",
            "10m",
            "--max-memory",
            "67108864",
        ],
        "limited",
    );
    let o = o.ok();
    assert!(
        o.stdout.contains("[limited] sum of data/*.csv: 12"),
        "{o:#?}"
    );
}

#[test]
fn timeout_takes_wasmtime_durations_only() {
    let env = Env::new();
    let guest = env.wat("endless.wasm", ENDLESS);
    let o = finish(strata().args(["run", "--timeout", "10"]).arg(&guest));
    assert_eq!(o.code, Some(2), "{o:#?}");
    assert!(o.stderr.contains("a unit is needed"), "{o:#?}");
}

/// Grows memory 1 MiB at a time (at most 200 times, so a broken limit does
/// not take the machine), touching every page; prints `r`, waits for stdin to
/// close, and exits with the number of MiB it got.
const GROW: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 32) "r")
  (func (export "_start")
    (local $n i32) (local $p i32) (local $end i32)
    (block $done
      (loop $grow
        (br_if $done (i32.ge_u (local.get $n) (i32.const 200)))
        (local.set $p (memory.grow (i32.const 16)))
        (br_if $done (i32.eq (local.get $p) (i32.const -1)))
        (local.set $p (i32.mul (local.get $p) (i32.const 65536)))
        (local.set $end (i32.add (local.get $p) (i32.const 1048576)))
        (loop $touch
          (i32.store8 (local.get $p) (i32.const 1))
          (local.set $p (i32.add (local.get $p) (i32.const 4096)))
          (br_if $touch (i32.lt_u (local.get $p) (local.get $end))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $grow)))
    (i32.store (i32.const 0) (i32.const 32))
    (i32.store (i32.const 4) (i32.const 1))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $exit (local.get $n))))"#;

/// Peak resident set of process `pid` (VmHWM), in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib * 1024
}

#[test]
fn max_memory_makes_memory_grow_fail_and_bounds_rss() {
    let env = Env::new();
    let guest = env.wat("grow.wasm", GROW);
    let mut child = strata()
        .args(["run", "--max-memory", "67108864"])
        .arg(&guest)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The guest says `r` once it has all the memory it can get.
    let mut ready = [0u8];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut ready)
        .unwrap();
    assert_eq!(&ready, b"r");
    let rss = peak_rss(child.id());
    drop(child.stdin.take());
    let o = child.wait_with_output().unwrap();
    // 64 KiB to start with, then 63 grows of 1 MiB fit in 64 MiB; the 64th
    // returns -1 (not a trap), as under wasmtime's StoreLimits.
    assert_eq!(
        o.status.code(),
        Some(63),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        rss < 192 << 20,
        "peak RSS {} MiB with --max-memory 64 MiB",
        rss >> 20
    );
}

#[test]
fn a_memory_declared_past_max_memory_does_not_instantiate() {
    let env = Env::new();
    let guest = env.wat(
        "big.wasm",
        r#"(module (memory (export "memory") 2000) (func (export "_start")))"#,
    );
    let o = finish(
        strata()
            .args(["run", "--max-memory", "67108864"])
            .arg(&guest),
    );
    assert_eq!(o.code, Some(1), "{o:#?}");
    one_line(&o, "instantiating the module");
}

/// Writes 64 KiB of zeros to stdout in one `fd_write` and exits with its errno.
const BIG_WRITE: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 2)
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 65536))
    (call $exit (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;

#[test]
fn hostcall_fuel_bounds_what_one_call_copies() {
    let env = Env::new();
    let guest = env.wat("write.wasm", BIG_WRITE);
    let o = finish(
        strata()
            .args(["run", "--hostcall-fuel", "4096"])
            .arg(&guest),
    );
    assert_eq!(o.code, Some(i32::from(Errno::Nomem.raw())), "{o:#?}");
    assert!(o.stdout.is_empty(), "{o:#?}");
    let o = finish(strata().arg("run").arg(&guest)).ok();
    assert_eq!(o.stdout.len(), 65536);
}

#[test]
fn a_device_as_module_is_refused_at_once() {
    let o = finish(strata().args(["run", "/dev/zero"]));
    assert_eq!(o.code, Some(1), "{o:#?}");
    one_line(
        &o,
        "opening module `/dev/zero`: not a regular file (a character device)",
    );
}

#[test]
fn a_fifo_or_directory_as_module_is_refused_at_once() {
    let env = Env::new();
    let fifo = env.path("fifo.wasm");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let o = finish(strata().arg("run").arg(&fifo));
    assert_eq!(o.code, Some(1), "{o:#?}");
    one_line(
        &o,
        &format!(
            "opening module `{}`: not a regular file (a FIFO)",
            fifo.display()
        ),
    );
    let o = finish(strata().arg("run").arg(env.tree()));
    one_line(&o, "not a regular file (a directory)");
}

#[test]
fn a_module_past_the_size_limit_is_refused_unread() {
    let env = Env::new();
    let big = env.path("big.wasm");
    // Sparse: costs no disk, and strata must not read it to refuse it.
    std::fs::File::create(&big)
        .unwrap()
        .set_len((1 << 30) + 1)
        .unwrap();
    let o = finish(strata().arg("run").arg(&big));
    assert_eq!(o.code, Some(1), "{o:#?}");
    one_line(&o, "1024 MiB is more than the 1024 MiB a module may have");
}

/// `strata run DEMO` with its module cache in `cache`.
fn run_cached(env: &Env, cache: &Path) -> Out {
    finish(
        strata()
            .env("STRATA_CACHE_DIR", cache)
            .arg("run")
            .args(env.data_mount())
            .args([DEMO, "/data", "c"]),
    )
}

fn entries(cache: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn the_cache_directory_is_created_private_and_reused() {
    let env = Env::new();
    let cache = env.path("home/.cache/strata/modules");
    run_cached(&env, &cache).ok();
    let mode = std::fs::metadata(&cache).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    let first = entries(&cache);
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(first[0].ends_with(".cwasm"), "{first:?}");
    let o = run_cached(&env, &cache).ok();
    assert!(o.stderr.is_empty(), "{o:#?}");
    assert_eq!(entries(&cache), first);
}

#[test]
fn a_cache_directory_others_can_write_is_not_used() {
    let env = Env::new();
    let cache = env.path("shared-cache");
    std::fs::create_dir(&cache).unwrap();
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    let o = run_cached(&env, &cache).ok();
    assert!(o.stdout.contains("[c] sum of data/*.csv: 12"), "{o:#?}");
    let warnings: Vec<&str> = o.stderr.lines().collect();
    assert_eq!(warnings.len(), 1, "{o:#?}");
    assert!(
        warnings[0].starts_with("strata: warning: not using the module cache")
            && warnings[0].contains("writable by group or others (mode 777)"),
        "{o:#?}"
    );
    assert!(entries(&cache).is_empty());
}

#[test]
fn a_damaged_entry_is_compiled_again_and_replaced() {
    let env = Env::new();
    let cache = env.path("cache");
    run_cached(&env, &cache).ok();
    let name = entries(&cache).remove(0);
    let entry = cache.join(&name);
    let whole = std::fs::read(&entry).unwrap();
    std::fs::write(&entry, &whole[..whole.len() / 2]).unwrap();
    let o = run_cached(&env, &cache).ok();
    assert!(o.stdout.contains("[c] sum of data/*.csv: 12"), "{o:#?}");
    assert_eq!(std::fs::read(&entry).unwrap(), whole);
}

#[test]
fn temporary_files_of_dead_writers_are_removed() {
    let env = Env::new();
    let cache = env.path("cache");
    std::fs::create_dir(&cache).unwrap();
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o700)).unwrap();
    // No pid is this large (Linux's pid_max is at most 2^22).
    let stale = cache.join(".tmp-999999999-1");
    std::fs::File::create(&stale)
        .unwrap()
        .write_all(b"partial")
        .unwrap();
    run_cached(&env, &cache).ok();
    assert!(!stale.exists());
    let left = entries(&cache);
    assert!(left.len() == 1 && left[0].ends_with(".cwasm"), "{left:?}");
}

#[test]
fn errors_are_one_line_with_the_path_even_with_rust_backtrace() {
    let env = Env::new();
    let missing = env.path("missing.wasm");
    let o = finish(strata().env("RUST_BACKTRACE", "1").arg("run").arg(&missing));
    assert_eq!(o.code, Some(1), "{o:#?}");
    one_line(
        &o,
        &format!("opening module `{}`: No such file", missing.display()),
    );

    let bad = env.path("bad.wasm");
    std::fs::write(&bad, b"\0asm\x01\0\0\0\x7fnot a section").unwrap();
    let o = finish(strata().env("RUST_BACKTRACE", "1").arg("run").arg(&bad));
    assert_eq!(o.code, Some(1), "{o:#?}");
    one_line(&o, &format!("compiling module `{}`: ", bad.display()));
}

/// Issue 10: "store I/O: No such file or directory (os error 2): No such
/// file or directory (os error 2)".
#[test]
fn an_io_error_inside_a_store_error_is_said_once() {
    let env = Env::new();
    // A store path under a regular file: creating it fails with ENOTDIR,
    // which the store's error both formats into its message and keeps as
    // its source.
    let file = env.path("file");
    std::fs::write(&file, "x").unwrap();
    let o = finish(
        strata()
            .env("RUST_BACKTRACE", "1")
            .env("STRATA_STORE", file.join("store"))
            .args(["run", "--mem-dir", "/w", "--save", "x", DEMO]),
    );
    assert_eq!(o.code, Some(1), "{o:#?}");
    one_line(
        &o,
        &format!(
            "opening the store `{}`: store I/O: Not a directory (os error 20)",
            file.join("store").display()
        ),
    );
}

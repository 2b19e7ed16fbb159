//! Issue 10, §4 through the binary: unreadable and unrepresentable lower entries, stale temporaries of `pack -o`, `checkout --keep-setid`.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::{DEMO, Env, out};

/// The pid of a process that has exited (and been reaped).
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

/// Whether this process runs as root (`/proc/self` belongs to its euid).
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[test]
fn an_unreadable_lower_file_fails_the_save_by_name_after_the_guest_ran() {
    // Regression (issue 10): one `chmod 000` file aborted `--save` before the
    // guest ran, with "Permission denied (os error 13)" and no path.
    let e = Env::new();
    let secret = e.tree().join("etc/secret");
    std::fs::write(&secret, "x").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o0)).unwrap();
    let mut cmd = e.cmd();
    if is_root() {
        // Root reads anything: drop the capabilities that let it.
        if Command::new("setpriv").arg("--help").output().is_err() {
            eprintln!("skipped: running as root without setpriv");
            return;
        }
        let mut c = Command::new("setpriv");
        c.args([
            "--inh-caps=-all",
            "--bounding-set=-dac_override,-dac_read_search",
            "--",
        ]);
        c.arg(cmd.get_program());
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        cmd = c;
    }
    let o = out(cmd
        .arg("run")
        .args(e.data_mount())
        .args(["--save", "s", DEMO, "/data", "t"]));
    // The guest ran (it never reads etc/secret)…
    assert!(o.stdout.contains("[t] sum of data/*.csv: 12"), "{o:#?}");
    // …then the save, which needs the file's content, failed naming it.
    let o = o.fails(1, "Permission denied");
    let last = o.stderr.lines().last().unwrap();
    assert!(last.contains(&secret.display().to_string()), "{o:#?}");
    assert!(last.contains("open"), "{o:#?}");
}

#[test]
fn lower_entries_the_engine_cannot_hold_are_named_not_dropped_silently() {
    // Regression (issue 10): non-UTF-8 names and FIFOs vanished silently.
    let e = Env::new();
    let bad = e
        .tree()
        .join(std::ffi::OsStr::from_bytes(b"data/bad-\xff-name"));
    std::fs::write(&bad, "x").unwrap();
    let fifo = e.tree().join("data/pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let o = e.run_demo(&["--save", "s"], "t").ok();
    let warnings: Vec<&str> = o
        .stderr
        .lines()
        .filter(|l| l.starts_with("strata: warning: "))
        .collect();
    assert_eq!(warnings.len(), 2, "{o:#?}");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("bad-\u{fffd}-name") && w.contains("not UTF-8")),
        "{o:#?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains(&fifo.display().to_string()) && w.contains("FIFO")),
        "{o:#?}"
    );
}

#[test]
fn pack_output_removes_a_killed_runs_temporary_and_keeps_a_live_ones() {
    // Regression (issue 10): 20 `kill -9`s of `pack -o` left 1.7 GB of
    // `.tmpXXXX` files.
    let e = Env::new();
    e.run_demo(&["--save", "one"], "first").ok();
    let dir = e.path("packs");
    std::fs::create_dir(&dir).unwrap();
    let stale = dir.join(format!(".p.snap.strata-tmp-{}-AbCdEf", dead_pid()));
    let live = dir.join(format!(".p.snap.strata-tmp-{}-GhIjKl", std::process::id()));
    std::fs::write(&stale, vec![0u8; 4096]).unwrap();
    std::fs::write(&live, vec![0u8; 4096]).unwrap();
    let target = dir.join("p.snap");
    e.snap(&["pack", "one", "-o", target.to_str().unwrap()])
        .ok();
    assert!(target.exists());
    assert!(!stale.exists());
    assert!(live.exists());
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|d| d.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn checkout_takes_keep_setid() {
    let e = Env::new();
    e.run_demo(&["--save", "one"], "first").ok();
    let dest = e.path("out");
    e.snap(&["checkout", "one", dest.to_str().unwrap(), "--keep-setid"])
        .ok();
    assert!(dest.join("etc/app.conf").exists());
}

//! Many `strata` processes on one store at once (issue 10): saves while gc
//! loops, concurrent `run --state` read-modify-writes, and the lock wait.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::{Env, out};

/// Saving processes, and saves each makes one after the other.
const SAVERS: usize = 6;
const SAVES_EACH: usize = 3;

/// Six processes save distinct refs (three each) while another loops
/// `snapshot gc` and another `snapshot verify`. Every save dedups against
/// objects no ref reaches (a removed ref's): the case where gc used to
/// delete what a save had just referenced. Afterwards every ref a process
/// was told was saved exists and verifies.
#[test]
fn saves_survive_a_gc_loop() {
    let e = Env::new();
    e.run_demo(&["--save", "seed"], "seed").ok();
    e.snap(&["rm", "seed"]).ok();
    let done = AtomicBool::new(false);
    let gcs = AtomicUsize::new(0);
    let verifies = AtomicUsize::new(0);
    let saved: Vec<String> = std::thread::scope(|s| {
        let collector = s.spawn(|| {
            // Bounded, and at least a few rounds even if the saves are quick.
            for i in 0..500 {
                if done.load(Ordering::Acquire) && i >= 3 {
                    break;
                }
                e.snap(&["gc"]).ok();
                gcs.fetch_add(1, Ordering::Relaxed);
            }
        });
        let reader = s.spawn(|| {
            for i in 0..500 {
                if done.load(Ordering::Acquire) && i >= 3 {
                    break;
                }
                e.snap(&["verify"]).ok();
                verifies.fetch_add(1, Ordering::Relaxed);
            }
        });
        let savers: Vec<_> = (0..SAVERS)
            .map(|p| {
                let e = &e;
                s.spawn(move || {
                    let mut mine = Vec::new();
                    for k in 0..SAVES_EACH {
                        let name = format!("s{p}-{k}");
                        let o = e.run_demo(&["--save", &name], &name);
                        // Every save must succeed: the protocol makes it
                        // wait, never fail or lose its objects.
                        let o = o.ok();
                        assert!(o.stderr.contains(&format!("as `{name}`")), "{o:#?}");
                        mine.push(name);
                    }
                    mine
                })
            })
            .collect();
        let saved = savers.into_iter().flat_map(|h| h.join().unwrap()).collect();
        done.store(true, Ordering::Release);
        collector.join().unwrap();
        reader.join().unwrap();
        saved
    });
    eprintln!(
        "{} saves during {} gc and {} verify runs",
        saved.len(),
        gcs.load(Ordering::Relaxed),
        verifies.load(Ordering::Relaxed)
    );
    assert_eq!(saved.len(), SAVERS * SAVES_EACH);
    let v = e.snap(&["verify"]).ok();
    for name in &saved {
        assert!(
            v.stdout
                .lines()
                .any(|l| l.starts_with(&format!("ok       {name} "))),
            "{name} missing or damaged: {v:#?}"
        );
        // Complete: its files can be read back.
        let c = e.snap(&["cat", name, "out/report.txt"]).ok();
        assert!(c.stdout.contains(&format!("{name}: total 12")), "{c:#?}");
    }
    // A last gc with nothing running collects and keeps everything named.
    e.snap(&["gc"]).ok();
    e.snap(&["verify"]).ok();
}

/// Concurrent runs on one `--state` dir, and rounds of them.
const STATE_RUNS: usize = 8;
const ROUNDS: usize = 3;

/// Eight processes × three rounds run the demo guest on one `--state` dir;
/// each run appends its tag to `out/report.txt` in the state. Runs on one
/// state take turns, so the final state holds every run's line exactly
/// once (it used to keep about one in six).
#[test]
fn state_runs_take_turns_and_lose_no_update() {
    let e = Env::new();
    let st = e.path("state");
    let st = st.to_str().unwrap();
    let waits = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for p in 0..STATE_RUNS {
            let (e, waits) = (&e, &waits);
            s.spawn(move || {
                for r in 0..ROUNDS {
                    let o = e.run_demo(&["--state", st], &format!("t{p}-{r}")).ok();
                    if o.stderr.contains("waiting for the lock on") {
                        waits.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let last = e.run_demo(&["--state", st], "final").ok();
    let mut tags: Vec<&str> = last
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("  ")?.split(':').next())
        .collect();
    tags.sort_unstable();
    let mut want: Vec<String> = (0..STATE_RUNS)
        .flat_map(|p| (0..ROUNDS).map(move |r| format!("t{p}-{r}")))
        .chain(["final".to_owned()])
        .collect();
    want.sort_unstable();
    assert_eq!(tags, want, "{last:#?}");
    eprintln!(
        "{} of {} --state updates kept; {} runs waited for the lock",
        tags.len() - 1,
        STATE_RUNS * ROUNDS,
        waits.load(Ordering::Relaxed)
    );
}

/// While another process holds the state's lock, `run --state` waits and
/// says so, naming the lock file; it runs once the lock is released.
#[test]
fn a_state_run_waits_for_the_lock_and_says_on_what() {
    let e = Env::new();
    let st = e.path("state");
    std::fs::create_dir_all(st.join("locks")).unwrap();
    let lock_path = st.join("locks").join("latest");
    let lock = std::fs::File::create(&lock_path).unwrap();
    lock.lock().unwrap();
    let mut child = e
        .cmd()
        .arg("run")
        .args(e.data_mount())
        .args(["--state", st.to_str().unwrap(), crate::DEMO, "/data", "w"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert_eq!(
        first,
        format!(
            "strata: waiting for the lock on `{}` (another process holds it)",
            lock_path.display()
        )
    );
    drop(lock);
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert!(child.wait().unwrap().success(), "{rest:?}");
    let ls = out(crate::strata().args(["snapshot", "--store", st.to_str().unwrap(), "ls"])).ok();
    assert!(ls.stdout.starts_with("latest "), "{ls:#?}");
}

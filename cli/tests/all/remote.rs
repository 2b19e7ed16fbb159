//! `--store s3://BUCKET/PREFIX` (issue 15) against a real S3-protocol server
//! (moto, started by `.ci/run`; `STRATA_TEST_S3` is its endpoint): the
//! snapshot commands, several processes saving while gc loops, push and pull.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use crate::{DEMO, Env, Out, out, strata};

/// A workspace whose store is a fresh bucket of the test server.
struct Remote {
    e: Env,
    endpoint: String,
    url: String,
}

impl Remote {
    /// `None` (the test is skipped, saying so) if `STRATA_TEST_S3` is unset,
    /// except under `CI=true` where that is a failure.
    fn new() -> Option<Remote> {
        let endpoint = match std::env::var("STRATA_TEST_S3") {
            Ok(e) if !e.is_empty() => e,
            _ => {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "STRATA_TEST_S3 is not set under CI=true (.ci/run starts moto_server and sets it)"
                );
                eprintln!("skipped: STRATA_TEST_S3 is not set (see .ci/run)");
                return None;
            }
        };
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let bucket = format!(
            "cli-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
        let mut c = TcpStream::connect(host).unwrap();
        write!(
            c,
            "PUT /{bucket} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        c.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        Some(Remote {
            e: Env::new(),
            url: format!("s3://{bucket}/team/store"),
            endpoint,
        })
    }

    /// `strata` with the bucket as its store and gc's grace at `grace` seconds.
    fn cmd_grace(&self, grace: u32) -> Command {
        let mut c = strata();
        c.env("STRATA_STORE", &self.url)
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ALLOW_HTTP", "true")
            .env("STRATA_GC_GRACE", grace.to_string());
        c
    }

    fn cmd(&self) -> Command {
        self.cmd_grace(0)
    }

    fn snap(&self, args: &[&str]) -> Out {
        out(self.cmd().arg("snapshot").args(args))
    }

    fn run_demo(&self, grace: u32, extra: &[&str], tag: &str) -> Out {
        out(self
            .cmd_grace(grace)
            .arg("run")
            .args(self.e.data_mount())
            .args(extra)
            .args([DEMO, "/data", tag]))
    }
}

#[test]
fn snapshot_commands_on_s3() {
    let Some(r) = Remote::new() else { return };
    r.run_demo(0, &["--save", "first"], "one").ok();
    let ls = r.snap(&["ls"]).ok();
    assert!(ls.stdout.starts_with("first "), "{ls:#?}");
    r.snap(&["verify"]).ok();
    r.snap(&["show", "first"]).ok();
    let cat = r.snap(&["cat", "first", "out/report.txt"]).ok();
    assert!(cat.stdout.contains("one"), "{cat:#?}");
    // The flag names the store as well as the variable.
    let o = out(r
        .cmd()
        .env_remove("STRATA_STORE")
        .args(["snapshot", "--store", &r.url, "ls"]));
    assert!(o.ok().stdout.starts_with("first "));
    let dest = r.e.path("co");
    r.snap(&["checkout", "first", dest.to_str().unwrap()]).ok();
    assert!(dest.join("out/report.txt").is_file());
    // A second run starts from the first one's snapshot in the bucket.
    r.run_demo(0, &["--from", "first", "--save", "second"], "two")
        .ok();
    r.snap(&["rm", "first"]).ok();
    // Object times have a second's resolution: let the list be newer.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    // gc on a bucket: the first run lists, the next (grace 0) removes.
    let g = r.snap(&["gc"]).ok();
    assert!(g.stdout.starts_with("removed 0 objects"), "{g:#?}");
    assert!(g.stdout.contains("wait for a later gc"), "{g:#?}");
    let g = r.snap(&["gc"]).ok();
    assert!(!g.stdout.starts_with("removed 0 objects"), "{g:#?}");
    r.snap(&["verify", "second"]).ok();
    let ls = r.snap(&["ls"]).ok();
    assert!(ls.stdout.starts_with("second "), "{ls:#?}");
    // A missing bucket is a clear one-line error.
    out(r
        .cmd()
        .env("STRATA_STORE", "s3://no-such-bucket-here/x")
        .args(["snapshot", "ls"]))
    .fails(1, "s3://no-such-bucket-here/x");
}

/// Several processes save distinct refs into one bucket while another loops
/// gc (grace 8 s: the saves finish well within it) and another verify.
/// Every save dedups against objects a removed ref left behind. Afterwards
/// every ref a process was told was saved exists and verifies.
#[test]
fn saves_survive_a_gc_loop_on_one_bucket() {
    let Some(r) = Remote::new() else { return };
    const GRACE: u32 = 8;
    r.run_demo(GRACE, &["--save", "seed"], "seed").ok();
    r.snap(&["rm", "seed"]).ok();
    let done = AtomicBool::new(false);
    let gcs = AtomicUsize::new(0);
    let saved: Vec<String> = std::thread::scope(|s| {
        let collector = s.spawn(|| {
            for i in 0..500 {
                if done.load(Ordering::Acquire) && i >= 3 {
                    break;
                }
                out(r.cmd_grace(GRACE).args(["snapshot", "gc"])).ok();
                gcs.fetch_add(1, Ordering::Relaxed);
            }
        });
        let reader = s.spawn(|| {
            while !done.load(Ordering::Acquire) {
                out(r.cmd_grace(GRACE).args(["snapshot", "verify"]));
            }
        });
        let savers: Vec<_> = (0..4)
            .map(|p| {
                let r = &r;
                s.spawn(move || {
                    let mut mine = Vec::new();
                    for k in 0..3 {
                        let name = format!("s{p}-{k}");
                        let o = r.run_demo(GRACE, &["--save", &name], &name).ok();
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
        "{} saves during {} gc runs",
        saved.len(),
        gcs.load(Ordering::Relaxed)
    );
    assert_eq!(saved.len(), 12);
    for name in &saved {
        out(r.cmd_grace(GRACE).args(["snapshot", "verify", name])).ok();
        let cat = out(r
            .cmd_grace(GRACE)
            .args(["snapshot", "cat", name, "out/report.txt"]))
        .ok();
        assert!(cat.stdout.contains(name.as_str()), "{cat:#?}");
    }
}

#[test]
fn push_and_pull_between_a_directory_and_s3() {
    let Some(r) = Remote::new() else { return };
    let local = r.e.store();
    let local = local.to_str().unwrap();
    // Saved into a local store, pushed to the bucket.
    out(r
        .cmd()
        .env("STRATA_STORE", local)
        .arg("run")
        .args(r.e.data_mount())
        .args(["--save", "base", DEMO, "/data", "one"]))
    .ok();
    let push = |name: &str| {
        out(r
            .cmd()
            .env("STRATA_STORE", local)
            .args(["snapshot", "push", name, "--to", &r.url]))
        .ok()
    };
    let first = push("base");
    assert!(first.stderr.contains("copied "), "{first:#?}");
    // Again: nothing to copy.
    let again = push("base");
    assert!(again.stderr.contains("copied 0 objects"), "{again:#?}");
    r.snap(&["verify", "base"]).ok();
    // Pulled into another local store.
    let other = r.e.path("other");
    let pulled = out(r
        .cmd()
        .env("STRATA_STORE", &other)
        .args(["snapshot", "pull", "base", "--from", &r.url]))
    .ok();
    assert!(pulled.stderr.contains("copied "), "{pulled:#?}");
    let cat = out(r.cmd().env("STRATA_STORE", &other).args([
        "snapshot",
        "cat",
        "base",
        "out/report.txt",
    ]))
    .ok();
    assert!(cat.stdout.contains("one"), "{cat:#?}");
    out(r
        .cmd()
        .env("STRATA_STORE", &other)
        .args(["snapshot", "pull", "nope", "--from", &r.url]))
    .fails(1, "nope");
}

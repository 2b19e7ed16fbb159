//! Tests of remote stores against a real S3-protocol server (moto, started by
//! `.ci/run`; `STRATA_TEST_S3` is its endpoint), one fresh bucket per test.

mod faults;
mod gc;
mod proxy;
mod store;
mod transfer;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use strata_engine::{Config, Fs, OpenOptions, Snapshot, VirtualClock};
use strata_remote::{ObjectBackend, Requests, open_url_with};
use strata_snapshots::Store;

/// A fresh bucket on the test server.
pub(crate) struct S3 {
    pub(crate) endpoint: String,
    pub(crate) bucket: String,
}

/// The test server, with a new bucket; `None` (the test is skipped, saying
/// so) if `STRATA_TEST_S3` is unset, except under `CI=true` where a missing
/// server is a failure.
pub(crate) fn s3() -> Option<S3> {
    let endpoint = match std::env::var("STRATA_TEST_S3") {
        Ok(e) if !e.is_empty() => e,
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "STRATA_TEST_S3 is not set under CI=true (.ci/run starts moto_server and sets it)"
            );
            eprintln!(
                "skipped: STRATA_TEST_S3 is not set (run `moto_server -H 127.0.0.1 -p PORT` and set it to http://127.0.0.1:PORT)"
            );
            return None;
        }
    };
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let bucket = format!(
        "t-{}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    create_bucket(&endpoint, &bucket);
    Some(S3 { endpoint, bucket })
}

/// Creates a bucket with a bare HTTP request (moto does not check signatures).
pub(crate) fn create_bucket(endpoint: &str, bucket: &str) {
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
}

impl S3 {
    /// The `AWS_*` settings for the server at `endpoint`.
    pub(crate) fn vars(endpoint: &str) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", endpoint),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ALLOW_HTTP", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    pub(crate) fn url(&self, prefix: &str) -> String {
        format!("s3://{}/{prefix}", self.bucket)
    }

    /// A backend on `prefix` of the bucket, through `endpoint`.
    pub(crate) fn backend_via(
        &self,
        endpoint: &str,
        prefix: &str,
        grace: Duration,
    ) -> ObjectBackend {
        open_url_with(
            &self.url(prefix),
            S3::vars(endpoint),
            grace,
            Duration::from_secs(3),
        )
        .unwrap()
    }

    pub(crate) fn backend(&self, prefix: &str, grace: Duration) -> ObjectBackend {
        self.backend_via(&self.endpoint, prefix, grace)
    }

    /// A store on `prefix` with gc's grace `grace`, and its request counts.
    pub(crate) fn store(&self, prefix: &str, grace: Duration) -> (Store, Requests) {
        let b = self.backend(prefix, grace);
        let r = b.requests();
        (Store::with_backend(b), r)
    }
}

/// A filesystem with a deterministic clock.
pub(crate) fn new_fs() -> Fs {
    Fs::new(Config {
        clock: Arc::new(VirtualClock::default()),
        ..Config::default()
    })
}

/// Writes `data` as the whole of `path`, creating it.
pub(crate) fn write(fs: &mut Fs, path: &str, data: &[u8]) {
    let root = fs.open_root().unwrap();
    let opts = OpenOptions {
        write: true,
        create: true,
        truncate: true,
        ..OpenOptions::default()
    };
    let h = fs.open(&root, path, &opts).unwrap();
    fs.pwrite(&h, &[data], 0).unwrap();
    fs.close(h);
    fs.close(root);
}

pub(crate) fn mkdir(fs: &mut Fs, path: &str) {
    let root = fs.open_root().unwrap();
    fs.mkdir(&root, path, 0o755).unwrap();
    fs.close(root);
}

/// A tree of `dirs` folders of `files` small files each, tagged `tag`.
pub(crate) fn tree(fs: &mut Fs, tag: &str, dirs: usize, files: usize) -> Snapshot {
    for d in 0..dirs {
        let dir = format!("d{d}");
        if !fs_has(fs, &dir) {
            mkdir(fs, &dir);
        }
        for f in 0..files {
            write(
                fs,
                &format!("{dir}/f{f}"),
                format!("{tag} {d} {f}\n").as_bytes(),
            );
        }
    }
    fs.snapshot()
}

fn fs_has(fs: &mut Fs, path: &str) -> bool {
    let root = fs.open_root().unwrap();
    let r = fs.stat_at(&root, path, false).is_ok();
    fs.close(root);
    r
}

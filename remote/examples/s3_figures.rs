//! Figures for README/BENCHMARKS: push and pull throughput against an S3
//! server (`STRATA_TEST_S3`, e.g. moto on loopback) and the requests of an
//! incremental push. `cargo run --example s3_figures -- [FILES] [FILE_BYTES]`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use strata_engine::{Config, Fs, OpenOptions, VirtualClock};
use strata_remote::open_url_with;
use strata_snapshots::{MemBackend, NoProgress, Saver, Store};

fn write(fs: &mut Fs, path: &str, data: &[u8]) {
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

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("FILES and FILE_BYTES are numbers"))
        .collect();
    let files = args.first().copied().unwrap_or(10_000);
    let size = args.get(1).copied().unwrap_or(4096);
    let endpoint = std::env::var("STRATA_TEST_S3").expect("set STRATA_TEST_S3 to the server");
    let bucket = format!("figures-{}", std::process::id());
    let host = endpoint.trim_start_matches("http://");
    {
        use std::io::{Read, Write};
        let mut c = std::net::TcpStream::connect(host).unwrap();
        write!(c, "PUT /{bucket} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
        let mut s = String::new();
        c.read_to_string(&mut s).unwrap();
        assert!(s.starts_with("HTTP/1.1 200"), "{s}");
    }
    let vars = [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "x"),
        ("AWS_SECRET_ACCESS_KEY", "x"),
        ("AWS_ALLOW_HTTP", "true"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let backend = open_url_with(
        &format!("s3://{bucket}/store"),
        vars.clone(),
        Duration::from_secs(3600),
        Duration::from_secs(20),
    )
    .unwrap();
    let requests = backend.requests();
    let remote = Store::with_backend(backend);

    let mut fs = Fs::new(Config {
        clock: Arc::new(VirtualClock::default()),
        ..Config::default()
    });
    let dirs = files.div_ceil(1000);
    let root = fs.open_root().unwrap();
    for d in 0..dirs {
        fs.mkdir(&root, &format!("d{d}"), 0o755).unwrap();
    }
    fs.close(root);
    for i in 0..files {
        let mut data = vec![0u8; size];
        for (k, b) in data.iter_mut().enumerate() {
            *b = (i.wrapping_mul(31).wrapping_add(k.wrapping_mul(7)) % 251) as u8;
        }
        data[..8].copy_from_slice(&(i as u64).to_le_bytes());
        write(&mut fs, &format!("d{}/f{i}", i / 1000), &data);
    }
    let local = Store::with_backend(MemBackend::new());
    let mut saver = Saver::new();
    let v1 = saver.save(&local, &fs.snapshot(), &[]).unwrap();

    let t = Instant::now();
    let push = remote.fetch_from(&local, &v1, 8, &NoProgress).unwrap();
    let push_s = t.elapsed().as_secs_f64();
    let full = requests.stats();
    println!(
        "full push: {files} files of {size} B, {} objects, {:.1} MiB in {push_s:.2} s = {:.1} MiB/s; {} requests ({} PUT, {} GET, {} HEAD, {} LIST)",
        push.objects,
        push.bytes as f64 / (1 << 20) as f64,
        push.bytes as f64 / (1 << 20) as f64 / push_s,
        full.total(),
        full.puts,
        full.gets,
        full.heads,
        full.lists
    );
    remote.set_ref("main", &v1).unwrap();

    write(&mut fs, "d0/f7", b"one change\n");
    let v2 = saver.save(&local, &fs.snapshot(), &[]).unwrap();
    let before = requests.stats();
    let t = Instant::now();
    let inc = remote.fetch_from(&local, &v2, 8, &NoProgress).unwrap();
    let inc_s = t.elapsed().as_secs_f64();
    let after = requests.stats();
    println!(
        "incremental push after one change: {} objects, {} B, {} requests ({} PUT, {} GET, {} HEAD, {} LIST) in {:.3} s",
        inc.objects,
        inc.bytes,
        after.total() - before.total(),
        after.puts - before.puts,
        after.gets - before.gets,
        after.heads - before.heads,
        after.lists - before.lists,
        inc_s
    );
    remote.set_ref("main", &v2).unwrap();

    // Pull into an empty local store, through a new backend (a new host).
    let backend = open_url_with(
        &format!("s3://{bucket}/store"),
        vars,
        Duration::from_secs(3600),
        Duration::from_secs(20),
    )
    .unwrap();
    let pulled_requests = backend.requests();
    let src = Store::with_backend(backend);
    let dst = Store::with_backend(MemBackend::new());
    let t = Instant::now();
    let pull = dst.fetch_from(&src, &v2, 8, &NoProgress).unwrap();
    let pull_s = t.elapsed().as_secs_f64();
    let p = pulled_requests.stats();
    println!(
        "full pull: {} objects, {:.1} MiB in {pull_s:.2} s = {:.1} MiB/s; {} requests ({} GET)",
        pull.objects,
        pull.bytes as f64 / (1 << 20) as f64,
        pull.bytes as f64 / (1 << 20) as f64 / pull_s,
        p.total(),
        p.gets
    );
}

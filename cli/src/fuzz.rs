//! `strata fuzz`: coverage-guided fuzzing of a WASI command module with LibAFL, every input in an O(1) fork of the prepared mounts.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use strata_engine::{Config, Name, Snapshot, VirtualClock};
use strata_guest_fuzz::fuzzer::{self, Campaign, Forbidden, Judge, Stats, Verdict};
use strata_guest_fuzz::{FuzzTarget, Input, Options, Outcome, instrument};
use strata_snapshots::Saver;

use crate::guest::wt;
use crate::mounts::{self, short};
use crate::store::{self, usage};

/// Largest file `--reproduce`, `--dict` and corpus seeds are read from.
const MAX_INPUT_FILE: u64 = 64 << 20;

/// Options of `strata fuzz`.
#[derive(Debug, Args)]
#[command(after_long_help = FUZZ_HELP)]
pub(crate) struct FuzzArgs {
    /// HOST[::GUEST]: mount HOST as the read-only lower layer of a writable
    /// overlay at GUEST (as `strata run`). Every run forks it in O(1).
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    dirs: Vec<String>,
    /// HOST[::GUEST]: as --dir, but the guest cannot change anything there.
    #[arg(long = "ro-dir", value_name = "HOST[::GUEST]")]
    ro_dirs: Vec<String>,
    /// GUEST: an empty in-memory directory. Repeatable.
    #[arg(long = "mem-dir", value_name = "GUEST")]
    mem_dirs: Vec<String>,
    /// KEY=VALUE in the guest's environment. Repeatable.
    #[arg(long = "env", value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// The guest's argv[0] (default: the module's file name).
    #[arg(long)]
    argv0: Option<String>,
    /// Where each input goes: `stdin`, or `file:GUEST_PATH` (a file in a
    /// writable mount, written into each run's fork before the run).
    #[arg(long, default_value = "stdin", value_name = "stdin|file:PATH")]
    input: String,
    /// Corpus directory, one file per input (libFuzzer style): its files are
    /// the seeds, new interesting inputs are added (default: a temporary one).
    #[arg(long, value_name = "DIR")]
    corpus: Option<PathBuf>,
    /// Where findings are written, one file per input.
    #[arg(long, value_name = "DIR", default_value = "crashes")]
    crashes: PathBuf,
    /// Stop after SECS seconds.
    #[arg(long, value_name = "SECS")]
    time: Option<u64>,
    /// Stop after N executions.
    #[arg(long, value_name = "N")]
    runs: Option<u64>,
    /// Wasm fuel per run: a run that exhausts it is a timeout finding.
    #[arg(long, value_name = "N", default_value_t = 100_000_000)]
    fuel: u64,
    /// A dictionary (AFL/libFuzzer format: `name="value"` lines) for the
    /// token mutations.
    #[arg(long, value_name = "FILE")]
    dict: Option<PathBuf>,
    /// Seed of the fuzzer's randomness (and of the guest's deterministic
    /// clocks and random source).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Exit code that is an answer, not a bug (default: 0). Repeatable.
    #[arg(long = "ok-exit", value_name = "CODE")]
    ok_exits: Vec<i32>,
    /// Keep fuzzing after a finding (default: stop at the first).
    #[arg(long)]
    keep_going: bool,
    /// GUEST_PATH a run must leave as it found it: a change under it is a
    /// finding. Repeatable.
    #[arg(long = "forbid-write", value_name = "PATH")]
    forbid_write: Vec<String>,
    /// Coverage only: no compare logging (cmplog) and no input-to-state stage.
    #[arg(long)]
    no_cmplog: bool,
    /// Largest input the mutators make, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 4096)]
    max_len: usize,
    /// Run FILE once (no instrumentation), print the outcome and the wasm
    /// backtrace; exit 1 if it is a finding.
    #[arg(long, value_name = "FILE")]
    reproduce: Option<PathBuf>,
    /// With --reproduce: save the run's final tree of the selected mount as
    /// snapshot ref NAME.
    #[arg(long, value_name = "NAME", requires = "reproduce")]
    save: Option<String>,
    /// GUEST: the mount --save applies to (needed when there are several).
    #[arg(long, value_name = "GUEST", requires = "save")]
    mount: Option<String>,
    /// The snapshot store for --save (default as `strata run`).
    #[arg(long, value_name = "DIR", requires = "save")]
    store: Option<PathBuf>,
    /// The WebAssembly module (.wasm).
    module: PathBuf,
    /// Arguments for the guest, passed verbatim.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

const FUZZ_HELP: &str = "\
Findings:
  A run is a finding when it traps (with its wasm backtrace), exits with a
  code not given by --ok-exit, runs out of --fuel (a timeout), or changes a
  path given by --forbid-write. Like libFuzzer, strata fuzz stops at the
  first finding unless --keep-going, and exits 1 when it found one (0 when
  it did not, 2 on a usage error).

Examples:
  strata fuzz --mem-dir /work --input file:/work/in --corpus corpus parser.wasm /work/in
  strata fuzz --dir ./data::/data --forbid-write /data/config --time 60 tool.wasm
  strata fuzz --mem-dir /work --input file:/work/in --reproduce crashes/abc --save crash1 parser.wasm /work/in";

pub(crate) fn run(a: FuzzArgs) -> Result<ExitCode> {
    let specs = mounts::parse(&a.dirs, &a.ro_dirs, &a.mem_dirs)?;
    let config = Config {
        clock: Arc::new(VirtualClock::default()),
        ..Config::default()
    };
    let mut snaps: Vec<(String, Snapshot)> = Vec::with_capacity(specs.len());
    for spec in &specs {
        let fs = mounts::build(spec, &config, None)?;
        snaps.push((spec.guest.clone(), fs.snapshot()));
    }
    let input = parse_input(&a.input, &snaps)?;
    let env = a
        .env
        .iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => Ok((k.to_owned(), v.to_owned())),
            None => usage!("--env expects KEY=VALUE, got `{kv}`"),
        })
        .collect::<Result<Vec<_>>>()?;
    let judge = Judge {
        fine_exits: if a.ok_exits.is_empty() {
            vec![0]
        } else {
            a.ok_exits.clone()
        },
        forbidden: a
            .forbid_write
            .iter()
            .map(|p| forbidden(p, &snaps))
            .collect::<Result<_>>()?,
    };
    let wasm = read_file(&a.module, "reading the module")?;
    let mut cfg = wasmtime::Config::new();
    cfg.wasm_exceptions(true);
    cfg.wasm_backtrace_max_frames(std::num::NonZeroUsize::new(64));
    cfg.consume_fuel(true);
    let engine = wt(wasmtime::Engine::new(&cfg)).context("configuring wasmtime")?;
    let argv0 = a.argv0.clone().unwrap_or_else(|| {
        a.module
            .file_name()
            .map_or_else(|| "main.wasm".into(), |n| n.to_string_lossy().into_owned())
    });
    let mut argv = vec![argv0];
    argv.extend(a.args.iter().cloned());
    let build = |wasm: &[u8]| -> Result<FuzzTarget> {
        let module = wt(wasmtime::Module::new(&engine, wasm))
            .with_context(|| format!("compiling `{}`", a.module.display()))?;
        let mut b = FuzzTarget::builder(&engine, &module)
            .args(&argv)
            .input(input.clone())
            .seed(a.seed)
            .fuel(a.fuel);
        for (k, v) in &env {
            b = b.env(k, v);
        }
        for (guest, snap) in &snaps {
            b = b.mount(guest, snap.clone());
        }
        wt(b.build()).with_context(|| format!("linking `{}`", a.module.display()))
    };

    if let Some(file) = &a.reproduce {
        return reproduce(&a, &build(&wasm)?, &judge, file, &specs);
    }

    let instrumented = |cmplog| {
        instrument(&wasm, &Options { cmplog })
            .with_context(|| format!("instrumenting `{}`", a.module.display()))
    };
    let target = Arc::new(build(&instrumented(false)?)?);
    let tracer = if a.no_cmplog {
        None
    } else {
        Some(Arc::new(build(&instrumented(true)?)?))
    };
    let tokens = match &a.dict {
        Some(path) => parse_dict(&read_file(path, "reading the dictionary")?)
            .with_context(|| format!("reading the dictionary `{}`", path.display()))?,
        None => Vec::new(),
    };
    let temp;
    let corpus_dir = match &a.corpus {
        Some(dir) => dir.clone(),
        None => {
            temp = tempfile::Builder::new()
                .prefix("strata-fuzz-corpus-")
                .tempdir()
                .context("creating a temporary corpus directory")?;
            temp.path().to_owned()
        }
    };
    let seeds = read_seeds(&corpus_dir)?;
    let campaign = Campaign {
        seed: a.seed,
        corpus_dir,
        crashes_dir: a.crashes.clone(),
        seeds,
        tokens,
        max_runs: a.runs,
        max_time: a.time.map(Duration::from_secs),
        keep_going: a.keep_going,
        max_len: a.max_len,
    };
    let mut status = Status::new();
    let summary = fuzzer::run(&campaign, target, tracer, judge, &mut |s| status.show(s))
        .map_err(|e| anyhow::anyhow!("fuzzing `{}`: {e}", a.module.display()))?;
    status.done(&summary.stats);
    for f in &summary.findings {
        eprintln!(
            "strata: finding: {} (input of {} bytes, in `{}`)",
            f.what,
            f.input.len(),
            a.crashes.display()
        );
    }
    Ok(if summary.findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `--reproduce FILE`: one run of the plain module, its outcome and backtrace.
fn reproduce(
    a: &FuzzArgs,
    target: &FuzzTarget,
    judge: &Judge,
    file: &Path,
    specs: &[mounts::MountSpec],
) -> Result<ExitCode> {
    let input = read_file(file, "reading the input")?;
    let report = wt(target.run(&input))
        .with_context(|| format!("running `{}` on `{}`", a.module.display(), file.display()))?;
    std::io::stdout().write_all(&report.stdout).ok();
    std::io::stderr().write_all(&report.stderr).ok();
    let verdict = judge.verdict(&report);
    match &report.outcome {
        Outcome::Exited(code) => eprintln!("strata: outcome: exit {code}"),
        Outcome::Trapped { message, .. } => {
            eprintln!("strata: outcome: {}", report.outcome);
            for line in message.lines() {
                eprintln!("  {line}");
            }
        }
    }
    if let Verdict::Finding(what) = &verdict {
        eprintln!("strata: finding: {what}");
    }
    if let Some(name) = &a.save {
        let i = mounts::select(specs, a.mount.as_deref(), "--save", false)?;
        let guest = &specs[i].guest;
        let (_, snap) = report
            .mounts
            .iter()
            .find(|(g, _)| g == guest)
            .context("the saved mount")?;
        let dir = store::store_dir(a.store.as_deref())?;
        let opened = store::open_at(&dir)?;
        let _held = opened.hold()?;
        let labels = [
            ("strata.mount", guest.as_str()),
            ("strata.fuzz", "reproduce"),
        ];
        let h = store::save(&mut Saver::new(), &opened, snap, &labels, "saving")
            .with_context(|| format!("saving {guest}"))?;
        opened.set_ref(name, None, &h)?;
        eprintln!(
            "strata: saved {guest} as `{name}` ({}) in `{}`",
            short(&h),
            opened.dir.display()
        );
    }
    Ok(match verdict {
        Verdict::Fine => ExitCode::SUCCESS,
        Verdict::Finding(_) => ExitCode::FAILURE,
    })
}

/// `stdin` or `file:GUEST_PATH`, the path inside one of the mounts.
fn parse_input(spec: &str, snaps: &[(String, Snapshot)]) -> Result<Input> {
    if spec == "stdin" {
        return Ok(Input::Stdin);
    }
    let Some(path) = spec.strip_prefix("file:") else {
        usage!("--input expects `stdin` or `file:GUEST_PATH`, got `{spec}`");
    };
    let (mount, inside) = split_mount(path, snaps)
        .ok_or_else(|| store::Usage(format!("--input {spec}: `{path}` is in no mount")))?;
    if inside.is_empty() {
        usage!("--input {spec}: names the mount itself, not a file in it");
    }
    Ok(Input::File {
        mount,
        path: inside.join("/"),
    })
}

/// The mount holding guest path `path` (the longest match) and the
/// components below it.
fn split_mount(path: &str, snaps: &[(String, Snapshot)]) -> Option<(String, Vec<String>)> {
    let comps = |p: &str| -> Vec<String> {
        p.split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .map(str::to_owned)
            .collect()
    };
    let want = comps(path);
    snaps
        .iter()
        .filter_map(|(guest, _)| {
            let m = comps(guest);
            want.starts_with(&m)
                .then(|| (guest.clone(), want[m.len()..].to_vec()))
        })
        .max_by_key(|(g, _)| comps(g).len())
}

/// A `--forbid-write` path, resolved to its mount.
fn forbidden(path: &str, snaps: &[(String, Snapshot)]) -> Result<Forbidden> {
    let (mount, inside) = split_mount(path, snaps)
        .ok_or_else(|| store::Usage(format!("--forbid-write {path}: not in any mount")))?;
    let inside = inside
        .iter()
        .map(|c| {
            Name::new(c).map_err(|_| store::Usage(format!("--forbid-write {path}: bad name `{c}`")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let start = snaps
        .iter()
        .find(|(g, _)| *g == mount)
        .map(|(_, s)| s.clone())
        .context("the forbidden path's mount")?;
    Ok(Forbidden {
        shown: path.to_owned(),
        mount,
        inside,
        start,
    })
}

/// The contents of `path`, bounded.
fn read_file(path: &Path, what: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).with_context(|| format!("{what} `{}`", path.display()))?;
    let mut out = Vec::new();
    file.take(MAX_INPUT_FILE + 1)
        .read_to_end(&mut out)
        .with_context(|| format!("{what} `{}`", path.display()))?;
    if out.len() as u64 > MAX_INPUT_FILE {
        anyhow::bail!(
            "{what} `{}`: larger than {MAX_INPUT_FILE} bytes",
            path.display()
        );
    }
    Ok(out)
}

/// The files of the corpus directory (created if missing), as seeds.
fn read_seeds(dir: &Path) -> Result<Vec<Vec<u8>>> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating the corpus directory `{}`", dir.display()))?;
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("listing the corpus directory `{}`", dir.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| read_file(p, "reading the seed"))
        .collect()
}

/// The tokens of an AFL/libFuzzer dictionary: one `"value"` per line,
/// optionally named (`name="value"`), `#` comments, `\\`, `\"` and `\xNN`
/// escapes.
fn parse_dict(text: &[u8]) -> Result<Vec<Vec<u8>>> {
    let mut tokens = Vec::new();
    for (n, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = line.trim_ascii();
        if line.is_empty() || line.starts_with(b"#") {
            continue;
        }
        let open = line.iter().position(|&b| b == b'"');
        let (Some(open), true) = (open, line.ends_with(b"\"") && line.len() >= 2) else {
            anyhow::bail!("line {}: expected \"value\"", n + 1);
        };
        if open + 1 > line.len() - 1 {
            anyhow::bail!("line {}: expected \"value\"", n + 1);
        }
        let body = &line[open + 1..line.len() - 1];
        let mut token = Vec::with_capacity(body.len());
        let mut i = 0;
        while i < body.len() {
            match (body[i], body.get(i + 1)) {
                (b'\\', Some(b'\\')) | (b'\\', Some(b'"')) => {
                    token.push(body[i + 1]);
                    i += 2;
                }
                (b'\\', Some(b'x')) => {
                    let hex = body
                        .get(i + 2..i + 4)
                        .and_then(|h| std::str::from_utf8(h).ok())
                        .and_then(|h| u8::from_str_radix(h, 16).ok());
                    let Some(b) = hex else {
                        anyhow::bail!("line {}: bad \\x escape", n + 1);
                    };
                    token.push(b);
                    i += 4;
                }
                (b, _) => {
                    token.push(b);
                    i += 1;
                }
            }
        }
        if !token.is_empty() {
            tokens.push(token);
        }
    }
    Ok(tokens)
}

/// The status line: redrawn in place on a terminal, one line per second
/// otherwise (libFuzzer's fields).
struct Status {
    tty: bool,
    last_execs: u64,
    last_time: Duration,
}

impl Status {
    fn new() -> Status {
        Status {
            tty: std::io::stderr().is_terminal(),
            last_execs: 0,
            last_time: Duration::ZERO,
        }
    }

    fn line(&mut self, s: &Stats) -> String {
        let dt = (s.elapsed - self.last_time).as_secs_f64();
        let rate = if dt > 0.0 {
            (s.execs - self.last_execs) as f64 / dt
        } else {
            0.0
        };
        self.last_execs = s.execs;
        self.last_time = s.elapsed;
        format!(
            "#{} cov: {} corp: {} exec/s: {:.0} crashes: {} time: {}s",
            s.execs,
            s.edges,
            s.corpus,
            rate,
            s.crashes,
            s.elapsed.as_secs()
        )
    }

    fn show(&mut self, s: &Stats) {
        let line = self.line(s);
        if self.tty {
            eprint!("\r{line}\x1b[K");
        } else {
            eprintln!("{line}");
        }
    }

    fn done(&mut self, s: &Stats) {
        if self.tty {
            eprintln!();
        }
        let secs = s.elapsed.as_secs_f64().max(1e-9);
        eprintln!(
            "strata: done: {} runs in {:.1}s ({:.0} exec/s), {} edges, corpus {}, {} findings",
            s.execs,
            secs,
            s.execs as f64 / secs,
            s.edges,
            s.corpus,
            s.crashes
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionaries_parse() {
        let d = parse_dict(b"# c\nkw=\"ratio\"\n\"\\x00\\x01\"\n\"a\\\"b\\\\\"\n\n").unwrap();
        assert_eq!(d, [b"ratio".to_vec(), vec![0, 1], b"a\"b\\".to_vec()]);
        assert!(parse_dict(b"nope\n").is_err());
        assert!(parse_dict(b"\"\\xZZ\"\n").is_err());
        assert!(parse_dict(b"\"\n").is_err());
    }
}

//! `strata run`: a WASI command module over overlays of host directories, optionally
//! starting from a saved snapshot and saving the result.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;
use strata_engine::{Config, Fs, HostClock, Snapshot, VirtualClock};
use strata_snapshots::{Error as SnapError, Hash, Manifest, Saver};
use strata_wasi::StrataCtxBuilder;

use crate::guest::{self, Outcome};
use crate::limits::LimitArgs;
use crate::mounts::{self, LOWER_LABEL, MountSpec, Source, Start, short};
use crate::snapshot::apply::{How, apply_hash};
use crate::store::{self, Opened, usage};

/// The ref `--state DIR` keeps its latest state under.
pub(crate) const STATE_REF: &str = "latest";

/// Options of `strata run`.
#[derive(Debug, Args)]
#[command(after_long_help = SNAPSHOT_HELP)]
pub(crate) struct RunArgs {
    /// HOST[::GUEST]: mount HOST as the read-only lower layer of a writable
    /// overlay at GUEST (default: the same path). Repeatable.
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    dirs: Vec<String>,
    /// HOST[::GUEST]: as --dir, but the guest cannot change anything there.
    #[arg(long = "ro-dir", value_name = "HOST[::GUEST]")]
    ro_dirs: Vec<String>,
    /// GUEST: an empty in-memory directory. Repeatable.
    #[arg(long = "mem-dir", value_name = "GUEST")]
    mem_dirs: Vec<String>,
    /// KEY=VALUE in the guest's environment (the guest sees only these). Repeatable.
    #[arg(long = "env", value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// The guest's argv[0] (default: the module's file name).
    #[arg(long)]
    argv0: Option<String>,
    /// Virtual clocks, seeded randomness and deterministic file times: the same
    /// inputs give the same output and the same final tree.
    #[arg(long)]
    deterministic: bool,
    /// Seed for --deterministic randomness.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Most bytes of host memory each overlay may hold: file data, names,
    /// inodes and tables, as the engine charges them (ENOSPC past it).
    #[arg(long, default_value_t = 1 << 30)]
    max_bytes: u64,
    /// Most bytes all overlays of the run may hold together, as --max-bytes
    /// counts them (default: the value of --max-bytes).
    #[arg(long, value_name = "BYTES")]
    max_total_bytes: Option<u64>,
    /// Most inodes each overlay may hold.
    #[arg(long, default_value_t = 1 << 20)]
    max_inodes: u64,
    /// Most fds the guest may have open (EMFILE past it).
    #[arg(long, default_value_t = 1024)]
    max_fds: u32,
    /// Guest memory, fuel, time and host-call limits.
    #[command(flatten)]
    limits: LimitArgs,
    /// The snapshot store (default: $STRATA_STORE, else
    /// $XDG_DATA_HOME/strata/store, else ~/.local/share/strata/store).
    #[arg(long, value_name = "DIR", conflicts_with = "state")]
    store: Option<PathBuf>,
    /// Start the selected mount from snapshot SNAP (a ref, a hash or a unique
    /// hash prefix) instead of its directory. With --state: a snapshot of the
    /// state's store, instead of `latest` (the run's result becomes `latest`:
    /// the chain branches there).
    #[arg(long, value_name = "SNAP")]
    from: Option<String>,
    /// After the guest exits (with any status; not after a trap), save the
    /// selected mount's tree as ref NAME. With --state: a named checkpoint in
    /// the state's store, besides `latest`.
    #[arg(long, value_name = "NAME")]
    save: Option<String>,
    /// Keep the selected mount's state in the store DIR across runs: start from
    /// its ref `latest` if there is one, save the result there at exit.
    #[arg(long, value_name = "DIR")]
    state: Option<PathBuf>,
    /// GUEST: the mount --save/--from/--state apply to (needed when there are
    /// several writable mounts). It must be mounted by another option: to
    /// save or load a new in-memory mount, give --mem-dir GUEST.
    #[arg(long, value_name = "GUEST")]
    mount: Option<String>,
    /// If the guest exits 0, apply what it changed in each writable --dir
    /// mount to that host directory (as `strata snapshot apply`: refused,
    /// changing nothing, where the host no longer matches what the guest
    /// started from).
    #[arg(long, conflicts_with = "fork_bench")]
    apply: bool,
    /// GUEST: a writable mount whose writes may be thrown away at exit. A run
    /// that keeps anything (--save, --state, --apply) refuses to start while
    /// another writable mount's writes would be lost unnamed. Repeatable.
    #[arg(long, value_name = "GUEST")]
    discard: Vec<String>,
    /// No status lines (`saved …`, `applied …`); errors still print.
    #[arg(short, long)]
    quiet: bool,
    /// Benchmark instead of running once: prepare the mounts, snapshot them,
    /// then N times fork a fresh context in O(1) and run the guest with its
    /// output discarded; print runs/s and how the runs ended to stderr.
    #[arg(long, value_name = "N", conflicts_with_all = ["save", "state"])]
    fork_bench: Option<u64>,
    /// Threads sharing the one snapshot for --fork-bench.
    #[arg(long, value_name = "T", default_value_t = 1, requires = "fork_bench")]
    fork_threads: usize,
    /// The WebAssembly module (.wasm).
    module: PathBuf,
    /// Arguments for the guest, passed verbatim.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

const SNAPSHOT_HELP: &str = "\
Snapshots:
  A snapshot holds one mount's whole tree. --save, --from and --state apply to
  one mount: the only writable one (--dir or --mem-dir), or the one --mount
  GUEST names (it must be mounted: `--mem-dir /data --from NAME` needs no host
  directory). A run that keeps anything (--save, --state, --apply) refuses to
  start if another writable mount's writes would be lost: name each such
  mount with --discard GUEST (or mount it --ro-dir). --state takes --from
  SNAP (branch the chain from SNAP) and --save NAME (also name the result).
  Status lines (`strata: saved …`, `strata: applied …`) go to stderr after
  the guest has exited; --quiet drops them. Started from a
  snapshot, a --dir mount shows the snapshot's tree, not the host directory's
  (strata warns if that directory changed since the snapshot was taken).
  A tree loaded from a snapshot is held in memory and counts against
  --max-bytes and --max-inodes.
  A run that traps saves nothing; any exit status saves. Saving writes only
  objects the store lacks. A saved run's parent is the tree it started from,
  so `strata snapshot export` and `checkout --changes-only` give its changes.

Applying:
  --apply writes what the guest changed in each writable --dir mount back to
  that host directory, if it exited 0; otherwise nothing is applied. Every
  touched path must still be as the guest found it (else nothing changes and
  the conflicts are listed); each file is replaced by a rename. The recipe
  with a named snapshot: `strata run --dir ./p::/p --save s tool.wasm &&
  strata snapshot apply s ./p`.

Examples:
  strata run --dir ./src::/src --save built build.wasm
  strata run --dir ./src::/src --apply fmt.wasm /src
  strata run --dir ./src::/src --from built test.wasm
  strata run --state ./state --mem-dir /work counter.wasm
  strata run --fork-bench 1000 --fork-threads 2 --dir ./corpus::/in fuzz.wasm";

/// What the run starts from and saves into, decided before the guest runs so
/// that a mistake costs no run.
#[derive(Debug)]
struct Plan {
    store: Option<Opened>,
    /// Index into the mounts of the one the options apply to.
    target: Option<usize>,
    start: Option<(Hash, Manifest)>,
    /// The ref to save the result under.
    save_as: Option<String>,
    /// A second ref for the result (`--state` with `--save NAME`).
    also: Option<String>,
    /// What ref `latest` held when read (`--state`): set again only if it
    /// still holds that.
    latest: Option<Option<Hash>>,
    /// The store's locks (see `store::RunLocks`).
    locks: store::RunLocks,
}

pub(crate) fn run(a: RunArgs) -> Result<ExitCode> {
    let config = Config {
        max_bytes: a.max_bytes,
        max_inodes: a.max_inodes,
        max_open: a.max_fds as usize,
        total: Some(mounts::total(a.max_bytes, a.max_total_bytes)),
        clock: if a.deterministic {
            Arc::new(VirtualClock::default())
        } else {
            Arc::new(HostClock)
        },
        ..Config::default()
    };
    if a.fork_threads == 0 {
        usage!("--fork-threads must be at least 1");
    }
    let specs = mounts::parse(&a.dirs, &a.ro_dirs, &a.mem_dirs)?;
    let mut plan = plan(&a, &specs)?;
    let saved_mount = plan.target.filter(|_| plan.save_as.is_some());
    let applied = mounts::check_kept(&specs, saved_mount, a.apply, &a.discard)?;
    let mut fss: Vec<(String, Fs)> = Vec::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        let start = match (&plan.store, &plan.start) {
            (Some(store), Some((hash, manifest))) if plan.target == Some(i) => Some(Start {
                store,
                hash: *hash,
                manifest,
            }),
            _ => None,
        };
        fss.push((spec.guest.clone(), mounts::build(spec, &config, start)?));
    }
    let env = guest_env(&a.env)?;
    let limits = a.limits.guest();
    let engine = guest::engine(&limits)?;
    let program = crate::module::load(&engine, &a.module)?;
    let pre = guest::prepare(&program, limits)?;

    if let Some(n) = a.fork_bench {
        let snaps: Vec<(String, Snapshot)> = fss
            .iter()
            .map(|(g, fs)| (g.clone(), fs.snapshot()))
            .collect();
        let make = || builder(&a, &env);
        return crate::fork_bench::run(&pre, &make, &snaps, n, a.fork_threads);
    }

    // The starting tree is saved (see `prime`) only after the guest ran: a
    // host file that cannot be read fails the save, naming it, not the run.
    let mut saver = Saver::new();
    let start_snap = plan.target.map(|t| fss[t].1.snapshot());
    let apply_starts: Vec<(usize, Snapshot)> =
        applied.iter().map(|&i| (i, fss[i].1.snapshot())).collect();
    let lowers: Vec<_> = fss
        .iter()
        .filter_map(|(_, fs)| fs.snapshot().lower().cloned())
        .collect();

    let mut b = builder(&a, &env);
    for (guest, fs) in fss {
        b.preopen(guest, fs);
    }
    b.inherit_stdio();
    plan.locks.release_store();
    let (ctx, outcome) = guest::run(&pre, &mut b)?;
    if let Outcome::Trap(trap) = &outcome {
        eprintln!("strata: {trap}");
    }
    let saved = save_result(
        &a, &specs, &mut plan, &mut saver, start_snap, &ctx, &outcome,
    );
    let saved = saved.and_then(|h| {
        apply_mounts(
            &a,
            &specs,
            plan.store.as_ref(),
            plan.target.zip(h),
            apply_starts,
            &ctx,
            &outcome,
        )
    });
    // Host entries the overlay left out (met by the guest or the save).
    for l in &lowers {
        for w in l.take_warnings() {
            eprintln!("strata: warning: {w}");
        }
    }
    saved?;
    Ok(ExitCode::from(outcome.status()))
}

/// Saves the starting tree, then the guest's result, if the run saves;
/// returns the result's hash.
fn save_result(
    a: &RunArgs,
    specs: &[MountSpec],
    plan: &mut Plan,
    saver: &mut Saver,
    start_snap: Option<Snapshot>,
    ctx: &[(String, Snapshot)],
    outcome: &Outcome,
) -> Result<Option<Hash>> {
    if let (Some(name), Some(target)) = (&plan.save_as, plan.target) {
        let opened = plan.store.as_ref().context("a save needs a store")?;
        if let Outcome::Trap(_) = outcome {
            eprintln!("strata: nothing saved after a trap (ref `{name}` unchanged)");
        } else {
            // The store lock is held from the first object looked up until
            // the ref is set (README, "Sharing a store between processes").
            plan.locks.hold_store(opened)?;
            if let Some(start) = &start_snap {
                prime(saver, opened, start, plan)?;
            }
            let spec = &specs[target];
            let snap = final_state(ctx, &spec.guest).context("the saved mount")?;
            let h = save(saver, opened, snap, a, spec, plan, outcome)?;
            // --state read `latest` and sets it from that: compare-and-swap.
            let expected = plan.latest.as_ref().map(Option::as_ref);
            opened.set_ref(name, expected, &h)?;
            let mut names = format!("`{name}`");
            if let Some(also) = &plan.also {
                opened.set_ref(also, None, &h)?;
                names.push_str(&format!(" and `{also}`"));
            }
            if !a.quiet {
                eprintln!(
                    "strata: saved {} as {names} ({}) in `{}`",
                    spec.guest,
                    short(&h),
                    opened.dir.display()
                );
            }
            return Ok(Some(h));
        }
    }
    Ok(None)
}

/// `--apply`: after an exit 0, writes each applied mount's change onto its
/// host directory, as `snapshot apply` does. `saved` is the saved mount and
/// its result, reused (its parent is its starting tree); every other mount
/// is saved, starting tree then result, into a temporary store first.
fn apply_mounts(
    a: &RunArgs,
    specs: &[MountSpec],
    store: Option<&Opened>,
    saved: Option<(usize, Hash)>,
    starts: Vec<(usize, Snapshot)>,
    ctx: &[(String, Snapshot)],
    outcome: &Outcome,
) -> Result<()> {
    if starts.is_empty() {
        return Ok(());
    }
    match outcome {
        Outcome::Exit(0) => {}
        Outcome::Exit(s) => {
            eprintln!("strata: the guest exited {s}: nothing applied");
            return Ok(());
        }
        Outcome::Trap(_) => {
            eprintln!("strata: nothing applied after a trap");
            return Ok(());
        }
    }
    let mut temp: Option<(tempfile::TempDir, Opened)> = None;
    for (i, start) in starts {
        let spec = &specs[i];
        let Source::Host { host, .. } = &spec.source else {
            continue;
        };
        let (opened, h) = match (saved, store) {
            (Some((t, h)), Some(store)) if t == i => (store, h),
            _ => {
                let o = match &mut temp {
                    Some((_, o)) => &*o,
                    None => {
                        let d = tempfile::Builder::new()
                            .prefix("strata-apply-")
                            .tempdir()
                            .context("creating a temporary store for --apply")?;
                        let o = store::open_at(d.path())?;
                        &temp.insert((d, o)).1
                    }
                };
                let snap = final_state(ctx, &spec.guest).context("the applied mount")?;
                let mut saver = Saver::new();
                store::save(&mut saver, o, &start, &[("strata.start", "1")], "indexing")
                    .with_context(|| format!("saving the starting tree of {}", spec.guest))?;
                let labels = [("strata.mount", spec.guest.as_str())];
                let h = store::save(&mut saver, o, snap, &labels, "saving")
                    .with_context(|| format!("saving {}", spec.guest))?;
                (o, h)
            }
        };
        let _held = opened.hold()?;
        let how = How {
            quiet: a.quiet,
            ..How::default()
        };
        apply_hash(opened, &h, Path::new(host), how)
            .with_context(|| format!("applying {} to `{host}`", spec.guest))?;
    }
    Ok(())
}

/// The final state of the mount at `guest` among a run's.
fn final_state<'a>(states: &'a [(String, Snapshot)], guest: &str) -> Option<&'a Snapshot> {
    states.iter().find(|(g, _)| g == guest).map(|(_, s)| s)
}

/// Label of a run's result: when it was saved, in seconds since 1970 (UTC).
pub(crate) const TIME_LABEL: &str = "strata.time";

/// The guest's arguments as one line, each quoted (`'…'`) if it is empty or
/// holds a space, a quote or a backslash, so `snapshot log` shows them as typed;
/// cut (ending in `…`) to fit a label (`MAX_LABEL_LEN` bytes).
fn quoted_args(args: &[String]) -> String {
    let words: Vec<String> = args
        .iter()
        .map(|w| {
            if w.is_empty() || w.chars().any(|c| c.is_whitespace() || "'\"\\".contains(c)) {
                format!("'{}'", w.replace('\'', "'\\''"))
            } else {
                w.clone()
            }
        })
        .collect();
    let mut line = words.join(" ");
    let max = strata_snapshots::format::MAX_LABEL_LEN - '…'.len_utf8();
    if line.len() > strata_snapshots::format::MAX_LABEL_LEN {
        let mut cut = max;
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        line.truncate(cut);
        line.push('…');
    }
    line
}

/// The `--env KEY=VALUE` pairs.
fn guest_env(env: &[String]) -> Result<Vec<(String, String)>> {
    env.iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => Ok((k.to_owned(), v.to_owned())),
            None => usage!("--env expects KEY=VALUE, got `{kv}`"),
        })
        .collect()
}

/// A context builder with the guest's arguments, environment and limits (no
/// mounts, no stdio yet).
fn builder(a: &RunArgs, env: &[(String, String)]) -> StrataCtxBuilder {
    let mut b = StrataCtxBuilder::new();
    b.envs(env);
    let argv0 = a.argv0.clone().unwrap_or_else(|| module_name(a));
    b.arg(argv0).args(&a.args).max_fds(a.max_fds);
    a.limits.apply(&mut b);
    if a.deterministic {
        b.deterministic(a.seed);
    }
    b
}

fn module_name(a: &RunArgs) -> String {
    a.module
        .file_name()
        .map_or_else(|| "main.wasm".into(), |n| n.to_string_lossy().into_owned())
}

/// Checks the snapshot options, opens the store and finds the starting
/// snapshot; picks the mount they apply to.
fn plan(a: &RunArgs, specs: &[MountSpec]) -> Result<Plan> {
    let option = match (&a.state, &a.save, &a.from) {
        (Some(_), ..) => "--state",
        (_, Some(_), _) => "--save",
        (_, _, Some(_)) => "--from",
        _ => {
            if a.mount.is_some() {
                usage!("--mount only says which mount --save, --from or --state apply to");
            }
            return Ok(Plan {
                store: None,
                target: None,
                start: None,
                save_as: None,
                also: None,
                latest: None,
                locks: store::RunLocks::default(),
            });
        }
    };
    let saving = a.save.is_some() || a.state.is_some();
    let target = mounts::select(specs, a.mount.as_deref(), option, saving)?;
    let dir = match &a.state {
        Some(dir) => dir.clone(),
        None => store::store_dir(a.store.as_deref())?,
    };
    // Only a run that saves creates a store.
    if !saving && !store::exists(&dir) {
        anyhow::bail!("no snapshot store at `{}`", dir.display());
    }
    let opened = store::open_at(&dir)?;
    let locks = store::RunLocks::take(&opened, a.state.is_some().then_some(STATE_REF))?;
    let (save_as, also) = match (&a.save, &a.state) {
        (_, Some(_)) => (Some(STATE_REF.to_owned()), a.save.clone()),
        (Some(name), None) => (Some(name.clone()), None),
        (None, None) => (None, None),
    };
    for name in save_as.iter().chain(&also) {
        store::check_name(&opened.store, name)?;
    }
    if also.as_deref() == Some(STATE_REF) {
        usage!("--save {STATE_REF} with --state: `{STATE_REF}` is the state's own ref");
    }
    let latest = match &a.state {
        Some(_) => match opened.store.get_ref(STATE_REF) {
            Ok(h) => Some(Some(h)),
            Err(SnapError::NoSuchRef(_)) => Some(None),
            Err(e) => return Err(e).context("reading the state's ref `latest`"),
        },
        None => None,
    };
    let start = match (&a.from, &latest) {
        (Some(spec), _) => Some(opened.manifest(spec)?),
        (None, Some(Some(h))) => Some(opened.manifest(&h.to_hex())?),
        _ => None,
    };
    Ok(Plan {
        store: Some(opened),
        target: Some(target),
        start,
        save_as,
        also,
        latest,
        locks,
    })
}

/// Saves the mount's starting tree (its directory, or the snapshot it was
/// loaded from) before the guest changes it. The result's save is then
/// incremental and has this starting tree as its manifest parent, so
/// `snapshot diff`, `export` and `checkout --changes-only` show what the run
/// changed (deletions of host files included). A start from snapshot `from`
/// gets a new manifest of the same tree: the format cannot name `from`
/// itself as the parent of another saver's save.
fn prime(saver: &mut Saver, opened: &Opened, start: &Snapshot, plan: &Plan) -> Result<()> {
    let from = plan.start.as_ref().map(|(h, _)| h.to_hex());
    let lower = plan
        .start
        .as_ref()
        .and_then(|(_, m)| mounts::lower_fingerprint(m))
        .map(|h| h.to_hex());
    let mut labels = vec![("strata.start", "1")];
    if let Some(f) = &from {
        labels.push(("strata.loaded-from", f));
    }
    if let Some(l) = &lower {
        labels.push((LOWER_LABEL, l));
    }
    store::save(saver, opened, start, &labels, "indexing").context("saving the starting tree")?;
    Ok(())
}

/// Saves `snap` (the final tree of mount `spec`) with labels saying where it
/// came from; returns the manifest hash.
fn save(
    saver: &mut Saver,
    opened: &Opened,
    snap: &Snapshot,
    a: &RunArgs,
    spec: &MountSpec,
    plan: &Plan,
    outcome: &Outcome,
) -> Result<Hash> {
    let module = module_name(a);
    let status = match outcome {
        Outcome::Exit(s) => s.to_string(),
        Outcome::Trap(_) => "trap".to_owned(),
    };
    let args = quoted_args(&a.args);
    // A deterministic run's result must not depend on when it ran.
    let time = (!a.deterministic).then(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            .to_string()
    });
    let mut labels: Vec<(&str, &str)> = vec![
        ("strata.module", &module),
        ("strata.mount", &spec.guest),
        ("strata.exit", &status),
        ("strata.args", &args),
    ];
    if let Some(t) = &time {
        labels.push((TIME_LABEL, t));
    }
    let from = plan.start.as_ref().map(|(h, _)| h.to_hex());
    if let Some(from) = &from {
        labels.push(("strata.from", from));
    }
    // A reloaded tree has no lower layer of its own: carry the original
    // directory's fingerprint forward.
    let lower = plan
        .start
        .as_ref()
        .and_then(|(_, m)| mounts::lower_fingerprint(m))
        .map(|h| h.to_hex());
    if let Some(l) = &lower
        && snap.lower().is_none()
    {
        labels.push((LOWER_LABEL, l));
    }
    let h = store::save(saver, opened, snap, &labels, "saving")
        .with_context(|| format!("saving {} into `{}`", spec.guest, opened.dir.display()))?;
    Ok(h)
}

//! Where the snapshot store lives, and how a user's SNAP argument names a snapshot.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use strata_engine::Snapshot;
use strata_snapshots::{
    Error as SnapError, Hash, Manifest, RefLock, Saver, Store, StoreLock, read_manifest,
};

use crate::progress::{Bar, Unit};

/// A mistake in how the command was called (exit status 2, as clap's own).
#[derive(Debug)]
pub(crate) struct Usage(pub(crate) String);

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// Returns early with a usage error (exit status 2).
macro_rules! usage {
    ($($arg:tt)*) => {
        return Err(anyhow::Error::new($crate::store::Usage(format!($($arg)*))))
    };
}
pub(crate) use usage;

/// Shortest hash prefix accepted for a SNAP argument (shorter ones are rarely
/// unique).
const MIN_PREFIX: usize = 4;

/// The store directory: `--store` if given, else `$STRATA_STORE`, else
/// `$XDG_DATA_HOME/strata/store`, else `~/.local/share/strata/store`.
pub(crate) fn store_dir(flag: Option<&Path>) -> Result<PathBuf> {
    if let Some(d) = flag {
        return Ok(d.to_path_buf());
    }
    if let Some(d) = std::env::var_os("STRATA_STORE").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d));
    }
    let data =
        match std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
            Some(d) => PathBuf::from(d),
            None => PathBuf::from(std::env::var_os("HOME").context(
                "no store: give --store DIR or set STRATA_STORE (HOME is not set either)",
            )?)
            .join(".local/share"),
        };
    Ok(data.join("strata").join("store"))
}

/// An opened store and the directory it is in.
#[derive(Debug)]
pub(crate) struct Opened {
    pub(crate) store: Store,
    pub(crate) dir: PathBuf,
}

/// The remote store URL `dir` is (`s3://BUCKET/PREFIX`), if it is one.
fn remote_url(dir: &Path) -> Option<&str> {
    dir.to_str().filter(|d| strata_remote::is_remote(d))
}

/// Whether a store exists at `dir` (a remote store always may: its bucket
/// is checked by the first request).
pub(crate) fn exists(dir: &Path) -> bool {
    remote_url(dir).is_some() || dir.is_dir()
}

/// `gc`'s grace period on a remote store: `$STRATA_GC_GRACE` seconds, else
/// an hour (README, "Remote stores").
fn gc_grace() -> Result<Duration> {
    match std::env::var("STRATA_GC_GRACE") {
        Ok(v) => v
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| anyhow::anyhow!("STRATA_GC_GRACE=`{v}`: not a number of seconds")),
        Err(_) => Ok(strata_remote::DEFAULT_GRACE),
    }
}

/// Opens (creating it if needed) the store in `dir`, or the remote store
/// `dir` names (`s3://BUCKET/PREFIX`, configured from the `AWS_*`
/// variables). Whenever it has to wait for a lock another process holds, it
/// says so on stderr, naming the file.
pub(crate) fn open_at(dir: &Path) -> Result<Opened> {
    let store = match remote_url(dir) {
        Some(url) => Store::with_backend(strata_remote::open_url(
            url,
            gc_grace()?,
            Duration::from_secs(20),
        )?),
        None => {
            Store::open(dir).with_context(|| format!("opening the store `{}`", dir.display()))?
        }
    };
    store.on_lock_wait(|path| {
        eprintln!(
            "strata: waiting for the lock on `{}` (another process holds it)",
            path.display()
        );
    });
    Ok(Opened {
        store,
        dir: dir.to_path_buf(),
    })
}

impl Opened {
    /// Holds the store lock shared until the result is dropped: every command
    /// but `gc` does, a writer from before its first object until its ref is
    /// set (README, "Sharing a store between processes").
    pub(crate) fn hold(&self) -> Result<StoreLock> {
        Ok(self.store.lock_shared()?)
    }

    /// Takes ref `name`'s read-modify-write lock (`run --state`): a second
    /// run on the same state waits here, saying so, until the first is done.
    pub(crate) fn lock_ref(&self, name: &str) -> Result<RefLock> {
        Ok(self.store.lock_ref(name)?)
    }

    /// Points ref `name` at `h`. With `expected` (a read-modify-write, such as
    /// `run --state`), only if the ref still holds what was read: a change by
    /// another process is an error, never a silently lost update.
    pub(crate) fn set_ref(
        &self,
        name: &str,
        expected: Option<Option<&Hash>>,
        h: &Hash,
    ) -> Result<()> {
        match expected {
            None => self.store.set_ref(name, h),
            Some(old) => self.store.compare_and_set_ref(name, old, h),
        }
        .with_context(|| format!("setting ref `{name}`"))
    }

    /// The manifest hash `spec` names: a ref name, else a full hash, else a
    /// unique prefix (at least four hex digits) of a known snapshot's hash
    /// (see `manifests_with_prefix`).
    pub(crate) fn resolve(&self, spec: &str) -> Result<Hash> {
        match self.store.get_ref(spec) {
            Ok(h) => return Ok(h),
            Err(SnapError::NoSuchRef(_) | SnapError::InvalidRefName(_)) => {}
            Err(e) => return Err(e).with_context(|| format!("reading ref `{spec}`")),
        }
        if let Ok(h) = spec.parse::<Hash>() {
            return Ok(h);
        }
        let hex = spec.len() >= MIN_PREFIX
            && spec.len() < 64
            && spec.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !hex {
            anyhow::bail!("no snapshot named `{spec}` (not a ref, nor a hash or hash prefix)");
        }
        let mut found = self.manifests_with_prefix(spec)?;
        match found.len() {
            0 => anyhow::bail!(
                "no snapshot named `{spec}` (no ref, and no named snapshot or ancestor has a hash with that prefix)"
            ),
            1 => Ok(found.remove(0)),
            n => anyhow::bail!("`{spec}` is ambiguous: {n} snapshots have hashes starting so"),
        }
    }

    /// The snapshots whose hash starts with `prefix`: those refs point at,
    /// their ancestors, and every other manifest in the store (loose or in a
    /// pack).
    fn manifests_with_prefix(&self, prefix: &str) -> Result<Vec<Hash>> {
        let mut found: BTreeSet<Hash> = BTreeSet::new();
        let mut seen: HashSet<Hash> = HashSet::new();
        let mut work: Vec<Hash> = self
            .store
            .refs()
            .context("listing refs")?
            .into_iter()
            .map(|(_, h)| h)
            .collect();
        while let Some(h) = work.pop() {
            if !seen.insert(h) {
                continue;
            }
            if h.to_hex().starts_with(prefix) {
                found.insert(h);
            }
            // A damaged ancestor ends the chain; `verify` is the place to
            // report it, not a name lookup.
            if let Ok(m) = read_manifest(&self.store, &h) {
                work.extend(m.parent);
            }
        }
        // Every object the store holds, loose or packed; only manifests name
        // snapshots.
        for h in self.store.objects().context("listing objects")? {
            if !found.contains(&h)
                && h.to_hex().starts_with(prefix)
                && read_manifest(&self.store, &h).is_ok()
            {
                found.insert(h);
            }
        }
        Ok(found.into_iter().collect())
    }

    /// Names a snapshot just brought into the store (imported, unpacked)
    /// `name` if given, else warns that gc would remove it; prints its hash.
    pub(crate) fn name_new(&self, h: &Hash, name: Option<&str>) -> Result<()> {
        if let Some(n) = name {
            self.set_ref(n, None, h)?;
        } else {
            eprintln!(
                "strata: note: the snapshot has no name; `snapshot gc` removes it unless named (--name)"
            );
        }
        println!("{h}");
        Ok(())
    }

    /// The manifest `spec` names, read and checked.
    pub(crate) fn manifest(&self, spec: &str) -> Result<(Hash, Manifest)> {
        let h = self.resolve(spec)?;
        let m =
            read_manifest(&self.store, &h).with_context(|| format!("reading snapshot `{spec}`"))?;
        Ok((h, m))
    }
}

/// Saves `snap` with `saver` and `labels` into the store, with a progress bar
/// titled `what`; returns the manifest hash.
pub(crate) fn save(
    saver: &mut Saver,
    opened: &Opened,
    snap: &Snapshot,
    labels: &[(&str, &str)],
    what: &str,
) -> strata_snapshots::Result<Hash> {
    let bar = Bar::new(what, Unit::Bytes);
    let h = saver.save_with_progress(&opened.store, snap, labels, &bar);
    bar.finish();
    h
}

/// Fails with a usage error unless `name` is a valid ref name (checked
/// before any work, so a typo costs nothing).
pub(crate) fn check_name(store: &Store, name: &str) -> Result<()> {
    if let Err(SnapError::InvalidRefName(_)) = store.get_ref(name) {
        usage!(
            "invalid snapshot name `{name}` (letters, digits, `.`, `_`, `-`; not starting with `.`)"
        );
    }
    Ok(())
}

/// The label value of `key` in `m`, if any.
pub(crate) fn label<'m>(m: &'m Manifest, key: &str) -> Option<&'m str> {
    m.labels
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The locks a `run` with a store holds: with `--state`, ref `latest`'s
/// read-modify-write lock for the whole run (a second run on the same state
/// waits for it); and the store lock, shared, while it reads its starting
/// snapshot and primes the save, and again from the final save until its ref
/// is set, but not while the guest runs (a `gc` is not held up by a guest).
#[derive(Debug, Default)]
pub(crate) struct RunLocks {
    _state: Option<RefLock>,
    held: Option<StoreLock>,
}

impl RunLocks {
    /// Takes ref `rmw`'s lock if given, then the store lock (always in that
    /// order, so two runs cannot each hold what the other waits for).
    pub(crate) fn take(opened: &Opened, rmw: Option<&str>) -> Result<RunLocks> {
        let state = rmw.map(|name| opened.lock_ref(name)).transpose()?;
        Ok(RunLocks {
            _state: state,
            held: Some(opened.hold()?),
        })
    }

    /// Lets a `gc` go ahead while the guest runs.
    pub(crate) fn release_store(&mut self) {
        self.held = None;
    }

    /// Takes the store lock again, for the final save and its ref.
    pub(crate) fn hold_store(&mut self, opened: &Opened) -> Result<()> {
        if self.held.is_none() {
            self.held = Some(opened.hold()?);
        }
        Ok(())
    }
}

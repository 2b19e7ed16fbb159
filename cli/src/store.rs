//! Where the snapshot store lives, and how a user's SNAP argument names a snapshot.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use strata_snapshots::{Error as SnapError, Hash, Manifest, Store, read_manifest};

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

/// Shortest hash prefix accepted for a SNAP argument: shorter ones would
/// mean listing every object of the store, and are rarely unique anyway.
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

/// Opens (creating it if needed) the store chosen by `flag` (see [`store_dir`]).
pub(crate) fn open(flag: Option<&Path>) -> Result<Opened> {
    let dir = store_dir(flag)?;
    open_at(&dir)
}

/// Opens (creating it if needed) the store in `dir`.
pub(crate) fn open_at(dir: &Path) -> Result<Opened> {
    let store =
        Store::open(dir).with_context(|| format!("opening the store `{}`", dir.display()))?;
    Ok(Opened {
        store,
        dir: dir.to_path_buf(),
    })
}

impl Opened {
    /// The manifest hash `spec` names: a ref name, else a full hash, else a
    /// unique prefix (at least four hex digits) of a manifest's hash.
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
            0 => anyhow::bail!("no snapshot named `{spec}` (no ref, no manifest with that prefix)"),
            1 => Ok(found.remove(0)),
            n => anyhow::bail!("`{spec}` is ambiguous: {n} snapshots have hashes starting so"),
        }
    }

    /// The manifest hashes in the store starting with `prefix` (at least two
    /// hex digits). Reads the store's fan-out folder directly: the layout is
    /// documented by the snapshots crate (`objects/ab/cdef…`).
    fn manifests_with_prefix(&self, prefix: &str) -> Result<Vec<Hash>> {
        let (fan, rest) = prefix.split_at(2);
        let folder = self.dir.join("objects").join(fan);
        let entries = match std::fs::read_dir(&folder) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(e).with_context(|| format!("listing `{}`", folder.display()));
            }
        };
        let mut out = Vec::new();
        for e in entries {
            let e = e.with_context(|| format!("listing `{}`", folder.display()))?;
            let name = e.file_name();
            let Some(name) = name.to_str().filter(|n| n.starts_with(rest)) else {
                continue;
            };
            let Ok(h) = format!("{fan}{name}").parse::<Hash>() else {
                continue;
            };
            // Only manifests name snapshots; any other object (or a damaged
            // one) with the same prefix is not a candidate.
            if read_manifest(&self.store, &h).is_ok() {
                out.push(h);
            }
        }
        out.sort();
        Ok(out)
    }

    /// The manifest `spec` names, read and checked.
    pub(crate) fn manifest(&self, spec: &str) -> Result<(Hash, Manifest)> {
        let h = self.resolve(spec)?;
        let m =
            read_manifest(&self.store, &h).with_context(|| format!("reading snapshot `{spec}`"))?;
        Ok((h, m))
    }
}

/// The label value of `key` in `m`, if any.
pub(crate) fn label<'m>(m: &'m Manifest, key: &str) -> Option<&'m str> {
    m.labels
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

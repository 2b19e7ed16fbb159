//! The mounts of `strata run`: parsing `--dir`/`--ro-dir`/`--mem-dir`, choosing the one a
//! snapshot applies to, and building each mount's filesystem (from a saved snapshot if asked).

use std::sync::Arc;

use anyhow::{Context, Result};
use strata_engine::{Budget, Config, FrozenLower, Fs, HostLower};
use strata_snapshots::{Hash, Manifest, fingerprint, load_with};

use crate::store::{Opened, label, usage};

/// Label recording the fingerprint of the host directory a snapshot's tree
/// first came from, carried from save to save so a later `--from`/`--state`
/// can tell that directory changed even after the tree was reloaded.
pub(crate) const LOWER_LABEL: &str = "strata.lower-fingerprint";

/// What a mount shows before the guest runs.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// A host directory as the read-only lower layer.
    Host { host: String, read_only: bool },
    /// An empty in-memory directory (`--mem-dir`).
    Mem,
}

/// One guest path and what is mounted there.
#[derive(Debug, Clone)]
pub(crate) struct MountSpec {
    pub(crate) guest: String,
    pub(crate) source: Source,
}

impl MountSpec {
    pub(crate) fn writable(&self) -> bool {
        !matches!(
            self.source,
            Source::Host {
                read_only: true,
                ..
            }
        )
    }
}

/// Splits `HOST[::GUEST]`.
fn mapping(spec: &str) -> (String, String) {
    match spec.split_once("::") {
        Some((h, g)) => (h.to_owned(), g.to_owned()),
        None => (spec.to_owned(), spec.to_owned()),
    }
}

/// The mounts in command-line order: `--dir`, then `--ro-dir`, then `--mem-dir`
/// (preopen fds are numbered in this order). Two mounts at one guest path are a
/// usage error.
pub(crate) fn parse(
    dirs: &[String],
    ro_dirs: &[String],
    mem_dirs: &[String],
) -> Result<Vec<MountSpec>> {
    let mut out: Vec<MountSpec> = Vec::new();
    let hosts = dirs
        .iter()
        .map(|d| (d, false))
        .chain(ro_dirs.iter().map(|d| (d, true)));
    for (spec, read_only) in hosts {
        let (host, guest) = mapping(spec);
        out.push(MountSpec {
            guest,
            source: Source::Host { host, read_only },
        });
    }
    for guest in mem_dirs {
        out.push(MountSpec {
            guest: guest.clone(),
            source: Source::Mem,
        });
    }
    for (i, m) in out.iter().enumerate() {
        if out[..i].iter().any(|o| o.guest == m.guest) {
            usage!("two mounts at guest path `{}`", m.guest);
        }
    }
    Ok(out)
}

/// The byte total every mount of one run draws on (`--max-total-bytes`, by
/// default the value of `--max-bytes`): a guest cannot multiply its memory by
/// writing into several mounts. A tree loaded from a snapshot counts in it
/// once it is mounted (its loader's charge is returned when loading ends).
pub(crate) fn total(max_bytes: u64, max_total_bytes: Option<u64>) -> Arc<Budget> {
    Arc::new(Budget::new(max_total_bytes.unwrap_or(max_bytes)))
}

/// Picks the mount that `--save`, `--from`, `--state` or `--fork-bench`'s
/// snapshot applies to (`option` names the option, for errors) and returns its
/// index in `mounts`.
///
/// `--mount GUEST` picks the mount at GUEST; one that no other option mounts
/// is a usage error (a typo would otherwise save a new, empty mount and drop
/// the guest's writes): a new in-memory mount is asked for with `--mem-dir`.
/// Without it, the single writable mount is picked. Saving needs a writable
/// mount (`writable`); starting from a snapshot does not.
pub(crate) fn select(
    mounts: &[MountSpec],
    selector: Option<&str>,
    option: &str,
    writable: bool,
) -> Result<usize> {
    let i = match selector {
        Some(guest) => match mounts.iter().position(|m| m.guest == guest) {
            Some(i) => i,
            None => {
                let names: Vec<&str> = mounts.iter().map(|m| m.guest.as_str()).collect();
                usage!(
                    "--mount {guest} names no mount (mounted: {}); for a new in-memory mount there, add --mem-dir {guest}",
                    if names.is_empty() {
                        "none".to_owned()
                    } else {
                        names.join(", ")
                    }
                )
            }
        },
        None => {
            let w: Vec<usize> = (0..mounts.len())
                .filter(|&i| mounts[i].writable())
                .collect();
            match w.as_slice() {
                [i] => *i,
                [] => usage!(
                    "{option} needs a writable mount: add --dir HOST::GUEST, --mem-dir GUEST or --mount GUEST"
                ),
                _ => {
                    let names: Vec<&str> = w.iter().map(|&i| mounts[i].guest.as_str()).collect();
                    usage!(
                        "{option}: several writable mounts ({}); choose one with --mount GUEST",
                        names.join(", ")
                    )
                }
            }
        }
    };
    if writable && !mounts[i].writable() {
        usage!(
            "{option}: the mount at `{}` is read-only (--ro-dir)",
            mounts[i].guest
        );
    }
    Ok(i)
}

/// Checks that a run which keeps anything loses no writes unnamed: every
/// writable mount is the `saved` one, applied (`--apply`: each writable
/// `--dir` mount not in `discard`), or in `discard`. Returns the indices of
/// the mounts to apply.
pub(crate) fn check_kept(
    specs: &[MountSpec],
    saved: Option<usize>,
    apply: bool,
    discard: &[String],
) -> Result<Vec<usize>> {
    for d in discard {
        match specs.iter().find(|m| m.guest == *d) {
            Some(m) if m.writable() => {}
            Some(_) => usage!("--discard {d}: that mount is read-only (it has no writes)"),
            None => usage!("--discard {d} names no mount"),
        }
    }
    let applied: Vec<usize> = (0..specs.len())
        .filter(|&i| {
            apply
                && matches!(
                    specs[i].source,
                    Source::Host {
                        read_only: false,
                        ..
                    }
                )
                && !discard.contains(&specs[i].guest)
        })
        .collect();
    if apply && applied.is_empty() {
        usage!("--apply needs a writable --dir mount (it writes back to host directories)");
    }
    if saved.is_none() && !apply {
        return Ok(applied);
    }
    let lost: Vec<&str> = specs
        .iter()
        .enumerate()
        .filter(|(i, m)| {
            m.writable() && Some(*i) != saved && !applied.contains(i) && !discard.contains(&m.guest)
        })
        .map(|(_, m)| m.guest.as_str())
        .collect();
    if !lost.is_empty() {
        usage!(
            "the guest's writes to {} would be lost at exit (a run saves one mount, and --apply only --dir mounts): add --discard GUEST for each to allow it, or mount it --ro-dir",
            lost.join(", ")
        );
    }
    Ok(applied)
}

/// A snapshot a mount starts from.
#[derive(Debug)]
pub(crate) struct Start<'a> {
    pub(crate) store: &'a Opened,
    pub(crate) hash: Hash,
    pub(crate) manifest: &'a Manifest,
}

/// The fingerprint of the host tree `m`'s contents came from, if known: its
/// recorded lower layer, or the label a reloaded tree carries forward.
pub(crate) fn lower_fingerprint(m: &Manifest) -> Option<Hash> {
    match m.lowers.as_slice() {
        [one] => Some(one.fingerprint),
        _ => label(m, LOWER_LABEL).and_then(|s| s.parse().ok()),
    }
}

/// Builds the filesystem of `spec` with `config` (whose `read_only` is set
/// from the mount). With `start`, the mount shows that snapshot's tree: a
/// snapshot holds the whole merged tree, so a `--dir` host directory is then
/// not read at all, only fingerprinted to warn if it changed since.
pub(crate) fn build(spec: &MountSpec, config: &Config, start: Option<Start<'_>>) -> Result<Fs> {
    let read_only = !spec.writable();
    let Some(start) = start else {
        return match &spec.source {
            Source::Host { host, .. } => {
                let lower =
                    HostLower::open(host).with_context(|| format!("opening directory `{host}`"))?;
                Fs::with_lower(
                    Arc::new(lower),
                    Config {
                        read_only,
                        ..config.clone()
                    },
                )
                .with_context(|| format!("mounting `{host}`"))
            }
            Source::Mem => Ok(Fs::new(config.clone())),
        };
    };
    if let Source::Host { host, .. } = &spec.source {
        let lower = HostLower::open(host).with_context(|| format!("opening directory `{host}`"))?;
        if let Some(fp) = lower_fingerprint(start.manifest) {
            let now = fingerprint(&lower).with_context(|| format!("reading `{host}`"))?;
            if now != fp {
                eprintln!(
                    "strata: warning: `{host}` changed since snapshot {} was saved; the guest sees the snapshot's tree",
                    short(&start.hash)
                );
            }
        }
    }
    // The loader writes the tree, so it needs a writable configuration; a
    // read-only mount then shows the loaded tree as a frozen lower layer.
    let loaded = load_with(
        &start.store.store,
        &start.hash,
        Config {
            read_only: false,
            ..config.clone()
        },
    )
    .with_context(|| format!("loading snapshot {}", short(&start.hash)))?;
    if read_only {
        let frozen = Arc::new(FrozenLower::new(loaded));
        return Fs::with_lower(
            frozen,
            Config {
                read_only,
                ..config.clone()
            },
        )
        .context("mounting the snapshot");
    }
    Ok(Fs::from_snapshot(&loaded))
}

/// The first 12 hex digits of a hash, as shown in messages.
pub(crate) fn short(h: &Hash) -> String {
    h.to_hex()[..12].to_owned()
}

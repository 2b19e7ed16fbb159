//! `snapshot ls` and `snapshot show`: what a store holds and what one manifest says.

use std::collections::HashSet;

use anyhow::{Context, Result};
use strata_snapshots::format::{DirObject, EntryKind, FileObject};
use strata_snapshots::{Hash, Manifest, Store, read_manifest};

use crate::mounts::short;
use crate::store::Opened;

/// One line per ref: name, short hash, and the labels `strata run` records.
/// A damaged ref or manifest gets its own line and does not hide the others;
/// the command then fails after listing.
pub(super) fn ls(opened: &Opened) -> Result<()> {
    // Every name in the `refs` folder, so that one unreadable ref cannot
    // hide the rest.
    let names = opened
        .store
        .ref_names()
        .with_context(|| format!("listing the refs of `{}`", opened.dir.display()))?;
    let width = names.iter().map(String::len).max().unwrap_or(0);
    let mut damaged = 0;
    for name in &names {
        let line = match opened.store.get_ref(name) {
            Ok(hash) => match read_manifest(&opened.store, &hash) {
                Ok(m) => format!("{}  {}", short(&hash), summary(&m)),
                Err(e) => {
                    damaged += 1;
                    format!("{}  (unreadable: {e})", short(&hash))
                }
            },
            Err(e) => {
                damaged += 1;
                format!("(unreadable: {e})")
            }
        };
        println!("{name:<width$}  {line}");
    }
    if damaged > 0 {
        anyhow::bail!("{damaged} of {} refs are damaged", names.len());
    }
    Ok(())
}

/// The labels of a manifest as `key=value` words.
fn summary(m: &Manifest) -> String {
    let words: Vec<String> = m
        .labels
        .iter()
        .filter(|(k, _)| {
            k != crate::mounts::LOWER_LABEL
                && k != "strata.from"
                && k != "strata.args"
                && k != crate::run::TIME_LABEL
        })
        .map(|(k, v)| format!("{}={v}", k.strip_prefix("strata.").unwrap_or(k)))
        .collect();
    words.join(" ")
}

/// Objects of one tree, counted once each however often they are shared.
#[derive(Debug, Default)]
struct Counts {
    dirs: u64,
    files: u64,
    symlinks: u64,
    chunks: u64,
    /// Sum of the sizes of the distinct file objects (holes included).
    file_bytes: u64,
}

/// Walks the tree under `root` (directories and files; chunks only counted).
fn count(store: &Store, root: &Hash) -> Result<Counts> {
    let mut c = Counts::default();
    let mut seen: HashSet<Hash> = HashSet::new();
    let mut chunks: HashSet<Hash> = HashSet::new();
    let mut work = vec![(EntryKind::Dir, *root)];
    while let Some((kind, h)) = work.pop() {
        if !seen.insert(h) {
            continue;
        }
        match kind {
            EntryKind::Dir => {
                c.dirs += 1;
                let d: DirObject = store.get_object(&h)?;
                work.extend(d.entries.iter().map(|e| (e.kind, e.hash)));
            }
            EntryKind::File => {
                c.files += 1;
                let f: FileObject = store.get_object(&h)?;
                c.file_bytes += f.size;
                chunks.extend(f.chunks.iter().map(|r| r.hash));
            }
            EntryKind::Symlink => c.symlinks += 1,
        }
    }
    c.chunks = chunks.len() as u64;
    Ok(c)
}

/// The manifest of `spec`, then counts of its tree.
pub(super) fn show(opened: &Opened, spec: &str) -> Result<()> {
    let (hash, m) = opened.manifest(spec)?;
    let names: Vec<String> = opened
        .store
        .refs()
        .context("listing refs")?
        .into_iter()
        .filter(|(_, h)| *h == hash)
        .map(|(n, _)| n)
        .collect();
    println!("snapshot  {hash}");
    if !names.is_empty() {
        println!("refs      {}", names.join(", "));
    }
    match &m.parent {
        Some(p) => println!("parent    {p}"),
        None => println!("parent    none"),
    }
    println!("format    {}", m.version);
    println!("tick      {}", m.tick);
    println!("root      {}", m.root);
    if m.lowers.is_empty() {
        println!("lowers    none");
    }
    for l in &m.lowers {
        println!("lower     fingerprint {}", l.fingerprint);
    }
    for (k, v) in &m.labels {
        println!("label     {k} = {v}");
    }
    if !m.links.is_empty() {
        println!("hardlinks {} files with several names", m.links.len());
    }
    let c = count(&opened.store, &m.root).with_context(|| format!("reading snapshot `{spec}`"))?;
    println!(
        "objects   {} ({} directories, {} files, {} symlinks, {} chunks)",
        1 + c.dirs + c.files + c.symlinks + c.chunks,
        c.dirs,
        c.files,
        c.symlinks,
        c.chunks,
    );
    println!("content   {} bytes in files", c.file_bytes);
    Ok(())
}

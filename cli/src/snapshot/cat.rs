//! `snapshot cat`: one file of a snapshot to stdout, read straight from the store.

use std::io::{BufWriter, Write};

use anyhow::{Context, Result, bail};
use strata_snapshots::format::{self, DirObject, EntryKind, FileObject};
use strata_snapshots::{Hash, Kind, Store};

use crate::store::Opened;

/// Zeros written at once for a hole.
static ZEROS: [u8; 64 << 10] = [0; 64 << 10];

/// Writes the file at `path` (`/`-separated, from the snapshot's root;
/// symlinks are not followed) of snapshot `spec` to stdout.
pub(super) fn run(opened: &Opened, spec: &str, path: &str) -> Result<()> {
    let (_, m) = opened.manifest(spec)?;
    let names: Vec<&str> = path
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    let store = &opened.store;
    let mut dir: DirObject = store.get_object(&m.root)?;
    let Some((last, parents)) = names.split_last() else {
        bail!("`{path}` is a directory");
    };
    let mut seen = String::new();
    for name in parents {
        seen.push('/');
        seen.push_str(name);
        let (kind, hash) = lookup(&dir, name, &seen, spec)?;
        match kind {
            EntryKind::Dir => dir = store.get_object(&hash)?,
            EntryKind::File => bail!("`{seen}` in `{spec}` is a file, not a directory"),
            EntryKind::Symlink => bail!("`{seen}` in `{spec}` is a symlink (not followed)"),
        }
    }
    seen.push('/');
    seen.push_str(last);
    let (kind, hash) = lookup(&dir, last, &seen, spec)?;
    match kind {
        EntryKind::File => {}
        EntryKind::Dir => bail!("`{seen}` in `{spec}` is a directory"),
        EntryKind::Symlink => bail!("`{seen}` in `{spec}` is a symlink (not followed)"),
    }
    let file: FileObject = store.get_object(&hash)?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    write_file(store, &hash, &file, &mut out).with_context(|| format!("reading `{seen}`"))?;
    out.flush().context("writing to stdout")?;
    Ok(())
}

/// The entry `name` of `dir`; entries are sorted by name bytes.
fn lookup(dir: &DirObject, name: &str, seen: &str, spec: &str) -> Result<(EntryKind, Hash)> {
    if name == ".." {
        bail!("`..` is not allowed in a snapshot path");
    }
    match dir.entries.binary_search_by(|e| e.name.as_str().cmp(name)) {
        Ok(i) => Ok((dir.entries[i].kind, dir.entries[i].hash)),
        Err(_) => bail!("no `{seen}` in `{spec}`"),
    }
}

/// Streams a file's chunks, holes as zeros, checking every chunk fits
/// where the file object places it.
fn write_file(store: &Store, hash: &Hash, f: &FileObject, out: &mut dyn Write) -> Result<()> {
    let corrupted = |what| strata_snapshots::Error::Corrupted {
        object: Kind::File,
        hash: *hash,
        what,
    };
    let mut pos = 0u64;
    for (i, c) in f.chunks.iter().enumerate() {
        let bytes = store.get(&c.hash, Kind::Chunk)?;
        let data = format::decode_chunk(&bytes, c.hash)?.0;
        let limit = f.chunks.get(i + 1).map_or(f.size, |n| n.offset);
        if c.offset < pos || c.offset + data.len() as u64 > limit {
            return Err(corrupted("chunk overlaps the next one or the end of the file").into());
        }
        zeros(out, c.offset - pos)?;
        out.write_all(data).context("writing to stdout")?;
        pos = c.offset + data.len() as u64;
    }
    zeros(out, f.size - pos)
}

fn zeros(out: &mut dyn Write, mut n: u64) -> Result<()> {
    while n > 0 {
        let k = n.min(ZEROS.len() as u64) as usize;
        out.write_all(&ZEROS[..k]).context("writing to stdout")?;
        n -= k as u64;
    }
    Ok(())
}

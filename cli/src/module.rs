//! The guest module file: only a regular file of bounded size is read, and its
//! compiled form comes from the module cache when the cache has it. The file
//! holds a core module (WASI preview 1) or a component (WASI 0.2).

use std::fs::{File, Metadata, OpenOptions};
use std::io::{Read, Seek};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use anyhow::{Context, Result, bail};
use rustix::fs::OFlags;
use wasmtime::component::Component;
use wasmtime::{Engine, Module};

use crate::cache::Cache;
use crate::guest::wt;

/// The largest module `strata run` reads: 1 GiB, forty times the largest
/// real program we know of (GCC's `cc1`, 24 MB), and a bound on what a
/// wrong path can make strata read into memory.
pub(crate) const MAX_MODULE_BYTES: u64 = 1 << 30;

/// A compiled guest.
#[derive(Debug, Clone)]
pub(crate) enum Program {
    /// A core module: a WASI preview 1 command.
    Module(Module),
    /// A component: a `wasi:cli/command` of WASI 0.2.
    Component(Component),
}

/// Whether a file starting with `head` is a component: the binary format's
/// magic, then a version word whose layer field (its upper half) is 1; a core
/// module's is 0.
fn is_component(head: &[u8]) -> bool {
    head.len() >= 8 && head[..4] == *b"\0asm" && head[6..8] == [1, 0]
}

/// Compiles the module or component at `path`, or loads what an earlier run
/// cached for the same bytes and engine settings.
pub(crate) fn load(engine: &Engine, path: &Path) -> Result<Program> {
    let mut file = open(path)?;
    let mut head = [0u8; 8];
    let component = match file.read_exact(&mut head) {
        Ok(()) => is_component(&head),
        // Shorter than a header: compiling it reports what is wrong.
        Err(_) => false,
    };
    file.rewind()
        .with_context(|| format!("reading module `{}`", path.display()))?;
    let cache = Cache::open();
    if let Some(cache) = &cache {
        // Hash the file as a stream: a cache hit never holds the module's
        // bytes in memory.
        let mut h = blake3::Hasher::new();
        h.update_reader(bounded(&file))
            .with_context(|| format!("reading module `{}`", path.display()))?;
        if let Some(p) = cache.get(engine, &h.finalize(), component) {
            return Ok(p);
        }
        file.rewind()
            .with_context(|| format!("reading module `{}`", path.display()))?;
    }
    let mut wasm = Vec::new();
    bounded(&file)
        .read_to_end(&mut wasm)
        .with_context(|| format!("reading module `{}`", path.display()))?;
    if wasm.len() as u64 > MAX_MODULE_BYTES {
        bail!(
            "reading module `{}`: it grew past the {} MiB a module may have",
            path.display(),
            MAX_MODULE_BYTES >> 20
        );
    }
    // The kind is decided again on the bytes compiled (the file may have
    // changed since its head was read).
    let program = if is_component(&wasm) {
        wt(Component::new(engine, &wasm)).map(Program::Component)
    } else {
        wt(Module::new(engine, &wasm)).map(Program::Module)
    }
    .with_context(|| format!("compiling module `{}`", path.display()))?;
    if let Some(cache) = &cache {
        // Keyed by the bytes compiled.
        cache.put(engine, &blake3::hash(&wasm), &program);
    }
    Ok(program)
}

/// At most one byte more than a module may have, so growth is seen.
fn bounded(file: &File) -> impl Read + '_ {
    file.take(MAX_MODULE_BYTES + 1)
}

/// Opens `path` if it is a regular file no larger than [`MAX_MODULE_BYTES`].
/// The open does not block (a FIFO would wait for a writer), and the checks
/// are on the opened file, not on a second lookup of the path.
fn open(path: &Path) -> Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(OFlags::NONBLOCK.bits() as i32)
        .open(path)
        .with_context(|| format!("opening module `{}`", path.display()))?;
    let meta = file
        .metadata()
        .with_context(|| format!("opening module `{}`", path.display()))?;
    if !meta.is_file() {
        bail!(
            "opening module `{}`: not a regular file ({})",
            path.display(),
            kind(&meta)
        );
    }
    if meta.len() > MAX_MODULE_BYTES {
        bail!(
            "opening module `{}`: {} MiB is more than the {} MiB a module may have",
            path.display(),
            meta.len() >> 20,
            MAX_MODULE_BYTES >> 20
        );
    }
    Ok(file)
}

/// What a file that is not a regular file is, in words.
fn kind(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

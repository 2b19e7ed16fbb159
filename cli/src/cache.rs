//! On-disk cache of compiled modules, in a directory only the current user
//! can write, keyed by the module's bytes and the engine's settings.
//!
//! Trust: an entry is native code that wasmtime maps and runs without
//! checking it (`Module::deserialize_*` is `unsafe` for that reason), and
//! nothing inside an entry could prove who wrote it: a checksum or a key
//! anyone can compute proves nothing against someone who can write the
//! directory. So the trust boundary is the directory itself, as for ssh's
//! keys: strata creates it 0700 and uses it only if the current user owns it
//! and neither group nor others can write it; otherwise it warns and
//! compiles. Every access goes through the directory's open descriptor, so
//! the directory checked is the one used. This trusts the user's own
//! account: anything running as the user can replace an entry, as it could
//! replace the `strata` binary.

use std::fs::{DirBuilder, File, Metadata, OpenOptions};
use std::hash::Hasher;
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::PathBuf;

use rustix::fs::{AtFlags, Mode, OFlags};
use wasmtime::component::Component;
use wasmtime::{Engine, Module};

use crate::module::Program;

/// Names the entry format; a new one leaves old entries unused.
const FORMAT: &[u8] = b"strata module cache 2";

/// Prefix of the temporary file an entry is written to, followed by the
/// writer's pid.
const TMP_PREFIX: &str = ".tmp-";

/// Where compiled modules are kept: `$STRATA_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/strata/modules`, else `~/.cache/strata/modules`.
fn cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("STRATA_CACHE_DIR") {
        return Some(PathBuf::from(d));
    }
    let base = match std::env::var_os("XDG_CACHE_HOME") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".cache"),
    };
    Some(base.join("strata").join("modules"))
}

/// The cache directory, open and checked.
#[derive(Debug)]
pub(crate) struct Cache {
    dir: File,
}

impl Cache {
    /// Opens (creating it 0700 if needed) the cache directory. `None` when
    /// there is none to use: no home directory, no permission to create it
    /// (silently: that only costs a compilation), or a directory others
    /// could write (with one warning line).
    pub(crate) fn open() -> Option<Cache> {
        let path = cache_dir()?;
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&path)
            .ok()?;
        let dir = OpenOptions::new()
            .read(true)
            .custom_flags((OFlags::DIRECTORY | OFlags::CLOEXEC).bits() as i32)
            .open(&path)
            .ok()?;
        let meta = dir.metadata().ok()?;
        if let Err(why) = private(&meta) {
            eprintln!(
                "strata: warning: not using the module cache `{}`: {why} \
                 (it must be yours and writable only by you, e.g. mode 700)",
                path.display()
            );
            return None;
        }
        Some(Cache { dir })
    }

    /// The module cached for `wasm` (the module's blake3) and `engine`'s
    /// settings, if there is a usable entry.
    pub(crate) fn get(
        &self,
        engine: &Engine,
        wasm: &blake3::Hash,
        component: bool,
    ) -> Option<Program> {
        let fd = rustix::fs::openat(
            &self.dir,
            entry_name(engine, wasm),
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .ok()?;
        let file = File::from(fd);
        let meta = file.metadata().ok()?;
        if !meta.is_file() || private(&meta).is_err() {
            return None;
        }
        // SAFETY: wasmtime requires the file to hold what `Module::serialize`
        // wrote for a compatible engine, unchanged while the module lives.
        // It does: only this user can write the directory (checked in
        // `open`, and the file's own owner and mode here), entries come only
        // from `put`, whose name covers the engine's compatibility hash
        // (wasmtime also rejects another version's or configuration's
        // artifact itself), and an entry is never written in place: `put`
        // renames a new file over it, which leaves this mapped one intact.
        // The same holds for a component, whose entries `put` writes alike
        // (a file's bytes are a module or a component, never both).
        // wasmtime 48 maps only a module's open file; a component's artifact
        // is read into memory (and copied by wasmtime).
        #[allow(unsafe_code)]
        let program = if component {
            let mut art = Vec::new();
            (&file).read_to_end(&mut art).ok()?;
            unsafe { Component::deserialize(engine, &art) }.map(Program::Component)
        } else {
            unsafe { Module::deserialize_open_file(engine, file) }.map(Program::Module)
        };
        program.ok()
    }

    /// Caches `module`, compiled by `engine` from a module whose blake3 is
    /// `wasm`. Failures only cost a compilation next time, so they are
    /// ignored.
    pub(crate) fn put(&self, engine: &Engine, wasm: &blake3::Hash, program: &Program) {
        self.remove_stale_temps();
        let _ = self.write(&entry_name(engine, wasm), program);
    }

    /// Writes the entry `name` whole or not at all: into a temporary file,
    /// synced, then renamed over the name, so no reader ever sees a partial
    /// entry, even after a crash.
    fn write(&self, name: &str, program: &Program) -> io::Result<()> {
        let art = match program {
            Program::Module(m) => m.serialize(),
            Program::Component(c) => c.serialize(),
        }
        .map_err(io::Error::other)?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let tmp = format!("{TMP_PREFIX}{}-{nanos}", std::process::id());
        let fd = rustix::fs::openat(
            &self.dir,
            &tmp,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )?;
        let mut f = File::from(fd);
        let written = f
            .write_all(&art)
            .and_then(|()| f.sync_all())
            .and_then(|()| {
                rustix::fs::renameat(&self.dir, &tmp, &self.dir, name).map_err(io::Error::from)
            });
        if written.is_err() {
            let _ = rustix::fs::unlinkat(&self.dir, &tmp, AtFlags::empty());
        }
        written
    }

    /// Removes temporary files that processes killed while writing an entry
    /// left behind (their pid no longer runs).
    fn remove_stale_temps(&self) {
        let Ok(list) = rustix::fs::Dir::read_from(&self.dir) else {
            return;
        };
        for entry in list.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(pid) = name
                .strip_prefix(TMP_PREFIX)
                .and_then(|r| r.split('-').next())
                .and_then(|p| p.parse::<i32>().ok())
                .and_then(rustix::process::Pid::from_raw)
            else {
                continue;
            };
            // kill(pid, 0): ESRCH means no such process.
            if rustix::process::test_kill_process(pid) == Err(rustix::io::Errno::SRCH) {
                let _ = rustix::fs::unlinkat(&self.dir, entry.file_name(), AtFlags::empty());
            }
        }
    }
}

/// Whether a cache directory or entry is the current user's alone.
fn private(meta: &Metadata) -> Result<(), String> {
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Err(format!("it is owned by uid {}, not {me}", meta.uid()));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!(
            "it is writable by group or others (mode {:o})",
            meta.mode() & 0o7777
        ));
    }
    Ok(())
}

/// The entry's file name: a hash of the format, the module's blake3 and the
/// engine's compatibility hash (wasmtime's version and every setting that
/// changes compiled code, `--fuel` and `--timeout` included).
fn entry_name(engine: &Engine, wasm: &blake3::Hash) -> String {
    let mut h = blake3::Hasher::new();
    h.update(FORMAT).update(wasm.as_bytes());
    std::hash::Hash::hash(
        &engine.precompile_compatibility_hash(),
        &mut Blake3Hasher(&mut h),
    );
    format!("{}.cwasm", h.finalize().to_hex())
}

/// Feeds what a `Hash` implementation writes into blake3 (all 256 bits,
/// not `Hasher::finish`'s 64, go into the key).
struct Blake3Hasher<'a>(&'a mut blake3::Hasher);

impl Hasher for Blake3Hasher<'_> {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        // Never called: the key is the blake3 hasher's own output.
        0
    }
}

//! On-disk cache of compiled modules, keyed by module bytes and engine settings.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::PathBuf;

use anyhow::{Context, Result};
use wasmtime::{Engine, Module};

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

/// The file a module compiled by `engine` is cached in.
fn entry(engine: &Engine, wasm: &[u8]) -> Option<PathBuf> {
    let mut h = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    let key = blake3::Hasher::new()
        .update(wasm)
        .update(&h.finish().to_le_bytes())
        .finalize();
    Some(cache_dir()?.join(format!("{}.cwasm", key.to_hex())))
}

/// Compiles `wasm`, or loads the artifact a previous run cached. Cache failures
/// never fail the run: they only cost a compilation.
pub(crate) fn load(engine: &Engine, wasm: &[u8]) -> Result<Module> {
    let path = entry(engine, wasm);
    if let Some(p) = path.as_ref().filter(|p| p.exists()) {
        let bytes = std::fs::read(p).ok();
        // The artifact is stored with its own blake3 appended, so a truncated or
        // tampered file is recompiled rather than handed to the deserializer.
        if let Some(art) = bytes.as_deref().and_then(split_checked) {
            // SAFETY: wasmtime requires deserialized bytes to come from
            // `Module::serialize` of a compatible engine. They do: the key covers
            // the engine's compatibility hash, and the checksum proves the bytes
            // are the ones this program wrote.
            #[allow(unsafe_code)]
            if let Ok(m) = unsafe { Module::deserialize(engine, art) } {
                return Ok(m);
            }
        }
    }
    let module = crate::guest::wt(Module::new(engine, wasm)).context("compiling the module")?;
    if let Some(p) = path {
        let _ = store(&p, &module);
    }
    Ok(module)
}

fn split_checked(bytes: &[u8]) -> Option<&[u8]> {
    let (art, sum) = bytes.split_at_checked(bytes.len().checked_sub(32)?)?;
    (blake3::hash(art).as_bytes() == sum).then_some(art)
}

fn store(path: &std::path::Path, module: &Module) -> Result<()> {
    let dir = path.parent().context("cache path")?;
    std::fs::create_dir_all(dir)?;
    let mut art = crate::guest::wt(module.serialize())?;
    let sum = blake3::hash(&art);
    art.extend_from_slice(sum.as_bytes());
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, &art)?;
    tmp.persist(path)?;
    Ok(())
}

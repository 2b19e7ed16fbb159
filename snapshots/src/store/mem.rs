//! `MemBackend`: an in-memory backend that can fail from the N-th write on.

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use super::backend::{AtomicWrite, Backend};

#[derive(Debug, Default)]
struct State {
    files: BTreeMap<String, Vec<u8>>,
    writes: u64,
    fail_from: Option<u64>,
}

/// A store backend in memory, for tests: clones share the same files, so a test
/// can keep one to inspect, damage or break the storage under a store.
///
/// With [`MemBackend::fail_from`] set, the N-th write attempt and every later
/// one fail like a full disk, leaving nothing behind (writes are atomic).
#[derive(Debug, Clone, Default)]
pub struct MemBackend {
    state: Arc<Mutex<State>>,
}

impl MemBackend {
    /// An empty backend.
    pub fn new() -> MemBackend {
        MemBackend::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes write attempt number `n` (counting from 1 over the backend's life)
    /// and all later ones fail; `None` heals it.
    pub fn fail_from(&self, n: Option<u64>) {
        self.lock().fail_from = n;
    }

    /// Write attempts so far.
    pub fn writes(&self) -> u64 {
        self.lock().writes
    }

    /// Every file and its content.
    pub fn files(&self) -> BTreeMap<String, Vec<u8>> {
        self.lock().files.clone()
    }

    /// Replaces (or with `None` removes) a file, bypassing fault injection: for
    /// damaging a store on purpose.
    pub fn set(&self, path: &str, data: Option<Vec<u8>>) {
        let mut s = self.lock();
        match data {
            Some(d) => s.files.insert(path.to_owned(), d),
            None => s.files.remove(path),
        };
    }
}

impl MemBackend {
    /// One write attempt: fails if fault injection says so.
    fn insert(&self, path: &str, data: Vec<u8>) -> io::Result<()> {
        let mut s = self.lock();
        s.writes += 1;
        if s.fail_from.is_some_and(|n| s.writes >= n) {
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                "injected write failure",
            ));
        }
        s.files.insert(path.to_owned(), data);
        Ok(())
    }
}

/// A file being written into a `MemBackend`: kept aside until committed.
struct MemFile<'a> {
    backend: &'a MemBackend,
    dir: String,
    data: Vec<u8>,
}

impl AtomicWrite for MemFile<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.data.extend_from_slice(data);
        Ok(())
    }

    fn write_owned(&mut self, data: Vec<u8>) -> io::Result<()> {
        if self.data.is_empty() {
            // Taken as is: a pack is not copied on its way into memory.
            self.data = data;
            Ok(())
        } else {
            self.write(&data)
        }
    }

    fn commit(self: Box<Self>, name: &str) -> io::Result<()> {
        let MemFile { backend, dir, data } = *self;
        backend.insert(&format!("{dir}/{name}"), data)
    }
}

impl Backend for MemBackend {
    fn read(&self, path: &str, limit: u64) -> io::Result<Option<Vec<u8>>> {
        let s = self.lock();
        Ok(s.files.get(path).map(|d| {
            let n = usize::try_from(limit).unwrap_or(usize::MAX).min(d.len());
            d[..n].to_vec()
        }))
    }

    fn read_at(&self, path: &str, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let s = self.lock();
        let d = s.files.get(path).ok_or(io::ErrorKind::NotFound)?;
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        match start.checked_add(len) {
            Some(end) if end <= d.len() => Ok(d[start..end].to_vec()),
            _ => Err(io::ErrorKind::UnexpectedEof.into()),
        }
    }

    fn size(&self, path: &str) -> io::Result<Option<u64>> {
        Ok(self.lock().files.get(path).map(|d| d.len() as u64))
    }

    fn exists(&self, path: &str) -> io::Result<bool> {
        Ok(self.lock().files.contains_key(path))
    }

    fn write_atomic(&self, path: &str, data: &[u8]) -> io::Result<()> {
        self.insert(path, data.to_vec())
    }

    fn create_atomic(&self, dir: &str) -> io::Result<Box<dyn AtomicWrite + '_>> {
        Ok(Box::new(MemFile {
            backend: self,
            dir: dir.to_owned(),
            data: Vec::new(),
        }))
    }

    fn piece_size(&self) -> usize {
        usize::MAX
    }

    fn read_ahead(&self) -> usize {
        0
    }

    fn remove(&self, path: &str) -> io::Result<()> {
        self.lock().files.remove(path);
        Ok(())
    }

    fn list(&self, dir: &str) -> io::Result<Vec<String>> {
        let prefix = format!("{dir}/");
        let s = self.lock();
        let mut out: Vec<String> = s
            .files
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter_map(|(k, _)| k[prefix.len()..].split('/').next().map(str::to_owned))
            .collect();
        out.dedup();
        Ok(out)
    }
}

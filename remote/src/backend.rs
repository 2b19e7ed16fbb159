//! `ObjectBackend`: a store kept under a prefix of an object-store bucket, through `object_store`.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use object_store::path::Path;
use object_store::{
    Error as OsError, GetOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload,
    UpdateVersion,
};
use strata_snapshots::{Backend, CAS_LIMIT};
use tokio::runtime::Runtime;

/// How many requests of each kind a backend made (for tests and figures).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestStats {
    /// GET requests (whole objects and ranges).
    pub gets: u64,
    /// PUT requests (each a whole file).
    pub puts: u64,
    /// HEAD requests.
    pub heads: u64,
    /// LIST requests (one per listed folder).
    pub lists: u64,
    /// DELETE requests.
    pub deletes: u64,
    /// Bytes sent by PUT.
    pub bytes_put: u64,
    /// Bytes received by GET.
    pub bytes_got: u64,
}

/// A handle on a backend's request counts that outlives lending the backend
/// to a `Store` (see [`ObjectBackend::requests`]).
#[derive(Debug, Clone, Default)]
pub struct Requests(Arc<Counters>);

impl Requests {
    /// The requests made so far.
    pub fn stats(&self) -> RequestStats {
        let c = &self.0;
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        RequestStats {
            gets: l(&c.gets),
            puts: l(&c.puts),
            heads: l(&c.heads),
            lists: l(&c.lists),
            deletes: l(&c.deletes),
            bytes_put: l(&c.bytes_put),
            bytes_got: l(&c.bytes_got),
        }
    }
}

impl RequestStats {
    /// Requests of every kind.
    pub fn total(&self) -> u64 {
        self.gets + self.puts + self.heads + self.lists + self.deletes
    }
}

#[derive(Debug, Default)]
struct Counters {
    gets: AtomicU64,
    puts: AtomicU64,
    heads: AtomicU64,
    lists: AtomicU64,
    deletes: AtomicU64,
    bytes_put: AtomicU64,
    bytes_got: AtomicU64,
}

fn bump(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

/// The version of a file as read (its ETag, and version id if the bucket
/// keeps versions), for a conditional write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(UpdateVersion);

/// A snapshot store's files as objects under `PREFIX/` of a bucket.
///
/// `object_store` is asynchronous; this backend owns a small current-thread
/// tokio runtime and blocks on it, so the store above stays synchronous.
/// Many threads may call it at once (each blocks on its own request).
///
/// Objects and packs are written create-if-absent (`If-None-Match: *`): they
/// are named by their content, so one already there is kept. A ref's
/// compare-and-swap is a PUT with `If-Match` on the ETag read with it.
pub struct ObjectBackend {
    store: Arc<dyn ObjectStore>,
    /// Shown in errors: `s3://BUCKET/PREFIX`.
    url: String,
    /// The key prefix, without a trailing `/` (empty for the bucket's root).
    prefix: String,
    runtime: Runtime,
    grace: Duration,
    counters: Requests,
}

impl fmt::Debug for ObjectBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectBackend")
            .field("url", &self.url)
            .field("grace", &self.grace)
            .finish_non_exhaustive()
    }
}

/// Whether files at `path` are named by their content (written once).
fn content_addressed(path: &str) -> bool {
    path.starts_with("objects/") || path.starts_with("packs/")
}

impl ObjectBackend {
    /// A backend over `store`, keeping its files under `prefix` (no leading
    /// or trailing `/`); `url` names it in errors; `grace` is `gc`'s grace
    /// period (see `Backend::gc_grace`).
    pub fn new(
        store: Arc<dyn ObjectStore>,
        url: impl Into<String>,
        prefix: &str,
        grace: Duration,
    ) -> io::Result<ObjectBackend> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(ObjectBackend {
            store,
            url: url.into(),
            prefix: prefix.trim_matches('/').to_owned(),
            runtime,
            grace,
            counters: Requests::default(),
        })
    }

    /// The request counts of this backend, readable after it is handed to
    /// a `Store`.
    pub fn requests(&self) -> Requests {
        self.counters.clone()
    }

    /// The store's URL, `s3://BUCKET/PREFIX`.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn key(&self, path: &str) -> Path {
        if self.prefix.is_empty() {
            Path::from(path)
        } else {
            Path::from(format!("{}/{path}", self.prefix))
        }
    }

    /// One line naming the file and the operation, keeping the error's kind.
    fn fail(&self, op: &str, path: &str, e: OsError) -> io::Error {
        let kind = match &e {
            OsError::NotFound { .. } => io::ErrorKind::NotFound,
            OsError::AlreadyExists { .. } => io::ErrorKind::AlreadyExists,
            _ => io::ErrorKind::Other,
        };
        let msg = e.to_string().replace('\n', " ");
        io::Error::new(kind, format!("{op} `{}/{path}`: {msg}", self.url))
    }

    /// The whole file at `path` and the version read (its ETag); `None` if
    /// absent.
    pub fn read_versioned(&self, path: &str) -> io::Result<Option<(Vec<u8>, Version)>> {
        Ok(self.get_versioned(path)?.map(|(b, v)| (b, Version(v))))
    }

    /// Writes `data` at `path` only if the file is still at `version`
    /// (`If-Match`), or with `None` only if it is absent (`If-None-Match: *`);
    /// `false` if the condition failed and nothing was written.
    pub fn write_if(&self, path: &str, data: &[u8], version: Option<&Version>) -> io::Result<bool> {
        let mode = match version {
            None => PutMode::Create,
            Some(v) => PutMode::Update(v.0.clone()),
        };
        match self.put(path, data.to_vec(), mode) {
            Ok(()) => Ok(true),
            Err(OsError::AlreadyExists { .. } | OsError::Precondition { .. }) => Ok(false),
            Err(e) => Err(self.fail("writing", path, e)),
        }
    }

    /// The whole file and its version; `None` if absent.
    fn get_versioned(&self, path: &str) -> io::Result<Option<(Vec<u8>, UpdateVersion)>> {
        bump(&self.counters.0.gets, 1);
        let key = self.key(path);
        let got = self.runtime.block_on(async {
            let r = self.store.get_opts(&key, GetOptions::default()).await?;
            let version = UpdateVersion {
                e_tag: r.meta.e_tag.clone(),
                version: r.meta.version.clone(),
            };
            Ok::<_, OsError>((r.bytes().await?, version))
        });
        match got {
            Ok((b, v)) => {
                bump(&self.counters.0.bytes_got, b.len() as u64);
                Ok(Some((b.to_vec(), v)))
            }
            Err(OsError::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.fail("reading", path, e)),
        }
    }

    fn put(&self, path: &str, data: Vec<u8>, mode: PutMode) -> Result<(), OsError> {
        bump(&self.counters.0.puts, 1);
        bump(&self.counters.0.bytes_put, data.len() as u64);
        let key = self.key(path);
        let payload = PutPayload::from(data);
        self.runtime
            .block_on(self.store.put_opts(&key, payload, PutOptions::from(mode)))
            .map(|_| ())
    }

    /// Writes a whole file: create-if-absent for content-addressed files.
    fn write_owned(&self, path: &str, data: Vec<u8>) -> io::Result<()> {
        let mode = if content_addressed(path) {
            PutMode::Create
        } else {
            PutMode::Overwrite
        };
        match self.put(path, data.clone(), mode) {
            Ok(()) => Ok(()),
            // Present, with the same content (its name says so). A writer
            // writes an object it could have found only if gc listed it for
            // removal (see the snapshots crate's `shared_gc`): rewriting the
            // same bytes renews its time, which tells gc a save needs it.
            Err(OsError::AlreadyExists { .. }) => self
                .put(path, data, PutMode::Overwrite)
                .map_err(|e| self.fail("writing", path, e)),
            Err(e) => Err(self.fail("writing", path, e)),
        }
    }

    fn head(&self, path: &str) -> io::Result<Option<object_store::ObjectMeta>> {
        bump(&self.counters.0.heads, 1);
        match self.runtime.block_on(self.store.head(&self.key(path))) {
            Ok(m) => Ok(Some(m)),
            Err(OsError::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.fail("looking up", path, e)),
        }
    }
}

impl Backend for ObjectBackend {
    fn read(&self, path: &str, limit: u64) -> io::Result<Option<Vec<u8>>> {
        Ok(self.get_versioned(path)?.map(|(mut b, _)| {
            b.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            b
        }))
    }

    fn read_at(&self, path: &str, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let end = offset
            .checked_add(len as u64)
            .ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof))?;
        bump(&self.counters.0.gets, 1);
        let key = self.key(path);
        let got = self.runtime.block_on(async {
            let opts = GetOptions::default().with_range(Some(offset..end));
            let r = self.store.get_opts(&key, opts).await?;
            r.bytes().await
        });
        match got {
            Ok(b) if b.len() == len => {
                bump(&self.counters.0.bytes_got, len as u64);
                Ok(b.to_vec())
            }
            Ok(_) => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("reading `{}/{path}`: shorter than expected", self.url),
            )),
            Err(e @ OsError::NotFound { .. }) => Err(self.fail("reading", path, e)),
            // A range past the end of the file: the server refuses it (416).
            Err(e) if e.to_string().contains("Range") || e.to_string().contains("range") => {
                Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("reading `{}/{path}`: shorter than expected", self.url),
                ))
            }
            Err(e) => Err(self.fail("reading", path, e)),
        }
    }

    fn size(&self, path: &str) -> io::Result<Option<u64>> {
        Ok(self.head(path)?.map(|m| m.size))
    }

    fn exists(&self, path: &str) -> io::Result<bool> {
        Ok(self.head(path)?.is_some())
    }

    fn write_atomic(&self, path: &str, data: &[u8]) -> io::Result<()> {
        self.write_owned(path, data.to_vec())
    }

    fn piece_size(&self) -> usize {
        // One PUT per pack: hand the whole buffer over (no copy).
        usize::MAX
    }

    fn read_ahead(&self) -> usize {
        // A request costs a round trip: fetch the next objects with it.
        4 << 20
    }

    fn remove(&self, path: &str) -> io::Result<()> {
        bump(&self.counters.0.deletes, 1);
        match self.runtime.block_on(self.store.delete(&self.key(path))) {
            Ok(()) | Err(OsError::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.fail("removing", path, e)),
        }
    }

    fn list(&self, dir: &str) -> io::Result<Vec<String>> {
        bump(&self.counters.0.lists, 1);
        let key = self.key(dir);
        let listed = self
            .runtime
            .block_on(self.store.list_with_delimiter(Some(&key)))
            .map_err(|e| self.fail("listing", dir, e))?;
        let names = listed
            .common_prefixes
            .iter()
            .chain(listed.objects.iter().map(|m| &m.location))
            .filter_map(|p| p.filename().map(str::to_owned))
            .collect();
        Ok(names)
    }

    fn modified(&self, path: &str) -> io::Result<Option<SystemTime>> {
        Ok(self.head(path)?.map(|m| SystemTime::from(m.last_modified)))
    }

    fn compare_and_swap(
        &self,
        path: &str,
        expected: Option<&[u8]>,
        data: &[u8],
    ) -> io::Result<Result<(), Option<Vec<u8>>>> {
        let current = self.get_versioned(path)?;
        let found = current.as_ref().map(|(b, _)| {
            &b[..b
                .len()
                .min(usize::try_from(CAS_LIMIT).unwrap_or(usize::MAX))]
        });
        if found != expected {
            return Ok(Err(found.map(<[u8]>::to_vec)));
        }
        let version = current.map(|(_, v)| Version(v));
        if self.write_if(path, data, version.as_ref())? {
            Ok(Ok(()))
        } else {
            // Changed since it was read: report what it holds now.
            Ok(Err(self.get_versioned(path)?.map(|(b, _)| b)))
        }
    }

    fn gc_grace(&self) -> Option<Duration> {
        Some(self.grace)
    }
}

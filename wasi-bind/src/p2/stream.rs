//! `wasi:io` streams over engine files: what `read-via-stream`,
//! `write-via-stream` and `append-via-stream` return.
//!
//! A stream holds its own handle on the description and the filesystem it
//! lives in, so it outlives the descriptor it came from as wasmtime-wasi's do.
//! Every read and write completes during the call (the upper layer is memory),
//! so the streams are always ready and never report "try again later".

use strata_engine::Handle;
use wasmtime_wasi::p2::{InputStream, OutputStream, Pollable, StreamError, StreamResult};
use wasmtime_wasi_io::bytes::{Bytes, BytesMut};

use super::error::code;
use super::fs::SharedFs;

/// The most one read returns and one write may be given: wasmtime-wasi's
/// `MAX_READ_SIZE_ALLOC`, so guests see the same chunking.
pub(crate) const CHUNK: usize = 64 * 1024;

/// Where an output stream writes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum WriteAt {
    /// At this offset, which advances.
    Offset(u64),
    /// At the end of the file, whatever its size is then.
    End,
}

/// A stream reading a file from an offset.
#[derive(Debug)]
pub(crate) struct FileReader {
    fs: SharedFs,
    handle: Option<Handle>,
    pos: u64,
    closed: bool,
}

impl FileReader {
    pub(crate) fn new(fs: SharedFs, handle: Handle, pos: u64) -> Self {
        Self {
            fs,
            handle: Some(handle),
            pos,
            closed: false,
        }
    }
}

impl InputStream for FileReader {
    fn read(&mut self, size: usize) -> StreamResult<Bytes> {
        if self.closed {
            return Err(StreamError::Closed);
        }
        if size == 0 {
            return Ok(Bytes::new());
        }
        let Some(h) = &self.handle else {
            return Err(StreamError::Closed);
        };
        let mut buf = BytesMut::zeroed(size.min(CHUNK));
        let n = match self.fs.lock().pread(h, &mut buf, self.pos) {
            Ok(n) => n,
            Err(e) => {
                self.closed = true;
                return Err(StreamError::LastOperationFailed(code(&e).into()));
            }
        };
        if n == 0 {
            self.closed = true;
            return Err(StreamError::Closed);
        }
        buf.truncate(n);
        self.pos += n as u64;
        Ok(buf.freeze())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for FileReader {
    async fn ready(&mut self) {}
}

impl Drop for FileReader {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            self.fs.lock().close(h);
        }
    }
}

/// A stream writing a file at an offset or at its end.
#[derive(Debug)]
pub(crate) struct FileWriter {
    fs: SharedFs,
    handle: Option<Handle>,
    at: WriteAt,
    /// The error of the last write, reported by the next call as
    /// `last-operation-failed`, after which the stream is closed.
    failed: Option<StreamError>,
    closed: bool,
}

impl FileWriter {
    pub(crate) fn new(fs: SharedFs, handle: Handle, at: WriteAt) -> Self {
        Self {
            fs,
            handle: Some(handle),
            at,
            failed: None,
            closed: false,
        }
    }

    fn check(&mut self) -> StreamResult<()> {
        if let Some(e) = self.failed.take() {
            self.closed = true;
            return Err(e);
        }
        if self.closed {
            return Err(StreamError::Closed);
        }
        Ok(())
    }
}

impl OutputStream for FileWriter {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.check()?;
        if bytes.len() > CHUNK {
            return Err(StreamError::Trap(wasmtime::format_err!(
                "write of {} bytes exceeds the permitted {CHUNK} (check-write)",
                bytes.len()
            )));
        }
        let Some(h) = &self.handle else {
            return Err(StreamError::Closed);
        };
        let mut fs = self.fs.lock();
        let result = match self.at {
            WriteAt::Offset(off) => fs.pwrite(h, &[&bytes], off),
            WriteAt::End => fs.stat(h).and_then(|st| fs.pwrite(h, &[&bytes], st.size)),
        };
        match result {
            Ok(n) => {
                if let WriteAt::Offset(off) = &mut self.at {
                    *off += n as u64;
                }
            }
            // Reported by the next call, as wasmtime-wasi reports a failed
            // background write.
            Err(e) => self.failed = Some(StreamError::LastOperationFailed(code(&e).into())),
        }
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        self.check()
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        self.check()?;
        Ok(CHUNK)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for FileWriter {
    async fn ready(&mut self) {}
}

impl Drop for FileWriter {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            self.fs.lock().close(h);
        }
    }
}

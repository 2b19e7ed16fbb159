//! The three standard streams: inherited from the host, captured to memory, or fed from bytes.

use std::io::{self, IsTerminal, Read, Write};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::abi::{Errno, filetype};
use crate::fault::CallResult;

/// A memory buffer that receives a guest's stdout or stderr.
///
/// Clone it before handing it to the builder and read it with [`Self::contents`]
/// after the run, like wasmtime-wasi's `MemoryOutputPipe`. Writes past `capacity`
/// are cut short, then fail with ENOSPC, so a chatty guest cannot exhaust host memory.
#[derive(Clone, Debug)]
pub struct OutputCapture {
    buf: Arc<Mutex<Vec<u8>>>,
    capacity: usize,
}

impl OutputCapture {
    /// A capture that holds at most `capacity` bytes.
    pub fn new(capacity: usize) -> Self {
        Self {
            buf: Arc::default(),
            capacity,
        }
    }

    /// Everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        self.lock().clone()
    }

    /// The bytes written so far, as (lossy) UTF-8.
    pub fn contents_string(&self) -> String {
        String::from_utf8_lossy(&self.lock()).into_owned()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
        // A panic while holding the lock cannot leave the Vec half-written in a way
        // that matters to a reader, so a poisoned lock is still usable.
        self.buf.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends as much of `data` as fits; returns how much that was.
    pub(crate) fn append(&self, data: &[u8]) -> Result<usize, Errno> {
        let mut buf = self.lock();
        let room = self.capacity.saturating_sub(buf.len());
        if room == 0 && !data.is_empty() {
            return Err(Errno::Nospc);
        }
        let n = room.min(data.len());
        buf.extend_from_slice(&data[..n]);
        Ok(n)
    }
}

/// Where fd 0 reads from.
#[derive(Debug)]
pub(crate) enum StdinSource {
    /// The host process's stdin.
    Inherit,
    /// A fixed byte string, then end-of-file.
    Bytes { data: Vec<u8>, pos: usize },
}

impl StdinSource {
    /// Reads into `buf`; 0 means end of file.
    pub(crate) fn read(&mut self, buf: &mut [u8]) -> CallResult<usize> {
        match self {
            StdinSource::Inherit => Ok(io::stdin().lock().read(buf)?),
            StdinSource::Bytes { data, pos } => {
                let rest = &data[*pos..];
                let n = rest.len().min(buf.len());
                buf[..n].copy_from_slice(&rest[..n]);
                *pos += n;
                Ok(n)
            }
        }
    }

    /// The filetype `fd_fdstat_get` reports: a character device only for a terminal,
    /// like wasmtime-wasi, so guests' isatty() agrees with the host's.
    pub(crate) fn filetype(&self) -> u8 {
        match self {
            StdinSource::Inherit if io::stdin().is_terminal() => filetype::CHARACTER_DEVICE,
            _ => filetype::UNKNOWN,
        }
    }
}

/// Which host stream an inherited output writes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HostStream {
    Stdout,
    Stderr,
}

/// Where fd 1 or fd 2 writes to.
#[derive(Debug)]
pub(crate) enum OutputSink {
    /// The host's own stdout or stderr.
    Inherit(HostStream),
    /// A memory buffer the embedder reads afterwards.
    Capture(OutputCapture),
    /// Accepted and dropped (the default, as in wasmtime-wasi).
    Discard,
}

impl OutputSink {
    /// Writes `data`, returning how many bytes were taken.
    pub(crate) fn write(&mut self, data: &[u8]) -> CallResult<usize> {
        match self {
            OutputSink::Inherit(HostStream::Stdout) => {
                let mut out = io::stdout().lock();
                out.write_all(data)?;
                // Flush per call so output interleaves with stderr as the guest wrote it.
                out.flush()?;
                Ok(data.len())
            }
            OutputSink::Inherit(HostStream::Stderr) => {
                io::stderr().lock().write_all(data)?;
                Ok(data.len())
            }
            OutputSink::Capture(c) => Ok(c.append(data)?),
            OutputSink::Discard => Ok(data.len()),
        }
    }

    /// See [`StdinSource::filetype`].
    pub(crate) fn filetype(&self) -> u8 {
        let tty = match self {
            OutputSink::Inherit(HostStream::Stdout) => io::stdout().is_terminal(),
            OutputSink::Inherit(HostStream::Stderr) => io::stderr().is_terminal(),
            OutputSink::Capture(_) | OutputSink::Discard => false,
        };
        if tty {
            filetype::CHARACTER_DEVICE
        } else {
            filetype::UNKNOWN
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_is_bounded() {
        let c = OutputCapture::new(5);
        let mut sink = OutputSink::Capture(c.clone());
        assert_eq!(sink.write(b"abc").unwrap(), 3);
        assert_eq!(sink.write(b"defg").unwrap(), 2);
        assert_eq!(sink.write(b"h").unwrap_err().errno(), Some(Errno::Nospc));
        assert_eq!(sink.write(b"").unwrap(), 0);
        assert_eq!(c.contents(), b"abcde");
    }

    #[test]
    fn stdin_bytes_then_eof() {
        let mut s = StdinSource::Bytes {
            data: b"hello".to_vec(),
            pos: 0,
        };
        let mut buf = [0u8; 3];
        assert_eq!(s.read(&mut buf).unwrap(), 3);
        assert_eq!(&buf, b"hel");
        assert_eq!(s.read(&mut buf).unwrap(), 2);
        assert_eq!(s.read(&mut buf).unwrap(), 0);
        assert_eq!(s.filetype(), filetype::UNKNOWN);
    }
}

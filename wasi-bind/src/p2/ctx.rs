//! The WASI 0.2 context: [`StrataCtxBuilder::build_p2`] and what it builds.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use rand_core::{Infallible, TryRng};
use strata_engine::{Fs, Snapshot};
use wasmtime::component::ResourceTable;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::pipe::MemoryInputPipe;
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError, StreamResult};
use wasmtime_wasi::{HostWallClock, WasiCtx, WasiCtxBuilder};
use wasmtime_wasi_io::bytes::Bytes;

use super::Mount;
use super::clock::Monotonic;
use super::fs::SharedFs;
use crate::clocks::ClockPolicy;
use crate::ctx::{OutputSpec, StdinSpec, StrataCtxBuilder};
use crate::rng::{RandomPolicy, Xoshiro256};
use crate::stdio::OutputCapture;

/// Everything one component instance sees: wasmtime-wasi's context for cli,
/// clocks, random and sockets, the resource table, and the mounts.
///
/// Keep it as (or in) the store's data; see [`super::ComponentView`].
pub struct ComponentCtx {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) mounts: Vec<Mount>,
    pub(crate) monotonic: Monotonic,
}

impl std::fmt::Debug for ComponentCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComponentCtx")
            .field("mounts", &self.mounts)
            .finish_non_exhaustive()
    }
}

impl ComponentCtx {
    /// The current state of every mount, as (guest path, snapshot) pairs: O(1)
    /// per mount.
    pub fn snapshot(&self) -> Vec<(String, Snapshot)> {
        self.mounts
            .iter()
            .map(|m| (m.guest.clone(), m.fs.snapshot()))
            .collect()
    }

    /// Restores each mount named in `snaps` to its snapshot: O(1) per mount.
    pub fn restore(&mut self, snaps: &[(String, Snapshot)]) {
        for (guest, snap) in snaps {
            if let Some(m) = self.mounts.iter().find(|m| &m.guest == guest) {
                m.fs.lock().restore(snap);
            }
        }
    }

    /// Runs `f` on the filesystem mounted at `guest_path`.
    pub fn with_fs<R>(&self, guest_path: &str, f: impl FnOnce(&mut Fs) -> R) -> Option<R> {
        let m = self.mounts.iter().find(|m| m.guest == guest_path)?;
        Some(f(&mut m.fs.lock()))
    }
}

impl StrataCtxBuilder {
    /// Builds a WASI 0.2 context (for components; see [`crate::p2`]) from the
    /// same settings as [`Self::build`], and resets this builder.
    ///
    /// The CPU-time clocks setting and the copy budget have no 0.2 meaning and
    /// are ignored (a component's copies are bounded by wasmtime's hostcall
    /// fuel, a store setting); `max_fds` bounds the component's resource
    /// table at four entries per fd (a descriptor with its streams and
    /// pollables), so a guest cannot grow it without bound.
    pub fn build_p2(&mut self) -> ComponentCtx {
        let b = std::mem::take(self);
        let mut w = WasiCtxBuilder::new();
        w.args(&b.args).envs(&b.env);
        match b.stdin {
            StdinSpec::Empty => {}
            StdinSpec::Inherit => {
                w.inherit_stdin();
            }
            StdinSpec::Bytes(data) => {
                w.stdin(MemoryInputPipe::new(data));
            }
        }
        match b.stdout {
            OutputSpec::Discard => {}
            OutputSpec::Inherit => {
                w.inherit_stdout();
            }
            OutputSpec::Capture(c) => {
                w.stdout(c);
            }
        }
        match b.stderr {
            OutputSpec::Discard => {}
            OutputSpec::Inherit => {
                w.inherit_stderr();
            }
            OutputSpec::Capture(c) => {
                w.stderr(c);
            }
        }
        let monotonic = match b.clock {
            ClockPolicy::Host => Monotonic::Host(Instant::now()),
            ClockPolicy::Virtual { epoch_ns, step_ns } => {
                let now = Arc::new(AtomicU64::new(0));
                let step = step_ns.max(1);
                w.wall_clock(VirtualWall {
                    now: now.clone(),
                    epoch_ns,
                    step,
                });
                Monotonic::Virtual { now, step }
            }
        };
        if let RandomPolicy::Seeded(seed) = b.random {
            w.secure_random(Seeded(Xoshiro256::from_seed(seed)));
            w.insecure_random(Seeded(Xoshiro256::from_seed(seed ^ 0x5eed)));
            w.insecure_random_seed(u128::from(seed));
        }
        let mut table = ResourceTable::new();
        table.set_max_capacity((b.limits.max_fds as usize).saturating_mul(4));
        let mounts = b
            .mounts
            .into_iter()
            .map(|m| Mount {
                read_only: m.fs.config().read_only,
                guest: m.guest,
                fs: SharedFs::new(m.fs),
            })
            .collect();
        ComponentCtx {
            wasi: w.build(),
            table,
            mounts,
            monotonic,
        }
    }
}

/// Virtual wall time: the epoch plus a counter every read of either clock
/// advances by one step, as preview 1's virtual clocks do.
#[derive(Debug)]
struct VirtualWall {
    now: Arc<AtomicU64>,
    epoch_ns: u64,
    step: u64,
}

impl HostWallClock for VirtualWall {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(self.step)
    }

    fn now(&self) -> Duration {
        let t = self.now.fetch_add(self.step, Ordering::Relaxed) + self.step;
        Duration::from_nanos(self.epoch_ns.saturating_add(t))
    }
}

/// The seeded generator of deterministic mode, as wasmtime-wasi's random
/// interfaces take one.
#[derive(Debug)]
struct Seeded(Xoshiro256);

impl TryRng for Seeded {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.0.next_u64() >> 32) as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.0.next_u64())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.0.fill(dst);
        Ok(())
    }
}

impl IsTerminal for OutputCapture {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for OutputCapture {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(CaptureStream(self.clone()))
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(CaptureStream(self.clone()))
    }
}

/// A guest's stdout or stderr going into an [`OutputCapture`]: past its
/// capacity the write fails, as a full `MemoryOutputPipe` fails in wasmtime-wasi.
#[derive(Debug)]
struct CaptureStream(OutputCapture);

impl OutputStream for CaptureStream {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        match self.0.append(&bytes) {
            Ok(n) if n == bytes.len() => Ok(()),
            _ => Err(StreamError::Trap(wasmtime::format_err!(
                "stdout capture is full"
            ))),
        }
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(1 << 20)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for CaptureStream {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for CaptureStream {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(
            self.0
                .append(buf)
                .map_err(|_| std::io::Error::other("stdout capture is full")),
        )
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

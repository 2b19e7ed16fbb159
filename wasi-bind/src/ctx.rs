//! The per-guest context and its builder, in the style of wasmtime-wasi's `WasiCtxBuilder`.

use strata_engine::{Fs, Snapshot};

use crate::clocks::{ClockPolicy, Clocks};
use crate::fdtable::{Descriptor, FdTable, FsFd};
use crate::rng::{RandomPolicy, RandomSource};
use crate::stdio::{HostStream, OutputCapture, OutputSink, StdinSource};

/// Bounds that keep a hostile guest harmless.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes one call may copy between guest memory and the host (iovec arrays,
    /// strings, buffers); past it the call fails with ENOMEM. Default 128 MiB, the
    /// same as wasmtime's default hostcall fuel.
    pub copy_budget: u64,
    /// Most fds open at once, stdio included; past it opens fail with EMFILE.
    pub max_fds: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            copy_budget: 128 << 20,
            max_fds: 1024,
        }
    }
}

#[derive(Debug, Default)]
pub(crate) enum StdinSpec {
    #[default]
    Empty,
    Inherit,
    Bytes(Vec<u8>),
}

#[derive(Debug, Default)]
pub(crate) enum OutputSpec {
    #[default]
    Discard,
    Inherit,
    Capture(OutputCapture),
}

/// Builds a [`StrataCtx`].
///
/// Like wasmtime-wasi's builder, every setter takes `&mut self` and returns it for
/// chaining, and [`Self::build`] leaves the builder reset. By default the guest
/// has no arguments, no environment, an empty stdin, discarded stdout and stderr,
/// host clocks and host randomness.
///
/// ```
/// use strata_wasi::{OutputCapture, StrataCtxBuilder};
/// let out = OutputCapture::new(1 << 20);
/// let ctx = StrataCtxBuilder::new()
///     .args(&["prog", "--flag"])
///     .env("LANG", "C")
///     .stdout_capture(&out)
///     .deterministic(42)
///     .build();
/// # drop(ctx);
/// ```
#[derive(Debug, Default)]
pub struct StrataCtxBuilder {
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) stdin: StdinSpec,
    pub(crate) stdout: OutputSpec,
    pub(crate) stderr: OutputSpec,
    pub(crate) clock: ClockPolicy,
    pub(crate) cputime_clocks: bool,
    pub(crate) random: RandomPolicy,
    pub(crate) limits: Limits,
    pub(crate) mounts: Vec<Mount>,
}

/// A filesystem mounted at a guest path (a preopen).
#[derive(Debug)]
pub(crate) struct Mount {
    pub(crate) guest: String,
    pub(crate) fs: Fs,
}

impl StrataCtxBuilder {
    /// Mounts `fs` at `guest_path` as a preopened directory (fds 3, 4, … in the
    /// order given). Build `fs` over a host directory with
    /// `strata_engine::HostLower` for an overlay, or empty for a memory directory;
    /// a filesystem configured `read_only` refuses every change.
    pub fn preopen(&mut self, guest_path: impl AsRef<str>, fs: Fs) -> &mut Self {
        self.mounts.push(Mount {
            guest: guest_path.as_ref().to_owned(),
            fs,
        });
        self
    }

    /// A builder with the defaults above.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one argument (the first is conventionally the program name).
    pub fn arg(&mut self, arg: impl AsRef<str>) -> &mut Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Appends arguments.
    pub fn args(&mut self, args: &[impl AsRef<str>]) -> &mut Self {
        self.args.extend(args.iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Adds one environment variable.
    pub fn env(&mut self, key: impl AsRef<str>, value: impl AsRef<str>) -> &mut Self {
        self.env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Adds environment variables.
    pub fn envs(&mut self, env: &[(impl AsRef<str>, impl AsRef<str>)]) -> &mut Self {
        for (k, v) in env {
            self.env(k, v);
        }
        self
    }

    /// The guest reads the host's stdin.
    pub fn inherit_stdin(&mut self) -> &mut Self {
        self.stdin = StdinSpec::Inherit;
        self
    }

    /// The guest writes to the host's stdout.
    pub fn inherit_stdout(&mut self) -> &mut Self {
        self.stdout = OutputSpec::Inherit;
        self
    }

    /// The guest writes to the host's stderr.
    pub fn inherit_stderr(&mut self) -> &mut Self {
        self.stderr = OutputSpec::Inherit;
        self
    }

    /// All three streams are the host's.
    pub fn inherit_stdio(&mut self) -> &mut Self {
        self.inherit_stdin().inherit_stdout().inherit_stderr()
    }

    /// The guest's stdin is `bytes`, then end of file.
    pub fn stdin_bytes(&mut self, bytes: impl Into<Vec<u8>>) -> &mut Self {
        self.stdin = StdinSpec::Bytes(bytes.into());
        self
    }

    /// The guest's stdout goes to `capture` (a clone of it is kept).
    pub fn stdout_capture(&mut self, capture: &OutputCapture) -> &mut Self {
        self.stdout = OutputSpec::Capture(capture.clone());
        self
    }

    /// The guest's stderr goes to `capture` (a clone of it is kept).
    pub fn stderr_capture(&mut self, capture: &OutputCapture) -> &mut Self {
        self.stderr = OutputSpec::Capture(capture.clone());
        self
    }

    /// How the guest's clocks tell time.
    pub fn clock(&mut self, policy: ClockPolicy) -> &mut Self {
        self.clock = policy;
        self
    }

    /// Whether the process and thread CPU-time clocks answer. Off by default: then
    /// they are EBADF, exactly as in wasmtime-wasi, which the differential tests
    /// compare against. On, they read the time since the context was built (an
    /// upper bound of a single-threaded guest's CPU time), or the virtual clock.
    pub fn cputime_clocks(&mut self, enable: bool) -> &mut Self {
        self.cputime_clocks = enable;
        self
    }

    /// Where `random_get` bytes come from.
    pub fn random(&mut self, policy: RandomPolicy) -> &mut Self {
        self.random = policy;
        self
    }

    /// Deterministic mode: [`ClockPolicy::virtual_default`] and a random stream
    /// seeded with `seed`, so identical runs see identical time and randomness.
    pub fn deterministic(&mut self, seed: u64) -> &mut Self {
        self.clock(ClockPolicy::virtual_default())
            .random(RandomPolicy::Seeded(seed))
    }

    /// Replaces all limits.
    pub fn limits(&mut self, limits: Limits) -> &mut Self {
        self.limits = limits;
        self
    }

    /// Sets [`Limits::copy_budget`].
    pub fn copy_budget(&mut self, bytes: u64) -> &mut Self {
        self.limits.copy_budget = bytes;
        self
    }

    /// Sets [`Limits::max_fds`] (at least 3: stdio is always open).
    pub fn max_fds(&mut self, n: u32) -> &mut Self {
        self.limits.max_fds = n.max(3);
        self
    }

    /// Builds the context and resets this builder to its defaults.
    pub fn build(&mut self) -> StrataCtx {
        let b = std::mem::take(self);
        let stdin = match b.stdin {
            StdinSpec::Empty => StdinSource::Bytes {
                data: Vec::new(),
                pos: 0,
            },
            StdinSpec::Inherit => StdinSource::Inherit,
            StdinSpec::Bytes(data) => StdinSource::Bytes { data, pos: 0 },
        };
        let sink = |spec: OutputSpec, host: HostStream| match spec {
            OutputSpec::Discard => OutputSink::Discard,
            OutputSpec::Inherit => OutputSink::Inherit(host),
            OutputSpec::Capture(c) => OutputSink::Capture(c),
        };
        let mut fds = FdTable::with_stdio(
            stdin,
            sink(b.stdout, HostStream::Stdout),
            sink(b.stderr, HostStream::Stderr),
            b.limits.max_fds,
        );
        let mut mounts = b.mounts;
        for (i, m) in mounts.iter_mut().enumerate() {
            // A mount that does not fit the fd table, or whose root cannot be
            // opened (a zero handle limit), gets no preopen fd: the guest then sees
            // fewer preopens, never a half-installed one.
            if fds.len() >= b.limits.max_fds as usize {
                break;
            }
            let Ok(handle) = m.fs.open_root() else {
                continue;
            };
            let fd = FsFd {
                mount: i,
                handle,
                preopen: Some(m.guest.clone()),
            };
            let _ = fds.push(Descriptor::Fs(fd));
        }
        StrataCtx {
            args: b.args,
            env: b.env,
            fds,
            clocks: Clocks::new(b.clock, b.cputime_clocks),
            random: RandomSource::new(b.random),
            limits: b.limits,
            mounts,
        }
    }
}

/// Everything one guest instance sees through `wasi_snapshot_preview1`.
///
/// Keep it in the store's data and hand [`crate::add_to_linker`] a closure that
/// finds it there.
#[derive(Debug)]
pub struct StrataCtx {
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) fds: FdTable,
    pub(crate) clocks: Clocks,
    pub(crate) random: RandomSource,
    pub(crate) limits: Limits,
    pub(crate) mounts: Vec<Mount>,
}

impl StrataCtx {
    /// The filesystem mounted at `guest_path`.
    pub fn fs(&self, guest_path: &str) -> Option<&Fs> {
        self.mounts
            .iter()
            .find(|m| m.guest == guest_path)
            .map(|m| &m.fs)
    }

    /// The filesystem mounted at `guest_path`, mutably (to restore a snapshot
    /// between runs, say).
    pub fn fs_mut(&mut self, guest_path: &str) -> Option<&mut Fs> {
        self.mounts
            .iter_mut()
            .find(|m| m.guest == guest_path)
            .map(|m| &mut m.fs)
    }

    /// The current state of every mount, as (guest path, snapshot) pairs: O(1)
    /// per mount.
    pub fn snapshot(&self) -> Vec<(String, Snapshot)> {
        self.mounts
            .iter()
            .map(|m| (m.guest.clone(), m.fs.snapshot()))
            .collect()
    }

    /// Restores each mount named in `snaps` to its snapshot: O(1) per mount.
    /// Open fds stay open; one whose object the snapshot lacks fails with EBADF.
    pub fn restore(&mut self, snaps: &[(String, Snapshot)]) {
        for (guest, snap) in snaps {
            if let Some(fs) = self.fs_mut(guest) {
                fs.restore(snap);
            }
        }
    }

    /// Shorthand for [`StrataCtxBuilder::new`].
    pub fn builder() -> StrataCtxBuilder {
        StrataCtxBuilder::new()
    }

    /// The limits this context enforces.
    pub fn limits(&self) -> Limits {
        self.limits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_takes_settings_and_resets() {
        let mut b = StrataCtxBuilder::new();
        b.args(&["a", "b"])
            .arg("c")
            .env("K", "V")
            .envs(&[("X", "1")])
            .max_fds(1);
        let ctx = b.build();
        assert_eq!(ctx.args, ["a", "b", "c"]);
        assert_eq!(
            ctx.env,
            [
                ("K".to_owned(), "V".to_owned()),
                ("X".to_owned(), "1".to_owned())
            ]
        );
        assert_eq!(ctx.limits().max_fds, 3);
        assert_eq!(ctx.fds.len(), 3);
        let again = b.build();
        assert!(again.args.is_empty());
        assert_eq!(again.limits(), Limits::default());
    }
}

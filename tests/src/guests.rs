//! The table of guest programs: every `tests/guests/*.c` has exactly one
//! entry here (the `guest_table_matches_sources` test checks both ways), so
//! no guest is silently never run.

/// Where the guests find their working directory: the preopen's guest path,
/// passed to every guest as `argv[1]`.
pub const GUEST_DIR: &str = "/sandbox";

/// Where guests with [`Guest::read_only_preopen`] find a second, read-only
/// preopen (the next fd after [`GUEST_DIR`]'s), filled by
/// [`crate::fixture::populate_read_only`].
pub const RO_GUEST_DIR: &str = "/ro";

/// One guest program and how to run it.
#[derive(Debug, Clone, Copy)]
pub struct Guest {
    /// File stem in `tests/guests/` (`<name>.c`, `<name>.wasm`,
    /// `expected/<name>.out`).
    pub name: &'static str,
    /// The committed module.
    pub wasm: &'static [u8],
    /// Arguments after `argv[0]` (the name) and `argv[1]` ([`GUEST_DIR`]).
    pub args: &'static [&'static str],
    /// Environment variables, in order.
    pub env: &'static [(&'static str, &'static str)],
    /// Bytes fed to standard input.
    pub stdin: &'static [u8],
    /// The exit status the guest must end with (134 for a trap, see
    /// [`crate::oracle::TRAP_EXIT_CODE`]).
    pub exit_code: i32,
    /// The per-call copy budget: wasmtime's hostcall fuel
    /// (`Store::set_hostcall_fuel`) and Strata's `copy_budget`, the same
    /// number on both sides; `None` leaves both at their default.
    pub fuel: Option<usize>,
    /// Whether a second preopen, read-only, is mounted at [`RO_GUEST_DIR`]
    /// (wasmtime-wasi: `FsPerms::ReadOnly`; Strata: a `read_only` filesystem).
    pub read_only_preopen: bool,
}

impl Guest {
    /// The full argument vector: name, [`GUEST_DIR`], then [`Guest::args`].
    pub fn argv(&self) -> Vec<&'static str> {
        let mut argv = vec![self.name, GUEST_DIR];
        argv.extend_from_slice(self.args);
        argv
    }
}

macro_rules! guest {
    ($name:literal $(, $field:ident : $value:expr)* $(,)?) => {
        Guest {
            name: $name,
            wasm: include_bytes!(concat!("../guests/", $name, ".wasm")),
            $($field: $value,)*
            ..DEFAULTS
        }
    };
}

const DEFAULTS: Guest = Guest {
    name: "",
    wasm: &[],
    args: &[],
    env: &[],
    stdin: b"",
    exit_code: 0,
    fuel: None,
    read_only_preopen: false,
};

/// Calls macro `$m` with the name of every guest of [`GUESTS`], as
/// identifiers, in order: `$m! { args_env clock_random ... }`. Test files use
/// it to generate one `#[test]` per guest (so the guests run in parallel and
/// one can be picked by name); `guest_table_matches_sources` checks that it
/// names exactly the guests of the table.
#[macro_export]
macro_rules! foreach_guest {
    ($m:ident) => {
        $m! {
            args_env clock_random fs_append fs_basic fs_dirs fs_errors fs_links fs_lower_read
            fs_lower_write fs_readdir fs_rename fs_rw fs_sparse fs_symlinks fs_times
            fs_unlink_open hostile_bigdir hostile_deep hostile_fds hostile_paths hostile_poll
            hostile_quota hostile_sparse hostile_write stdio_poll wasi_bad_arg wasi_fuel
            wasi_order wasi_raw wasi_trap
        }
    };
}

/// Every guest program, sorted by name.
pub const GUESTS: &[Guest] = &[
    guest!(
        "args_env",
        args: &["two words", "\u{fc}n\u{ef}c\u{f6}d\u{e9}", "", "7"],
        env: &[
            ("STRATA_GREETING", "hello world"),
            ("STRATA_EMPTY", ""),
            ("STRATA_EQUALS", "a=b=c"),
            ("STRATA_UNICODE", "\u{2603}"),
        ],
        exit_code: 7,
    ),
    guest!("clock_random"),
    guest!("fs_append"),
    guest!("fs_basic"),
    guest!("fs_dirs"),
    guest!("fs_errors"),
    guest!("fs_links"),
    guest!("fs_lower_read"),
    guest!("fs_lower_write"),
    guest!("fs_readdir"),
    guest!("fs_rename"),
    guest!("fs_rw"),
    guest!("fs_sparse"),
    guest!("fs_symlinks"),
    guest!("fs_times"),
    guest!("fs_unlink_open"),
    guest!("hostile_bigdir"),
    guest!("hostile_deep"),
    guest!("hostile_fds"),
    guest!("hostile_paths"),
    guest!("hostile_poll"),
    guest!("hostile_quota"),
    guest!("hostile_sparse"),
    guest!("hostile_write"),
    guest!("stdio_poll", stdin: b"line one\nline two\n"),
    guest!("wasi_bad_arg", args: &["whence"], exit_code: crate::oracle::TRAP_EXIT_CODE),
    guest!("wasi_fuel", fuel: Some(1000)),
    guest!("wasi_order", stdin: b"xy", read_only_preopen: true),
    guest!("wasi_raw"),
    guest!("wasi_trap", exit_code: crate::oracle::TRAP_EXIT_CODE),
];

/// The guest called `name`.
///
/// # Panics
/// If there is none: a typo in a test.
pub fn guest(name: &str) -> &'static Guest {
    GUESTS
        .iter()
        .find(|g| g.name == name)
        .unwrap_or_else(|| panic!("no guest named {name:?} in GUESTS"))
}

/// An output line on which wasmtime-wasi is known to be wrong and Strata is
/// meant to be right. Differential tests mask these lines on both sides (see
/// [`mask_known_divergences`]); `tests/guests/README.md` explains each one.
#[derive(Debug, Clone, Copy)]
pub struct Divergence {
    /// The guest that prints the line.
    pub guest: &'static str,
    /// The start of the line, up to and including its `": "`.
    pub line_prefix: &'static str,
    /// Why wasmtime-wasi's answer is wrong.
    pub why: &'static str,
}

/// Every known divergence of wasmtime-wasi from POSIX that Strata fixes.
pub const KNOWN_DIVERGENCES: &[Divergence] = &[
    Divergence {
        guest: "fs_readdir",
        line_prefix: "removed 1000 during a listing: survivors each seen once: ",
        why: "wasmtime-wasi readdir cookies are indices into a fresh host listing, \
              so removing entries before the cursor skips survivors",
    },
    Divergence {
        guest: "fs_readdir",
        line_prefix: "added 1000 during a listing: survivors each seen once: ",
        why: "wasmtime-wasi readdir cookies are indices into a fresh host listing, \
              so adding entries before the cursor repeats survivors",
    },
];

/// `stdout` of `guest` with the answer on every [`KNOWN_DIVERGENCES`] line
/// replaced by `<known divergence>`, so that two runs compare equal there.
pub fn mask_known_divergences(guest: &str, stdout: &[u8]) -> Vec<u8> {
    mask_divergences(KNOWN_DIVERGENCES, guest, stdout)
}

/// [`mask_known_divergences`] over another table of divergences.
pub fn mask_divergences(table: &[Divergence], guest: &str, stdout: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(stdout.len());
    for line in stdout.split_inclusive(|&b| b == b'\n') {
        let known = table
            .iter()
            .find(|d| d.guest == guest && line.starts_with(d.line_prefix.as_bytes()));
        match known {
            Some(d) => {
                out.extend_from_slice(d.line_prefix.as_bytes());
                out.extend_from_slice(b"<known divergence>\n");
            }
            None => out.extend_from_slice(line),
        }
    }
    out
}

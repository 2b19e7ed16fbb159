//! The C workloads: their sources and committed `.wasm` builds, the cases
//! (workload plus arguments) each mode runs, and the goals of issue 5.

/// A workload program: one C source, built for wasm32-wasi (committed) and
/// natively (at run time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Program {
    /// File stem in `bench/workloads/`.
    pub name: &'static str,
    /// The C source.
    pub source: &'static str,
    /// The committed wasm32-wasi build of [`Self::source`].
    pub wasm: &'static [u8],
}

macro_rules! program {
    ($name:literal) => {
        Program {
            name: $name,
            source: include_str!(concat!("../workloads/", $name, ".c")),
            wasm: include_bytes!(concat!("../workloads/", $name, ".wasm")),
        }
    };
}

/// The header every workload includes.
pub const HEADER: &str = include_str!("../workloads/bench.h");

/// Every workload program.
pub const PROGRAMS: &[Program] = &[
    program!("readdir"),
    program!("metadata"),
    program!("smallfiles"),
    program!("append"),
    program!("lockdir"),
    program!("bigfile"),
    program!("treewalk"),
    program!("forkjob"),
];

/// Looks a program up by name.
///
/// # Panics
/// When no program has that name (a bug in the case tables).
pub fn program(name: &str) -> Program {
    *PROGRAMS
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no workload program {name}"))
}

/// How big the workloads are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// The sizes of issue 5.
    Full,
    /// Reduced sizes so that a whole run takes under two minutes.
    Quick,
    /// Tiny sizes for the test suite: seconds, not minutes.
    Tiny,
}

/// What a measured row must reach: Strata's speed-up over a baseline
/// (baseline time / Strata time), at least this much.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Goal {
    /// Minimum speed-up over wasmtime-wasi with blocking allowed.
    pub vs_blk: Option<f64>,
    /// Minimum speed-up over the native build (1.0 = not slower; 1/3 = at
    /// most three times slower).
    pub vs_native: Option<f64>,
    /// The goal as issue 5 words it.
    pub text: &'static str,
}

const READDIR_GOAL: Goal = Goal {
    vs_blk: Some(300.0),
    vs_native: Some(1.0 / 3.0),
    text: "≥ 300× faster than wasmtime-blk, ≤ 3× native",
};

const METADATA_GOAL: Goal = Goal {
    vs_blk: Some(2.0),
    vs_native: Some(1.0),
    text: "≥ 2× faster than wasmtime-blk, not slower than native",
};

const BIGFILE_GOAL: Goal = Goal {
    vs_blk: Some(1.0),
    vs_native: None,
    text: "≥ parity with wasmtime-blk",
};

const COLD_GOAL: Goal = Goal {
    vs_blk: Some(1.0 / 1.3),
    vs_native: None,
    text: "≤ 1.3× wasmtime-blk",
};

const WARM_GOAL: Goal = Goal {
    vs_blk: Some(2.0),
    vs_native: None,
    text: "≥ 2× faster than wasmtime-blk",
};

/// How a case is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Each configuration gets a fresh empty directory (Strata: an overlay
    /// over an empty tmpfs directory) and runs the program once.
    Fresh,
    /// The program reads a prepared tree of `files` files of `file_size`
    /// bytes, given as the lower layer (Strata) or the preopened directory;
    /// it runs twice per repetition: cold (fresh lower / context) and warm
    /// (a fork of the same lower / a second context).
    TreeWalk {
        /// Number of files, spread over directories of 100.
        files: usize,
        /// Bytes per file.
        file_size: usize,
    },
}

/// One workload at one size: a group of rows in the table.
#[derive(Debug, Clone)]
pub struct Case {
    /// Row label prefix, e.g. `readdir 10000`.
    pub label: String,
    /// The program.
    pub program: Program,
    /// Arguments after the root directory.
    pub args: Vec<String>,
    /// How it is run.
    pub kind: Kind,
    /// The goal, and the phase (`total` for the sum of all phases) it
    /// applies to; phases without a goal are shown for information.
    pub goals: Vec<(String, Goal)>,
    /// Configurations not run for this case, with the reason.
    pub skip: Vec<(crate::Setup, &'static str)>,
}

impl Case {
    fn fresh(label: impl Into<String>, program: &str, args: &[String]) -> Case {
        Case {
            label: label.into(),
            program: self::program(program),
            args: args.to_vec(),
            kind: Kind::Fresh,
            goals: Vec::new(),
            skip: Vec::new(),
        }
    }

    fn goal(mut self, phase: &str, goal: Goal) -> Case {
        self.goals.push((phase.to_owned(), goal));
        self
    }

    /// The goal for `phase`, if any.
    pub fn goal_for(&self, phase: &str) -> Option<&Goal> {
        self.goals.iter().find(|(p, _)| *p == phase).map(|(_, g)| g)
    }
}

/// The cases of workloads 1 to 7 in the order of the report (fork rate,
/// workload 8, is measured separately: see [`ForkCase`]).
pub fn cases(size: Size) -> Vec<Case> {
    let (readdir_sizes, div, big_mib, tree_files): (&[u32], u32, u32, usize) = match size {
        Size::Full => (&[1_000, 10_000, 100_000], 1, 256, 10_000),
        Size::Quick => (&[1_000, 10_000], 10, 32, 2_000),
        Size::Tiny => (&[100], 1000, 1, 200),
    };
    let d = vec![div.to_string()];
    let mut out = Vec::new();
    for &n in readdir_sizes {
        let case = Case::fresh(format!("readdir {n}"), "readdir", &[n.to_string()]);
        let mut case = if n == 10_000 || size == Size::Tiny {
            case.goal(&format!("list-{n}"), READDIR_GOAL)
        } else {
            case
        };
        if n >= 100_000 {
            case.skip.push((
                crate::Setup::WasmtimeDefault,
                "its readdir is quadratic: one listing of 10,000 entries takes ~20 s, \
                 so one of 100,000 would take ~30 min",
            ));
        }
        out.push(case);
    }
    out.push(Case::fresh("metadata", "metadata", &d).goal("total", METADATA_GOAL));
    out.push(Case::fresh("small files", "smallfiles", &d).goal("total", METADATA_GOAL));
    out.push(Case::fresh("append log", "append", &d).goal("append", METADATA_GOAL));
    out.push(Case::fresh("lock dirs", "lockdir", &d).goal("mkdir-rmdir", METADATA_GOAL));
    out.push(
        Case::fresh(
            format!("big file {big_mib} MiB"),
            "bigfile",
            &[big_mib.to_string()],
        )
        .goal("total", BIGFILE_GOAL),
    );
    out.push(Case {
        label: format!("tree walk {tree_files}"),
        program: program("treewalk"),
        args: Vec::new(),
        kind: Kind::TreeWalk {
            files: tree_files,
            file_size: 10_240,
        },
        goals: vec![
            ("walk-cold".to_owned(), COLD_GOAL),
            ("walk-warm".to_owned(), WARM_GOAL),
        ],
        skip: Vec::new(),
    });
    out
}

impl Size {
    /// A configuration whose single run takes longer than this is run only
    /// once per case (its row says how many runs it had): wasmtime-wasi's
    /// quadratic readdir would otherwise take hours.
    pub fn slow_run(self) -> std::time::Duration {
        std::time::Duration::from_secs(match self {
            Size::Full => 10,
            Size::Quick => 2,
            Size::Tiny => 1,
        })
    }
}

/// Workload 8: how many fork + run cycles of `forkjob` fit in a window.
#[derive(Debug, Clone, Copy)]
pub struct ForkCase {
    /// Length of one measuring window, in milliseconds.
    pub window_ms: u64,
}

impl ForkCase {
    /// The fork-rate measurement for `size`.
    pub fn new(size: Size) -> ForkCase {
        let window_ms = match size {
            Size::Full => 2_000,
            Size::Quick => 500,
            Size::Tiny => 50,
        };
        ForkCase { window_ms }
    }

    /// Minimum runs per second on one core.
    pub const MIN_RATE: f64 = 5_000.0;
    /// Minimum speed-up over `cp -a` + wasmtime-wasi.
    pub const MIN_VS_CP: f64 = 100.0;
    /// The goal as issue 5 words it.
    pub const GOAL: &'static str = "≥ 5,000 runs/s on one core, ≥ 100× the cp -a approach";
}

//! The differential oracle: every guest under Strata (over an overlay of the
//! fixture) and under wasmtime-wasi (on a real copy of it) prints the same, ends
//! the same and leaves the same tree; the guests of `strata::DELIBERATE` are
//! held to Strata's own committed output instead. One test per guest
//! (`differential::NAME`); each reference run is made once per process.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use strata_tests::oracle::{self, diff_lines};
use strata_tests::strata;

fn strata_expected(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("guests/expected-strata")
        .join(format!("{name}.out"))
}

/// Runs guest `name` under Strata and compares it with the reference run (or,
/// for a guest of `DELIBERATE`, with Strata's own committed output).
fn matches_reference(name: &str) {
    let guest = strata_tests::guest(name);
    let ours = strata::run_guest_strata(guest).masked(name);
    if let Some(d) = strata::deliberate(name) {
        let path = strata_expected(name);
        if std::env::var_os("STRATA_BLESS").is_some_and(|v| v == "1") {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &ours.outcome.stdout).unwrap();
        }
        let expected = std::fs::read(&path).unwrap_or_default();
        assert!(
            ours.outcome.stdout == expected && ours.outcome.exit_code == d.exit_code,
            "{name} (exit {}):\n{}",
            ours.outcome.exit_code,
            diff_lines("stdout", &expected, &ours.outcome.stdout)
        );
        return;
    }
    let reference = oracle::reference(guest).masked(name);
    oracle::assert_same_run(&reference, &ours, name);
}

/// One test per guest: `differential::NAME`.
macro_rules! differential_tests {
    ($($name:ident)*) => {
        $(
            #[test]
            fn $name() {
                matches_reference(stringify!($name));
            }
        )*
    };
}
strata_tests::foreach_guest!(differential_tests);

/// The deliberate-difference table names only guests that exist, and each of
/// them really differs from wasmtime-wasi (else it belongs in the plain check).
#[test]
fn deliberate_differences_are_real() {
    for d in strata::DELIBERATE {
        let guest = strata_tests::guest(d.guest);
        let reference = oracle::reference(guest).masked(d.guest);
        let ours = strata::run_guest_strata(guest).masked(d.guest);
        assert!(
            !reference.same_as(&ours),
            "{} no longer differs: drop it from DELIBERATE",
            d.guest
        );
    }
}

/// Every import of a linker, with its type: `(module, name)` to the
/// function's parameter and result types.
fn imports<T: 'static>(
    linker: &wasmtime::Linker<T>,
    store: &mut wasmtime::Store<T>,
) -> BTreeMap<(String, String), String> {
    let all: Vec<(String, String, wasmtime::Extern)> = linker
        .iter(&mut *store)
        .map(|(module, name, ext)| (module.to_owned(), name.to_owned(), ext))
        .collect();
    all.into_iter()
        .map(|(module, name, ext)| {
            let ty = match ext {
                wasmtime::Extern::Func(f) => {
                    let ty = f.ty(&*store);
                    let params: Vec<String> = ty.params().map(|p| p.to_string()).collect();
                    let results: Vec<String> = ty.results().map(|r| r.to_string()).collect();
                    format!("({}) -> ({})", params.join(" "), results.join(" "))
                }
                other => format!("{other:?}"),
            };
            ((module, name), ty)
        })
        .collect()
}

/// Strata's linker and its signature list offer exactly wasmtime-wasi 48's
/// preview 1 imports: the same 46 functions with the same types, so a guest
/// that links against one links against the other.
#[test]
fn linker_matches_wasmtime_wasi() {
    let engine = oracle::engine();
    let mut theirs: wasmtime::Linker<wasmtime_wasi::p1::WasiP1Ctx> = wasmtime::Linker::new(engine);
    wasmtime_wasi::p1::add_to_linker_sync(&mut theirs, |cx| cx).expect("link wasmtime-wasi");
    let mut their_store =
        wasmtime::Store::new(engine, wasmtime_wasi::WasiCtxBuilder::new().build_p1());
    let mut ours: wasmtime::Linker<strata_wasi::StrataCtx> = wasmtime::Linker::new(engine);
    strata_wasi::add_to_linker(&mut ours, |c| c).expect("link strata");
    let mut our_store = wasmtime::Store::new(engine, strata_wasi::StrataCtx::builder().build());
    let (theirs, ours) = (
        imports(&theirs, &mut their_store),
        imports(&ours, &mut our_store),
    );
    assert_eq!(
        theirs.len(),
        46,
        "wasmtime-wasi 48 has 46 preview 1 imports"
    );
    for (key, ty) in &theirs {
        assert_eq!(ours.get(key), Some(ty), "{key:?}");
    }
    assert_eq!(
        ours.len(),
        theirs.len(),
        "Strata registers imports wasmtime-wasi lacks"
    );
    // The signature list the fuzz target and the tests build their imports
    // from says the same.
    let listed: BTreeMap<(String, String), String> = strata_wasi::SIGNATURES
        .iter()
        .map(|sig| {
            let params: Vec<&str> = sig
                .params
                .iter()
                .map(|(_, p)| match p.ty() {
                    strata_wasi::ValType::I32 => "i32",
                    strata_wasi::ValType::I64 => "i64",
                })
                .collect();
            let results = if sig.returns_errno { "i32" } else { "" };
            let key = (strata_wasi::MODULE.to_owned(), sig.name.to_owned());
            (key, format!("({}) -> ({results})", params.join(" ")))
        })
        .collect();
    assert_eq!(listed, theirs, "strata_wasi::SIGNATURES");
}

/// Strata answers every argument wasmtime-wasi traps on (see
/// `expected::bad_arguments_trap`) with EINVAL, decoded before any pointer is
/// followed or fd looked at: the one `DELIBERATE` difference, case by case.
#[test]
fn bad_arguments_are_einval_in_strata() {
    let guest = strata_tests::guest("wasi_bad_arg");
    let cases = [
        "whence",
        "advice",
        "oflags",
        "fdflags",
        "rights",
        "lookupflags",
        "fstflags",
        "set_flags",
        "rights_path_outside_memory",
        "oflags_path_outside_memory",
        "set_rights",
    ];
    for case in cases {
        let argv = [guest.name, strata_tests::GUEST_DIR, case];
        let fs = strata_engine::Fs::new(strata_engine::Config::default());
        let (outcome, _) =
            strata::run_strata(guest.wasm, fs, strata_tests::GUEST_DIR, &argv, &[], b"");
        assert_eq!(
            String::from_utf8_lossy(&outcome.stdout),
            format!("before bad {case}\nno trap: EINVAL\n"),
            "{case}: {}",
            String::from_utf8_lossy(&outcome.stderr)
        );
    }
}

//! The committed guest modules match their sources, and the `GUESTS` table
//! lists exactly the guests that exist.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use strata_tests::GUESTS;

fn guests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("guests")
}

fn stems(ext: &str) -> BTreeSet<String> {
    std::fs::read_dir(guests_dir())
        .expect("list tests/guests")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .map(|p| p.file_stem().expect("stem").to_string_lossy().into_owned())
        .collect()
}

#[test]
fn guest_table_matches_sources() {
    let table: BTreeSet<String> = GUESTS.iter().map(|g| g.name.to_owned()).collect();
    assert_eq!(table.len(), GUESTS.len(), "duplicate names in GUESTS");
    let sources = stems("c");
    let unlisted: Vec<_> = sources.difference(&table).collect();
    let sourceless: Vec<_> = table.difference(&sources).collect();
    assert!(
        unlisted.is_empty(),
        "guests with no entry in GUESTS: {unlisted:?}"
    );
    assert!(
        sourceless.is_empty(),
        "GUESTS entries with no .c source: {sourceless:?}"
    );
    let modules = stems("wasm");
    assert_eq!(
        modules, sources,
        "every guest source needs a committed .wasm and vice versa"
    );
    let mut listed = Vec::new();
    macro_rules! collect {
        ($($name:ident)*) => { $(listed.push(stringify!($name));)* };
    }
    strata_tests::foreach_guest!(collect);
    assert_eq!(
        listed,
        GUESTS.iter().map(|g| g.name).collect::<Vec<_>>(),
        "foreach_guest! names exactly the guests of GUESTS, in order"
    );
    let mut names: Vec<_> = GUESTS.iter().map(|g| g.name).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        GUESTS.iter().map(|g| g.name).collect::<Vec<_>>(),
        "GUESTS is sorted"
    );
}

#[test]
fn guest_table_holds_the_committed_modules() {
    for guest in GUESTS {
        let on_disk = std::fs::read(guests_dir().join(format!("{}.wasm", guest.name)))
            .expect("read committed module");
        assert!(
            on_disk == guest.wasm,
            "{}: include_bytes! is stale; rebuild the crate",
            guest.name
        );
    }
}

/// Whether clang can build for wasm32-wasi here (it is optional).
fn clang_for_wasi() -> bool {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path().join("probe.c");
    std::fs::write(&src, "int main(void) { return 0; }\n").expect("write probe");
    Command::new("clang")
        .args(["--target=wasm32-wasi", "-O2", "-o"])
        .arg(dir.path().join("probe.wasm"))
        .arg(&src)
        .output()
        .is_ok_and(|out| out.status.success())
}

#[test]
fn guests_are_fresh() {
    if !clang_for_wasi() {
        // CI installs clang: there, a missing compiler is a failure.
        assert!(
            std::env::var_os("CI").is_none(),
            "clang with the wasm32-wasi target is missing under CI"
        );
        strata_tests::skip(
            "guests_are_fresh",
            "clang with the wasm32-wasi target is not available (apt: clang lld wasi-libc \
             libclang-rt-14-dev-wasm32); the committed guest modules were not rebuilt",
        );
        return;
    }
    let out = tempfile::tempdir().expect("temp dir");
    let status = Command::new("sh")
        .arg(guests_dir().join("build.sh"))
        .arg(out.path())
        .status()
        .expect("run build.sh");
    assert!(status.success(), "tests/guests/build.sh failed");
    let mut stale = Vec::new();
    for name in stems("c") {
        let file = format!("{name}.wasm");
        let built = std::fs::read(out.path().join(&file)).expect("read rebuilt module");
        let committed = std::fs::read(guests_dir().join(&file)).unwrap_or_default();
        if built != committed {
            stale.push(file);
        }
    }
    assert!(
        stale.is_empty(),
        "committed guest modules differ from a fresh build (run tests/guests/build.sh \
         and commit; a different clang version also changes the bytes): {stale:?}"
    );
}

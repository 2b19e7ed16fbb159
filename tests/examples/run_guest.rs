//! Runs one guest under wasmtime-wasi over a fresh fixture and prints what it
//! printed and the tree it left: `cargo run -p strata-tests --example
//! run_guest -- fs_rename` (a name from `GUESTS`, or a path to a `.wasm`).

fn main() {
    let arg = std::env::args()
        .nth(1)
        .expect("usage: run_guest <guest name | path.wasm>");
    let run = if arg.ends_with(".wasm") {
        let wasm = std::fs::read(&arg).expect("read module");
        let wasm: &'static [u8] = Box::leak(wasm.into_boxed_slice());
        let guest = strata_tests::Guest {
            wasm,
            ..*strata_tests::guest("fs_basic")
        };
        strata_tests::oracle::run_guest_wasmtime(&guest)
    } else {
        strata_tests::oracle::run_guest_wasmtime(strata_tests::guest(&arg))
    };
    print!("{}", String::from_utf8_lossy(&run.outcome.stdout));
    eprint!("{}", String::from_utf8_lossy(&run.outcome.stderr));
    for (path, entry) in &run.tree {
        println!("tree {path}: {entry:?}");
    }
    println!("exit {}", run.outcome.exit_code);
}

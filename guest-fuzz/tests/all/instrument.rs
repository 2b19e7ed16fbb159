//! Coverage instrumentation: instrumented modules validate, behave exactly as the plain ones, and count the paths they take.

use crate::target::campaign;
use strata_guest_fuzz::instrument::layout;
use strata_guest_fuzz::{Compare, FuzzTarget, InstrumentError, Options, instrument};
use strata_tests::oracle::assert_same_run;
use strata_tests::strata::run_guest_strata;
use wasmtime::{Engine, Instance, Module, Store, Val};

const COVERAGE: Options = Options { cmplog: false };
const CMPLOG: Options = Options { cmplog: true };

/// Instruments `wasm` and checks the result with wasmparser's validator.
fn instrumented(wasm: &[u8], options: &Options) -> Vec<u8> {
    let out = instrument(wasm, options).expect("instrument");
    wasmparser::validate(&out).expect("instrumented module validates");
    out
}

/// Every C guest of `tests/guests/` runs the same (stdout, stderr, exit or
/// trap, final tree) plain, with coverage probes and with the compare log.
macro_rules! same_behaviour {
    ($($name:ident)*) => {
        mod guests {
            use super::*;
            $(
                #[test]
                fn $name() {
                    let guest = *strata_tests::guest(stringify!($name));
                    let plain = run_guest_strata(&guest);
                    for options in [COVERAGE, CMPLOG] {
                        let wasm: &'static [u8] =
                            Box::leak(instrumented(guest.wasm, &options).into_boxed_slice());
                        let run = run_guest_strata(&strata_tests::Guest { wasm, ..guest });
                        assert_same_run(&plain, &run, &format!("{} {options:?}", guest.name));
                    }
                }
            )*
        }
    };
}
strata_tests::foreach_guest!(same_behaviour);

/// Control flow of every kind, multi-value, bulk memory, exceptions and
/// SIMD, in a module with no memory, global or export section of its own
/// that the rewriter must add in their place.
const CONSTRUCTS: &str = r#"
(module
  (type $pair (func (param i32) (result i32 i32)))
  (tag $oops (param i32))
  (func $split (type $pair) (local.get 0) (i32.const 7))
  (func $f (param $x i32) (result i32) (local $acc i32) (local $i i32)
    ;; multi-value block
    (block $b (result i32 i32) (call $split (local.get $x)))
    i32.add
    local.set $acc
    ;; loop with a conditional branch: one edge per iteration
    (block $done
      (loop $again
        (br_if $done (i32.ge_u (local.get $i) (i32.and (local.get $x) (i32.const 15))))
        (local.set $acc (i32.add (local.get $acc) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $again)))
    ;; if/else, br_table
    (if (i32.eq (local.get $x) (i32.const 0x12345678))
      (then (local.set $acc (i32.const -1)))
      (else (local.set $acc (i32.xor (local.get $acc) (i32.const 1)))))
    (block $t2 (block $t1 (block $t0
      (br_table $t0 $t1 $t2 (i32.and (local.get $x) (i32.const 3))))
      (local.set $acc (i32.add (local.get $acc) (i32.const 100))))
      (local.set $acc (i32.add (local.get $acc) (i32.const 1000))))
    ;; exceptions: throw and catch inside the function
    (block $caught (result i32)
      (try_table (catch $oops $caught)
        (if (i32.and (local.get $x) (i32.const 16)) (then (throw $oops (local.get $x)))))
      (i32.const 0))
    local.get $acc
    i32.add
    ;; SIMD
    (i32x4.extract_lane 2 (i32x4.add (i32x4.splat (local.get $x)) (v128.const i32x4 1 2 3 4)))
    i32.add
    ;; i64 compare
    (if (result i32) (i64.lt_s (i64.extend_i32_s (local.get $x)) (i64.const 0x7766554433))
      (then (i32.const 1)) (else (i32.const 2)))
    i32.add)
  (func (export "f") (param i32) (result i32) (call $f (local.get 0))))
"#;

/// Same with a memory of its own and bulk-memory instructions.
const BULK: &str = r#"
(module
  (memory (export "memory") 1)
  (global $g (mut i32) (i32.const 5))
  (data $d "abcdefgh")
  (func (export "f") (param $x i32) (result i32)
    (memory.init $d (i32.const 0) (i32.const 0) (i32.const 8))
    (memory.fill (i32.const 8) (local.get $x) (i32.const 8))
    (memory.copy (i32.const 16) (i32.const 4) (i32.const 8))
    (global.set $g (i32.add (global.get $g) (local.get $x)))
    (i32.add (i32.load (i32.const 16)) (global.get $g))))
"#;

struct Called {
    result: Vec<i32>,
    coverage: Vec<u8>,
}

fn call(engine: &Engine, wasm: &[u8], x: i32) -> Called {
    let module = Module::new(engine, wasm).expect("compiles");
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let f = instance.get_func(&mut store, "f").expect("f");
    let mut out = [Val::I32(0)];
    f.call(&mut store, &[Val::I32(x)], &mut out).expect("runs");
    let coverage = instance
        .get_memory(&mut store, layout::EXPORT)
        .map(|m| m.data(&store)[..layout::MAP_SIZE].to_vec())
        .unwrap_or_default();
    Called {
        result: out.iter().map(|v| v.unwrap_i32()).collect(),
        coverage,
    }
}

#[test]
fn every_construct_keeps_its_meaning() {
    let engine = Engine::default();
    for source in [CONSTRUCTS, BULK] {
        let plain = wat::parse_str(source).unwrap();
        for options in [COVERAGE, CMPLOG] {
            let inst = instrumented(&plain, &options);
            for x in [0, 1, 2, 3, 7, 16, 17, 0x12345678, -1, i32::MIN] {
                let want = call(&engine, &plain, x);
                let got = call(&engine, &inst, x);
                assert_eq!(want.result, got.result, "{options:?} x={x}");
                assert!(want.coverage.is_empty());
                assert!(got.coverage.iter().any(|&c| c != 0), "no edge counted");
            }
        }
    }
}

#[test]
fn counters_follow_the_path_and_count_iterations() {
    let engine = Engine::default();
    let inst = instrumented(&wat::parse_str(CONSTRUCTS).unwrap(), &COVERAGE);
    let run = |x| call(&engine, &inst, x).coverage;
    // Deterministic: the same input, the same counters.
    assert!(run(3) == run(3));
    // A different branch taken: a different set of edges.
    let edges = |c: &[u8]| c.iter().filter(|&&n| n != 0).count();
    assert!(run(0x12345678) != run(0x12345670));
    // The same edges, the loop taken 4 and 12 times: the counts differ, so
    // bucketed hit counts tell the runs apart.
    let (four, twelve) = (run(0x40 | 4), run(0x40 | 12));
    assert_eq!(edges(&four), edges(&twelve));
    assert!(four != twelve);
    let total = |c: &[u8]| c.iter().map(|&n| u32::from(n)).sum::<u32>();
    assert_eq!(total(&twelve), total(&four) + 2 * 8);
}

#[test]
fn compares_log_both_operands() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        instrumented(&wat::parse_str(CONSTRUCTS).unwrap(), &CMPLOG),
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let f = instance.get_func(&mut store, "f").unwrap();
    f.call(&mut store, &[Val::I32(0x1234)], &mut [Val::I32(0)])
        .unwrap();
    let memory = instance.get_memory(&mut store, layout::EXPORT).unwrap();
    let (_, compares) = layout::read(memory.data(&store));
    assert!(
        compares.contains(&Compare::I32(0x1234, 0x12345678)),
        "{compares:x?}"
    );
    assert!(
        compares.contains(&Compare::I64(0x1234, 0x77_6655_4433)),
        "{compares:x?}"
    );
}

#[test]
fn the_fuzz_target_reports_coverage() {
    let engine = campaign::engine();
    let wasm = campaign::TARGET_WASM;
    let module = Module::new(&engine, instrumented(wasm, &COVERAGE)).unwrap();
    let target = FuzzTarget::builder(&engine, &module)
        .mount(campaign::MOUNT, campaign::prepare())
        .args(&["target"])
        .fuel(campaign::FUEL)
        .build()
        .unwrap();
    let a = target.run(b"[a]\n").unwrap();
    let b = target.run(b"[a]\n").unwrap();
    let c = target.run(b"# only a comment\n").unwrap();
    assert_eq!(a.outcome, b.outcome);
    assert_eq!(a.coverage.len(), layout::MAP_SIZE);
    // (Compared by hash: a failure would print 64 KiB otherwise.)
    let digest = |c: &[u8]| blake3::hash(c);
    assert!(digest(&a.coverage) == digest(&b.coverage));
    assert!(digest(&a.coverage) != digest(&c.coverage));
    assert!(a.compares.is_empty());
    // A plain module reports none.
    let plain = Module::new(&engine, wasm).unwrap();
    let plain = FuzzTarget::builder(&engine, &plain).build().unwrap();
    assert!(plain.run(b"").unwrap().coverage.is_empty());
}

#[test]
fn modules_it_cannot_handle_get_a_clear_error() {
    let one_line = |e: InstrumentError| {
        let s = e.to_string();
        assert!(!s.contains('\n'), "{s}");
        s
    };
    let e = instrument(b"not wasm", &COVERAGE).unwrap_err();
    assert!(matches!(e, InstrumentError::Invalid(_)));
    one_line(e);
    let component = wat::parse_str("(component)").unwrap();
    let e = instrument(&component, &COVERAGE).unwrap_err();
    assert!(one_line(e).contains("component"));
    let taken = wat::parse_str(r#"(module (memory (export "__strata_cov") 1))"#).unwrap();
    let e = instrument(&taken, &COVERAGE).unwrap_err();
    assert!(one_line(e).contains("__strata_cov"));
    // An empty module is fine: everything is added.
    let empty = instrumented(&wat::parse_str("(module)").unwrap(), &COVERAGE);
    let names: Vec<_> = Module::new(&Engine::default(), empty)
        .unwrap()
        .exports()
        .map(|e| e.name().to_owned())
        .collect();
    assert_eq!(names, [layout::EXPORT]);
}

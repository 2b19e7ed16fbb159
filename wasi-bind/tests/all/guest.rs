//! Runs small WAT guests against a `StrataCtx` and reports what happened.

use std::sync::OnceLock;

use strata_wasi::{ProcExit, StrataCtx, add_to_linker};
use wasmtime::{Engine, Instance, Linker, Module, Store, Trap};

pub(crate) struct State {
    pub(crate) wasi: StrataCtx,
}

/// One engine for the whole binary: creating engines is the slow part.
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(Engine::default)
}

/// An instantiated guest.
pub(crate) struct Guest {
    pub(crate) store: Store<State>,
    pub(crate) instance: Instance,
}

impl Guest {
    /// Compiles `wat` and instantiates it over `ctx`.
    pub(crate) fn new(wat: &str, ctx: StrataCtx) -> Self {
        let bytes = wat::parse_str(wat).expect("valid WAT");
        let module = Module::new(engine(), bytes).expect("module compiles");
        let mut linker = Linker::new(engine());
        add_to_linker(&mut linker, |s: &mut State| &mut s.wasi).unwrap();
        let mut store = Store::new(engine(), State { wasi: ctx });
        let instance = linker
            .instantiate(&mut store, &module)
            .expect("instantiates");
        Self { store, instance }
    }

    /// Calls the export `name` taking nothing and returning an `i32` (an errno).
    pub(crate) fn call(&mut self, name: &str) -> wasmtime::Result<i32> {
        let f = self
            .instance
            .get_typed_func::<(), i32>(&mut self.store, name)?;
        f.call(&mut self.store, ())
    }

    /// Runs `_start`; returns the exit code: 0 on return, the `proc_exit` status otherwise.
    pub(crate) fn run(&mut self) -> wasmtime::Result<i32> {
        let f = self
            .instance
            .get_typed_func::<(), ()>(&mut self.store, "_start")?;
        match f.call(&mut self.store, ()) {
            Ok(()) => Ok(0),
            Err(e) => match e.downcast_ref::<ProcExit>() {
                Some(exit) => Ok(exit.0),
                None => Err(e),
            },
        }
    }

    /// Reads `len` bytes of the guest's memory at `ptr`.
    pub(crate) fn memory(&mut self, ptr: usize, len: usize) -> Vec<u8> {
        let mem = self.instance.get_memory(&mut self.store, "memory").unwrap();
        mem.data(&self.store)[ptr..ptr + len].to_vec()
    }
}

/// The trap a call ended with.
pub(crate) fn trap_of<T: std::fmt::Debug>(r: wasmtime::Result<T>) -> Trap {
    let e = r.expect_err("expected a trap");
    *e.downcast_ref::<Trap>()
        .unwrap_or_else(|| panic!("not a wasmtime::Trap: {e:?}"))
}

/// WASI errno values the tests check, from the witx `errno` enum.
pub(crate) mod errno {
    pub(crate) const SUCCESS: i32 = 0;
    pub(crate) const BADF: i32 = 8;
    pub(crate) const ILSEQ: i32 = 25;
    pub(crate) const INVAL: i32 = 28;
    pub(crate) const NOMEM: i32 = 48;
    pub(crate) const NOTSOCK: i32 = 57;
    pub(crate) const NOTSUP: i32 = 58;
    pub(crate) const SPIPE: i32 = 70;
}

/// The import lines every test guest may use; unused imports cost nothing.
pub(crate) const IMPORTS: &str = r#"
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_res_get" (func $clock_res_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_snapshot_preview1" "proc_raise" (func $proc_raise (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "sched_yield" (func $sched_yield (result i32)))
  (import "wasi_snapshot_preview1" "sock_accept" (func $sock_accept (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_recv" (func $sock_recv (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_send" (func $sock_send (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_shutdown" (func $sock_shutdown (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; $out(ptr, len): write guest bytes to stdout through a ciovec at 0x10.
  (func $out (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0x10) (local.get $ptr))
    (i32.store (i32.const 0x14) (local.get $len))
    (if (call $fd_write (i32.const 1) (i32.const 0x10) (i32.const 1) (i32.const 0x18))
      (then unreachable)))
"#;

/// A module with [`IMPORTS`] and `body`.
pub(crate) fn module(body: &str) -> String {
    format!("(module {IMPORTS} {body})")
}

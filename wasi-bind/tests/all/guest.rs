//! Runs small WAT guests against a `StrataCtx` and reports what happened.

use std::sync::OnceLock;

use strata_wasi::{MODULE, SIGNATURES, StrataCtx, ValType, add_to_linker};
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
        let status = strata_wasi::call_start(&mut self.store, &self.instance)?;
        Ok(status.err().unwrap_or(0))
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

/// The import lines every test guest may use, one per function of
/// [`SIGNATURES`] named `$<function>`; unused imports cost nothing.
pub(crate) fn imports() -> String {
    let mut out = String::new();
    for sig in SIGNATURES {
        let params: Vec<&str> = sig
            .params
            .iter()
            .map(|(_, p)| match p.ty() {
                ValType::I32 => "i32",
                ValType::I64 => "i64",
            })
            .collect();
        let result = if sig.returns_errno {
            "(result i32)"
        } else {
            ""
        };
        out.push_str(&format!(
            "(import \"{MODULE}\" \"{0}\" (func ${0} (param {1}) {result}))\n",
            sig.name,
            params.join(" ")
        ));
    }
    out
}

/// The memory and helpers every test guest gets besides [`imports`].
const HELPERS: &str = r#"
  (memory (export "memory") 1)
  ;; $out(ptr, len): write guest bytes to stdout through a ciovec at 0x10.
  (func $out (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0x10) (local.get $ptr))
    (i32.store (i32.const 0x14) (local.get $len))
    (if (call $fd_write (i32.const 1) (i32.const 0x10) (i32.const 1) (i32.const 0x18))
      (then unreachable)))
"#;

/// A module with every import, [`HELPERS`] and `body`.
pub(crate) fn module(body: &str) -> String {
    format!("(module {} {HELPERS} {body})", imports())
}

//! The signature list is the linker's: every registered import appears in
//! `SIGNATURES` with the same core wasm type, and its pointer kinds are paired
//! with the length or count they need.

use std::collections::BTreeMap;

use strata_wasi::{MODULE, Param, SIGNATURES, StrataCtx, ValType, add_to_linker};
use wasmtime::{Engine, Extern, Linker, Store};

fn wasm(t: ValType) -> String {
    match t {
        ValType::I32 => "i32".into(),
        ValType::I64 => "i64".into(),
    }
}

#[test]
fn signatures_are_the_linker_imports() {
    let engine = Engine::default();
    let mut linker: Linker<StrataCtx> = Linker::new(&engine);
    add_to_linker(&mut linker, |c| c).unwrap();
    let mut store = Store::new(&engine, StrataCtx::builder().build());
    let externs: Vec<(String, String, Extern)> = linker
        .iter(&mut store)
        .map(|(m, n, e)| (m.to_owned(), n.to_owned(), e))
        .collect();
    let mut linked = BTreeMap::new();
    for (module, name, ext) in externs {
        assert_eq!(module, MODULE);
        let Extern::Func(f) = ext else {
            panic!("{name} is not a function")
        };
        let ty = f.ty(&store);
        let params: Vec<String> = ty.params().map(|p| p.to_string()).collect();
        let results: Vec<String> = ty.results().map(|r| r.to_string()).collect();
        linked.insert(name, (params, results));
    }
    assert_eq!(linked.len(), SIGNATURES.len(), "one import per signature");
    for sig in SIGNATURES {
        let params: Vec<String> = sig.params.iter().map(|(_, p)| wasm(p.ty())).collect();
        let results: Vec<String> = if sig.returns_errno {
            vec!["i32".into()]
        } else {
            vec![]
        };
        assert_eq!(
            linked.get(sig.name),
            Some(&(params, results)),
            "{}",
            sig.name
        );
    }
}

#[test]
fn pointer_kinds_name_their_lengths() {
    for sig in SIGNATURES {
        let kinds: Vec<Param> = sig.params.iter().map(|(_, p)| *p).collect();
        for (i, k) in kinds.iter().enumerate() {
            match k {
                Param::Str | Param::Fill | Param::Buf | Param::Iovecs => assert_eq!(
                    kinds.get(i + 1),
                    Some(&Param::Len),
                    "{}: parameter {i} needs its length next",
                    sig.name
                ),
                Param::Array { count, .. } => {
                    assert_eq!(kinds.get(*count), Some(&Param::Len), "{}", sig.name)
                }
                Param::Len => assert!(
                    kinds[..i].iter().any(|p| !matches!(
                        p,
                        Param::Fd | Param::U32 | Param::Flags | Param::U64 | Param::I64
                    )),
                    "{}: a length with no pointer before it",
                    sig.name
                ),
                _ => {}
            }
        }
    }
}

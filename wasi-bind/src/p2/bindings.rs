//! The `wasi:filesystem@0.2` and `wasi:clocks/monotonic-clock` host traits,
//! generated from the standard WIT in `wit/`.
//!
//! Only those are generated here. Its `wasi:io` streams and
//! `wasi:clocks` datetimes are wasmtime-wasi's own types, so a stream this crate
//! hands out is read and written through wasmtime-wasi's `wasi:io` host, and the
//! two halves share one resource table.

wasmtime::component::bindgen!({
    path: "wit",
    world: "strata:wasi/filesystem",
    trappable_error_type: {
        "wasi:filesystem/types.error-code" => super::error::FsError,
    },
    imports: { default: trappable },
    require_store_data_send: true,
    with: {
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:clocks/wall-clock": wasmtime_wasi::p2::bindings::clocks::wall_clock,
        "wasi:filesystem/types.descriptor": super::desc::Descriptor,
        "wasi:filesystem/types.directory-entry-stream": super::desc::DirEntries,
    },
});

pub(crate) use wasi::clocks::monotonic_clock;
pub(crate) use wasi::filesystem::{preopens, types};

//! Arbitrary bytes as stored snapshot objects: decoding each kind, walking
//! references, verifying and loading a whole hostile DAG from a store must
//! give an error or a value, never a panic, and never allocate more than a
//! fixed bound (a counting global allocator measures the peak).
//!
//! Input: byte 0 picks the mode.
//! - 0 mod 4: one object; byte 1 picks the kind (low bits) and whether a valid
//!   header is put in front of the rest (high bit), so the fuzzer reaches body
//!   decoding without having to find the magic first.
//! - 2 mod 8: the rest is an OCI layer tar, imported with small quotas.
//! - 6 mod 8: a single-file pack: byte 1's low bit set, the rest as is;
//!   clear, the rest are store records (below) the target assembles into a
//!   pack with correct hashes, count and checksum, unless other bits of byte 1
//!   ask for a wrong one. Unpacked, loaded, packed and unpacked again.
//! - odd: a store: records `[flags, len_lo, len_hi, bytes…]`; in a record the
//!   token `F7 48 k` stands for the hash of record `k` (an earlier one), so
//!   objects can refer to each other although the fuzzer cannot compute blake3.
//!   The last record is loaded as a manifest with small quotas, verified,
//!   diffed against the first manifest record and garbage-collected.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use strata_engine::{Config, VirtualClock};
use strata_fuzz::alloc::Counting;
use strata_snapshots::format::{
    self, CURRENT_VERSION, DirObject, FileObject, Kind, MAGIC, Manifest, SymlinkObject,
};
use strata_snapshots::oci::{ImportOptions, SpecialFiles, import};
use strata_snapshots::{
    Hash, MemBackend, PACK_FILE_MAGIC, PACK_FILE_VERSION_1, Store, load_with, pack, unpack,
};

#[global_allocator]
static ALLOC: Counting = Counting::new();

/// Most bytes a single input may make the code hold at once, beyond what was
/// live before it. Inputs are at most a few KiB; the loader's quotas below
/// allow 1 MiB of file data.
const PEAK_BOUND: usize = 24 << 20;

const KINDS: [Kind; 5] = [
    Kind::Chunk,
    Kind::File,
    Kind::Dir,
    Kind::Symlink,
    Kind::Manifest,
];

fn with_header(kind: Kind, body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(format::HEADER_LEN + body.len());
    v.extend_from_slice(&MAGIC);
    v.extend_from_slice(&CURRENT_VERSION.to_le_bytes());
    v.push(kind.byte());
    v.extend_from_slice(body);
    v
}

/// Decodes `bytes` as `kind`; a decoded object must re-encode to something that
/// decodes to the same value (the canonical form is a fixed point).
fn decode_one(kind: Kind, bytes: &[u8]) {
    let h = Hash::of(bytes);
    fn again<T: format::Object + PartialEq + std::fmt::Debug>(obj: T) {
        let enc = format::encode(&obj);
        let back: T = format::decode(&enc, Hash::of(&enc)).expect("re-encoded object decodes");
        assert_eq!(back, obj, "decode(encode(x)) != x");
    }
    match kind {
        Kind::Chunk => {
            if let Ok(c) = format::decode_chunk(bytes, h) {
                let enc = format::encode_chunk(c.0);
                let back = format::decode_chunk(&enc, Hash::of(&enc)).expect("chunk decodes");
                assert_eq!(back.0, c.0);
            }
        }
        Kind::File => {
            if let Ok(o) = format::decode::<FileObject>(bytes, h) {
                again(o);
            }
        }
        Kind::Dir => {
            if let Ok(o) = format::decode::<DirObject>(bytes, h) {
                again(o);
            }
        }
        Kind::Symlink => {
            if let Ok(o) = format::decode::<SymlinkObject>(bytes, h) {
                again(o);
            }
        }
        Kind::Manifest => {
            if let Ok(o) = format::decode::<Manifest>(bytes, h) {
                again(o);
            }
        }
    }
    let _ = format::children(bytes, kind, h);
}

/// A memory store whose write batches hold at most 1 MiB: by default a batch
/// reserves room for a whole 64 MiB pack up front, a fixed cost unrelated to
/// the input that would hide what the input makes the code allocate.
fn mem_store() -> Store {
    let store = Store::with_backend(MemBackend::new());
    store.set_pack_limit(1 << 20);
    store
}

/// Replaces every `F7 48 k` token by the hash of an earlier record.
fn link(rec: &[u8], hashes: &[Hash]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rec.len());
    let mut i = 0;
    while i < rec.len() {
        if rec[i] == 0xF7
            && rec.get(i + 1) == Some(&0x48)
            && i + 2 < rec.len()
            && !hashes.is_empty()
        {
            let k = usize::from(rec[i + 2]) % hashes.len();
            out.extend_from_slice(&hashes[k].0);
            i += 3;
        } else {
            out.push(rec[i]);
            i += 1;
        }
    }
    out
}

/// Visits everything a loaded snapshot holds, reading a bounded prefix of each
/// file (a loaded file may be a huge hole): whatever loaded is a readable tree.
fn walk(snap: &strata_engine::Snapshot) {
    let mut buf = vec![0u8; 8192];
    let mut work = vec![snap.root()];
    let mut seen = 0usize;
    while let Some(dir) = work.pop() {
        for e in snap.entries(dir).expect("entries of a loaded directory") {
            seen += 1;
            assert!(seen <= 100_000, "loaded tree larger than its inode quota");
            let st = snap.stat(e.ino).expect("stat of a loaded object");
            match e.kind {
                strata_engine::FileType::Dir => work.push(e.ino),
                strata_engine::FileType::File => {
                    let n = snap
                        .read(e.ino, 0, &mut buf)
                        .expect("read of a loaded file");
                    assert_eq!(n as u64, st.size.min(buf.len() as u64));
                }
                strata_engine::FileType::Symlink => {
                    snap.readlink(e.ino).expect("readlink of a loaded symlink");
                }
            }
        }
    }
}

fn oci_mode(data: &[u8]) {
    let opts = ImportOptions {
        config: small_config(),
        special_files: if data.first().is_some_and(|b| b & 1 == 1) {
            SpecialFiles::Reject
        } else {
            SpecialFiles::Skip
        },
    };
    let r = import(data, None, &opts);
    debug(&format!(
        "import: {:?}",
        r.as_ref().map(|s| s.upper_inodes())
    ));
    if let Ok(snap) = r {
        walk(&snap);
    }
}

/// Says what happened when `STRATA_FUZZ_DEBUG` is set (replaying one input).
fn debug(msg: &str) {
    if std::env::var_os("STRATA_FUZZ_DEBUG").is_some() {
        eprintln!("{msg}");
    }
}

/// Quotas that keep a hostile input's tree small.
fn small_config() -> Config {
    Config {
        max_bytes: 1 << 20,
        max_inodes: 256,
        clock: Arc::new(VirtualClock::default()),
        ..Config::default()
    }
}

/// The records of a store-mode input: `(kind, object bytes)`, hash tokens
/// replaced.
fn records(data: &[u8]) -> Vec<(Kind, Vec<u8>)> {
    let mut out = Vec::new();
    let mut hashes = Vec::new();
    let mut rest = data;
    while let [flags, lo, hi, tail @ ..] = rest {
        let len = usize::from(u16::from_le_bytes([*lo, *hi])).min(tail.len());
        let (rec, next) = tail.split_at(len);
        rest = next;
        let kind = KINDS[usize::from(flags & 7) % KINDS.len()];
        let body = link(rec, &hashes);
        let obj = if flags & 0x80 != 0 {
            with_header(kind, &body)
        } else {
            body
        };
        hashes.push(Hash::of(&obj));
        out.push((kind, obj));
    }
    out
}

/// A single-file pack of the records (the manifest last), with correct
/// hashes, count and checksum unless `flags` asks for one of them to be wrong,
/// so the fuzzer reaches `unpack`'s checks of what the records say.
fn assemble_pack(flags: u8, recs: &[(Kind, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&PACK_FILE_MAGIC);
    out.extend_from_slice(&PACK_FILE_VERSION_1.to_le_bytes());
    let manifest = recs.last().map_or(Hash([0; 32]), |(_, b)| Hash::of(b));
    out.extend_from_slice(&manifest.0);
    for (i, (_, bytes)) in recs.iter().enumerate() {
        out.push(1);
        let mut h = Hash::of(bytes);
        if flags & 2 != 0 && i == 0 {
            h.0[0] ^= 1;
        }
        out.extend_from_slice(&h.0);
        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(bytes);
    }
    let mut sum = *blake3::hash(&out).as_bytes();
    if flags & 4 != 0 {
        sum[0] ^= 1;
    }
    out.push(0);
    let count = recs.len() as u64 + u64::from(flags & 8 != 0);
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&sum);
    if flags & 16 != 0 {
        out.pop();
    }
    out
}

/// `unpack` of a pack, raw or assembled from records; a pack that unpacks
/// loads, and packing it again gives a pack that unpacks to the same manifest.
fn pack_mode(data: &[u8]) {
    let Some((flags, rest)) = data.split_first() else {
        return;
    };
    let bytes = if flags & 1 != 0 {
        rest.to_vec()
    } else {
        assemble_pack(*flags, &records(rest))
    };
    let store = mem_store();
    let r = unpack(&store, &bytes[..]);
    debug(&format!("unpack: {r:?}"));
    let Ok(h) = r else {
        return;
    };
    if let Ok(snap) = load_with(&store, &h, small_config()) {
        walk(&snap);
    }
    let mut again = Vec::new();
    pack(&store, &h, &mut again).expect("an unpacked snapshot packs");
    let store2 = mem_store();
    assert_eq!(unpack(&store2, &again[..]).expect("re-pack unpacks"), h);
}

fn store_mode(data: &[u8]) {
    let store = mem_store();
    let mut hashes = Vec::new();
    let mut manifests = Vec::new();
    for (kind, obj) in records(data) {
        let h = store.put(&obj).expect("memory store put");
        if kind == Kind::Manifest {
            manifests.push(h);
        }
        hashes.push(h);
    }
    let Some(last) = hashes.last() else {
        return;
    };
    let r = load_with(&store, last, small_config());
    debug(&format!("load: {:?}", r.as_ref().map(|s| s.upper_inodes())));
    if let Ok(snap) = r {
        walk(&snap);
    }
    if let Some(first) = manifests.first() {
        let d = strata_snapshots::diff(&store, first, last);
        debug(&format!("diff: {d:?}"));
    }
    let _ = store.verify(last);
    let _ = store.gc();
}

fuzz_target!(|data: &[u8]| {
    let base = ALLOC.reset_peak();
    match data {
        [mode, rest @ ..] if mode % 8 == 2 => oci_mode(rest),
        [mode, rest @ ..] if mode % 8 == 6 => pack_mode(rest),
        [mode, sel, rest @ ..] if mode % 4 == 0 => {
            let kind = KINDS[usize::from(sel & 0x7f) % KINDS.len()];
            if sel & 0x80 != 0 {
                decode_one(kind, &with_header(kind, rest));
            } else {
                decode_one(kind, rest);
            }
        }
        [_, rest @ ..] => store_mode(rest),
        [] => {}
    }
    let used = ALLOC.peak() - base;
    assert!(
        used <= PEAK_BOUND,
        "peak allocation {used} bytes for a {}-byte input",
        data.len()
    );
});

#!/usr/bin/env python3
"""Writes hand-made seed inputs for the `snapshot_decode` target into
corpus/snapshot_decode/ (run from fuzz/): valid objects of every kind, small
stores whose objects refer to each other (the target's `F7 48 k` hash tokens),
OCI layer tars and single-file packs. The encoding follows snapshots/src/format.rs: postcard
varints, raw 32-byte hashes, sequences as a varint length then the items."""

import io
import os
import tarfile

OUT = "corpus/snapshot_decode"
MAGIC = bytes([0x89, ord("S"), ord("N"), ord("P")])
CHUNK, FILE, DIR, SYMLINK, MANIFEST = 0, 1, 2, 3, 4  # the target's kind indices


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n == 0:
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def string(s):
    b = s.encode() if isinstance(s, str) else s
    return varint(len(b)) + b


def seq(items):
    return varint(len(items)) + b"".join(items)


def ref(k):
    """The target replaces this token by the hash of record k."""
    return bytes([0xF7, 0x48, k])


def meta(perm=0o644, atime=1, mtime=2):
    return varint(perm) + varint(atime) + varint(mtime)


def chunk(data):
    return string(data)


def file_obj(size, nlink, chunks):
    return varint(size) + varint(nlink) + meta() + seq([varint(o) + ref(k) for o, k in chunks])


def dir_obj(entries):
    # entries: (name, kind 0 file / 1 dir / 2 symlink, record)
    return meta(0o755) + seq([string(n) + varint(kind) + ref(k) for n, kind, k in sorted(entries)])


def symlink_obj(target):
    return string(target) + meta(0o777)


def manifest(root, parent=None, labels=(), tick=7, links=()):
    body = varint(1) + ref(root)
    body += b"\x00" if parent is None else b"\x01" + ref(parent)
    body += seq([])  # lowers
    body += seq([string(k) + string(v) for k, v in labels])
    body += varint(tick)
    body += seq([seq([seq([string(n) for n in path]) for path in group]) for group in links])
    return body


def store(records):
    """records: (kind, body); every record gets the header (flag 0x80)."""
    out = bytearray([1])
    for kind, body in records:
        out += bytes([0x80 | kind]) + len(body).to_bytes(2, "little") + body
    return bytes(out)


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    base = [
        (CHUNK, chunk(b"hello")),  # 0
        (FILE, file_obj(5, 1, [(0, 0)])),  # 1
        (SYMLINK, symlink_obj("../a")),  # 2
        (DIR, dir_obj([("a", 0, 1), ("l", 2, 2)])),  # 3
        (DIR, dir_obj([("d", 1, 3), ("f", 0, 1)])),  # 4
        (MANIFEST, manifest(4, labels=[("by", "seed")])),  # 5
    ]
    write("seed-store-tree", store(base))
    linked = base[:1] + [(FILE, file_obj(9000, 2, [(0, 0), (8192, 0)]))] + base[2:5]
    linked.append((MANIFEST, manifest(4, links=[[["d", "a"], ["f"]]])))
    write("seed-store-links", store(linked))
    # Two manifests, so the target's diff runs: the second changes d/a.
    two = base + [
        (CHUNK, chunk(b"world")),  # 6
        (FILE, file_obj(4096 * 3, 1, [(4096, 6)])),  # 7
        (DIR, dir_obj([("a", 0, 7), ("l", 2, 2), ("new", 1, 3)])),  # 8
        (DIR, dir_obj([("d", 1, 8), ("f", 0, 1)])),  # 9
        (MANIFEST, manifest(9, parent=5, tick=9)),  # 10
    ]
    write("seed-store-diff", store(two))
    # The same records as single-file packs the target assembles (mode 6, flags 0).
    write("seed-pack-tree", bytes([6, 0]) + store(base)[1:])
    write("seed-pack-diff", bytes([6, 0]) + store(two)[1:])
    # Single objects, header added by the target (selector high bit).
    for kind, body in base:
        write(f"seed-object-{kind}", bytes([0, 0x80 | kind]) + body.replace(ref(0), bytes(32)))
    # OCI layers.
    for name, entries in [
        ("seed-oci-layer", ["d/", "d/a", "d/.wh.gone", "l->d/a", "h=>d/a", "e/.wh..wh..opq"]),
        ("seed-oci-hostile", ["../x", "/abs", "d/", "d/../../y", "h=>/etc/passwd"]),
    ]:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
            for e in entries:
                if e.endswith("/"):
                    ti = tarfile.TarInfo(e.rstrip("/"))
                    ti.type = tarfile.DIRTYPE
                    ti.mode = 0o755
                    t.addfile(ti)
                elif "->" in e:
                    n, target = e.split("->")
                    ti = tarfile.TarInfo(n)
                    ti.type = tarfile.SYMTYPE
                    ti.linkname = target
                    t.addfile(ti)
                elif "=>" in e:
                    n, target = e.split("=>")
                    ti = tarfile.TarInfo(n)
                    ti.type = tarfile.LNKTYPE
                    ti.linkname = target
                    t.addfile(ti)
                else:
                    data = b"data of " + e.encode()
                    ti = tarfile.TarInfo(e)
                    ti.size = len(data)
                    ti.mtime = 1000
                    t.addfile(ti, io.BytesIO(data))
        # Mode byte 2: the target imports the rest as a tar. The padding to
        # tarfile's 10 KiB record after the end-of-archive blocks is dropped.
        data = buf.getvalue()
        end = len(data.rstrip(b"\0"))
        end = (end + 511) // 512 * 512 + 1024
        write(name, bytes([2]) + data[:end])


main()

//! The standard lower tree that the guest programs read and modify.
//!
//! Layout (all paths relative to the preopened directory):
//!
//! ```text
//! README.txt                 "hello strata\n"
//! .wh.fake                   "not a whiteout\n"  (whiteout-looking names are ordinary)
//! empty/                     an empty directory
//! data/small.txt             "0123456789\n"
//! data/big.bin               1 MiB, byte i = big_byte(i)
//! data/hard_a.txt            "hardlinked\n", the same inode as data/hard_b.txt
//! data/hard_b.txt
//! data/link_to_leaf       -> nested/deep/leaf.txt
//! data/nested/mid.txt        "mid\n"
//! data/nested/deep/leaf.txt  "leaf\n"
//! docs/a.txt                 "alpha\n"
//! docs/b.txt                 "beta\n"
//! docs/sub/c.txt             "gamma\n"
//! links/to_docs           -> ../docs
//! links/escape_rel        -> ../../etc/passwd   (leaves the tree)
//! links/escape_abs        -> /etc/passwd        (absolute)
//! links/dangling          -> nowhere
//! ```

use std::fs;
use std::io;
use std::path::Path;

/// What the read-only second preopen ([`crate::guests::RO_GUEST_DIR`]) holds:
/// `f` ("read only\n") and an empty directory `d`.
pub fn populate_read_only(dir: &Path) -> io::Result<()> {
    fs::write(dir.join("f"), "read only\n")?;
    fs::create_dir(dir.join("d"))
}

/// Size of `data/big.bin`.
pub const BIG_LEN: usize = 1 << 20;

/// The byte at offset `i` of `data/big.bin`; the guests compute the same.
pub fn big_byte(i: usize) -> u8 {
    // Truncation is the point: a pattern that changes every byte and every page.
    ((i % 251) + (i / 4096)) as u8
}

/// The content of `data/big.bin`.
pub fn big_content() -> Vec<u8> {
    (0..BIG_LEN).map(big_byte).collect()
}

/// Writes the standard tree into `dir`, which must exist and be empty.
pub fn populate(dir: &Path) -> io::Result<()> {
    let file = |rel: &str, content: &[u8]| fs::write(dir.join(rel), content);
    let mkdir = |rel: &str| fs::create_dir(dir.join(rel));
    let symlink = |target: &str, rel: &str| std::os::unix::fs::symlink(target, dir.join(rel));

    file("README.txt", b"hello strata\n")?;
    file(".wh.fake", b"not a whiteout\n")?;
    mkdir("empty")?;

    mkdir("data")?;
    file("data/small.txt", b"0123456789\n")?;
    file("data/big.bin", &big_content())?;
    file("data/hard_a.txt", b"hardlinked\n")?;
    fs::hard_link(dir.join("data/hard_a.txt"), dir.join("data/hard_b.txt"))?;
    mkdir("data/nested")?;
    file("data/nested/mid.txt", b"mid\n")?;
    mkdir("data/nested/deep")?;
    file("data/nested/deep/leaf.txt", b"leaf\n")?;
    symlink("nested/deep/leaf.txt", "data/link_to_leaf")?;

    mkdir("docs")?;
    file("docs/a.txt", b"alpha\n")?;
    file("docs/b.txt", b"beta\n")?;
    mkdir("docs/sub")?;
    file("docs/sub/c.txt", b"gamma\n")?;

    mkdir("links")?;
    symlink("../docs", "links/to_docs")?;
    symlink("../../etc/passwd", "links/escape_rel")?;
    symlink("/etc/passwd", "links/escape_abs")?;
    symlink("nowhere", "links/dangling")?;
    Ok(())
}

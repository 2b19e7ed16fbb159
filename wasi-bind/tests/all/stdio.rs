//! fd 0, 1 and 2: byte-string stdin, captured outputs, and the stdio answers of fd_*.

use strata_wasi::{OutputCapture, StrataCtx};

use crate::guest::module;
use crate::{Guest, errno};

const BODY: &str = r#"
  ;; read(fd 0) into two iovecs of 4 and 8 bytes at 0x100 and 0x200; nread at 0x30
  (func (export "read") (result i32)
    (i32.store (i32.const 0x20) (i32.const 0x100))
    (i32.store (i32.const 0x24) (i32.const 4))
    (i32.store (i32.const 0x28) (i32.const 0x200))
    (i32.store (i32.const 0x2c) (i32.const 8))
    (call $fd_read (i32.const 0) (i32.const 0x20) (i32.const 2) (i32.const 0x30)))
  (func (export "nread") (result i32) (i32.load (i32.const 0x30)))
  ;; write 0x100..0x104 and 0x200..0x205 to fd 2 in one gather
  (func (export "gather_err") (result i32)
    (i32.store (i32.const 0x20) (i32.const 0x100))
    (i32.store (i32.const 0x24) (i32.const 4))
    (i32.store (i32.const 0x28) (i32.const 0x200))
    (i32.store (i32.const 0x2c) (i32.const 5))
    (call $fd_write (i32.const 2) (i32.const 0x20) (i32.const 2) (i32.const 0x30)))
  (func (export "write_stdin") (result i32)
    (call $fd_write (i32.const 0) (i32.const 0x20) (i32.const 0) (i32.const 0x30)))
  (func (export "read_stdout") (result i32)
    (call $fd_read (i32.const 1) (i32.const 0x20) (i32.const 0) (i32.const 0x30)))
  (func (export "fdstat_out") (result i32) (call $fd_fdstat_get (i32.const 1) (i32.const 0x40)))
  (func (export "fdstat_bad") (result i32) (call $fd_fdstat_get (i32.const 5) (i32.const 0x40)))
  (func (export "seek") (result i32)
    (call $fd_seek (i32.const 0) (i64.const 0) (i32.const 0) (i32.const 0x40)))
  (func (export "close_out") (result i32) (call $fd_close (i32.const 1)))
  (func (export "write_out") (result i32)
    (call $fd_write (i32.const 1) (i32.const 0x20) (i32.const 1) (i32.const 0x30)))
"#;

fn guest(stdin: &[u8], out: &OutputCapture, err: &OutputCapture) -> Guest {
    let ctx = StrataCtx::builder()
        .stdin_bytes(stdin)
        .stdout_capture(out)
        .stderr_capture(err)
        .build();
    Guest::new(&module(BODY), ctx)
}

/// As wasmtime-wasi 48 does, one `fd_read`/`fd_write` moves only the first
/// non-empty iovec's bytes (issue 11: the reference wins).
#[test]
fn stdin_bytes_fill_the_first_iovec_per_call_then_eof() {
    let (out, err) = (OutputCapture::new(64), OutputCapture::new(64));
    let mut g = guest(b"0123456789", &out, &err);
    assert_eq!(g.call("read").unwrap(), errno::SUCCESS);
    assert_eq!(g.call("nread").unwrap(), 4);
    assert_eq!(g.memory(0x100, 4), b"0123");
    assert_eq!(g.memory(0x200, 6), [0; 6], "the second iovec is untouched");
    assert_eq!(g.call("gather_err").unwrap(), errno::SUCCESS);
    assert_eq!(g.call("nread").unwrap(), 4);
    assert_eq!(err.contents(), b"0123");
    assert_eq!(g.call("read").unwrap(), errno::SUCCESS);
    assert_eq!(g.call("nread").unwrap(), 4);
    assert_eq!(g.memory(0x100, 4), b"4567");
    assert_eq!(g.call("read").unwrap(), errno::SUCCESS);
    assert_eq!(g.call("nread").unwrap(), 2);
    assert_eq!(g.memory(0x100, 2), b"89");
    assert_eq!(g.call("read").unwrap(), errno::SUCCESS);
    assert_eq!(g.call("nread").unwrap(), 0, "end of file");
    assert!(out.contents().is_empty());
}

#[test]
fn wrong_direction_and_unknown_fds_are_ebadf() {
    let (out, err) = (OutputCapture::new(64), OutputCapture::new(64));
    let mut g = guest(b"", &out, &err);
    assert_eq!(g.call("write_stdin").unwrap(), errno::BADF);
    assert_eq!(g.call("read_stdout").unwrap(), errno::BADF);
    assert_eq!(g.call("fdstat_bad").unwrap(), errno::BADF);
    assert_eq!(g.call("seek").unwrap(), errno::SPIPE);
}

#[test]
fn fdstat_of_captured_stdout() {
    let (out, err) = (OutputCapture::new(64), OutputCapture::new(64));
    let mut g = guest(b"", &out, &err);
    assert_eq!(g.call("fdstat_out").unwrap(), errno::SUCCESS);
    let stat = g.memory(0x40, 24);
    assert_eq!(stat[0], 0, "filetype unknown: not a terminal");
    assert_eq!(
        u64::from_le_bytes(stat[8..16].try_into().unwrap()),
        1 << 6,
        "FD_WRITE only"
    );
}

#[test]
fn closed_stdout_is_ebadf() {
    let (out, err) = (OutputCapture::new(64), OutputCapture::new(64));
    let mut g = guest(b"", &out, &err);
    assert_eq!(g.call("close_out").unwrap(), errno::SUCCESS);
    assert_eq!(g.call("close_out").unwrap(), errno::BADF);
    assert_eq!(g.call("write_out").unwrap(), errno::BADF);
}

#[test]
fn full_capture_gives_short_write_then_enospc() {
    let (out, err) = (OutputCapture::new(64), OutputCapture::new(6));
    let mut g = guest(b"abcdefghij", &out, &err);
    assert_eq!(g.call("read").unwrap(), errno::SUCCESS);
    assert_eq!(g.call("gather_err").unwrap(), errno::SUCCESS);
    assert_eq!(g.call("nread").unwrap(), 4, "the first iovec");
    assert_eq!(g.call("gather_err").unwrap(), errno::SUCCESS);
    assert_eq!(g.call("nread").unwrap(), 2, "short write");
    assert_eq!(g.call("gather_err").unwrap(), 51, "ENOSPC");
    assert_eq!(err.contents(), b"abcdab");
}

/* wasi_fuel: the per-call copy budget (wasmtime's hostcall fuel, Strata's
 * copy_budget), run with 1000 bytes on both sides.  Oversized arguments --
 * a 110 KB path, 10,000-entry iovecs, 10,000 poll subscriptions -- are ENOMEM
 * exactly where wasmtime-wasi 48 says so, and arguments just under the budget
 * are not: the charge is 8 bytes an iovec plus the first non-empty buffer,
 * each path's length, 32 + 32 bytes a poll subscription (none for a single
 * one); path_unlink_file is not charged.  The order matters too: path_open
 * charges before it looks at the fd, the other path calls after, reads and
 * writes before. */
#include "common.h"
#include <wasi/api.h>

#define DIRFD 3
#define BIG 110000
#define MANY 10000

static char big[BIG + 1];
static __wasi_ciovec_t ciovs[MANY];
static __wasi_iovec_t iovs[MANY];
static __wasi_subscription_t subs[MANY];
static __wasi_event_t events[MANY];
static char data[2048];

static void wres(const char *what, __wasi_errno_t e) { say("%s: %s", what, errname(e)); }

/* "./" repeated, then "x": a path of exactly `len` bytes (odd) naming ./x. */
static const char *dots(size_t len) {
  static char p[2048];
  size_t i = 0;
  while (i + 1 < len) {
    p[i++] = '.';
    p[i++] = '/';
  }
  p[i++] = 'x';
  p[i] = '\0';
  return p;
}

static void clock_sub(__wasi_subscription_t *s, uint64_t userdata) {
  memset(s, 0, sizeof *s);
  s->userdata = userdata;
  s->u.tag = __WASI_EVENTTYPE_CLOCK;
  s->u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  s->u.u.clock.timeout = 0;
}

int main(int argc, char **argv) {
  static char obuf[256];
  setvbuf(stdout, obuf, _IOLBF, sizeof obuf);
  setup(argc, argv);
  __wasi_prestat_t pre;
  wres("fd 3 is a preopen", __wasi_fd_prestat_get(DIRFD, &pre));

  memset(big, 'a', BIG);
  __wasi_fd_t fd = 99;
  __wasi_filestat_t st;

  /* Paths. */
  wres("path_open 110 KB path",
       __wasi_path_open(DIRFD, 0, big, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
  wres("path_open 110 KB path, bad fd",
       __wasi_path_open(77, 0, big, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
  wres("path_filestat_get 110 KB path", __wasi_path_filestat_get(DIRFD, 0, big, &st));
  wres("path_filestat_get 110 KB path, bad fd", __wasi_path_filestat_get(77, 0, big, &st));
  wres("path_create_directory 110 KB path", __wasi_path_create_directory(DIRFD, big));
  wres("path_remove_directory 110 KB path", __wasi_path_remove_directory(DIRFD, big));
  wres("path_unlink_file 110 KB path (not charged)", __wasi_path_unlink_file(DIRFD, big));
  wres("path_symlink 110 KB target", __wasi_path_symlink(big, DIRFD, "s"));
  wres("path_rename 110 KB source", __wasi_path_rename(DIRFD, big, DIRFD, "r"));
  wres("path_link 110 KB source", __wasi_path_link(DIRFD, 0, big, DIRFD, "l"));
  char target[16];
  __wasi_size_t used = 0;
  wres("path_readlink 110 KB path",
       __wasi_path_readlink(DIRFD, big, (uint8_t *)target, sizeof target, &used));
  wres("path_filestat_get 999-byte path", __wasi_path_filestat_get(DIRFD, 0, dots(999), &st));
  wres("path_filestat_get 1001-byte path", __wasi_path_filestat_get(DIRFD, 0, dots(1001), &st));
  wres("path_filestat_get 1000-byte path",
       __wasi_path_filestat_get(DIRFD, 0, strcat((char *)dots(999), "/"), &st));
  /* Two strings share one budget: 599 + 599 bytes is too much. */
  char a[601], b[601];
  memcpy(a, dots(599), 600);
  memcpy(b, dots(599), 600);
  b[598] = 'y';
  wres("path_rename 599 + 599 bytes", __wasi_path_rename(DIRFD, a, DIRFD, b));
  wres("path_symlink 400 + 400 bytes", __wasi_path_symlink(dots(399), DIRFD, "s400"));

  /* Reads and writes. */
  wres("create f", __wasi_path_open(DIRFD, 0, "f", __WASI_OFLAGS_CREAT,
                                    __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, 0, &fd));
  memset(data, 'd', sizeof data);
  __wasi_size_t n = 12345;
  for (int i = 0; i < MANY; i++) {
    ciovs[i].buf = (const uint8_t *)data;
    ciovs[i].buf_len = 1;
    iovs[i].buf = (uint8_t *)data;
    iovs[i].buf_len = 1;
  }
  wres("fd_write 10,000 iovecs", __wasi_fd_write(fd, ciovs, MANY, &n));
  wres("fd_write 10,000 iovecs, bad fd", __wasi_fd_write(77, ciovs, MANY, &n));
  wres("fd_read 10,000 iovecs", __wasi_fd_read(fd, iovs, MANY, &n));
  wres("fd_pwrite 10,000 iovecs", __wasi_fd_pwrite(fd, ciovs, MANY, 0, &n));
  wres("fd_pread 10,000 iovecs", __wasi_fd_pread(fd, iovs, MANY, 0, &n));
  wres("fd_write 10,000 iovecs to stdout", __wasi_fd_write(1, ciovs, MANY, &n));
  /* 124 records (992 bytes) and a first buffer of 8: exactly the budget. */
  ciovs[0].buf_len = 8;
  n = 12345;
  wres("fd_write 124 iovecs, first 8 bytes", __wasi_fd_write(fd, ciovs, 124, &n));
  say("written: %u", (unsigned)n);
  wres("fd_write 125 iovecs, first 8 bytes", __wasi_fd_write(fd, ciovs, 125, &n));
  /* Empty buffers are skipped: only the first non-empty one is charged. */
  ciovs[0].buf_len = 0;
  ciovs[1].buf_len = 985;
  wres("fd_write 1 empty + 985 bytes", __wasi_fd_write(fd, ciovs, 2, &n));
  ciovs[1].buf_len = 984;
  n = 12345;
  wres("fd_write 1 empty + 984 bytes", __wasi_fd_write(fd, ciovs, 2, &n));
  say("written: %u", (unsigned)n);
  ciovs[0].buf_len = 992;
  wres("fd_write 992 bytes", __wasi_fd_write(fd, ciovs, 1, &n));
  say("written: %u", (unsigned)n);
  ciovs[0].buf_len = 993;
  wres("fd_write 993 bytes", __wasi_fd_write(fd, ciovs, 1, &n));
  ciovs[0].buf_len = 1500;
  wres("fd_write 1500 bytes to stdout", __wasi_fd_write(1, ciovs, 1, &n));
  iovs[0].buf_len = 992;
  n = 12345;
  wres("fd_pread 992 bytes", __wasi_fd_pread(fd, iovs, 1, 0, &n));
  say("read: %u", (unsigned)n);
  iovs[0].buf_len = 993;
  wres("fd_pread 993 bytes", __wasi_fd_pread(fd, iovs, 1, 0, &n));
  wres("fd_read 993 bytes, bad fd", __wasi_fd_read(77, iovs, 1, &n));
  __wasi_filesize_t size = 0;
  wres("fd_seek end", __wasi_fd_seek(fd, 0, __WASI_WHENCE_END, &size));
  say("size: %llu", (unsigned long long)size);
  wres("close f", __wasi_fd_close(fd));

  /* poll_oneoff. */
  for (int i = 0; i < MANY; i++)
    clock_sub(&subs[i], (uint64_t)i);
  static const __wasi_size_t counts[] = {1, 2, 12, 13, 15, 16, 17, MANY};
  for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
    n = 12345;
    __wasi_errno_t e = __wasi_poll_oneoff(subs, events, counts[i], &n);
    say("poll_oneoff %u clocks: %s, %u events", (unsigned)counts[i], errname(e),
        e ? 0 : (unsigned)n);
  }

  /* Calls that copy nothing from the guest are never refused. */
  wres("fd_filestat_get", __wasi_fd_filestat_get(DIRFD, &st));
  wres("random_get 2000 bytes", __wasi_random_get((uint8_t *)data, 2000));
  wres("fd_readdir 2000-byte buffer",
       __wasi_fd_readdir(DIRFD, (uint8_t *)data, 2000, 0, &used));
  return 0;
}

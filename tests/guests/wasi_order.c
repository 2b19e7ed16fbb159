/* wasi_order: which error wins when several apply, and the answers where
 * wasmtime-wasi 48 departs from POSIX, through raw calls.  Run with a second,
 * read-only preopen at /ro (f, d/).  Covers: permission checks before
 * cross-mount checks (link and rename between preopens of different
 * permissions are EPERM), everything that would write to /ro (EPERM before
 * the path is looked at), fd checks before and after path decoding, the sync
 * fdflags (ENOTSUP to open, EINVAL to set), fd_allocate (ENOTSUP), regular
 * files only for sync/allocate/advise/set_size/set_flags (EBADF), stdio
 * pread/pwrite/tell, O_DIRECTORY with O_CREAT, the access mode of an fd opened
 * with neither read nor write rights, readv/writev and pread sizes, the
 * rights of a directory opened by path_open, absolute symlinks, rmdir with a
 * trailing slash, poll on files and directories, and reads of nothing from
 * stdin. */
#include "common.h"
#include <wasi/api.h>

/* Some results are deliberately ignored: only the follow-up state is checked. */
#pragma clang diagnostic ignored "-Wunused-result"

#define SB 3
#define RO 4

static void wres(const char *what, __wasi_errno_t e) { say("%s: %s", what, errname(e)); }

static __wasi_fd_t open_at(__wasi_fd_t dir, const char *path, __wasi_oflags_t o,
                           __wasi_rights_t r, __wasi_fdflags_t f, __wasi_errno_t *e) {
  __wasi_fd_t fd = (__wasi_fd_t)-1;
  *e = __wasi_path_open(dir, 0, path, o, r, 0, f, &fd);
  return fd;
}

static const char *exists(__wasi_fd_t dir, const char *path) {
  __wasi_filestat_t st;
  __wasi_errno_t e = __wasi_path_filestat_get(dir, 0, path, &st);
  return e ? errname(e) : "exists";
}

int main(int argc, char **argv) {
  setup(argc, argv);
  __wasi_prestat_t pre;
  wres("fd 3 is a preopen", __wasi_fd_prestat_get(SB, &pre));
  wres("fd 4 is a preopen", __wasi_fd_prestat_get(RO, &pre));
  char name[16] = {0};
  wres("fd 4 name", __wasi_fd_prestat_dir_name(RO, (uint8_t *)name, sizeof name - 1));
  say("fd 4 is %s", name);

  __wasi_errno_t e;
  const __wasi_rights_t RW = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE;

  /* Between preopens of different permissions: EPERM, never EXDEV. */
  wres("link sandbox -> ro", __wasi_path_link(SB, 0, "README.txt", RO, "new"));
  wres("link ro -> sandbox", __wasi_path_link(RO, 0, "f", SB, "from_ro"));
  wres("link ro -> sandbox, missing source", __wasi_path_link(RO, 0, "nope", SB, "x"));
  wres("rename sandbox -> ro", __wasi_path_rename(SB, "README.txt", RO, "new"));
  wres("rename ro -> sandbox", __wasi_path_rename(RO, "f", SB, "from_ro"));
  wres("rename ro -> ro", __wasi_path_rename(RO, "f", RO, "g"));
  wres("link follow, same dir", __wasi_path_link(SB, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW,
                                                 "README.txt", SB, "follow_link"));
  wres("link follow, into ro", __wasi_path_link(SB, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW,
                                                "README.txt", RO, "x"));
  say("follow_link: %s", exists(SB, "follow_link"));

  /* Writing to the read-only preopen: EPERM before the path is resolved. */
  open_at(RO, "f", 0, __WASI_RIGHTS_FD_READ, 0, &e);
  wres("ro open f read", e);
  open_at(RO, "f", 0, RW, 0, &e);
  wres("ro open f write", e);
  open_at(RO, "missing/x", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_READ, 0, &e);
  wres("ro create under missing dir", e);
  open_at(RO, "f", __WASI_OFLAGS_TRUNC, __WASI_RIGHTS_FD_READ, 0, &e);
  wres("ro truncate", e);
  wres("ro mkdir existing", __wasi_path_create_directory(RO, "d"));
  wres("ro rmdir missing", __wasi_path_remove_directory(RO, "missing"));
  wres("ro unlink missing", __wasi_path_unlink_file(RO, "missing"));
  wres("ro symlink", __wasi_path_symlink("f", RO, "f"));
  wres("ro set times missing", __wasi_path_filestat_set_times(RO, 0, "missing", 0, 0,
                                                              __WASI_FSTFLAGS_MTIM_NOW));
  __wasi_fd_t rf = open_at(RO, "f", 0, __WASI_RIGHTS_FD_READ, 0, &e);
  wres("ro fd set size", __wasi_fd_filestat_set_size(rf, 0));
  wres("ro fd set times", __wasi_fd_filestat_set_times(rf, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
  wres("ro fd write", __wasi_fd_write(rf, &(__wasi_ciovec_t){(const uint8_t *)"x", 1}, 1,
                                      &(__wasi_size_t){0}));
  __wasi_fd_close(rf);
  say("ro/new: %s", exists(RO, "new"));

  /* Bad fd against bad path: path_open decodes the path first. */
  char bad_utf8[] = {'a', (char)0xff, 0};
  __wasi_filestat_t st;
  open_at(77, bad_utf8, 0, __WASI_RIGHTS_FD_READ, 0, &e);
  wres("path_open bad fd, bad utf-8", e);
  wres("path_filestat_get bad fd, bad utf-8", __wasi_path_filestat_get(77, 0, bad_utf8, &st));
  wres("path_unlink_file bad fd, bad utf-8", __wasi_path_unlink_file(77, bad_utf8));
  wres("path_symlink bad fd, bad utf-8", __wasi_path_symlink(bad_utf8, 77, "x"));
  __wasi_fd_t rd = open_at(SB, "README.txt", 0, __WASI_RIGHTS_FD_READ, 0, &e);
  open_at(rd, bad_utf8, 0, __WASI_RIGHTS_FD_READ, 0, &e);
  wres("path_open file fd, bad utf-8", e);
  open_at(rd, "x", 0, __WASI_RIGHTS_FD_READ, 0, &e);
  wres("path_open file fd", e);
  wres("path_filestat_get file fd", __wasi_path_filestat_get(rd, 0, "x", &st));

  /* The sync fdflags and O_DIRECTORY combinations. */
  open_at(SB, "sync", __WASI_OFLAGS_CREAT, RW, __WASI_FDFLAGS_SYNC, &e);
  wres("open SYNC", e);
  open_at(SB, "dsync", __WASI_OFLAGS_CREAT, RW, __WASI_FDFLAGS_DSYNC, &e);
  wres("open DSYNC", e);
  open_at(SB, "rsync", __WASI_OFLAGS_CREAT, RW, __WASI_FDFLAGS_RSYNC, &e);
  wres("open RSYNC", e);
  open_at(SB, "missing/sync", __WASI_OFLAGS_CREAT, RW, __WASI_FDFLAGS_SYNC, &e);
  wres("open SYNC under a missing dir", e);
  say("sync: %s", exists(SB, "sync"));
  open_at(SB, "newdir", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_DIRECTORY, RW, 0, &e);
  wres("open CREAT|DIRECTORY", e);
  open_at(SB, "empty", __WASI_OFLAGS_TRUNC | __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READ, 0, &e);
  wres("open TRUNC|DIRECTORY", e);
  open_at(SB, "empty", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_READ, 0, &e);
  wres("open CREAT of a directory", e);
  say("newdir: %s", exists(SB, "newdir"));

  /* Neither read nor write rights: the fd reads. */
  __wasi_fd_t none = open_at(SB, "README.txt", 0, 0, 0, &e);
  wres("open without rights", e);
  char buf[64] = {0};
  __wasi_size_t n = 0;
  wres("read it", __wasi_fd_read(none, &(__wasi_iovec_t){(uint8_t *)buf, 5}, 1, &n));
  say("read %u: %.5s", (unsigned)n, buf);
  __wasi_fdstat_t fs;
  __wasi_fd_fdstat_get(none, &fs);
  say("its rights: %llx", (unsigned long long)fs.fs_rights_base);
  __wasi_fd_close(none);

  /* Regular files only. */
  __wasi_fd_t f = open_at(SB, "data/small.txt", 0, RW, 0, &e);
  wres("fd_allocate file", __wasi_fd_allocate(f, 0, 100));
  wres("fd_allocate dir", __wasi_fd_allocate(SB, 0, 100));
  wres("fd_allocate stdout", __wasi_fd_allocate(1, 0, 100));
  __wasi_filestat_t fst;
  __wasi_fd_filestat_get(f, &fst);
  say("size after fd_allocate: %llu", (unsigned long long)fst.size);
  wres("fd_sync dir", __wasi_fd_sync(SB));
  wres("fd_datasync dir", __wasi_fd_datasync(SB));
  wres("fd_sync stdout", __wasi_fd_sync(1));
  wres("fd_sync file", __wasi_fd_sync(f));
  wres("fd_advise stdin", __wasi_fd_advise(0, 0, 0, __WASI_ADVICE_NORMAL));
  wres("fd_advise dir", __wasi_fd_advise(SB, 0, 0, __WASI_ADVICE_NORMAL));
  wres("fd_filestat_set_size stdout", __wasi_fd_filestat_set_size(1, 0));
  wres("fd_filestat_set_size dir", __wasi_fd_filestat_set_size(SB, 0));
  wres("fd_fdstat_set_flags dir", __wasi_fd_fdstat_set_flags(SB, __WASI_FDFLAGS_APPEND));
  wres("fd_fdstat_set_flags stdout", __wasi_fd_fdstat_set_flags(1, 0));
  wres("fd_fdstat_set_flags SYNC", __wasi_fd_fdstat_set_flags(f, __WASI_FDFLAGS_SYNC));
  wres("fd_fdstat_set_flags dir SYNC", __wasi_fd_fdstat_set_flags(SB, __WASI_FDFLAGS_SYNC));
  wres("fd_fdstat_set_flags APPEND", __wasi_fd_fdstat_set_flags(f, __WASI_FDFLAGS_APPEND));
  __wasi_fd_fdstat_get(f, &fs);
  say("flags: %x", (unsigned)fs.fs_flags);
  wres("fd_tell stdin", __wasi_fd_tell(0, &(__wasi_filesize_t){0}));
  wres("fd_tell dir", __wasi_fd_tell(SB, &(__wasi_filesize_t){0}));
  wres("fd_seek dir", __wasi_fd_seek(SB, 0, __WASI_WHENCE_SET, &(__wasi_filesize_t){0}));

  /* Stdio and directories as read/write targets. */
  __wasi_iovec_t iov = {(uint8_t *)buf, 4};
  __wasi_ciovec_t ciov = {(const uint8_t *)"abcd", 4};
  wres("pread stdin", __wasi_fd_pread(0, &iov, 1, 0, &n));
  wres("pread stdout", __wasi_fd_pread(1, &iov, 1, 0, &n));
  wres("pread dir", __wasi_fd_pread(SB, &iov, 1, 0, &n));
  wres("pwrite stdin", __wasi_fd_pwrite(0, &ciov, 1, 0, &n));
  wres("pwrite stdout", __wasi_fd_pwrite(1, &ciov, 1, 0, &n));
  wres("read stdout", __wasi_fd_read(1, &iov, 1, &n));
  wres("write stdin", __wasi_fd_write(0, &ciov, 1, &n));
  wres("read dir", __wasi_fd_read(SB, &iov, 1, &n));
  wres("write dir", __wasi_fd_write(SB, &ciov, 1, &n));

  /* One buffer a call: readv, writev, preadv, pwritev. */
  char b1[4], b2[4];
  __wasi_iovec_t two[2] = {{(uint8_t *)b1, 4}, {(uint8_t *)b2, 4}};
  __wasi_ciovec_t ctwo[3] = {{(const uint8_t *)"", 0}, {(const uint8_t *)"WXYZ", 4},
                             {(const uint8_t *)"wxyz", 4}};
  wres("writev", __wasi_fd_write(f, ctwo, 3, &n));
  say("writev wrote %u", (unsigned)n);
  wres("pwritev", __wasi_fd_pwrite(f, ctwo, 3, 2, &n));
  say("pwritev wrote %u", (unsigned)n);
  wres("seek 0", __wasi_fd_seek(f, 0, __WASI_WHENCE_SET, &(__wasi_filesize_t){0}));
  wres("readv", __wasi_fd_read(f, two, 2, &n));
  say("readv read %u: %.4s", (unsigned)n, b1);
  wres("preadv", __wasi_fd_pread(f, two, 2, 4, &n));
  say("preadv read %u: %.4s", (unsigned)n, b1);
  __wasi_fd_close(f);
  static char large[200000];
  __wasi_fd_t bigf = open_at(SB, "data/big.bin", 0, __WASI_RIGHTS_FD_READ, 0, &e);
  __wasi_iovec_t liov = {(uint8_t *)large, sizeof large};
  wres("pread 200000", __wasi_fd_pread(bigf, &liov, 1, 1000, &n));
  say("pread got %u", (unsigned)n);
  wres("read 200000", __wasi_fd_read(bigf, &liov, 1, &n));
  say("read got %u", (unsigned)n);
  wres("pread at end", __wasi_fd_pread(bigf, &liov, 1, 1 << 20, &n));
  say("pread at end got %u", (unsigned)n);

  /* Poll: a file is ready for writing and stdin for reading, with nbytes 1;
   * a directory is EBADF.  (A file's read readiness is not checked: under
   * wasmtime-wasi it races with the other subscriptions.) */
  wres("seek big to end", __wasi_fd_seek(bigf, 0, __WASI_WHENCE_END, &(__wasi_filesize_t){0}));
  __wasi_fd_t smallf = open_at(SB, "data/small.txt", 0, __WASI_RIGHTS_FD_READ, 0, &e);
  __wasi_subscription_t subs[2];
  __wasi_event_t evs[2];
  memset(subs, 0, sizeof subs);
  subs[0].userdata = 12;
  subs[0].u.tag = __WASI_EVENTTYPE_FD_WRITE;
  subs[0].u.u.fd_write.file_descriptor = smallf;
  subs[1].userdata = 13;
  subs[1].u.tag = __WASI_EVENTTYPE_FD_READ;
  subs[1].u.u.fd_read.file_descriptor = 0;
  wres("poll a file and stdin", __wasi_poll_oneoff(subs, evs, 2, &n));
  for (__wasi_size_t i = 0; i < n && i < 2; i++)
    say("event %llu: type %u error %s nbytes %llu flags %u", (unsigned long long)evs[i].userdata,
        (unsigned)evs[i].type, errname(evs[i].error),
        (unsigned long long)evs[i].fd_readwrite.nbytes, (unsigned)evs[i].fd_readwrite.flags);
  subs[0].u.u.fd_write.file_descriptor = SB;
  wres("poll a directory for writing", __wasi_poll_oneoff(subs, evs, 2, &n));
  subs[0].u.tag = __WASI_EVENTTYPE_FD_READ;
  subs[0].u.u.fd_read.file_descriptor = SB;
  wres("poll a directory for reading", __wasi_poll_oneoff(subs, evs, 2, &n));
  __wasi_fd_close(bigf);
  __wasi_fd_close(smallf);
  /* One relative clock, whatever its id, is a plain sleep (nbytes 1). */
  static const __wasi_clockid_t ids[] = {__WASI_CLOCKID_MONOTONIC, __WASI_CLOCKID_REALTIME,
                                         __WASI_CLOCKID_PROCESS_CPUTIME_ID};
  for (int i = 0; i < 3; i++) {
    memset(subs, 0, sizeof subs);
    subs[0].userdata = 20 + i;
    subs[0].u.tag = __WASI_EVENTTYPE_CLOCK;
    subs[0].u.u.clock.id = ids[i];
    subs[1] = subs[0];
    e = __wasi_poll_oneoff(subs, evs, 1, &n);
    say("one clock %d: %s, %u events, nbytes %llu", i, errname(e), (unsigned)n,
        (unsigned long long)evs[0].fd_readwrite.nbytes);
    e = __wasi_poll_oneoff(subs, evs, 2, &n);
    say("two clocks %d: %s, %u events, nbytes %llu", i, errname(e), e ? 0 : (unsigned)n,
        e ? 0ULL : (unsigned long long)evs[0].fd_readwrite.nbytes);
  }

  /* A directory opened by path_open: its rights, and a file opened through it
   * write-only without O_CREAT. */
  __wasi_fd_t d = open_at(SB, "docs", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READ |
                          __WASI_RIGHTS_FD_READDIR, 0, &e);
  wres("open docs", e);
  __wasi_fd_fdstat_get(d, &fs);
  say("docs rights: base %llx inheriting %llx flags %x", (unsigned long long)fs.fs_rights_base,
      (unsigned long long)fs.fs_rights_inheriting, (unsigned)fs.fs_flags);
  __wasi_fd_fdstat_get(SB, &fs);
  say("preopen rights: base %llx inheriting %llx", (unsigned long long)fs.fs_rights_base,
      (unsigned long long)fs.fs_rights_inheriting);
  int wfd = openat(d, "a.txt", O_WRONLY);
  res("openat(docs, a.txt, O_WRONLY)", wfd);
  res("write through it", write(wfd, "A", 1));
  close(wfd);
  wfd = openat(d, "new.txt", O_WRONLY | O_CREAT, 0644);
  res("openat(docs, new.txt, O_WRONLY|O_CREAT)", wfd);
  res("write through it", write(wfd, "N", 1));
  close(wfd);
  __wasi_fd_close(d);

  /* Absolute symlinks: none is made, and an existing one is not read. */
  wres("symlink to /", __wasi_path_symlink("/", SB, "abs"));
  wres("symlink to /etc/passwd", __wasi_path_symlink("/etc/passwd", SB, "abs2"));
  wres("symlink to / over an existing name", __wasi_path_symlink("/", SB, "README.txt"));
  say("abs: %s", exists(SB, "abs"));
  n = 99;
  wres("readlink links/escape_abs",
       __wasi_path_readlink(SB, "links/escape_abs", (uint8_t *)buf, sizeof buf, &n));
  wres("readlink links/escape_rel",
       __wasi_path_readlink(SB, "links/escape_rel", (uint8_t *)buf, sizeof buf, &n));
  say("escape_rel: %.*s", (int)n, buf);

  /* rmdir with a trailing slash. */
  wres("mkdir gone", __wasi_path_create_directory(SB, "gone"));
  wres("rmdir gone/", __wasi_path_remove_directory(SB, "gone/"));
  wres("rmdir README.txt/", __wasi_path_remove_directory(SB, "README.txt/"));
  wres("rmdir missing/", __wasi_path_remove_directory(SB, "missing/"));
  wres("rmdir docs/", __wasi_path_remove_directory(SB, "docs/"));
  wres("rmdir links/to_docs/", __wasi_path_remove_directory(SB, "links/to_docs/"));
  say("gone: %s", exists(SB, "gone"));

  /* fd numbers: the highest freed one is reused first (wasmtime-wasi), and
   * with none free the next above the highest open one. */
  __wasi_fd_t fa = open_at(SB, "README.txt", 0, __WASI_RIGHTS_FD_READ, 0, &e);
  __wasi_fd_t fb = open_at(SB, "README.txt", 0, __WASI_RIGHTS_FD_READ, 0, &e);
  __wasi_fd_t fc = open_at(SB, "README.txt", 0, __WASI_RIGHTS_FD_READ, 0, &e);
  __wasi_fd_close(fa);
  __wasi_fd_close(fb);
  __wasi_fd_t fd1 = open_at(SB, "README.txt", 0, __WASI_RIGHTS_FD_READ, 0, &e);
  __wasi_fd_t fd2 = open_at(SB, "README.txt", 0, __WASI_RIGHTS_FD_READ, 0, &e);
  __wasi_fd_t fd3 = open_at(SB, "README.txt", 0, __WASI_RIGHTS_FD_READ, 0, &e);
  say("after closing the 1st and 2nd of 3: opened the %dth, %dth, %dth", (int)(fd1 - fa) + 1,
      (int)(fd2 - fa) + 1, (int)(fd3 - fa) + 1);
  wres("renumber 3rd onto 1st", __wasi_fd_renumber(fc, fd2));
  __wasi_fd_t fd4 = open_at(SB, "README.txt", 0, __WASI_RIGHTS_FD_READ, 0, &e);
  say("after renumbering: opened the %dth", (int)(fd4 - fa) + 1);

  /* fd_readdir of a bad fd with a buffer past memory. */
  wres("readdir bad fd, buffer past memory",
       __wasi_fd_readdir(77, (uint8_t *)0xfffffff0u, 64, 0, &n));

  /* A read of nothing from stdin (run with "xy" on stdin): EINTR while bytes
   * are pending (wasmtime-wasi reads stdin as a stream and gets no data), a
   * success of 0 bytes at end of file. */
  __wasi_iovec_t empty[2] = {{(uint8_t *)buf, 0}, {(uint8_t *)buf, 0}};
  wres("read nothing from stdin, bytes pending", __wasi_fd_read(0, empty, 2, &n));
  wres("read no iovecs from stdin, bytes pending", __wasi_fd_read(0, empty, 0, &n));
  n = 9;
  wres("read stdin", __wasi_fd_read(0, &iov, 1, &n));
  say("read %u bytes", (unsigned)n);
  n = 9;
  wres("read nothing from stdin at its end", __wasi_fd_read(0, empty, 2, &n));
  say("read %u bytes", (unsigned)n);
  return 0;
}

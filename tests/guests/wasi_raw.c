/* wasi_raw: calls wasi_snapshot_preview1 directly where libc has no wrapper
 * or hides the interesting cases: fd_renumber, fd_tell,
 * fd_fdstat_set_rights, fd_prestat_get/dir_name, fd_readdir cookies and
 * short buffers, raw path_open flag errors, invalid UTF-8 and NUL in
 * paths, fd_filestat_set_times flag conflicts, and closing
 * a preopen. */
#include "common.h"
#include <wasi/api.h>

/* Some results are deliberately ignored: only the follow-up state is checked. */
#pragma clang diagnostic ignored "-Wunused-result"

/* The raw import, so a path with an embedded NUL can be passed. */
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_open")))
int32_t raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t path_len, int32_t oflags,
                      int64_t base, int64_t inheriting, int32_t fdflags, int32_t out);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_create_directory")))
int32_t raw_mkdir(int32_t fd, int32_t path, int32_t path_len);

static void wres(const char *what, __wasi_errno_t e) { say("%s: %s", what, errname(e)); }

static const char *ftype(__wasi_filetype_t t) {
  switch (t) {
  case __WASI_FILETYPE_UNKNOWN: return "unknown";
  case __WASI_FILETYPE_BLOCK_DEVICE: return "block";
  case __WASI_FILETYPE_CHARACTER_DEVICE: return "char";
  case __WASI_FILETYPE_DIRECTORY: return "dir";
  case __WASI_FILETYPE_REGULAR_FILE: return "file";
  case __WASI_FILETYPE_SOCKET_DGRAM: return "dgram";
  case __WASI_FILETYPE_SOCKET_STREAM: return "stream";
  case __WASI_FILETYPE_SYMBOLIC_LINK: return "symlink";
  default: return "?";
  }
}

int main(int argc, char **argv) {
  setup(argc, argv);

  /* Preopens: fd 3 upward until EBADF. */
  int pre = -1;
  for (int fd = 3; fd < 16; fd++) {
    __wasi_prestat_t ps;
    __wasi_errno_t e = __wasi_fd_prestat_get(fd, &ps);
    if (e == __WASI_ERRNO_BADF) break;
    if (e != 0) {
      say("prestat %d: %s", fd, errname(e));
      continue;
    }
    char name[256] = {0};
    size_t len = ps.u.dir.pr_name_len < 255 ? ps.u.dir.pr_name_len : 255;
    e = __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, len);
    say("preopen %d: %s \"%s\"", fd, errname(e), name);
    if (pre < 0 && strcmp(name, ROOT) == 0) pre = fd;
  }
  if (pre < 0)
    fatal("no preopen for ROOT");
  __wasi_prestat_t ps;
  char small[2];
  wres("prestat_dir_name short buffer", __wasi_fd_prestat_dir_name(pre, (uint8_t *)small, 1));
  if (mkdir(P("raw"), 0755) < 0)
    fatal("mkdir raw");
  put(P("raw/a"), "aaaa");
  put(P("raw/b"), "bbbb");
  int fa = open(P("raw/a"), O_RDWR);
  int fb = open(P("raw/b"), O_RDWR);
  wres("prestat_get on a file", __wasi_fd_prestat_get(fa, &ps));

  /* fd_fdstat_get on files, dirs and preopens. */
  __wasi_fdstat_t st;
  wres("fdstat file", __wasi_fd_fdstat_get(fa, &st));
  say("fdstat file type=%s read=%d write=%d seek=%d tell=%d", ftype(st.fs_filetype),
      !!(st.fs_rights_base & __WASI_RIGHTS_FD_READ), !!(st.fs_rights_base & __WASI_RIGHTS_FD_WRITE),
      !!(st.fs_rights_base & __WASI_RIGHTS_FD_SEEK), !!(st.fs_rights_base & __WASI_RIGHTS_FD_TELL));
  wres("fdstat preopen", __wasi_fd_fdstat_get(pre, &st));
  say("fdstat preopen type=%s path_open=%d readdir=%d", ftype(st.fs_filetype),
      !!(st.fs_rights_base & __WASI_RIGHTS_PATH_OPEN), !!(st.fs_rights_base & __WASI_RIGHTS_FD_READDIR));
  wres("fdstat bad fd", __wasi_fd_fdstat_get(100, &st));

  /* fd_tell follows reads and seeks. */
  __wasi_filesize_t pos;
  char buf[64];
  read(fa, buf, 3);
  wres("fd_tell", __wasi_fd_tell(fa, &pos));
  say("tell after 3 bytes: %llu", (unsigned long long)pos);
  __wasi_filesize_t newpos;
  wres("fd_seek end", __wasi_fd_seek(fa, 0, __WASI_WHENCE_END, &newpos));
  say("seek end: %llu", (unsigned long long)newpos);
  wres("fd_tell bad fd", __wasi_fd_tell(100, &pos));
  wres("fd_seek on dir", __wasi_fd_seek(pre, 0, __WASI_WHENCE_CUR, &newpos));

  /* fd_renumber: fb becomes a second number for fa's description; fa closes. */
  wres("renumber a onto b", __wasi_fd_renumber(fa, fb));
  wres("old number closed", __wasi_fd_tell(fa, &pos));
  __wasi_fd_tell(fb, &pos);
  say("tell via new number: %llu", (unsigned long long)pos);
  __wasi_fd_seek(fb, 0, __WASI_WHENCE_SET, &newpos);
  ssize_t n = read(fb, buf, sizeof buf);
  show_bytes("read via new number", buf, n > 0 ? (size_t)n : 0);
  wres("renumber from bad fd", __wasi_fd_renumber(100, fb));
  wres("renumber to unopened fd", __wasi_fd_renumber(fb, 100));
  wres("renumber to itself", __wasi_fd_renumber(fb, fb));
  show_file("b untouched by renumber", P("raw/b"));

  /* fd_fdstat_set_rights: rights can be dropped, never regained. */
  int fc = open(P("raw/b"), O_RDWR);
  __wasi_fd_fdstat_get(fc, &st);
  __wasi_errno_t e = __wasi_fd_fdstat_set_rights(fc, st.fs_rights_base & ~__WASI_RIGHTS_FD_WRITE, 0);
  wres("drop write right", e);
  __wasi_fdstat_t st2;
  __wasi_fd_fdstat_get(fc, &st2);
  say("write right after drop: %d", !!(st2.fs_rights_base & __WASI_RIGHTS_FD_WRITE));
  res("write after dropping right", write(fc, "x", 1));
  wres("regain write right", __wasi_fd_fdstat_set_rights(fc, st.fs_rights_base, 0));
  close(fc);

  /* fd_fdstat_set_flags directly, including bits libc would mask. */
  fc = open(P("raw/b"), O_RDWR);
  wres("set_flags append", __wasi_fd_fdstat_set_flags(fc, __WASI_FDFLAGS_APPEND));
  __wasi_fd_fdstat_get(fc, &st);
  say("flags append=%d", !!(st.fs_flags & __WASI_FDFLAGS_APPEND));
  wres("set_flags bad fd", __wasi_fd_fdstat_set_flags(100, 0));
  close(fc);

  /* path_open flag errors. */
  __wasi_fd_t nfd;
  /* Every right preview 1 defines; unknown bits trap (see wasi_bad_arg.c). */
  __wasi_rights_t all = ((__wasi_rights_t)1 << 29) - 1;
  e = __wasi_path_open(pre, 0, "raw/newdir", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_DIRECTORY, all, all, 0, &nfd);
  wres("path_open creat|directory", e);
  e = __wasi_path_open(pre, 0, "raw/a", __WASI_OFLAGS_DIRECTORY, all, all, 0, &nfd);
  wres("path_open directory on file", e);
  e = __wasi_path_open(pre, 0, "raw", __WASI_OFLAGS_DIRECTORY, all, all, 0, &nfd);
  wres("path_open dir with all rights", e);
  if (e == 0) __wasi_fd_close(nfd);
  e = __wasi_path_open(pre, 0, "raw", __WASI_OFLAGS_TRUNC, all, all, 0, &nfd);
  wres("path_open trunc on dir", e);
  e = __wasi_path_open(pre, 0, "raw/a", 0, __WASI_RIGHTS_FD_READ, 0, 0, &nfd);
  wres("path_open read-only rights", e);
  if (e == 0) {
    __wasi_ciovec_t iov = {(const uint8_t *)"x", 1};
    __wasi_size_t nw;
    wres("fd_write without right", __wasi_fd_write(nfd, &iov, 1, &nw));
    __wasi_fd_close(nfd);
  }
  e = __wasi_path_open(pre, 0, "", 0, all, all, 0, &nfd);
  wres("path_open empty path", e);
  e = __wasi_path_open(pre, 0, ".", 0, all, all, 0, &nfd);
  wres("path_open dot", e);
  if (e == 0) __wasi_fd_close(nfd);
  e = __wasi_path_open(pre, 0, "/", 0, all, all, 0, &nfd);
  wres("path_open absolute", e);
  e = __wasi_path_open(pre, 0, "raw/a", 0, all, all, 0, &nfd);
  if (e == 0) {
    e = __wasi_path_open(nfd, 0, "x", 0, all, all, 0, &nfd);
    wres("path_open relative to a file", e);
  }

  /* Invalid UTF-8 and an embedded NUL. */
  static const char bad_utf8[] = "raw/\xff\xfe";
  int32_t out32;
  wres("path_open invalid utf-8",
       raw_path_open(pre, 0, (int32_t)(intptr_t)bad_utf8, sizeof bad_utf8 - 1, __WASI_OFLAGS_CREAT,
                     (int64_t)all, (int64_t)all, 0, (int32_t)(intptr_t)&out32));
  wres("mkdir invalid utf-8", raw_mkdir(pre, (int32_t)(intptr_t)bad_utf8, sizeof bad_utf8 - 1));
  static const char with_nul[] = "raw/a\0b";
  wres("path_open embedded nul",
       raw_path_open(pre, 0, (int32_t)(intptr_t)with_nul, sizeof with_nul - 1, 0, (int64_t)all,
                     (int64_t)all, 0, (int32_t)(intptr_t)&out32));
  wres("mkdir embedded nul", raw_mkdir(pre, (int32_t)(intptr_t)with_nul, sizeof with_nul - 1));
  wres("mkdir zero-length path", raw_mkdir(pre, (int32_t)(intptr_t)with_nul, 0));

  /* path_filestat_get with and without following. */
  symlink("a", P("raw/ln"));
  __wasi_filestat_t fs;
  wres("path_filestat_get follow", __wasi_path_filestat_get(pre, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "raw/ln", &fs));
  say("follow type=%s size=%llu", ftype(fs.filetype), (unsigned long long)fs.size);
  wres("path_filestat_get nofollow", __wasi_path_filestat_get(pre, 0, "raw/ln", &fs));
  say("nofollow type=%s size=%llu", ftype(fs.filetype), (unsigned long long)fs.size);

  /* fd_filestat_set_times: ATIM and ATIM_NOW together is EINVAL. */
  int fd = open(P("raw/a"), O_RDWR);
  wres("set_times atim+atim_now", __wasi_fd_filestat_set_times(fd, 5, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW));
  wres("set_times mtim+mtim_now", __wasi_fd_filestat_set_times(fd, 0, 5, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW));
  wres("set_times nothing", __wasi_fd_filestat_set_times(fd, 0, 0, 0));
  wres("set_times explicit", __wasi_fd_filestat_set_times(fd, 7000000000ULL, 8000000000ULL,
                                                          __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  __wasi_fd_filestat_get(fd, &fs);
  say("times: atim=%llu mtim=%llu nlink=%llu type=%s", (unsigned long long)fs.atim,
      (unsigned long long)fs.mtim, (unsigned long long)fs.nlink, ftype(fs.filetype));
  wres("set_size", __wasi_fd_filestat_set_size(fd, 2));
  wres("allocate", __wasi_fd_allocate(fd, 0, 10));
  __wasi_fd_filestat_get(fd, &fs);
  say("size after set_size+allocate: %llu", (unsigned long long)fs.size);
  close(fd);

  /* Raw fd_readdir: cookies, a too-small buffer, a cookie past the end. */
  mkdir(P("raw/dir"), 0755);
  put(P("raw/dir/one"), "1");
  put(P("raw/dir/two"), "2");
  put(P("raw/dir/three"), "3");
  int dfd = open(P("raw/dir"), O_RDONLY | O_DIRECTORY);
  static uint8_t dbuf[4096];
  __wasi_size_t used;
  wres("readdir", __wasi_fd_readdir(dfd, dbuf, sizeof dbuf, 0, &used));
  char names[8][32];
  __wasi_dircookie_t nexts[8];
  int count = 0;
  for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= used && count < 8;) {
    __wasi_dirent_t de;
    memcpy(&de, dbuf + off, sizeof de);
    off += sizeof de;
    size_t len = de.d_namlen < 31 ? de.d_namlen : 31;
    memcpy(names[count], dbuf + off, len);
    names[count][len] = 0;
    nexts[count] = de.d_next;
    off += de.d_namlen;
    count++;
  }
  say("readdir entries: %d", count);
  /* Resuming from each entry's d_next gives the following entry. */
  int resume_ok = 1;
  for (int i = 0; i + 1 < count; i++) {
    __wasi_fd_readdir(dfd, dbuf, sizeof dbuf, nexts[i], &used);
    __wasi_dirent_t de;
    memcpy(&de, dbuf, sizeof de);
    if (used < sizeof de || de.d_namlen != strlen(names[i + 1]) ||
        memcmp(dbuf + sizeof de, names[i + 1], de.d_namlen) != 0)
      resume_ok = 0;
  }
  check("resume from d_next", resume_ok);
  wres("readdir at last cookie", __wasi_fd_readdir(dfd, dbuf, sizeof dbuf, nexts[count - 1], &used));
  say("bytes at end: %u", (unsigned)used);
  wres("readdir far cookie", __wasi_fd_readdir(dfd, dbuf, sizeof dbuf, 1000000, &used));
  say("bytes at far cookie: %u", (unsigned)used);
  /* A buffer smaller than one entry: filled completely, signalling "more". */
  wres("readdir 10-byte buffer", __wasi_fd_readdir(dfd, dbuf, 10, 0, &used));
  say("bytes in 10-byte buffer: %u", (unsigned)used);
  wres("readdir on file", __wasi_fd_readdir(fb, dbuf, sizeof dbuf, 0, &used));
  close(dfd);

  /* path_readlink with a short buffer truncates. */
  uint8_t lbuf[8];
  wres("path_readlink", __wasi_path_readlink(pre, "raw/ln", lbuf, sizeof lbuf, &used));
  say("readlink bytes: %u", (unsigned)used);
  wres("path_readlink zero buffer", __wasi_path_readlink(pre, "raw/ln", lbuf, 0, &used));
  say("readlink bytes into zero buffer: %u", (unsigned)used);

  /* Closing a preopen works; afterwards it is gone. */
  close(fb);
  wres("close preopen", __wasi_fd_close(pre));
  wres("prestat after close", __wasi_fd_prestat_get(pre, &ps));
  wres("path_open after close", __wasi_path_open(pre, 0, "raw/a", 0, all, all, 0, &nfd));
  return 0;
}

/* fs_rw: reading and writing file data.
 * Covers fd_read, fd_write, fd_pread, fd_pwrite (with several iovecs),
 * fd_seek (all whences and errors), fd_filestat_set_size, fd_allocate. */
#include "common.h"
#include <sys/uio.h>

static void show_fd(const char *what, int fd) {
  char buf[256];
  ssize_t n = pread(fd, buf, sizeof buf, 0);
  if (n < 0) {
    say("%s: %s", what, errname(errno));
    return;
  }
  show_bytes(what, buf, (size_t)n);
}

int main(int argc, char **argv) {
  setup(argc, argv);
  if (mkdir(P("rw"), 0755) < 0)
    fatal("mkdir rw");
  int fd = open(P("rw/f"), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    fatal("open rw/f");
  char buf[64];

  /* write advances the offset; read at EOF returns 0. */
  say("write 10: %zd", write(fd, "0123456789", 10));
  say("offset after write: %lld", (long long)lseek(fd, 0, SEEK_CUR));
  say("read at eof: %zd", read(fd, buf, sizeof buf));
  say("seek set 2: %lld", (long long)lseek(fd, 2, SEEK_SET));
  ssize_t n = read(fd, buf, 3);
  show_bytes("read 3 at 2", buf, n > 0 ? (size_t)n : 0);
  say("seek cur +2: %lld", (long long)lseek(fd, 2, SEEK_CUR));
  n = read(fd, buf, 2);
  show_bytes("read 2 at 7", buf, n > 0 ? (size_t)n : 0);
  say("seek end -1: %lld", (long long)lseek(fd, -1, SEEK_END));
  n = read(fd, buf, 8);
  show_bytes("read at end-1", buf, n > 0 ? (size_t)n : 0);
  say("seek end 0: %lld", (long long)lseek(fd, 0, SEEK_END));

  /* Seeking before the start is EINVAL and leaves the offset alone. */
  lseek(fd, 4, SEEK_SET);
  want("seek negative set", lseek(fd, -1, SEEK_SET), EINVAL);
  want("seek cur below zero", lseek(fd, -5, SEEK_CUR), EINVAL);
  /* A bad whence traps in wasmtime-wasi (an invalid enum value): see wasi_bad_enum.c. */
  say("offset kept: %lld", (long long)lseek(fd, 0, SEEK_CUR));

  /* Overwrite in the middle. */
  lseek(fd, 3, SEEK_SET);
  say("overwrite 2: %zd", write(fd, "ab", 2));
  show_fd("after overwrite", fd);

  /* pread/pwrite do not move the offset. */
  lseek(fd, 1, SEEK_SET);
  n = pread(fd, buf, 4, 5);
  show_bytes("pread 4 at 5", buf, n > 0 ? (size_t)n : 0);
  say("pwrite 3 at 8: %zd", pwrite(fd, "XYZ", 3, 8));
  say("offset after pread/pwrite: %lld", (long long)lseek(fd, 0, SEEK_CUR));
  show_fd("after pwrite", fd);
  say("pread past eof: %zd", pread(fd, buf, 4, 100));
  want("pread negative offset", pread(fd, buf, 4, -1), EINVAL);
  want("pwrite negative offset", pwrite(fd, "x", 1, -1), EINVAL);

  /* pwrite past EOF extends the file with a hole of zeros. */
  say("pwrite at 14: %zd", pwrite(fd, "E", 1, 14));
  show_fd("after pwrite past eof", fd);

  /* readv / writev scatter and gather in order. */
  ftruncate(fd, 0);
  lseek(fd, 0, SEEK_SET);
  struct iovec wv[3] = {{"abc", 3}, {"", 0}, {"defgh", 5}};
  say("writev: %zd", writev(fd, wv, 3));
  lseek(fd, 0, SEEK_SET);
  /* wasmtime-wasi transfers only the first non-empty iovec per call (a
   * short transfer, which POSIX permits); Linux fills them all. */
  char a[2], b[4], c[8];
  memset(a, '.', sizeof a);
  memset(b, '.', sizeof b);
  memset(c, '.', sizeof c);
  struct iovec rv[3] = {{a, 2}, {b, 4}, {c, 8}};
  n = readv(fd, rv, 3);
  say("readv: %zd", n);
  show_bytes("readv a", a, 2);
  show_bytes("readv b", b, 4);
  show_bytes("readv c", c, 2);
  struct iovec pv[2] = {{"12", 2}, {"34", 2}};
  say("pwritev at 1: %zd", pwritev(fd, pv, 2, 1));
  struct iovec prv[2] = {{a, 2}, {b, 4}};
  memset(a, '.', sizeof a);
  memset(b, '.', sizeof b);
  n = preadv(fd, prv, 2, 0);
  say("preadv: %zd", n);
  show_bytes("preadv a", a, 2);
  show_bytes("preadv b", b, 4);

  /* Zero-length operations. */
  say("write 0: %zd", write(fd, "", 0));
  say("read 0: %zd", read(fd, buf, 0));

  /* ftruncate shrinks and grows; the offset is unaffected. */
  lseek(fd, 6, SEEK_SET);
  want("ftruncate 3", ftruncate(fd, 3), 0);
  show_fd("after truncate 3", fd);
  say("offset after truncate: %lld", (long long)lseek(fd, 0, SEEK_CUR));
  say("read past new eof: %zd", read(fd, buf, 4));
  want("ftruncate 6", ftruncate(fd, 6), 0);
  show_fd("after truncate 6", fd);
  want("ftruncate negative", ftruncate(fd, -1), EINVAL);

  /* posix_fallocate extends but never shrinks and keeps data.  wasmtime-wasi
   * 48 answers ENOTSUP to every fd_allocate. */
  errno = posix_fallocate(fd, 0, 10);
  want("fallocate 0+10", errno ? -1 : 0, 0);
  show_fd("after fallocate 10", fd);
  errno = posix_fallocate(fd, 2, 2);
  want("fallocate inside", errno ? -1 : 0, 0);
  show_stat("size after fallocate inside", P("rw/f"), 1);
  errno = posix_fallocate(fd, 0, 0);
  want("fallocate zero len", errno ? -1 : 0, EINVAL);
  errno = posix_fallocate(fd, -1, 1);
  want("fallocate negative", errno ? -1 : 0, EINVAL);
  close(fd);
  fd = open(P("rw/f"), O_RDONLY);
  errno = posix_fallocate(fd, 0, 100);
  want("fallocate on rdonly", errno ? -1 : 0, EBADF);
  close(fd);

  /* A larger write and read back in pieces. */
  fd = open(P("rw/big"), O_RDWR | O_CREAT | O_TRUNC, 0644);
  static char big[200000];
  for (size_t i = 0; i < sizeof big; i++) big[i] = (char)(i * 13 + 7);
  size_t done = 0;
  while (done < sizeof big) {
    n = write(fd, big + done, sizeof big - done);
    if (n <= 0) break;
    done += (size_t)n;
  }
  say("big write: %zu", done);
  lseek(fd, 0, SEEK_SET);
  uint64_t h = FNV_INIT;
  size_t total = 0;
  while ((n = read(fd, buf, 37)) > 0) {
    h = fnv1a(h, buf, (size_t)n);
    total += (size_t)n;
  }
  say("big read: %zu %s", total, h == fnv1a(FNV_INIT, big, sizeof big) ? "match" : "MISMATCH");
  close(fd);

  /* Data written through one fd is visible through another at once. */
  int w = open(P("rw/shared"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int r = open(P("rw/shared"), O_RDONLY);
  write(w, "visible", 7);
  n = read(r, buf, sizeof buf);
  show_bytes("read through second fd", buf, n > 0 ? (size_t)n : 0);
  close(w);
  close(r);

  /* stdio buffered I/O on top. */
  FILE *fp = fopen(P("rw/stdio"), "w+");
  fprintf(fp, "line %d\n", 1);
  fputs("line 2\n", fp);
  rewind(fp);
  char line[32];
  while (fgets(line, sizeof line, fp)) {
    line[strcspn(line, "\n")] = 0;
    say("fgets: %s", line);
  }
  fclose(fp);
  return 0;
}

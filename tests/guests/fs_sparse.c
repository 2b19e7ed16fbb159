/* fs_sparse: holes.  Seeking past the end and writing, truncating up,
 * pwrite far away and fallocate: the gaps read as zeros (POSIX lseek,
 * ftruncate).  Large offsets check that nothing proportional is allocated. */
#include "common.h"

/* Print "what: N bytes, zeros=yes" for a range read with pread. */
static void check_zeros(const char *what, int fd, off_t off, size_t len) {
  static char buf[65536];
  size_t done = 0;
  int zeros = 1;
  while (done < len) {
    size_t chunk = len - done < sizeof buf ? len - done : sizeof buf;
    ssize_t n = pread(fd, buf, chunk, off + (off_t)done);
    if (n < 0) {
      say("%s: %s", what, errname(errno));
      return;
    }
    if (n == 0) break;
    for (ssize_t i = 0; i < n; i++)
      if (buf[i]) zeros = 0;
    done += (size_t)n;
  }
  say("%s: %zu bytes, all zero=%s", what, done, zeros ? "yes" : "NO");
}

static void size_of(const char *what, int fd) {
  struct stat st;
  if (fstat(fd, &st) < 0)
    say("%s: %s", what, errname(errno));
  else
    say("%s: %lld", what, (long long)st.st_size);
}

int main(int argc, char **argv) {
  setup(argc, argv);
  if (mkdir(P("sp"), 0755) < 0)
    fatal("mkdir sp");
  int fd = open(P("sp/seek"), O_RDWR | O_CREAT | O_TRUNC, 0644);
  write(fd, "head", 4);

  /* Seeking past the end does not change the size until a write. */
  say("seek to 10000: %lld", (long long)lseek(fd, 10000, SEEK_SET));
  size_of("size after seek", fd);
  char buf[16];
  say("read past end: %zd", read(fd, buf, sizeof buf));
  write(fd, "tail", 4);
  size_of("size after write at 10000", fd);
  check_zeros("gap", fd, 4, 10000 - 4);
  ssize_t n = pread(fd, buf, 8, 9998);
  show_bytes("around tail", buf, n > 0 ? (size_t)n : 0);
  n = pread(fd, buf, 6, 0);
  show_bytes("head kept", buf, n > 0 ? (size_t)n : 0);
  close(fd);

  /* Truncate up makes a hole, truncate down then up again zeroes the tail. */
  fd = open(P("sp/trunc"), O_RDWR | O_CREAT | O_TRUNC, 0644);
  write(fd, "abcdefgh", 8);
  want("truncate up to 5000", ftruncate(fd, 5000), 0);
  size_of("size after truncate up", fd);
  check_zeros("truncated-up tail", fd, 8, 5000 - 8);
  want("truncate down to 3", ftruncate(fd, 3), 0);
  want("truncate up to 8", ftruncate(fd, 8), 0);
  n = pread(fd, buf, 8, 0);
  show_bytes("old bytes do not come back", buf, n > 0 ? (size_t)n : 0);
  want("truncate(path)", truncate(P("sp/trunc"), 2), 0);
  size_of("size after truncate(path)", fd);
  close(fd);

  /* A far write: a 4 GiB + a little offset, a 1-byte write. */
  fd = open(P("sp/far"), O_RDWR | O_CREAT | O_TRUNC, 0644);
  off_t far = (off_t)4 * 1024 * 1024 * 1024 + 17;
  say("pwrite at 4GiB+17: %zd", pwrite(fd, "Z", 1, far));
  size_of("size of far file", fd);
  check_zeros("start of far file", fd, 0, 70000);
  check_zeros("just before far byte", fd, far - 70000, 70000);
  n = pread(fd, buf, 4, far - 1);
  show_bytes("around far byte", buf, n > 0 ? (size_t)n : 0);
  /* Shrink it again so the final tree stays small. */
  want("truncate far file down", ftruncate(fd, 10), 0);
  check_zeros("far file after shrink", fd, 0, 100);
  close(fd);

  /* Holes in the middle of a chunk-sized region and across chunk borders. */
  fd = open(P("sp/chunks"), O_RDWR | O_CREAT | O_TRUNC, 0644);
  static char block[70000];
  memset(block, 'x', sizeof block);
  pwrite(fd, block, sizeof block, 0);
  ftruncate(fd, 100);
  ftruncate(fd, 200000);
  check_zeros("hole after shrink-grow", fd, 100, 200000 - 100);
  pwrite(fd, "mid", 3, 131071);
  n = pread(fd, buf, 5, 131070);
  show_bytes("write across chunk border", buf, n > 0 ? (size_t)n : 0);
  uint64_t h = FNV_INIT;
  static char all[200000];
  /* Loop: wasmtime-wasi returns at most 64 KiB per read. */
  size_t got = 0;
  while (got < sizeof all && (n = pread(fd, all + got, sizeof all - got, (off_t)got)) > 0)
    got += (size_t)n;
  h = fnv1a(h, all, got);
  say("digest of chunks file: %zu %016llx", got, (unsigned long long)h);
  close(fd);

  /* fallocate beyond the end extends with zeros. */
  fd = open(P("sp/falloc"), O_RDWR | O_CREAT | O_TRUNC, 0644);
  write(fd, "ab", 2);
  errno = posix_fallocate(fd, 1000, 1000);
  want("fallocate beyond end", errno ? -1 : 0, 0);
  size_of("size after fallocate", fd);
  check_zeros("fallocated range", fd, 2, 1998);
  close(fd);
  return 0;
}

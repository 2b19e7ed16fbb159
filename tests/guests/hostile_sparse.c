/* hostile_sparse: a 4 GiB sparse file (one byte written at 4 GiB - 1).  Its
 * size is exact, its hole reads as zeros, and nothing proportional to its
 * size is stored.  argv[2] "full" reads all 4 GiB; argv[3], when given, is the
 * largest file size allowed, checked with writes and truncates at the limit
 * (EFBIG past it). */
#include "common.h"

#define GIB4 4294967296LL

static char buf[1 << 20];

/* "what: N bytes, nonzero=K" for a range read with pread. */
static void scan(const char *what, int fd, long long off, long long len) {
  long long done = 0, nonzero = 0;
  while (done < len) {
    size_t want_n = len - done < (long long)sizeof buf ? (size_t)(len - done) : sizeof buf;
    ssize_t n = pread(fd, buf, want_n, (off_t)(off + done));
    if (n < 0) {
      say("%s: %s", what, errname(errno));
      return;
    }
    if (n == 0)
      break;
    for (ssize_t i = 0; i < n; i++)
      nonzero += buf[i] != 0;
    done += n;
  }
  say("%s: %lld bytes, nonzero=%lld", what, done, nonzero);
}

int main(int argc, char **argv) {
  setup(argc, argv);
  int full = argc > 2 && strcmp(argv[2], "full") == 0;
  long long limit = argc > 3 ? atoll(argv[3]) : 0;
  if (mkdir(P("sp4"), 0755) < 0)
    fatal("mkdir sp4");
  int fd = open(P("sp4/big"), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    fatal("open sp4/big");
  say("pwrite at 4 GiB - 1: %zd", pwrite(fd, "x", 1, (off_t)(GIB4 - 1)));
  struct stat st;
  if (fstat(fd, &st) < 0)
    fatal("fstat");
  say("size: %lld", (long long)st.st_size);
  say("seek end: %lld", (long long)lseek(fd, 0, SEEK_END));
  scan("start of the hole", fd, 0, 1 << 20);
  scan("middle of the hole", fd, GIB4 / 2 - 12345, 1 << 20);
  scan("last MiB", fd, GIB4 - (1 << 20), 1 << 20);
  scan("past the end", fd, GIB4, 1 << 20);
  if (full)
    scan("the whole file", fd, 0, GIB4);

  /* Truncating down and up again leaves only zeros. */
  res("truncate to 1 MiB", ftruncate(fd, 1 << 20));
  res("truncate to 4 GiB", ftruncate(fd, (off_t)GIB4));
  scan("last MiB after truncating", fd, GIB4 - (1 << 20), 1 << 20);

  if (limit > 0) {
    say("pwrite ending at the limit: %zd", pwrite(fd, "y", 1, (off_t)(limit - 1)));
    want("pwrite past the limit", pwrite(fd, "y", 1, (off_t)limit), EFBIG);
    want("truncate past the limit", ftruncate(fd, (off_t)(limit + 1)), EFBIG);
    res("truncate to the limit", ftruncate(fd, (off_t)limit));
    want("append past the limit", lseek(fd, 0, SEEK_END) < 0 ? -1 : write(fd, "z", 1), EFBIG);
    if (fstat(fd, &st) == 0)
      say("size after refused writes: %lld", (long long)st.st_size);
  }
  close(fd);
  res("unlink", unlink(P("sp4/big")));
  res("rmdir", rmdir(P("sp4")));
  return 0;
}

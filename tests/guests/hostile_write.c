/* hostile_write: writes one file until it cannot.  argv[2] is how many
 * bytes to attempt (default 1 MiB), argv[3] the size of each write
 * (default 64 KiB).  Under a byte quota the write that does not fit fails
 * whole with ENOSPC (Strata never half-applies a write), so with a block
 * size dividing the quota the guest reports exactly the quota: file data is
 * the only thing charged (directories and inodes cost no bytes). */
#include "common.h"

int main(int argc, char **argv) {
  setup(argc, argv);
  long long attempt = argc > 2 ? atoll(argv[2]) : 1 << 20;
  long long block = argc > 3 ? atoll(argv[3]) : 1 << 16;
  if (block <= 0 || block > (1 << 20) || attempt < 0)
    fatal("arguments");
  static char buf[1 << 20];
  for (long long i = 0; i < block; i++)
    buf[i] = (char)(i * 7 + 1);

  if (mkdir(P("hw"), 0755) < 0)
    fatal("mkdir hw");
  int fd = open(P("hw/fill"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    fatal("open hw/fill");
  long long total = 0;
  int err = 0;
  while (total < attempt) {
    long long want_n = attempt - total < block ? attempt - total : block;
    ssize_t n = write(fd, buf, (size_t)want_n);
    if (n < 0) {
      err = errno;
      break;
    }
    if (n == 0)
      break;
    total += n;
  }
  say("attempted: %lld bytes", attempt);
  say("wrote: %lld bytes", total);
  say("stopped by: %s", err ? errname(err) : "nothing");
  struct stat st;
  if (fstat(fd, &st) < 0)
    fatal("fstat");
  check("size equals bytes written", st.st_size == total);
  /* When the quota is full, even one byte more does not fit. */
  res("one more byte", write(fd, "z", 1));
  close(fd);

  /* Nothing of a refused write is visible: the tail is the last full block. */
  fd = open(P("hw/fill"), O_RDONLY);
  if (total > 0 && fd >= 0) {
    static char tail[1 << 10];
    long long len = total < (long long)sizeof tail ? total : (long long)sizeof tail;
    ssize_t n = pread(fd, tail, (size_t)len, (off_t)(total - len));
    int same = n == len;
    for (long long i = 0; same && i < len; i++)
      same = tail[i] == buf[(total - len + i) % block];
    check("tail intact", same);
  }
  close(fd);

  /* Freeing the space makes room again. */
  res("unlink the full file", unlink(P("hw/fill")));
  fd = open(P("hw/again"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  say("write after freeing: %zd", write(fd, buf, 4096));
  close(fd);
  res("unlink hw/again", unlink(P("hw/again")));
  res("rmdir hw", rmdir(P("hw")));
  return 0;
}

/* stdio_poll: standard streams and poll_oneoff on descriptors.
 * The harness feeds stdin from memory.  Covers fd_read on stdin, fd_write
 * on stdout and stderr, fd_fdstat_get on stdio, and poll() on stdin, a
 * regular file and stdout. */
#include "common.h"
#include <poll.h>

int main(int argc, char **argv) {
  setup(argc, argv);
  struct stat st;
  /* The file type of stdio is the embedder's choice; print what we get. */
  for (int fd = 0; fd < 3; fd++) {
    if (fstat(fd, &st) < 0)
      say("fstat fd %d: %s", fd, errname(errno));
    else
      say("fstat fd %d: %s", fd, type_name(st.st_mode));
  }
  int fl = fcntl(0, F_GETFL);
  say("stdin access: %s", fl < 0 ? errname(errno) : (fl & O_ACCMODE) == O_RDONLY ? "O_RDONLY" : (fl & O_ACCMODE) == O_RDWR ? "O_RDWR" : "other");

  struct pollfd p[1] = {{0, POLLIN, 0}};
  int n = poll(p, 1, 1000);
  say("poll stdin: %d revents POLLIN=%d", n, !!(p[0].revents & POLLIN));
  char buf[256];
  size_t total = 0;
  ssize_t r;
  while ((r = read(0, buf + total, sizeof buf - 1 - total)) > 0) total += (size_t)r;
  show_bytes("stdin", buf, total);
  say("read at stdin eof: %zd", read(0, buf, 1));

  put(P("pollfile"), "data");
  int fd = open(P("pollfile"), O_RDWR);
  /* One event at a time: with POLLIN|POLLOUT on a regular file wasmtime-wasi
   * sometimes returns before the read side is ready (IN=0), a race. */
  struct pollfd q[1] = {{fd, POLLIN, 0}};
  n = poll(q, 1, 1000);
  say("poll file in: %d IN=%d", n, !!(q[0].revents & POLLIN));
  q[0].events = POLLOUT;
  n = poll(q, 1, 1000);
  say("poll file out: %d OUT=%d", n, !!(q[0].revents & POLLOUT));
  q[0].fd = 1;
  n = poll(q, 1, 1000);
  say("poll stdout out: %d OUT=%d", n, !!(q[0].revents & POLLOUT));
  close(fd);
  struct pollfd bad[1] = {{1234, POLLIN, 0}};
  n = poll(bad, 1, 0);
  say("poll bad fd: %d %s", n, n < 0 ? errname(errno) : (bad[0].revents & POLLNVAL) ? "POLLNVAL" : "no POLLNVAL");

  /* stderr is captured separately; the harness compares it too. */
  fprintf(stderr, "to stderr\n");
  say("write to stdin: %s", write(0, "x", 1) < 0 ? errname(errno) : "ok");
  say("seek on stdout: %s", lseek(1, 0, SEEK_CUR) < 0 ? errname(errno) : "ok");
  return 0;
}

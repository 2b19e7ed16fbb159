/* fs_append: O_APPEND and status flags.  Covers fd_fdstat_get and
 * fd_fdstat_set_flags through fcntl(F_GETFL/F_SETFL).
 * POSIX write(): with O_APPEND the offset is set to the end of file before
 * each write, so two appending descriptors never overwrite each other. */
#include "common.h"

static void flags(const char *what, int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) {
    say("%s: %s", what, errname(errno));
    return;
  }
  say("%s: append=%d nonblock=%d", what, !!(fl & O_APPEND), !!(fl & O_NONBLOCK));
}

int main(int argc, char **argv) {
  setup(argc, argv);
  if (mkdir(P("ap"), 0755) < 0)
    fatal("mkdir ap");
  put(P("ap/log"), "start\n");

  int a = open(P("ap/log"), O_WRONLY | O_APPEND);
  int b = open(P("ap/log"), O_WRONLY | O_APPEND);
  flags("flags of a", a);
  write(a, "a1\n", 3);
  write(b, "b1\n", 3);
  write(a, "a2\n", 3);
  write(b, "b2\n", 3);
  show_file("interleaved appends", P("ap/log"));
  say("offset of a: %lld", (long long)lseek(a, 0, SEEK_CUR));

  /* Seeking an appending fd does not stop the next write going to the end. */
  say("seek a to 0: %lld", (long long)lseek(a, 0, SEEK_SET));
  write(a, "a3\n", 3);
  say("offset after append write: %lld", (long long)lseek(a, 0, SEEK_CUR));
  show_file("append after seek", P("ap/log"));

  /* A non-appending writer at offset 0 overwrites; appenders keep appending. */
  int c = open(P("ap/log"), O_WRONLY);
  write(c, "START", 5);
  write(b, "b3\n", 3);
  show_file("mixed writers", P("ap/log"));

  /* pwrite on an O_APPEND fd: POSIX says the data goes at the offset given;
   * Linux ignores the offset and appends (documented BUGS in pwrite(2)).
   * Print what actually happens. */
  pwrite(a, "PW", 2, 0);
  show_file("pwrite on append fd", P("ap/log"));

  /* Clearing O_APPEND with F_SETFL makes writes go to the offset again. */
  want("setfl clear append", fcntl(a, F_SETFL, 0), 0);
  flags("flags after clear", a);
  lseek(a, 0, SEEK_SET);
  write(a, "s", 1);
  show_file("write after clearing append", P("ap/log"));
  /* And setting it on a plain fd makes it append. */
  want("setfl set append", fcntl(c, F_SETFL, O_APPEND), 0);
  flags("flags after set", c);
  lseek(c, 0, SEEK_SET);
  write(c, "c!\n", 3);
  show_file("write after setting append", P("ap/log"));

  /* O_NONBLOCK is recorded and reported; regular files ignore it. */
  want("setfl nonblock", fcntl(c, F_SETFL, O_APPEND | O_NONBLOCK), 0);
  flags("flags with nonblock", c);
  want("write with nonblock", write(c, "nb\n", 3) == 3 ? 0 : -1, 0);
  int d = open(P("ap/log"), O_RDONLY | O_NONBLOCK);
  flags("opened nonblock", d);
  char buf[8];
  say("read nonblock: %zd", read(d, buf, 4));
  close(d);
  /* F_SETFL ignores the access mode and O_CREAT-style bits (POSIX fcntl). */
  want("setfl with access mode bits", fcntl(c, F_SETFL, O_RDWR | O_APPEND), 0);
  flags("flags after setfl with mode bits", c);
  int acc = fcntl(c, F_GETFL) & O_ACCMODE;
  say("access mode kept: %s", acc == O_WRONLY ? "O_WRONLY" : acc == O_RDWR ? "O_RDWR" : "other");
  want("getfl bad fd", fcntl(77, F_GETFL), EBADF);
  want("setfl bad fd", fcntl(77, F_SETFL, 0), EBADF);
  res("F_GETFD", fcntl(c, F_GETFD));
  close(a);
  close(b);
  close(c);

  /* O_APPEND on a read-write descriptor: reads use the offset, writes append. */
  int e = open(P("ap/rw"), O_RDWR | O_CREAT | O_APPEND | O_TRUNC, 0644);
  write(e, "0123", 4);
  lseek(e, 1, SEEK_SET);
  ssize_t n = read(e, buf, 2);
  show_bytes("read at 1 on append fd", buf, n > 0 ? (size_t)n : 0);
  write(e, "45", 2);
  n = read(e, buf, 8);
  say("read after append write: %zd", n);
  show_file("rw append file", P("ap/rw"));

  /* ftruncate then append writes at the new end. */
  ftruncate(e, 1);
  write(e, "Z", 1);
  show_file("append after truncate", P("ap/rw"));
  close(e);

  /* O_APPEND with O_TRUNC and O_CREAT on a new file. */
  int f = open(P("ap/new"), O_WRONLY | O_APPEND | O_CREAT | O_EXCL, 0644);
  write(f, "x", 1);
  write(f, "y", 1);
  close(f);
  show_file("new append file", P("ap/new"));

  /* O_SYNC / O_DSYNC are accepted and reported by F_GETFL when supported. */
  int g = open(P("ap/sync"), O_WRONLY | O_CREAT | O_SYNC, 0644);
  res("open O_SYNC", g);
  if (g >= 0) {
    write(g, "s", 1);
    close(g);
  }
  g = open(P("ap/sync"), O_WRONLY | O_DSYNC);
  res("open O_DSYNC", g);
  if (g >= 0) close(g);
  return 0;
}

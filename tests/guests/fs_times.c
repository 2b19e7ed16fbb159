/* fs_times: timestamps.  Covers fd_filestat_set_times (futimens) and
 * path_filestat_set_times (utimensat, with and without
 * AT_SYMLINK_NOFOLLOW).  Only explicit times are printed; times set by the
 * system are compared with each other or with the clock, never printed.
 *
 * The Debian wasi-libc (2022) mishandles UTIME_OMIT and UTIME_NOW in the
 * second (mtime) slot and futimens(fd, NULL) does not change the times;
 * those lines are kept (both sides share the libc) and the same semantics
 * are checked again through the raw calls below. */
#include "common.h"
#include <time.h>
#include <wasi/api.h>

static void show_times(const char *what, const char *path, int follow) {
  struct stat st;
  int rc = follow ? stat(path, &st) : lstat(path, &st);
  if (rc < 0) {
    say("%s: %s", what, errname(errno));
    return;
  }
  say("%s: atime=%lld.%09ld mtime=%lld.%09ld", what, (long long)st.st_atim.tv_sec,
      st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static long long ns(struct timespec t) { return (long long)t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(int argc, char **argv) {
  setup(argc, argv);
  if (mkdir(P("tm"), 0755) < 0)
    fatal("mkdir tm");
  struct timespec before;
  clock_gettime(CLOCK_REALTIME, &before);
  put(P("tm/f"), "x");
  struct stat st;
  stat(P("tm/f"), &st);
  /* Host filesystems stamp with a coarse clock; allow two seconds of skew. */
  check("new file mtime near the clock",
        ns(st.st_mtim) >= ns(before) - 2000000000LL && ns(st.st_mtim) <= ns(before) + 60000000000LL);

  /* Explicit times, with nanoseconds. */
  struct timespec ts[2] = {{1000000000, 123456789}, {1100000000, 987654321}};
  int fd = open(P("tm/f"), O_RDWR);
  want("futimens explicit", futimens(fd, ts), 0);
  show_times("after futimens", P("tm/f"), 1);
  struct stat fst;
  fstat(fd, &fst);
  check("fstat agrees", ns(fst.st_mtim) == 1100000000987654321LL && ns(fst.st_atim) == 1000000000123456789LL);

  /* UTIME_OMIT leaves one of them alone. */
  struct timespec omit_a[2] = {{0, UTIME_OMIT}, {1200000000, 0}};
  want("futimens omit atime", futimens(fd, omit_a), 0);
  show_times("after omit atime", P("tm/f"), 1);
  struct timespec omit_m[2] = {{1300000000, 5}, {0, UTIME_OMIT}};
  want("utimensat omit mtime", utimensat(AT_FDCWD, P("tm/f"), omit_m, 0), 0);
  show_times("after omit mtime", P("tm/f"), 1);
  struct timespec omit_both[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
  want("futimens omit both", futimens(fd, omit_both), 0);
  show_times("after omit both", P("tm/f"), 1);

  /* UTIME_NOW and NULL set the current time. */
  struct timespec now_m[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
  want("futimens now mtime", futimens(fd, now_m), 0);
  stat(P("tm/f"), &st);
  check("mtime now is recent", st.st_mtim.tv_sec > 1300000000);
  check("atime kept", st.st_atim.tv_sec == 1300000000 && st.st_atim.tv_nsec == 5);
  want("futimens null", futimens(fd, NULL), 0);
  stat(P("tm/f"), &st);
  check("both now after null", st.st_atim.tv_sec > 1300000000 && st.st_mtim.tv_sec > 1300000000);

  /* The same through fd_filestat_set_times / path_filestat_set_times. */
  const __wasi_timestamp_t S = 1000000000ULL;
  want("raw set both", -(long)__wasi_fd_filestat_set_times(fd, 1000 * S + 1, 2000 * S + 2,
                                                           __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM), 0);
  show_times("raw after both", P("tm/f"), 1);
  want("raw atime only", -(long)__wasi_fd_filestat_set_times(fd, 3000 * S, 0, __WASI_FSTFLAGS_ATIM), 0);
  show_times("raw after atime only", P("tm/f"), 1);
  want("raw mtime only", -(long)__wasi_fd_filestat_set_times(fd, 0, 4000 * S, __WASI_FSTFLAGS_MTIM), 0);
  show_times("raw after mtime only", P("tm/f"), 1);
  want("raw no flags", -(long)__wasi_fd_filestat_set_times(fd, 0, 0, 0), 0);
  show_times("raw after no flags", P("tm/f"), 1);
  want("raw mtime now", -(long)__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW), 0);
  stat(P("tm/f"), &st);
  check("raw mtime now is recent", st.st_mtim.tv_sec > 1300000000);
  check("raw atime kept", st.st_atim.tv_sec == 3000 && st.st_atim.tv_nsec == 0);
  want("raw both now", -(long)__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM_NOW), 0);
  stat(P("tm/f"), &st);
  check("raw both now are recent", st.st_atim.tv_sec > 1300000000 && st.st_mtim.tv_sec > 1300000000);
  int dfd = open(P("tm"), O_RDONLY | O_DIRECTORY);
  want("raw path atime now", -(long)__wasi_path_filestat_set_times(dfd, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "f", 0, 5000 * S,
                                                                   __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM), 0);
  stat(P("tm/f"), &st);
  check("raw path atime now is recent", st.st_atim.tv_sec > 1300000000);
  check("raw path mtime set", st.st_mtim.tv_sec == 5000);
  close(dfd);

  /* Writing updates mtime; truncating updates mtime. */
  futimens(fd, ts);
  write(fd, "more", 4);
  stat(P("tm/f"), &st);
  check("write bumps mtime", st.st_mtim.tv_sec > 1100000000);
  futimens(fd, ts);
  ftruncate(fd, 1);
  stat(P("tm/f"), &st);
  check("ftruncate bumps mtime", st.st_mtim.tv_sec > 1100000000);
  futimens(fd, ts);
  char c;
  pread(fd, &c, 1, 0);
  stat(P("tm/f"), &st);
  check("read leaves mtime", ns(st.st_mtim) == 1100000000987654321LL);

  /* Invalid nanoseconds. */
  struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
  want("futimens bad nsec", futimens(fd, bad), EINVAL);
  struct timespec neg[2] = {{0, -5}, {0, 0}};
  want("futimens negative nsec", futimens(fd, neg), EINVAL);
  close(fd);

  /* Setting times needs no write access to the descriptor's data on most
   * systems when the caller owns the file; print what happens on O_RDONLY. */
  fd = open(P("tm/f"), O_RDONLY);
  res("futimens on rdonly fd", futimens(fd, ts));
  close(fd);

  /* utimensat on a symlink: follow sets the target, NOFOLLOW the link. */
  put(P("tm/target"), "t");
  symlink("target", P("tm/link"));
  struct timespec t1[2] = {{1400000000, 0}, {1400000001, 0}};
  struct timespec t2[2] = {{1500000000, 0}, {1500000001, 0}};
  want("utimensat follow", utimensat(AT_FDCWD, P("tm/link"), t1, 0), 0);
  want("utimensat nofollow", utimensat(AT_FDCWD, P("tm/link"), t2, AT_SYMLINK_NOFOLLOW), 0);
  show_times("target times", P("tm/target"), 1);
  show_times("link own times", P("tm/link"), 0);
  want("utimensat missing", utimensat(AT_FDCWD, P("tm/missing"), t1, 0), ENOENT);
  want("utimensat dangling", utimensat(AT_FDCWD, P("tm/dang"), t1, 0), ENOENT);
  symlink("nothing", P("tm/dang"));
  want("utimensat dangling link follow", utimensat(AT_FDCWD, P("tm/dang"), t1, 0), ENOENT);
  want("utimensat dangling link nofollow", utimensat(AT_FDCWD, P("tm/dang"), t1, AT_SYMLINK_NOFOLLOW), 0);

  /* Directories: times can be set; adding an entry bumps mtime. */
  mkdir(P("tm/d"), 0755);
  want("utimensat dir", utimensat(AT_FDCWD, P("tm/d"), ts, 0), 0);
  show_times("dir times", P("tm/d"), 1);
  put(P("tm/d/child"), "c");
  stat(P("tm/d"), &st);
  check("creating a child bumps dir mtime", st.st_mtim.tv_sec > 1100000000);
  utimensat(AT_FDCWD, P("tm/d"), ts, 0);
  unlink(P("tm/d/child"));
  stat(P("tm/d"), &st);
  check("removing a child bumps dir mtime", st.st_mtim.tv_sec > 1100000000);

  /* Fixture file: times can be changed and are then kept. */
  want("utimensat fixture", utimensat(AT_FDCWD, P("docs/b.txt"), t1, 0), 0);
  show_times("fixture times", P("docs/b.txt"), 1);
  /* Times before the epoch. */
  struct timespec old[2] = {{-1000, 0}, {-1, 500}};
  res("utimensat before epoch", utimensat(AT_FDCWD, P("tm/target"), old, 0));
  show_times("pre-epoch times", P("tm/target"), 1);
  /* Leave deterministic times on everything this guest made. */
  utimensat(AT_FDCWD, P("tm/f"), ts, 0);
  utimensat(AT_FDCWD, P("tm/d"), ts, 0);
  return 0;
}

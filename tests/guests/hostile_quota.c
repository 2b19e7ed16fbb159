/* hostile_quota: patterns that cost the host far more memory than the bytes
 * they write (issue 10), each run until it fails or reaches a count.
 *
 *   links N LEN   hard links with LEN-byte names to one file (no inode each)
 *   sparse N      a 1-byte pwrite every 4 KiB of one file (a chunk each)
 *   fill N DIR... N bytes in 64 KiB writes into a file in each DIR
 *
 * With no mode, all three run small (the differential test).  Everything
 * made is removed again, so what the guest leaves is the empty tree. */
#include "common.h"

static void links(long long n, int len) {
  if (len < 8 || len > 255)
    fatal("name length");
  if (mkdir(P("ql"), 0755) < 0)
    fatal("mkdir ql");
  if (put(P("ql/t"), "target") < 0)
    fatal("create ql/t");
  static char name[300], path[1100];
  long long made = 0;
  int err = 0;
  for (; made < n; made++) {
    snprintf(name, sizeof name, "%0*lld", len, made);
    snprintf(path, sizeof path, "%s/ql/%s", ROOT, name);
    if (link(P("ql/t"), path) < 0) {
      err = errno;
      break;
    }
  }
  say("links made: %lld of %lld", made, n);
  say("stopped by: %s", err ? errname(err) : "nothing");
  struct stat st;
  if (stat(P("ql/t"), &st) == 0)
    check("nlink counts them", (long long)st.st_nlink == made + 1);
  long long removed = 0;
  for (long long i = 0; i < made; i++) {
    snprintf(name, sizeof name, "%0*lld", len, i);
    snprintf(path, sizeof path, "%s/ql/%s", ROOT, name);
    if (unlink(path) == 0)
      removed++;
  }
  say("links removed: %lld", removed);
  res("unlink ql/t", unlink(P("ql/t")));
  res("rmdir ql", rmdir(P("ql")));
}

static void sparse(long long n) {
  int fd = open(P("qs"), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    fatal("open qs");
  long long made = 0;
  int err = 0;
  for (; made < n; made++) {
    if (pwrite(fd, "x", 1, (off_t)(made * 4096)) != 1) {
      err = errno;
      break;
    }
  }
  say("one-byte writes: %lld of %lld", made, n);
  say("stopped by: %s", err ? errname(err) : "nothing");
  struct stat st;
  if (fstat(fd, &st) == 0)
    check("size covers them", made == 0 || st.st_size == (made - 1) * 4096 + 1);
  res("truncate qs", ftruncate(fd, 0));
  close(fd);
  res("unlink qs", unlink(P("qs")));
}

static void fill(long long n, const char *dir) {
  static char buf[1 << 16];
  static char path[1100];
  for (size_t i = 0; i < sizeof buf; i++)
    buf[i] = (char)(i * 13 + 5);
  snprintf(path, sizeof path, "%s/fill", dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    /* Even an empty file costs memory: a full total refuses it too. */
    say("%s: wrote 0 bytes, stopped by %s", dir, errname(errno));
    return;
  }
  long long total = 0;
  int err = 0;
  while (total < n) {
    long long want_n = n - total < (long long)sizeof buf ? n - total : (long long)sizeof buf;
    ssize_t w = write(fd, buf, (size_t)want_n);
    if (w <= 0) {
      err = w < 0 ? errno : 0;
      break;
    }
    total += w;
  }
  close(fd);
  say("%s: wrote %lld bytes, stopped by %s", dir, total, err ? errname(err) : "nothing");
}

int main(int argc, char **argv) {
  setup(argc, argv);
  const char *mode = argc > 2 ? argv[2] : "";
  long long n = argc > 3 ? atoll(argv[3]) : 0;
  if (strcmp(mode, "links") == 0) {
    links(n, argc > 4 ? atoi(argv[4]) : 240);
  } else if (strcmp(mode, "sparse") == 0) {
    sparse(n);
  } else if (strcmp(mode, "fill") == 0) {
    /* Fill every directory first, so that later ones find the shared
     * total taken; then remove the files. */
    for (int i = 4; i < argc; i++)
      fill(n, argv[i]);
    static char path[1100];
    for (int i = 4; i < argc; i++) {
      snprintf(path, sizeof path, "%s/fill", argv[i]);
      unlink(path);
    }
  } else if (mode[0] == '\0') {
    links(100, 240);
    sparse(100);
    fill(100000, ROOT);
    res("unlink fill", unlink(P("fill")));
  } else {
    fatal("unknown mode");
  }
  return 0;
}

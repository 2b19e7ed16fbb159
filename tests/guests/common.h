/* Shared helpers for Strata's guest test programs.
 *
 * Every guest prints one deterministic line per check: "what: ok", a value, or
 * the symbolic errno name.  Never raw errno numbers, inode numbers or
 * timestamps, so that the output is identical under wasmtime-wasi and Strata
 * and on every machine.  When a result differs from what POSIX specifies, the
 * line gets a " [posix: X]" suffix so a reviewer can grep for divergences.
 */
#ifndef STRATA_GUEST_COMMON_H
#define STRATA_GUEST_COMMON_H

/* Not every guest uses every helper. */
#pragma clang diagnostic ignored "-Wunused-function"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The preopened directory every guest works in (argv[1], default /sandbox). */
static const char *ROOT = "/sandbox";

static const char *errname(int e) {
  switch (e) {
  case 0: return "ok";
#define E(x) case x: return #x;
    E(E2BIG) E(EACCES) E(EADDRINUSE) E(EADDRNOTAVAIL) E(EAFNOSUPPORT)
    E(EAGAIN) E(EALREADY) E(EBADF) E(EBADMSG) E(EBUSY) E(ECANCELED)
    E(ECHILD) E(ECONNABORTED) E(ECONNREFUSED) E(ECONNRESET) E(EDEADLK)
    E(EDESTADDRREQ) E(EDOM) E(EDQUOT) E(EEXIST) E(EFAULT) E(EFBIG)
    E(EHOSTUNREACH) E(EIDRM) E(EILSEQ) E(EINPROGRESS) E(EINTR) E(EINVAL)
    E(EIO) E(EISCONN) E(EISDIR) E(ELOOP) E(EMFILE) E(EMLINK) E(EMSGSIZE)
    E(EMULTIHOP) E(ENAMETOOLONG) E(ENETDOWN) E(ENETRESET) E(ENETUNREACH)
    E(ENFILE) E(ENOBUFS) E(ENODEV) E(ENOENT) E(ENOEXEC) E(ENOLCK)
    E(ENOLINK) E(ENOMEM) E(ENOMSG) E(ENOPROTOOPT) E(ENOSPC) E(ENOSYS)
    E(ENOTCONN) E(ENOTDIR) E(ENOTEMPTY) E(ENOTRECOVERABLE) E(ENOTSOCK)
    E(ENOTSUP) E(ENOTTY) E(ENXIO) E(EOVERFLOW) E(EOWNERDEAD) E(EPERM)
    E(EPIPE) E(EPROTO) E(EPROTONOSUPPORT) E(EPROTOTYPE) E(ERANGE) E(EROFS)
    E(ESPIPE) E(ESRCH) E(ESTALE) E(ETIMEDOUT) E(ETXTBSY) E(EXDEV)
    E(ENOTCAPABLE)
#undef E
  default: {
    static char buf[32];
    snprintf(buf, sizeof buf, "E?%d", e);
    return buf;
  }
  }
}

/* Print one line. */
static void say(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
}

/* Print "what: ok" when rc >= 0, else "what: <errno name>". Returns rc. */
static long res(const char *what, long rc) {
  int e = errno;
  say("%s: %s", what, rc < 0 ? errname(e) : "ok");
  errno = e;
  return rc;
}

/* Like res(), and flags a result that differs from POSIX: `posix` is 0 when
 * the call must succeed, else the errno it must fail with. */
static long want(const char *what, long rc, int posix) {
  int e = rc < 0 ? errno : 0;
  if (e == posix)
    say("%s: %s", what, errname(e));
  else
    say("%s: %s [posix: %s]", what, errname(e), errname(posix));
  errno = e;
  return rc;
}

/* Like want(), accepting either of two POSIX-permitted errnos. */
static long want2(const char *what, long rc, int a, int b) {
  int e = rc < 0 ? errno : 0;
  if (e == a || e == b)
    say("%s: %s", what, errname(e));
  else
    say("%s: %s [posix: %s or %s]", what, errname(e), errname(a), errname(b));
  errno = e;
  return rc;
}

/* For calls that must fail but whose errno POSIX does not fix (sandbox
 * escapes are not POSIX at all): print the errno, flag a success. */
static long fails(const char *what, long rc) {
  int e = rc < 0 ? errno : 0;
  if (e)
    say("%s: %s", what, errname(e));
  else
    say("%s: ok [posix: must fail]", what);
  errno = e;
  return rc;
}

/* Print "what: yes" or "what: NO" for a boolean property. */
static void check(const char *what, int cond) { say("%s: %s", what, cond ? "yes" : "NO"); }

/* Path under ROOT, in one of 8 rotating buffers so several can be used at once. */
static const char *P(const char *rel) {
  static char bufs[8][1024];
  static int next;
  char *b = bufs[next++ & 7];
  snprintf(b, sizeof bufs[0], "%s/%s", ROOT, rel);
  return b;
}

/* Abort the guest when the harness itself cannot continue. */
static void fatal(const char *what) {
  int e = errno;
  say("FATAL %s: %s", what, errname(e));
  fflush(stdout);
  exit(2);
}

static void setup(int argc, char **argv) {
  if (argc > 1 && argv[1][0] != '\0')
    ROOT = argv[1];
}

/* Create (or truncate) a file with the given content; returns 0 or -1. */
static int put(const char *path, const char *content) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    return -1;
  size_t len = strlen(content);
  ssize_t n = write(fd, content, len);
  close(fd);
  return n == (ssize_t)len ? 0 : -1;
}

/* Read a whole (small) file into a static buffer; returns NULL on error. */
static const char *get(const char *path) {
  static char buf[8192];
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return NULL;
  ssize_t total = 0, n;
  while ((n = read(fd, buf + total, sizeof buf - 1 - total)) > 0)
    total += n;
  close(fd);
  if (n < 0)
    return NULL;
  buf[total] = '\0';
  return buf;
}

/* Print the bytes as a C-like escaped string. */
static void show_bytes(const char *what, const char *data, size_t len) {
  printf("%s: \"", what);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)data[i];
    if (c == '\n') printf("\\n");
    else if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c >= 32 && c < 127) putchar(c);
    else printf("\\x%02x", c);
  }
  printf("\"\n");
}

/* Print the content of a file (or its errno). */
static void show_file(const char *what, const char *path) {
  int e;
  const char *s = get(path);
  if (!s) {
    e = errno;
    say("%s: %s", what, errname(e));
    return;
  }
  show_bytes(what, s, strlen(s));
}

static const char *type_name(mode_t m) {
  if (S_ISREG(m)) return "file";
  if (S_ISDIR(m)) return "dir";
  if (S_ISLNK(m)) return "symlink";
  if (S_ISCHR(m)) return "chardev";
  if (S_ISBLK(m)) return "blockdev";
  if (S_ISFIFO(m)) return "fifo";
  if (S_ISSOCK(m)) return "socket";
  return "unknown";
}

/* "what: file size=N nlink=N" or the errno of stat()/lstat(). */
static void show_stat(const char *what, const char *path, int follow) {
  struct stat st;
  int rc = follow ? stat(path, &st) : lstat(path, &st);
  if (rc < 0) {
    say("%s: %s", what, errname(errno));
    return;
  }
  if (S_ISDIR(st.st_mode))
    say("%s: dir", what); /* a directory's size and nlink depend on the host fs */
  else
    say("%s: %s size=%lld nlink=%llu", what, type_name(st.st_mode), (long long)st.st_size,
        (unsigned long long)st.st_nlink);
}

/* 64-bit FNV-1a, to print a deterministic digest of large contents. */
static uint64_t fnv1a(uint64_t h, const void *data, size_t len) {
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}
#define FNV_INIT 0xcbf29ce484222325ULL

/* Sorted listing of a directory as one line: "what: a b c" (with . and ..). */
static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}
static void show_dir(const char *what, const char *path) {
  DIR *d = opendir(path);
  if (!d) {
    say("%s: %s", what, errname(errno));
    return;
  }
  char *names[512];
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL && n < 512)
    names[n++] = strdup(de->d_name);
  closedir(d);
  qsort(names, n, sizeof names[0], cmp_str);
  printf("%s:", what);
  for (size_t i = 0; i < n; i++) {
    printf(" %s", names[i]);
    free(names[i]);
  }
  putchar('\n');
}

#endif

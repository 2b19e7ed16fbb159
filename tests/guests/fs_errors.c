/* fs_errors: error paths of path resolution.  Name length limits, `..`
 * escapes from the preopen, paths outside any preopen, ENOTDIR in the
 * middle of a path, empty paths.  An escape must fail and touch nothing. */
#include "common.h"

int main(int argc, char **argv) {
  setup(argc, argv);
  if (mkdir(P("er"), 0755) < 0)
    fatal("mkdir er");

  /* NAME_MAX is 255 on the usual hosts: 255 works, 256 is ENAMETOOLONG. */
  char n255[300], n256[300], path[700];
  memset(n255, 'a', 255);
  n255[255] = 0;
  memset(n256, 'b', 256);
  n256[256] = 0;
  snprintf(path, sizeof path, "er/%s", n255);
  int fd = open(P(path), O_WRONLY | O_CREAT, 0644);
  want("create 255-byte name", fd, 0);
  close(fd);
  show_stat("stat 255-byte name", P(path), 0);
  want("mkdir er/d", mkdir(P("er/d"), 0755), 0);
  snprintf(path, sizeof path, "er/d/%s", n255);
  want("mkdir 255-byte dir", mkdir(P(path), 0755), 0);
  snprintf(path, sizeof path, "er/%s", n256);
  want("create 256-byte name", open(P(path), O_WRONLY | O_CREAT, 0644), ENAMETOOLONG);
  want("stat 256-byte name", stat(P(path), &(struct stat){0}), ENAMETOOLONG);
  want("mkdir 256-byte name", mkdir(P(path), 0755), ENAMETOOLONG);
  want("symlink 256-byte name", symlink("x", P(path)), ENAMETOOLONG);
  snprintf(path, sizeof path, "er/%s/x", n256);
  want("256-byte middle component", open(P(path), O_RDONLY), ENAMETOOLONG);
  /* 255 bytes of multi-byte UTF-8: 85 three-byte characters. */
  char utf[300] = "er/";
  for (int i = 0; i < 85; i++) strcat(utf, "\xe2\x82\xac");
  fd = open(P(utf), O_WRONLY | O_CREAT, 0644);
  want("create 255-byte utf-8 name", fd, 0);
  close(fd);
  strcat(utf, "x");
  want("create 256-byte utf-8 name", open(P(utf), O_WRONLY | O_CREAT, 0644), ENAMETOOLONG);

  /* A very long path made of short components. */
  static char longp[8192];
  strcpy(longp, "er");
  while (strlen(longp) < 5000) strcat(longp, "/.");
  strcat(longp, "/d");
  show_stat("5000-byte path of dots", P(longp), 0);

  /* `..` that leaves the preopen is a capability error and does nothing. */
  fails("open ../ escape", open(P("../etc/passwd"), O_RDONLY));
  fails("open deep escape", open(P("er/../../etc/passwd"), O_RDONLY));
  fails("stat escape", stat(P(".."), &(struct stat){0}));
  fails("mkdir escape", mkdir(P("../strata_escape_dir"), 0755));
  fails("create escape", open(P("../strata_escape_file"), O_WRONLY | O_CREAT, 0644));
  fails("unlink escape", unlink(P("../strata_escape_file")));
  fails("rename out", rename(P("er/d"), P("../strata_escape_dir")));
  fails("rename in", rename(P("../x"), P("er/x")));
  fails("symlink placed outside", symlink("x", P("../strata_escape_link")));
  fails("link out", link(P("README.txt"), P("../strata_escape_hard")));
  fails("opendir escape", opendir(P("er/d/../../..")) ? 0 : -1);
  /* `..` that stays inside is fine, even through the root. */
  show_file("dotdot back in", P("er/../README.txt"));
  show_file("dotdot to root and back", P("er/d/../../README.txt"));

  /* Absolute paths outside every preopen: wasi-libc finds no preopen. */
  fails("open /etc/passwd", open("/etc/passwd", O_RDONLY));
  fails("open /", open("/", O_RDONLY));
  /* A relative path resolves against libc's cwd ("/"), not the preopen. */
  res("open relative path", open("README.txt", O_RDONLY));

  /* ENOTDIR for a file used as a directory in the middle of a path. */
  want("file in middle", open(P("README.txt/x"), O_RDONLY), ENOTDIR);
  want("mkdir under file", mkdir(P("README.txt/x"), 0755), ENOTDIR);
  want("stat under file", stat(P("README.txt/x"), &(struct stat){0}), ENOTDIR);
  want("file with trailing slash", stat(P("README.txt/"), &(struct stat){0}), ENOTDIR);
  want("file with trailing dot", stat(P("README.txt/."), &(struct stat){0}), ENOTDIR);

  /* ENOENT for missing components, and the empty path. */
  want("missing middle", open(P("nope/README.txt"), O_RDONLY), ENOENT);
  /* wasi-libc finds no preopen for "" (POSIX says ENOENT). */
  fails("empty path", open("", O_RDONLY));
  int dfd = open(P("er"), O_RDONLY | O_DIRECTORY);
  want("openat empty path", openat(dfd, "", O_RDONLY), ENOENT);
  fails("openat absolute path", openat(dfd, "/etc/passwd", O_RDONLY));
  /* WASI capabilities: a directory descriptor is a root of its own, so `..`
   * cannot climb above it even though the target is inside the preopen. */
  fails("openat dotdot above the dir fd", openat(dfd, "../README.txt", O_RDONLY));
  fails("openat dotdot escape", openat(dfd, "../../x", O_RDONLY));
  fails("fstatat absolute", fstatat(dfd, "/", &(struct stat){0}, 0));
  close(dfd);

  /* A file descriptor that is not a directory used as a base. */
  fd = open(P("README.txt"), O_RDONLY);
  want("openat on file fd", openat(fd, "x", O_RDONLY), ENOTDIR);
  close(fd);
  want("openat on closed fd", openat(999, "x", O_RDONLY), EBADF);

  /* Nothing leaked outside: the sandbox root lists only what was there. */
  show_dir("sandbox root", ROOT);
  return 0;
}

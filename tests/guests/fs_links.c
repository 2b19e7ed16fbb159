/* fs_links: hard links (path_link) and link counts. */
#include "common.h"

static void same_file(const char *what, const char *a, const char *b) {
  struct stat sa, sb;
  if (stat(a, &sa) < 0 || stat(b, &sb) < 0) {
    say("%s: %s", what, errname(errno));
    return;
  }
  check(what, sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev);
}

int main(int argc, char **argv) {
  setup(argc, argv);
  if (mkdir(P("ln"), 0755) < 0)
    fatal("mkdir ln");
  put(P("ln/orig"), "shared");
  show_stat("before link", P("ln/orig"), 1);
  want("link", link(P("ln/orig"), P("ln/second")), 0);
  show_stat("orig after link", P("ln/orig"), 1);
  show_stat("second after link", P("ln/second"), 1);
  same_file("same inode", P("ln/orig"), P("ln/second"));

  /* Writes through one name are seen through the other. */
  int fd = open(P("ln/second"), O_WRONLY | O_APPEND);
  write(fd, "+more", 5);
  close(fd);
  show_file("orig sees write", P("ln/orig"));

  /* Link errors. */
  want("link existing target", link(P("ln/orig"), P("ln/second")), EEXIST);
  want("link missing source", link(P("ln/none"), P("ln/x")), ENOENT);
  want("link into missing dir", link(P("ln/orig"), P("ln/nodir/x")), ENOENT);
  mkdir(P("ln/dir"), 0755);
  want("link to directory", link(P("ln/dir"), P("ln/dirlink")), EPERM);
  want("link target trailing slash", link(P("ln/orig"), P("ln/third/")), ENOENT);
  want("link source trailing slash", link(P("ln/orig/"), P("ln/third")), ENOTDIR);

  /* A third link in a subdirectory, then remove names one by one. */
  want("link into subdir", link(P("ln/orig"), P("ln/dir/third")), 0);
  show_stat("nlink with three names", P("ln/orig"), 1);
  want("unlink orig", unlink(P("ln/orig")), 0);
  show_stat("nlink after unlink", P("ln/second"), 1);
  show_file("content survives", P("ln/dir/third"));
  fd = open(P("ln/second"), O_RDONLY);
  want("unlink second", unlink(P("ln/second")), 0);
  struct stat st;
  fstat(fd, &st);
  say("fstat nlink with one name left: %llu", (unsigned long long)st.st_nlink);
  want("unlink third", unlink(P("ln/dir/third")), 0);
  fstat(fd, &st);
  say("fstat nlink with no name left: %llu", (unsigned long long)st.st_nlink);
  char buf[32];
  ssize_t n = pread(fd, buf, sizeof buf, 0);
  show_bytes("read after all names gone", buf, n > 0 ? (size_t)n : 0);
  close(fd);

  /* linkat with and without AT_SYMLINK_FOLLOW on a symlink. */
  put(P("ln/target"), "target");
  symlink("target", P("ln/sym"));
  int dfd = open(P("ln"), O_RDONLY | O_DIRECTORY);
  want("linkat symlink nofollow", linkat(dfd, "sym", dfd, "sym_hard", 0), 0);
  show_stat("linkat nofollow made", P("ln/sym_hard"), 0);
  res("linkat symlink follow", linkat(dfd, "sym", dfd, "sym_follow", AT_SYMLINK_FOLLOW));
  show_stat("linkat follow made", P("ln/sym_follow"), 0);
  close(dfd);

  /* The fixture's hard-linked pair: one inode with two names. */
  show_stat("fixture hard_a", P("data/hard_a.txt"), 1);
  show_stat("fixture hard_b", P("data/hard_b.txt"), 1);
  same_file("fixture pair is one inode", P("data/hard_a.txt"), P("data/hard_b.txt"));
  fd = open(P("data/hard_a.txt"), O_WRONLY);
  want("write into fixture hard link", pwrite(fd, "HARD", 4, 0) == 4 ? 0 : -1, 0);
  close(fd);
  show_file("other name sees it", P("data/hard_b.txt"));
  want("link fixture file", link(P("data/hard_b.txt"), P("ln/hard_c")), 0);
  show_stat("fixture nlink now", P("data/hard_a.txt"), 1);
  want("unlink fixture hard_a", unlink(P("data/hard_a.txt")), 0);
  show_stat("fixture hard_b after unlink", P("data/hard_b.txt"), 1);
  show_file("new link content", P("ln/hard_c"));
  return 0;
}

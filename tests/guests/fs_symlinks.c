/* fs_symlinks: path_symlink, path_readlink, following rules, O_NOFOLLOW,
 * loops and escapes, using both new links and the fixture's links. */
#include "common.h"

static void show_link(const char *what, const char *path) {
  char buf[256];
  ssize_t n = readlink(path, buf, sizeof buf);
  if (n < 0) {
    say("%s: %s", what, errname(errno));
    return;
  }
  show_bytes(what, buf, (size_t)n);
}

int main(int argc, char **argv) {
  setup(argc, argv);
  if (mkdir(P("sl"), 0755) < 0)
    fatal("mkdir sl");
  put(P("sl/target"), "target data");
  mkdir(P("sl/dir"), 0755);
  put(P("sl/dir/inside"), "inside");

  want("symlink to file", symlink("target", P("sl/l_file")), 0);
  want("symlink to dir", symlink("dir", P("sl/l_dir")), 0);
  want("symlink dangling", symlink("nowhere", P("sl/l_dangling")), 0);
  want("symlink existing name", symlink("target", P("sl/l_file")), EEXIST);
  want("symlink over dir", symlink("target", P("sl/dir")), EEXIST);
  want("symlink in missing dir", symlink("target", P("sl/nodir/l")), ENOENT);
  want("symlink empty target", symlink("", P("sl/l_empty")), ENOENT);

  show_link("readlink file link", P("sl/l_file"));
  show_link("readlink dir link", P("sl/l_dir"));
  show_link("readlink dangling", P("sl/l_dangling"));
  show_link("readlink on file", P("sl/target"));
  show_link("readlink on dir", P("sl/dir"));
  show_link("readlink missing", P("sl/missing"));
  /* A short buffer truncates silently (POSIX readlink). */
  char small[3];
  ssize_t n = readlink(P("sl/l_file"), small, sizeof small);
  if (n >= 0)
    show_bytes("readlink short buffer", small, (size_t)n);
  else
    say("readlink short buffer: %s", errname(errno));

  /* lstat sees the link; stat sees the target. */
  show_stat("lstat link", P("sl/l_file"), 0);
  show_stat("stat link", P("sl/l_file"), 1);
  show_stat("stat dir link", P("sl/l_dir"), 1);
  show_stat("lstat dangling", P("sl/l_dangling"), 0);
  show_stat("stat dangling", P("sl/l_dangling"), 1);
  show_file("read through link", P("sl/l_file"));
  show_file("read through dir link", P("sl/l_dir/inside"));
  show_dir("list through dir link", P("sl/l_dir"));

  /* Trailing slash forces following (POSIX 4.13 pathname resolution). */
  show_stat("lstat dir link with slash", P("sl/l_dir/"), 0);
  show_stat("lstat file link with slash", P("sl/l_file/"), 0);

  /* O_NOFOLLOW on the last component. */
  want("open nofollow on link", open(P("sl/l_file"), O_RDONLY | O_NOFOLLOW), ELOOP);
  int fd = open(P("sl/target"), O_RDONLY | O_NOFOLLOW);
  want("open nofollow on file", fd, 0);
  close(fd);
  /* O_NOFOLLOW only concerns the last component. */
  fd = open(P("sl/l_dir/inside"), O_RDONLY | O_NOFOLLOW);
  want("open nofollow link in middle", fd, 0);
  close(fd);

  /* Creating through a dangling link creates the target (POSIX open O_CREAT). */
  fd = open(P("sl/l_dangling"), O_WRONLY | O_CREAT, 0644);
  res("create through dangling link", fd);
  if (fd >= 0) {
    write(fd, "made", 4);
    close(fd);
  }
  show_stat("dangling target now", P("sl/nowhere"), 0);
  unlink(P("sl/nowhere"));
  want("create excl through dangling link", open(P("sl/l_dangling"), O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);

  /* Write through a link changes the target. */
  fd = open(P("sl/l_file"), O_WRONLY | O_TRUNC);
  want("open link for write", fd, 0);
  write(fd, "rewritten", 9);
  close(fd);
  show_file("target after write via link", P("sl/target"));

  /* Loops: a -> b -> a, and a self loop. */
  symlink("loop_b", P("sl/loop_a"));
  symlink("loop_a", P("sl/loop_b"));
  symlink("self", P("sl/self"));
  want("open loop", open(P("sl/loop_a"), O_RDONLY), ELOOP);
  want("stat loop", stat(P("sl/self"), &(struct stat){0}), ELOOP);
  want("lstat loop", lstat(P("sl/self"), &(struct stat){0}), 0);
  want("loop in middle of path", open(P("sl/loop_a/x"), O_RDONLY), ELOOP);
  want("mkdir through loop", mkdir(P("sl/self/x"), 0755), ELOOP);

  /* A long chain of 30 links resolves; 50 is too many (Linux allows 40). */
  char name[64], tgt[64];
  put(P("sl/c0"), "end of chain");
  for (int i = 1; i <= 50; i++) {
    snprintf(name, sizeof name, "sl/c%d", i);
    snprintf(tgt, sizeof tgt, "c%d", i - 1);
    symlink(tgt, P(name));
  }
  show_file("chain of 30", P("sl/c30"));
  show_file("chain of 50", P("sl/c50"));

  /* Links that point up and out. */
  symlink("../target", P("sl/dir/up"));
  show_file("link with dotdot inside sandbox", P("sl/dir/up"));
  res("symlink escaping target", symlink("../../../etc/passwd", P("sl/escape")));
  fails("open escaping link", open(P("sl/escape"), O_RDONLY));
  /* wasmtime-wasi refuses to create a symlink with an absolute target. */
  res("symlink with absolute target", symlink("/etc/passwd", P("sl/abs")));
  fails("open absolute link", open(P("sl/abs"), O_RDONLY));
  show_link("readlink escaping link", P("sl/escape"));
  show_stat("lstat escaping link", P("sl/escape"), 0);

  /* The fixture's links. */
  show_link("fixture relative link", P("data/link_to_leaf"));
  show_file("fixture relative link content", P("data/link_to_leaf"));
  show_link("fixture dir link", P("links/to_docs"));
  show_file("through fixture dir link", P("links/to_docs/a.txt"));
  show_link("fixture escape_rel", P("links/escape_rel"));
  fails("open fixture escape_rel", open(P("links/escape_rel"), O_RDONLY));
  /* wasmtime-wasi's readlink answers EPERM for an absolute target. */
  show_link("fixture escape_abs", P("links/escape_abs"));
  fails("open fixture escape_abs", open(P("links/escape_abs"), O_RDONLY));
  show_stat("lstat fixture escape_abs", P("links/escape_abs"), 0);
  show_stat("stat fixture dangling", P("links/dangling"), 1);

  /* Unlink removes the link, not the target; rmdir on a dir link fails. */
  want("rmdir dir link", rmdir(P("sl/l_dir")), ENOTDIR);
  want("unlink dir link", unlink(P("sl/l_dir")), 0);
  show_stat("dir survives", P("sl/dir"), 0);
  want("unlink file link", unlink(P("sl/l_file")), 0);
  show_stat("target survives", P("sl/target"), 1);
  want("unlink fixture link", unlink(P("links/escape_abs")), 0);
  want("symlink over fixture name", symlink("../docs/b.txt", P("links/escape_abs")), 0);
  show_file("new fixture-named link", P("links/escape_abs"));

  /* symlinkat / readlinkat relative to a directory fd. */
  int dfd = open(P("sl/dir"), O_RDONLY | O_DIRECTORY);
  want("symlinkat", symlinkat("inside", dfd, "rel"), 0);
  char buf[64];
  n = readlinkat(dfd, "rel", buf, sizeof buf);
  show_bytes("readlinkat", buf, n > 0 ? (size_t)n : 0);
  close(dfd);
  return 0;
}

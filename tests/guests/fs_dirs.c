/* fs_dirs: creating and removing directories and files.
 * Covers path_create_directory, path_remove_directory, path_unlink_file and
 * their errors, trailing slashes and `.`/`..` components inside the sandbox. */
#include "common.h"

int main(int argc, char **argv) {
  setup(argc, argv);
  want("mkdir", mkdir(P("d"), 0755), 0);
  want("mkdir existing", mkdir(P("d"), 0755), EEXIST);
  want("mkdir nested", mkdir(P("d/a"), 0755), 0);
  want("mkdir deeper", mkdir(P("d/a/b"), 0755), 0);
  want("mkdir missing parent", mkdir(P("d/x/y"), 0755), ENOENT);
  put(P("d/file"), "f");
  want("mkdir over file", mkdir(P("d/file"), 0755), EEXIST);
  want("mkdir under file", mkdir(P("d/file/sub"), 0755), ENOTDIR);
  want("mkdir trailing slash", mkdir(P("d/slash/"), 0755), 0);
  show_stat("mkdir trailing slash made", P("d/slash"), 0);
  want("mkdir dot", mkdir(P("d/."), 0755), EEXIST);
  want("mkdir dotdot", mkdir(P("d/a/.."), 0755), EEXIST);
  want("mkdir via dotdot", mkdir(P("d/a/../c"), 0755), 0);
  show_stat("made via dotdot", P("d/c"), 0);
  want("mkdir root of sandbox", mkdir(ROOT, 0755), EEXIST);
  show_dir("listing d", P("d"));

  /* rmdir */
  want("rmdir non-empty", rmdir(P("d/a")), ENOTEMPTY);
  want("rmdir file", rmdir(P("d/file")), ENOTDIR);
  want("rmdir missing", rmdir(P("d/missing")), ENOENT);
  want("rmdir leaf", rmdir(P("d/a/b")), 0);
  want("rmdir again", rmdir(P("d/a/b")), ENOENT);
  /* POSIX: rmdir of a path whose last component is `.` shall fail with EINVAL. */
  want("rmdir dot", rmdir(P("d/a/.")), EINVAL);
  fails("rmdir dotdot", rmdir(P("d/a/..")));
  /* wasmtime-wasi 48 refuses a trailing slash here (EINVAL); POSIX allows it. */
  want("rmdir trailing slash", rmdir(P("d/a/")), 0);
  if (access(P("d/a"), F_OK) == 0)
    want("rmdir without trailing slash", rmdir(P("d/a")), 0);
  show_stat("after rmdir", P("d/a"), 0);
  want("rmdir file trailing slash", rmdir(P("d/file/")), ENOTDIR);

  /* unlink */
  want("unlink dir", unlink(P("d/c")), EISDIR);
  want("unlink missing", unlink(P("d/missing")), ENOENT);
  want("unlink file trailing slash", unlink(P("d/file/")), ENOTDIR);
  want("unlink under file", unlink(P("d/file/x")), ENOTDIR);
  want("unlink file", unlink(P("d/file")), 0);
  want("unlink again", unlink(P("d/file")), ENOENT);
  int dfd = open(P("d"), O_RDONLY | O_DIRECTORY);
  want("unlinkat removedir", unlinkat(dfd, "c", AT_REMOVEDIR), 0);
  put(P("d/g"), "g");
  want("unlinkat removedir on file", unlinkat(dfd, "g", AT_REMOVEDIR), ENOTDIR);
  want("unlinkat file", unlinkat(dfd, "g", 0), 0);
  want("mkdirat", mkdirat(dfd, "m", 0755), 0);
  close(dfd);
  show_dir("listing d at end", P("d"));

  /* Files and dirs opened through `.` and `..` stay inside. */
  put(P("d/m/inner"), "inner");
  show_file("read via dotdot", P("d/m/../m/./inner"));
  show_file("read via double slash", P("d//m///inner"));
  want("open file with trailing slash", open(P("d/m/inner/"), O_RDONLY), ENOTDIR);
  want("create with trailing slash", open(P("d/m/new/"), O_RDWR | O_CREAT, 0644), EISDIR);
  show_stat("no file made by trailing slash create", P("d/m/new"), 0);
  int fd = open(P("d/m/"), O_RDONLY);
  want("open dir with trailing slash", fd, 0);
  char buf[4];
  /* Linux says EISDIR; wasmtime-wasi says EBADF (no read right on a dir). */
  want("read on directory fd", read(fd, buf, sizeof buf), EISDIR);
  want("write on directory fd", write(fd, "x", 1), EBADF);
  close(fd);

  /* Remove a whole tree bottom up, then the directory is gone. */
  for (int i = 0; i < 5; i++) {
    char name[32];
    snprintf(name, sizeof name, "tree/%d", i);
    if (i == 0) mkdir(P("tree"), 0755);
    mkdir(P(name), 0755);
    snprintf(name, sizeof name, "tree/%d/file", i);
    put(P(name), "x");
  }
  int ok = 1;
  for (int i = 0; i < 5; i++) {
    char name[32];
    snprintf(name, sizeof name, "tree/%d/file", i);
    ok &= unlink(P(name)) == 0;
    snprintf(name, sizeof name, "tree/%d", i);
    ok &= rmdir(P(name)) == 0;
  }
  ok &= rmdir(P("tree")) == 0;
  check("removed tree", ok);
  show_stat("tree gone", P("tree"), 0);
  return 0;
}

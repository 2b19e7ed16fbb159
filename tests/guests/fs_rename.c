/* fs_rename: path_rename in all its cases (POSIX rename()). */
#include "common.h"

int main(int argc, char **argv) {
  setup(argc, argv);
  if (mkdir(P("rn"), 0755) < 0)
    fatal("mkdir rn");

  /* Plain file rename. */
  put(P("rn/a"), "A");
  want("rename file", rename(P("rn/a"), P("rn/b")), 0);
  show_stat("old name", P("rn/a"), 0);
  show_file("new name", P("rn/b"));

  /* Over an existing file: the target is replaced atomically. */
  put(P("rn/c"), "C");
  want("rename over existing file", rename(P("rn/b"), P("rn/c")), 0);
  show_file("replaced content", P("rn/c"));
  show_stat("source gone", P("rn/b"), 0);

  /* To itself: no-op success. */
  want("rename to itself", rename(P("rn/c"), P("rn/c")), 0);
  show_file("still there", P("rn/c"));

  /* Two hard links to one file: POSIX says rename does nothing and succeeds. */
  want("link for rename", link(P("rn/c"), P("rn/c2")), 0);
  want("rename between hard links", rename(P("rn/c"), P("rn/c2")), 0);
  show_stat("first link after", P("rn/c"), 0);
  show_stat("second link after", P("rn/c2"), 0);
  unlink(P("rn/c2"));

  /* Missing source, missing target parent. */
  want("rename missing", rename(P("rn/nope"), P("rn/x")), ENOENT);
  want("rename into missing dir", rename(P("rn/c"), P("rn/nodir/x")), ENOENT);
  want("rename file trailing slash", rename(P("rn/c"), P("rn/c3/")), ENOTDIR);
  want("rename source trailing slash file", rename(P("rn/c/"), P("rn/c3")), ENOTDIR);
  show_stat("no target made", P("rn/c3"), 0);

  /* Directories with contents move with their subtree. */
  mkdir(P("rn/d1"), 0755);
  mkdir(P("rn/d1/sub"), 0755);
  put(P("rn/d1/sub/f"), "deep");
  want("rename dir", rename(P("rn/d1"), P("rn/d2")), 0);
  show_file("subtree moved", P("rn/d2/sub/f"));
  show_stat("old dir gone", P("rn/d1"), 0);
  want("rename dir trailing slashes", rename(P("rn/d2/"), P("rn/d3/")), 0);
  show_dir("moved dir listing", P("rn/d3"));

  /* Directory over an empty directory replaces it. */
  mkdir(P("rn/empty"), 0755);
  want("rename dir over empty dir", rename(P("rn/d3"), P("rn/empty")), 0);
  show_file("content after replacing empty dir", P("rn/empty/sub/f"));

  /* Directory over a non-empty directory. */
  mkdir(P("rn/full"), 0755);
  put(P("rn/full/x"), "x");
  mkdir(P("rn/src"), 0755);
  want2("rename dir over non-empty dir", rename(P("rn/src"), P("rn/full")), ENOTEMPTY, EEXIST);
  show_file("non-empty target untouched", P("rn/full/x"));

  /* Type mismatches. */
  want("rename file over dir", rename(P("rn/c"), P("rn/src")), EISDIR);
  want("rename dir over file", rename(P("rn/src"), P("rn/c")), ENOTDIR);

  /* A directory into its own subtree. */
  mkdir(P("rn/src/inner"), 0755);
  want("rename dir into itself", rename(P("rn/src"), P("rn/src/inner/moved")), EINVAL);
  want("rename dir onto own child", rename(P("rn/src"), P("rn/src/inner")), EINVAL);
  want("rename dir to own new child", rename(P("rn/src"), P("rn/src/new")), EINVAL);
  /* The parent onto its own child: target is non-empty?  No, inner is empty,
   * but it is a descendant: EINVAL wins in Linux; POSIX allows either. */
  want2("rename child onto parent", rename(P("rn/src/inner"), P("rn/src")), ENOTEMPTY, EEXIST);
  show_stat("src still there", P("rn/src/inner"), 0);

  /* `.` and `..` as either name. */
  want2("rename dot", rename(P("rn/src/."), P("rn/dotmoved")), EINVAL, EBUSY);
  want2("rename dotdot", rename(P("rn/src/inner/.."), P("rn/dotmoved")), EINVAL, EBUSY);
  want2("rename onto dot", rename(P("rn/c"), P("rn/src/.")), EINVAL, EBUSY);

  /* An open file keeps working across a rename. */
  put(P("rn/open"), "before");
  int fd = open(P("rn/open"), O_RDWR);
  want("rename open file", rename(P("rn/open"), P("rn/moved_open")), 0);
  want("write through renamed fd", write(fd, "AFTER!", 6) == 6 ? 0 : -1, 0);
  close(fd);
  show_file("content via new name", P("rn/moved_open"));

  /* An open file replaced by rename keeps its old content on the fd. */
  put(P("rn/victim"), "victim");
  put(P("rn/winner"), "winner");
  fd = open(P("rn/victim"), O_RDONLY);
  want("rename over open file", rename(P("rn/winner"), P("rn/victim")), 0);
  char buf[16];
  ssize_t n = read(fd, buf, sizeof buf);
  show_bytes("old fd reads", buf, n > 0 ? (size_t)n : 0);
  close(fd);
  show_file("name now has", P("rn/victim"));

  /* renameat with directory descriptors, across directories. */
  mkdir(P("rn/left"), 0755);
  mkdir(P("rn/right"), 0755);
  put(P("rn/left/item"), "item");
  int l = open(P("rn/left"), O_RDONLY | O_DIRECTORY);
  int r = open(P("rn/right"), O_RDONLY | O_DIRECTORY);
  want("renameat across dirs", renameat(l, "item", r, "item2"), 0);
  show_dir("left", P("rn/left"));
  show_dir("right", P("rn/right"));
  /* Rename a directory while a descriptor to it is open: the fd still works. */
  want("rename dir with open fd", rename(P("rn/right"), P("rn/right2")), 0);
  want("openat through moved dir fd", close(openat(r, "item2", O_RDONLY)), 0);
  close(l);
  close(r);

  /* Symlinks are renamed, not followed. */
  symlink("moved_open", P("rn/sl"));
  want("rename symlink", rename(P("rn/sl"), P("rn/sl2")), 0);
  show_stat("renamed symlink", P("rn/sl2"), 0);
  show_file("through renamed symlink", P("rn/sl2"));
  show_dir("final rn", P("rn"));
  return 0;
}

/* fs_unlink_open: a file or directory removed while open keeps working
 * through its descriptor (POSIX unlink: "the removal of the file contents
 * shall be postponed until all references to the file are closed"). */
#include "common.h"

int main(int argc, char **argv) {
  setup(argc, argv);
  if (mkdir(P("uo"), 0755) < 0)
    fatal("mkdir uo");
  put(P("uo/f"), "original");
  int r = open(P("uo/f"), O_RDONLY);
  int w = open(P("uo/f"), O_RDWR);
  want("unlink open file", unlink(P("uo/f")), 0);
  show_stat("name gone", P("uo/f"), 0);

  char buf[64];
  ssize_t n = read(r, buf, sizeof buf);
  show_bytes("read after unlink", buf, n > 0 ? (size_t)n : 0);
  want("write after unlink", pwrite(w, "CHANGED", 7, 0) == 7 ? 0 : -1, 0);
  n = pread(r, buf, sizeof buf, 0);
  show_bytes("other fd sees write", buf, n > 0 ? (size_t)n : 0);
  struct stat st;
  want("fstat unlinked", fstat(w, &st), 0);
  say("unlinked nlink=%llu size=%lld type=%s", (unsigned long long)st.st_nlink,
      (long long)st.st_size, type_name(st.st_mode));
  want("ftruncate unlinked", ftruncate(w, 3), 0);
  fstat(r, &st);
  say("size seen by other fd: %lld", (long long)st.st_size);
  want("fsync unlinked", fsync(w), 0);
  want("futimens unlinked", futimens(w, NULL), 0);

  /* A new file with the same name is a different file. */
  put(P("uo/f"), "new file");
  n = pread(r, buf, sizeof buf, 0);
  show_bytes("old fd after recreate", buf, n > 0 ? (size_t)n : 0);
  show_file("new name content", P("uo/f"));
  close(r);
  close(w);
  show_file("new file after closing old fds", P("uo/f"));

  /* Unlink with a large file open, write far, read back. */
  int big = open(P("uo/big"), O_RDWR | O_CREAT | O_TRUNC, 0644);
  static char block[100000];
  memset(block, 'q', sizeof block);
  write(big, block, sizeof block);
  unlink(P("uo/big"));
  pwrite(big, "END", 3, sizeof block);
  n = pread(big, buf, 5, sizeof block - 2);
  show_bytes("unlinked big tail", buf, n > 0 ? (size_t)n : 0);
  close(big);

  /* Unlinking the last name while an fd is open, then renaming another file
   * onto that name: the fd still sees the old data. */
  put(P("uo/g"), "gee");
  put(P("uo/h"), "aitch");
  int g = open(P("uo/g"), O_RDONLY);
  want("rename over open", rename(P("uo/h"), P("uo/g")), 0);
  n = read(g, buf, sizeof buf);
  show_bytes("fd of replaced file", buf, n > 0 ? (size_t)n : 0);
  close(g);

  /* A removed directory: the fd stays valid but nothing can be created in it. */
  mkdir(P("uo/dir"), 0755);
  int d = open(P("uo/dir"), O_RDONLY | O_DIRECTORY);
  want("rmdir open dir", rmdir(P("uo/dir")), 0);
  want("fstat removed dir", fstat(d, &st), 0);
  say("removed dir type: %s", type_name(st.st_mode));
  want("create in removed dir", openat(d, "x", O_WRONLY | O_CREAT, 0644), ENOENT);
  want("mkdir in removed dir", mkdirat(d, "x", 0755), ENOENT);
  want("lookup dot in removed dir", fstatat(d, ".", &st, 0), 0);
  close(d);
  want("recreate removed dir", mkdir(P("uo/dir"), 0755), 0);
  show_dir("recreated dir", P("uo/dir"));

  /* The fixture: unlink a lower file while open, read through the fd. */
  int lf = open(P("docs/a.txt"), O_RDONLY);
  want("unlink open fixture file", unlink(P("docs/a.txt")), 0);
  n = read(lf, buf, sizeof buf);
  show_bytes("fixture fd after unlink", buf, n > 0 ? (size_t)n : 0);
  close(lf);
  show_dir("fixture docs after unlink", P("docs"));
  return 0;
}

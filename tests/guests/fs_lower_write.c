/* fs_lower_write: modifies the standard fixture tree.  Under Strata these
 * are the overlay's hard cases: copy-up of a file opened write-only without
 * O_TRUNC (the untouched bytes must survive), whiteouts for deleted files
 * and directories, renaming a lower directory with its subtree, and a
 * deleted-then-recreated directory whose old children must not return. */
#include "common.h"

static unsigned char big_byte(uint32_t i) { return (unsigned char)((i % 251) + (i / 4096)); }

int main(int argc, char **argv) {
  setup(argc, argv);

  /* Write-only open of a lower file, no O_TRUNC: a 4-byte write in the
   * middle of the 1 MiB file keeps every other byte. */
  int fd = open(P("data/big.bin"), O_WRONLY);
  want("open big.bin wronly", fd, 0);
  want("pwrite 4 at 500000", pwrite(fd, "MARK", 4, 500000) == 4 ? 0 : -1, 0);
  close(fd);
  fd = open(P("data/big.bin"), O_RDONLY);
  static unsigned char buf[65536];
  uint32_t off = 0, bad = 0, marks = 0;
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < n; i++) {
      uint32_t at = off + (uint32_t)i;
      if (at >= 500000 && at < 500004)
        marks += buf[i] == (unsigned char)"MARK"[at - 500000];
      else if (buf[i] != big_byte(at))
        bad++;
    }
    off += (uint32_t)n;
  }
  close(fd);
  say("big.bin after write: size %u, mark bytes %u/4, other bytes wrong %u", off, marks, bad);

  /* Same for a small file through write(): the tail survives. */
  fd = open(P("data/small.txt"), O_WRONLY);
  write(fd, "AB", 2);
  close(fd);
  show_file("small.txt after wronly write", P("data/small.txt"));
  /* Appending to a lower file. */
  fd = open(P("README.txt"), O_WRONLY | O_APPEND);
  write(fd, "appended\n", 9);
  close(fd);
  show_file("README.txt after append", P("README.txt"));
  /* Truncating a lower file. */
  want("truncate lower file", truncate(P("docs/b.txt"), 2), 0);
  show_file("docs/b.txt after truncate", P("docs/b.txt"));

  /* Delete lower files and a lower directory tree. */
  want("unlink lower file", unlink(P("docs/a.txt")), 0);
  show_stat("deleted lower file", P("docs/a.txt"), 0);
  want("rmdir non-empty lower dir", rmdir(P("data/nested")), ENOTEMPTY);
  want("unlink lower leaf", unlink(P("data/nested/deep/leaf.txt")), 0);
  want("rmdir lower deep", rmdir(P("data/nested/deep")), 0);
  show_dir("nested after deletes", P("data/nested"));
  want("rmdir lower empty", rmdir(P("empty")), 0);
  want("unlink .wh.fake", unlink(P(".wh.fake")), 0);
  show_stat(".wh.fake gone", P(".wh.fake"), 0);
  /* Creating a file named like a whiteout is ordinary. */
  want("create .wh.README.txt", put(P(".wh.README.txt"), "ordinary\n"), 0);
  show_file("README.txt still there", P("README.txt"));

  /* Recreate a deleted lower directory: it starts empty (opaque). */
  want("recreate deep", mkdir(P("data/nested/deep"), 0755), 0);
  show_dir("recreated deep", P("data/nested/deep"));
  show_stat("old leaf stays gone", P("data/nested/deep/leaf.txt"), 0);
  put(P("data/nested/deep/new.txt"), "new\n");
  show_dir("recreated deep with new file", P("data/nested/deep"));

  /* Delete a whole lower tree with several levels, then recreate the top. */
  want("unlink docs/b.txt", unlink(P("docs/b.txt")), 0);
  want("unlink docs/sub/c.txt", unlink(P("docs/sub/c.txt")), 0);
  want("rmdir docs/sub", rmdir(P("docs/sub")), 0);
  want("rmdir docs", rmdir(P("docs")), 0);
  show_file("dir symlink to deleted docs", P("links/to_docs/a.txt"));
  want("recreate docs", mkdir(P("docs"), 0755), 0);
  show_dir("recreated docs", P("docs"));
  want("recreate docs/sub", mkdir(P("docs/sub"), 0755), 0);
  show_dir("recreated docs/sub", P("docs/sub"));

  /* Rename a lower directory with its subtree. */
  want("rename lower dir", rename(P("data"), P("moved_data")), 0);
  show_stat("old data", P("data"), 0);
  show_file("moved small.txt", P("moved_data/small.txt"));
  show_file("moved mid.txt", P("moved_data/nested/mid.txt"));
  show_file("moved new.txt", P("moved_data/nested/deep/new.txt"));
  show_stat("moved big.bin", P("moved_data/big.bin"), 1);
  show_file("moved relative symlink", P("moved_data/link_to_leaf"));
  show_stat("moved hard_a", P("moved_data/hard_a.txt"), 1);
  show_dir("moved_data", P("moved_data"));
  /* A new directory at the old name is empty. */
  want("mkdir at old name", mkdir(P("data"), 0755), 0);
  show_dir("new data", P("data"));
  /* Rename it back over the new empty directory. */
  want("rename back over empty", rename(P("moved_data"), P("data")), 0);
  show_dir("data after rename back", P("data"));
  fd = open(P("data/big.bin"), O_RDONLY);
  n = pread(fd, buf, 6, 499999);
  show_bytes("big.bin mark after moves", (const char *)buf, n > 0 ? (size_t)n : 0);
  close(fd);

  /* Rename a lower file over another lower file, and a lower dir into an upper one. */
  want("rename lower over lower", rename(P("data/hard_b.txt"), P("README.txt")), 0);
  show_file("README.txt now", P("README.txt"));
  show_stat("hard_a nlink after rename", P("data/hard_a.txt"), 1);
  mkdir(P("upper"), 0755);
  want("rename lower dir into upper dir", rename(P("data/nested"), P("upper/nested")), 0);
  show_dir("upper/nested", P("upper/nested"));

  /* Replace a lower symlink and a lower file with a directory. */
  want("unlink lower symlink", unlink(P("links/to_docs")), 0);
  want("mkdir where symlink was", mkdir(P("links/to_docs"), 0755), 0);
  want("unlink lower file for dir", unlink(P("data/small.txt")), 0);
  want("mkdir where file was", mkdir(P("data/small.txt"), 0755), 0);
  show_stat("file became dir", P("data/small.txt"), 0);
  show_dir("root at end", ROOT);
  return 0;
}

/* hostile_paths: symlink chains at and past the 40-expansion limit (POSIX
 * SYMLOOP_MAX, Linux MAXSYMLINKS), symlink loops direct and through
 * directories, 255- and 256-byte names in every naming call, and renames of a
 * directory into its own subtree (EINVAL, POSIX rename). */
#include "common.h"

static char name255[256], name256[257];

int main(int argc, char **argv) {
  setup(argc, argv);
  if (mkdir(P("hp"), 0755) < 0 || put(P("hp/target"), "T") < 0)
    fatal("setup hp");

  /* l0 -> target, l(i) -> l(i-1): opening l(i) takes i + 1 expansions. */
  char lname[32], to[32];
  symlink("target", P("hp/l0"));
  for (int i = 1; i <= 45; i++) {
    snprintf(lname, sizeof lname, "hp/l%d", i);
    snprintf(to, sizeof to, "l%d", i - 1);
    if (symlink(to, P(lname)) < 0)
      fatal("symlink chain");
  }
  show_file("open through 39 links", P("hp/l38"));
  show_file("open through 40 links", P("hp/l39"));
  want("open through 41 links", open(P("hp/l40"), O_RDONLY), ELOOP);
  want("stat through 41 links", stat(P("hp/l40"), &(struct stat){0}), ELOOP);
  show_stat("lstat the 41st link", P("hp/l40"), 0);
  want("open through 46 links", open(P("hp/l45"), O_RDONLY), ELOOP);
  want("create through 41 links", open(P("hp/l40"), O_WRONLY | O_CREAT, 0644), ELOOP);

  /* Loops. */
  symlink("self", P("hp/self"));
  symlink("b", P("hp/a"));
  symlink("a", P("hp/b"));
  want("open a self loop", open(P("hp/self"), O_RDONLY), ELOOP);
  want("open a two-link loop", open(P("hp/a"), O_RDONLY), ELOOP);
  want("mkdir through a loop", mkdir(P("hp/a/x"), 0755), ELOOP);
  want("create through a loop", open(P("hp/b"), O_WRONLY | O_CREAT, 0644), ELOOP);
  show_stat("lstat a loop", P("hp/a"), 0);
  res("unlink a loop", unlink(P("hp/a")));

  /* A directory symlink to its parent: every hop is an expansion, and the
   * count is per path, not per link. */
  mkdir(P("hp/dir"), 0755);
  symlink("..", P("hp/dir/up"));
  static char path[2048];
  for (int hops = 39; hops <= 41; hops++) {
    strcpy(path, "hp");
    for (int i = 0; i < hops; i++)
      strcat(path, "/dir/up");
    strcat(path, "/target");
    char what[64];
    snprintf(what, sizeof what, "%d hops through dir/up", hops);
    if (hops <= 40)
      show_file(what, P(path));
    else
      want(what, open(P(path), O_RDONLY), ELOOP);
  }

  /* Names: 255 bytes is NAME_MAX, 256 is one too many. */
  memset(name255, 'n', 255);
  memset(name256, 'n', 256);
  char p255[300], p256[300];
  snprintf(p255, sizeof p255, "hp/%s", name255);
  snprintf(p256, sizeof p256, "hp/%s", name256);
  res("create a 255-byte name", put(P(p255), "long"));
  show_file("read it back", P(p255));
  want("create a 256-byte name", open(P(p256), O_WRONLY | O_CREAT, 0644), ENAMETOOLONG);
  want("rename to a 256-byte name", rename(P(p255), P(p256)), ENAMETOOLONG);
  want("link to a 256-byte name", link(P(p255), P(p256)), ENAMETOOLONG);
  want("symlink at a 256-byte name", symlink("target", P(p256)), ENAMETOOLONG);
  want("mkdir a 256-byte name", mkdir(P(p256), 0755), ENAMETOOLONG);
  want("unlink a 256-byte name", unlink(P(p256)), ENAMETOOLONG);
  res("symlink with a 255-byte target name", symlink(name255, P("hp/tolong")));
  show_file("open through it", P("hp/tolong"));
  res("symlink with a 256-byte target name", symlink(name256, P("hp/toolong")));
  want("open through it", open(P("hp/toolong"), O_RDONLY), ENAMETOOLONG);
  res("rename the 255-byte name", rename(P(p255), P("hp/short")));

  /* Renaming a directory into its own subtree. */
  if (mkdir(P("hp/a1"), 0755) < 0 || mkdir(P("hp/a1/b"), 0755) < 0 ||
      mkdir(P("hp/a1/b/c"), 0755) < 0 || mkdir(P("hp/a1/b/c/d"), 0755) < 0)
    fatal("mkdir a1/b/c/d");
  want("rename a1 into a1/b/c/d/e", rename(P("hp/a1"), P("hp/a1/b/c/d/e")), EINVAL);
  want("rename a1 into a1/new", rename(P("hp/a1"), P("hp/a1/new")), EINVAL);
  want("rename a1 over its child a1/b", rename(P("hp/a1"), P("hp/a1/b")), EINVAL);
  want2("rename a1/b/c over its ancestor a1", rename(P("hp/a1/b/c"), P("hp/a1")), ENOTEMPTY,
        EEXIST);
  symlink("a1/b", P("hp/into"));
  want("rename a1 into itself through a symlink", rename(P("hp/a1"), P("hp/into/x")), EINVAL);
  res("rename a1 onto itself", rename(P("hp/a1"), P("hp/a1")));
  res("rename a1/b/c/d up to a1/d", rename(P("hp/a1/b/c/d"), P("hp/a1/d")));
  show_dir("a1 after", P("hp/a1"));
  show_dir("a1/b/c after", P("hp/a1/b/c"));
  return 0;
}

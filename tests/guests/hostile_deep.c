/* hostile_deep: a chain of argv[2] nested directories (default 100), made
 * one level at a time with mkdirat/openat relative to the level above, then
 * paths through the chain: a path just under the 4096-byte limit resolves, one
 * over it is ENAMETOOLONG.  The host must resolve without recursion: a guest
 * controls the depth. */
#include "common.h"

/* "deep/d/d/.../d" with as many levels as fit in `len` bytes (at most
 * `levels`), padded with "./" components to exactly `len` bytes when the chain
 * is shallower.  Returns the number of levels the path goes down. */
static int chain_path(char *out, size_t len, int levels) {
  strcpy(out, "deep");
  size_t at = 4;
  int down = 0;
  while (down < levels && at + 2 <= len) {
    memcpy(out + at, "/d", 2);
    at += 2;
    down++;
  }
  while (at + 2 <= len) {
    memcpy(out + at, "/.", 2);
    at += 2;
  }
  if (at < len)
    out[at++] = '/';
  out[at] = 0;
  return down;
}

int main(int argc, char **argv) {
  setup(argc, argv);
  int depth = argc > 2 ? atoi(argv[2]) : 100;
  if (depth < 1)
    fatal("arguments");
  if (mkdir(P("deep"), 0755) < 0)
    fatal("mkdir deep");
  int top = open(P("deep"), O_RDONLY | O_DIRECTORY);
  if (top < 0)
    fatal("open deep");

  int d = open(P("deep"), O_RDONLY | O_DIRECTORY), made = 0, err = 0;
  while (made < depth) {
    if (mkdirat(d, "d", 0755) < 0) {
      err = errno;
      break;
    }
    int next = openat(d, "d", O_RDONLY | O_DIRECTORY);
    if (next < 0) {
      err = errno;
      break;
    }
    close(d);
    d = next;
    made++;
  }
  say("levels made: %d of %d", made, depth);
  say("stopped by: %s", err ? errname(err) : "nothing");
  int leaf = openat(d, "leaf", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  res("create a file at the bottom", leaf);
  if (leaf >= 0) {
    ssize_t n = write(leaf, "bottom", 6);
    if (n < 0)
      say("write at the bottom: %s", errname(errno));
    else
      say("write at the bottom: %zd", n);
    close(leaf);
  }
  struct stat st;
  res("fstat the bottom directory", fstat(d, &st));
  close(d);

  /* Paths through the chain, relative to the preopen (wasi-libc strips ROOT). */
  static char rel[8192], full[8192 + 64];
  size_t lens[] = {100, 1000, 4000, 4095, 4096, 4097, 5000};
  for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
    int down = chain_path(rel, lens[i], made);
    snprintf(full, sizeof full, "%s/%s", ROOT, rel);
    char what[96];
    snprintf(what, sizeof what, "stat a %zu-byte path (%d levels down)", strlen(rel), down);
    int rc = stat(full, &st);
    if (rc == 0)
      say("%s: %s", what, S_ISDIR(st.st_mode) ? "dir" : "not a dir");
    else
      say("%s: %s", what, errname(errno));
  }
  /* The same through openat on the top directory, and creating there. */
  chain_path(rel, 4095, made);
  int fd = openat(top, rel + 5, O_RDONLY | O_DIRECTORY);
  res("openat a 4090-byte path", fd);
  close(fd);
  chain_path(rel, 4200, made);
  want("mkdir at the end of a 4200-byte path", mkdirat(top, rel + 5, 0755), ENAMETOOLONG);
  close(top);
  return 0;
}

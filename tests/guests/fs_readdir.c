/* fs_readdir: directory listing.
 * Covers fd_readdir through opendir/fdopendir/readdir/rewinddir/seekdir/
 * telldir: entry types, cookies, large directories (paged by libc's buffer),
 * and listing while entries are added and removed.
 *
 * POSIX readdir: an entry added or removed after opendir/rewinddir may or may
 * not be returned, but every entry that exists for the whole listing must be
 * returned exactly once.  Listings are sorted before printing because the
 * host's order is not deterministic. */
#include "common.h"

#define BIG 3000

static const char *dtype(unsigned char t) {
  switch (t) {
  case DT_REG: return "file";
  case DT_DIR: return "dir";
  case DT_LNK: return "symlink";
  case DT_UNKNOWN: return "unknown";
  default: return "other";
  }
}

/* Index of "f0123" / "n0123" style names, or -1. */
static int idx(const char *name, char prefix) {
  if (name[0] != prefix || strlen(name) != 5) return -1;
  return atoi(name + 1);
}

int main(int argc, char **argv) {
  setup(argc, argv);
  if (mkdir(P("rd"), 0755) < 0)
    fatal("mkdir rd");
  put(P("rd/a"), "a");
  put(P("rd/b"), "bb");
  mkdir(P("rd/sub"), 0755);
  symlink("a", P("rd/ln"));

  /* Types as reported in d_type, sorted by name. */
  DIR *d = opendir(P("rd"));
  if (!d)
    fatal("opendir rd");
  char *lines[16];
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL && n < 16) {
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s %s", de->d_name, dtype(de->d_type));
    lines[n++] = strdup(tmp);
  }
  qsort(lines, n, sizeof lines[0], cmp_str);
  for (int i = 0; i < n; i++) {
    say("entry: %s", lines[i]);
    free(lines[i]);
  }

  /* telldir/seekdir: going back to a remembered position yields the same entry. */
  rewinddir(d);
  long pos[16];
  char names[16][64];
  int m = 0;
  for (;;) {
    long p = telldir(d);
    de = readdir(d);
    if (!de || m >= 16) break;
    pos[m] = p;
    snprintf(names[m], sizeof names[m], "%s", de->d_name);
    m++;
  }
  say("entries after rewind: %d", m);
  int same = 1;
  for (int i = m - 1; i >= 0; i--) {
    seekdir(d, pos[i]);
    de = readdir(d);
    if (!de || strcmp(de->d_name, names[i]) != 0) same = 0;
  }
  check("seekdir revisits the same entries", same);
  seekdir(d, pos[0]);
  int count = 0;
  while (readdir(d)) count++;
  say("entries after seekdir to start: %d", count);
  say("readdir at end: %s", readdir(d) == NULL ? "null" : "entry");
  closedir(d);

  /* Empty directory: only . and .. */
  mkdir(P("rd/empty"), 0755);
  show_dir("empty dir", P("rd/empty"));

  /* fdopendir on an openat'd descriptor. */
  int fd = open(P("rd/sub"), O_RDONLY | O_DIRECTORY);
  put(P("rd/sub/x"), "x");
  d = fdopendir(fd);
  res("fdopendir", d ? 0 : -1);
  count = 0;
  while ((de = readdir(d)) != NULL) count++;
  say("fdopendir entries: %d", count);
  closedir(d);
  d = opendir(P("rd/a"));
  want("opendir on file", d ? 0 : -1, ENOTDIR);
  d = opendir(P("rd/missing"));
  want("opendir missing", d ? 0 : -1, ENOENT);

  /* A listing of a directory removed while open. */
  mkdir(P("rd/doomed"), 0755);
  d = opendir(P("rd/doomed"));
  want("rmdir open dir", rmdir(P("rd/doomed")), 0);
  count = 0;
  while ((de = readdir(d)) != NULL) count++;
  say("entries of removed dir: %d", count);
  closedir(d);

  /* A large directory, read through many fd_readdir calls. */
  mkdir(P("rd/big"), 0755);
  char path[64];
  int made = 0;
  for (int i = 0; i < BIG; i++) {
    snprintf(path, sizeof path, "rd/big/f%04d", i);
    int f = open(P(path), O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (f >= 0) {
      made++;
      close(f);
    }
  }
  say("created: %d", made);
  static int seen[BIG], seen_new[BIG];
  int dots = 0, other = 0, dup = 0;
  d = opendir(P("rd/big"));
  while ((de = readdir(d)) != NULL) {
    int i = idx(de->d_name, 'f');
    if (i >= 0 && i < BIG) {
      if (seen[i]++) dup++;
    } else if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) {
      dots++;
    } else {
      other++;
    }
  }
  int missing = 0;
  for (int i = 0; i < BIG; i++) missing += seen[i] == 0;
  say("big listing: dots=%d missing=%d duplicates=%d others=%d", dots, missing, dup, other);

  /* Telldir in the middle of a big listing and seek back there. */
  rewinddir(d);
  for (int i = 0; i < 1234; i++) readdir(d);
  long mid = telldir(d);
  de = readdir(d);
  char want_name[64];
  snprintf(want_name, sizeof want_name, "%s", de ? de->d_name : "");
  for (int i = 0; i < 500; i++) readdir(d);
  seekdir(d, mid);
  de = readdir(d);
  check("seekdir in big dir", de && !strcmp(de->d_name, want_name));
  closedir(d);

  /* Mutate the directory in the middle of a listing, in two phases: first
   * remove every third original file, then add as many new ones.  Entries
   * that exist for the whole listing must each be returned exactly once.
   * wasmtime-wasi's cookies are positions in a fresh host listing, so a
   * removal before the cursor skips survivors and an addition before it
   * repeats them: it prints NO here (see README.md, known divergences). */
  for (int phase = 0; phase < 2; phase++) {
    memset(seen, 0, sizeof seen);
    d = opendir(P("rd/big"));
    int read_first = 0;
    while (read_first < 1000 && (de = readdir(d)) != NULL) {
      int i = idx(de->d_name, 'f');
      if (i >= 0) seen[i]++;
      read_first++;
    }
    int changed = 0;
    for (int i = 0; i < BIG; i += 3) {
      if (phase == 0) {
        snprintf(path, sizeof path, "rd/big/f%04d", i);
        changed += unlink(P(path)) == 0;
      } else {
        snprintf(path, sizeof path, "rd/big/n%04d", i);
        changed += put(P(path), "") == 0;
      }
    }
    while ((de = readdir(d)) != NULL) {
      int i = idx(de->d_name, 'f');
      if (i >= 0) seen[i]++;
    }
    closedir(d);
    int once = 1;
    for (int i = 0; i < BIG; i++)
      if (i % 3 != 0 && seen[i] != 1) once = 0;
    say("%s %d during a listing: survivors each seen once: %s", phase ? "added" : "removed",
        changed, once ? "yes" : "NO");
  }

  /* A fresh listing after the mutation is exact. */
  memset(seen, 0, sizeof seen);
  memset(seen_new, 0, sizeof seen_new);
  int total = 0;
  d = opendir(P("rd/big"));
  while ((de = readdir(d)) != NULL) {
    total++;
    int i = idx(de->d_name, 'f');
    if (i >= 0) seen[i]++;
    i = idx(de->d_name, 'n');
    if (i >= 0) seen_new[i]++;
  }
  closedir(d);
  int exact = 1;
  for (int i = 0; i < BIG; i++) {
    if (seen[i] != (i % 3 != 0)) exact = 0;
    if (seen_new[i] != (i % 3 == 0)) exact = 0;
  }
  say("listing after mutation: total=%d exact=%s", total, exact ? "yes" : "NO");

  /* Clean up so the final tree stays small. */
  int cleaned = 1;
  for (int i = 0; i < BIG; i++) {
    snprintf(path, sizeof path, i % 3 ? "rd/big/f%04d" : "rd/big/n%04d", i);
    cleaned &= unlink(P(path)) == 0;
  }
  cleaned &= rmdir(P("rd/big")) == 0;
  check("cleaned big dir", cleaned);
  return 0;
}

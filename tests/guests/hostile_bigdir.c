/* hostile_bigdir: a directory of argv[2] files (default 1000), listed with raw
 * fd_readdir into an argv[3]-byte buffer (default 128: a few entries per call),
 * resuming from the last complete entry's cookie as preview1 prescribes;
 * every name must come back exactly once.  Then every file is unlinked and
 * the directory lists empty.  Listing cost must grow linearly with the count. */
#include "common.h"
#include <wasi/api.h>

#define PREFIX "f"

static void name_of(char *out, int i) { snprintf(out, 16, PREFIX "%07d", i); }

/* Lists `fd` fully; counts entries, marks `seen`, returns the number of
 * listed names that are not files of ours or are seen twice. */
static long list(int fd, size_t bufsize, int count, unsigned char *seen, long *entries,
                 long *dots) {
  static uint8_t buf[1 << 16];
  __wasi_dircookie_t cookie = 0;
  long bad = 0;
  *entries = 0;
  *dots = 0;
  for (;;) {
    __wasi_size_t used = 0;
    __wasi_errno_t e = __wasi_fd_readdir(fd, buf, bufsize, cookie, &used);
    if (e) {
      say("readdir: %s", errname(e));
      return -1;
    }
    size_t off = 0;
    int complete = 0;
    while (off + sizeof(__wasi_dirent_t) <= used) {
      __wasi_dirent_t de;
      memcpy(&de, buf + off, sizeof de);
      if (off + sizeof de + de.d_namlen > used)
        break; /* cut short: resume from the previous cookie */
      const char *nm = (const char *)buf + off + sizeof de;
      off += sizeof de + de.d_namlen;
      cookie = de.d_next;
      complete++;
      (*entries)++;
      if ((de.d_namlen == 1 && nm[0] == '.') || (de.d_namlen == 2 && nm[0] == '.' && nm[1] == '.')) {
        (*dots)++;
        continue;
      }
      int idx = -1;
      if (de.d_namlen == 8 && nm[0] == PREFIX[0]) {
        idx = 0;
        for (int k = 1; k < 8; k++)
          idx = nm[k] >= '0' && nm[k] <= '9' && idx >= 0 ? idx * 10 + (nm[k] - '0') : -1;
      }
      if (idx < 0 || idx >= count || seen[idx])
        bad++;
      else
        seen[idx] = 1;
    }
    if (used < bufsize)
      return bad; /* the end of the directory */
    if (complete == 0) {
      say("readdir: buffer too small for one entry");
      return -1;
    }
  }
}

int main(int argc, char **argv) {
  setup(argc, argv);
  int count = argc > 2 ? atoi(argv[2]) : 1000;
  size_t bufsize = argc > 3 ? (size_t)atoi(argv[3]) : 128;
  if (count < 0 || count > 9999999 || bufsize < 64 || bufsize > (1 << 16))
    fatal("arguments");
  unsigned char *seen = calloc((size_t)count + 1, 1);
  if (!seen || mkdir(P("big"), 0755) < 0)
    fatal("setup");
  int dir = open(P("big"), O_RDONLY | O_DIRECTORY);
  if (dir < 0)
    fatal("open big");

  char nm[16];
  int made = 0, err = 0;
  while (made < count) {
    name_of(nm, made);
    int fd = openat(dir, nm, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
      err = errno;
      break;
    }
    close(fd);
    made++;
  }
  say("created: %d", made);
  say("stopped by: %s", err ? errname(err) : "nothing");

  long entries, dots;
  long bad = list(dir, bufsize, count, seen, &entries, &dots);
  long missing = 0;
  for (int i = 0; i < made; i++)
    missing += !seen[i];
  say("listed: %ld entries (%ld dots), %ld duplicate or unknown, %ld missing", entries, dots, bad,
      missing);

  int removed = 0;
  for (int i = 0; i < made; i++) {
    name_of(nm, i);
    if (unlinkat(dir, nm, 0) == 0)
      removed++;
  }
  say("unlinked: %d", removed);
  memset(seen, 0, (size_t)count + 1);
  bad = list(dir, bufsize, count, seen, &entries, &dots);
  say("listed after unlinking: %ld entries (%ld dots), %ld others", entries, dots, bad);
  close(dir);
  res("rmdir big", rmdir(P("big")));
  free(seen);
  return 0;
}

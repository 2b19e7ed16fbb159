/* hostile_fds: opens one file again and again until it cannot (at most
 * argv[2] times, default 200).  Under an fd limit the open past it fails with
 * EMFILE; closing one fd makes room for exactly one more open. */
#include "common.h"

int main(int argc, char **argv) {
  setup(argc, argv);
  int max = argc > 2 ? atoi(argv[2]) : 200;
  if (max < 1 || max > 1000000)
    fatal("arguments");
  int *fds = malloc(sizeof(int) * (size_t)max);
  if (!fds)
    fatal("malloc");
  if (mkdir(P("hf"), 0755) < 0 || put(P("hf/f"), "content") < 0)
    fatal("setup hf");

  int n = 0, err = 0;
  while (n < max) {
    int fd = open(P("hf/f"), O_RDONLY);
    if (fd < 0) {
      err = errno;
      break;
    }
    fds[n++] = fd;
  }
  say("opened: %d", n);
  say("stopped by: %s", err ? errname(err) : "nothing");
  /* Every one of them works. */
  int all_read = 1;
  for (int i = 0; i < n; i++) {
    char c;
    if (pread(fds[i], &c, 1, 0) != 1 || c != 'c')
      all_read = 0;
  }
  check("every fd reads", all_read);

  if (err) {
    /* A failed open leaves nothing behind: creating a file fails too. */
    want("create while full", open(P("hf/new"), O_WRONLY | O_CREAT, 0644), err);
    show_stat("the refused create made nothing", P("hf/new"), 0);
    res("opendir while full", opendir(P("hf")) ? 0 : -1);
  }
  close(fds[--n]);
  int fd = open(P("hf/f"), O_RDONLY);
  res("open after closing one", fd);
  if (fd >= 0)
    fds[n++] = fd;
  if (err)
    want("open again when full", open(P("hf/f"), O_RDONLY), err);

  for (int i = 0; i < n; i++)
    close(fds[i]);
  res("open after closing all", fd = open(P("hf/f"), O_RDONLY));
  close(fd);
  res("unlink hf/f", unlink(P("hf/f")));
  res("rmdir hf", rmdir(P("hf")));
  free(fds);
  return 0;
}

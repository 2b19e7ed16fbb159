// fs_script: runs file operations given as arguments, in order, and exits 0
// (or 1 at the first that fails, naming it). Used by the cli tests of
// `snapshot apply` and `run --apply` to change a --dir mount as a real tool
// would. Operations (paths as the guest sees them):
//   write P TEXT    create or truncate P and write TEXT
//   append P TEXT   append TEXT to P
//   rm P            unlink P
//   mv A B          rename A to B
//   mkdir P         create directory P
//   rmdir P         remove empty directory P
//   symlink T P     create symlink P pointing to T
//   link A B        hard link B to A
//   exit N          stop here with status N
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int put(const char *p, const char *text, int flags) {
  int fd = open(p, O_WRONLY | O_CREAT | flags, 0644);
  if (fd < 0) return -1;
  size_t n = strlen(text);
  if (write(fd, text, n) != (ssize_t)n) return -1;
  return close(fd);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *op = argv[i];
    int need = 1, r;
    if (!strcmp(op, "write") || !strcmp(op, "append") || !strcmp(op, "mv") ||
        !strcmp(op, "symlink") || !strcmp(op, "link"))
      need = 2;
    if (i + need >= argc) {
      fprintf(stderr, "fs_script: %s needs %d arguments\n", op, need);
      return 2;
    }
    const char *a = argv[i + 1], *b = need == 2 ? argv[i + 2] : 0;
    if (!strcmp(op, "write")) r = put(a, b, O_TRUNC);
    else if (!strcmp(op, "append")) r = put(a, b, O_APPEND);
    else if (!strcmp(op, "rm")) r = unlink(a);
    else if (!strcmp(op, "mv")) r = rename(a, b);
    else if (!strcmp(op, "mkdir")) r = mkdir(a, 0755);
    else if (!strcmp(op, "rmdir")) r = rmdir(a);
    else if (!strcmp(op, "symlink")) r = symlink(a, b);
    else if (!strcmp(op, "link")) r = link(a, b);
    else if (!strcmp(op, "exit")) return atoi(a);
    else {
      fprintf(stderr, "fs_script: unknown operation %s\n", op);
      return 2;
    }
    if (r != 0) {
      perror(op);
      return 1;
    }
    i += need;
  }
  return 0;
}

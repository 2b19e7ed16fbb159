/* The three POSIX functions that SQLite's shell calls and Debian's wasi-libc
 * (2022) does not define.  None of them can be done under WASI preview 1: it
 * has no processes to run a command in, no permission bits to change, and no
 * current directory from which to make a path absolute.  Each fails the way
 * POSIX lets it fail when the system cannot do it, and the shell reports that
 * as it would on any other system (".system: command failed", an ".archive"
 * extraction without modes, realpath() returning NULL). */
#include <errno.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

int system(const char *command) {
  /* POSIX: system(NULL) asks whether a command processor exists. */
  if (command == NULL)
    return 0;
  errno = ENOSYS;
  return -1;
}

int chmod(const char *path, mode_t mode) {
  (void)path;
  (void)mode;
  errno = ENOTSUP;
  return -1;
}

char *realpath(const char *restrict path, char *restrict resolved) {
  (void)path;
  (void)resolved;
  errno = ENOSYS;
  return NULL;
}

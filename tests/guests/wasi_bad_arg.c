/* wasi_bad_arg: one out-of-range argument, chosen by argv[2].
 *
 * wasmtime-wasi 48 traps when wiggle cannot convert an argument: an enum out
 * of range (whence, advice), unknown flag bits (oflags, fdflags,
 * lookupflags, fstflags) or unknown rights bits.  POSIX would return EINVAL
 * for lseek's whence and posix_fadvise's advice.  Strata follows the
 * reference.  Expected: the "before" line, then a trap.  The GUESTS table
 * runs "whence"; a host test runs every other case, under Strata too (where
 * each is EINVAL). */
#include "common.h"
#include <wasi/api.h>

#define IMPORT(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(name)))
IMPORT("fd_advise") int32_t raw_fd_advise(int32_t fd, int64_t offset, int64_t len, int32_t advice);
IMPORT("path_open")
int32_t raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t path_len, int32_t oflags,
                      int64_t base, int64_t inheriting, int32_t fdflags, int32_t out);
IMPORT("path_filestat_get")
int32_t raw_path_filestat_get(int32_t fd, int32_t flags, int32_t path, int32_t path_len, int32_t out);
IMPORT("fd_filestat_set_times")
int32_t raw_set_times(int32_t fd, int64_t atim, int64_t mtim, int32_t flags);
IMPORT("fd_fdstat_set_flags") int32_t raw_set_flags(int32_t fd, int32_t flags);
IMPORT("fd_fdstat_set_rights")
int32_t raw_set_rights(int32_t fd, int64_t base, int64_t inheriting);

/* All rights defined by preview 1. */
#define ALL_RIGHTS ((int64_t)((1u << 29) - 1))

int main(int argc, char **argv) {
  setup(argc, argv);
  const char *which = argc > 2 ? argv[2] : "whence";
  put(P("badarg"), "data");
  int fd = open(P("badarg"), O_RDWR);
  int dir = open(ROOT, O_RDONLY | O_DIRECTORY);
  if (fd < 0 || dir < 0)
    fatal("open");
  static const char name[] = "badarg";
  static uint8_t out[128];
  int32_t p = (int32_t)(intptr_t)name, len = sizeof name - 1, o = (int32_t)(intptr_t)out;
  say("before bad %s", which);
  fflush(stdout);
  int32_t e = -1;
  if (!strcmp(which, "whence"))
    e = lseek(fd, 0, 42) < 0 ? errno : 0;
  else if (!strcmp(which, "advice"))
    e = raw_fd_advise(fd, 0, 0, 9);
  else if (!strcmp(which, "oflags"))
    e = raw_path_open(dir, 0, p, len, 0x10, ALL_RIGHTS, ALL_RIGHTS, 0, o);
  else if (!strcmp(which, "fdflags"))
    e = raw_path_open(dir, 0, p, len, 0, ALL_RIGHTS, ALL_RIGHTS, 0x20, o);
  else if (!strcmp(which, "rights"))
    e = raw_path_open(dir, 0, p, len, 0, -1, -1, 0, o);
  else if (!strcmp(which, "lookupflags"))
    e = raw_path_filestat_get(dir, 0x8, p, len, o);
  else if (!strcmp(which, "fstflags"))
    e = raw_set_times(fd, 0, 0, 0x10);
  else if (!strcmp(which, "set_flags"))
    e = raw_set_flags(fd, 0x20);
  /* Decoded before the path is read (Strata: EINVAL, not a trap, for a path
   * outside memory) and before the fd is looked at. */
  else if (!strcmp(which, "rights_path_outside_memory"))
    e = raw_path_open(dir, 0, (int32_t)0xfffffff0u, 64, 0, -1, -1, 0, o);
  else if (!strcmp(which, "oflags_path_outside_memory"))
    e = raw_path_open(dir, 0, (int32_t)0xfffffff0u, 64, 0x10, 0, 0, 0, o);
  else if (!strcmp(which, "set_rights"))
    e = raw_set_rights(77, 0, -1);
  say("no trap: %s", errname(e));
  return 0;
}

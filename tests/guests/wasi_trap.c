/* wasi_trap: an out-of-bounds pointer passed to fd_write must trap, not
 * return an errno (witx-docs "Pointers": "If an out-of-bounds pointer is
 * passed to a function and the function needs to dereference it, the
 * function shall trap").  Expected: the line below, then a trap. */
#include "common.h"
#include <wasi/api.h>

int main(void) {
  say("before trap");
  fflush(stdout);
  /* An iovec array that ends past the end of linear memory. */
  const __wasi_ciovec_t *iovs = (const __wasi_ciovec_t *)(uintptr_t)0xfffffff8u;
  __wasi_size_t written;
  __wasi_errno_t e = __wasi_fd_write(1, iovs, 1, &written);
  say("no trap: %s", errname(e));
  return 0;
}

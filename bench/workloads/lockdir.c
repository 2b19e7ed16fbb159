/* Workload 7, SQLite-style locking: `lockdir ROOT [DIV]` times 30,000
 * (divided by DIV) mkdir/rmdir pairs of a lock directory, each with a
 * failed second mkdir (EEXIST) as a contending locker would see. */
#include "bench.h"

int main(int argc, char **argv) {
  CHECK(argc >= 2);
  long n = 30000 / arg_count(argc, argv, 2, 1);
  char path[4096];
  snprintf(path, sizeof path, "%s/db.lock", argv[1]);
  uint64_t busy = 0;
  uint64_t t0 = now_ns();
  for (long i = 0; i < n; i++) {
    CHECK(mkdir(path, 0755) == 0);
    if (mkdir(path, 0755) != 0 && errno == EEXIST) busy++;
    CHECK(rmdir(path) == 0);
  }
  uint64_t t1 = now_ns();
  report_time("mkdir-rmdir", t1 - t0);
  report_checksum(fnv(FNV_INIT, &busy, sizeof busy));
  return 0;
}

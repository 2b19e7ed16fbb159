/* Workload 4, readdir: `readdir ROOT N` creates a directory of N empty files
 * (setup, not timed), then times listing it with opendir/readdir. Small
 * directories are listed several times and the average is reported. The
 * checksum does not depend on the listing order. */
#include "bench.h"

int main(int argc, char **argv) {
  CHECK(argc >= 2);
  long n = arg_count(argc, argv, 2, 1000);
  char path[4096];
  snprintf(path, sizeof path, "%s/dir", argv[1]);
  CHECK(mkdir(path, 0755) == 0);
  for (long i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/dir/entry-%07ld", argv[1], i);
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
    CHECK(fd >= 0);
    CHECK(close(fd) == 0);
  }
  snprintf(path, sizeof path, "%s/dir", argv[1]);

  long reps = n >= 10000 ? 1 : 10000 / n;
  uint64_t sum = 0, count = 0;
  uint64_t t0 = now_ns();
  for (long r = 0; r < reps; r++) {
    DIR *d = opendir(path);
    CHECK(d != NULL);
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      sum += fnv(FNV_INIT, e->d_name, strlen(e->d_name));
      count++;
    }
    CHECK(errno == 0);
    CHECK(closedir(d) == 0);
  }
  uint64_t t1 = now_ns();
  CHECK(count == (uint64_t)(n * reps));
  char phase[32];
  snprintf(phase, sizeof phase, "list-%ld", n);
  report_time(phase, (t1 - t0) / (uint64_t)reps);
  report_checksum(fnv(sum, &count, sizeof count));
  return 0;
}

/* Workload 6, append log: `append ROOT [DIV]` times 100,000 small writes
 * (divided by DIV) alternating between two O_APPEND fds of one file, then
 * checks the file's contents (not timed). */
#include "bench.h"

int main(int argc, char **argv) {
  CHECK(argc >= 2);
  long n = 100000 / arg_count(argc, argv, 2, 1);
  char path[4096], line[64];
  snprintf(path, sizeof path, "%s/log", argv[1]);
  int a = open(path, O_CREAT | O_WRONLY | O_APPEND, 0644);
  CHECK(a >= 0);
  int b = open(path, O_WRONLY | O_APPEND);
  CHECK(b >= 0);
  uint64_t expect = 0;
  uint64_t t0 = now_ns();
  for (long i = 0; i < n; i++) {
    int len = snprintf(line, sizeof line, "%c %ld\n", i % 2 ? 'b' : 'a', i);
    CHECK(write(i % 2 ? b : a, line, (size_t)len) == len);
    expect += (uint64_t)len;
  }
  uint64_t t1 = now_ns();
  report_time("append", t1 - t0);
  CHECK(close(a) == 0);
  CHECK(close(b) == 0);

  int fd = open(path, O_RDONLY);
  CHECK(fd >= 0);
  static unsigned char buf[65536];
  uint64_t h = FNV_INIT, got = 0;
  ssize_t r;
  while ((r = read(fd, buf, sizeof buf)) > 0) {
    h = fnv(h, buf, (size_t)r);
    got += (uint64_t)r;
  }
  CHECK(r == 0);
  CHECK(got == expect);
  CHECK(close(fd) == 0);
  report_checksum(h);
  return 0;
}

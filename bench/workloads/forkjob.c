/* Workload 8, fork rate: `forkjob ROOT setup` makes the template tree of
 * 1,000 files (10 directories of 100 files of 512 bytes); `forkjob ROOT`
 * is the job run once per fork: it reads 5 files and writes 2. */
#include "bench.h"

int main(int argc, char **argv) {
  CHECK(argc >= 2);
  const char *root = argv[1];
  char path[4096];
  unsigned char buf[512];
  if (argc >= 3 && strcmp(argv[2], "setup") == 0) {
    for (int d = 0; d < 10; d++) {
      snprintf(path, sizeof path, "%s/d%d", root, d);
      CHECK(mkdir(path, 0755) == 0);
      for (int f = 0; f < 100; f++) {
        snprintf(path, sizeof path, "%s/d%d/f%03d", root, d, f);
        for (int i = 0; i < 512; i++) buf[i] = (unsigned char)(d + f * 3 + i);
        int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
        CHECK(fd >= 0);
        CHECK(write(fd, buf, sizeof buf) == sizeof buf);
        CHECK(close(fd) == 0);
      }
    }
    report_checksum(FNV_INIT);
    return 0;
  }
  uint64_t h = FNV_INIT;
  for (int k = 0; k < 5; k++) {
    snprintf(path, sizeof path, "%s/d%d/f%03d", root, k * 2, k * 17);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    CHECK(read(fd, buf, sizeof buf) == sizeof buf);
    CHECK(close(fd) == 0);
    h = fnv(h, buf, sizeof buf);
  }
  for (int k = 0; k < 2; k++) {
    snprintf(path, sizeof path, "%s/d%d/out%d", root, k, k);
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, &h, sizeof h) == sizeof h);
    CHECK(close(fd) == 0);
  }
  report_checksum(h);
  return 0;
}

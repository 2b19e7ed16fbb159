/* Workload 1, small files: `smallfiles ROOT [DIV]` times creating 10,000
 * files of 1 KiB in 100 directories, stat of each, reading each back and
 * deleting them all (file count divided by DIV, default 1). */
#include "bench.h"

#define DIRS 100
#define SIZE 1024

int main(int argc, char **argv) {
  CHECK(argc >= 2);
  long per_dir = 100 / arg_count(argc, argv, 2, 1);
  if (per_dir < 1) per_dir = 1;
  const char *root = argv[1];
  char path[4096];
  unsigned char buf[SIZE];
  uint64_t h = FNV_INIT;

  uint64_t t0 = now_ns();
  for (int d = 0; d < DIRS; d++) {
    snprintf(path, sizeof path, "%s/d%03d", root, d);
    CHECK(mkdir(path, 0755) == 0);
    for (long f = 0; f < per_dir; f++) {
      snprintf(path, sizeof path, "%s/d%03d/f%04ld", root, d, f);
      for (int i = 0; i < SIZE; i++) buf[i] = (unsigned char)(d * 31 + f * 7 + i);
      int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
      CHECK(fd >= 0);
      CHECK(write(fd, buf, SIZE) == SIZE);
      CHECK(close(fd) == 0);
    }
  }
  uint64_t t1 = now_ns();
  report_time("create", t1 - t0);

  uint64_t total = 0;
  struct stat st;
  t0 = now_ns();
  for (int d = 0; d < DIRS; d++)
    for (long f = 0; f < per_dir; f++) {
      snprintf(path, sizeof path, "%s/d%03d/f%04ld", root, d, f);
      CHECK(stat(path, &st) == 0);
      total += (uint64_t)st.st_size;
    }
  t1 = now_ns();
  report_time("stat", t1 - t0);
  h = fnv(h, &total, sizeof total);

  t0 = now_ns();
  for (int d = 0; d < DIRS; d++)
    for (long f = 0; f < per_dir; f++) {
      snprintf(path, sizeof path, "%s/d%03d/f%04ld", root, d, f);
      int fd = open(path, O_RDONLY);
      CHECK(fd >= 0);
      CHECK(read(fd, buf, SIZE) == SIZE);
      CHECK(close(fd) == 0);
      h = fnv(h, buf, SIZE);
    }
  t1 = now_ns();
  report_time("read", t1 - t0);

  t0 = now_ns();
  for (int d = 0; d < DIRS; d++) {
    for (long f = 0; f < per_dir; f++) {
      snprintf(path, sizeof path, "%s/d%03d/f%04ld", root, d, f);
      CHECK(unlink(path) == 0);
    }
    snprintf(path, sizeof path, "%s/d%03d", root, d);
    CHECK(rmdir(path) == 0);
  }
  t1 = now_ns();
  report_time("delete", t1 - t0);
  report_checksum(h);
  return 0;
}

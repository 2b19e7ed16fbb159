/* Workload 2, big file: `bigfile ROOT [MIB]` times writing MIB (default 256)
 * MiB in 64 KiB writes, fsync, reading it back sequentially, then 10,000
 * random 4 KiB pread/pwrite (alternating). */
#include "bench.h"

#define CHUNK 65536
#define PAGE 4096

int main(int argc, char **argv) {
  CHECK(argc >= 2);
  long mib = arg_count(argc, argv, 2, 256);
  uint64_t size = (uint64_t)mib << 20;
  char path[4096];
  snprintf(path, sizeof path, "%s/big", argv[1]);
  static unsigned char buf[CHUNK];
  uint64_t h = FNV_INIT;

  int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
  CHECK(fd >= 0);
  uint64_t t0 = now_ns();
  for (uint64_t off = 0; off < size; off += CHUNK) {
    for (int i = 0; i < CHUNK; i += 512) buf[i] = (unsigned char)(off / CHUNK + i);
    CHECK(write(fd, buf, CHUNK) == CHUNK);
  }
  uint64_t t1 = now_ns();
  report_time("write", t1 - t0);
  t0 = now_ns();
  CHECK(fsync(fd) == 0);
  t1 = now_ns();
  report_time("fsync", t1 - t0);

  CHECK(lseek(fd, 0, SEEK_SET) == 0);
  t0 = now_ns();
  uint64_t got = 0, sum = 0;
  ssize_t r;
  while ((r = read(fd, buf, CHUNK)) > 0) {
    for (ssize_t i = 0; i < r; i += 512) sum = sum * 31 + buf[i];
    got += (uint64_t)r;
  }
  t1 = now_ns();
  CHECK(r == 0);
  CHECK(got == size);
  report_time("seq-read", t1 - t0);
  h = fnv(h, &sum, sizeof sum);

  uint64_t seed = 42;
  uint64_t pages = size / PAGE;
  t0 = now_ns();
  for (int i = 0; i < 10000; i++) {
    off_t off = (off_t)((lcg_next(&seed) % pages) * PAGE);
    if (i % 2) {
      memset(buf, i & 0xff, PAGE);
      CHECK(pwrite(fd, buf, PAGE, off) == PAGE);
    } else {
      CHECK(pread(fd, buf, PAGE, off) == PAGE);
      h = fnv(h, buf, 64);
    }
  }
  t1 = now_ns();
  report_time("random-4k", t1 - t0);
  CHECK(close(fd) == 0);
  report_checksum(h);
  return 0;
}

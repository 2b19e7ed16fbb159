/* Workload 5, tree walk: `treewalk ROOT` reads every file under ROOT
 * (recursively, with opendir/readdir) and times the whole walk. The checksum
 * does not depend on the listing order. */
#include "bench.h"

static unsigned char buf[65536];
static uint64_t files, bytes, sum;

static void walk(char *path, size_t len) {
  DIR *d = opendir(path);
  CHECK(d != NULL);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    size_t n = strlen(e->d_name);
    CHECK(len + 1 + n < 4096);
    path[len] = '/';
    memcpy(path + len + 1, e->d_name, n + 1);
    if (e->d_type == DT_DIR) {
      walk(path, len + 1 + n);
    } else {
      int fd = open(path, O_RDONLY);
      CHECK(fd >= 0);
      uint64_t h = fnv(FNV_INIT, e->d_name, n);
      ssize_t r;
      while ((r = read(fd, buf, sizeof buf)) > 0) {
        h = fnv(h, buf, 16);
        bytes += (uint64_t)r;
      }
      CHECK(r == 0);
      CHECK(close(fd) == 0);
      sum += h;
      files++;
    }
    path[len] = 0;
  }
  CHECK(closedir(d) == 0);
}

int main(int argc, char **argv) {
  CHECK(argc >= 2);
  char path[4096];
  snprintf(path, sizeof path, "%s", argv[1]);
  uint64_t t0 = now_ns();
  walk(path, strlen(path));
  uint64_t t1 = now_ns();
  report_time("walk", t1 - t0);
  uint64_t h = fnv(FNV_INIT, &files, sizeof files);
  h = fnv(h, &bytes, sizeof bytes);
  report_checksum(fnv(h, &sum, sizeof sum));
  return 0;
}

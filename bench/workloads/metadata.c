/* Workload 3, metadata storm: `metadata ROOT [DIV]` sets up 100 directories
 * of 10 files, then times 100,000 stat of existing paths, 10,000 stat of
 * missing paths, 100,000 open+close and 10,000 renames (each count divided
 * by DIV, default 1). */
#include "bench.h"

#define DIRS 100
#define FILES 10

int main(int argc, char **argv) {
  CHECK(argc >= 2);
  long div = arg_count(argc, argv, 2, 1);
  const char *root = argv[1];
  char path[4096], path2[4096];
  static const char fill[64] = {0};
  for (int d = 0; d < DIRS; d++) {
    snprintf(path, sizeof path, "%s/d%03d", root, d);
    CHECK(mkdir(path, 0755) == 0);
    for (int f = 0; f < FILES; f++) {
      snprintf(path, sizeof path, "%s/d%03d/file%02d", root, d, f);
      int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
      CHECK(fd >= 0);
      CHECK(write(fd, fill, (size_t)((d * FILES + f) % 61)) >= 0);
      CHECK(close(fd) == 0);
    }
  }
  uint64_t h = FNV_INIT;
  long n;
  struct stat st;

  n = 100000 / div;
  uint64_t sizes = 0;
  uint64_t t0 = now_ns();
  for (long i = 0; i < n; i++) {
    long k = (i * 7919) % (DIRS * FILES);
    snprintf(path, sizeof path, "%s/d%03ld/file%02ld", root, k / FILES, k % FILES);
    CHECK(stat(path, &st) == 0);
    sizes += (uint64_t)st.st_size + (S_ISREG(st.st_mode) ? 1 : 0);
  }
  uint64_t t1 = now_ns();
  report_time("stat", t1 - t0);
  h = fnv(h, &sizes, sizeof sizes);

  n = 10000 / div;
  uint64_t missing = 0;
  t0 = now_ns();
  for (long i = 0; i < n; i++) {
    long k = (i * 7919) % (DIRS * FILES);
    snprintf(path, sizeof path, "%s/d%03ld/nofile%02ld", root, k / FILES, k % FILES);
    if (stat(path, &st) != 0 && errno == ENOENT) missing++;
  }
  t1 = now_ns();
  report_time("stat-missing", t1 - t0);
  h = fnv(h, &missing, sizeof missing);

  n = 100000 / div;
  uint64_t opened = 0;
  t0 = now_ns();
  for (long i = 0; i < n; i++) {
    long k = (i * 7919) % (DIRS * FILES);
    snprintf(path, sizeof path, "%s/d%03ld/file%02ld", root, k / FILES, k % FILES);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    CHECK(close(fd) == 0);
    opened++;
  }
  t1 = now_ns();
  report_time("open-close", t1 - t0);
  h = fnv(h, &opened, sizeof opened);

  /* Each rename moves a file to a new name in the next directory; every
   * file moves at most once per round, so a source always exists. */
  n = 10000 / div;
  t0 = now_ns();
  for (long i = 0; i < n; i++) {
    long k = i % (DIRS * FILES), round = i / (DIRS * FILES);
    long d = k / FILES, f = k % FILES;
    if (round == 0)
      snprintf(path, sizeof path, "%s/d%03ld/file%02ld", root, d, f);
    else
      snprintf(path, sizeof path, "%s/d%03ld/r%ld-%02ld", root, (d + round) % DIRS, round - 1, f);
    snprintf(path2, sizeof path2, "%s/d%03ld/r%ld-%02ld", root, (d + round + 1) % DIRS, round, f);
    CHECK(rename(path, path2) == 0);
  }
  t1 = now_ns();
  report_time("rename", t1 - t0);

  /* Not timed: the directories' contents after the renames. */
  uint64_t names = 0;
  for (int d = 0; d < DIRS; d++) {
    snprintf(path, sizeof path, "%s/d%03d", root, d);
    DIR *dir = opendir(path);
    CHECK(dir != NULL);
    struct dirent *e;
    while ((e = readdir(dir)) != NULL)
      names += fnv(fnv(FNV_INIT, &d, sizeof d), e->d_name, strlen(e->d_name));
    CHECK(closedir(dir) == 0);
  }
  h = fnv(h, &names, sizeof names);
  report_checksum(h);
  return 0;
}

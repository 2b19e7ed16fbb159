/* Shared helpers of the benchmark workloads: a monotonic timer, FNV-1a
 * hashing, failure checks and the output lines the harness parses:
 *   time <phase> <nanoseconds>
 *   checksum <16 hex digits>
 * Every workload takes its root directory as argv[1]; the same source is
 * built for wasm32-wasi and natively. */
#ifndef STRATA_BENCH_H
#define STRATA_BENCH_H

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t fnv(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

#define FNV_INIT 14695981039346656037ull

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #cond, \
              strerror(errno));                                            \
      exit(2);                                                             \
    }                                                                      \
  } while (0)

static inline void report_time(const char *phase, uint64_t ns) {
  printf("time %s %llu\n", phase, (unsigned long long)ns);
}

static inline void report_checksum(uint64_t h) {
  printf("checksum %016llx\n", (unsigned long long)h);
}

/* argv[i] as a positive count, or `dflt` when absent. */
static inline long arg_count(int argc, char **argv, int i, long dflt) {
  if (argc <= i) return dflt;
  long v = strtol(argv[i], NULL, 10);
  CHECK(v > 0);
  return v;
}

/* A deterministic pseudo-random sequence (64-bit LCG, high bits). */
static inline uint32_t lcg_next(uint64_t *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(*s >> 33);
}

#endif

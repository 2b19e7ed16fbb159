/* A fuzz target behind a magic value and a checksum: the bug (a trap) is
 * reached only by an input that starts with the 4-byte magic "STRA", then
 * holds a little-endian u32 checksum of the rest, then at least 4 bytes.
 * Blind or coverage-only mutation must guess 64 bits at once; comparison
 * feedback (cmplog / input-to-state) reads both sides of each compare and
 * writes the expected value into the input, one compare at a time.
 *
 * Reads standard input. Exit 0: rejected (wrong magic, checksum or size).
 *
 * Rebuild (the guest-fuzz test `cmplog::magic_is_fresh` checks the bytes):
 *   clang --target=wasm32-wasi -O2 -Wall -Wextra -Wl,--strip-all \
 *     -o target.wasm target.c
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static unsigned char buf[4096];

static uint32_t checksum(const unsigned char *p, size_t n) {
  uint32_t h = 0x811c9dc5u; /* FNV-1a */
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x01000193u;
  }
  return h;
}

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

int main(void) {
  size_t n = fread(buf, 1, sizeof buf, stdin);
  if (n < 12)
    return 0;
  if (le32(buf) != 0x41525453u) /* "STRA" */
    return 0;
  if (checksum(buf + 8, n - 8) != le32(buf + 4))
    return 0;
  puts("deep");
  __builtin_trap();
}

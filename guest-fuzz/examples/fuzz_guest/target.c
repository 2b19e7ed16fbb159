/* The fuzz target of the `fuzz_guest` example: a small parser for a
 * config-file format, with one planted bug.
 *
 *   # comment
 *   [section]
 *   key = value          (key must be listed in /work/keys.txt)
 *   ratio = 10/4         (evaluated: integer division)
 *
 * It reads the file named by argv[1], or stdin when there is none, checks
 * every key against /work/keys.txt (a file of the prepared snapshot), writes a
 * summary to /work/out/summary.txt and prints it.  Exit 0: the input parsed;
 * exit 1: a syntax error or an unknown key (both expected answers to bad
 * input); exit 2: the prepared files are missing.
 *
 * PLANTED BUG: a ratio's denominator is never checked, so "ratio = 1/0"
 * divides by zero, which traps in WebAssembly (so does INT_MIN/-1).
 *
 * Rebuild (the guest-fuzz test `target::target_is_fresh` checks the bytes):
 *   clang --target=wasm32-wasi -O2 -Wall -Wextra -Wl,--strip-all \
 *     -o target.wasm target.c
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INPUT (64 * 1024)
#define MAX_KEYS 64

static char keys[MAX_KEYS][32];
static int nkeys;

static int load_keys(void) {
  FILE *f = fopen("/work/keys.txt", "r");
  if (!f)
    return -1;
  char line[64];
  while (nkeys < MAX_KEYS && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = 0;
    if (line[0])
      snprintf(keys[nkeys++], sizeof keys[0], "%s", line);
  }
  fclose(f);
  return 0;
}

static int known_key(const char *k) {
  for (int i = 0; i < nkeys; i++)
    if (strcmp(keys[i], k) == 0)
      return 1;
  return 0;
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s))
    s++;
  char *e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1]))
    *--e = 0;
  return s;
}

/* Parses "a/b" and returns a / b; 0 with *ok = 0 on a syntax error. */
static long ratio(const char *v, int *ok) {
  char *end;
  long a = strtol(v, &end, 10);
  if (end == v || *end != '/') {
    *ok = 0;
    return 0;
  }
  const char *d = end + 1;
  long b = strtol(d, &end, 10);
  if (end == d || *end) {
    *ok = 0;
    return 0;
  }
  *ok = 1;
  return (int)a / (int)b; /* the planted bug: b may be 0 */
}

int main(int argc, char **argv) {
  if (load_keys() < 0) {
    printf("cannot read /work/keys.txt\n");
    return 2;
  }
  FILE *in = argc > 1 ? fopen(argv[1], "r") : stdin;
  if (!in) {
    printf("cannot open the input\n");
    return 2;
  }
  static char buf[MAX_INPUT + 1];
  size_t len = fread(buf, 1, MAX_INPUT, in);
  buf[len] = 0;

  int sections = 0, entries = 0, lineno = 0;
  long total = 0;
  char section[32] = "";
  for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
    lineno++;
    char *s = trim(line);
    if (!*s || *s == '#')
      continue;
    if (*s == '[') {
      char *close = strchr(s, ']');
      if (!close || close[1] || close == s + 1 || close - s > 31) {
        printf("line %d: bad section header\n", lineno);
        return 1;
      }
      *close = 0;
      snprintf(section, sizeof section, "%s", s + 1);
      sections++;
      continue;
    }
    char *eq = strchr(s, '=');
    if (!eq) {
      printf("line %d: expected key = value\n", lineno);
      return 1;
    }
    *eq = 0;
    char *k = trim(s), *v = trim(eq + 1);
    if (!known_key(k)) {
      printf("line %d: unknown key\n", lineno);
      return 1;
    }
    if (strcmp(k, "ratio") == 0) {
      int ok;
      long r = ratio(v, &ok);
      if (!ok) {
        printf("line %d: bad ratio\n", lineno);
        return 1;
      }
      total += r;
    }
    entries++;
  }

  FILE *out = fopen("/work/out/summary.txt", "w");
  if (!out) {
    printf("cannot write /work/out/summary.txt\n");
    return 2;
  }
  fprintf(out, "sections=%d entries=%d ratios=%ld last=[%s]\n", sections, entries, total, section);
  fclose(out);
  printf("sections=%d entries=%d ratios=%ld\n", sections, entries, total);
  return 0;
}

/* fs_lower_read: reads the standard fixture tree (see tests/src/fixture.rs)
 * without changing it.  Under Strata this is the lower layer. */
#include "common.h"

/* The byte at offset i of data/big.bin (fixture::big_byte in Rust). */
static unsigned char big_byte(uint32_t i) { return (unsigned char)((i % 251) + (i / 4096)); }

static const char *dtype(unsigned char t) {
  switch (t) {
  case DT_REG: return "file";
  case DT_DIR: return "dir";
  case DT_LNK: return "symlink";
  default: return "other";
  }
}

/* Recursive, sorted walk of the tree printing every entry with its type. */
static void walk(const char *rel, int depth) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", ROOT, rel);
  DIR *d = opendir(path);
  if (!d) {
    say("walk %s: %s", rel, errname(errno));
    return;
  }
  char *names[64];
  unsigned char types[64];
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL && n < 64) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    names[n] = strdup(de->d_name);
    types[n] = de->d_type;
    n++;
  }
  closedir(d);
  /* Sort names with their types. */
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
      char *t = names[j]; names[j] = names[j - 1]; names[j - 1] = t;
      unsigned char u = types[j]; types[j] = types[j - 1]; types[j - 1] = u;
    }
  for (int i = 0; i < n; i++) {
    char child[512];
    snprintf(child, sizeof child, "%s%s%s", rel, rel[0] ? "/" : "", names[i]);
    say("tree: %s %s", child, dtype(types[i]));
    if (types[i] == DT_DIR && depth < 8) walk(child, depth + 1);
    free(names[i]);
  }
}

int main(int argc, char **argv) {
  setup(argc, argv);
  walk("", 0);

  show_file("README.txt", P("README.txt"));
  show_file(".wh.fake", P(".wh.fake"));
  show_file("data/small.txt", P("data/small.txt"));
  show_file("data/nested/mid.txt", P("data/nested/mid.txt"));
  show_file("data/nested/deep/leaf.txt", P("data/nested/deep/leaf.txt"));
  show_file("docs/sub/c.txt", P("docs/sub/c.txt"));
  show_stat("stat empty", P("empty"), 1);
  show_dir("list empty", P("empty"));
  show_stat("stat .wh.fake", P(".wh.fake"), 1);
  show_stat("stat hard_a", P("data/hard_a.txt"), 1);

  /* The 1 MiB patterned file: size, every byte, and random-access reads. */
  show_stat("stat big.bin", P("data/big.bin"), 1);
  int fd = open(P("data/big.bin"), O_RDONLY);
  if (fd < 0)
    fatal("open big.bin");
  static unsigned char buf[65536];
  uint32_t off = 0, bad = 0;
  ssize_t n;
  uint64_t h = FNV_INIT;
  while ((n = read(fd, buf, 4099)) > 0) {
    for (ssize_t i = 0; i < n; i++)
      if (buf[i] != big_byte(off + (uint32_t)i)) bad++;
    h = fnv1a(h, buf, (size_t)n);
    off += (uint32_t)n;
  }
  say("big.bin read: %u bytes, %u wrong, digest %016llx", off, bad, (unsigned long long)h);
  uint32_t offsets[] = {0, 1, 4095, 4096, 65535, 65536, 524287, 1048575, 1048576};
  for (size_t k = 0; k < sizeof offsets / sizeof offsets[0]; k++) {
    unsigned char b;
    n = pread(fd, &b, 1, offsets[k]);
    if (n == 1)
      say("big.bin[%u] = %u (%s)", offsets[k], b, b == big_byte(offsets[k]) ? "ok" : "WRONG");
    else
      say("big.bin[%u]: read %zd", offsets[k], n);
  }
  say("big.bin seek end: %lld", (long long)lseek(fd, 0, SEEK_END));
  close(fd);

  /* The fixture is readable but opening lower files for writing works too
   * (it is the guest's own writable view); only read here. */
  fd = open(P("data"), O_RDONLY | O_DIRECTORY);
  struct stat st;
  want("fstatat nested", fstatat(fd, "nested/deep/leaf.txt", &st, 0), 0);
  say("leaf size: %lld", (long long)st.st_size);
  want("fstatat symlink nofollow", fstatat(fd, "link_to_leaf", &st, AT_SYMLINK_NOFOLLOW), 0);
  say("link type: %s size=%lld", type_name(st.st_mode), (long long)st.st_size);
  close(fd);
  return 0;
}

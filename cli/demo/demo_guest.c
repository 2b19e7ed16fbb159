// The guest `strata demo` runs: reads the bundled tree, changes it the way a
// build or a test would, and prints what it did. Build with build.sh.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static long sum_csv(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[256];
    long total = 0;
    while (fgets(line, sizeof line, f)) {
        char *comma = strchr(line, ',');
        if (comma && line[0] >= '0' && line[0] <= '9') total += atol(comma + 1);
    }
    fclose(f);
    return total;
}

int main(int argc, char **argv) {
    const char *root = argc > 1 ? argv[1] : "/data";
    const char *tag = argc > 2 ? argv[2] : "run";
    if (chdir(root) != 0) { perror("chdir"); return 2; }

    if (access("data", F_OK) != 0) {
        // A state this guest already migrated: sum the moved files, add a line
        // to the report and show it.
        long total = sum_csv("datasets/a.csv") + sum_csv("datasets/b.csv");
        FILE *out = fopen("out/report.txt", "a+");
        if (!out) { perror("report"); return 2; }
        fprintf(out, "%s: total %ld (already migrated)\n", tag, total);
        rewind(out);
        char line[256];
        printf("[%s] already migrated; out/report.txt now reads:\n", tag);
        while (fgets(line, sizeof line, out)) printf("  %s", line);
        fclose(out);
        return 0;
    }
    long a = sum_csv("data/a.csv"), b = sum_csv("data/b.csv");
    printf("[%s] sum of data/*.csv: %ld\n", tag, a + b);

    // Change the configuration in place (the lower file is copied up lazily).
    int fd = open("etc/app.conf", O_WRONLY);
    if (fd < 0 || write(fd, "threads = 8\n", 12) != 12) { perror("app.conf"); return 2; }
    close(fd);

    // Rename a lower directory with its subtree, delete part of it.
    if (rename("data", "datasets") != 0) { perror("rename"); return 2; }
    if (unlink("datasets/old/archive.txt") != 0 || rmdir("datasets/old") != 0) { perror("rm"); return 2; }

    // Write a report.
    mkdir("out", 0755);
    FILE *out = fopen("out/report.txt", "a");
    if (!out) { perror("report"); return 2; }
    fprintf(out, "%s: total %ld\n", tag, a + b);
    fclose(out);

    DIR *d = opendir(".");
    struct dirent *e;
    printf("[%s] top level now:", tag);
    while ((e = readdir(d))) if (e->d_name[0] != '.') printf(" %s", e->d_name);
    printf("\n");
    closedir(d);
    return 0;
}

/* fs_basic: open flags, stat family, sync, advise, close.
 * Covers path_open, fd_close, fd_filestat_get, path_filestat_get,
 * fd_fdstat_get, fd_sync, fd_datasync, fd_advise. */
#include "common.h"

int main(int argc, char **argv) {
  setup(argc, argv);
  if (mkdir(P("basic"), 0755) < 0)
    fatal("mkdir basic");

  /* O_CREAT creates, O_CREAT|O_EXCL refuses an existing name (POSIX open). */
  int fd = open(P("basic/f"), O_RDWR | O_CREAT | O_EXCL, 0644);
  want("create excl new", fd, 0);
  want("write 5", write(fd, "hello", 5) == 5 ? 0 : -1, 0);
  want("close", close(fd), 0);
  want("close again", close(fd), EBADF);
  want("create excl existing", open(P("basic/f"), O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);
  fd = open(P("basic/f"), O_RDWR | O_CREAT, 0644);
  want("create existing without excl", fd, 0);
  show_stat("stat after reopen", P("basic/f"), 1);
  close(fd);

  /* O_EXCL without O_CREAT is unspecified by POSIX; print what happens. */
  fd = open(P("basic/f"), O_RDONLY | O_EXCL);
  res("excl without creat", fd);
  if (fd >= 0) close(fd);

  /* O_TRUNC empties the file. */
  fd = open(P("basic/f"), O_WRONLY | O_TRUNC);
  want("open trunc", fd, 0);
  close(fd);
  show_stat("stat after trunc", P("basic/f"), 1);

  /* Opening a missing file without O_CREAT. */
  want("open missing", open(P("basic/missing"), O_RDONLY), ENOENT);
  want("open missing parent", open(P("basic/nodir/x"), O_RDWR | O_CREAT, 0644), ENOENT);

  /* O_DIRECTORY. */
  want("o_directory on file", open(P("basic/f"), O_RDONLY | O_DIRECTORY), ENOTDIR);
  fd = open(P("basic"), O_RDONLY | O_DIRECTORY);
  want("o_directory on dir", fd, 0);
  struct stat st;
  if (fd >= 0) {
    want("fstat dir", fstat(fd, &st), 0);
    say("fstat dir type: %s", type_name(st.st_mode));
    close(fd);
  }
  /* Opening a directory for writing is EISDIR (POSIX open). */
  want("open dir wronly", open(P("basic"), O_WRONLY), EISDIR);
  want("open dir rdwr", open(P("basic"), O_RDWR), EISDIR);
  want("creat over dir", open(P("basic"), O_RDWR | O_CREAT, 0644), EISDIR);

  /* Access modes are enforced: read on O_WRONLY and write on O_RDONLY. */
  char buf[16];
  put(P("basic/g"), "content");
  fd = open(P("basic/g"), O_RDONLY);
  want("write on rdonly", write(fd, "x", 1), EBADF);
  want("ftruncate on rdonly", ftruncate(fd, 0), EINVAL);
  close(fd);
  fd = open(P("basic/g"), O_WRONLY);
  want("read on wronly", read(fd, buf, sizeof buf), EBADF);
  close(fd);

  /* fcntl(F_GETFL) reports the access mode. */
  fd = open(P("basic/g"), O_RDONLY);
  int fl = fcntl(fd, F_GETFL);
  say("getfl rdonly: %s", (fl & O_ACCMODE) == O_RDONLY ? "O_RDONLY" : "other");
  close(fd);
  fd = open(P("basic/g"), O_WRONLY);
  fl = fcntl(fd, F_GETFL);
  say("getfl wronly: %s", (fl & O_ACCMODE) == O_WRONLY ? "O_WRONLY" : "other");
  close(fd);
  fd = open(P("basic/g"), O_RDWR);
  fl = fcntl(fd, F_GETFL);
  say("getfl rdwr: %s", (fl & O_ACCMODE) == O_RDWR ? "O_RDWR" : "other");

  /* fstat / stat / lstat / fstatat agree. */
  struct stat a, b, c, d;
  want("fstat", fstat(fd, &a), 0);
  want("stat", stat(P("basic/g"), &b), 0);
  want("lstat", lstat(P("basic/g"), &c), 0);
  int dfd = open(P("basic"), O_RDONLY | O_DIRECTORY);
  want("fstatat", fstatat(dfd, "g", &d, 0), 0);
  check("stat family agrees on size",
        a.st_size == 7 && b.st_size == 7 && c.st_size == 7 && d.st_size == 7);
  check("stat family agrees on ino", a.st_ino == b.st_ino && b.st_ino == c.st_ino && c.st_ino == d.st_ino);
  check("stat family agrees on dev", a.st_dev == b.st_dev && b.st_dev == d.st_dev);
  say("fstat type: %s nlink=%llu", type_name(a.st_mode), (unsigned long long)a.st_nlink);
  want("fstatat missing", fstatat(dfd, "nope", &d, 0), ENOENT);
  want("fstatat dot", fstatat(dfd, ".", &d, 0), 0);
  say("fstatat dot type: %s", type_name(d.st_mode));

  /* faccessat goes through path_filestat_get. */
  want("access existing", access(P("basic/g"), F_OK), 0);
  want("access missing", access(P("basic/nope"), F_OK), ENOENT);
  want("access R_OK", access(P("basic/g"), R_OK), 0);

  /* sync family and advice. */
  want("fsync", fsync(fd), 0);
  want("fdatasync", fdatasync(fd), 0);
  want("fsync dir", fsync(dfd), 0);
  errno = posix_fadvise(fd, 0, 7, POSIX_FADV_SEQUENTIAL);
  want("fadvise sequential", errno ? -1 : 0, 0);
  errno = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  want("fadvise dontneed", errno ? -1 : 0, 0);
  /* A bad advice value traps in wasmtime-wasi: see wasi_bad_arg.c. */
  errno = posix_fadvise(fd, -1, 7, POSIX_FADV_NORMAL);
  want("fadvise negative offset", errno ? -1 : 0, EINVAL);
  close(fd);
  close(dfd);

  /* Operations on a closed or bogus descriptor. */
  want("fstat bad fd", fstat(1234, &a), EBADF);
  want("read bad fd", read(1234, buf, 1), EBADF);
  want("fsync bad fd", fsync(1234), EBADF);
  want("close bad fd", close(1234), EBADF);

  /* O_CREAT with a mode: the file exists and is a regular file. */
  fd = open(P("basic/mode"), O_WRONLY | O_CREAT, 0600);
  want("create with mode", fd, 0);
  close(fd);
  show_stat("created file", P("basic/mode"), 1);

  /* Many descriptors at once are independent. */
  int fds[64];
  int opened = 0;
  for (int i = 0; i < 64; i++) {
    fds[i] = open(P("basic/g"), O_RDONLY);
    if (fds[i] >= 0) opened++;
  }
  say("opened 64 fds: %d", opened);
  int distinct = 1;
  for (int i = 0; i < 64; i++)
    for (int j = i + 1; j < 64; j++)
      if (fds[i] == fds[j]) distinct = 0;
  check("fd numbers distinct", distinct);
  for (int i = 0; i < 64; i++) close(fds[i]);
  return 0;
}

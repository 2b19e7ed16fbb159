/* args_env: args_sizes_get, args_get, environ_sizes_get, environ_get,
 * proc_exit (through exit with a status set by the harness args). */
#include "common.h"

extern char **environ;

int main(int argc, char **argv) {
  say("argc: %d", argc);
  for (int i = 0; i < argc; i++)
    show_bytes("argv", argv[i], strlen(argv[i]));
  int n = 0;
  for (char **e = environ; *e; e++) n++;
  say("environ count: %d", n);
  /* environ order is the embedder's order; print it as given. */
  for (char **e = environ; *e; e++)
    show_bytes("environ", *e, strlen(*e));
  const char *v = getenv("STRATA_GREETING");
  show_bytes("getenv STRATA_GREETING", v ? v : "(null)", strlen(v ? v : "(null)"));
  v = getenv("STRATA_EMPTY");
  say("getenv STRATA_EMPTY: %s", v ? (v[0] ? "non-empty" : "empty") : "unset");
  v = getenv("STRATA_MISSING");
  say("getenv STRATA_MISSING: %s", v ? "set" : "unset");
  /* setenv affects only the guest's copy. */
  setenv("STRATA_NEW", "1", 1);
  say("setenv visible: %s", getenv("STRATA_NEW") ? "yes" : "no");
  fflush(stdout);
  /* The last argument, when numeric, is the exit status to test proc_exit. */
  if (argc > 2) {
    int code = atoi(argv[argc - 1]);
    if (code > 0) exit(code);
  }
  return 0;
}

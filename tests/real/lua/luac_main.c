/* `luac`: compiles one Lua 5.4 source file into a precompiled chunk.
 *
 * Usage: luac [-s] [-p] [-o OUTPUT] INPUT
 *   -o OUTPUT  where to write the chunk (default "luac.out")
 *   -s         strip debug information (line numbers, local names)
 *   -p         parse only: report syntax errors, write nothing
 *
 * The chunk is what Lua's own compiler (lparser/lcode) produces and its
 * dumper (ldump) writes, so `lua OUTPUT` runs it like the source.  Errors go
 * to stderr as "luac: message" with exit status 1.
 *
 * Written for Strata's real-program tests: the lua-src crate carries Lua's
 * library but not the stand-alone drivers. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lauxlib.h"
#include "lua.h"

static const char *progname = "luac";

static int fail(const char *what, const char *detail) {
  fprintf(stderr, "%s: %s%s%s\n", progname, what, detail ? ": " : "", detail ? detail : "");
  return 1;
}

/* lua_dump's writer: appends each piece to the output file. */
static int write_piece(lua_State *L, const void *p, size_t size, void *ud) {
  (void)L;
  return size > 0 && fwrite(p, size, 1, (FILE *)ud) != 1;
}

int main(int argc, char **argv) {
  const char *output = "luac.out", *input = NULL;
  int strip = 0, parse_only = 0;
  if (argc > 0) progname = argv[0];
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-s") == 0) {
      strip = 1;
    } else if (strcmp(argv[i], "-p") == 0) {
      parse_only = 1;
    } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
      output = argv[++i];
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      return fail("unrecognized option", argv[i]);
    } else if (input == NULL) {
      input = argv[i];
    } else {
      return fail("only one input file is supported", argv[i]);
    }
  }
  if (input == NULL) {
    fprintf(stderr, "usage: %s [-s] [-p] [-o OUTPUT] INPUT\n", progname);
    return 1;
  }

  lua_State *L = luaL_newstate();
  if (L == NULL) return fail("cannot create state", "not enough memory");
  if (luaL_loadfilex(L, input, "t") != LUA_OK) {
    int rc = fail(lua_tostring(L, -1), NULL);
    lua_close(L);
    return rc;
  }
  if (parse_only) {
    lua_close(L);
    return 0;
  }
  FILE *out = fopen(output, "wb");
  if (out == NULL) {
    int rc = fail(output, strerror(errno));
    lua_close(L);
    return rc;
  }
  int bad = lua_dump(L, write_piece, out, strip);
  bad |= ferror(out);
  bad |= fclose(out) != 0;
  lua_close(L);
  if (bad) {
    remove(output);
    return fail("cannot write", output);
  }
  return 0;
}

/* `lua`: runs a Lua 5.4 script (source or precompiled) as a command.
 *
 * Usage: lua SCRIPT [ARGS...]
 *
 * The global `arg` holds arg[0] = SCRIPT, arg[1..n] = ARGS and arg[-1] = the
 * program name, as the stand-alone interpreter arranges it; the chunk also
 * receives ARGS as `...`.  An error prints "lua: message" and a traceback on
 * stderr and exits 1; os.exit ends the program with its own status.
 *
 * Written for Strata's real-program tests: Lua's release sources come from the
 * lua-src crate, which carries the library but not the stand-alone drivers. */
#include <stdio.h>
#include <stdlib.h>

#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

/* Message handler for lua_pcall: turns an error into "message + traceback". */
static int traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
      return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* Runs in protected mode so that even a memory error while setting up is
 * reported instead of aborting. */
static int run(lua_State *L) {
  int argc = (int)lua_tointeger(L, 1);
  char **argv = (char **)lua_touserdata(L, 2);
  luaL_checkversion(L);
  luaL_openlibs(L);

  lua_createtable(L, argc - 2, 2);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - 1);
  }
  lua_setglobal(L, "arg");

  if (luaL_loadfile(L, argv[1]) != LUA_OK)
    return lua_error(L);
  lua_pushcfunction(L, traceback);
  lua_insert(L, -2);
  for (int i = 2; i < argc; i++)
    lua_pushstring(L, argv[i]);
  int base = lua_gettop(L) - (argc - 2) - 1;
  if (lua_pcall(L, argc - 2, 0, base) != LUA_OK)
    return lua_error(L);
  return 0;
}

int main(int argc, char **argv) {
  const char *progname = argc > 0 ? argv[0] : "lua";
  if (argc < 2) {
    fprintf(stderr, "usage: %s SCRIPT [ARGS...]\n", progname);
    return 1;
  }
  lua_State *L = luaL_newstate();
  if (L == NULL) {
    fprintf(stderr, "%s: cannot create state: not enough memory\n", progname);
    return 1;
  }
  lua_pushcfunction(L, run);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  int status = lua_pcall(L, 2, 0, 0);
  if (status != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "%s: %s\n", progname, msg ? msg : "(error object is not a string)");
    fflush(stderr);
  }
  lua_close(L);
  return status == LUA_OK ? 0 : 1;
}

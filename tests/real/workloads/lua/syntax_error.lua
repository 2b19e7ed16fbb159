-- Not valid Lua: luac reports the error and exits 1.
local x = = 1

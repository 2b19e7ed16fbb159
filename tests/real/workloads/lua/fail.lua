-- Ends with an uncaught runtime error: the interpreter prints the message and
-- a traceback on stderr and exits 1, after having written a file.
local f = assert(io.open(arg[1] .. "/before-failure.txt", "w"))
f:write("written before the error\n")
f:close()
local function inner(t) return t.missing.field end
local function outer() return inner({}) + 1 end
print("about to fail")
outer()
print("never printed")

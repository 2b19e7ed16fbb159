-- The Lua interpreter workload: text processing over files of the lower
-- layer, files created, appended, updated in place, renamed and removed, a
-- binary file, stdin, and Lua's own error handling (pcall/error, which the
-- WASI build implements with wasm exceptions).  Run as
-- `lua /w/main.lua /w ARG...` with some text on stdin.
local root = assert(arg[1], "usage: main.lua ROOT")
local function path(name) return root .. "/" .. name end
local function say(...)
  local parts = table.pack(...)
  for i = 1, parts.n do parts[i] = tostring(parts[i]) end
  io.write(table.concat(parts, " ", 1, parts.n), "\n")
end

say("args", #arg, table.concat(arg, ",", 2))
say("home", tostring(os.getenv("HOME")), "missing", tostring(os.getenv("NO_SUCH_VAR")))

-- Word frequencies of a text in the lower layer.
local counts, total = {}, 0
for line in io.lines(path("data/text.txt")) do
  for word in line:lower():gmatch("%a+") do
    counts[word] = (counts[word] or 0) + 1
    total = total + 1
  end
end
local words = {}
for w in pairs(counts) do words[#words + 1] = w end
table.sort(words, function(a, b)
  if counts[a] ~= counts[b] then return counts[a] > counts[b] end
  return a < b
end)
say("words", total, "distinct", #words)
local report = assert(io.open(path("report.txt"), "w"))
for i = 1, 10 do
  report:write(string.format("%2d %-10s %3d\n", i, words[i], counts[words[i]]))
end
report:close()

-- Append, then read back with a seek and a mix of read formats.
local f = assert(io.open(path("report.txt"), "a"))
f:write("-- end of report\n", 12345, " ", 2.5, "\n")
f:close()
f = assert(io.open(path("report.txt"), "r"))
local size = f:seek("end")
f:seek("set", 0)
local first = f:read("l")
f:seek("set", size - 11)
local n1, n2 = f:read("n", "n")
say("report", size, first, n1, n2, math.type(n1), math.type(n2))
f:close()

-- Update in place ("r+"): overwrite the first rank of every line.
f = assert(io.open(path("report.txt"), "r+"))
for i = 0, 9 do
  f:seek("set", i * 18)
  f:write(string.format("%2d", 10 - i))
end
f:close()
for line in io.lines(path("report.txt")) do io.write("| ", line, "\n") end

-- A binary file: packed records written, then read back and checked.
local bin = assert(io.open(path("records.bin"), "wb"))
for i = 1, 1000 do
  bin:write(string.pack("<i4 d s1", i * i, i / 8, "r" .. i))
end
bin:close()
bin = assert(io.open(path("records.bin"), "rb"))
local blob = bin:read("a")
bin:close()
local pos, sum, last = 1, 0, nil
while pos <= #blob do
  local sq, frac, name
  sq, frac, name, pos = string.unpack("<i4 d s1", blob, pos)
  sum = sum + sq + frac
  last = name
end
say("records", #blob, sum, last)

-- Many small files, then half of them renamed and the other half removed.
for i = 1, 100 do
  local g = assert(io.open(path(string.format("gen-%03d.txt", i)), "w"))
  g:write(string.rep(string.char(64 + i % 26), i), "\n")
  g:close()
end
for i = 1, 100 do
  local name = path(string.format("gen-%03d.txt", i))
  if i % 2 == 0 then
    assert(os.rename(name, path(string.format("kept-%03d.txt", i))))
  else
    assert(os.remove(name))
  end
end
-- Removing and renaming files of the lower layer.
assert(os.remove(path("data/obsolete.txt")))
assert(os.rename(path("data/rename-me.txt"), path("renamed.txt")))
say("errors", select(2, io.open(path("data/obsolete.txt"))), select(2, os.remove(path("nope"))))
say("rename missing", select(2, os.rename(path("nope"), path("nope2"))))

-- stdin.
local input = io.read("a")
local lines = 0
for _ in input:gmatch("[^\n]*\n") do lines = lines + 1 end
say("stdin", #input, lines, input:match("^[^\n]*"))

-- Errors, raised and caught (each one a longjmp through wasm exceptions).
local ok, err = pcall(error, { code = 42 })
say("pcall table", ok, type(err), err.code)
ok, err = pcall(function() local t = nil; return t.x end)
say("pcall index", ok, err)
local depth = 0
local function recurse(n) depth = n; if n == 0 then error("bottom", 0) end; return recurse(n - 1) end
ok, err = pcall(recurse, 150)
say("pcall deep", ok, err, depth)
local co = coroutine.create(function(a)
  local b = coroutine.yield(a * 2)
  error("in coroutine " .. b, 0)
end)
say("coroutine", coroutine.resume(co, 21))
say("coroutine", coroutine.resume(co, "x"))
say("coroutine", coroutine.status(co))
say("tmpname", pcall(os.tmpname))
say("popen", pcall(io.popen, "ls"))

-- Dates from fixed times only (the clock differs between runs; os.clock
-- is one of the functions lua-src leaves out on WASI, with io.popen and
-- os.tmpname).
say("date", os.date("!%Y-%m-%d %H:%M:%S", 1700000000), os.time({ year = 2000, month = 1, day = 1, hour = 12 }) ~= nil)

-- Some computation: primes, a sort of pseudo-random numbers, utf8, %q.
local sieve, primes = {}, 0
for i = 2, 200000 do
  if not sieve[i] then
    primes = primes + 1
    for j = i * i, 200000, i do sieve[j] = true end
  end
end
local seed, xs = 12345, {}
for i = 1, 50000 do seed = (seed * 1103515245 + 12345) % 2147483648; xs[i] = seed end
table.sort(xs)
say("compute", primes, xs[1], xs[25000], xs[50000])
say("utf8", utf8.len("Hélène ☃"), utf8.char(72, 233, 8364), string.format("%q", "a\nb\0c"))
say("done")

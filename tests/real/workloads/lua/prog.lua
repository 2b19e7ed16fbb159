-- The compiler workload: `luac -s -o prog.luac prog.lua`, then `lua
-- prog.luac ROOT` must print and write exactly what `lua prog.lua ROOT` does.
-- Closures, upvalues, varargs, integer and float constants, long strings,
-- goto, metatables and coroutines all go through the dump and the undump.
local root = arg[1]

local function queens(n)
  local count, cols, d1, d2 = 0, {}, {}, {}
  local function place(r)
    if r > n then count = count + 1; return end
    for c = 1, n do
      if not cols[c] and not d1[r + c] and not d2[r - c + n] then
        cols[c], d1[r + c], d2[r - c + n] = true, true, true
        place(r + 1)
        cols[c], d1[r + c], d2[r - c + n] = nil, nil, nil
      end
    end
  end
  place(1)
  return count
end

local Vec = {}
Vec.__index = Vec
Vec.__add = function(a, b) return setmetatable({ x = a.x + b.x, y = a.y + b.y }, Vec) end
Vec.__tostring = function(v) return string.format("(%g, %g)", v.x, v.y) end
local function vec(x, y) return setmetatable({ x = x, y = y }, Vec) end

local function sum(...)
  local s = 0
  for i = 1, select("#", ...) do s = s + select(i, ...) end
  return s
end

local gen = coroutine.wrap(function()
  local a, b = 0, 1
  while true do coroutine.yield(a); a, b = b, a + b end
end)
local fib = {}
for i = 1, 30 do fib[i] = gen() end

local banner = [[
long string
  with "quotes" and ]] .. "\\escapes"

local i, odd = 0, {}
::again::
i = i + 1
if i % 2 == 1 then odd[#odd + 1] = i end
if i < 15 then goto again end

local lines = {
  "queens 8 = " .. queens(8),
  "vec " .. tostring(vec(1, 2) + vec(0.5, -4)),
  "sum " .. sum(1, 2, 3.5, 1 << 40, -7),
  "fib30 " .. fib[30],
  "odd " .. table.concat(odd, " "),
  "ints " .. math.maxinteger .. " " .. math.mininteger .. " " .. 7 // 2 .. " " .. 7 / 2,
  "banner " .. banner:gsub("\n", "|"),
}
local out = assert(io.open(root .. "/prog-output.txt", "w"))
for _, l in ipairs(lines) do print(l); out:write(l, "\n") end
out:close()

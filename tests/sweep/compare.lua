-- muonlab tests/sweep/compare.lua A B: do two sweep results files hold the same rows?
-- Rows are matched by their configuration columns (the columns before the values, as named in
-- A.grid or B.grid when present, else the first 3) and compared field by field by column
-- name, ignoring wall_time. Also checks each file: every line complete (the file ends in a
-- newline, every row has the header's field count) and no configuration twice.
-- Prints "same N rows" and exits 0, or lists the differences and exits 1.
local sweep = require "muonlab.sweep"

local a_path, b_path = arg[1], arg[2]
local problems = {}
local function problem(fmt, ...) problems[#problems + 1] = fmt:format(...) end

local function load(path)
  local f = io.open(path, "rb")
  if not f then problem("%s: missing", path); return nil end
  local content = f:read("a")
  f:close()
  if content:sub(-1) ~= "\n" then problem("%s: does not end with a newline (a partial line)", path) end
  local res = sweep.read_results(path)
  if not res then problem("%s: empty", path); return nil end
  if #res.bad > 0 then problem("%s: %d malformed line(s), e.g. %q", path, #res.bad, res.bad[1]) end
  local g = sweep.read_grid(path .. ".grid")
  local ncfg = g and #g.names or 3
  local rows, n = {}, 0
  for _, fields in ipairs(res.rows) do
    local key = sweep.row_key(fields, ncfg)
    if rows[key] then problem("%s: configuration %s twice", path, key) end
    local r = {}
    for i, c in ipairs(res.columns) do if c ~= "wall_time" then r[c] = sweep.unquote(fields[i]) end end
    rows[key] = r
    n = n + 1
  end
  return rows, n
end

local a, na = load(a_path)
local b, nb = load(b_path)
if a and b then
  if na ~= nb then problem("%s has %d rows, %s has %d", a_path, na, b_path, nb) end
  for key, ra in pairs(a) do
    local rb = b[key]
    if not rb then
      problem("%s missing from %s", key, b_path)
    else
      for c, v in pairs(ra) do
        if (rb[c] or "") ~= v then problem("%s: %s = %q in %s but %q in %s", key, c, v, a_path, tostring(rb[c]), b_path) end
      end
      for c, v in pairs(rb) do
        if ra[c] == nil and v ~= "" then problem("%s: column %s only in %s", key, c, b_path) end
      end
    end
  end
  for key in pairs(b) do if not a[key] then problem("%s missing from %s", key, a_path) end end
end
if #problems > 0 then
  for i = 1, math.min(#problems, 20) do io.stderr:write("compare: ", problems[i], "\n") end
  os.exit(1)
end
print(("same %d rows"):format(na))

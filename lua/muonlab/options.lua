-- muonlab.options: the one option checker of the Lua library (optim, models, data, plot,
-- sweep, muon_update), and the tables ml.help renders, so a call and its help cannot disagree.
--
-- A schema maps each option name to an entry {default, check, doc, show = ...}:
--   default  the value used when the option is absent (nil: optional, no value)
--   check    a kind name of M.kinds ("pos", "unit", ...), a list of allowed values {"a", "b"},
--            or a kind made by M.int(lo, hi) / M.num(lo, hi, strict)
--   doc      one line for ml.help
--   show     how help prints the default when the value says little ("the schedule's length")
--   required = true  the option must be given
-- M.check raises the C bindings' format (lua/lauxml.c, mlua_checkopts), at the caller's line:
--   bad argument #1 to 'muon' (option 'lr': a finite number >= 0 expected, got string)
--   bad argument #1 to 'muon' (unknown option 'lrr' (did you mean 'lr'? expected one of: adaptive, beta, ...))
-- "got" names the type when the type is wrong and shows the value when only the value is.
local M = {}

local function fmt(v)
  if type(v) == "string" then return ("%q"):format(v) end
  return tostring(v)
end
M.fmt = fmt

local function finite(v) return v == v and v > -math.huge and v < math.huge end
local function is_int(v) return math.type(v) == "integer" or (type(v) == "number" and finite(v) and v == math.floor(v)) end

-- A kind: the Lua types it accepts (space separated), what help and errors call it, a test.
local function kind(types, what, test) return { types = types, what = what, test = test or function() return true end } end
M.kind = kind

-- Every schema by the name of the function it checks, for ml.help.
M.schemas = {}
function M.register(name, schema)
  M.schemas[name] = schema
  return schema
end

M.kinds = {
  number = kind("number", "a number", function(v) return v == v end),
  finite = kind("number", "a finite number", finite),
  nonneg = kind("number", "a finite number >= 0", function(v) return finite(v) and v >= 0 end),
  pos = kind("number", "a finite number > 0", function(v) return finite(v) and v > 0 end),
  unit = kind("number", "a number in [0, 1)", function(v) return v >= 0 and v < 1 end),
  closed_unit = kind("number", "a number in [0, 1]", function(v) return v >= 0 and v <= 1 end),
  integer = kind("number", "an integer", is_int),
  posint = kind("number", "an integer in 1..1000", function(v) return is_int(v) and v >= 1 and v <= 1000 end),
  boolean = kind("boolean", "a boolean"),
  string = kind("string", "a string"),
  table = kind("table", "a table"),
  ["function"] = kind("function", "a function"),
  coeffs = kind("string table", "a schedule name or a list of coefficients"),
  any_scale = kind("string number", "a name or a number"),
  -- a loss lower bound: any number but NaN and +inf (-math.huge switches Momo off)
  fstar = kind("number", "a number < math.huge", function(v) return v == v and v < math.huge end),
  -- a pair {a, b} of positive integers (figure sizes, layouts)
  int_pair = kind("table", "a pair {a, b} of positive integers", function(v)
    return is_int(v[1]) and is_int(v[2]) and v[1] >= 1 and v[2] >= 1 end),
  dtype = { "float64", "float32" },
  split = kind("string function", "\"heads\" or a function(i, p) returning {rows = r} | {cols = c} | nil",
    function(v) return v == "heads" or type(v) == "function" end),
  model = kind("table userdata", "a model with a qk_clip(tau) method (ml.models.gpt)",
    function(v) return type(v.qk_clip) == "function" end),
  -- a parameter selector of ml.optim (muonlab.optim.select): indices, kinds or a predicate
  any_selector = kind("string table function", "a kind name, a list of kinds or indices, or a function"),
}

-- An integer >= lo (and <= hi); integer-valued floats are accepted and converted.
function M.int(lo, hi)
  local what = hi and ("an integer in %d..%d"):format(lo, hi) or lo and ("an integer >= %d"):format(lo) or "an integer"
  return kind("number", what, function(v) return is_int(v) and (not lo or v >= lo) and (not hi or v <= hi) end)
end

-- A finite number >= lo (> lo when strict) and <= hi (< hi when strict_hi).
function M.num(lo, hi, strict, strict_hi)
  local parts = {}
  if lo then parts[#parts + 1] = (strict and "> %g" or ">= %g"):format(lo) end
  if hi then parts[#parts + 1] = (strict_hi and "< %g" or "<= %g"):format(hi) end
  local what = "a finite number" .. (#parts > 0 and " " .. table.concat(parts, " and ") or "")
  return kind("number", what, function(v)
    return finite(v) and (not lo or v > lo or (not strict and v == lo)) and (not hi or v < hi or (not strict_hi and v == hi))
  end)
end

local function resolve(check)
  if type(check) == "string" then
    local k = M.kinds[check]
    assert(k, "options: unknown kind " .. check)
    check = k
  end
  if check.what then return check end
  -- a list of allowed values
  local names, types = {}, {}
  for i, a in ipairs(check) do
    names[i] = fmt(a)
    types[#types + 1] = type(a)
  end
  return kind(table.concat(types, " "), "one of " .. table.concat(names, ", "), function(v)
    for _, a in ipairs(check) do if v == a then return true end end
    return false
  end)
end

-- What help prints as the option's type ("a finite number > 0", "one of \"ns\", \"polar\"").
function M.what(entry) return resolve(entry[2]).what end

-- `bad argument #argn to 'fname' (msg)`, raised `level` frames above the caller (as error()).
function M.fail(fname, argn, msg, level)
  error(("bad argument #%d to '%s' (%s)"):format(argn or 1, fname, msg), level == 0 and 0 or (level or 1) + 1)
end

-- The message of one option's value (nil when it passes).
function M.problem(key, entry, v)
  local c = resolve(entry[2])
  if not c.types:find(type(v), 1, true) then
    return ("option '%s': %s expected, got %s"):format(key, c.what, type(v))
  end
  if not c.test(v) then return ("option '%s': %s expected, got %s"):format(key, c.what, fmt(v)) end
end

-- Edit distance (Levenshtein) between two strings.
local function distance(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = { [0] = i }
    for j = 1, #b do
      local cost = a:sub(i, i) == b:sub(j, j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev = cur
  end
  return prev[#b]
end

-- The name of `known` (a set) closest to a misspelt key k (at most 2 edits away), or nil.
function M.suggest(k, known)
  if type(k) ~= "string" then return nil end
  local best, bestd
  for name in pairs(known) do
    local d = distance(k, name)
    if d <= 2 and (not bestd or d < bestd or (d == bestd and name < best)) then best, bestd = name, d end
  end
  return best
end

function M.names(schema)
  local t = {}
  for k in pairs(schema) do t[#t + 1] = k end
  table.sort(t)
  return t
end

-- The order in which offending option keys are reported: numbers, then other non-strings, then
-- strings, each in order (lua/lauxml.c's key_before is the same rule).
local function key_before(a, b)
  local sa, sb = type(a) == "string", type(b) == "string"
  if sa ~= sb then return sb end
  local na, nb = math.type(a) ~= nil, math.type(b) ~= nil
  if na ~= nb then return na end
  return (sa or na) and a < b
end
M.key_before = key_before

-- check(fname, opts, schema[, argn = 1[, level = 2[, prefix]]]) -> a new table: every option of
-- the schema, the user's value or the default (integer kinds give integers). level as error()'s,
-- counted from the function calling check (2: that function's caller, the user's line; 0: no
-- position). prefix names a nested table in the messages: "series[2]." gives
-- option 'series[2].with': ... and option 'series[2]': a table expected, got number.
function M.check(fname, opts, schema, argn, level, prefix)
  argn, level, prefix = argn or 1, level == 0 and 0 or (level or 2) + 1, prefix or ""
  if opts ~= nil and type(opts) ~= "table" then
    local msg = ("table expected, got %s"):format(type(opts))
    M.fail(fname, argn, prefix == "" and msg or ("option '%s': a %s"):format((prefix:gsub("%.$", "")), msg), level)
  end
  opts = opts or {}
  -- Of several offending keys the least (key_before) is reported, not the first pairs() gives,
  -- so one script raises one message from run to run.
  local bad
  for k in pairs(opts) do
    if (type(k) ~= "string" or not schema[k]) and (bad == nil or key_before(k, bad)) then bad = k end
  end
  if bad ~= nil then
    local best = M.suggest(bad, schema)
    local hint = best and ("did you mean '%s'? "):format(best)
      or math.type(bad) == "integer" and "options are named, {name = value}, not a list; " or ""
    M.fail(fname, argn, ("unknown option %s (%sexpected one of: %s)"):format(type(bad) == "string" and "'" .. prefix .. bad .. "'" or fmt(bad),
      hint, table.concat(M.names(schema), ", ")), level)
  end
  local out, bad_key, bad_msg = {}
  for k, entry in pairs(schema) do
    local v, msg = opts[k], nil
    if v == nil then
      v = entry[1]
      if entry.required then msg = ("option '%s': %s expected, got nil"):format(prefix .. k, M.what(entry)) end
    else
      msg = M.problem(prefix .. k, entry, v)
      if not msg and math.type(v) == "float" and resolve(entry[2]).what:find("^an integer") then v = math.tointeger(v) end
    end
    if msg and (bad_key == nil or k < bad_key) then bad_key, bad_msg = k, msg end
    out[k] = v
  end
  if bad_msg then M.fail(fname, argn, bad_msg, level) end
  return out
end

-- The inner message of a "bad argument" error (position and prefix removed), for a function
-- that passes a nested option table on: option 'muon': option 'lr': ...
function M.inner(msg)
  msg = tostring(msg):gsub("^[^:\n]*:%d+: ", "")
  return msg:match("^bad argument #%d+ to '[^']*' %((.*)%)$") or msg
end

return M

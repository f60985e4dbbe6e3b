-- muonlab.sweep: a resumable, shardable experiment runner.
--
--   ml.sweep{
--     out  = "results/lr.csv",          -- one CSV row per finished configuration (results/ is created)
--     grid = {optimizer = {"muon", "adamw"}, lr = {1e-3, 1e-2}, seed = {1, 2, 3}},
--     run  = function(cfg) ... return {loss = ..., acc = ...} end,
--   }
--
-- Order. The grid is the cartesian product with the keys sorted by name (or in `order`),
-- each key's values in the order given, the LAST key varying fastest: configuration i
-- (1-based) is the i-th entry of that odometer. Above: adamw/1e-3/1, adamw/1e-3/2, ...
--
-- Rows. Each row is the configuration's columns, the values `run` returned (one column per
-- key, columns added as new keys appear), then status (ok | diverged | error), message and
-- wall_time (seconds). A row is appended with one write(2) + fsync (ml.append_line), so a
-- crash or kill -9 loses at most the configuration in flight, never leaves half a line and
-- never writes a row twice; the file is locked (out.lock) while a sweep writes it.
--
-- Status. `run` returning a table whose numbers include NaN/Inf, or a `diverged_at = step`
-- value, or raising an error that mentions "diverged" (e.g. error("diverged at step 37")),
-- gives `diverged`; any other error gives `error` with the message. The sweep goes on.
-- `run` may also return status = "ok"|"diverged"|"error" and message = "..." itself. What
-- cannot be written as it is -- a NUL byte in a value or message, a __tostring that raises --
-- gives an `error` row with a clean message, so a resume never stops at the same place.
--
-- Resume. Rerunning skips the configurations already in `out` (matched by the text of their
-- configuration columns); a partial last line left by a crash is dropped first. `--fresh`
-- (or fresh = true) moves the old file aside to `out.old-<YYYYmmdd-HHMMSS>` and starts over.
--
-- Shards. `--shard K/N` (0 <= K < N) runs configurations i with (i - 1) % N == K into
-- `out` with ".shardK-of-N" before the extension. Without the flag the shard comes from the
-- environment: Open MPI (OMPI_COMM_WORLD_RANK/SIZE), PMI (PMI_RANK/SIZE), a Slurm array
-- (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_COUNT) or Slurm tasks
-- (SLURM_PROCID/SLURM_NTASKS). Every shard also writes the grid to `out.grid` (the sidecar
-- `muonlab merge OUT` reads: count, fingerprint, axes, number of shards). N may not exceed
-- the grid's size, and the grid at most 2^53 configurations. The lock is `<file>.lock` of the
-- resolved file (ml.resolve_path), so a symbolic link to a results file shares its lock.
--
-- Flags come from the script's `arg` (or opts.argv); other arguments are left to the script.
-- Options: out, grid, run, argv, fresh, shard ("K/N"), order (list of keys), columns (value
-- columns to create up front), progress (false, or seconds between progress lines; default 1;
-- warnings are written even without progress), log (function(line) receiving progress lines
-- and warnings; default: stderr), getenv (a function replacing os.getenv, for tests).
local atomic = require "muonlab.atomic"
local core = require "muonlab.core"
local csv = require "muonlab.csv"

local options = require "muonlab.options"

local M = {}

local RESERVED = { status = true, message = true, wall_time = true }
local TAIL = { "status", "message", "wall_time" }

---------------------------------------------------------------------------------------------
-- CSV text: fields are written once and compared as text afterwards.

-- The CSV dialect is muonlab.csv's (RFC 4180 quoting, round-trip numbers); a sweep row is
-- also one line (append_line writes whole lines), so line breaks in strings become spaces.
local number_text = csv.number

-- Text fit for a one-line row: line breaks as spaces, NUL bytes shown as \0.
local function one_line(v) return (v:gsub("\0", "\\0"):gsub("[\r\n]+", " ")) end

-- One CSV field of a row.
function M.field(v)
  if type(v) == "number" then return number_text(v) end
  return csv.field(one_line(tostring(v)))
end

M.split, M.unquote = csv.split, csv.unquote

-- The largest grid we run: configurations are numbered by Lua integers and the index of
-- every configuration must be exact in a double too.
M.MAX_CONFIGS = 2 ^ 53

-- Read a results file: columns (unquoted), rows (lists of raw fields) with their line numbers
-- (linenos), and what was dropped: a partial last line (the file does not end in "\n") and
-- lines with the wrong field count. CRLF line ends are read as LF. Returns nil when the file
-- is missing or empty.
function M.read_results(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local content = f:read("a")
  f:close()
  if not content or content == "" then return nil end
  local res = { partial = 0, bad = {}, rows = {}, lines = {}, linenos = {} }
  if content:sub(-1) ~= "\n" then
    local last = content:match(".*()\n")
    local complete = last and content:sub(1, last) or ""
    res.partial = #content - #complete
    content = complete
  end
  local first, lineno = true, 0
  for line in content:gmatch("([^\n]*)\n") do
    lineno = lineno + 1
    if line:sub(-1) == "\r" then line = line:sub(1, -2) end   -- a CRLF file (edited on Windows)
    if first then
      local h = M.split(line)
      if not h then return nil, ("%s: malformed header line"):format(path) end
      res.header_line = line
      res.columns = {}
      for i, c in ipairs(h) do res.columns[i] = M.unquote(c) end
      first = false
    elseif line ~= "" then
      local fields = M.split(line)
      if fields and #fields == #res.columns then
        res.rows[#res.rows + 1] = fields
        res.lines[#res.lines + 1] = line
        res.linenos[#res.rows] = lineno
      else
        res.bad[#res.bad + 1] = line
      end
    end
  end
  if first then return nil end   -- only a partial header: as good as empty
  return res
end

---------------------------------------------------------------------------------------------
-- The grid.

local function scalar(v) local t = type(v); return t == "number" or t == "string" or t == "boolean" end

-- An option error of ml.sweep in the one format (muonlab.options); level as error()'s, counted
-- from the function calling bad (3 from a helper of M.sweep: the user's line).
local function bad(level, fmt, ...)
  options.fail("sweep", 1, fmt:format(...), level + 1)
end

-- grid table -> {names = {...}, values = {name = list}, texts = {name = list}, total = n}
function M.normalize_grid(grid, order)
  if type(grid) ~= "table" then bad(3, "option 'grid': a table of lists expected, got %s", type(grid)) end
  local names = {}
  for k in pairs(grid) do
    if type(k) ~= "string" then bad(3, "option 'grid': string keys expected, got %s", type(k)) end
    if k == "" or k:find('[,"\r\n]') then bad(3, "option 'grid': keys without commas, quotes or newlines expected, got %q", k) end
    if RESERVED[k] then bad(3, "option 'grid': key '%s' is reserved for the row's own column", k) end
    names[#names + 1] = k
  end
  if #names == 0 then bad(3, "option 'grid': a non-empty table expected, got {}") end
  table.sort(names)
  if order ~= nil then
    if type(order) ~= "table" then bad(3, "option 'order': a list of the grid's keys expected, got %s", type(order)) end
    local seen = {}
    for _, k in ipairs(order) do
      if grid[k] == nil or seen[k] then bad(3, "option 'order': each grid key once expected (bad: %s)", tostring(k)) end
      seen[k] = true
    end
    if #order ~= #names then bad(3, "option 'order': every grid key expected") end
    names = { table.unpack(order) }
  end
  local g = { names = names, values = {}, texts = {}, total = 1 }
  for _, k in ipairs(names) do
    local vals = grid[k]
    if scalar(vals) then vals = { vals } end
    if type(vals) ~= "table" or #vals == 0 then
      bad(3, "option 'grid.%s': a non-empty list of values expected", k)
    end
    local texts, seen = {}, {}
    for i, v in ipairs(vals) do
      if not scalar(v) then
        bad(3, "option 'grid.%s[%d]': a number, string or boolean expected, got %s", k, i, type(v))
      end
      if type(v) == "number" and v ~= v then bad(3, "option 'grid.%s[%d]': a number expected, got nan", k, i) end
      if type(v) == "string" and v:find("[\0\r\n]") then
        bad(3, "option 'grid.%s[%d]': a string without NUL bytes or line breaks expected", k, i)
      end
      local t = M.field(v)
      if seen[t] then bad(3, "option 'grid.%s': distinct values expected, got %s twice", k, t) end
      seen[t] = true
      texts[i] = t
    end
    g.values[k], g.texts[k] = { table.unpack(vals) }, texts
    if g.total > M.MAX_CONFIGS // #vals then
      bad(3, "option 'grid': more than 2^53 configurations (the product of its list lengths); "
        .. "split it into several sweeps")
    end
    g.total = g.total * #vals
  end
  return g
end

-- Configuration i (1-based; the last key varies fastest): cfg table and its key text.
function M.config_at(g, i)
  local idx, cfg, texts = i - 1, {}, {}
  for k = #g.names, 1, -1 do
    local name = g.names[k]
    local n = #g.values[name]
    local j = idx % n + 1
    idx = idx // n
    cfg[name] = g.values[name][j]
    texts[k] = g.texts[name][j]
  end
  return cfg, table.concat(texts, ",")
end

-- "lr=0.01 seed=2" from a key text, for messages.
function M.describe(names, key)
  local f = M.split(key) or { key }
  local out = {}
  for i, name in ipairs(names) do out[i] = name .. "=" .. (f[i] and M.unquote(f[i]) or "?") end
  return table.concat(out, " ")
end

-- The key text of a row (its configuration columns).
function M.row_key(fields, ncfg) return table.concat(fields, ",", 1, ncfg) end

-- FNV-1a, 64 bit (Lua integers wrap), as 16 hex digits.
local function fnv1a(s)
  local h = -3750763034362895579   -- 0xcbf29ce484222325
  for i = 1, #s do
    h = (h ~ s:byte(i)) * 1099511628211
  end
  return ("%016x"):format(h)
end

-- The sidecar text: axes in column order with their values as written in rows.
function M.grid_text(g, nshards)
  local axes = {}
  for _, k in ipairs(g.names) do axes[#axes + 1] = "axis," .. k .. "," .. table.concat(g.texts[k], ",") end
  local body = table.concat(axes, "\n")
  return table.concat({
    "# muonlab sweep grid: written by every shard of the sweep, read by `muonlab merge`",
    "version,1",
    "total," .. g.total,
    "fingerprint," .. fnv1a(body),
    "shards," .. nshards,
    body,
  }, "\n") .. "\n"
end

-- Read a sidecar back: {names, texts = {name = raw list}, total, fingerprint, shards}.
function M.read_grid(path)
  local f = io.open(path, "rb")
  if not f then return nil, ("%s not found"):format(path) end
  local g = { names = {}, texts = {}, total = 1 }
  local axes = {}
  for line in f:lines() do
    if line:sub(-1) == "\r" then line = line:sub(1, -2) end
    if line ~= "" and line:sub(1, 1) ~= "#" then
      local fields = M.split(line)
      if not fields or #fields < 2 then f:close(); return nil, ("%s: malformed line %q"):format(path, line) end
      local tag = fields[1]
      if tag == "version" then
        if fields[2] ~= "1" then f:close(); return nil, ("%s: unknown version %s"):format(path, fields[2]) end
      elseif tag == "total" then g.declared_total = tonumber(fields[2])
      elseif tag == "fingerprint" then g.fingerprint = fields[2]
      elseif tag == "shards" then g.shards = math.tointeger(tonumber(fields[2]))
      elseif tag == "axis" then
        local name = fields[2]
        g.names[#g.names + 1] = name
        g.texts[name] = { table.unpack(fields, 3) }
        if #g.texts[name] == 0 then f:close(); return nil, ("%s: axis %s has no values"):format(path, name) end
        if g.total > M.MAX_CONFIGS // #g.texts[name] then
          f:close()
          return nil, ("%s: the grid has more than 2^53 configurations"):format(path)
        end
        g.total = g.total * #g.texts[name]
        axes[#axes + 1] = line
      end
    end
  end
  f:close()
  if #g.names == 0 then return nil, ("%s: no axes"):format(path) end
  if g.declared_total ~= g.total or g.fingerprint ~= fnv1a(table.concat(axes, "\n")) then
    return nil, ("%s: inconsistent (total or fingerprint does not match the axes)"):format(path)
  end
  g.values = g.texts
  return g
end

---------------------------------------------------------------------------------------------
-- Shards.

-- from: "option" (ml.sweep's shard: an option error at the user's line) or "--shard".
local function parse_shard(s, from)
  local k, n = tostring(s):match("^%s*(%d+)%s*/%s*(%d+)%s*$")
  k, n = tonumber(k), tonumber(n)
  if not k or n < 1 or k >= n then
    if from == "option" then bad(3, "option 'shard': K/N with 0 <= K < N expected, got '%s'", tostring(s)) end
    error(("sweep: %s: shard must be K/N with 0 <= K < N, got '%s'"):format(from, tostring(s)), 0)
  end
  return k, n
end

-- The shard from the environment: K, N, source (nil when none applies).
function M.env_shard(getenv)
  local function int(name)
    local v = getenv(name)
    return v and math.tointeger(tonumber(v))
  end
  local r, s = int "OMPI_COMM_WORLD_RANK", int "OMPI_COMM_WORLD_SIZE"
  if r and s then return r, s, "Open MPI (OMPI_COMM_WORLD_RANK/SIZE)" end
  r, s = int "PMI_RANK", int "PMI_SIZE"
  if r and s then return r, s, "PMI (PMI_RANK/PMI_SIZE)" end
  local id, count = int "SLURM_ARRAY_TASK_ID", int "SLURM_ARRAY_TASK_COUNT"
  if id and count then
    local min, step = int "SLURM_ARRAY_TASK_MIN" or 0, int "SLURM_ARRAY_TASK_STEP" or 1
    if step < 1 or (id - min) % step ~= 0 then
      error("sweep: cannot derive a shard from SLURM_ARRAY_TASK_ID (use a contiguous --array=0-N)", 0)
    end
    return (id - min) // step, count, "Slurm array (SLURM_ARRAY_TASK_ID/COUNT)"
  end
  r, s = int "SLURM_PROCID", int "SLURM_NTASKS"
  if r and s then return r, s, "Slurm tasks (SLURM_PROCID/SLURM_NTASKS)" end
end

-- "dir/x.csv" -> "dir/x.shardK-of-N.csv" ("x" -> "x.shardK-of-N").
function M.shard_path(path, k, n)
  local dir, base = path:match("^(.-)([^/]*)$")
  local stem, ext = base:match("^(.+)(%.[^.]*)$")
  if not stem then stem, ext = base, "" end
  return ("%s%s.shard%d-of-%d%s"):format(dir, stem, k, n, ext)
end

local function parse_argv(argv)
  local flags = {}
  if type(argv) ~= "table" then return flags end
  local i = 1
  while argv[i] ~= nil do
    local a = argv[i]
    if a == "--fresh" then
      flags.fresh = true
    elseif a == "--shard" then
      if argv[i + 1] == nil then error("sweep: --shard needs K/N", 0) end
      flags.shard = argv[i + 1]
      i = i + 1
    elseif type(a) == "string" and a:match("^%-%-shard=") then
      flags.shard = a:sub(9)
    end
    i = i + 1
  end
  return flags
end

---------------------------------------------------------------------------------------------
-- Writing.

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

local function move_aside(path)
  local base = path .. ".old-" .. os.date("%Y%m%d-%H%M%S")
  local dest, n = base, 1
  while exists(dest) do n = n + 1; dest = base .. "-" .. n end
  local ok, err = os.rename(path, dest)
  if not ok then error("sweep: cannot move '" .. path .. "' aside: " .. tostring(err), 0) end
  return dest
end

-- Rewrite the file with more value columns: new ones go just before status, empty in old rows.
local function add_columns(path, res, ncfg, nval, new)
  local header = {}
  for i = 1, ncfg + nval do header[#header + 1] = M.field(res.columns[i]) end
  for _, c in ipairs(new) do header[#header + 1] = M.field(c) end
  for _, c in ipairs(TAIL) do header[#header + 1] = c end
  local lines = { table.concat(header, ",") }
  local empty = (","):rep(#new)
  for _, fields in ipairs(res.rows) do
    lines[#lines + 1] = table.concat(fields, ",", 1, ncfg + nval) .. empty .. "," .. table.concat(fields, ",", ncfg + nval + 1)
  end
  atomic.write(path, table.concat(lines, "\n") .. "\n")
end

local function fmt_time(s)
  if s ~= s or s == math.huge then return "?" end
  s = math.floor(s + 0.5)
  return ("%d:%02d:%02d"):format(s // 3600, s // 60 % 60, s % 60)
end

local function is_finite(v) return v == v and v ~= math.huge and v ~= -math.huge end

-- tostring that cannot raise (a __tostring may): the text, or nil and why not.
local function safe_tostring(v)
  local ok, t = pcall(tostring, v)
  if ok and type(t) == "string" then return t end
  if ok then return nil, "__tostring returned a " .. type(t) end
  return nil, "__tostring raised " .. (type(t) == "string" and "'" .. one_line(t) .. "'" or "a " .. type(t))
end

-- Turn what run returned (or raised) into status, message and a table of values.
local function classify(ok, res, names_set)
  if not ok then
    local msg = one_line(res)
    if msg:lower():find("diverg", 1, true) then
      local step = tonumber(msg:match("[Ss]tep%s*#?%s*(%d+)"))
      return "diverged", msg, { diverged_at = step }
    end
    return "error", msg, {}
  end
  if res == nil then res = {} end
  if type(res) == "number" then res = { loss = res } end
  if type(res) ~= "table" then
    return "error", "run returned a " .. type(res) .. " (a table of values expected)", {}
  end
  local values, status, message = {}, nil, ""
  local order = {}   -- keys in order: of several bad ones, the same is reported every run
  for k in pairs(res) do order[#order + 1] = k end
  table.sort(order, options.key_before)
  for _, k in ipairs(order) do
    local v = res[k]
    if type(k) ~= "string" or k == "" or k:find('[,"\r\n\0]') then
      return "error", "run returned a bad key " .. M.field(safe_tostring(k) or type(k))
        .. " (names without commas, quotes, newlines or NUL bytes expected)", {}
    elseif k == "status" then
      if v ~= "ok" and v ~= "diverged" and v ~= "error" then
        return "error", "run returned status " .. tostring(v) .. " (ok, diverged or error expected)", {}
      end
      status = v
    elseif k == "message" then
      local t, why = safe_tostring(v)
      if not t then return "error", "run returned a message whose " .. why, {} end
      if t:find("\0", 1, true) then return "error", "run returned a message with a NUL byte: " .. one_line(t), {} end
      message = t
    elseif k == "wall_time" or names_set[k] then
      return "error", "run returned '" .. k .. "', which is a column of the sweep itself", {}
    elseif not scalar(v) then
      return "error", "run returned " .. k .. " = a " .. type(v) .. " (numbers, strings or booleans expected)", {}
    elseif type(v) == "string" and v:find("\0", 1, true) then
      return "error", "run returned " .. k .. " with a NUL byte: " .. one_line(v), {}
    else
      values[k] = v
    end
  end
  if not status then
    status = "ok"
    if values.diverged_at ~= nil then status = "diverged" end
    local keys = {}
    for k in pairs(values) do keys[#keys + 1] = k end
    table.sort(keys)
    for _, k in ipairs(keys) do
      local v = values[k]
      if type(v) == "number" and not is_finite(v) then
        status = "diverged"
        if message == "" then message = ("non-finite %s (%s)"):format(k, number_text(v)) end
        break
      end
    end
  end
  return status, message, values
end

local SCHEMA = options.register("sweep", {
  out = { nil, "string", "the results CSV (one row per finished configuration)", required = true },
  grid = { nil, "table", "{key = {values...}, ...}: the cartesian product is run", required = true },
  run = { nil, "function", "run(cfg) -> {name = number|string|boolean, ...} (or error(\"diverged at step N\"))", required = true },
  order = { nil, "table", "key order of the product (the last varies fastest)", show = "keys sorted by name" },
  columns = { nil, "table", "value columns known in advance (others are added as they appear)" },
  fresh = { nil, "boolean", "move the old results aside and start over (also --fresh)" },
  shard = { nil, "string", "\"K/N\": run configurations K+1, K+1+N, ... (also --shard, MPI/Slurm variables)" },
  progress = { 1, options.kind("boolean number", "a boolean or a number of seconds"), "seconds between progress lines on stderr (false: none)", show = "1" },
  log = { nil, "function", "log(line) receives the progress lines", show = "stderr" },
  argv = { nil, "table", "the script's arguments (--fresh, --shard)", show = "the global arg" },
  getenv = { nil, "function", "environment lookup (tests)", show = "os.getenv" },
})

function M.sweep(opts)
  options.check("sweep", opts, SCHEMA, 1, 2)
  if opts.out == "" then options.fail("sweep", 1, "option 'out': a file name expected, got \"\"", 2) end
  local g = M.normalize_grid(opts.grid, opts.order)
  local names_set = {}
  for _, k in ipairs(g.names) do names_set[k] = true end
  local ncfg = #g.names
  local preset = {}
  if opts.columns ~= nil then
    local seen = {}
    for _, c in ipairs(opts.columns) do
      if type(c) ~= "string" or c == "" or c:find('[,"\r\n]') or names_set[c] or RESERVED[c] or seen[c] then
        bad(2, "option 'columns': new, distinct value names expected (bad: %s)", tostring(c))
      end
      seen[c] = true
      preset[#preset + 1] = c
    end
  end

  local flags = parse_argv(opts.argv == nil and rawget(_G, "arg") or opts.argv)
  local fresh = flags.fresh or opts.fresh
  local getenv = opts.getenv or os.getenv
  local k, n, source
  if flags.shard then
    k, n = parse_shard(flags.shard, "--shard")
    source = "--shard"
  elseif opts.shard then
    k, n = parse_shard(opts.shard, "option")
    source = "option shard"
  else
    k, n, source = M.env_shard(getenv)
    if k and (n < 1 or k < 0 or k >= n) then
      error(("sweep: %s gives shard %d of %d"):format(source, k, n), 2)
    end
  end
  if not k then k, n = 0, 1 end
  if n > g.total then   -- before anything is written (the .grid sidecar records n)
    error(("sweep: %s asks for %d shards, but the grid has only %d configurations"):format(source, n, g.total), 2)
  end
  local path = n > 1 and M.shard_path(opts.out, k, n) or opts.out

  local progress = opts.progress
  if progress == nil or progress == true then progress = 1 end
  local log = opts.log or function(line) io.stderr:write(line, "\n") io.stderr:flush() end
  local function say(fmt, ...) if progress then log(fmt:format(...)) end end
  local function warn(fmt, ...) log(fmt:format(...)) end   -- even without progress lines
  local label = n > 1 and ("sweep %s [shard %d/%d]"):format(path, k, n) or ("sweep " .. path)

  local dir = path:match("^(.*)/[^/]*$")
  if dir and dir ~= "" then core.mkdir(dir, { parents = true }) end   -- out = "results/x.csv" creates results/
  -- The lock belongs to the file, not to its name: a symbolic link alias.csv -> real.csv
  -- (or a path through a linked directory) takes the lock of real.csv.
  local lock <close>, lerr = core.lock_file(core.resolve_path(path) .. ".lock")
  if not lock then error("sweep: " .. lerr .. "; is the same sweep (or shard) already running?", 2) end

  if fresh and exists(path) then warn("%s: --fresh: kept the old file as %s", label, move_aside(path)) end

  -- The sidecar for `muonlab merge`; identical for every shard, so concurrent writes agree.
  local gtext = M.grid_text(g, n)
  local gpath = opts.out .. ".grid"
  local gf = io.open(gpath, "rb")
  local old = gf and gf:read("a")
  if gf then gf:close() end
  if old ~= gtext then atomic.write(gpath, gtext) end

  -- What is already there.
  local res, rerr = M.read_results(path)
  if rerr then error("sweep: " .. rerr .. "; pass --fresh to start over (the old file is kept)", 2) end
  local value_cols, value_set = {}, {}
  local done = {}
  if res then
    local c = res.columns
    local okcols = #c >= ncfg + 3 and c[#c - 2] == "status" and c[#c - 1] == "message" and c[#c] == "wall_time"
    for i = 1, ncfg do okcols = okcols and c[i] == g.names[i] end
    if not okcols then
      error(("sweep: %s has columns (%s), not the grid's (%s, ..., status, message, wall_time); "
        .. "pass --fresh to start over (the old file is kept) or choose another 'out'")
        :format(path, table.concat(c, ", "), table.concat(g.names, ", ")), 2)
    end
    for i = ncfg + 1, #c - 3 do value_cols[#value_cols + 1] = c[i]; value_set[c[i]] = true end
    if res.partial > 0 or #res.bad > 0 then
      warn("%s: dropped %s%s left by an interrupted write; those configurations run again", label,
        res.partial > 0 and ("a partial last line (%d bytes)"):format(res.partial) or "",
        #res.bad > 0 and ((res.partial > 0 and " and " or "") .. #res.bad .. " malformed line(s)") or "")
      local kept = { res.header_line }
      for _, l in ipairs(res.lines) do kept[#kept + 1] = l end
      atomic.write(path, table.concat(kept, "\n") .. "\n")
    end
    for _, fields in ipairs(res.rows) do done[M.row_key(fields, ncfg)] = true end
  end

  -- Mine, in grid order.
  local todo, assigned, skipped = {}, 0, 0
  for i = k + 1, g.total, n do
    assigned = assigned + 1
    local _, key = M.config_at(g, i)
    if done[key] then skipped = skipped + 1 else todo[#todo + 1] = i end
  end
  say("%s: %d configurations in the grid, %d in this shard (from %s), %d already done, %d to run",
    label, g.total, assigned, source or "no sharding", skipped, #todo)

  local function header_line(cols)
    local header = {}
    for _, c in ipairs(g.names) do header[#header + 1] = c end
    for _, c in ipairs(cols) do header[#header + 1] = M.field(c) end
    for _, c in ipairs(TAIL) do header[#header + 1] = c end
    return table.concat(header, ",")
  end

  local function write_row(key, values, status, message, wall)
    if not exists(path) then   -- the first row of a new file: the header first
      value_cols, value_set = {}, {}
      for _, c in ipairs(preset) do value_cols[#value_cols + 1] = c; value_set[c] = true end
      atomic.write(path, header_line(value_cols) .. "\n")
    end
    -- keys never seen before become columns (sorted): a rare atomic rewrite of the file
    local new = {}
    for name in pairs(values) do if not value_set[name] then new[#new + 1] = name end end
    if #new > 0 then
      table.sort(new)
      local cur = M.read_results(path)
      add_columns(path, cur, ncfg, #value_cols, new)
      for _, c in ipairs(new) do value_cols[#value_cols + 1] = c; value_set[c] = true end
    end
    local fields = { key }
    for _, c in ipairs(value_cols) do fields[#fields + 1] = values[c] == nil and "" or M.field(values[c]) end
    fields[#fields + 1] = status
    fields[#fields + 1] = M.field(message)
    fields[#fields + 1] = number_text(tonumber(("%.6g"):format(wall)))
    core.append_line(path, table.concat(fields, ","))
  end

  local summary = { out = path, total = g.total, shard = k, nshards = n, assigned = assigned,
    skipped = skipped, ran = 0, ok = 0, diverged = 0, error = 0 }
  local t_start, t_last = core.now(), -math.huge
  local traced = false
  for j, i in ipairs(todo) do
    local cfg, key = M.config_at(g, i)
    local t0 = core.now()
    local ok, r = xpcall(opts.run, function(e)
      -- the error value may be anything, its __tostring may raise: never let that end the sweep
      local msg = type(e) == "string" and e or (type(e) == "table" and rawget(e, "message")) or e
      local text, why = safe_tostring(msg)
      text = text or ("an error value whose " .. why)
      return { msg = text, tb = debug.traceback(text, 2) }
    end, cfg)
    local wall = core.now() - t0
    if not ok and type(r) ~= "table" then   -- the handler itself failed (out of memory, ...)
      r = { msg = "error while handling an error: " .. one_line(tostring(r)), tb = "" }
    end
    if not ok then
      if not traced and progress and not tostring(r.msg):lower():find("diverg", 1, true) then
        log(("%s: %s raised an error (traceback shown once):\n%s"):format(label, M.describe(g.names, key), r.tb))
        traced = true
      end
      r = r.msg
    end
    local status, message, values = classify(ok, r, names_set)
    write_row(key, values, status, message, wall)
    summary.ran = summary.ran + 1
    summary[status] = summary[status] + 1
    local now = core.now()
    if progress and (j == 1 or j == #todo or status ~= "ok" or now - t_last >= progress) then
      t_last = now
      local rate = summary.ran / math.max(now - t_start, 1e-9)
      local shown = {}
      local vk = {}
      for name in pairs(values) do vk[#vk + 1] = name end
      table.sort(vk)
      for q = 1, math.min(#vk, 4) do shown[#shown + 1] = vk[q] .. "=" .. M.field(values[vk[q]]) end
      say("%s: %d/%d done, %.3g runs/s, ETA %s | %s: %s%s%s", label, skipped + summary.ran, assigned, rate,
        fmt_time((#todo - j) / rate), M.describe(g.names, key), status, #shown > 0 and " " .. table.concat(shown, " ") or "",
        message ~= "" and (" (" .. message:sub(1, 120) .. ")") or "")
    end
  end
  say("%s: finished: %d run (%d ok, %d diverged, %d error), %d skipped, in %s", label, summary.ran,
    summary.ok, summary.diverged, summary.error, skipped, fmt_time(core.now() - t_start))
  return summary
end

return M

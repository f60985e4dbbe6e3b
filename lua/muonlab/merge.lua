-- muonlab.merge: `muonlab merge OUT [--shards N]` combines the shard files of a sweep
-- (OUT with ".shardK-of-N" before the extension, K = 0..N-1) into OUT, atomically.
--
-- The grid comes from the sidecar OUT.grid that every shard writes (axes, count, fingerprint,
-- number of shards; --shards N overrides the latter). OUT is written only when every
-- configuration of the grid is present exactly once; otherwise merge fails and says which
-- configurations are missing (and in which shard they belong), which are present twice and
-- which rows are not in the grid. Rows come out in grid order; value columns are the union
-- of the shards' (in order of first appearance); the shard files are left as they are.
-- From Lua: require("muonlab.merge").merge(out [, {shards = N, quiet = true}]) -> summary.
local atomic = require "muonlab.atomic"
local csv = require "muonlab.csv"
local sweep = require "muonlab.sweep"

local M = {}

local TAIL = { "status", "message", "wall_time" }
local STATUS = { ok = true, diverged = true, error = true }
local SHOW = 5   -- examples listed per kind of problem

local function fail(fmt, ...) error("merge: " .. fmt:format(...), 0) end

function M.merge(out, opts)
  opts = opts or {}
  if type(out) ~= "string" or out == "" then fail("OUT must be a file name") end
  local g, err = sweep.read_grid(out .. ".grid")
  if not g then
    fail("%s (every shard of ml.sweep{out = %q, ...} writes it; run the sweep first)", err, out)
  end
  local n = opts.shards or g.shards
  if math.type(n) ~= "integer" or n < 1 then fail("number of shards unknown (pass --shards N)") end
  if n > g.total then   -- a sweep never runs more shards than configurations
    fail("%d shards for a grid of %d configurations (%s.grid); pass the --shards the sweep ran with", n, g.total, out)
  end
  if n == 1 then
    fail("%s.grid says the sweep ran unsharded, so %s is already the whole result (pass --shards N to merge shard files)",
      out, out)
  end
  local ncfg = #g.names

  local index = {}
  for i = 1, g.total do
    local _, key = sweep.config_at(g, i)
    index[key] = i
  end

  local rows_at, from = {}, {}
  local missing_files, dups, extra, notes = {}, {}, {}, {}
  local value_cols, value_set = {}, {}
  local nfiles = 0
  for k = 0, n - 1 do
    local p = sweep.shard_path(out, k, n)
    local res, rerr = sweep.read_results(p)
    if rerr then fail("%s", rerr) end
    if not res then
      missing_files[#missing_files + 1] = p
    else
      nfiles = nfiles + 1
      local c = res.columns
      local okcols = #c >= ncfg + 3 and c[#c - 2] == "status" and c[#c - 1] == "message" and c[#c] == "wall_time"
      for i = 1, ncfg do okcols = okcols and c[i] == g.names[i] end
      if not okcols then
        fail("%s has columns (%s), but %s.grid has the axes (%s)", p, table.concat(c, ", "), out,
          table.concat(g.names, ", "))
      end
      if res.partial > 0 or #res.bad > 0 then
        notes[#notes + 1] = ("%s: ignored %s (an interrupted write; rerun that shard)"):format(p,
          res.partial > 0 and "a partial last line" or (#res.bad .. " malformed line(s)"))
      end
      res.colindex = {}
      for i = ncfg + 1, #c do
        res.colindex[c[i]] = i
        if i <= #c - 3 and not value_set[c[i]] then value_cols[#value_cols + 1] = c[i]; value_set[c[i]] = true end
      end
      local scol = res.colindex.status
      for r, fields in ipairs(res.rows) do
        if not STATUS[fields[scol]] then
          fail("%s: line %d: unknown status %s (ok, diverged or error expected)", p, res.linenos[r],
            csv.field(csv.unquote(fields[scol])))
        end
        local key = sweep.row_key(fields, ncfg)
        local i = index[key]
        if not i then
          extra[#extra + 1] = ("%s (in %s)"):format(sweep.describe(g.names, key), p)
        elseif rows_at[i] then
          dups[#dups + 1] = ("%s (in %s and %s)"):format(sweep.describe(g.names, key), from[i], p)
        else
          rows_at[i] = { res = res, fields = fields }
          from[i] = p
        end
      end
    end
  end

  local missing = {}
  for i = 1, g.total do if not rows_at[i] then missing[#missing + 1] = i end end
  if not opts.quiet then for _, s in ipairs(notes) do io.stderr:write("muonlab merge: ", s, "\n") end end
  if #missing > 0 or #dups > 0 or #extra > 0 then
    local msg = { ("%s not written:"):format(out) }
    if #missing > 0 then
      local ex = {}
      for q = 1, math.min(#missing, SHOW) do
        local i = missing[q]
        local _, key = sweep.config_at(g, i)
        ex[q] = ("    %s (shard %d of %d)"):format(sweep.describe(g.names, key), (i - 1) % n, n)
      end
      msg[#msg + 1] = ("  %d of %d configurations missing%s:\n%s"):format(#missing, g.total,
        #missing > SHOW and (", the first " .. SHOW) or "", table.concat(ex, "\n"))
      if #missing_files > 0 then
        msg[#msg + 1] = ("  shard files missing or empty: %s"):format(table.concat(missing_files, ", "))
      end
    end
    if #dups > 0 then
      msg[#msg + 1] = ("  %d configuration(s) present twice:\n    %s"):format(#dups,
        table.concat(dups, "\n    ", 1, math.min(#dups, SHOW)))
    end
    if #extra > 0 then
      msg[#msg + 1] = ("  %d row(s) not in the grid of %s.grid (did the grid change? rerun with --fresh):\n    %s")
        :format(#extra, out, table.concat(extra, "\n    ", 1, math.min(#extra, SHOW)))
    end
    error("merge: " .. table.concat(msg, "\n"), 0)
  end

  local header = {}
  for _, c in ipairs(g.names) do header[#header + 1] = c end
  for _, c in ipairs(value_cols) do header[#header + 1] = csv.field(c) end
  for _, c in ipairs(TAIL) do header[#header + 1] = c end
  local lines = { table.concat(header, ",") }
  local counts = { ok = 0, diverged = 0, error = 0 }
  for i = 1, g.total do
    local r = rows_at[i]
    local fields = { sweep.row_key(r.fields, ncfg) }
    for _, c in ipairs(value_cols) do
      local j = r.res.colindex[c]
      fields[#fields + 1] = j and r.fields[j] or ""
    end
    for _, c in ipairs(TAIL) do fields[#fields + 1] = r.fields[r.res.colindex[c]] end
    local st = r.fields[r.res.colindex.status]
    counts[st] = (counts[st] or 0) + 1
    lines[#lines + 1] = table.concat(fields, ",")
  end
  atomic.write(out, table.concat(lines, "\n") .. "\n")
  local summary = { out = out, rows = g.total, files = nfiles, shards = n, ok = counts.ok, diverged = counts.diverged,
    error = counts.error }
  if not opts.quiet then
    io.write(("muonlab merge: wrote %s: %d rows from %d shard files (ok %d, diverged %d, error %d)\n"):format(out,
      g.total, nfiles, counts.ok, counts.diverged, counts.error))
  end
  return summary
end

local USAGE = [[
usage: muonlab merge OUT [--shards N]
Combine the shard files of a sweep (OUT with .shardK-of-N before the extension) into OUT.
The grid and N come from OUT.grid, which every shard writes; --shards N overrides N.
Fails, writing nothing, when a configuration is missing or present twice.]]

-- The host's `muonlab merge ...`: args are the words after "merge". Returns the exit status.
function M.main(args)
  local out, shards
  local i = 1
  while args[i] do
    local a = args[i]
    if a == "--help" or a == "-h" then
      print(USAGE)
      return 0
    elseif a == "--shards" or a:match("^%-%-shards=") then
      local v = a:match("^%-%-shards=(.*)$")
      if not v then i = i + 1; v = args[i] end
      shards = math.tointeger(tonumber(v or ""))
      if not shards or shards < 1 then
        io.stderr:write("muonlab merge: --shards needs a positive integer\n", USAGE, "\n")
        return 2
      end
    elseif a:sub(1, 1) == "-" or out then
      io.stderr:write("muonlab merge: unexpected argument '", a, "'\n", USAGE, "\n")
      return 2
    else
      out = a
    end
    i = i + 1
  end
  if not out then
    io.stderr:write(USAGE, "\n")
    return 2
  end
  local ok, err = pcall(M.merge, out, { shards = shards })
  if not ok then
    io.stderr:write("muonlab ", tostring(err), "\n")
    return 1
  end
  return 0
end

return M

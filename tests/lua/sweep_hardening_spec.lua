-- Sweeps that survive bad rows and bad requests (issue 12 items 10 and 12), and the one CSV
-- dialect they share with muonlab.csv (issue 13 item 9). Every sweep passes argv = {} and
-- its own getenv, so a surrounding Slurm or MPI job cannot shard it.
local ml = require "muonlab"
local sweep = require "muonlab.sweep"
local merge = require "muonlab.merge"
local csv = require "muonlab.csv"

local HOST = os.getenv("MUONLAB_HOST") or "bin/muonlab"

local H = dofile("tests/lua/file_helper.lua")
local tmpdir, slurp, spit = H.tmpdir, H.slurp, H.spit
teardown(H.cleanup)

local function run_sweep(opts)
  local o = { argv = {}, getenv = function() return nil end, progress = false, log = function() end }
  for k, v in pairs(opts) do o[k] = v end
  return ml.sweep(o)
end

local function rows_of(path)
  local _, rows = csv.read(path)
  return rows
end

describe("sweep rows that cannot be written as they are (issue 12 item 10)", function()
  local raising = setmetatable({}, { __tostring = function() error("tostring exploded") end })
  local cases = {
    { "a value with a NUL byte", function() return { loss = 1, note = "a\0b" } end, "note with a NUL byte: a\\0b" },
    { "a message with a NUL byte", function() return { loss = 1, message = "m\0" } end, "message with a NUL byte" },
    { "an error message with a NUL byte", function() error("bad\0news", 0) end, "bad\\0news" },
    { "a message whose __tostring raises", function() return { loss = 1, message = raising } end,
      "message whose __tostring raised" },
    { "an error value whose __tostring raises", function() error(raising) end, "__tostring raised" },
    { "a key whose __tostring raises", function() return { [raising] = 1 } end, "bad key" },
    { "twelve bad values (the first in key order is named, every run the same)", function()
      local t = { loss = 1 }
      for ch in ("mlkjihgfedcb"):gmatch(".") do t["k" .. ch] = {} end
      return t
    end, "run returned kb = a table" },
  }
  for _, c in ipairs(cases) do
    it("records " .. c[1] .. " as an error row and goes on; resume does not run it again", function()
      local dir = tmpdir()
      local out = dir .. "/r.csv"
      local calls = 0
      local function run(cfg)
        calls = calls + 1
        if cfg.i == 2 then return c[2]() end
        return { loss = cfg.i }
      end
      local s = run_sweep { out = out, grid = { i = { 1, 2, 3 } }, run = run }
      assert.same({ 3, 2, 1 }, { s.ran, s.ok, s.error })
      local rows = rows_of(out)
      assert.equal("error", rows[2].status)
      assert.truthy(rows[2].message:find(c[3], 1, true), rows[2].message)
      assert.is_nil(slurp(out):find("\0", 1, true))
      s = run_sweep { out = out, grid = { i = { 1, 2, 3 } }, run = run }
      assert.same({ 0, 3 }, { s.ran, s.skipped })
      assert.equal(3, calls)
    end)
  end

  it("refuses grid values with a NUL byte up front", function()
    local dir = tmpdir()
    local ok, e = pcall(run_sweep, { out = dir .. "/g.csv", grid = { s = { "a\0" } }, run = function() end })
    assert.is_false(ok)
    assert.matches("option 'grid.s%[1%]': a string without NUL bytes", e)
  end)
end)

describe("sweep lock keyed on the file (issue 12 item 10)", function()
  it("a symbolic link to the results file takes the same lock", function()
    local dir = tmpdir()
    local real, alias = dir .. "/real.csv", dir .. "/alias.csv"
    assert(os.execute("ln -s real.csv '" .. alias .. "'"))
    local inner
    run_sweep { out = real, grid = { i = { 1 } }, run = function()
      inner = { pcall(run_sweep, { out = alias, grid = { i = { 1 } }, run = function() return { loss = 2 } end }) }
      return { loss = 1 }
    end }
    assert.is_false(inner[1])
    assert.matches("locked by another process", inner[2])
    assert.equal(1, #rows_of(real))
    assert.equal(ml.resolve_path(real), ml.resolve_path(alias))
  end)
end)

describe("sweep and merge bound the shard count by the grid (issue 12 item 10)", function()
  it("--shard 0/100000000 fails at once and leaves the .grid sidecar alone", function()
    local dir = tmpdir()
    local out = dir .. "/s.csv"
    run_sweep { out = out, grid = { i = { 1, 2, 3 } }, run = function(c) return { loss = c.i } end, argv = { "--shard", "0/3" } }
    local before = slurp(out .. ".grid")
    local t0 = ml.now()
    local ok, e = pcall(run_sweep, { out = out, grid = { i = { 1, 2, 3 } }, run = function() end,
      argv = { "--shard", "0/100000000" } })
    assert.is_false(ok)
    assert.matches("100000000 shards, but the grid has only 3 configurations", e)
    assert.equal(before, slurp(out .. ".grid"))
    assert.is_nil(slurp(sweep.shard_path(out, 0, 100000000)))
    -- merge --shards 100000000: refused before it looks for a single shard file
    ok, e = pcall(merge.merge, out, { shards = 100000000, quiet = true })
    assert.is_false(ok)
    assert.matches("100000000 shards for a grid of 3 configurations", e)
    assert.is_true(ml.now() - t0 < 5)
  end)

  it("a grid of more than 2^53 configurations is refused, never counted as 0 or negative", function()
    local big = {}
    for i = 1, 2 ^ 14 do big[i] = i end
    local ok, e = pcall(sweep.normalize_grid, { a = big, b = big, c = big, d = big })
    assert.is_false(ok)
    assert.matches("more than 2%^53 configurations", e)
    local g = sweep.normalize_grid({ a = big, b = big, c = big })
    assert.equal(2 ^ 42, g.total)
  end)
end)

describe("merge reads what shards may contain (issue 12 item 12)", function()
  local function sharded(dir)
    local out = dir .. "/m.csv"
    for k = 0, 1 do
      run_sweep { out = out, grid = { i = { 1, 2, 3, 4 } }, run = function(c) return { loss = c.i / 2 } end,
        argv = { "--shard", k .. "/2" } }
    end
    return out, sweep.shard_path(out, 1, 2)
  end

  it("rejects an unknown status, naming the file and the line", function()
    local dir = tmpdir()
    local out, s1 = sharded(dir)
    spit(s1, (slurp(s1):gsub(",ok,", ",banana,", 1)))
    local ok, e = pcall(merge.merge, out, { quiet = true })
    assert.is_false(ok)
    assert.truthy(e:find(s1 .. ": line 2: unknown status banana", 1, true), e)
    assert.is_nil(slurp(out))
  end)

  it("reads a CRLF shard as the same rows", function()
    local dir = tmpdir()
    local out, s1 = sharded(dir)
    spit(s1, (slurp(s1):gsub("\n", "\r\n")))
    local s = merge.merge(out, { quiet = true })
    assert.same({ 4, 4 }, { s.rows, s.ok })
    local rows = rows_of(out)
    for i, r in ipairs(rows) do assert.same({ i, i / 2, "ok" }, { r.i, r.loss, r.status }) end
    assert.is_nil(slurp(out):find("\r", 1, true))
  end)
end)

describe("one CSV dialect (issue 13 item 9)", function()
  it("quotes commas, quotes, line breaks and edge spaces as RFC 4180 says", function()
    assert.equal("plain", csv.field("plain"))
    assert.equal('"a,b"', csv.field("a,b"))
    assert.equal('"say ""hi"""', csv.field('say "hi"'))
    assert.equal('"two\nlines"', csv.field("two\nlines"))
    assert.equal('"cr\r"', csv.field("cr\r"))
    assert.equal('" pad "', csv.field(" pad "))
    -- sweep rows are one line each: line breaks become spaces, then the same quoting
    assert.equal('"two lines, one row"', sweep.field("two\nlines, one row"))
    assert.equal(csv.field("a,b"), sweep.field("a,b"))
  end)

  it("reads back what it writes: quoted fields, fields across lines, CRLF", function()
    local dir = tmpdir()
    local p = dir .. "/q.csv"
    local rows = { { name = 'a "quoted", comma', note = "line1\nline2", n = 3 }, { name = " x ", note = "", n = -7 } }
    csv.write(p, { "name", "note", "n" }, rows)
    local cols, back = csv.read(p)
    assert.same({ "name", "note", "n" }, cols)
    assert.same(rows[1], back[1])
    assert.same({ " x ", "", -7 }, { back[2].name, back[2].note, back[2].n })
    spit(p, (slurp(p):gsub("\n", "\r\n")))
    local _, crlf = csv.read(p)
    assert.equal('a "quoted", comma', crlf[1].name)
    spit(p, 'a,b\n"unterminated,1\n')
    assert.has_error(function() csv.read(p) end)
  end)

  it("round-trips numbers exactly: floats in the shortest exact form, integers as integers", function()
    local dir = tmpdir()
    local p = dir .. "/n.csv"
    local xs = { 0.1, 1 / 3, -2.5e-300, 5e-324, 1.7976931348623157e308, 2 ^ 53 + 0.0, math.pi, 1e21, -0.0 }
    local r = ml.randn(50, 1, { seed = 12 })
    for i = 1, 50 do xs[#xs + 1] = r:get(i, 1) * 10 ^ (i % 40 - 20) end
    local rows = {}
    for i, x in ipairs(xs) do rows[i] = { x = x, i = i } end
    csv.write(p, { "i", "x" }, rows)
    local _, back = csv.read(p)
    for i, x in ipairs(xs) do
      assert.equal(x, back[i].x)
      assert.equal("integer", math.type(back[i].i))
    end
    assert.equal("0.1", csv.number(0.1))
    assert.equal("0.3333333333333333", csv.number(1 / 3))   -- 16 digits suffice here
    assert.equal("0.30000000000000004", csv.number(0.1 + 0.2))   -- 17 needed
    assert.equal("42", csv.number(42))
    assert.same({ "nan", "inf", "-inf" }, { csv.number(0 / 0), csv.number(math.huge), csv.number(-math.huge) })
  end)
end)

describe("host program details (issue 12 item 12)", function()
  it("set_threads above OpenBLAS's limit is an error naming the limit; the count stays", function()
    local before = ml.get_threads()
    local ok, e = pcall(ml.set_threads, 1000)
    assert.is_false(ok)
    assert.matches("bad argument #1 to 'set_threads' %(number of threads 1000 exceeds this OpenBLAS's limit of %d+%)", e)
    assert.equal(before, ml.get_threads())
  end)

  it("ML_THREADS above OpenBLAS's limit is refused when the module loads", function()
    local p = io.popen("ML_THREADS=1024 " .. HOST .. " -e 'print(ml.get_threads())' 2>&1; echo \"rc=$?\"")
    local o = p:read("a")
    p:close()
    assert.matches("ML_THREADS", o)
    assert.matches("limit of %d+", o)
    assert.is_nil(o:match("rc=0"))
  end)
end)

-- ml.sweep, `muonlab merge` and ml.append_line / ml.lock_file (lua/muonlab/sweep.lua,
-- lua/muonlab/merge.lua, lua/lsweep.c). Every sweep here passes argv = {} and its own
-- getenv, so busted's arguments and a surrounding Slurm or MPI job cannot shard it.
-- The last two tests run tests/sweep/kill9.sh and tests/sweep/mpi.sh (kill -9 and resume;
-- a two-rank mpirun merged and compared with a single-process sweep).
local ml = require "muonlab"
local sweep = require "muonlab.sweep"
local merge = require "muonlab.merge"
local csv = require "muonlab.csv"

local HOST = os.getenv("MUONLAB_HOST") or "bin/muonlab"

local dirs = {}
local function tmpdir()
  local p = os.tmpname()
  os.remove(p)
  assert(os.execute("mkdir -p '" .. p .. "'"))
  dirs[#dirs + 1] = p
  return p
end
teardown(function()
  for _, d in ipairs(dirs) do os.execute("rm -rf '" .. d .. "'") end
end)

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function lines(path)
  local out = {}
  for l in (slurp(path) or ""):gmatch("([^\n]*)\n") do out[#out + 1] = l end
  return out
end

local noenv = function() return nil end

-- a sweep with quiet defaults; extra options override
local function run_sweep(opts)
  local o = { argv = {}, getenv = noenv, progress = false, log = function() end }
  for k, v in pairs(opts) do o[k] = v end
  return ml.sweep(o)
end

describe("sweep order", function()
  it("is the product with keys sorted by name and the last key varying fastest", function()
    local g = sweep.normalize_grid({ seed = { 1, 2 }, lr = { 0.1, 0.01 }, opt = { "muon", "adamw" } })
    assert.same({ "lr", "opt", "seed" }, g.names)
    assert.equal(8, g.total)
    local seen = {}
    for i = 1, g.total do
      local cfg, key = sweep.config_at(g, i)
      seen[i] = key
      assert.equal(key, ("%s,%s,%s"):format(sweep.field(cfg.lr), cfg.opt, cfg.seed))
    end
    assert.same({ "0.1,muon,1", "0.1,muon,2", "0.1,adamw,1", "0.1,adamw,2",
      "0.01,muon,1", "0.01,muon,2", "0.01,adamw,1", "0.01,adamw,2" }, seen)
  end)

  it("follows `order` when given and reaches run() in that order", function()
    local dir = tmpdir()
    local got = {}
    run_sweep { out = dir .. "/o.csv", grid = { a = { 1, 2 }, b = { "x", "y" } }, order = { "b", "a" },
      run = function(c) got[#got + 1] = c.b .. c.a; return { v = 1 } end }
    assert.same({ "x1", "x2", "y1", "y2" }, got)
    assert.equal("b,a,v,status,message,wall_time", lines(dir .. "/o.csv")[1])
  end)

  it("refuses bad grids and options with a clear message", function()
    local run = function() end
    local function err(opts)
      opts.run = opts.run or run
      opts.out = opts.out or "/tmp/unused.csv"
      local ok, e = pcall(run_sweep, opts)
      assert.is_false(ok)
      return e
    end
    assert.matches("option 'grid': a non%-empty table expected, got {}", err { grid = {} })
    assert.matches("non%-empty list", err { grid = { a = {} } })
    assert.matches("option 'grid.a': distinct values expected, got 1 twice", err { grid = { a = { 1, 1.0 } } })
    assert.matches("reserved", err { grid = { status = { 1 } } })
    assert.matches("option 'grid.a%[1%]': a number, string or boolean expected, got table", err { grid = { a = { {} } } })
    assert.matches("unknown option 'outt'", err { outt = "x", grid = { a = { 1 } } })
    assert.matches("option 'run': a function expected, got number", err { run = 3, out = "x", grid = { a = { 1 } } })
    assert.matches("option 'shard': K/N with 0 <= K < N expected, got '2/2'", err { grid = { a = { 1 } }, shard = "2/2" })
    -- the one format, raised at the caller's line (not inside sweep.lua)
    for _, c in ipairs {
      { { grid = { a = { 1, 1 } } }, "option 'grid%.a': distinct values expected, got 1 twice" },
      { { grid = { a = { 1 } }, columns = { "a" } }, "option 'columns': new, distinct value names expected %(bad: a%)" },
      { { grid = { a = { 1 } }, shard = "x" }, "option 'shard': K/N with 0 <= K < N expected, got 'x'" },
    } do
      local o = { out = "/tmp/unused.csv", run = run, argv = {}, getenv = noenv, progress = false }
      for k, v in pairs(c[1]) do o[k] = v end
      local ok, e = pcall(function() sweep.sweep(o) end)
      assert.is_false(ok)
      assert.matches("^[^:]*sweep_spec%.lua:%d+: bad argument #1 to 'sweep' %(" .. c[2] .. "%)$", e)
    end
  end)
end)

describe("sweep rows", function()
  it("records ok, diverged (NaN, diverged_at, an error saying so) and error rows and goes on", function()
    local dir = tmpdir()
    local out = dir .. "/r.csv"
    local s = run_sweep { out = out, grid = { case = { "ok", "isnan", "isinf", "at", "raise_div", "raise", "bad" } },
      run = function(c)
        if c.case == "ok" then return { loss = 0.25, acc = 0.5 } end
        if c.case == "isnan" then return { loss = 0 / 0 } end
        if c.case == "isinf" then return { loss = 1, grad = -math.huge } end
        if c.case == "at" then return { loss = 3, diverged_at = 17 } end
        if c.case == "raise_div" then error("loss diverged at step 42") end
        if c.case == "raise" then error("out of coffee") end
        return { loss = {} }
      end }
    assert.same({ 7, 1, 4, 2 }, { s.ran, s.ok, s.diverged, s.error })
    local cols, rows = csv.read(out)
    assert.same({ "case", "acc", "loss", "grad", "diverged_at", "status", "message", "wall_time" }, cols)
    local by = {}
    for _, r in ipairs(rows) do by[r.case] = r end
    assert.equal("ok", by.ok.status); assert.equal(0.25, by.ok.loss); assert.equal(0.5, by.ok.acc)
    assert.equal("diverged", by.isnan.status); assert.matches("non%-finite loss", by.isnan.message)
    assert.equal("diverged", by.isinf.status); assert.matches("non%-finite grad", by.isinf.message)
    assert.equal("diverged", by.at.status); assert.equal(17, by.at.diverged_at)
    assert.equal("diverged", by.raise_div.status); assert.equal(42, by.raise_div.diverged_at)
    assert.equal("error", by.raise.status); assert.matches("out of coffee", by.raise.message)
    assert.equal("error", by.bad.status); assert.matches("loss = a table", by.bad.message)
    for _, r in ipairs(rows) do assert.is_true(type(r.wall_time) == "number" and r.wall_time >= 0) end
  end)

  it("adds a value column when it first appears, keeping earlier rows (empty there)", function()
    local dir = tmpdir()
    local out = dir .. "/c.csv"
    run_sweep { out = out, grid = { i = { 1, 2, 3 } },
      run = function(c)
        if c.i == 1 then error("first fails") end
        if c.i == 2 then return { loss = 2 } end
        return { loss = 3, extra = "x,y" }
      end }
    local l = lines(out)
    assert.same({ "i,loss,extra,status,message,wall_time" }, { l[1] })
    assert.matches("^1,,,error,.-first fails,", l[2])
    assert.matches("^2,2,,ok,,", l[3])
    assert.matches('^3,3,"x,y",ok,,', l[4])
  end)

  it("writes strings with commas, quotes and newlines as one quoted field", function()
    local dir = tmpdir()
    local out = dir .. "/q.csv"
    run_sweep { out = out, grid = { name = { 'a,"b"', "plain" } },
      run = function(c) return { note = "two\nlines" } end }
    local l = lines(out)
    assert.equal(3, #l)
    assert.matches('^"a,""b""",two lines,ok,,', l[2])
    local _, rows = csv.read(out)
    assert.equal('a,"b"', rows[1].name)
  end)
end)

describe("sweep resume", function()
  it("skips configurations already in out and runs only the rest", function()
    local dir = tmpdir()
    local out = dir .. "/res.csv"
    local grid = { a = { 1, 2, 3 }, b = { 0.5, 1.5 } }
    local calls = 0
    local function run(c) calls = calls + 1; return { loss = c.a * c.b } end
    run_sweep { out = out, grid = grid, run = run }
    assert.equal(6, calls)
    local first = lines(out)
    -- drop the last two rows, as if the sweep had been stopped there
    local f = io.open(out, "wb"); f:write(table.concat(first, "\n", 1, 5), "\n"); f:close()
    calls = 0
    local s = run_sweep { out = out, grid = grid, run = run }
    assert.same({ 2, 4, 2 }, { calls, s.skipped, s.ran })
    assert.equal(7, #lines(out))
    calls = 0
    s = run_sweep { out = out, grid = grid, run = run }
    assert.same({ 0, 6 }, { calls, s.skipped })
    -- a grown grid runs only the new configurations
    grid.a[4] = 4
    s = run_sweep { out = out, grid = grid, run = run }
    assert.same({ 2, 6 }, { calls, s.skipped })
    local seen = {}
    for i, l in ipairs(lines(out)) do
      if i > 1 then
        local key = l:match("^([^,]*,[^,]*),")
        assert.is_nil(seen[key], "row twice: " .. key)
        seen[key] = true
      end
    end
  end)

  it("drops a partial last line and malformed lines (those configurations run again)", function()
    local dir = tmpdir()
    local out = dir .. "/p.csv"
    local grid = { a = { 1, 2, 3 } }
    local run = function(c) return { loss = c.a } end
    run_sweep { out = out, grid = grid, run = run }
    local l = lines(out)
    local f = io.open(out, "wb")
    f:write(l[1], "\n", l[2], "\n", "2,oops\n", l[4]:sub(1, 5))   -- row 3 malformed, row 4 torn
    f:close()
    local logged = {}
    local s = run_sweep { out = out, grid = grid, run = run, log = function(x) logged[#logged + 1] = x end }
    assert.same({ 1, 2 }, { s.skipped, s.ran })
    assert.matches("dropped a partial last line %(5 bytes%) and 1 malformed line", table.concat(logged, "\n"))
    local function strip(t) local o = {} for i, x in ipairs(t) do o[i] = x:gsub(",[^,]*$", "") end return o end
    assert.same(strip(l), strip(lines(out)))   -- the same rows, apart from wall_time
  end)

  it("--fresh keeps the old file aside and starts over", function()
    local dir = tmpdir()
    local out = dir .. "/f.csv"
    local grid = { a = { 1, 2 } }
    run_sweep { out = out, grid = grid, run = function() return { v = 1 } end }
    local s = run_sweep { out = out, grid = grid, argv = { "--fresh" }, run = function() return { v = 2 } end }
    assert.equal(2, s.ran)
    assert.matches("^1,2,ok", lines(out)[2])
    local p = io.popen("ls '" .. dir .. "'")
    local listing = p:read("a")
    p:close()
    local old = listing:match("(f%.csv%.old%-%d+%-%d+)")
    assert.is_truthy(old, listing)
    assert.matches("^1,1,ok", lines(dir .. "/" .. old)[2])
  end)

  it("refuses an out whose columns belong to another grid", function()
    local dir = tmpdir()
    local out = dir .. "/m.csv"
    run_sweep { out = out, grid = { a = { 1 } }, run = function() return { v = 1 } end }
    local ok, e = pcall(run_sweep, { out = out, grid = { b = { 1 } }, run = function() end })
    assert.is_false(ok)
    assert.matches("pass %-%-fresh", e)
  end)

  it("refuses to write a file another sweep holds (out.lock)", function()
    local dir = tmpdir()
    local out = dir .. "/l.csv"
    local lock = assert(ml.lock_file(out .. ".lock"))
    local ok, e = pcall(run_sweep, { out = out, grid = { a = { 1 } }, run = function() end })
    assert.is_false(ok)
    assert.matches("locked by another process %(pid %d+%)", e)
    lock:unlock()
    assert.equal(1, run_sweep { out = out, grid = { a = { 1 } }, run = function() end }.ran)
  end)
end)

describe("sweep shards and merge", function()
  local grid = { a = { 1, 2, 3, 4, 5 }, b = { "x", "y" } }
  local function run(c) return { loss = c.a + (c.b == "y" and 0.5 or 0) } end

  it("--shard K/N takes every N-th configuration from K into out.shardK-of-N.ext", function()
    local dir = tmpdir()
    local out = dir .. "/s.csv"
    local keys = {}
    for k = 0, 2 do
      local s = run_sweep { out = out, grid = grid, run = run, argv = { "--shard", k .. "/3" } }
      assert.equal(dir .. "/s.shard" .. k .. "-of-3.csv", s.out)
      assert.equal(k == 0 and 4 or 3, s.ran)
      for i, l in ipairs(lines(s.out)) do if i > 1 then keys[#keys + 1] = l:match("^[^,]*,[^,]*") end end
    end
    table.sort(keys)
    assert.same({ "1,x", "1,y", "2,x", "2,y", "3,x", "3,y", "4,x", "4,y", "5,x", "5,y" }, keys)
    assert.equal("s.shard1-of-3", sweep.shard_path("s", 1, 3))
    assert.equal("a.b/c.shard0-of-2.csv", sweep.shard_path("a.b/c.csv", 0, 2))

    local m = merge.merge(out, { quiet = true })
    assert.same({ 10, 3 }, { m.rows, m.files })
    local _, rows = csv.read(out)
    assert.equal(10, #rows)
    assert.same({ 1, "x", 1 }, { rows[1].a, rows[1].b, rows[1].loss })
    assert.same({ 5, "y", 5.5 }, { rows[10].a, rows[10].b, rows[10].loss })
  end)

  it("takes the shard from Open MPI, PMI and Slurm variables", function()
    local function env(t) return function(k) return t[k] end end
    local function kn(t) local k, n = sweep.env_shard(env(t)); return { k, n } end
    assert.same({ 1, 4 }, kn { OMPI_COMM_WORLD_RANK = "1", OMPI_COMM_WORLD_SIZE = "4" })
    assert.same({ 2, 3 }, kn { PMI_RANK = "2", PMI_SIZE = "3" })
    assert.same({ 3, 4 }, kn { SLURM_ARRAY_TASK_ID = "4", SLURM_ARRAY_TASK_MIN = "1",
      SLURM_ARRAY_TASK_COUNT = "4", SLURM_PROCID = "0", SLURM_NTASKS = "1" })
    assert.same({ 5, 8 }, kn { SLURM_PROCID = "5", SLURM_NTASKS = "8" })
    assert.is_nil(sweep.env_shard(env {}))

    local dir = tmpdir()
    local s = run_sweep { out = dir .. "/e.csv", grid = grid, run = run,
      getenv = env { OMPI_COMM_WORLD_RANK = "1", OMPI_COMM_WORLD_SIZE = "2" } }
    assert.same({ dir .. "/e.shard1-of-2.csv", 5 }, { s.out, s.ran })
    -- one task (a plain sbatch job): no sharding
    s = run_sweep { out = dir .. "/one.csv", grid = grid, run = run, getenv = env { SLURM_PROCID = "0", SLURM_NTASKS = "1" } }
    assert.same({ dir .. "/one.csv", 10 }, { s.out, s.ran })
    -- the flag wins over the environment
    s = run_sweep { out = dir .. "/f.csv", grid = grid, run = run, argv = { "--shard=0/5" },
      getenv = env { OMPI_COMM_WORLD_RANK = "1", OMPI_COMM_WORLD_SIZE = "2" } }
    assert.same({ dir .. "/f.shard0-of-5.csv", 2 }, { s.out, s.ran })
  end)

  it("merge fails clearly on a missing shard, a configuration twice or a row outside the grid", function()
    local dir = tmpdir()
    local out = dir .. "/x.csv"
    local function err()
      local ok, e = pcall(merge.merge, out, { quiet = true })
      assert.is_false(ok)
      assert.is_nil(slurp(out))   -- nothing written
      return e
    end
    assert.matches("x%.csv%.grid not found", err())
    run_sweep { out = out, grid = grid, run = run, argv = { "--shard", "0/2" } }
    local e = err()
    assert.matches("5 of 10 configurations missing", e)
    assert.matches("a=1 b=y %(shard 1 of 2%)", e)
    assert.matches("x%.shard1%-of%-2%.csv", e)
    run_sweep { out = out, grid = grid, run = run, argv = { "--shard", "1/2" } }
    local s1 = dir .. "/x.shard1-of-2.csv"
    local l0 = lines(dir .. "/x.shard0-of-2.csv")
    local f = io.open(s1, "ab"); f:write(l0[2], "\n"); f:close()
    assert.matches("1 configuration%(s%) present twice:\n    a=1 b=x %(in .-x%.shard0%-of%-2%.csv and .-x%.shard1%-of%-2%.csv%)", err())
    local l1 = lines(s1)
    f = io.open(s1, "wb"); f:write(table.concat(l1, "\n", 1, 6), "\n", "9,z,1,ok,,0\n"); f:close()
    assert.matches("1 row%(s%) not in the grid.-a=9 b=z", err())

    -- the host's subcommand: exit status 1 and the reason on stderr
    local p = io.popen(HOST .. " merge '" .. out .. "' 2>&1; echo \"rc=$?\"")
    local o = p:read("a")
    p:close()
    assert.matches("muonlab merge: .-not written", o)
    assert.matches("rc=1", o)
  end)
end)

describe("append_line and lock_file", function()
  it("appends one whole line and refuses embedded newlines", function()
    local dir = tmpdir()
    local p = dir .. "/a.txt"
    assert.is_true(ml.append_line(p, "one"))
    assert.is_true(ml.append_line(p, "two\n"))
    assert.equal("one\ntwo\n", slurp(p))
    assert.has_error(function() ml.append_line(p, "a\nb") end, "bad argument #2 to 'append_line' (line must not contain a newline)")
    assert.has_error(function() ml.append_line(dir .. "/no/such/x", "a") end)
    local ok, e = pcall(ml.append_line, dir .. "/no/such/x", "a")
    assert.matches("append_line: cannot open", e)
  end)

  it("holds one lock per file until unlock or collection", function()
    local dir = tmpdir()
    local p = dir .. "/x.lock"
    local a = assert(ml.lock_file(p))
    local b, msg = ml.lock_file(p)
    assert.is_nil(b)
    assert.matches("locked by another process", msg)
    a:unlock()
    do
      local c <close> = assert(ml.lock_file(p))
    end
    assert.is_truthy(ml.lock_file(p))
  end)
end)

describe("sweep progress", function()
  it("logs done/total, rate, ETA and the last result", function()
    local dir = tmpdir()
    local logged = {}
    run_sweep { out = dir .. "/g.csv", grid = { a = { 1, 2, 3 } }, progress = 0,
      log = function(x) logged[#logged + 1] = x end, run = function(c) return { loss = c.a / 4 } end }
    local all = table.concat(logged, "\n")
    assert.matches("3 configurations in the grid, 3 in this shard %(from no sharding%), 0 already done, 3 to run", all)
    assert.matches("2/3 done, [%d.e+]+ runs/s, ETA %d+:%d%d:%d%d | a=2: ok loss=0.5", all)
    assert.matches("finished: 3 run %(3 ok, 0 diverged, 0 error%), 0 skipped", all)
  end)
end)

describe("sweep end to end", function()
  local function sh(cmd)
    local p = io.popen(cmd .. " 2>&1; echo \"rc=$?\"")
    local o = p:read("a")
    p:close()
    return o
  end

  it("survives kill -9: the resumed file has the rows of an uninterrupted sweep (tests/sweep/kill9.sh)", function()
    local o = sh("sh tests/sweep/kill9.sh " .. HOST)
    print(o:match("(kill9:[^\n]*)") or o)
    assert.matches("rc=0", o)
    assert.matches("same 24 rows", o)
  end)

  it("a two-rank mpirun sweep merges into the rows of a single-process one (tests/sweep/mpi.sh)", function()
    local o = sh("sh tests/sweep/mpi.sh " .. HOST)
    print(o:match("(mpi:[^\n]*)") or o)
    assert.matches("rc=0", o)
    assert.matches("same 24 rows", o)
  end)
end)

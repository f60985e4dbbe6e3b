-- Smoke tests of the issue-3 studies (experiments/*.lua): each runs with --quick in a child host
-- (as `make figures QUICK=1` does), writing into a temp dir via --out; we check the exit status,
-- the printed table, the CSV's columns and row count (derived from the study's design, stated
-- beside each count), a few invariants of the numbers, and that the PNG and SVG exist.
-- About 2 s in all on the release build.
local ml = require "muonlab"
local csv = require "muonlab.csv"

local H = dofile("tests/lua/study_helper.lua")
local HOST, sh, count = H.HOST, H.sh, H.count
local tmp = H.tempdir(setup, teardown)

-- Run a study with --quick into dir; returns the printed output and the CSV (columns, rows).
local function study(name, extra)
  local stem = tmp() .. "/" .. name
  local rc, out = sh(("%s experiments/%s.lua --quick --out '%s' %s"):format(HOST, name, stem, extra or ""))
  assert(rc == 0, ("%s exited with %s:\n%s"):format(name, tostring(rc), out))
  for _, ext in ipairs { "png", "svg", "dat", "gp" } do
    local fh = io.open(stem .. "." .. ext, "rb")
    assert(fh, name .. ": missing " .. stem .. "." .. ext)
    local head = fh:read(8)
    fh:close()
    if ext == "png" then assert.are.equal("\137PNG\r\n\26\n", head) end
  end
  local cols, rows = csv.read(stem .. ".csv")
  return out, cols, rows
end

describe("experiments (--quick)", function()
  it("poly_maps: envelopes of 9 schedules, at 5 steps and at their own length", function()
    local out, cols, rows = study("poly_maps")
    assert.are.same({ "schedule", "steps", "grid", "sigma", "f_min", "f_max" }, cols)
    -- 9 schedules; 17 (schedule, steps) maps (jordan's own length is 5); 2 grids of 60 bins
    assert.are.equal(17 * 2 * 60, #rows)
    -- Each row is the envelope of f over its bin's samples, which start at the bin's left edge
    -- and end at its right edge: recompute f there with ml.poly_map, by the script's arithmetic
    -- (same x, same clamp to +-1e3), and both values must lie in [f_min, f_max].
    local coeffs = {
      ["PE deg 3"] = ml.coeffs("polar_express", { l = 1e-3, degree = 3, steps = 8 }),
      ["PE deg 7"] = ml.coeffs("polar_express", { l = 1e-3, degree = 7, steps = 8 }),
    }
    local bins, per_bin = 60, 20   -- --quick
    local function edge(g, i)
      local t = i / bins
      if g == "lin" then return 0 + t * (1.2 - 0) end
      return 10 ^ (math.log(1e-5, 10) + t * (math.log(1.2, 10) - math.log(1e-5, 10)))
    end
    local function clamp(v) return (v ~= v or v > 1e3) and 1e3 or v < -1e3 and -1e3 or v end
    local seen = {}
    for _, r in ipairs(rows) do
      local key = r.schedule .. "/" .. r.steps .. "/" .. r.grid
      local b = (seen[key] or 0) + 1
      seen[key] = b
      local a, c = edge(r.grid, b - 1), edge(r.grid, b)
      local f = ml.poly_map(coeffs[r.schedule] or ml.coeffs(r.schedule), { a, a + (c - a) * (per_bin - 1) / (per_bin - 1) },
        { steps = r.steps })
      for _, v in ipairs(f) do
        v = clamp(v)
        assert.is_true(r.f_min <= v and v <= r.f_max, ("%s bin %d: f = %.17g outside [%.17g, %.17g]"):format(key, b, v,
          r.f_min, r.f_max))
      end
    end
    assert.truthy(out:find("max|f-1|", 1, true))
    -- Jordan's map plateaus: f(1) ~ 0.70 after 5 steps (Polar Express paper, "error ~0.3")
    assert.truthy(out:find("jordan%s+5%s+[%d.]+%s+[%d.]+%s+[%d.]+%s+[%d.]+%s+[%d.]+%s+0%.69"))
  end)

  it("ns_error_vs_steps: a traced curve per input x precision x schedule, and the 5-step table", function()
    local out, cols, rows = study("ns_error_vs_steps")
    assert.are.same({ "input", "rows", "cols", "precision", "schedule", "step", "polar_dist", "orth_spec" }, cols)
    -- 2 inputs x 3 precisions x 7 schedules x steps 0..6 (32 x 96), then 3 x 7 rows at 32 x 128
    assert.are.equal(2 * 3 * 7 * 7, count(rows, function(r) return r.cols == 96 end))
    assert.are.equal(3 * 7, count(rows, function(r) return r.cols == 128 and r.step == 5 end))
    assert.are.equal(2 * 3 * 7 * 7 + 3 * 7, #rows)
    assert.truthy(out:find("After 5 steps, Gaussian 32x128", 1, true))
    -- fp64 quintic converges: below 1e-3 by step 6 on the Gaussian input (measured ~1e-5)
    for _, r in ipairs(rows) do
      if r.input == "gaussian" and r.cols == 96 and r.precision == "fp64" and r.schedule == "quintic" and r.step == 6 then
        assert.is_true(r.polar_dist < 1e-3, tostring(r.polar_dist))
      end
    end
  end)

  it("ns_error_vs_cond: every cond x precision x precond x schedule", function()
    local _, cols, rows = study("ns_error_vs_cond")
    assert.are.same({ "cond", "precision", "precond", "schedule", "steps", "polar_dist", "orth_spec" }, cols)
    -- cond 1e1..1e4 x {fp32, bf16} x 5 preconditioners x 7 schedules
    assert.are.equal(4 * 2 * 5 * 7, #rows)
    assert.are.equal(5, count(rows, function(r) return r.cond == 1e4 and r.precision == "fp32" and r.schedule == "jordan" end))
  end)

  it("ns_cost_accuracy: every method at two sizes, a non-empty Pareto front per size", function()
    local out, cols, rows = study("ns_cost_accuracy")
    assert.are.same({ "rows", "cols", "method", "kind", "schedule", "steps", "form", "precision", "time_s",
                      "polar_dist", "pareto", "iterations", "degree" }, cols)
    -- (9 NS variants x 2 forms + the published Gram NS with its restart) x 3 precisions + svd, eig,
    -- qdwh, zolo, at 24x96 and 48x192
    assert.are.equal(2 * ((9 * 2 + 1) * 3 + 4), #rows)
    for _, r in ipairs(rows) do
      if r.kind == "qdwh" then assert.is_true(r.iterations >= 1 and r.iterations <= 6) end
      if r.kind == "zolo" then assert.is_true(r.iterations <= 2 and r.degree >= 1 and r.degree <= 8) end
    end
    for _, c in ipairs { 96, 192 } do
      assert.is_true(count(rows, function(r) return r.cols == c and r.pareto == 1 end) >= 1)
      -- the exact methods agree to rounding
      for _, r in ipairs(rows) do
        if r.cols == c and r.kind ~= "ns" then assert.is_true(r.polar_dist < 1e-12, r.method) end
      end
    end
    assert.truthy(out:find("Pareto", 1, true))
  end)

  it("writes under $TMPDIR, not into plots/, with --quick and no --out", function()
    local dir = tmp()
    local rc, out = sh(("TMPDIR='%s' %s experiments/poly_maps.lua --quick"):format(dir, HOST))
    assert.are.equal(0, rc, out)
    assert.truthy(io.open(dir .. "/poly_maps_quick.csv"))
    assert.truthy(out:find(dir .. "/poly_maps_quick.png", 1, true))
  end)

  it("rejects an unknown option with the usage line", function()
    local rc, out = sh(HOST .. " experiments/ns_error_vs_cond.lua --bogus 1")
    assert.are_not.equal(0, rc)
    assert.truthy(out:find("unknown option '--bogus'", 1, true))
    assert.truthy(out:find("usage:", 1, true))
  end)

  it("study.options (experiments/lib/study.lua): --quick caps sizes and moves the default output", function()
    local saved = package.path
    package.path = "experiments/lib/?.lua;" .. package.path
    local study = require "study"
    package.path = saved
    local d = { rows = 256, sizes = "128x512", out = "plots/x", quick = false }
    local o = study.options("x", { "--quick", "--rows", "16" }, d, "usage", { rows = 32, sizes = "24x96" })
    assert.are.equal(16, o.rows)   -- a smaller size given on the command line stays
    assert.are.equal("24x96", o.sizes)
    assert.are.equal((os.getenv("TMPDIR") or "/tmp") .. "/x_quick", o.out)
    o = study.options("x", { "--quick", "--out", "here" }, d, "usage", { rows = 32 })
    assert.are.same({ 32, "here" }, { o.rows, o.out })
    o = study.options("x", { "--rows", "300" }, d, "usage", { rows = 32 })
    assert.are.same({ 300, "plots/x" }, { o.rows, o.out })
  end)
end)

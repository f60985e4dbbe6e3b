-- How close is each Newton-Schulz schedule to the exact polar factor after t = 0..N steps, in
-- fp64, fp32 and emulated bf16, on a Gaussian matrix and on a gradient-like power-law spectrum
-- (s_i = i^-alpha)? One traced run per (input, precision, schedule): ml.ns(..., {trace = true})
-- reports, after every step, the relative distance ||X_t - UV^T||_F / ||UV^T||_F to the SVD
-- polar factor (float64) and ||X_t X_t^T - I||_2 = max_i |sigma_i(X_t)^2 - 1|.
-- A second table: every schedule after 5 steps on a Gaussian --table-rows x --table-cols matrix
-- (default 512 x 2048) in fp64, fp32 and bf16 (the numbers of issue 3's closing note).
--   muonlab experiments/ns_error_vs_steps.lua [--rows 256] [--cols 1024] [--steps 10] [--alpha 1] [--seed 1]
--       [--table-rows 512] [--table-cols 2048] [--out plots/ns_error_vs_steps] [--quick]
-- Writes <out>.csv and <out>.png/.svg (.dat/.gp beside). --quick: 32 x 96, 6 steps, a 32 x 128
-- second table, output under $TMPDIR unless --out is given (a CI smoke run).
local ml = require "muonlab"
-- experiments/lib/study.lua: the scaffolding the study scripts share, found beside this script
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local study = require "study"
local csv = require "muonlab.csv"

local DEFAULT_OUT = "plots/ns_error_vs_steps"
local o = study.options("ns_error_vs_steps", arg, { rows = 256, cols = 1024, steps = 10, alpha = 1, seed = 1, table_rows = 512, table_cols = 2048,
                           out = DEFAULT_OUT, quick = false },
  "usage: muonlab experiments/ns_error_vs_steps.lua [--rows R] [--cols C] [--steps N] [--alpha A] [--seed S]\n" ..
  "         [--table-rows R] [--table-cols C] [--out STEM] [--quick]", { rows = 32, cols = 96, steps = 6, table_rows = 32, table_cols = 128 })
assert(o.rows >= 2 and o.cols >= 2 and o.steps >= 1 and o.table_rows >= 2 and o.table_cols >= 2,
  "need rows, cols >= 2 and steps >= 1")

-- The Polar Express preset is its Algorithm 1 with the run-time safety factor 1.01 (every row
-- but the last as (a/1.01, b/1.01^3, c/1.01^5), X_0 = X/(1.01 ||X||_F + eps)); the bare table
-- (safety = 1) is run too: in bf16 it can push singular values past 1, where its polynomials diverge.
local schedules = { "cubic", "quintic", "jordan", "you", "polar_express", "cans", "PE bare" }
local coeffs = { ["PE bare"] = ml.coeffs("polar_express", { safety = 1 }) }
local precisions = { "fp64", "fp32", "bf16" }
local inputs = {
  { name = "gaussian", label = ("Gaussian %dx%d"):format(o.rows, o.cols), A = ml.randn(o.rows, o.cols, { seed = o.seed }) },
  { name = "powerlaw", label = ("power law i^-%g %dx%d"):format(o.alpha, o.rows, o.cols),
    A = ml.spectrum(o.rows, o.cols, { kind = "powerlaw", alpha = o.alpha, seed = o.seed + 1 }) },
}

-- Feature detection: the options below were added while these studies were written.
local function accepts(opts)
  return (pcall(ml.ns, ml.randn(2, 3, { seed = 1 }), opts))
end
local has_trace = accepts { coeffs = "quintic", steps = 1, trace = true }
local missing = {}
for i = #precisions, 1, -1 do
  if not accepts { coeffs = "quintic", steps = 1, precision = precisions[i] } then
    missing[#missing + 1] = "precision = " .. precisions[i]
    table.remove(precisions, i)
  end
end
if not has_trace then missing[#missing + 1] = "trace (fell back to one run per step count)" end

local NAN = 0 / 0
local function measure(ok, X, Q, qn)
  if not ok then return { polar_dist = NAN, orth_spec = NAN } end   -- diverged (ml.ns refuses a non-finite result)
  X = X:astype("float64")
  local _, spec = ml.orth_error(X)
  return { polar_dist = (X - Q):norm() / qn, orth_spec = spec }
end

-- per[t + 1] = {polar_dist, orth_spec} after t steps, t = 0..steps; NaN once the run diverged.
local function run(A, Q, qn, s, prec)
  local c = coeffs[s] or s
  if has_trace then
    local ok, _, tr = pcall(ml.ns, A, { coeffs = c, steps = o.steps, precision = prec, trace = true })
    if ok then
      local per = { { polar_dist = tr.precond.polar_dist, orth_spec = tr.precond.orth_spec } }
      for t = 1, o.steps do per[t + 1] = { polar_dist = tr[t].polar_dist, orth_spec = tr[t].orth_spec } end
      return per
    end
  end
  local per = {}   -- no trace, or the traced run diverged: one run per step count
  for t = 0, o.steps do
    local ok, X = pcall(ml.ns, A, { coeffs = c, steps = t, precision = prec })
    per[t + 1] = measure(ok, X, Q, qn)
  end
  return per
end

local rows, result, t_all = {}, {}, ml.now()
for _, inp in ipairs(inputs) do
  local Q = ml.polar(inp.A)
  local qn = Q:norm()
  result[inp.name] = {}
  for _, p in ipairs(precisions) do
    result[inp.name][p] = {}
    for _, s in ipairs(schedules) do
      local per = run(inp.A, Q, qn, s, p)
      result[inp.name][p][s] = per
      for t = 0, o.steps do
        rows[#rows + 1] = { input = inp.name, rows = o.rows, cols = o.cols, precision = p, schedule = s, step = t,
                            polar_dist = per[t + 1].polar_dist, orth_spec = per[t + 1].orth_spec }
      end
    end
  end
end

-- The closing-note table: 5 steps on a Gaussian table_rows x table_cols matrix, no trace.
local G = ml.randn(o.table_rows, o.table_cols, { seed = o.seed })
local QG = ml.polar(G)
local qgn = QG:norm()
local closing = {}
for _, p in ipairs(precisions) do
  closing[p] = {}
  for _, s in ipairs(schedules) do
    local ok, X = pcall(ml.ns, G, { coeffs = coeffs[s] or s, steps = 5, precision = p })
    local m = measure(ok, X, QG, qgn)
    closing[p][s] = m
    rows[#rows + 1] = { input = "gaussian", rows = o.table_rows, cols = o.table_cols, precision = p, schedule = s,
                        step = 5, polar_dist = m.polar_dist, orth_spec = m.orth_spec }
  end
end
local elapsed = ml.now() - t_all
csv.write(o.out .. ".csv", { "input", "rows", "cols", "precision", "schedule", "step", "polar_dist", "orth_spec" }, rows)

-- Tables: every number the figure draws (distance / orthogonality error per step), then the 5-step table.
local function header(first)
  local h = ("%-5s"):format(first)
  for _, s in ipairs(schedules) do h = h .. ("%18s"):format(s) end
  return h
end
print("Distance to the SVD polar factor ||X_t - UV^T||_F/||UV^T||_F  /  orthogonality error ||X_t X_t^T - I||_2")
for _, inp in ipairs(inputs) do
  for _, p in ipairs(precisions) do
    print(("\n%s, %s"):format(inp.label, p))
    print(header("t"))
    for t = 0, o.steps do
      local line = ("%-5d"):format(t)
      for _, s in ipairs(schedules) do
        local r = result[inp.name][p][s][t + 1]
        line = line .. (r.polar_dist == r.polar_dist and ("  %7.1e/%7.1e"):format(r.polar_dist, r.orth_spec)
                        or ("%18s"):format("diverged"))
      end
      print(line)
    end
  end
end
print(("\nAfter 5 steps, Gaussian %dx%d (seed %d), Frobenius preconditioning: ||X_5 - UV^T||_F / ||UV^T||_F")
  :format(o.table_rows, o.table_cols, o.seed))
local h = ("%-15s"):format("schedule")
for _, p in ipairs(precisions) do h = h .. ("%10s"):format(p) end
print(h)
for _, s in ipairs(schedules) do
  local line = ("%-15s"):format(s)
  for _, p in ipairs(precisions) do
    local d = closing[p][s].polar_dist
    line = line .. (d == d and ("%10.4f"):format(d) or ("%10s"):format("diverged"))
  end
  print(line)
end
print(("(%d rows in %.1f s; data in %s.csv)"):format(#rows, elapsed, o.out))
if #missing > 0 then print("not available in this build: " .. table.concat(missing, ", ")) end

-- Figure: rows = (input, metric), columns = precision; one colour per schedule everywhere.
local panels = {}
for _, inp in ipairs(inputs) do
  for _, metric in ipairs { "polar_dist", "orth_spec" } do
    for _, p in ipairs(precisions) do
      local series = {}
      for _, s in ipairs(schedules) do
        local xs, ys = {}, {}
        for t = 0, o.steps do
          local v = result[inp.name][p][s][t + 1][metric]
          if v == v then   -- a diverged run ends its line
            xs[#xs + 1] = t
            ys[#ys + 1] = math.max(v, 1e-17)   -- keep exact zeros on the log axis
          end
        end
        if #xs > 0 then series[#series + 1] = { x = xs, y = ys, title = s, with = "linespoints" } end
      end
      if o.steps >= 5 then   -- Muon's 5 steps
        series[#series + 1] = { x = { 5, 5 }, y = { 1e-16, 10 }, with = "lines", style = "lc rgb '#888888' lw 1 dt 2" }
      end
      panels[#panels + 1] = {
        title = ("%s, %s: %s"):format(inp.label, p, metric == "polar_dist" and "distance to polar" or "orthogonality"),
        series = series,
        ylabel = metric == "polar_dist" and "||X - UV^T||_F / ||UV^T||_F" or "||X X^T - I||_2",
        key = (#panels == 0) and "bottom left" or false,
      }
    end
  end
end
local written = ml.plot {
  output = o.out .. ".png", formats = { "png", "svg" }, layout = { #panels // #precisions, #precisions },
  size = { 1650, 1900 }, xlabel = "NS steps", logy = true, yrange = { 1e-16, 10 }, grid = true, panels = panels,
}
print("figure: " .. table.concat(type(written) == "table" and written or { tostring(written) }, ", "))

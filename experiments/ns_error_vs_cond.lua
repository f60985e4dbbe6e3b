-- How far from the polar factor is each Newton-Schulz schedule after 5 steps as the condition
-- number grows from 1e1 to 1e7, and how much does the preconditioner (the normalisation that
-- produces X_0) change that? Inputs: U diag(s) V^T with Haar-random U, V and singular values
-- geometric from 1 to 1/cond (ml.spectrum kind "geometric", sigma_max = 1, so precond = "none"
-- is the oracle that knows sigma_max exactly). Error: ||X_5 - UV^T||_F / ||UV^T||_F against the
-- SVD polar factor (float64); the CSV also has ||X_5 X_5^T - I||_2.
--   muonlab experiments/ns_error_vs_cond.lua [--rows 256] [--cols 1024] [--steps 5] [--max-exp 7] [--seed 1]
--       [--precisions fp32,bf16] [--out plots/ns_error_vs_cond] [--quick]
-- Writes <out>.csv and <out>.png/.svg (.dat/.gp beside), prints the table the figure draws.
-- --quick: 32 x 96, cond 1e1..1e4, output under $TMPDIR unless --out is given.
local ml = require "muonlab"
-- experiments/lib/study.lua: the scaffolding the study scripts share, found beside this script
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local study = require "study"
local csv = require "muonlab.csv"

local DEFAULT_OUT = "plots/ns_error_vs_cond"
local o = study.options("ns_error_vs_cond", arg, { rows = 256, cols = 1024, steps = 5, max_exp = 7, seed = 1, precisions = "fp32,bf16",
                           out = DEFAULT_OUT, quick = false },
  "usage: muonlab experiments/ns_error_vs_cond.lua [--rows R] [--cols C] [--steps N] [--max-exp E] [--seed S]\n" ..
  "         [--precisions fp32,bf16] [--out STEM] [--quick]", { rows = 32, cols = 96, max_exp = 4 })
assert(o.rows >= 2 and o.cols >= 2 and o.steps >= 1 and o.max_exp >= 1, "need rows, cols >= 2, steps >= 1, max-exp >= 1")

-- The Polar Express preset is its Algorithm 1 with the run-time safety factor 1.01 (every row
-- but the last as (a/1.01, b/1.01^3, c/1.01^5), X_0 = X/(1.01 ||X||_F + eps)); the bare table
-- (safety = 1) is run too: it diverges when sigma_max(X_0) is close to 1 and the arithmetic is bf16.
local schedules = { "cubic", "quintic", "jordan", "you", "polar_express", "cans", "PE bare" }
local coeffs = { ["PE bare"] = ml.coeffs("polar_express", { safety = 1 }) }
local preconds = { "frobenius", "spectral", "aol", "schatten", "none" }
local precisions = {}
for p in o.precisions:gmatch("[^,%s]+") do precisions[#precisions + 1] = p end

-- Feature detection: drop (and report) options this build does not have.
local missing = {}
local function keep(list, key)
  for i = #list, 1, -1 do
    if not pcall(ml.ns, ml.randn(2, 3, { seed = 1 }), { coeffs = "quintic", steps = 1, [key] = list[i] }) then
      missing[#missing + 1] = ("%s = %s"):format(key, list[i])
      table.remove(list, i)
    end
  end
end
keep(preconds, "precond")
keep(precisions, "precision")
assert(#preconds > 0 and #precisions > 0, "nothing to run: " .. table.concat(missing, ", "))

local conds = {}
for e = 1, o.max_exp do conds[e] = 10 ^ e end

local rows, result, t_all = {}, {}, ml.now()
for e, cond in ipairs(conds) do
  local A = ml.spectrum(o.rows, o.cols, { kind = "geometric", cond = cond, seed = o.seed + e })
  local Q = ml.polar(A)
  local qn = Q:norm()
  for _, p in ipairs(precisions) do
    for _, pc in ipairs(preconds) do
      for _, s in ipairs(schedules) do
        local X = ml.ns(A, { coeffs = coeffs[s] or s, steps = o.steps, precision = p, precond = pc }):astype("float64")
        local dist = (X - Q):norm() / qn
        local _, orth = ml.orth_error(X)
        local key = p .. "/" .. pc .. "/" .. s
        result[key] = result[key] or {}
        result[key][e] = dist
        rows[#rows + 1] = { cond = cond, precision = p, precond = pc, schedule = s, steps = o.steps,
                            polar_dist = dist, orth_spec = orth }
      end
    end
  end
end
local elapsed = ml.now() - t_all
csv.write(o.out .. ".csv", { "cond", "precision", "precond", "schedule", "steps", "polar_dist", "orth_spec" }, rows)

print(("Distance to the SVD polar factor after %d steps, ||X - UV^T||_F / ||UV^T||_F, %dx%d geometric spectra, seed %d")
  :format(o.steps, o.rows, o.cols, o.seed))
for _, p in ipairs(precisions) do
  for _, pc in ipairs(preconds) do
    print(("\n%s, precond = %s"):format(p, pc))
    local h = ("%-8s"):format("cond")
    for _, s in ipairs(schedules) do h = h .. ("%15s"):format(s) end
    print(h)
    for e, cond in ipairs(conds) do
      local line = ("%-8s"):format(("1e%d"):format(e))
      for _, s in ipairs(schedules) do line = line .. ("%15.2e"):format(result[p .. "/" .. pc .. "/" .. s][e]) end
      print(line)
    end
  end
end
print(("\n(%d NS runs in %.1f s; data in %s.csv)"):format(#rows, elapsed, o.out))
if #missing > 0 then print("not available in this build: " .. table.concat(missing, ", ")) end

-- Figure: rows = precision, columns = preconditioner; one colour per schedule everywhere.
local panels = {}
for _, p in ipairs(precisions) do
  for _, pc in ipairs(preconds) do
    local series = {}
    for _, s in ipairs(schedules) do
      series[#series + 1] = { x = conds, y = result[p .. "/" .. pc .. "/" .. s], title = s, with = "linespoints" }
    end
    panels[#panels + 1] = {
      title = ("%s, precond %s%s"):format(p, pc, pc == "none" and " (sigma_max = 1)" or ""),
      series = series, key = (#panels == 0) and "bottom right" or false,
    }
  end
end
local written = ml.plot {
  output = o.out .. ".png", formats = { "png", "svg" }, layout = { #precisions, #preconds },
  size = { 420 * #preconds, 460 * #precisions }, xlabel = "condition number", ylabel = "||X - UV^T||_F / ||UV^T||_F",
  logx = true, logy = true, yrange = { 5e-4, 30 }, grid = true, panels = panels,
  title = ("%d NS steps on %dx%d matrices with geometric singular values"):format(o.steps, o.rows, o.cols),
}
print("figure: " .. table.concat(type(written) == "table" and written or { tostring(written) }, ", "))

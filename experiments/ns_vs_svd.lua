-- How close does each Newton-Schulz schedule get to the exact polar factor (SVD), and how
-- orthogonal is its output, after 1..10 steps, on a Gaussian matrix and on matrices with
-- prescribed condition numbers 1e1..1e6?
--   muonlab experiments/ns_vs_svd.lua [--rows 256] [--cols 1024] [--seed 1] [--steps 10] [--out plots/ns_vs_svd] [--quick]
-- Writes <out>.csv and <out>.png/.svg (with the .dat/.gp beside them), prints a table.
-- --quick: 32 x 128, output under $TMPDIR unless --out is given (a CI smoke run).
local ml = require "muonlab"
-- experiments/lib/study.lua: the scaffolding the study scripts share, found beside this script
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local study = require "study"
local csv = require "muonlab.csv"

local DEFAULT_OUT = "plots/ns_vs_svd"
local o = study.options("ns_vs_svd", arg, { rows = 256, cols = 1024, seed = 1, steps = 10, out = DEFAULT_OUT, dtype = "float64", quick = false },
  "usage: muonlab experiments/ns_vs_svd.lua [--rows R] [--cols C] [--seed S] [--steps N] [--dtype float64|float32] [--out STEM] [--quick]", { rows = 32, cols = 128 })

local schedules = { "cubic", "quintic", "jordan", "you", "polar_express" }
local inputs = { { name = "gaussian", A = ml.randn(o.rows, o.cols, { seed = o.seed, dtype = o.dtype }) } }
for e = 1, 6 do
  inputs[#inputs + 1] = {
    name = ("cond=1e%d"):format(e), cond = 10 ^ e,
    A = ml.spectrum(o.rows, o.cols, { kind = "geometric", cond = 10 ^ e, seed = o.seed + e, dtype = o.dtype }),
  }
end

local rows, t0 = {}, ml.now()
local result = {}   -- result[input][schedule][steps] = {dist, orth}
for _, inp in ipairs(inputs) do
  local Q = ml.polar(inp.A:astype("float64"))
  local qn = Q:norm()
  result[inp.name] = {}
  for _, s in ipairs(schedules) do
    result[inp.name][s] = {}
    for t = 1, o.steps do
      local X = ml.ns(inp.A, { coeffs = s, steps = t }):astype("float64")
      local dist = (X - Q):norm() / qn      -- relative Frobenius distance to U V^T
      local orth = ml.orth_error(X)         -- ||X X^T - I||_F on the short side
      result[inp.name][s][t] = { dist, orth }
      rows[#rows + 1] = { input = inp.name, cond = inp.cond or "", schedule = s, steps = t, polar_dist = dist, orth_err = orth }
    end
  end
end
local elapsed = ml.now() - t0

csv.write(o.out .. ".csv", { "input", "cond", "schedule", "steps", "polar_dist", "orth_err" }, rows)

-- The table: relative distance to the polar factor after 5 and after `steps` steps.
print(("NS vs SVD polar factor, %dx%d %s, seed %d: relative Frobenius distance ||X - UV^T|| / ||UV^T||")
  :format(o.rows, o.cols, o.dtype, o.seed))
local head = ("%-10s"):format("input")
for _, s in ipairs(schedules) do head = head .. ("%15s"):format(s) end
print(head .. "   (after 5 steps / after " .. o.steps .. ")")
for _, inp in ipairs(inputs) do
  local line = ("%-10s"):format(inp.name)
  for _, s in ipairs(schedules) do
    local r = result[inp.name][s]
    line = line .. ("  %6.1e/%6.1e"):format(r[math.min(5, o.steps)][1], r[o.steps][1])
  end
  print(line)
end
print(("(%d NS runs in %.1f s; data in %s.csv)"):format(#rows, elapsed, o.out))

-- Figure: left, distance vs steps on the Gaussian matrix; right, distance after 5 steps vs condition number.
local left, right = {}, {}
for _, s in ipairs(schedules) do
  local xs, ys = {}, {}
  for t = 1, o.steps do xs[t], ys[t] = t, result.gaussian[s][t][1] end
  left[#left + 1] = { x = xs, y = ys, title = s, with = "linespoints" }
  local cx, cy = {}, {}
  for _, inp in ipairs(inputs) do
    if inp.cond then cx[#cx + 1], cy[#cy + 1] = inp.cond, result[inp.name][s][math.min(5, o.steps)][1] end
  end
  right[#right + 1] = { x = cx, y = cy, title = s, with = "linespoints" }
end
local written = ml.plot {
  output = o.out .. ".png", formats = { "png", "svg" }, layout = { 1, 2 }, size = { 1400, 560 },
  panels = {
    { title = ("Gaussian %dx%d: distance to polar factor"):format(o.rows, o.cols), xlabel = "NS steps",
      ylabel = "||X - UV^T||_F / ||UV^T||_F", logy = true, series = left, key = "bottom left" },
    { title = "after 5 steps, prescribed spectrum", xlabel = "condition number", ylabel = "||X - UV^T||_F / ||UV^T||_F",
      logx = true, logy = true, series = right },
  },
}
print("figure: " .. table.concat(type(written) == "table" and written or { tostring(written) }, ", "))

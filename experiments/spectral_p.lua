-- U Sigma^p V^T without the SVD: how fast does the coupled Newton iteration of "Delving into Muon
-- and Beyond" (Qi et al., arXiv 2602.04669) approach the SVD result, per p in {0, 1/4, 1/2, 1},
-- and what does its regularising shift cost? On a Gaussian matrix and on a matrix with singular
-- values geometric from 1 to 1/cond, the relative error ||X_k - U S^p V^T||_F / ||U S^p V^T||_F
-- after k steps of every coupled-Newton run (a fresh run for each k) for
--   paper         the paper's algorithm: shift 1e-6 + 1e-4 tr(G)/n in every run, p = 1/2 as
--                 sqrt(invsqrt(G)), p = 1/4 as the p = 1/2 map twice (2 and 4 runs of k steps);
--   paper, no shift   the same without the shift (the iteration's own convergence);
--   roots, no shift   one Guo-Higham run for G^{-1/r} (r = 2, 8 with a cube, 4), then its power;
--   jordan NS     (p = 0 only) the paper code's own p = 0: k steps of Jordan's quintic Newton-Schulz.
-- p = 1 is the identity (exact) and appears in the table only.
--   muonlab experiments/spectral_p.lua [--rows 256] [--cols 1024] [--cond 1e3] [--steps 30] [--seed 1]
--                                      [--out plots/spectral_p] [--quick]
-- Writes <out>.csv and <out>.png/.svg (with .dat/.gp), prints the table the figure draws.
-- --quick: 32 x 96, 10 steps, output under $TMPDIR unless --out is given (a CI smoke run).
local ml = require "muonlab"
-- experiments/lib/study.lua: the scaffolding the study scripts share, found beside this script
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local study = require "study"
local csv = require "muonlab.csv"

local DEFAULT_OUT = "plots/spectral_p"
local o = study.options("spectral_p", arg, { rows = 256, cols = 1024, cond = 1e3, steps = 30, seed = 1, out = DEFAULT_OUT, quick = false },
  "usage: muonlab experiments/spectral_p.lua [--rows R] [--cols C] [--cond K] [--steps N] [--seed S] [--out STEM] [--quick]", { rows = 32, cols = 96, steps = 10 })
assert(o.rows >= 2 and o.cols >= 2 and o.steps >= 1 and o.cond >= 1, "need rows, cols >= 2, steps >= 1, cond >= 1")

local inputs = {
  { name = "gaussian", label = ("Gaussian %dx%d"):format(o.rows, o.cols), A = ml.randn(o.rows, o.cols, { seed = o.seed }) },
  { name = "cond", label = ("spectrum %dx%d, cond %g"):format(o.rows, o.cols, o.cond), cond = o.cond,
    A = ml.spectrum(o.rows, o.cols, { kind = "geometric", cond = o.cond, seed = o.seed + 1 }) },
}
local powers = { { p = 0, name = "0" }, { p = 0.25, name = "1/4" }, { p = 0.5, name = "1/2" } }
local methods = {
  { name = "paper, default shift", opts = { method = "newton" } },
  { name = "paper, no shift", opts = { method = "newton", shift = 0, shift_abs = 0 } },
  { name = "roots, no shift", opts = { method = "newton", route = "roots", shift = 0, shift_abs = 0 } },
  { name = "jordan NS", p0only = true },
}

local function run(m, A, p, k)
  if m.p0only then return ml.ns(A, { coeffs = "jordan", steps = k }) end
  local opts = { steps = k }
  for key, v in pairs(m.opts) do opts[key] = v end
  return ml.spectral(A, p, opts)
end

local rows, result, t_all = {}, {}, ml.now()
for _, inp in ipairs(inputs) do
  result[inp.name] = {}
  for _, pw in ipairs(powers) do
    local R = ml.spectral(inp.A, pw.p)   -- the SVD reference, once per (input, p)
    local rn = R:norm()
    result[inp.name][pw.name] = {}
    for _, m in ipairs(methods) do
      if pw.p == 0 or not m.p0only then
        local errs = {}
        for k = 1, o.steps do
          local t0 = ml.now()
          local X = run(m, inp.A, pw.p, k)
          local dt = ml.now() - t0
          errs[k] = (X - R):norm() / rn
          rows[#rows + 1] = { input = inp.name, cond = inp.cond or "", p = pw.p, method = m.name, steps = k,
                              rel_err = errs[k], time_s = dt }
        end
        result[inp.name][pw.name][m.name] = errs
      end
    end
  end
  -- p = 1: the identity, whatever the route
  local X1 = ml.spectral(inp.A, 1, { method = "newton" })
  inp.p1 = (X1 - ml.spectral(inp.A, 1)):norm() / inp.A:norm()
  rows[#rows + 1] = { input = inp.name, cond = inp.cond or "", p = 1, method = "paper", steps = 0, rel_err = inp.p1, time_s = 0 }
end
local elapsed = ml.now() - t_all

csv.write(o.out .. ".csv", { "input", "cond", "p", "method", "steps", "rel_err", "time_s" }, rows)

-- The table: every number the figure plots.
local cols = {}
for _, pw in ipairs(powers) do
  for _, m in ipairs(methods) do
    if pw.p == 0 or not m.p0only then cols[#cols + 1] = { pw = pw, m = m } end
  end
end
local short = { ["paper, default shift"] = "paper", ["paper, no shift"] = "paper/0", ["roots, no shift"] = "roots/0", ["jordan NS"] = "NS" }
print(("Coupled Newton vs SVD for U S^p V^T, seed %d: relative Frobenius error after k steps per run")
  :format(o.seed))
print("(paper: default shift 1e-6 + 1e-4 tr/n; /0: shift 0; roots: Guo-Higham G^{-1/r}; NS: Jordan quintic, p = 0)")
for _, inp in ipairs(inputs) do
  print(("\n%s   [p = 1 is the identity: error %.1e]"):format(inp.label, inp.p1))
  local h1, h2 = ("%4s"):format(""), ("%4s"):format("k")
  for _, c in ipairs(cols) do
    h1 = h1 .. ("%9s"):format("p=" .. c.pw.name)
    h2 = h2 .. ("%9s"):format(short[c.m.name])
  end
  print(h1)
  print(h2)
  for k = 1, o.steps do
    local line = ("%4d"):format(k)
    for _, c in ipairs(cols) do line = line .. ("%9.1e"):format(result[inp.name][c.pw.name][c.m.name][k]) end
    print(line)
  end
end
print(("\n(%d runs in %.1f s; data in %s.csv)"):format(#rows, elapsed, o.out))

-- Figure: one panel per (input, p); the same method has the same colour in every panel.
local panels = {}
for _, inp in ipairs(inputs) do
  for _, pw in ipairs(powers) do
    local series = {}
    for _, m in ipairs(methods) do
      local errs = result[inp.name][pw.name][m.name]
      if errs then
        local xs, ys = {}, {}
        for k = 1, o.steps do
          xs[k] = k
          ys[k] = math.max(errs[k], 1e-17)   -- an exact 0 would vanish from the log axis
        end
        series[#series + 1] = { x = xs, y = ys, title = m.name, with = "linespoints" }
      end
    end
    if o.steps >= 15 then   -- the paper's default number of steps
      series[#series + 1] = { x = { 15, 15 }, y = { 1e-16, 3 }, title = "15 steps (paper default)", with = "lines",
                              style = "lc rgb '#888888' dt 2 lw 1" }
    end
    -- one key, where every panel has room: the ill-conditioned p = 0 panel (it has all the series)
    local key = (inp.name == "cond" and pw.p == 0) and "bottom left" or false
    panels[#panels + 1] = { title = ("%s: p = %s"):format(inp.label, pw.name), series = series, key = key }
  end
end
local written = ml.plot {
  output = o.out .. ".png", formats = { "png", "svg" }, layout = { 2, 3 }, size = { 1500, 900 },
  xlabel = "steps per coupled-Newton run", ylabel = "||X - U S^p V^T||_F / ||U S^p V^T||_F", logy = true,
  yrange = { 1e-16, 3 }, grid = true, panels = panels,
}
print("figure: " .. table.concat(type(written) == "table" and written or { tostring(written) }, ", "))

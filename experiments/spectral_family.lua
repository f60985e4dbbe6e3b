-- The spectral family of seed 001 ("Delving into Muon and Beyond"): updates U S^p V^T of the
-- first moment (momentum SGD) or of the RMS-normalised Adam direction, p = 0 (Muon's polar
-- factor), 1/4, 1/2, 1 (p = 1: momentum SGD and Adam themselves). Final loss against p, each
-- cell at its best learning rate — the paper's table — on the MLP (Fashion-MNIST) and the
-- char-level language model (fortunes).
--   muonlab experiments/spectral_family.lua [--quick] [--seed 1] [--seeds 3] [--steps 300]
--       [--problems mlp,char_lm] [--method svd|newton] [--out plots/spectral_family] [--fresh]
--
-- Optimizer: ml.optim.spectral{p =, base = "momentum" | "adam", lr =}, momentum 0.9 / Adam betas
-- 0.9, 0.999, no weight decay, U S^p V^T through the SVD (--method newton: the paper's coupled
-- Newton iteration) on every parameter with both dimensions > 1 (the paper's code), vectors
-- (biases) with the plain base update. The learning rate of each (base, p) cell is the best
-- (lowest final loss) of a 6-point half-decade grid with --seed; the other seeds rerun it.
-- A run diverges when its loss becomes NaN/Inf or the plotted loss exceeds 100x its initial
-- value (kept in the CSV as "diverged").
--
-- Runs go through ml.sweep into --runs (default results/spectral_family[.quick]; `<out>` when
-- --out is not under plots/): durable rows, rerunning resumes, --fresh starts over. Then
-- <out>.csv (one row per run at the chosen rates), <out>.png/.svg and the table.
-- --quick (CI smoke): small models, 20 steps, 2 rates, 2 seeds, into $TMPDIR unless --out is given,
-- starting clean unless --resume.
local ml = require "muonlab"
local csv = require "muonlab.csv"
local progress = require "muonlab.progress"
-- experiments/lib/study.lua: the scaffolding the study scripts share, found beside this script
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local study = require "study"

local o = study.options("spectral_family", arg, {
  quick = false, seed = 1, seeds = 3, steps = 0, problems = "mlp,char_lm", method = "svd",
  out = "plots/spectral_family", runs = "", fresh = false, resume = false, threads = 1,
}, "usage: muonlab experiments/spectral_family.lua [--quick] [--seed S] [--seeds N] [--steps N] [--problems a,b]\n"
  .. "       [--method svd|newton] [--out STEM] [--runs STEM] [--threads N] [--fresh] [--resume]")
local Q = o.quick
local STEPS = o.steps > 0 and math.tointeger(o.steps) or (Q and 20 or 300)
local EVALS = Q and 4 or 15
local PS = { 0, 0.25, 0.5, 1 }
local BASES = { "momentum", "adam" }
local PNAME = { [0] = "0", [0.25] = "1/4", [0.5] = "1/2", [1] = "1" }

-- Learning-rate grids per (base, p), 6 half-decade values: the update's size grows with p for
-- the first moment (p = 1 is momentum SGD) and shrinks with p for Adam's direction (p = 0 has
-- unit singular values, p = 1 entries of size ~1).
local G1 = { 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3 }
local GRID = {
  momentum = { [0] = G1, [0.25] = G1, [0.5] = { 3e-3, 0.01, 0.03, 0.1, 0.3, 1 }, [1] = { 3e-3, 0.01, 0.03, 0.1, 0.3, 1 } },
  adam = { [0] = G1, [0.25] = G1, [0.5] = { 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1 }, [1] = { 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03 } },
}
local function grid(base, p) local g = GRID[base][p] return Q and { g[3], g[5] } or g end
local NLR = #grid("adam", 0)

---------------------------------------------------------------------------------------------
-- Problems

local PROBLEMS = {
  mlp = {
    title = Q and "MLP 784-32-10 (Fashion-MNIST)" or "MLP 784-128-128-10 (Fashion-MNIST)",
    ylabel = "training loss", logy = true, make = study.mlp_problem(Q),
  },
  char_lm = {
    title = ("char-level MLP LM, hidden %d (fortunes)"):format(Q and 32 or 128),
    ylabel = "validation loss (nats/char)", logy = false, make = study.char_lm_problem(Q),
  },
}
local problems = {}
for w in o.problems:gmatch("[^,%s]+") do
  if not PROBLEMS[w] then error("unknown problem '" .. w .. "' (known: mlp, char_lm)", 0) end
  problems[#problems + 1] = w
end

---------------------------------------------------------------------------------------------
-- One run

local stats, unpack_curve = study.stats, study.unpack_curve
local function pack(curve) return study.pack(curve, "%d:%.6g") end
local prog

local function train(problem, base, p, lr, seed)
  local P = PROBLEMS[problem].make(seed)
  local m0 = P.metric()
  local curve = { { 0, m0 } }
  local every = math.max(1, STEPS // EVALS)
  local at, t = study.run_steps { problem = P, opt = ml.optim.spectral { lr = lr, p = p, base = base, method = o.method },
    steps = STEPS, prog = prog, what = ("%s/%s p=%s lr=%g seed %d"):format(problem, base, PNAME[p], lr, seed), m0 = m0,
    curve = curve, evaluate = function(s) return s % every == 0 or s == STEPS end }
  if at then return { lr = lr, final = 0 / 0, diverged_at = at, status = "diverged", message = t, curve = pack(curve) } end
  return { lr = lr, final = curve[#curve][2], ms_per_step = 1000 * t / STEPS, curve = pack(curve) }
end

---------------------------------------------------------------------------------------------
-- One sweep file keyed by (problem, base, p, lr, seed, steps, method): every rate of the cell's
-- grid with --seed, then the best one (lowest final loss) with the other seeds; one ml.sweep call
-- per stage and cell, since the grids differ; --fresh moves the old file aside once.

local path = study.runs_path(o)
local seeds = study.seeds(o)
local rows_of = study.rows_of
local function key(pr, b, p, lr, s) return table.concat({ pr, b, ("%.17g"):format(p), ("%.17g"):format(lr), s }, ",") end
local function index()
  local t = {}
  for _, r in ipairs(rows_of(path)) do
    if r.steps == STEPS and r.method == o.method then t[key(r.problem, r.base, r.p, r.lr, r.seed)] = r end
  end
  return t
end
local function cell(pr, b, p) return pr .. "/" .. b .. "/" .. ("%.17g"):format(p) end
local function best_of(have, pr, b, p)
  return study.best_of(grid(b, p), function(lr) return have[key(pr, b, p, lr, o.seed)] end)
end

local pending = 0
do
  local have = o.fresh and {} or index()
  for _, pr in ipairs(problems) do for _, b in ipairs(BASES) do for _, p in ipairs(PS) do
    for _, lr in ipairs(grid(b, p)) do if not have[key(pr, b, p, lr, o.seed)] then pending = pending + STEPS end end
    local best = best_of(have, pr, b, p)
    for k = 2, #seeds do
      if not (best and have[key(pr, b, p, best.lr, seeds[k])]) then pending = pending + STEPS end
    end
  end end end
end
prog = progress.new { label = "spectral_family", total = pending }

local run_sweep = study.sweeper(path, { "problem", "base", "p", "lr", "seed", "steps", "method" }, o.fresh)
local function sweep(pr, b, p, lrs, ss)
  run_sweep({ problem = { pr }, base = { b }, p = { p }, lr = lrs, seed = ss, steps = { STEPS }, method = { o.method } },
    function(c) local r = train(c.problem, c.base, c.p, c.lr, c.seed); r.lr = nil; return r end)
end
local t_start = ml.now()
local best = {}
for _, pr in ipairs(problems) do for _, b in ipairs(BASES) do for _, p in ipairs(PS) do
  sweep(pr, b, p, grid(b, p), { o.seed })
  local bst = best_of(index(), pr, b, p)
  best[cell(pr, b, p)] = bst
  if bst and #seeds > 1 then sweep(pr, b, p, { bst.lr }, { table.unpack(seeds, 2) })
  elseif not bst then prog:step(STEPS * (#seeds - 1)) end
end end end
prog:done()

---------------------------------------------------------------------------------------------
-- Table, CSV, figure

local have = index()
local runs_of, ndiv = {}, {}
for _, pr in ipairs(problems) do for _, b in ipairs(BASES) do for _, p in ipairs(PS) do
  local c, bst = cell(pr, b, p), best[cell(pr, b, p)]
  for _, lr in ipairs(grid(b, p)) do
    local r = have[key(pr, b, p, lr, o.seed)]
    if r and r.status ~= "ok" then ndiv[c] = (ndiv[c] or 0) + 1 end
  end
  if bst then
    runs_of[c] = {}
    for _, s in ipairs(seeds) do
      local r = have[key(pr, b, p, bst.lr, s)]
      if r then table.insert(runs_of[c], r) end
    end
  end
end end end

local out_rows = {}
print(("Spectral family U S^p V^T: final loss after %d steps at the best of %d rates, mean +- std over %d seed(s) (%s)")
  :format(STEPS, NLR, #seeds, o.method))
local panels_p, panels_c = {}, {}
for _, pr in ipairs(problems) do
  print(("\n%s  [%s]"):format(PROBLEMS[pr].title, PROBLEMS[pr].ylabel))
  print(("%-6s  %-36s  %-36s"):format("p", "first moment (momentum): final  lr", "RMS-normalised (Adam): final  lr"))
  local res = {}
  for _, b in ipairs(BASES) do
    res[b] = {}
    for _, p in ipairs(PS) do
      local c = cell(pr, b, p)
      local finals, curves = {}, {}
      for _, r in ipairs(runs_of[c] or {}) do
        if r.status == "ok" then finals[#finals + 1] = r.final end
        curves[#curves + 1] = unpack_curve(r.curve)
        out_rows[#out_rows + 1] = { problem = pr, base = b, p = p, lr = ("%.4g"):format(r.lr), seed = r.seed,
          final_loss = r.final,
          status = r.status, lr_grid_diverged = ndiv[c] or 0 }
      end
      local m, sd, lo, hi = stats(finals)
      res[b][p] = { mean = m, sd = sd, lo = lo, hi = hi, lr = best[c] and best[c].lr, curves = curves, n = #finals }
    end
  end
  for _, p in ipairs(PS) do
    local line = ("%-6s"):format(PNAME[p])
    for _, b in ipairs(BASES) do
      local r = res[b][p]
      local c = cell(pr, b, p)
      local note = (ndiv[c] or 0) > 0 and (" (%d/%d div)"):format(ndiv[c], NLR) or ""
      if r.n == 0 then line = line .. ("  %-36s"):format("diverged at every rate")
      else line = line .. ("  %-36s"):format(("%.4f +- %.3f  %-7.2g%s"):format(r.mean, r.sd, r.lr, note)) end
    end
    print(line)
  end
  -- final loss vs p
  local sp, sc = {}, {}
  for bi, b in ipairs(BASES) do
    local xs, ys, lo, hi = {}, {}, {}, {}
    for _, p in ipairs(PS) do
      local r = res[b][p]
      if r.n > 0 then xs[#xs + 1], ys[#ys + 1], lo[#lo + 1], hi[#hi + 1] = p, r.mean, r.lo, r.hi end
    end
    if #xs > 0 then
      study.band_series(sp, xs, ys, lo, hi, b == "adam" and "RMS-normalised (Adam)" or "first moment (momentum)", bi,
        "linespoints")
    end
    -- mean curves of each p: solid for momentum, dashed for Adam (linetypes 9..16 are the dashed colours)
    for pi, p in ipairs(PS) do
      local cs = res[b][p].curves
      if #cs > 0 then
        local cx, cy = study.band(cs, 2)
        sc[#sc + 1] = { x = cx, y = cy, with = "lines", style = "lt " .. (pi + (bi - 1) * 8),
          title = ("%s p=%s"):format(b, PNAME[p]) }
      end
    end
  end
  if #sp > 0 then
    panels_p[#panels_p + 1] = { title = PROBLEMS[pr].title .. ": final loss vs p", xlabel = "p in U S^p V^T",
      ylabel = "final " .. PROBLEMS[pr].ylabel, series = sp, xrange = { -0.05, 1.05 } }
    panels_c[#panels_c + 1] = { title = PROBLEMS[pr].title .. ": mean curves", xlabel = "step",
      ylabel = PROBLEMS[pr].ylabel, logy = PROBLEMS[pr].logy, series = sc }
  end
end
csv.write(o.out .. ".csv", { "problem", "base", "p", "lr", "seed", "final_loss", "status", "lr_grid_diverged" }, out_rows)
print(("\n(%.1f s; runs in %s; table in %s.csv)"):format(ml.now() - t_start, path, o.out))

local panels = {}
for _, p in ipairs(panels_p) do panels[#panels + 1] = p end
for _, p in ipairs(panels_c) do panels[#panels + 1] = p end
if #panels > 0 then
  study.figure {
    output = o.out .. ".png", formats = { "png", "svg" }, layout = { 2, #panels_p }, size = { 700 * #panels_p, 1000 },
    title = ("Spectral family U S^p V^T, best rate per cell, mean and min..max over %d seed(s)"):format(#seeds),
    panels = panels,
  }
end

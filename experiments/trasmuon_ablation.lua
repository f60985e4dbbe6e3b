-- TrasMuon ablation (seed 000): each component switched off in turn, the damping strength alpha
-- and the floor c_min swept, on clean gradients and with injected gradient outliers — the
-- stability claim: the energy damping c_t keeps high-energy columns from taking over the update.
--   muonlab experiments/trasmuon_ablation.lua [--quick] [--seed 1] [--seeds 3] [--steps 300]
--       [--factor 100] [--prob 0.1] [--columns 4] [--out plots/trasmuon_ablation] [--fresh]
--
-- Problem: the MLP 784-128-128-10 on 10 000 Fashion-MNIST training images, minibatches of 128;
-- plotted: training loss on 2048 of them. TrasMuon (ml.optim.trasmuon, lr 1e-3) updates the
-- two hidden weight matrices, AdamW (lr 3e-3) the biases and the head; Muon (lr 0.03) is
-- the reference row. Every variant runs at the same learning rate as the full optimizer.
-- Outliers ("column energy spikes"): on a fraction --prob of the steps, --columns random input
-- columns of each weight-matrix gradient are multiplied by --factor before the optimizer sees
-- them (the loss is untouched). The spikes come from their own seeded generator, so every
-- variant sees the same corrupted steps.
--
-- Runs go through ml.sweep into --runs (default results/trasmuon_ablation[.quick]; `<out>` when
-- --out is not under plots/): one durable row per run (its curve packed in `curve`), rerunning
-- resumes, --fresh starts over. Then <out>.csv (one row per run of this grid), <out>.png/.svg
-- and the table.
-- Figure: loss curves on clean gradients; the cost of the outliers along training (loss with
-- outliers minus clean loss, paired by seed); final loss against alpha and against c_min.
-- --quick (CI smoke): MLP 784-32-10, 20 steps, 2 values per sweep, 2 seeds, into $TMPDIR unless
-- --out is given, starting clean unless --resume.
local ml = require "muonlab"
local csv = require "muonlab.csv"
local progress = require "muonlab.progress"
-- experiments/lib/study.lua: the scaffolding the study scripts share, found beside this script
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local study = require "study"

local o = study.options("trasmuon_ablation", arg, {
  quick = false, seed = 1, seeds = 3, steps = 0, factor = 100, prob = 0.1, columns = 4,
  out = "plots/trasmuon_ablation", runs = "", fresh = false, resume = false, threads = 1,
}, "usage: muonlab experiments/trasmuon_ablation.lua [--quick] [--seed S] [--seeds N] [--steps N] [--factor F]\n"
  .. "       [--prob P] [--columns K] [--out STEM] [--runs STEM] [--threads N] [--fresh] [--resume]")
local Q = o.quick
local STEPS = o.steps > 0 and math.tointeger(o.steps) or (Q and 20 or 300)
local EVALS = Q and 4 or 15
local LR_TRAS, LR_MUON, LR_BACKUP = 1e-3, 0.03, 3e-3   -- the best rates of the convergence pilot on this MLP

-- Variants: name -> {label, trasmuon options} (nil options: Muon). Sweeps keep the other defaults.
local SWITCHES = {
  { "full", "TrasMuon (all on)", {} },
  { "no_momentum_norm", "no momentum normalisation", { momentum_norm = false } },
  { "no_row_scale", "no row-wise second moment", { row_scale = false } },
  { "no_damping", "no energy damping", { damping = false } },
  { "no_rms_calibration", "no RMS calibration", { rms_calibration = false } },
  { "muon", "Muon", nil },
}
local ALPHAS = Q and { 0.25, 4 } or { 0.1, 0.25, 0.5, 1, 2, 4, 8 }
local CMINS = Q and { 0.01, 0.5 } or { 0.01, 0.03, 0.1, 0.2, 0.5, 1 }
local VARIANTS, VAR = {}, {}
local function add(name, label, opts, sweep, x)
  VARIANTS[#VARIANTS + 1] = name
  VAR[name] = { label = label, opts = opts, sweep = sweep, x = x }
end
for _, s in ipairs(SWITCHES) do add(s[1], s[2], s[3], "switch") end
for _, a in ipairs(ALPHAS) do add(("alpha=%g"):format(a), ("alpha = %g"):format(a), { alpha = a }, "alpha", a) end
for _, c in ipairs(CMINS) do add(("c_min=%g"):format(c), ("c_min = %g"):format(c), { c_min = c }, "c_min", c) end
-- the defaults (alpha 1, c_min 0.1) are the full optimizer: their sweep points reuse its runs
local DEFAULT = { alpha = 1, c_min = 0.1 }

---------------------------------------------------------------------------------------------
-- Problem and one run

local make_problem = study.mlp_problem(Q, { limit_test = Q and 500 or 2000, test_acc = true })
local SIZES = study.mlp_sizes(Q)
local stats, unpack_curve = study.stats, study.unpack_curve
local function pack(curve) return study.pack(curve, "%d:%.6g") end

local prog

local function train(variant, outliers, seed)
  local P = make_problem(seed)
  local params, info = P.model:params(), P.model:param_info()
  local v = VAR[variant]
  local mopt
  if v.opts then
    local t = { lr = LR_TRAS }
    for k, x in pairs(v.opts) do t[k] = x end
    mopt = ml.optim.trasmuon(t)
  else
    mopt = ml.optim.muon { lr = LR_MUON }
  end
  local mat = study.is_matrix(info)
  local opt = study.hybrid(mopt, info, LR_BACKUP)
  -- the spikes' own generator: the same corrupted steps and columns for every variant
  local rng = ml.rand(STEPS * (1 + 8 * o.columns), 1, { seed = 7919 * seed + 17 })
  local ri = 0
  local function u() ri = ri + 1 return rng:get(ri, 1) end
  local scales = {}
  for i, p in ipairs(params) do if mat(i) then scales[i] = ml.ones(1, p:cols(), { dtype = p:dtype() }) end end

  local what = ("%s %s seed %d"):format(variant, outliers == 1 and "outliers" or "clean", seed)
  local m0 = P.metric()
  local curve, spikes = { { 0, m0 } }, 0
  local every = math.max(1, STEPS // EVALS)
  local function perturb(grads)
    local spike = u() < o.prob
    if outliers == 1 and spike then
      spikes = spikes + 1
      for i, c in pairs(scales) do
        local n = c:cols()
        c:fill(1)
        for _ = 1, o.columns do c:set(1, 1 + math.floor(u() * n) % n, o.factor) end
        grads[i]:scale_cols_(c)
      end
    end
  end
  local at, why = study.run_steps { problem = P, opt = opt, steps = STEPS, prog = prog, what = what, m0 = m0,
    curve = curve, perturb = perturb, evaluate = function(s) return s % every == 0 or s == STEPS end }
  if at then
    return { final = 0 / 0, diverged_at = at, status = "diverged", message = why, curve = pack(curve), spikes = spikes }
  end
  -- worst: the largest plotted loss over the second half (a spike the run recovered from shows here)
  local worst = -math.huge
  for _, c in ipairs(curve) do if c[1] >= STEPS / 2 then worst = math.max(worst, c[2]) end end
  return { final = curve[#curve][2], worst = worst, test_acc = P.extra().test_acc, spikes = spikes, curve = pack(curve) }
end

---------------------------------------------------------------------------------------------
-- The sweep (variants equal to the full optimizer are not run twice)

local path = study.runs_path(o)
local seeds = study.seeds(o)
local function alias(name)
  local v = VAR[name]
  if v.sweep == "alpha" and v.x == DEFAULT.alpha or v.sweep == "c_min" and v.x == DEFAULT.c_min then return "full" end
  return name
end
local to_run = {}
for _, n in ipairs(VARIANTS) do if alias(n) == n then to_run[#to_run + 1] = n end end

local rows_of = study.rows_of
-- the configuration: the spike settings are part of it, so changing them reruns
local SETTING = ("f%g p%g k%d"):format(o.factor, o.prob, o.columns)
local function key(v, out, seed) return table.concat({ v, out, seed, STEPS, SETTING }, ",") end
local done_before = {}
if not o.fresh then for _, r in ipairs(rows_of(path)) do done_before[key(r.variant, r.outliers, r.seed)] = true end end
local pending = 0
for _, n in ipairs(to_run) do for _, out in ipairs { 0, 1 } do for _, s in ipairs(seeds) do
  if not done_before[key(n, out, s)] then pending = pending + STEPS end
end end end
prog = progress.new { label = "trasmuon_ablation", total = pending }

local t_start = ml.now()
study.sweeper(path, { "variant", "outliers", "seed", "steps", "setting" }, o.fresh)(
  { variant = to_run, outliers = { 0, 1 }, seed = seeds, steps = { STEPS }, setting = { SETTING } },
  function(cfg) return train(cfg.variant, cfg.outliers, cfg.seed) end)
prog:done()

---------------------------------------------------------------------------------------------
-- Table, CSV, figure

local by = {}   -- by[variant][outliers] = list of rows
for _, r in ipairs(rows_of(path)) do
  if r.steps == STEPS and r.setting == SETTING and VAR[r.variant] then
    for _, s in ipairs(seeds) do
      if r.seed == s then
        by[r.variant] = by[r.variant] or { [0] = {}, [1] = {} }
        table.insert(by[r.variant][r.outliers], r)
      end
    end
  end
end
local function rows_for(name, out) return (by[alias(name)] or { [0] = {}, [1] = {} })[out] end

local out_rows = {}
local summary = {}   -- summary[name][out] = {mean, sd, lo, hi, worst, acc, ndiv, n}
for _, name in ipairs(VARIANTS) do
  summary[name] = {}
  for _, out in ipairs { 0, 1 } do
    local finals, worsts, accs, ndiv = {}, {}, {}, 0
    for _, r in ipairs(rows_for(name, out)) do
      out_rows[#out_rows + 1] = { variant = name, sweep = VAR[name].sweep, value = VAR[name].x, outliers = out,
        seed = r.seed, final_loss = r.final, worst_loss = r.worst, test_acc = r.test_acc, spikes = r.spikes,
        status = r.status }
      if r.status == "ok" then
        finals[#finals + 1], worsts[#worsts + 1], accs[#accs + 1] = r.final, r.worst, r.test_acc
      else
        ndiv = ndiv + 1
      end
    end
    local m, sd, lo, hi = stats(finals)
    summary[name][out] = { mean = m, sd = sd, lo = lo, hi = hi, worst = (stats(worsts)), acc = (stats(accs)),
      ndiv = ndiv, n = #finals + ndiv }
  end
end
csv.write(o.out .. ".csv", { "variant", "sweep", "value", "outliers", "seed", "final_loss", "worst_loss", "test_acc",
  "spikes", "status" }, out_rows)

print(("TrasMuon ablation: MLP %s on Fashion-MNIST, %d steps, lr %g (Muon %g), %d seed(s); "
  .. "outliers: %d columns x%g on %g%% of steps")
  :format(table.concat(SIZES, "-"), STEPS, LR_TRAS, LR_MUON, #seeds, o.columns, o.factor, 100 * o.prob))
print("final = training loss at the end (mean +- std over seeds); worst = largest loss over the second half; acc = test accuracy")
print("delta = final loss with outliers - final loss on clean gradients (the cost of the spikes)")
print(("%-28s %18s %8s %7s   %18s %8s %7s %9s"):format("variant", "clean: final", "worst", "acc", "outliers: final", "worst",
  "acc", "delta"))
local function cellf(s)
  if s.n == 0 then return ("%18s %8s %7s"):format("-", "-", "-") end
  if s.ndiv == s.n then return ("%18s %8s %7s"):format("diverged", "-", "-") end
  return ("%10.4f +- %-5.3f %8.4f %7.4f"):format(s.mean, s.sd, s.worst, s.acc) .. (s.ndiv > 0 and ("(%d div)"):format(s.ndiv) or "")
end
local last_sweep
for _, name in ipairs(VARIANTS) do
  local v = VAR[name]
  if v.sweep ~= last_sweep and v.sweep ~= "switch" then
    print(("-- %s sweep (other settings at their defaults)"):format(v.sweep))
  end
  last_sweep = v.sweep
  local c, d = summary[name][0], summary[name][1]
  local delta = (c.n > c.ndiv and d.n > d.ndiv) and ("%+9.4f"):format(d.mean - c.mean) or ("%9s"):format("-")
  print(("%-28s %s   %s %s"):format(v.label, cellf(c), cellf(d), delta))
end
print(("(%.1f s; runs in %s; table in %s.csv)"):format(ml.now() - t_start, path, o.out))

-- Figure: curves of the switch variants (clean | outliers), final loss vs alpha and vs c_min.
local function curves_panel(out, title)
  local series = {}
  for k, s in ipairs(SWITCHES) do
    local rs = rows_for(s[1], out)
    local cs = {}
    for _, r in ipairs(rs) do cs[#cs + 1] = unpack_curve(r.curve) end
    if #cs > 0 then
      local xs, ys, lo, hi = study.band(cs, 2)
      if #xs > 0 then study.band_series(series, xs, ys, lo, hi, s[2], k) end
    end
  end
  return #series > 0 and { title = title, xlabel = "step", ylabel = "training loss", logy = true, series = series } or nil
end
-- The cost of the spikes along training: outliers minus clean, paired by seed.
local function delta_panel(title)
  local series = {}
  for k, s in ipairs(SWITCHES) do
    local clean = {}
    for _, r in ipairs(rows_for(s[1], 0)) do clean[r.seed] = unpack_curve(r.curve) end
    local ds = {}
    for _, r in ipairs(rows_for(s[1], 1)) do
      local c = clean[r.seed]
      if c then
        local d = {}
        for i, pt in ipairs(unpack_curve(r.curve)) do
          if c[i] and c[i][1] == pt[1] then d[#d + 1] = { pt[1], pt[2] - c[i][2] } end
        end
        ds[#ds + 1] = d
      end
    end
    if #ds > 0 then
      local xs, ys, lo, hi = study.band(ds, 2, nil, function(pt) return pt[1] > 0 end)
      if #xs > 0 then study.band_series(series, xs, ys, lo, hi, s[2], k) end
    end
  end
  return #series > 0 and { title = title, xlabel = "step", ylabel = "loss with outliers - clean loss", series = series } or nil
end
local function sweep_panel(kind, xlabel)
  local series = {}
  for _, out in ipairs { 0, 1 } do
    local xs, ys, lo, hi = {}, {}, {}, {}
    for _, name in ipairs(VARIANTS) do
      local v = VAR[name]
      if v.sweep == kind then
        local s = summary[name][out]
        if s.mean == s.mean then xs[#xs + 1], ys[#ys + 1], lo[#lo + 1], hi[#hi + 1] = v.x, s.mean, s.lo, s.hi end
      end
    end
    if #xs > 0 then
      study.band_series(series, xs, ys, lo, hi, out == 1 and "with outliers" or "clean", out + 1, "linespoints")
    end
  end
  return #series > 0 and { title = "TrasMuon: final loss vs " .. kind, xlabel = xlabel, ylabel = "final training loss",
    logx = true, series = series } or nil
end
local panels = {}
for _, p in ipairs {
  curves_panel(0, "clean gradients"),
  delta_panel(("cost of outliers (%d columns x%g on %g%% of steps), paired by seed"):format(o.columns, o.factor,
    100 * o.prob)),
  sweep_panel("alpha", "damping strength alpha"),
  sweep_panel("c_min", "damping floor c_min"),
} do panels[#panels + 1] = p end
if #panels > 0 then
  study.figure {
    output = o.out .. ".png", formats = { "png", "svg" }, layout = { math.ceil(#panels / 2), 2 },
    size = { 1400, 500 * math.ceil(#panels / 2) },
    title = ("TrasMuon ablation, MLP on Fashion-MNIST: mean and min..max over %d seed(s)"):format(#seeds),
    panels = panels,
  }
end

-- TrasMuon ablation on the small GPT (L = 2, C = 128, H = 4, T = 64, B = 32, float32, fortunes):
-- the full optimizer, each of its three additions to Muon switched off (energy damping, row
-- scale, RMS calibration), and Muon, all on the weight matrices with AdamW (3e-3) on the rest.
-- Recorded over training: the column energies E_j = Σ_i W_ij² of the attention input matrices
-- W_qkv (3C x C, one column per input feature), summarised per step as max_j E_j / median_j E_j
-- (mean over layers): the "outlier feature" measure TrasMuon's damping targets (its E_j are of the
-- momentum; here of the weights it produces). The table: final validation loss, the final and
-- peak energy ratio; the figure: the ratio over training and the validation loss.
-- Learning rates are retuned per variant: each runs at --mults times its base rate (TrasMuon
-- variants --lr, Muon --muon_lr); the table gives each variant at its best multiplier (lowest
-- mean validation loss over the seeds) and at the base rate, the figure the best.
--   muonlab experiments/gpt_trasmuon.lua [--quick] [--steps 500] [--seeds 3] [--seed 1] [--lr 1e-3]
--       [--muon_lr 0.02] [--mults 0.25,0.5,1,2,4] [--every 10] [--out plots/gpt_trasmuon] [--fresh]
-- The committed plots/gpt_trasmuon.* is the full run: --steps 500 --seeds 3, rates 0.25..4 x base (75 runs, ~50 min
-- on one thread; the 0.25 and 4 runs were added in two processes and their runs files merged).
-- Runs through ml.sweep (one row per run, curves packed; a rerun resumes).
-- --quick: 12 steps of a GPT with C = 32 at multipliers 1 and 4, into $TMPDIR.
local ml = require "muonlab"
local csv = require "muonlab.csv"
local progress = require "muonlab.progress"
-- experiments/lib/study.lua: the scaffolding the study scripts share, found beside this script
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local study = require "study"

local o = study.options("gpt_trasmuon", arg, {
  quick = false, seed = 1, seeds = 3, steps = 500, every = 10, lr = 1e-3, muon_lr = 0.02, embed = 128, mults = "0.25,0.5,1,2,4",
  out = "plots/gpt_trasmuon", runs = "", fresh = false, resume = false, threads = 1,
}, "usage: muonlab experiments/gpt_trasmuon.lua [--quick] [--steps N] [--seeds N] [--seed S] [--lr x] [--muon_lr x] [--mults a,b,c]\n"
  .. "       [--every k] [--embed C] [--out STEM] [--runs STEM] [--threads N] [--fresh] [--resume]")

local Q = o.quick
local STEPS = Q and 12 or math.tointeger(o.steps)
local EVERY = Q and 3 or math.tointeger(o.every)
local CFG = Q and { embed = 32, layers = 2, heads = 2, context = 16, batch = 8, eval_batches = 2 } or { embed = math.tointeger(o.embed) }
local make = study.gpt_problem(CFG)

local VARIANTS = {
  { "full", "TrasMuon", {} },
  { "no_damping", "no energy damping", { damping = false } },
  { "no_row_scale", "no row scale", { row_scale = false } },
  { "no_rms_calibration", "no RMS calibration", { rms_calibration = false } },
  { "muon", "Muon", nil },
}
local BY = {}
for _, v in ipairs(VARIANTS) do BY[v[1]] = v end

-- max_j E_j / median_j E_j of W's columns, with reused work matrices
local work = {}
local function energy_ratio(W)
  local k = W:cols()
  local w = work[k]
  if not w then w = { E = ml.zeros(1, k), M = ml.zeros(1, k) } work[k] = w end
  W:col_sumsq(w.E)
  local mx = w.E:norm("max")
  w.M:copy_(w.E)
  return mx / w.M:median()
end

-- A variant's base rate: TrasMuon's variants --lr, Muon --muon_lr
local function base_lr(v) return v[3] and o.lr or o.muon_lr end

local prog
local function train(name, seed, mult)
  local P = make(seed)
  local m = P.model
  local params, info = m:params(), m:param_info()
  local v = BY[name]
  local rule
  if v[3] then
    local t = { lr = base_lr(v) * mult }
    for key, x in pairs(v[3]) do t[key] = x end
    rule = ml.optim.trasmuon(t)
  else
    rule = ml.optim.muon { lr = base_lr(v) * mult }
  end
  local opt = study.hybrid(rule, info, 3e-3)
  local qkv = {}
  for i, e in ipairs(info) do if e.name:find("attn.qkv.w", 1, true) then qkv[#qkv + 1] = params[i] end end
  local function ratio()
    local s = 0
    for _, W in ipairs(qkv) do s = s + energy_ratio(W) end
    return s / #qkv
  end
  local curve = { { 0, ratio(), P.metric() } }
  for s = 1, STEPS do
    local loss, grads = P.step()
    if not study.finite(loss) then prog:step(STEPS - s + 1) return { diverged_at = s } end
    opt:step(params, grads, loss)
    prog:step(1, loss, name)
    if s % EVERY == 0 or s == STEPS then
      curve[#curve + 1] = { s, ratio(), (s % (EVERY * 5) == 0 or s == STEPS) and P.metric() or 0 / 0 }
    end
  end
  local peak = 0
  for _, pt in ipairs(curve) do peak = math.max(peak, pt[2]) end
  return { final = curve[#curve][3], ratio = curve[#curve][2], peak_ratio = peak, curve = study.pack(curve, "%d:%.5g:%.5g") }
end

local seeds = study.seeds(o)
local path = study.runs_path(o)
local names = {}
for _, v in ipairs(VARIANTS) do names[#names + 1] = v[1] end
local t0 = ml.now()
local MULTS = {}
for _, x in ipairs(Q and { "1", "4" } or study.list(o.mults)) do MULTS[#MULTS + 1] = assert(tonumber(x), "--mults: numbers") end
prog = progress.new { label = "gpt_trasmuon", total = #names * #seeds * #MULTS * STEPS }
study.sweeper(path, { "variant", "mult", "seed", "steps", "embed", "lr", "muon_lr" }, o.fresh)(
  { variant = names, mult = MULTS, seed = seeds, steps = { STEPS }, embed = { CFG.embed }, lr = { o.lr }, muon_lr = { o.muon_lr } },
  function(c) return train(c.variant, c.seed, c.mult) end)
prog:done()

local rows = {}
for _, r in ipairs(study.rows_of(path)) do
  if r.steps == STEPS and r.embed == CFG.embed and r.lr == o.lr and r.muon_lr == o.muon_lr then rows[#rows + 1] = r end
end
print(("TrasMuon ablation on the GPT C=%d, %d steps, %d seed(s), rates retuned per variant over %s x base (TrasMuon base lr %g,"
  .. " Muon %g; AdamW 3e-3 on the rest); energy ratio = max/median column energy of W_qkv, mean over layers")
  :format(CFG.embed, STEPS, #seeds, table.concat(MULTS, "/"), o.lr, o.muon_lr))
print(("%-22s %8s %12s %8s %13s %12s %6s %14s"):format("variant", "best lr", "val loss", "std", "final ratio", "peak ratio",
  "seeds", "at base lr"))
local out_rows, s_ratio, s_loss = {}, {}, {}
for k, v in ipairs(VARIANTS) do
  -- per multiplier: the finals over seeds (a diverged seed makes the multiplier ineligible)
  local by_mult = {}
  for _, r in ipairs(rows) do
    if r.variant == v[1] then
      local g = by_mult[r.mult] or { finals = {}, ratios = {}, peaks = {}, curves = {}, bad = 0, seeds = {} }
      by_mult[r.mult] = g
      if r.status == "ok" then
        g.finals[#g.finals + 1], g.ratios[#g.ratios + 1], g.peaks[#g.peaks + 1] = r.final, r.ratio, r.peak_ratio
        g.curves[#g.curves + 1], g.seeds[#g.seeds + 1] = study.unpack_curve(r.curve), r.seed
      else
        g.bad = g.bad + 1
      end
    end
  end
  local best, best_mean
  for mult, g in pairs(by_mult) do
    local mean = #g.finals > 0 and g.bad == 0 and (study.stats(g.finals)) or math.huge
    if not best or mean < best_mean or (mean == best_mean and mult < best) then best, best_mean = mult, mean end
  end
  local g = best and by_mult[best]
  if g and #g.curves > 0 then
    local base = by_mult[1]
    local base_txt = base and base.bad == 0 and #base.finals > 0 and ("%.4f"):format((study.stats(base.finals))) or "-"
    local lr = base_lr(v) * best
    local mean, sd = study.stats(g.finals)
    print(("%-22s %8.3g %12.4f %8.4f %13.2f %12.2f %6d %14s"):format(v[2], lr, mean, sd, (study.stats(g.ratios)),
      (study.stats(g.peaks)), #g.finals, base_txt))
    for n, c in ipairs(g.curves) do
      for _, pt in ipairs(c) do
        out_rows[#out_rows + 1] = { variant = v[1], lr = lr, seed = g.seeds[n], step = pt[1], energy_ratio = pt[2], val_loss = pt[3] }
      end
    end
    local label = ("%s (lr %.3g)"):format(v[2], lr)
    local xs, ys, lo, hi = study.band(g.curves, 2)
    study.band_series(s_ratio, xs, ys, lo, hi, label, k)
    xs, ys, lo, hi = study.band(g.curves, 3)
    study.band_series(s_loss, xs, ys, lo, hi, label, k, "linespoints")
  end
end
csv.write(o.out .. ".csv", { "variant", "lr", "seed", "step", "energy_ratio", "val_loss" }, out_rows)
print(("\n(%.1f s; runs in %s)"):format(ml.now() - t0, path))
study.figure {
  output = o.out .. ".png", formats = { "png", "svg" }, layout = { 1, 2 }, size = { 1500, 500 },
  title = ("TrasMuon ablation on the GPT C=%d, %d steps, each variant at its best rate, mean and min..max over %d seed(s)")
    :format(CFG.embed, STEPS, #seeds),
  panels = {
    { title = "column energy of W_qkv: max / median", xlabel = "step", ylabel = "max_j E_j / median_j E_j",
      series = s_ratio, key = false },
    { title = "validation loss", xlabel = "step", ylabel = "nats/char", series = s_loss, key = "outside right top" },
  },
}

-- EF21-Muon (arXiv 2510.00643; ml.optim.ef21_muon, lua/muonlab/optim/ef21_muon.lua): training loss
-- against the bits communicated, for each contractive compressor against uncompressed Muon, with
-- n = 4 simulated workers.
--
-- Problem: the MLP 784-32-10 on Fashion-MNIST (10 000 training images); each worker draws its own
-- minibatches of 32 (its own seeded order), so a step sees 4 x 32 images. EF21-Muon runs on every
-- parameter (the 1 x out biases too: NS normalises a row vector), Jordan NS x 5, worker momentum 0.95.
-- Configurations (uplink compressor / downlink compressor):
--   none / none       uncompressed: Muon on the workers' mean momentum (every message m n b bits)
--   topk 10% / none, topk 1% / none, rank 1 / none, rank 4 / none, natural / none
--   topk 10% / topk 10%, natural / natural   (both directions compressed)
-- Bits (the optimizer's count, opt:bits()): uplink summed over the 4 workers, the downlink broadcast
-- once; float32 values 32 bits, indices 32 bits. The start round sends every worker's full gradient.
-- Each configuration at its best learning rate of {0.01, 0.03, 0.1} (lowest mean final loss over the
-- seeds); the loss is the training loss on 2048 training images, every --steps/20 steps.
--   muonlab experiments/ef21_compression.lua [--quick] [--seed 1] [--seeds 2] [--steps 300]
--       [--out plots/ef21_compression] [--runs STEM] [--threads 1] [--fresh] [--resume]
-- Full size: 300 steps, 8 configurations x 3 rates x 2 seeds = 48 runs, about 3 minutes on one thread.
-- --quick: 20 steps, 3 configurations, 2 rates, into $TMPDIR.
local ml = require "muonlab"
local csv = require "muonlab.csv"
local progress = require "muonlab.progress"
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local study = require "study"

local o = study.options("ef21_compression", arg, {
  quick = false, seed = 1, seeds = 2, out = "plots/ef21_compression", runs = "", fresh = false, resume = false, threads = 1,
  steps = 0,
}, "usage: muonlab experiments/ef21_compression.lua [--quick] [--seed S] [--seeds N] [--steps N] [--out STEM]\n"
  .. "       [--runs STEM] [--threads N] [--fresh] [--resume]")
local Q = o.quick
local STEPS = o.steps > 0 and math.tointeger(o.steps) or (Q and 20 or 300)
local EVERY = math.max(1, STEPS // 20)
local WORKERS, BATCH = 4, 32
local LRS = Q and { 0.01, 0.03 } or { 0.01, 0.03, 0.1 }

-- name -> {label, ef21_muon options}
local CONFIGS = {
  { "none", "uncompressed Muon", { compress_up = "none", compress_down = "none" } },
  { "topk10", "top-k 10% up", { compress_up = "topk", k_fraction = 0.1 } },
  { "topk1", "top-k 1% up", { compress_up = "topk", k_fraction = 0.01 } },
  { "rank1", "rank-1 up", { compress_up = "rank", rank = 1 } },
  { "rank4", "rank-4 up", { compress_up = "rank", rank = 4 } },
  { "natural", "natural up", { compress_up = "natural" } },
  { "topk10_both", "top-k 10% both ways", { compress_up = "topk", compress_down = "topk", k_fraction = 0.1 } },
  { "natural_both", "natural both ways", { compress_up = "natural", compress_down = "natural" } },
}
if Q then CONFIGS = { CONFIGS[1], CONFIGS[2], CONFIGS[4] } end
local CFG, NAMES = {}, {}
for i, c in ipairs(CONFIGS) do CFG[c[1]] = { label = c[2], opts = c[3] }; NAMES[i] = c[1] end

local prog
local function run(name, lr, seed)
  local d = study.fashion(false, 10)
  local m = ml.models.mlp { sizes = { 784, 32, 10 }, dtype = "float32", seed = seed }
  local neval = math.min(2048, d.train.X:rows())
  local Xe, ye = d.train.X:view(1, 1, neval, 784), d.train.y:view(1, 1, neval, 1)
  local function metric() return (m:evaluate(Xe, ye)) end
  -- each worker its own epoch iterator
  local its, epochs = {}, {}
  local function worker_grad(j)
    local Xb, yb
    if its[j] then Xb, yb = its[j]() end
    if not Xb then
      epochs[j] = (epochs[j] or 0) + 1
      its[j] = ml.data.minibatches(d.train.X, d.train.y, BATCH, { seed = seed * 100000 + j * 1000 + epochs[j] })
      Xb, yb = its[j]()
    end
    return m:loss_grad(Xb, yb)
  end
  local opts = { lr = lr, workers = WORKERS }
  for k, v in pairs(CFG[name].opts) do opts[k] = v end
  local opt = ml.optim.ef21_muon(opts)
  local params = m:params()
  local m0 = metric()
  local curve = { { 0, 0, m0 } }
  for s = 1, STEPS do
    local loss = opt:step(params, worker_grad)
    prog:step(1, loss, ("%s lr=%g seed %d"):format(name, lr, seed))
    if not study.finite(loss) then
      prog:step(STEPS - s)
      return { final = 0 / 0, diverged_at = s, status = "diverged", message = "loss " .. tostring(loss) }
    end
    if s % EVERY == 0 or s == STEPS then
      local v = metric()
      curve[#curve + 1] = { s, opt:bits().total, v }
      if not study.finite(v) or v > 100 * m0 then
        prog:step(STEPS - s)
        return { final = 0 / 0, diverged_at = s, status = "diverged", message = ("loss %.3g"):format(v) }
      end
    end
  end
  local b = opt:bits()
  return { final = curve[#curve][3], bits_up = b.up, bits_down = b.down, bits = b.total,
           curve = study.pack(curve, "%d:%.0f:%.6g") }
end

local path = study.runs_path(o)
local seeds = study.seeds(o)
prog = progress.new { label = "ef21_compression", total = #NAMES * #LRS * #seeds * STEPS }
local t0 = ml.now()
study.sweeper(path, { "config", "lr", "seed", "steps" }, o.fresh)(
  { config = NAMES, lr = LRS, seed = seeds, steps = { STEPS } },
  function(c) return run(c.config, c.lr, c.seed) end)
prog:done()

---------------------------------------------------------------------------------------------
-- Best rate per configuration; table, CSV (the best runs' curves), figure

local rows_by = {}
for _, r in ipairs(study.rows_of(path)) do
  if tonumber(r.steps) == STEPS and CFG[r.config] then
    local k = r.config .. "/" .. ("%.17g"):format(r.lr)
    rows_by[k] = rows_by[k] or {}
    table.insert(rows_by[k], r)
  end
end
local best, out_rows = {}, {}
for _, name in ipairs(NAMES) do
  for _, lr in ipairs(LRS) do
    local rs = rows_by[name .. "/" .. ("%.17g"):format(lr)] or {}
    local finals, ok = {}, #rs > 0
    for _, r in ipairs(rs) do
      if r.status ~= "ok" then ok = false else finals[#finals + 1] = r.final end
    end
    local mean = study.stats(finals)
    if ok and (not best[name] or mean < best[name].final) then best[name] = { lr = lr, final = mean, rows = rs } end
  end
end
print(("EF21-Muon, %d workers x %d images, MLP 784-32-10 (Fashion-MNIST), %d steps, best of %d rates, %d seed(s); %.0f s")
  :format(WORKERS, BATCH, STEPS, #LRS, #seeds, ml.now() - t0))
print(("%-22s %8s %12s %12s %12s %14s"):format("configuration", "best lr", "final loss", "Mbit up", "Mbit down", "vs uncompressed"))
local base_bits = best.none and tonumber(best.none.rows[1].bits) or nil
for _, name in ipairs(NAMES) do
  local b = best[name]
  if b then
    local r = b.rows[1]
    print(("%-22s %8g %12.4f %12.2f %12.2f %13.3gx"):format(CFG[name].label, b.lr, b.final, r.bits_up / 1e6, r.bits_down / 1e6,
      base_bits and r.bits / base_bits or 0 / 0))
    for _, rr in ipairs(b.rows) do
      for _, pt in ipairs(study.unpack_curve(rr.curve)) do
        out_rows[#out_rows + 1] = { config = name, lr = b.lr, seed = rr.seed, step = pt[1], bits = pt[2], loss = pt[3] }
      end
    end
  else
    print(("%-22s %8s   (every rate diverged or failed)"):format(CFG[name].label, "-"))
  end
end
csv.write(o.out .. ".csv", { "config", "lr", "seed", "step", "bits", "loss" }, out_rows)

local by_bits, by_step = {}, {}
for i, name in ipairs(NAMES) do
  local b = best[name]
  if b then
    local curves = {}
    for k, rr in ipairs(b.rows) do curves[k] = study.unpack_curve(rr.curve) end
    local xs, ys, lo, hi, bits = study.band(curves, 3, 2)
    local lt = i
    study.band_series(by_step, xs, ys, lo, hi, ("%s (lr %g)"):format(CFG[name].label, b.lr), lt)
    -- bits are the same for every seed of a configuration; the first point (0 bits) left out on log x
    local bx, bys = {}, {}
    for k = 2, #bits do bx[#bx + 1], bys[#bys + 1] = bits[k], ys[k] end
    by_bits[#by_bits + 1] = { x = bx, y = bys, with = "lines", title = CFG[name].label, style = ("lt %d lw 2"):format(lt) }
  end
end
study.figure {
  output = o.out .. ".png", formats = { "png", "svg" }, layout = { 1, 2 }, size = { 1400, 560 }, shared_key = true,
  title = ("EF21-Muon with %d simulated workers: MLP on Fashion-MNIST, best rate per compressor, mean of %d seed(s)"):format(WORKERS, #seeds),
  panels = {
    { title = "training loss vs bits communicated (up + down)", series = by_bits, xlabel = "bits", ylabel = "training loss",
      logx = true, logy = true, grid = true },
    { title = "training loss vs steps (band: min..max over seeds)", series = by_step, xlabel = "step", ylabel = "training loss",
      logy = true, grid = true },
  },
}

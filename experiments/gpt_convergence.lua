-- Convergence on the small GPT (ROUND2.md: L = 2, C = 128, H = 4, T = 64, B = 32, float32) on the
-- fortunes corpus: validation loss (nats/char) vs steps and vs training wall time for AdamW, Muon,
-- MuonClip, TrasMuon, NorMuon, AdaGO, MuonMax-Momo and U Σ^½ Vᵀ of Adam's direction, each at the
-- best rate of its grid (4 rates: a 200-step pilot put 7 of 8 optima at an end of a 3-rate
-- grid, which then grew by one rate on that side; Muon's, whose 500-step optimum then sat at
-- its lower end 0.01, grew by 0.005), with --seeds seeds (mean and min..max band).
--   muonlab experiments/gpt_convergence.lua [--quick] [--steps 1000] [--seeds 3] [--seed 1]
--       [--embed 128] [--layers 2] [--optimizers adamw,muon,...] [--out plots/gpt_convergence] [--fresh]
--
-- Optimizers: the matrix rule on the weight matrices (param_info kind "matrix": W_qkv, W_proj, W_fc,
-- W_mproj of every block); AdamW (lr 3e-3, ROUND2.md's measured setting, no weight decay) on the
-- embeddings, biases and norm weights. MuonClip is ml.optim.muonclip with its defaults (Moonlight
-- scale, weight decay 0.1, τ = 100) on the same split; MuonMax-Momo is the steepest-descent preset
-- (its own backup norm on the rest); "spectral" is ml.optim.spectral{p = 0.5, base = "adam"} on
-- every parameter. Weight decay 0 elsewhere.
--
-- Runs (ml.sweep, one durable row per run keyed by optimizer, lr, seed, steps, embed, layers; a
-- rerun resumes, --fresh starts over): every rate with --seed, then the best rate (lowest final
-- validation loss) with the other seeds. The curve of each run is packed in its row.
-- The committed plots/gpt_convergence.* is a 500-step run (3 seeds; two processes, one per half of the optimizers,
-- their runs files concatenated and rendered by a third call with --runs on the merged file):
--   muonlab experiments/gpt_convergence.lua --steps 500 --seeds 3
-- --quick: 12 steps of a GPT with C = 32, 2 rates, 2 seeds, into $TMPDIR (smoke test).
local ml = require "muonlab"
local csv = require "muonlab.csv"
local progress = require "muonlab.progress"
-- experiments/lib/study.lua: the scaffolding the study scripts share, found beside this script
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local study = require "study"

local o = study.options("gpt_convergence", arg, {
  quick = false, seed = 1, seeds = 3, steps = 1000, evals = 20, embed = 128, layers = 2, batch = 32,
  out = "plots/gpt_convergence", runs = "", fresh = false, resume = false, threads = 1, optimizers = "all",
}, "usage: muonlab experiments/gpt_convergence.lua [--quick] [--steps N] [--seeds N] [--seed S] [--embed C]\n"
  .. "       [--layers L] [--batch B] [--evals K] [--optimizers a,b] [--out STEM] [--runs STEM] [--threads N] [--fresh] [--resume]")

local Q = o.quick
local STEPS = Q and 12 or math.tointeger(o.steps)
local EVALS = Q and 3 or math.tointeger(o.evals)
local CFG = Q and { embed = 32, layers = 1, heads = 2, context = 16, batch = 8, eval_batches = 2 }
  or { embed = math.tointeger(o.embed), layers = math.tointeger(o.layers), batch = math.tointeger(o.batch) }
local make = study.gpt_problem(CFG)
local BACKUP_LR = 3e-3

local function hybrid(opt, info) return study.hybrid(opt, info, BACKUP_LR) end
-- {name, label, rate grid, build(lr, info, model)}
local OPTIMIZERS = {
  { "adamw", "AdamW", { 3e-4, 1e-3, 3e-3, 1e-2 }, function(lr) return ml.optim.adamw { lr = lr, weight_decay = 0 } end },
  { "muon", "Muon (+AdamW)", { 0.005, 0.01, 0.02, 0.05 }, function(lr, info) return hybrid(ml.optim.muon { lr = lr }, info) end },
  { "muonclip", "MuonClip (+AdamW)", { 1e-3, 3e-3, 1e-2, 0.03 },
    function(lr, info, m) return hybrid(ml.optim.muonclip { lr = lr, model = m }, info) end },
  { "trasmuon", "TrasMuon (+AdamW)", { 3e-4, 1e-3, 3e-3, 0.01 },
    function(lr, info) return hybrid(ml.optim.trasmuon { lr = lr }, info) end },
  { "normuon", "NorMuon (+AdamW)", { 1e-3, 3e-3, 1e-2, 0.03 },
    function(lr, info) return hybrid(ml.optim.normuon { lr = lr }, info) end },
  { "adago", "AdaGO (+AdamW)", { 0.03, 0.1, 0.3, 1 }, function(lr, info) return hybrid(ml.optim.adago { lr = lr }, info) end },
  { "muonmax_momo", "MuonMax-Momo", { 3e-3, 0.01, 0.03, 0.1 }, function(lr, info) return study.steepest("muonmax_momo")(lr, info) end },
  { "spectral", "U S^1/2 V^T (Adam)", { 1e-3, 3e-3, 1e-2, 0.03 },
    function(lr) return ml.optim.spectral { lr = lr, p = 0.5, base = "adam" } end },
}

local optimizers, OPT = {}, {}
do
  local byname = {}
  for _, opt in ipairs(OPTIMIZERS) do byname[opt[1]] = opt end
  for _, n in ipairs(o.optimizers == "all" and {} or study.list(o.optimizers)) do
    if not byname[n] then error("unknown optimizer '" .. n .. "'", 0) end
    optimizers[#optimizers + 1] = byname[n]
  end
  if o.optimizers == "all" then optimizers = OPTIMIZERS end
  for _, opt in ipairs(optimizers) do OPT[opt[1]] = { label = opt[2], grid = opt[3], build = opt[4] } end
end
local function lr_grid(n) local g = OPT[n].grid return Q and { g[1], g[2] } or g end

local prog

-- One run: validation loss at EVALS + 1 points; training time (evaluations excluded)
local function train(optname, lr, seed)
  local P = make(seed)
  local m = P.model
  local params, info = m:params(), m:param_info()
  local opt = OPT[optname].build(lr, info, m)
  local curve, t, counted, diverged_at = study.train_curve(P, function(grads, loss) opt:step(params, grads, loss) end,
    { steps = STEPS, evals = EVALS, diverge = 3, prog = prog, what = ("%s lr=%g seed %d"):format(optname, lr, seed) })
  local r = { final = curve[#curve][3], ms_per_step = 1000 * t / math.max(1, counted),
    tokens_per_s = P.tokens_per_step * counted / math.max(t, 1e-9), curve = study.pack(curve, "%d:%.4g:%.6g") }
  if diverged_at then r.diverged_at = diverged_at; r.final = 0 / 0 end
  return r
end

local seeds = study.seeds(o)
local t_start = ml.now()
local path = study.runs_path(o)
local run_sweep = study.sweeper(path, { "optimizer", "lr", "seed", "steps", "embed", "layers" }, o.fresh)
local size = { steps = STEPS, embed = CFG.embed, layers = CFG.layers }
local function sweep(n, lrs, ss)
  run_sweep({ optimizer = { n }, lr = lrs, seed = ss, steps = { size.steps }, embed = { size.embed }, layers = { size.layers } },
    function(c) return train(c.optimizer, c.lr, c.seed) end)
end
local function key(n, lr, s) return table.concat({ n, ("%.17g"):format(lr), s }, ",") end
local function index()
  local t = {}
  for _, r in ipairs(study.rows_of(path)) do
    if r.steps == size.steps and r.embed == size.embed and r.layers == size.layers then t[key(r.optimizer, r.lr, r.seed)] = r end
  end
  return t
end
local function best_of(have, n) return study.best_of(lr_grid(n), function(lr) return have[key(n, lr, o.seed)] end) end

local pending = 0
do
  local have = o.fresh and {} or index()
  for _, opt in ipairs(optimizers) do
    for _, lr in ipairs(lr_grid(opt[1])) do if not have[key(opt[1], lr, o.seed)] then pending = pending + STEPS end end
    local b = best_of(have, opt[1])
    for k = 2, #seeds do if not (b and have[key(opt[1], b.lr, seeds[k])]) then pending = pending + STEPS end end
  end
end
prog = progress.new { label = "gpt_convergence", total = pending }
for _, opt in ipairs(optimizers) do
  sweep(opt[1], lr_grid(opt[1]), { o.seed })
  local b = best_of(index(), opt[1])
  if b and #seeds > 1 then sweep(opt[1], { b.lr }, { table.unpack(seeds, 2) })
  elseif not b then prog:step(STEPS * (#seeds - 1)) end
end
prog:done()

-- table, CSV of the best-rate curves, figure
local have = index()
local out_rows, by_step, by_time = {}, {}, {}
print(("GPT (L = %d, C = %d, T = %d, B = %d) on fortunes: validation loss (nats/char) after %d steps, best rate of"
  .. " each grid (seed %d), then %d seed(s); ^ = best rate at an end of its grid")
  :format(CFG.layers, CFG.embed, CFG.context or 64, CFG.batch, STEPS, o.seed, #seeds))
print(("%-22s %9s %11s %8s %6s %9s %9s  %s"):format("optimizer", "best lr", "final mean", "std", "seeds", "ms/step",
  "tokens/s", "all rates (seed " .. o.seed .. ")"))
for _, opt in ipairs(optimizers) do
  local n = opt[1]
  local grid = lr_grid(n)
  local rates = {}
  for _, lr in ipairs(grid) do
    local r = have[key(n, lr, o.seed)]
    rates[#rates + 1] = ("%g:%s"):format(lr, r and (r.status == "ok" and ("%.3f"):format(r.final) or r.status) or "-")
  end
  local b = best_of(have, n)
  if not b then
    print(("%-22s %9s %11s %8s %6s %9s %9s  %s"):format(opt[2], "-", "-", "-", 0, "-", "-", table.concat(rates, " ")))
  else
    local finals, ms, tps, curves = {}, {}, {}, {}
    for _, s in ipairs(seeds) do
      local r = have[key(n, b.lr, s)]
      if r then
        if r.status == "ok" then finals[#finals + 1] = r.final end
        ms[#ms + 1], tps[#tps + 1] = r.ms_per_step, r.tokens_per_s
        local c = study.unpack_curve(r.curve)
        curves[#curves + 1] = c
        for _, pt in ipairs(c) do
          out_rows[#out_rows + 1] = { optimizer = n, lr = ("%.4g"):format(b.lr), seed = s, step = pt[1], time = pt[2],
            loss = pt[3], status = r.status }
        end
      end
    end
    local mean, sd = study.stats(finals)
    local edge = (b.lr == grid[1] or b.lr == grid[#grid]) and "^" or " "
    print(("%-22s %8.3g%s %11.4f %8.3f %6d %9.1f %9.0f  %s"):format(opt[2], b.lr, edge, mean, sd, #finals,
      (study.stats(ms)), (study.stats(tps)), table.concat(rates, " ")))
    study.step_time_series(by_step, by_time, curves, opt[2])
  end
end
csv.write(o.out .. ".csv", { "optimizer", "lr", "seed", "step", "time", "loss", "status" }, out_rows)
print(("\n(%.1f s; runs in %s; curves in %s.csv)"):format(ml.now() - t_start, path, o.out))
if #by_step > 0 then
  local title = ("GPT L=%d C=%d on fortunes, %d steps"):format(CFG.layers, CFG.embed, STEPS)
  study.figure {
    output = o.out .. ".png", formats = { "png", "svg" }, layout = { 1, 2 }, size = { 1500, 520 },
    title = ("%s: validation loss at the best rate, mean and min..max over %d seed(s)"):format(title, #seeds),
    panels = {
      { title = "vs steps", xlabel = "step", ylabel = "validation loss (nats/char)", series = by_step, key = false },
      { title = "vs training time", xlabel = "training time (s)", ylabel = "validation loss (nats/char)",
        series = by_time, key = "outside right top" },
    },
  }
end

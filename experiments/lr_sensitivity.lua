-- Learning-rate sensitivity (seed 003, "Tuning Sensitivity"): final loss against the learning
-- rate on a log grid for Muon, MuonMax, Muon-Momo, MuonMax-Momo and AdamW, on the char-level
-- language model (fortunes) and the MLP (Fashion-MNIST). Momo's step min(lr, (f~ - f*)/D) caps
-- a too-large learning rate, which is the claim: its curve stays flat to the right.
--   muonlab experiments/lr_sensitivity.lua [--quick] [--seed 1] [--seeds 3] [--out plots/lr_sensitivity]
--       [--steps 300] [--problems char_lm,mlp] [--fresh]
--
-- The four Muon variants are the steepest-descent presets of ml.optim (seed 003's table rows:
-- Muon = constrained, max, ada-inf; MuonMax = regularized, hybrid, ada2; *_momo with Momo step
-- sizes, f* = 0). The learning rate on the x axis is the weight-matrix rate; the rate of the
-- other parameters (biases, embedding, head: the backup norm) moves with it in the preset's
-- ratio (0.1 for Muon and Muon-Momo, 1 for MuonMax and MuonMax-Momo). AdamW (no weight decay)
-- takes it for every parameter.
-- A run diverges when its loss becomes NaN/Inf or the plotted loss exceeds 100x its initial
-- value; it is stopped there, kept in the CSV (status "diverged") and drawn as a cross at the top
-- of the panel. The mean line joins the learning rates where at least one seed finished; the
-- band is min..max over those seeds.
--
-- Runs go through ml.sweep into --runs (default results/lr_sensitivity[.quick]; `<out>` when
-- --out is not under plots/): one durable row per run, rerunning resumes, --fresh starts over.
-- Then <out>.csv (one row per run of this grid), <out>.png/.svg and the table.
-- --quick (CI smoke): small models, 20 steps, 4 rates, 2 seeds, into $TMPDIR unless --out is given,
-- starting clean unless --resume.
local ml = require "muonlab"
local csv = require "muonlab.csv"
local progress = require "muonlab.progress"
-- experiments/lib/study.lua: the scaffolding the study scripts share, found beside this script
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local study = require "study"

local o = study.options("lr_sensitivity", arg, {
  quick = false, seed = 1, seeds = 3, out = "plots/lr_sensitivity", runs = "", fresh = false, resume = false, threads = 1,
  steps = 0, problems = "char_lm,mlp",
}, "usage: muonlab experiments/lr_sensitivity.lua [--quick] [--seed S] [--seeds N] [--steps N] [--out STEM]\n"
  .. "       [--runs STEM] [--problems char_lm,mlp] [--threads N] [--fresh] [--resume]")
local Q = o.quick
local STEPS = o.steps > 0 and math.tointeger(o.steps) or (Q and 20 or 300)
-- 7 rates, 10^-4 .. 10^0 in steps of 10^(2/3) (quick: 4 of them)
local LRS = {}
for k = 0, 6 do LRS[#LRS + 1] = tonumber(("%.2g"):format(10 ^ (-4 + 2 * k / 3))) end
if Q then LRS = { LRS[1], LRS[3], LRS[5], LRS[7] } end

---------------------------------------------------------------------------------------------
-- Problems: make(seed) -> {model, step() -> loss, grads, metric() -> plotted loss}

local PROBLEMS = {
  char_lm = {
    title = ("char-level MLP LM, hidden %d (fortunes)"):format(Q and 32 or 128), ylabel = "final validation loss (nats/char)",
    make = study.char_lm_problem(Q),
  },
  mlp = {
    title = Q and "MLP 784-32-10 (Fashion-MNIST)" or "MLP 784-128-128-10 (Fashion-MNIST)", ylabel = "final training loss",
    make = study.mlp_problem(Q),
  },
}
local PROBLEM_ORDER = { "char_lm", "mlp" }

---------------------------------------------------------------------------------------------
-- Optimizers

local steepest = study.steepest
local OPTIMIZERS = {
  { "muon", "Muon", steepest("muonadam") },
  { "muonmax", "MuonMax", steepest("muonmax") },
  { "muon_momo", "Muon-Momo", steepest("muon_momo") },
  { "muonmax_momo", "MuonMax-Momo", steepest("muonmax_momo") },
  { "adamw", "AdamW", function(lr) return ml.optim.adamw { lr = lr, weight_decay = 0 } end },
}
local OPT = {}
local names = {}
for i, x in ipairs(OPTIMIZERS) do OPT[x[1]] = { label = x[2], build = x[3] }; names[i] = x[1] end

local problems = {}
for w in o.problems:gmatch("[^,%s]+") do
  if not PROBLEMS[w] then error("unknown problem '" .. w .. "' (known: char_lm, mlp)", 0) end
  problems[#problems + 1] = w
end

---------------------------------------------------------------------------------------------
-- One run

local finite = study.finite
local prog

local function train(problem, optname, lr, seed)
  local P = PROBLEMS[problem].make(seed)
  local m0 = P.metric()
  local every = math.max(1, STEPS // 10)
  local function diverged(s, why)
    return { final = 0 / 0, initial = m0, diverged_at = s, status = "diverged", message = why }
  end
  local at, t = study.run_steps { problem = P, opt = OPT[optname].build(lr, P.model:param_info()), steps = STEPS,
    prog = prog, what = ("%s/%s lr=%g seed %d"):format(problem, optname, lr, seed), m0 = m0,
    evaluate = function(s) return s % every == 0 and s < STEPS end }
  if at then return diverged(at, t) end
  local m = P.metric()
  if not finite(m) or m > 100 * m0 then return diverged(STEPS, ("loss %.3g at the end"):format(m)) end
  return { final = m, initial = m0, ms_per_step = 1000 * t / STEPS }
end

---------------------------------------------------------------------------------------------
-- The sweep

local path = study.runs_path(o)
local seeds = study.seeds(o)
local rows_of = study.rows_of
local function key(problem, opt, lr, seed) return table.concat({ problem, opt, ("%.17g"):format(lr), seed, STEPS }, ",") end

-- steps still to run, for the time left
local done_before = {}
if not o.fresh then
  for _, r in ipairs(rows_of(path)) do done_before[key(r.problem, r.optimizer, r.lr, r.seed)] = true end
end
local pending = 0
for _, p in ipairs(problems) do for _, n in ipairs(names) do for _, lr in ipairs(LRS) do for _, s in ipairs(seeds) do
  if not done_before[key(p, n, lr, s)] then pending = pending + STEPS end
end end end end
prog = progress.new { label = "lr_sensitivity", total = pending }

local t_start = ml.now()
study.sweeper(path, { "problem", "optimizer", "lr", "seed", "steps" }, o.fresh)(
  { problem = problems, optimizer = names, lr = LRS, seed = seeds, steps = { STEPS } },
  function(cfg) return train(cfg.problem, cfg.optimizer, cfg.lr, cfg.seed) end)
prog:done()

---------------------------------------------------------------------------------------------
-- Table, CSV, figure

local want = {}
for _, p in ipairs(problems) do for _, n in ipairs(names) do for _, lr in ipairs(LRS) do for _, s in ipairs(seeds) do
  want[key(p, n, lr, s)] = true
end end end end
local cell = {}      -- cell[problem][opt][lr index] = {finals = {...}, diverged = n}
local out_rows = {}
for _, r in ipairs(rows_of(path)) do
  if want[key(r.problem, r.optimizer, r.lr, r.seed)] then
    out_rows[#out_rows + 1] = { problem = r.problem, optimizer = r.optimizer, lr = ("%.4g"):format(r.lr), seed = r.seed,
      final_loss = r.final, initial_loss = r.initial, status = r.status, diverged_at = r.diverged_at }
    cell[r.problem] = cell[r.problem] or {}
    cell[r.problem][r.optimizer] = cell[r.problem][r.optimizer] or {}
    local li
    for i, lr in ipairs(LRS) do if lr == r.lr then li = i end end
    local c = cell[r.problem][r.optimizer][li] or { finals = {}, diverged = 0 }
    cell[r.problem][r.optimizer][li] = c
    if r.status == "ok" and finite(r.final) then c.finals[#c.finals + 1] = r.final else c.diverged = c.diverged + 1 end
  end
end
table.sort(out_rows, function(a, b)
  if a.problem ~= b.problem then return a.problem < b.problem end
  if a.optimizer ~= b.optimizer then return a.optimizer < b.optimizer end
  if a.lr ~= b.lr then return tonumber(a.lr) < tonumber(b.lr) end
  return a.seed < b.seed
end)
csv.write(o.out .. ".csv", { "problem", "optimizer", "lr", "seed", "final_loss", "initial_loss", "status", "diverged_at" },
  out_rows)

local function mean_min_max(v)
  local m, _, lo, hi = study.stats(v)
  return m, lo, hi
end

print(("Learning-rate sensitivity: final loss after %d steps, mean over %d seed(s); DIV = every seed diverged, "
  .. "* = some seeds diverged"):format(STEPS, #seeds))
local panels = {}
for _, p in ipairs(problems) do
  print(("\n%s  [%s]"):format(PROBLEMS[p].title, PROBLEMS[p].ylabel))
  local head = ("%-14s"):format("lr")
  for _, lr in ipairs(LRS) do head = head .. ("%10.2g"):format(lr) end
  print(head .. "   best lr  near-best")
  local lines, marks, all = {}, {}, {}
  local best_overall = math.huge
  for _, n in ipairs(names) do
    for i = 1, #LRS do
      local c = cell[p] and cell[p][n] and cell[p][n][i]
      if c and #c.finals > 0 then best_overall = math.min(best_overall, (mean_min_max(c.finals))) end
    end
  end
  for oi, n in ipairs(names) do
    local line = ("%-14s"):format(OPT[n].label)
    local xs, ys, lo, hi, dx = {}, {}, {}, {}, {}
    local best, blr, width = math.huge, nil, 0
    for i, lr in ipairs(LRS) do
      local c = cell[p] and cell[p][n] and cell[p][n][i]
      if not c then
        line = line .. ("%10s"):format("-")
      elseif #c.finals == 0 then
        line = line .. ("%10s"):format("DIV")
        dx[#dx + 1] = lr
      else
        local m, a, b = mean_min_max(c.finals)
        line = line .. ("%9.4g%s"):format(m, c.diverged > 0 and "*" or " ")
        xs[#xs + 1], ys[#ys + 1], lo[#lo + 1], hi[#hi + 1] = lr, m, a, b
        all[#all + 1] = b
        if c.diverged > 0 then dx[#dx + 1] = lr end
        if m < best then best, blr = m, lr end
        -- rates within 10% of the best loss of the panel (as a gap over the best overall)
        if m <= best_overall + 0.1 * math.abs(best_overall) then width = width + 1 end
      end
    end
    print(line .. ("%10s %10d"):format(blr and ("%.2g"):format(blr) or "-", width))
    if #xs > 0 then
      study.band_series(lines, xs, ys, lo, hi, OPT[n].label, oi, "linespoints")
    end
    if #dx > 0 then marks[#marks + 1] = { oi = oi, x = dx } end
  end
  print("(near-best: how many grid rates give a mean loss within 10% of the best mean loss of any optimizer here)")
  -- y range from the finished runs; diverged runs sit at its top as crosses in the optimizer's colour
  local ylo, yhi = math.huge, -math.huge
  for _, s in ipairs(lines) do
    for _, v in ipairs(s.ylow or s.y) do ylo = math.min(ylo, v) end
    for _, v in ipairs(s.yhigh or s.y) do yhi = math.max(yhi, v) end
  end
  if ylo <= yhi then
    -- log axis: losses of runs that blew up (but stayed finite) span decades
    local l1, l2 = math.log(ylo, 10), math.log(yhi, 10)
    local span = math.max(l2 - l1, 0.05)
    local top = 10 ^ (l2 + 0.12 * span)
    local first = true
    for _, mk in ipairs(marks) do
      local ys = {}
      for i = 1, #mk.x do ys[i] = top end
      lines[#lines + 1] = { x = mk.x, y = ys, with = "points", style = ("lt %d pt 2 ps 2.2 lw 2"):format(mk.oi),
        title = first and "diverged (NaN/Inf or 100x loss)" or nil }
      first = false
    end
    panels[#panels + 1] = { title = PROBLEMS[p].title, xlabel = "learning rate (weight matrices)",
      ylabel = PROBLEMS[p].ylabel, logx = true, logy = true, series = lines,
      yrange = { 10 ^ (l1 - 0.04 * span), 10 ^ (l2 + 0.2 * span) }, xrange = { LRS[1] / 1.5, LRS[#LRS] * 1.5 } }
  end
end
print(("\n(%.1f s; runs in %s; table in %s.csv)"):format(ml.now() - t_start, path, o.out))

if #panels > 0 then
  study.figure {
    output = o.out .. ".png", formats = { "png", "svg" }, layout = { 1, #panels }, size = { 700 * #panels, 520 },
    title = ("Learning-rate sensitivity after %d steps: mean and min..max over %d seed(s); x = diverged"):format(STEPS, #seeds),
    panels = panels,
  }
end

-- experiments/lib/convergence_study.lua: the engine of the convergence studies
-- (experiments/convergence.lua, experiments/family_round_two.lua): the training problems, the
-- registry of optimizers with their learning-rate grids, the two-stage sweep (every rate with --seed,
-- then the best rate with the other seeds), the table and the figure. See convergence.lua's header
-- for what is measured; M.main{name =, argv =, out =, problems =, optimizers =, steps =, title =}
-- runs one study (problems and optimizers: the default comma lists, "all" = every registered one).
--
-- Two-gradient optimizers (muon_mvr) get the gradient form: g(X_k; xi_k) from the problem's step and
-- g(X_{k-1}; xi_k) from P.regrad() at opt:previous(), both timed.
local ml = require "muonlab"
local csv = require "muonlab.csv"
local progress = require "muonlab.progress"
local study = require "study"

local M = {}

function M.main(cfg)
local o = study.options(cfg.name, cfg.argv, {
  quick = false, seed = 1, seeds = 3, out = cfg.out, runs = "", fresh = false, resume = false, threads = 1,
  problems = cfg.problems, optimizers = cfg.optimizers, steps = 0, extend = 3,
}, ("usage: muonlab experiments/%s.lua [--quick] [--seed S] [--seeds N] [--out STEM] [--runs STEM]\n"
  .. "       [--problems a,b] [--optimizers a,b] [--steps N] [--threads N] [--extend K] [--fresh] [--resume]"):format(cfg.name))
local list = study.list
local label = cfg.title or "Convergence"

---------------------------------------------------------------------------------------------
-- Problems. make(seed) -> {model, step() -> loss, grads (one minibatch), metric() -> the plotted
-- loss, extra() -> more values for the table (optional)}

local Q = o.quick
local STEPS = Q and 20 or (o.steps > 0 and math.tointeger(o.steps) or cfg.steps or 400)
local EVALS = Q and 4 or 20                 -- curve points after step 0
-- AdamW's rate for biases, embedding and head in the hybrids: AdamW's best on the problem
local BACKUP_LR = { mlp = 3e-3, char_lm = 1e-2, gpt = 3e-3 }

local PROBLEMS = {
  least_squares = {
    title = "least squares, cond(A) = 1e3", ylabel = "f - f*", logy = true,
    make = function(seed)
      local m = ml.models.least_squares { n = Q and 128 or 512, d = Q and 32 or 128, m = Q and 16 or 64, cond = 1e3,
        noise = 0.1, seed = seed }
      return { model = m, step = function() return m:loss_grad() end, regrad = function() return m:loss_grad() end,
        metric = function() return m:loss() - m.f_star end }
    end,
  },
  lowrank = {
    title = "matrix factorisation, rank 4, k = 8", ylabel = "1/2 ||UV^T - M*||^2", logy = true,
    make = function(seed)
      local m = ml.models.lowrank { m = Q and 24 or 64, n = Q and 16 or 48, rank = 4, k = 8, cond = 10, seed = seed }
      return { model = m, step = function() return m:loss_grad() end, regrad = function() return m:loss_grad() end,
        metric = function() return m:loss() end }
    end,
  },
  mlp = { title = "MLP on Fashion-MNIST", ylabel = "training loss", logy = true,
    make = study.mlp_problem(Q, { limit_test = Q and 500 or 2000, test_acc = true }) },
  char_lm = { title = "char-level MLP LM on fortunes", ylabel = "validation loss (nats/char)", logy = false,
    make = study.char_lm_problem(Q) },
  -- a small GPT (ROUND2.md's layout): 1 layer, C = 64, 2 heads, T = 32, B = 8 (quick: C = 32)
  gpt = { title = "GPT (1 layer, C = 64) on fortunes", ylabel = "validation loss (nats/char)", logy = false,
    make = study.gpt_problem { layers = 1, embed = Q and 32 or 64, heads = 2, context = 32, batch = 8, eval_batches = 4 } },
}
local PROBLEM_ORDER = { "least_squares", "lowrank", "mlp", "char_lm", "gpt" }

---------------------------------------------------------------------------------------------
-- Optimizers: {name, label, rate grid per problem, build(lr, param_info, problem) -> optimizer}

-- matrix rule for the weight matrices, AdamW for the rest
local function hybrid(opt, info, problem) return study.hybrid(opt, info, BACKUP_LR[problem]) end
local steepest = study.steepest

-- the weight-matrix rule ml.optim[name]{lr = lr, <extra>} in the hybrid
local NO_WD = { weight_decay = 0 }
local function rule(name, extra)
  return function(lr, info, problem)
    local opts = { lr = lr }
    for k, v in pairs(extra or {}) do opts[k] = v end
    return hybrid(ml.optim[name](opts), info, problem)
  end
end

-- muon_mvr (sqrt_ratio scale, like muon) on the weight matrices, AdamW on the rest, by hand:
-- ml.optim.group passes no previous-point gradients. step2(params, grads, loss, regrad): grads =
-- g(X_k; xi_k); regrad() -> loss, grads on the same minibatch at the current params, called with
-- the matrices at X_{k-1} (opt:previous()). Buffers are made on the first step only.
local function mvr_hybrid(lr, info, problem)
  local mat, rest = {}, {}
  for i, x in ipairs(info) do
    if x.kind == "matrix" then mat[#mat + 1] = i else rest[#rest + 1] = i end
  end
  local mvr = ml.optim.muon_mvr { lr = lr, scale = "sqrt_ratio" }
  local adam = #rest > 0 and ml.optim.adamw { lr = BACKUP_LR[problem], weight_decay = 0 }
  local g, x, PM, GM, PG, PR, GR = {}, {}, {}, {}, {}, {}, {}
  return { step2 = function(params, grads, loss, regrad)
    for i, gi in ipairs(grads) do
      g[i] = g[i] or gi:clone()
      g[i]:copy_(gi)
    end
    local prev, pg = mvr:previous(), nil
    if prev then
      for k, i in ipairs(mat) do
        x[k] = x[k] or params[i]:clone()
        x[k]:copy_(params[i])
        params[i]:copy_(prev[k])
      end
      local _, g2 = regrad()
      for k, i in ipairs(mat) do PG[k] = g2[i]; params[i]:copy_(x[k]) end
      pg = PG
    end
    for k, i in ipairs(mat) do PM[k], GM[k] = params[i], g[i] end
    mvr:step(PM, GM, loss, pg)
    if adam then
      for k, i in ipairs(rest) do PR[k], GR[k] = params[i], g[i] end
      adam:step(PR, GR, loss)
    end
  end }
end

-- Learning-rate grids: 4 half-decade values per optimizer and problem, around the best of a
-- pilot run over 1e-4..1 (9 rates, seed 1): {least_squares, lowrank, mlp, char_lm}.
local function g(ls, lr, mlp, lm, gpt) return { least_squares = ls, lowrank = lr, mlp = mlp, char_lm = lm, gpt = gpt or lm } end
local A = { 3e-4, 1e-3, 3e-3, 0.01 }
local B = { 1e-3, 3e-3, 0.01, 0.03 }
local C = { 3e-3, 0.01, 0.03, 0.1 }
local D = { 0.01, 0.03, 0.1, 0.3 }
local E = { 0.03, 0.1, 0.3, 1 }
local F = { 0.1, 0.3, 1, 3 }
local M3, A3, D3, S3 = { 0.01, 0.03, 0.1 }, { 1e-3, 3e-3, 0.01 }, { 3e-3, 0.01, 0.03 }, { 0.1, 0.3, 1 }

local OPTIMIZERS = {
  { "sgd", "SGD (Nesterov 0.9)", g(F, E, D, E),
    function(lr) return ml.optim.sgd { lr = lr, momentum = 0.9, nesterov = true } end },
  { "adamw", "AdamW", g(C, C, A, B), function(lr) return ml.optim.adamw { lr = lr, weight_decay = 0 } end },
  { "muon", "Muon (+AdamW)", g(C, B, C, C), function(lr, info, p) return hybrid(ml.optim.muon { lr = lr }, info, p) end },
  { "scion", "Scion", g(C, C, C, C), steepest("scion") },
  { "polargrad", "PolarGrad", g(E, D, D, D), steepest("polargrad") },
  { "muonmax", "MuonMax", g(E, D, B, B), steepest("muonmax") },
  { "muon_momo", "Muon-Momo", g(D, D, D, D), steepest("muon_momo") },
  { "muonmax_momo", "MuonMax-Momo", g(F, F, C, C), steepest("muonmax_momo") },
  { "trasmuon", "TrasMuon", g(A, A, A, A), function(lr, info, p) return hybrid(ml.optim.trasmuon { lr = lr }, info, p) end },
  { "normuon", "NorMuon", g(B, B, B, B), function(lr, info, p) return hybrid(ml.optim.normuon { lr = lr }, info, p) end },
  { "adago", "AdaGO", g({ 0.3, 1, 3, 10 }, E, E, E),
    function(lr, info, p) return hybrid(ml.optim.adago { lr = lr }, info, p) end },
  { "spectral", "U S^1/2 V^T (Adam)", g(C, C, C, C),
    function(lr) return ml.optim.spectral { lr = lr, p = 0.5, base = "adam" } end },
  -- Round two (ROUND2.md; defaults of lua/muonlab/optim/README.md but weight decay 0): 3-rate grids
  -- around each rule's natural step size: Muon-sized (spectral norm ~1 steps), AdamW-sized (RMS-matched
  -- steps: adamuon, root, conda), or SGD-sized (spectral_clip keeps the momentum's scale).
  { "torch_muon", "torch.optim.Muon", g(M3, M3, M3, M3), rule("torch_muon", NO_WD) },
  { "adamuon", "AdaMuon", g(A3, A3, A3, A3), rule("adamuon", NO_WD) },
  { "root", "ROOT", g(A3, A3, A3, A3), rule("root", NO_WD) },
  { "auon", "AuON", g(M3, M3, M3, M3), rule("auon") },
  { "kaon", "Kaon", g(M3, M3, M3, M3), rule("kaon") },
  { "freon", "Freon (q = 1/2)", g(A3, A3, A3, A3), rule("freon") },
  { "spectral_clip", "spectral clip (tau = 1)", g(S3, S3, S3, S3), rule("spectral_clip") },
  -- Conda's SVD basis every 50 steps (one of the authors' scripts; the default 2000 exceeds these runs)
  { "conda", "Conda (T = 50)", g(A3, A3, A3, A3), rule("conda", { update_interval = 50 }) },
  { "dion", "Dion (full rank)", g(D3, D3, D3, D3), rule("dion", NO_WD) },
  { "dion2", "Dion2 (25% of rows)", g(D3, D3, D3, D3), rule("dion2", NO_WD) },
  { "muon_mvr", "Muon-MVR1 (2 grads)", g(M3, M3, M3, M3),
    function(lr, info, p) return mvr_hybrid(lr, info, p) end },
}

local problems, optimizers = {}, {}
do
  local want = {}
  for _, p in ipairs(list(o.problems)) do
    if not PROBLEMS[p] then error("unknown problem '" .. p .. "' (known: " .. table.concat(PROBLEM_ORDER, ", ") .. ")", 0) end
    want[p] = true
  end
  for _, p in ipairs(PROBLEM_ORDER) do if want[p] then problems[#problems + 1] = p end end
  local byname = {}
  for _, opt in ipairs(OPTIMIZERS) do byname[opt[1]] = opt end
  if o.optimizers == "all" then
    for _, opt in ipairs(OPTIMIZERS) do optimizers[#optimizers + 1] = opt end
  else
    for _, n in ipairs(list(o.optimizers)) do
      if not byname[n] then error("unknown optimizer '" .. n .. "'", 0) end
      optimizers[#optimizers + 1] = byname[n]
    end
  end
end
local OPT = {}
for _, opt in ipairs(optimizers) do OPT[opt[1]] = { label = opt[2], grid = opt[3], build = opt[4] } end
local function base_grid(opt, problem)
  local g = OPT[opt].grid[problem]
  return Q and { g[2], g[3] } or g
end
-- The grid a (problem, optimizer) was run on: the base grid, extended by half-decades while the
-- best rate sat at one of its ends (at most --extend times; below).
local extended = {}
local function lr_grid(opt, problem) return extended[problem .. "/" .. opt] or base_grid(opt, problem) end
-- The next rate of the 1, 3, 10, 30 ... sequence beyond lr, upwards (dir = 1) or downwards.
local function next_rate(lr, dir)
  local e = math.floor(math.log(lr, 10) + 1e-9)
  local m = lr / 10 ^ e   -- 1 or 3 (or another mantissa of a hand-set grid)
  local v = dir > 0 and (m < 2 and 3 * lr or lr * 10 / 3) or (m >= 2 and lr / 3 or lr * 0.3)
  return tonumber(("%.3g"):format(v))
end

---------------------------------------------------------------------------------------------
-- One run: the plotted loss at EVALS + 1 points, training time excluding evaluation.

local prog   -- the progress line, set below

local function train(problem, optname, lr, seed)
  local P = PROBLEMS[problem].make(seed)
  local params, info = P.model:params(), P.model:param_info()
  local opt = OPT[optname].build(lr, info, problem)
  local update = opt.step2 and function(grads, loss) opt.step2(params, grads, loss, P.regrad) end
    or function(grads, loss) opt:step(params, grads, loss) end
  local curve, t, _, diverged_at = study.train_curve(P, update,
    { steps = STEPS, evals = EVALS, diverge = 100, prog = prog, what = ("%s/%s lr=%g seed %d"):format(problem, optname, lr, seed) })
  local r = { lr = lr, final = curve[#curve][3], ms_per_step = 1000 * t / math.max(1, curve[#curve][1]),
    curve = study.pack(curve, "%d:%.4g:%.6g") }
  if diverged_at then r.diverged_at = diverged_at; r.final = 0 / 0
  elseif P.extra then for k, v in pairs(P.extra()) do r[k] = v end end
  return r
end

---------------------------------------------------------------------------------------------
-- The sweeps.

local seeds = study.seeds(o)

-- One sweep file keyed by (problem, optimizer, lr, seed, steps): every rate of the grid with
-- --seed, then the best rate with the other seeds. One ml.sweep call per stage and (problem,
-- optimizer), since the grids differ; no sharding (the second stage needs the first); --fresh
-- moves the old file aside once, before the first.
local t_start = ml.now()
local path = study.runs_path(o)
local run_sweep = study.sweeper(path, { "problem", "optimizer", "lr", "seed", "steps" }, o.fresh)
local function sweep(p, n, lrs, ss)
  run_sweep({ problem = { p }, optimizer = { n }, lr = lrs, seed = ss, steps = { STEPS } },
    function(c) local r = train(c.problem, c.optimizer, c.lr, c.seed); r.lr = nil; return r end)
end
local function key(p, n, lr, s) return table.concat({ p, n, ("%.17g"):format(lr), s }, ",") end
local function index()
  local t = {}
  for _, r in ipairs(study.rows_of(path)) do
    if r.steps == STEPS then t[key(r.problem, r.optimizer, r.lr, r.seed)] = r end
  end
  return t
end
-- the best rate of (problem, optimizer): lowest final plotted loss of the finished --seed runs
local function best_of(have, p, n)
  return study.best_of(lr_grid(n, p), function(lr) return have[key(p, n, lr, o.seed)] end)
end

-- Pending steps, for the progress line's time left (stage 2 counted unless its best rate ran).
local pending = 0
do
  local have = o.fresh and {} or index()
  for _, p in ipairs(problems) do
    for _, opt in ipairs(optimizers) do
      for _, lr in ipairs(lr_grid(opt[1], p)) do
        if not have[key(p, opt[1], lr, o.seed)] then pending = pending + STEPS end
      end
      local b = best_of(have, p, opt[1])
      for k = 2, #seeds do
        if not (b and have[key(p, opt[1], b.lr, seeds[k])]) then pending = pending + STEPS end
      end
    end
  end
end
prog = progress.new { label = cfg.name, total = pending }

local best = {}
local EXTEND = Q and 0 or math.tointeger(o.extend) or 0
for _, p in ipairs(problems) do
  for _, opt in ipairs(optimizers) do
    sweep(p, opt[1], lr_grid(opt[1], p), { o.seed })
    local b = best_of(index(), p, opt[1])
    -- best at an end of the grid: one more rate beyond it (a rerun finds these runs in the file)
    for _ = 1, EXTEND do
      local g = lr_grid(opt[1], p)
      local dir = b and (b.lr == g[1] and -1 or b.lr == g[#g] and 1) or nil
      if not dir then break end
      local lr = next_rate(b.lr, dir)
      local ng = { table.unpack(g) }
      table.insert(ng, dir < 0 and 1 or #ng + 1, lr)
      extended[p .. "/" .. opt[1]] = ng
      prog.total = prog.total and prog.total + STEPS * #seeds
      sweep(p, opt[1], { lr }, { o.seed })
      b = best_of(index(), p, opt[1])
    end
    best[p .. "/" .. opt[1]] = b
    if b and #seeds > 1 then sweep(p, opt[1], { b.lr }, { table.unpack(seeds, 2) })
    elseif not b then prog:step(STEPS * (#seeds - 1)) end
  end
end
prog:done()

---------------------------------------------------------------------------------------------
-- Collect the best-lr runs of every seed, write <out>.csv, print the table, draw the figure.

local have = index()
local runs_of, diverged_count = {}, {}   -- "problem/optimizer" -> rows (one per seed); rates that failed
for _, p in ipairs(problems) do
  for _, opt in ipairs(optimizers) do
    local k, b = p .. "/" .. opt[1], best[p .. "/" .. opt[1]]
    for _, lr in ipairs(lr_grid(opt[1], p)) do
      local r = have[key(p, opt[1], lr, o.seed)]
      if r and r.status ~= "ok" then diverged_count[k] = (diverged_count[k] or 0) + 1 end
    end
    if b then
      runs_of[k] = {}
      for _, s in ipairs(seeds) do
        local r = have[key(p, opt[1], b.lr, s)]
        if r then table.insert(runs_of[k], r) end
      end
    end
  end
end
local function nlr(n, p) return #lr_grid(n, p) end

local out_rows = {}

local stats, unpack_curve = study.stats, study.unpack_curve

print(("%s at the best learning rate of each optimizer (%d steps; grid of %d-%d rates with seed %d, extended by "
  .. "up to %d half-decade(s) while the best sat at an end; then %d seed(s); ^ = best rate still at an end of its grid)")
  :format(label, STEPS, 3, 4, o.seed, EXTEND, #seeds))
local panels = {}
for _, p in ipairs(problems) do
  local pr = PROBLEMS[p]
  print(("\n%s  [plotted: %s]"):format(pr.title, pr.ylabel))
  print(("%-20s %9s %12s %10s %7s %9s%s"):format("optimizer", "best lr", "final mean", "std", "seeds", "ms/step",
    p == "mlp" and "  test acc" or ""))
  local by_step, by_time = {}, {}
  for _, opt in ipairs(optimizers) do
    local key = p .. "/" .. opt[1]
    local rs = runs_of[key]
    if not rs then
      print(("%-20s %9s %12s %10s %7s %9s   (%d of %d rates diverged or failed)"):format(opt[2], "-", "-", "-", 0, "-",
        diverged_count[key] or 0, nlr(opt[1], p)))
    else
      local finals, ms, accs, curves = {}, {}, {}, {}
      for _, r in ipairs(rs) do
        local c = unpack_curve(r.curve)
        curves[#curves + 1] = c
        if r.status == "ok" then finals[#finals + 1] = r.final end
        ms[#ms + 1] = r.ms_per_step
        if type(r.test_acc) == "number" then accs[#accs + 1] = r.test_acc end
        for _, pt in ipairs(c) do
          out_rows[#out_rows + 1] = { problem = p, optimizer = opt[1], lr = ("%.4g"):format(r.lr), seed = r.seed, step = pt[1],
            time = pt[2], loss = pt[3], status = r.status }
        end
      end
      local mean, sd = stats(finals)
      local msm = stats(ms)
      local acc = #accs > 0 and ("  %.4f"):format((stats(accs))) or ""
      local note = (diverged_count[key] or 0) > 0 and ("  (%d of %d rates diverged)"):format(diverged_count[key], nlr(opt[1], p)) or ""
      local g = lr_grid(opt[1], p)
      local edge = (rs[1].lr == g[1] or rs[1].lr == g[#g]) and "^" or " "
      print(("%-20s %8.3g%s %12.4g %10.2g %7d %9.2f%s%s"):format(opt[2], rs[1].lr, edge, mean, sd, #finals, msm, acc, note))
      -- mean curve and min..max band over the seeds that reached each point
      study.step_time_series(by_step, by_time, curves, opt[2])
    end
  end
  if #by_step > 0 then
    panels[#panels + 1] = { title = pr.title .. ": vs steps", xlabel = "step", ylabel = pr.ylabel, logy = pr.logy,
      series = by_step, key = false }
    panels[#panels + 1] = { title = pr.title .. ": vs wall time", xlabel = "training time (s)", ylabel = pr.ylabel,
      logy = pr.logy, series = by_time, key = "outside right top" }
  end
end

csv.write(o.out .. ".csv", { "problem", "optimizer", "lr", "seed", "step", "time", "loss", "status" }, out_rows)
local elapsed = ml.now() - t_start
print(("\n(%.1f s; runs in %s; curves in %s.csv; band = min..max over seeds)"):format(elapsed, path, o.out))

if #panels > 0 then
  study.figure {
    output = o.out .. ".png", formats = { "png", "svg" }, layout = { #panels // 2, 2 },
    size = { 1500, 380 * (#panels // 2) + 60 },
    title = ("%s at the best learning rate, mean and min..max over %d seed(s)"):format(label, #seeds),
    panels = panels,
  }
end
end

return M

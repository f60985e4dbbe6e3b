-- Inexact Muon (arXiv 2510.19933: "lower oracle precision requires a smaller step size but a
-- larger momentum"): how the accuracy of the orthogonalization couples with the best learning rate
-- and the best momentum, measured directly.
--
-- Grid: orthogonalizer x lr x beta (x seeds). Orthogonalizers: Newton-Schulz with the jordan and
-- the polar_express schedules at 1 ... 8 steps (Frobenius normalisation, fp32 like the model), and
-- the exact polar factor (ml.polar, the SVD). Optimizer: ml.optim.muon (Nesterov, sqrt(max(1,
-- out/in)) scale, no weight decay) with that orthogonalizer, learning rate lr and momentum beta on
-- the weight matrices, AdamW (lr 1e-3, fixed over the grid) on the biases. Problem: the MLP
-- 784-32-10 on Fashion-MNIST (10 000 training images, minibatches of 128), --steps steps; the loss is
-- the final training loss on 2048 training images (mean over seeds). Full size: 150 steps, 7 rates
-- (0.01 ... 0.64, factors of 2), 4 momenta (0.6, 0.85, 0.95, 0.98), 2 seeds: 17 x 28 x 2 = 952 runs,
-- about 4 minutes on one thread (the first figure's grid, 0.005 ... 0.08, put every optimum at its top).
--
-- Orthogonalization error of each orthogonalizer: mean over checkpoints (steps 1, 1/4, 1/2 and the
-- end of a reference run: exact polar, lr 0.02, beta 0.95, seed --seed) and over both weight
-- matrices of ||O - polar(M)||_F / ||polar(M)||_F, with M that run's momentum buffer and polar(M)
-- in float64 (the exact polar point: the fp32 SVD's own error).
-- Best lr and best beta: the grid point with the lowest mean final loss; "near-best": the geometric
-- mean of lr (arithmetic of beta) over the grid points within 3% of that loss (smoother than the
-- argmin on a factor-2 grid). The good points lie on a ridge lr/(1 - beta) ~ const (the momentum's
-- effective step), so the near-best effective step lr/(1 - beta) (geometric mean) is shown too. The claim holds on this problem when the best lr falls and the best
-- beta rises with the error (the rank correlations printed at the end).
--   muonlab experiments/inexact_muon.lua [--quick] [--seed 1] [--seeds 2] [--steps 150] [--out plots/inexact_muon]
--       [--runs STEM] [--threads 1] [--fresh] [--resume]
-- Runs go through ml.sweep into --runs (default results/inexact_muon[.quick]); then <out>.csv (one row
-- per orthogonalizer: error, best lr, best beta, best loss), <out>.png/.svg and the table.
-- --quick: 15 steps, 3 orthogonalizers, 2 rates, 2 momenta, into $TMPDIR.
local ml = require "muonlab"
local csv = require "muonlab.csv"
local progress = require "muonlab.progress"
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local study = require "study"

local o = study.options("inexact_muon", arg, {
  quick = false, seed = 1, seeds = 2, out = "plots/inexact_muon", runs = "", fresh = false, resume = false, threads = 1,
  steps = 0,
}, "usage: muonlab experiments/inexact_muon.lua [--quick] [--seed S] [--seeds N] [--steps N] [--out STEM]\n"
  .. "       [--runs STEM] [--threads N] [--fresh] [--resume]")
local Q = o.quick
local STEPS = o.steps > 0 and math.tointeger(o.steps) or (Q and 15 or 150)
local LRS = Q and { 0.005, 0.02 } or { 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64 }
local BETAS = Q and { 0.8, 0.95 } or { 0.6, 0.85, 0.95, 0.98 }
local ADAM_LR = 1e-3

-- orthogonalizers: name -> {schedule, steps} (nil schedule: the exact polar factor)
local ORTHS, ORTH = {}, {}
local function add(name, schedule, steps)
  ORTHS[#ORTHS + 1] = name
  ORTH[name] = { schedule = schedule, steps = steps }
end
for _, sc in ipairs(Q and { "polar_express" } or { "jordan", "polar_express" }) do
  for k = 1, 8 do
    if not Q or k == 1 or k == 5 then add(("%s x%d"):format(sc, k), sc, k) end
  end
end
add("exact polar", nil, nil)

local make = study.mlp_problem(false, { sizes = { 784, 32, 10 } })

local function optimizer(name, lr, beta, info)
  local c = ORTH[name]
  local muon = c.schedule and ml.optim.muon { lr = lr, beta = beta, ns_coeffs = c.schedule, ns_steps = c.steps }
    or ml.optim.muon { lr = lr, beta = beta, orthogonalize = "polar" }
  return study.hybrid(muon, info, ADAM_LR)
end

---------------------------------------------------------------------------------------------
-- The sweep

local prog
local function train(name, lr, beta, seed)
  local P = make(seed)
  local m0 = P.metric()
  local at, t = study.run_steps { problem = P, opt = optimizer(name, lr, beta, P.model:param_info()), steps = STEPS,
    prog = prog, what = ("%s lr=%g beta=%g seed %d"):format(name, lr, beta, seed), m0 = m0,
    evaluate = function(s) return s == STEPS end }
  if at then return { final = 0 / 0, diverged_at = at, status = "diverged", message = t } end
  local m = P.metric()
  return { final = m, initial = m0, ms_per_step = 1000 * t / STEPS }
end

local path = study.runs_path(o)
local seeds = study.seeds(o)
prog = progress.new { label = "inexact_muon", total = #ORTHS * #LRS * #BETAS * #seeds * STEPS }
local t_start = ml.now()
study.sweeper(path, { "orth", "lr", "beta", "seed", "steps" }, o.fresh)(
  { orth = ORTHS, lr = LRS, beta = BETAS, seed = seeds, steps = { STEPS } },
  function(cfg) return train(cfg.orth, cfg.lr, cfg.beta, cfg.seed) end)
prog:done()

---------------------------------------------------------------------------------------------
-- Orthogonalization error on the reference run's momenta

local function orth_errors()
  local P = make(o.seed)
  local params, info = P.model:params(), P.model:param_info()
  local opt = optimizer("exact polar", 0.02, 0.95, info)
  local mom = {}
  for i, p in ipairs(params) do
    if info[i].kind == "matrix" then mom[i] = ml.zeros(p:rows(), p:cols(), { dtype = p:dtype() }) end
  end
  local checkpoints = { [1] = true, [math.max(1, STEPS // 4)] = true, [math.max(1, STEPS // 2)] = true, [STEPS] = true }
  local sum, count = {}, 0
  for _, name in ipairs(ORTHS) do sum[name] = 0 end
  for s = 1, STEPS do
    local loss, grads = P.step()
    for i, M in pairs(mom) do M:axpby_(0.95, M, 0.05, grads[i]) end   -- muon's M_t = beta M + (1 - beta) G
    opt:step(params, grads, loss)
    if checkpoints[s] then
      for _, M in pairs(mom) do
        local ref = ml.polar(M:astype("float64"))
        local rn = ref:norm()
        for _, name in ipairs(ORTHS) do
          local c = ORTH[name]
          local O = c.schedule and ml.ns(M, { coeffs = c.schedule, steps = c.steps }) or ml.polar(M)
          sum[name] = sum[name] + (O:astype("float64") - ref):norm() / rn
        end
        count = count + 1
      end
    end
  end
  for _, name in ipairs(ORTHS) do sum[name] = sum[name] / count end
  return sum
end
local err = orth_errors()

---------------------------------------------------------------------------------------------
-- Best lr and beta per orthogonalizer

local finals = {}   -- finals[orth][lr][beta] = {losses}
for _, r in ipairs(study.rows_of(path)) do
  if tonumber(r.steps) == STEPS and ORTH[r.orth] then
    local lr, b = tonumber(r.lr), tonumber(r.beta)
    finals[r.orth] = finals[r.orth] or {}
    finals[r.orth][lr] = finals[r.orth][lr] or {}
    finals[r.orth][lr][b] = finals[r.orth][lr][b] or {}
    local t = finals[r.orth][lr][b]
    t[#t + 1] = r.status == "ok" and tonumber(r.final) or 0 / 0
  end
end
local function mean_loss(name, lr, b)
  local t = finals[name] and finals[name][lr] and finals[name][lr][b]
  if not t or #t == 0 then return 0 / 0 end
  local s = 0
  for _, v in ipairs(t) do s = s + v end
  return s / #t
end

local NEAR = 1.03
local out, rows = {}, {}
for _, name in ipairs(ORTHS) do
  local best, blr, bb = math.huge, 0 / 0, 0 / 0
  for _, lr in ipairs(LRS) do for _, b in ipairs(BETAS) do
    local v = mean_loss(name, lr, b)
    if study.finite(v) and v < best then best, blr, bb = v, lr, b end
  end end
  local slr, sb, se, n = 0, 0, 0, 0
  for _, lr in ipairs(LRS) do for _, b in ipairs(BETAS) do
    local v = mean_loss(name, lr, b)
    if study.finite(v) and v <= NEAR * best then
      slr, sb, se, n = slr + math.log(lr), sb + b, se + math.log(lr / (1 - b)), n + 1
    end
  end end
  out[name] = { err = err[name], loss = best, lr = blr, beta = bb, near_lr = n > 0 and math.exp(slr / n) or 0 / 0,
                near_beta = n > 0 and sb / n or 0 / 0, near_n = n, eff = blr / (1 - bb),
                near_eff = n > 0 and math.exp(se / n) or 0 / 0 }
  local c = ORTH[name]
  rows[#rows + 1] = { orth = name, schedule = c.schedule or "exact", steps = c.steps or "", orth_error = err[name],
                      best_loss = best, best_lr = blr, best_beta = bb, near_lr = out[name].near_lr,
                      near_beta = out[name].near_beta, near_eff = out[name].near_eff, near_points = n }
end
csv.write(o.out .. ".csv", { "orth", "schedule", "steps", "orth_error", "best_loss", "best_lr", "best_beta", "near_lr",
  "near_beta", "near_eff", "near_points" }, rows)

print(("Inexact Muon: MLP 784-32-10 (Fashion-MNIST), %d steps, %d seed(s), %d rates x %d momenta; %.0f s"):format(
  STEPS, #seeds, #LRS, #BETAS, ml.now() - t_start))
print(("%-18s %11s %11s %9s %9s %12s %10s %14s"):format("orthogonalizer", "orth error", "best loss", "best lr", "best beta",
  "near-best lr", "near beta", "near lr/(1-b)"))
for _, name in ipairs(ORTHS) do
  local r = out[name]
  print(("%-18s %11.2e %11.4f %9.4g %9.3g %12.4g %10.3f %14.3g"):format(name, r.err, r.loss, r.lr, r.beta, r.near_lr,
    r.near_beta, r.near_eff))
end

-- Spearman rank correlation (average ranks for ties)
local function ranks(v)
  local idx = {}
  for i = 1, #v do idx[i] = i end
  table.sort(idx, function(a, b) return v[a] < v[b] end)
  local r, i = {}, 1
  while i <= #idx do
    local j = i
    while j < #idx and v[idx[j + 1]] == v[idx[i]] do j = j + 1 end
    for k = i, j do r[idx[k]] = (i + j) / 2 end
    i = j + 1
  end
  return r
end
local function spearman(x, y)
  local rx, ry = ranks(x), ranks(y)
  local mx, my, sxy, sxx, syy = 0, 0, 0, 0, 0
  for i = 1, #x do mx, my = mx + rx[i] / #x, my + ry[i] / #x end
  for i = 1, #x do
    sxy = sxy + (rx[i] - mx) * (ry[i] - my)
    sxx, syy = sxx + (rx[i] - mx) ^ 2, syy + (ry[i] - my) ^ 2
  end
  return (sxx > 0 and syy > 0) and sxy / math.sqrt(sxx * syy) or 0 / 0
end
local xe, ylr, yb, ynl, ynb, yne = {}, {}, {}, {}, {}, {}
for _, name in ipairs(ORTHS) do
  local r = out[name]
  if study.finite(r.lr) then
    xe[#xe + 1], ylr[#ylr + 1], yb[#yb + 1], ynl[#ynl + 1], ynb[#ynb + 1] = r.err, r.lr, r.beta, r.near_lr, r.near_beta
    yne[#yne + 1] = r.near_eff
  end
end
local c_lr, c_b, c_nlr, c_nb = spearman(xe, ylr), spearman(xe, yb), spearman(xe, ynl), spearman(xe, ynb)
print(("rank correlation with the orthogonalization error: best lr %.2f, best beta %.2f; near-best lr %.2f, beta %.2f, "
  .. "lr/(1-beta) %.2f"):format(c_lr, c_b, c_nlr, c_nb, spearman(xe, yne)))
local verdict
if c_nlr ~= c_nlr or c_nb ~= c_nb then verdict = "cannot be judged (no variation across the grid)"
elseif c_nlr < -0.3 and c_nb > 0.3 then verdict = "holds"
elseif c_nlr < -0.3 then verdict = "holds for the learning rate only"
elseif c_nb > 0.3 then verdict = "holds for the momentum only"
else verdict = "does not hold" end
print(("the claim (near-best lr falls, beta rises with the error; |rank corr| > 0.3) %s on this problem"):format(verdict))

---------------------------------------------------------------------------------------------
-- Figure: best lr and best beta against the orthogonalization error

local SCHED_LT = { jordan = 1, polar_express = 2 }
local function series_for(field, near)
  local s = {}
  for _, sc in ipairs { "jordan", "polar_express" } do
    local pts = {}
    for _, name in ipairs(ORTHS) do
      local c, r = ORTH[name], out[name]
      if c.schedule == sc and study.finite(r[field]) then pts[#pts + 1] = { math.max(r.err, 1e-8), r[field], r[near] } end
    end
    table.sort(pts, function(a, b) return a[1] < b[1] end)   -- lines joined in order of the error
    local xs, ys, ns = {}, {}, {}
    for k, pt in ipairs(pts) do xs[k], ys[k], ns[k] = pt[1], pt[2], pt[3] end
    if #xs > 0 then
      s[#s + 1] = { x = xs, y = ys, with = "points", title = sc .. " (1..8 steps): argmin", style = ("lt %d pt 7 ps 1.5"):format(SCHED_LT[sc]) }
      s[#s + 1] = { x = xs, y = ns, with = "linespoints", title = sc .. ": near-best mean", style = ("lt %d pt 6 dt 2"):format(SCHED_LT[sc]) }
    end
  end
  local r = out["exact polar"]
  if study.finite(r[field]) then
    s[#s + 1] = { x = { math.max(r.err, 1e-8) }, y = { r[field] }, with = "points", title = "exact polar (SVD)", style = "lt 4 pt 9 ps 2.2" }
  end
  return s
end
study.figure {
  output = o.out .. ".png", formats = { "png", "svg" }, layout = { 1, 3 }, size = { 1650, 520 }, shared_key = true,
  title = ("Inexact Muon on the MLP (Fashion-MNIST, %d steps): best hyperparameters vs orthogonalization error"):format(STEPS),
  panels = {
    { title = "best learning rate", series = series_for("lr", "near_lr"), xlabel = "||O - polar(M)||_F / ||polar(M)||_F",
      ylabel = "learning rate", logx = true, logy = true, grid = true, key = "bottom left" },
    { title = "best momentum", series = series_for("beta", "near_beta"), xlabel = "||O - polar(M)||_F / ||polar(M)||_F",
      ylabel = "beta", logx = true, grid = true, key = "bottom left" },
    { title = "effective step lr / (1 - beta)", series = series_for("eff", "near_eff"),
      xlabel = "||O - polar(M)||_F / ||polar(M)||_F", ylabel = "lr / (1 - beta)", logx = true, logy = true, grid = true },
  },
}

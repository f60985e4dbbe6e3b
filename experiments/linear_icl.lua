-- Preconditioning benefits of spectral orthogonalization (arXiv 2601.13474, whose setups are not
-- reachable beyond the abstract: "a simplified Muon" on matrix factorisation and on in-context
-- learning of linear regression by a linear transformer, with an iteration count that does not grow
-- with the condition number). Measured here: steps to a tolerance against the condition number.
--
-- Problems (full batch, deterministic):
--   icl   ml.models.linear_attention (lua/muonlab/models/linear_attention.lua): S = 256 sequences, each
--         with a fresh task w ~ N(0, I_d), d = 8, N = 32 context tokens z_i = (x_i, y_i), y_i = w^T x_i,
--         x_i ~ N(0, Sigma), Sigma = diag(geometric from 1 to 1/cond), and a query z_q = (x_q, 0);
--         yhat = e_(d+1)^T W_PV H W_KQ z_q with H = (1/N) sum_i z_i z_i^T; loss 1/(2S) sum (yhat - y_q)^2.
--         Tolerance: loss <= 1.05 x reference(): the training loss of the one-step predictor
--         ((1/N) sum_i y_i x_i)^T A x_q with the preconditioner A fitted by least squares, which the model
--         represents exactly (so its optimum is at or below it; Sigma^-1, the population optimum, is a
--         much weaker target at finite N when Sigma is ill-conditioned).
--   mf    ml.models.lowrank: f(U, V) = 1/2 ||U V^T - M*||_F^2, M* 32 x 32 of rank 4 with singular values
--         geometric from 1 to 1/cond, U, V 32 x 4 from N(0, 0.1^2). Tolerance: ||U V^T - M*||_F <= 0.1
--         sigma_min(M*) (every mode recovered to 10%).
-- Methods (on every matrix; no momentum unless named):
--   gd         W <- W - lr G
--   polar      W <- W - lr polar(G)               (simplified Muon: the exact polar factor, constant step)
--   polar_nuc  W <- W - lr ||G||_* polar(G)       (steepest descent in the spectral norm, the step that
--                                                  makes the spectral direction a linearly convergent method)
--   muon       ml.optim.muon (momentum 0.95, Nesterov, 5 Jordan NS steps), the practical rule
--   adam       ml.optim.adamw, weight decay 0
-- Each (method, cond) takes its best learning rate of a grid (fewest steps; then the lowest final
-- loss), mean over seeds of the steps; a run that does not reach the tolerance within --max-steps
-- counts as --max-steps and is drawn with an open marker at the cap.
--   muonlab experiments/linear_icl.lua [--quick] [--seed 1] [--seeds 2] [--max-steps 2000] [--out plots/linear_icl]
--       [--runs STEM] [--threads 1] [--fresh] [--resume]
-- Full size: conds 1, 10, 100, 1000, 4-6 rates per method, 2 seeds, up to 2000 steps: 352 runs in
-- about 2 minutes on one thread (a run stops at the tolerance). --quick: conds 1, 100, 2 rates, 1 seed, 100 steps, into $TMPDIR.
local ml = require "muonlab"
local csv = require "muonlab.csv"
local progress = require "muonlab.progress"
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local study = require "study"

local o = study.options("linear_icl", arg, {
  quick = false, seed = 1, seeds = 2, out = "plots/linear_icl", runs = "", fresh = false, resume = false, threads = 1,
  ["max-steps"] = 2000,
}, "usage: muonlab experiments/linear_icl.lua [--quick] [--seed S] [--seeds N] [--max-steps N] [--out STEM]\n"
  .. "       [--runs STEM] [--threads N] [--fresh] [--resume]", { ["max-steps"] = 100 })
local Q = o.quick
local MAX = math.tointeger(o["max-steps"])
local CONDS = Q and { 1, 100 } or { 1, 10, 100, 1000 }
local METHODS = { "gd", "polar", "polar_nuc", "muon", "adam" }
local LABEL = { gd = "gradient descent", polar = "simplified Muon (polar, constant lr)",
                polar_nuc = "polar x nuclear norm", muon = "Muon (momentum, NS5)", adam = "Adam" }
local LRS = {
  gd = { 0.003, 0.01, 0.03, 0.1, 0.3, 1 }, polar = { 0.003, 0.01, 0.03, 0.1 }, polar_nuc = { 0.03, 0.1, 0.3, 1 },
  muon = { 0.003, 0.01, 0.03, 0.1 }, adam = { 0.001, 0.003, 0.01, 0.03 },
}
if Q then for k, v in pairs(LRS) do LRS[k] = { v[2], v[3] } end end

-- problem instances: {model, done() -> reached the tolerance, gap() -> the plotted quantity}
local PROBLEMS = {
  icl = function(cond, seed)
    local m = ml.models.linear_attention { d = 8, context = 32, sequences = Q and 64 or 256, cond = cond, seed = seed }
    local target = 1.05 * m:reference()
    return { model = m, target = target, value = function(loss) return loss / m:reference() end,
             done = function(loss) return loss <= target end }
  end,
  mf = function(cond, seed)
    local m = ml.models.lowrank { m = 32, n = 32, rank = 4, k = 4, cond = cond, seed = seed }
    local tol = 0.1 / cond
    return { model = m, value = function(loss) return math.sqrt(2 * loss) * cond end,   -- ||R||_F / sigma_min
             done = function(loss) return math.sqrt(2 * loss) <= tol end }
  end,
}
local TITLE = { icl = "in-context linear regression (linear attention, d = 8, N = 32)",
                mf = "matrix factorisation 32 x 32, rank 4" }
local YLAB = { icl = "loss / loss of the fitted one-step predictor", mf = "||UV^T - M*||_F / sigma_min(M*)" }

local function stepper(method, lr)
  if method == "gd" then return function(params, grads) for i, p in ipairs(params) do p:add_(grads[i], -lr) end end end
  if method == "polar" or method == "polar_nuc" then
    return function(params, grads)
      for i, p in ipairs(params) do
        local g = grads[i]
        if g:norm() > 0 then
          local s = method == "polar_nuc" and ml.norm(g, "nuclear") or 1
          p:add_(ml.polar(g), -lr * s)
        end
      end
    end
  end
  local opt = method == "muon" and ml.optim.muon { lr = lr } or ml.optim.adamw { lr = lr, weight_decay = 0 }
  return function(params, grads, loss) opt:step(params, grads, loss) end
end

local prog
local function run(problem, method, cond, lr, seed)
  local P = PROBLEMS[problem](cond, seed)
  local step = stepper(method, lr)
  local params = P.model:params()
  local curve, reached = {}, nil
  local every = math.max(1, MAX // 50)
  local loss, grads = P.model:loss_grad()
  local v0 = P.value(loss)
  for s = 1, MAX do
    step(params, grads, loss)
    loss, grads = P.model:loss_grad()
    prog:step(1, loss, ("%s %s cond %g lr %g"):format(problem, method, cond, lr))
    if not study.finite(loss) or P.value(loss) > 1e6 * math.max(v0, 1) then
      prog:step(MAX - s)
      return { steps = MAX, reached = 0, final = 0 / 0, diverged_at = s, status = "diverged", message = "loss " .. tostring(loss) }
    end
    if s % every == 0 or P.done(loss) then curve[#curve + 1] = { s, P.value(loss) } end
    if P.done(loss) then
      reached = s
      prog:step(MAX - s)
      break
    end
  end
  return { steps = reached or MAX, reached = reached and 1 or 0, final = P.value(loss), initial = v0,
           curve = study.pack(curve, "%d:%.6g") }
end

local path = study.runs_path(o)
local seeds = study.seeds(o)
local total = 0
for _, m in ipairs(METHODS) do total = total + #LRS[m] * #CONDS * #seeds * 2 * MAX end   -- an upper bound
prog = progress.new { label = "linear_icl", total = total }
local t0 = ml.now()
local sweep = study.sweeper(path, { "problem", "method", "cond", "lr", "seed", "max_steps" }, o.fresh)
for _, m in ipairs(METHODS) do
  sweep({ problem = { "icl", "mf" }, method = { m }, cond = CONDS, lr = LRS[m], seed = seeds, max_steps = { MAX } },
    function(cfg) return run(cfg.problem, cfg.method, cfg.cond, cfg.lr, cfg.seed) end)
end
prog:done()

---------------------------------------------------------------------------------------------
-- Best rate per (problem, method, cond), the table and the figure

local by = {}   -- by[problem][method][cond][lr] = rows
for _, r in ipairs(study.rows_of(path)) do
  if tonumber(r.max_steps) == MAX then
    local t = by
    for _, k in ipairs { r.problem, r.method, tonumber(r.cond), tonumber(r.lr) } do t[k] = t[k] or {}; t = t[k] end
    t[#t + 1] = r
  end
end
local best, rows = {}, {}
for _, p in ipairs { "icl", "mf" } do
  best[p] = {}
  for _, m in ipairs(METHODS) do
    best[p][m] = {}
    for _, c in ipairs(CONDS) do
      local b
      for _, lr in ipairs(LRS[m]) do
        local rs = by[p] and by[p][m] and by[p][m][c] and by[p][m][c][lr] or {}
        if #rs > 0 then
          local steps, reached, final, ok = 0, 0, 0, true
          for _, r in ipairs(rs) do
            steps, reached = steps + tonumber(r.steps), reached + (tonumber(r.reached) or 0)
            final = final + (tonumber(r.final) or 0 / 0)
            ok = ok and r.status == "ok"
          end
          local cand = { lr = lr, steps = steps / #rs, all = reached == #rs, final = final / #rs, rows = rs }
          if ok and (not b or cand.steps < b.steps or (cand.steps == b.steps and cand.final < b.final)) then b = cand end
        end
      end
      best[p][m][c] = b
      if b then
        rows[#rows + 1] = { problem = p, method = m, cond = c, best_lr = b.lr, steps = b.steps, reached = b.all and 1 or 0,
                            final = b.final }
      end
    end
  end
end
csv.write(o.out .. ".csv", { "problem", "method", "cond", "best_lr", "steps", "reached", "final" }, rows)

print(("Steps to tolerance (best lr of the grid, mean of %d seed(s); '>' = not reached in %d steps); %.0f s"):format(
  #seeds, MAX, ml.now() - t0))
for _, p in ipairs { "icl", "mf" } do
  print(TITLE[p])
  local h = ("  %-40s"):format("method")
  for _, c in ipairs(CONDS) do h = h .. ("%18s"):format("cond " .. c) end
  print(h)
  for _, m in ipairs(METHODS) do
    local line = ("  %-40s"):format(LABEL[m])
    for _, c in ipairs(CONDS) do
      local b = best[p][m][c]
      line = line .. (b and ("%18s"):format(("%s%.0f (lr %g)"):format(b.all and "" or ">", b.steps, b.lr)) or ("%18s"):format("-"))
    end
    print(line)
  end
end

local LT = { gd = 1, polar = 2, polar_nuc = 3, muon = 4, adam = 5 }
local function steps_series(p)
  local s = {}
  for _, m in ipairs(METHODS) do
    local xs, ys, ox, oy = {}, {}, {}, {}
    for _, c in ipairs(CONDS) do
      local b = best[p][m][c]
      if b then
        xs[#xs + 1], ys[#ys + 1] = c, b.steps
        if not b.all then ox[#ox + 1], oy[#oy + 1] = c, b.steps end
      end
    end
    if #xs > 0 then
      s[#s + 1] = { x = xs, y = ys, with = "linespoints", title = LABEL[m], style = ("lt %d pt 7 ps 1.3"):format(LT[m]) }
      if #ox > 0 then s[#s + 1] = { x = ox, y = oy, with = "points", style = ("lt %d pt 6 ps 2.6"):format(LT[m]) } end
    end
  end
  return s
end
local cmax = CONDS[#CONDS]
local curves = {}
for _, m in ipairs(METHODS) do
  local b = best.icl[m][cmax]
  if b then
    local xs, ys, _, _ = study.band((function()
      local cs = {}
      for i, r in ipairs(b.rows) do cs[i] = study.unpack_curve(r.curve) end
      return cs
    end)(), 2)
    curves[#curves + 1] = { x = xs, y = ys, with = "lines", title = LABEL[m] .. (" (lr %g)"):format(b.lr), style = ("lt %d lw 2"):format(LT[m]) }
  end
end
study.figure {
  output = o.out .. ".png", formats = { "png", "svg" }, layout = { 1, 3 }, size = { 1650, 520 }, shared_key = true,
  title = ("Steps to tolerance vs condition number (best lr per point; open circles: not reached in %d steps)"):format(MAX),
  panels = {
    { title = ("ICL, cond(Sigma) = %g: loss over the best run's steps"):format(cmax), series = curves, xlabel = "step",
      ylabel = YLAB.icl, logy = true, grid = true },
    { title = "ICL: steps to 1.05 x reference loss", series = steps_series("icl"),
      xlabel = "cond(Sigma)", ylabel = "steps", logx = true, logy = true, grid = true },
    { title = "factorisation: steps to error <= sigma_min/10", series = steps_series("mf"),
      xlabel = "cond(M*)", ylabel = "steps", logx = true, logy = true, grid = true },
  },
}

-- experiments/lib/study.lua (require "study" after adding experiments/lib to package.path, as each
-- study script does): option parsing with --quick (smaller sizes, output under $TMPDIR) for every
-- study script; for the optimizer studies (experiments/convergence.lua, lr_sensitivity.lua,
-- spectral_family.lua, trasmuon_ablation.lua) also the MLP (Fashion-MNIST) and char-level LM (fortunes) training problems,
-- hybrid matrix-rule/AdamW and steepest-descent optimizer construction, the durable sweep file
-- (path, rows, staged ml.sweep calls, best rate of a grid), packed curves, statistics, mean
-- curves with a min..max band, and the figure.
local ml = require "muonlab"
local cli = require "muonlab.cli"
local csv = require "muonlab.csv"

local M = {}

function M.finite(v) return v == v and v ~= math.huge and v ~= -math.huge end

-- "a,b c" -> {"a", "b", "c"}
function M.list(s) local t = {} for w in s:gmatch("[^,%s]+") do t[#t + 1] = w end return t end

-- cli.parse, then ml.set_threads(--threads) when the study has that option. With --quick (a smoke
-- run): each entry of `quick` caps a numeric option (a smaller value given on the command line
-- stays) or replaces a string one, and the default --out becomes $TMPDIR/<name>_quick.
function M.options(name, argv, defaults, usage, quick)
  local o = cli.parse(argv, defaults, usage)
  if o.threads ~= nil then ml.set_threads(o.threads) end
  if o.quick then
    for k, v in pairs(quick or {}) do
      if type(v) == "number" and type(o[k]) == "number" then o[k] = math.min(o[k], v) else o[k] = v end
    end
    if o.out == defaults.out then o.out = (os.getenv("TMPDIR") or "/tmp") .. "/" .. name .. "_quick" end
  end
  return o
end

-- --seeds seeds from --seed (at most 2 with --quick)
function M.seeds(o)
  local t = {}
  for k = 1, o.quick and math.min(o.seeds, 2) or o.seeds do t[k] = o.seed + k - 1 end
  return t
end

---------------------------------------------------------------------------------------------
-- Problems. A maker is make(seed) -> {model, step() -> loss, grads (one minibatch), regrad() ->
-- loss, grads on the last step's minibatch at the current parameters (two-gradient optimizers),
-- metric() -> the plotted loss, extra() -> more values (optional)}. Data sets are loaded once per
-- process.

local cache = {}

function M.fashion(quick, limit_test)
  local k = "fm" .. limit_test
  cache[k] = cache[k] or ml.data.fashion_mnist { dtype = "float32", limit_train = quick and 1000 or 10000, limit_test = limit_test,
    quiet = true }
  return cache[k]
end

function M.fortunes()
  if not cache.tr then cache.tr, cache.va = ml.data.fortunes { quiet = true } end
  return cache.tr, cache.va
end

function M.mlp_sizes(quick) return quick and { 784, 32, 10 } or { 784, 128, 128, 10 } end

-- MLP on Fashion-MNIST, minibatches of 128 (reshuffled per epoch); metric: training loss on 2048
-- training images; opts.limit_test (default 10) test images; opts.test_acc: extra() = {test_acc};
-- opts.sizes: the layer sizes (default mlp_sizes(quick)).
function M.mlp_problem(quick, opts)
  opts = opts or {}
  return function(seed)
    local d = M.fashion(quick, opts.limit_test or 10)
    local m = ml.models.mlp { sizes = opts.sizes or M.mlp_sizes(quick), dtype = "float32", seed = seed }
    local neval = math.min(2048, d.train.X:rows())
    local Xe, ye = d.train.X:view(1, 1, neval, 784), d.train.y:view(1, 1, neval, 1)
    local epoch, it, Xl, yl = 0, nil, nil, nil
    return { model = m, data = d,
      step = function()
        local Xb, yb
        if it then Xb, yb = it() end
        if not Xb then
          epoch = epoch + 1
          it = ml.data.minibatches(d.train.X, d.train.y, 128, { seed = seed * 1000 + epoch })
          Xb, yb = it()
        end
        Xl, yl = Xb, yb
        return m:loss_grad(Xb, yb)
      end,
      regrad = function() return m:loss_grad(Xl, yl) end,
      metric = function() return (m:evaluate(Xe, ye)) end,
      extra = opts.test_acc and function() local _, acc = m:evaluate(d.test.X, d.test.y) return { test_acc = acc } end
        or nil }
  end
end

-- character-level MLP LM on fortunes (context 8, embed 16, hidden 32 | 128), batches of 128;
-- metric: validation loss in nats/char
function M.char_lm_problem(quick)
  return function(seed)
    local tr, va = M.fortunes()
    tr:seed(seed)
    local m = ml.models.char_mlp { vocab = tr:vocab_size(), context = 8, embed = 16, hidden = quick and 32 or 128,
      dtype = "float32", seed = seed }
    local X, y = ml.zeros(128, 8), ml.zeros(128, 1)
    return { model = m,
      step = function() tr:batch(X, y) return m:loss_grad(X, y) end,
      regrad = function() return m:loss_grad(X, y) end,
      metric = function() return (m:evaluate(va, { max_windows = quick and 256 or 2048, stride = 97 })) end }
  end
end

-- The GPT of ROUND2.md on fortunes (byte level, 90/10 split by fortune): ml.models.gpt in float32
-- with cfg = {layers = 2, embed = 128, heads = 4, context = 64, batch = 32, eval_batches = 8,
-- model = {…extra ml.models.gpt options}}; batches from ml.data.windows (seeded by the run's seed);
-- metric: validation loss (nats/char) over eval_batches fixed batches of windows spread evenly
-- over the validation text (the same windows for every run).
M.GPT_DEFAULT = { layers = 2, embed = 128, heads = 4, context = 64, batch = 32, eval_batches = 8 }

function M.gpt_problem(cfg)
  local c = {}
  for k, v in pairs(M.GPT_DEFAULT) do c[k] = v end
  for k, v in pairs(cfg or {}) do c[k] = v end
  return function(seed)
    local tr, va = M.fortunes()
    local mo = { vocab = tr:vocab_size(), context = c.context, layers = c.layers, heads = c.heads, embed = c.embed,
      seed = seed, dtype = "float32" }
    for k, v in pairs(c.model or {}) do mo[k] = v end
    local m = ml.models.gpt(mo)
    local B, T = c.batch, c.context
    local w = ml.data.windows(tr, B, T, { seed = seed, dtype = "float32" })
    local Xv, Yv = ml.zeros(B, T, { dtype = "float32" }), ml.zeros(B, T, { dtype = "float32" })
    local Xl, Yl   -- the last step's batch (the sampler refills the same two matrices)
    local nb = c.eval_batches
    local stride = (#va - T - 1) // (nb * B)
    local function metric()
      local sum = 0
      for k = 0, nb - 1 do
        va:batch(Xv, Yv, 1 + k * B * stride, stride)
        sum = sum + m:evaluate(Xv, Yv)
      end
      return sum / nb
    end
    return { model = m, cfg = c, tokens_per_step = B * T,
      step = function() Xl, Yl = w:next() return m:loss_grad(Xl, Yl) end,
      regrad = function() return m:loss_grad(Xl, Yl) end,
      metric = metric }
  end
end

---------------------------------------------------------------------------------------------
-- Optimizers for a model's param_info

function M.is_matrix(info) return function(i) return info[i].kind == "matrix" end end

-- the matrix rule `opt` on the weight matrices, AdamW (lr backup_lr, no weight decay) on the rest;
-- `opt` alone when every parameter is a matrix
function M.hybrid(opt, info, backup_lr)
  local all = true
  for _, x in ipairs(info) do if x.kind ~= "matrix" then all = false end end
  if all then return opt end
  local mat = M.is_matrix(info)
  return ml.optim.group {
    { params = function(i) return mat(i) end, opt = opt },
    { params = function(i) return not mat(i) end, opt = ml.optim.adamw { lr = backup_lr, weight_decay = 0 } },
  }
end

-- a steepest-descent preset of ml.optim: build(lr, info) with lr_backup = lr x the preset's ratio
function M.steepest(name)
  local presets = require("muonlab.optim.steepest").presets
  local ratio = presets[name][2].lr_backup / presets[name][2].lr
  return function(lr, info)
    local mat = M.is_matrix(info)
    return ml.optim[name] { lr = lr, lr_backup = lr * ratio, choose = function(i) return mat(i) and "matrix" or "backup" end }
  end
end

---------------------------------------------------------------------------------------------
-- Training

-- Runs a.steps steps of a.opt on the problem instance a.problem (from a maker above), advancing
-- a.prog (label a.what) by one per step; after the step s where a.evaluate(s) is true, computes
-- the plotted loss (appended as {s, loss} to a.curve when given). a.perturb(grads), when given,
-- sees each minibatch's gradients before the optimizer. Stops at a NaN/Inf loss or a plotted loss
-- above 100 x a.m0 (the progress then skips the remaining steps).
-- Returns nil, seconds taken (evaluations included) | the step it diverged at, a message.
function M.run_steps(a)
  local P, prog, steps = a.problem, a.prog, a.steps
  local params = P.model:params()
  local done = 0
  local function diverged(s, why)
    prog:step(steps - done)
    return s, why
  end
  local t0 = ml.now()
  for s = 1, steps do
    local loss, grads = P.step()
    if not M.finite(loss) then return diverged(s, ("loss %s at step %d"):format(tostring(loss), s)) end
    if a.perturb then a.perturb(grads) end
    a.opt:step(params, grads, loss)
    done = s
    prog:step(1, loss, a.what)
    if a.evaluate(s) then
      local m = P.metric()
      if a.curve then a.curve[#a.curve + 1] = { s, m } end
      if not M.finite(m) or m > 100 * a.m0 then return diverged(s, ("loss %.3g at step %d"):format(m, s)) end
    end
  end
  return nil, ml.now() - t0
end

---------------------------------------------------------------------------------------------
-- The sweep file

-- <runs>.csv: --runs, else results/<name> for an --out under plots/, else <out>; ".quick" with
-- --quick. The directory is created; with --quick and no --resume the file starts empty.
function M.runs_path(o)
  local runs = o.runs ~= "" and o.runs or
    (o.out:match("^plots/") and ("results/" .. o.out:match("([^/]+)$")) or o.out) .. (o.quick and ".quick" or "")
  ml.mkdir(runs:match("^(.*)/[^/]*$") or ".", { parents = true })   -- no shell: the name may hold anything
  local path = runs .. ".csv"
  if o.quick and not o.resume then os.remove(path); os.remove(path .. ".grid") end
  return path
end

function M.rows_of(path)
  local ok, _, rows = pcall(csv.read, path)
  return ok and rows or {}
end

-- sweep(grid, run): ml.sweep into path with the columns in `order`, quietly; `fresh` applies to
-- the first call only (later stages add to the same file)
function M.sweeper(path, order, fresh)
  return function(grid, run)
    ml.sweep {
      out = path, order = order, grid = grid, run = run,
      argv = {}, fresh = fresh, progress = false, getenv = function() return nil end,
    }
    fresh = false
  end
end

-- the finished row with the lowest finite final loss among lookup(lr) for lr in lrs
function M.best_of(lrs, lookup)
  local b
  for _, lr in ipairs(lrs) do
    local r = lookup(lr)
    if r and r.status == "ok" and M.finite(r.final) and (not b or r.final < b.final) then b = r end
  end
  return b
end

---------------------------------------------------------------------------------------------
-- Curves and statistics

-- The mean curve and min..max band over the seeds of a run set (curves of {step, seconds, value}
-- points), as one series vs steps into by_step and one vs seconds into by_time, labelled `label`.
function M.step_time_series(by_step, by_time, curves, label)
  local xs, ys, lo, hi, ts = M.band(curves, 3, 2)
  if #xs > 0 then
    M.band_series(by_step, xs, ys, lo, hi, label)
    M.band_series(by_time, ts, ys, lo, hi, label)
  end
end

-- One training run with its curve, shared by gpt_convergence.lua and lib/convergence_study.lua:
-- `steps` steps of P.step() -> loss, grads followed by update(grads, loss); P.metric() at step 0
-- and every steps // evals steps (and the last); training time excludes the evaluations. Stops
-- at a non-finite loss or metric, or a metric above `diverge` times the first. opts: steps,
-- evals, diverge, prog (a progress line), what (its label). Returns the curve ({step, seconds,
-- metric} points), the training seconds, the steps run and the step it diverged at (nil if it did not).
function M.train_curve(P, update, opts)
  local steps = opts.steps
  local m0 = P.metric()
  local curve = { { 0, 0, m0 } }
  local every = math.max(1, steps // opts.evals)
  local t, counted, diverged_at = 0, 0, nil
  for s = 1, steps do
    local t0 = ml.now()
    local loss, grads = P.step()
    if not M.finite(loss) then diverged_at = s; break end
    update(grads, loss)
    t = t + ml.now() - t0
    opts.prog:step(1, loss, opts.what)
    counted = s
    if s % every == 0 or s == steps then
      local v = P.metric()
      curve[#curve + 1] = { s, t, v }
      if not M.finite(v) or v > opts.diverge * m0 then diverged_at = s; break end
    end
  end
  if counted < steps then opts.prog:step(steps - counted) end
  return curve, t, counted, diverged_at
end

-- {{step, v...}, ...} -> "step:v:...;..." with the per-point format fmt
function M.pack(curve, fmt)
  local t = {}
  for i, c in ipairs(curve) do t[i] = fmt:format(table.unpack(c)) end
  return table.concat(t, ";")
end
-- the inverse (a field that is not a number, e.g. nan, reads as NaN)
function M.unpack_curve(s)
  local t = {}
  for item in tostring(s):gmatch("[^;]+") do
    local pt = {}
    for f in item:gmatch("[^:]+") do pt[#pt + 1] = tonumber(f) or 0 / 0 end
    t[#t + 1] = pt
  end
  return t
end

-- mean, sample std, min, max (all NaN for an empty list)
function M.stats(v)
  if #v == 0 then return 0 / 0, 0 / 0, 0 / 0, 0 / 0 end
  local n, s, lo, hi = #v, 0, math.huge, -math.huge
  for _, x in ipairs(v) do s = s + x; lo = math.min(lo, x); hi = math.max(hi, x) end
  local mean, ss = s / n, 0
  for _, x in ipairs(v) do ss = ss + (x - mean) ^ 2 end
  return mean, n > 1 and math.sqrt(ss / (n - 1)) or 0, lo, hi
end

-- Mean over curves (unpacked, aligned point by point with the first) of field `f`, over the
-- curves whose point is finite: xs (the steps), means, mins, maxs, and the mean of field `tf`
-- when given (e.g. the time). keep(pt), when given, filters the points of the first curve.
function M.band(curves, f, tf, keep)
  local xs, ys, lo, hi, ts = {}, {}, {}, {}, {}
  for i, pt in ipairs(curves[1] or {}) do
    local v, tt = {}, {}
    for _, c in ipairs(curves) do
      if c[i] and M.finite(c[i][f]) then v[#v + 1] = c[i][f]; if tf then tt[#tt + 1] = c[i][tf] end end
    end
    if #v > 0 and (not keep or keep(pt)) then
      local m, _, a, b = M.stats(v)
      xs[#xs + 1], ys[#ys + 1], lo[#lo + 1], hi[#hi + 1] = pt[1], m, a, b
      if tf then ts[#ts + 1] = (M.stats(tt)) end
    end
  end
  return xs, ys, lo, hi, ts
end

-- the band and the mean line of one curve set, in linetype lt (nil: the default colours)
function M.band_series(series, xs, ys, lo, hi, title, lt, with)
  local style = lt and ("lt " .. lt) or nil
  series[#series + 1] = { x = xs, ylow = lo, yhigh = hi, with = "band", style = style }
  series[#series + 1] = { x = xs, y = ys, title = title, with = with or "lines", style = style }
end

-- ml.plot(spec), printing the files written
function M.figure(spec)
  local written = ml.plot(spec)
  print("figure: " .. table.concat(type(written) == "table" and written or { tostring(written) }, ", "))
end

return M

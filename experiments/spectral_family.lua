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
local cli = require "muonlab.cli"
local csv = require "muonlab.csv"
local progress = require "muonlab.progress"

local DEFAULT_OUT = "plots/spectral_family"
local o = cli.parse(arg, {
  quick = false, seed = 1, seeds = 3, steps = 0, problems = "mlp,char_lm", method = "svd",
  out = DEFAULT_OUT, runs = "", fresh = false, resume = false, threads = 1,
}, "usage: muonlab experiments/spectral_family.lua [--quick] [--seed S] [--seeds N] [--steps N] [--problems a,b]\n"
  .. "       [--method svd|newton] [--out STEM] [--runs STEM] [--threads N] [--fresh] [--resume]")
ml.set_threads(o.threads)
local Q = o.quick
if Q and o.out == DEFAULT_OUT then o.out = (os.getenv("TMPDIR") or "/tmp") .. "/spectral_family_quick" end
local STEPS = o.steps > 0 and math.tointeger(o.steps) or (Q and 20 or 300)
local NSEEDS = Q and math.min(o.seeds, 2) or o.seeds
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

local cache = {}
local PROBLEMS = {
  mlp = {
    title = Q and "MLP 784-32-10 (Fashion-MNIST)" or "MLP 784-128-128-10 (Fashion-MNIST)",
    ylabel = "training loss", logy = true,
    make = function(seed)
      cache.fm = cache.fm or ml.data.fashion_mnist { limit_train = Q and 1000 or 10000, limit_test = 10, quiet = true }
      local d = cache.fm
      local m = ml.models.mlp { sizes = Q and { 784, 32, 10 } or { 784, 128, 128, 10 }, dtype = "float32", seed = seed }
      local neval = math.min(2048, d.train.X:rows())
      local Xe, ye = d.train.X:view(1, 1, neval, 784), d.train.y:view(1, 1, neval, 1)
      local epoch, it = 0, nil
      return { model = m,
        step = function()
          local Xb, yb
          if it then Xb, yb = it() end
          if not Xb then
            epoch = epoch + 1
            it = ml.data.minibatches(d.train.X, d.train.y, 128, { seed = seed * 1000 + epoch })
            Xb, yb = it()
          end
          return m:loss_grad(Xb, yb)
        end,
        metric = function() return (m:evaluate(Xe, ye)) end }
    end,
  },
  char_lm = {
    title = ("char-level MLP LM, hidden %d (fortunes)"):format(Q and 32 or 128),
    ylabel = "validation loss (nats/char)", logy = false,
    make = function(seed)
      if not cache.tr then cache.tr, cache.va = ml.data.fortunes { quiet = true } end
      local tr, va = cache.tr, cache.va
      tr:seed(seed)
      local m = ml.models.char_mlp { vocab = tr:vocab_size(), context = 8, embed = 16, hidden = Q and 32 or 128,
        dtype = "float32", seed = seed }
      local X, y = ml.zeros(128, 8), ml.zeros(128, 1)
      return { model = m,
        step = function() tr:batch(X, y) return m:loss_grad(X, y) end,
        metric = function() return (m:evaluate(va, { max_windows = Q and 256 or 2048, stride = 97 })) end }
    end,
  },
}
local problems = {}
for w in o.problems:gmatch("[^,%s]+") do
  if not PROBLEMS[w] then error("unknown problem '" .. w .. "' (known: mlp, char_lm)", 0) end
  problems[#problems + 1] = w
end

---------------------------------------------------------------------------------------------
-- One run

local function finite(v) return v == v and v ~= math.huge and v ~= -math.huge end
local function pack(curve)
  local t = {}
  for i, c in ipairs(curve) do t[i] = ("%d:%.6g"):format(c[1], c[2]) end
  return table.concat(t, ";")
end
local function unpack_curve(s)
  local t = {}
  for a, b in tostring(s):gmatch("([^:;]+):([^:;]+)") do t[#t + 1] = { tonumber(a), tonumber(b) or 0 / 0 } end
  return t
end
local prog

local function train(problem, base, p, lr, seed)
  local P = PROBLEMS[problem].make(seed)
  local params = P.model:params()
  local opt = ml.optim.spectral { lr = lr, p = p, base = base, method = o.method }
  local what = ("%s/%s p=%s lr=%g seed %d"):format(problem, base, PNAME[p], lr, seed)
  local m0 = P.metric()
  local curve = { { 0, m0 } }
  local every = math.max(1, STEPS // EVALS)
  local done = 0
  local function stop(s, why)
    prog:step(STEPS - done)
    return { lr = lr, final = 0 / 0, diverged_at = s, status = "diverged", message = why, curve = pack(curve) }
  end
  local t0 = ml.now()
  for s = 1, STEPS do
    local loss, grads = P.step()
    if not finite(loss) then return stop(s, ("loss %s at step %d"):format(tostring(loss), s)) end
    opt:step(params, grads, loss)
    done = s
    prog:step(1, loss, what)
    if s % every == 0 or s == STEPS then
      local m = P.metric()
      curve[#curve + 1] = { s, m }
      if not finite(m) or m > 100 * m0 then return stop(s, ("loss %.3g at step %d"):format(m, s)) end
    end
  end
  return { lr = lr, final = curve[#curve][2], ms_per_step = 1000 * (ml.now() - t0) / STEPS, curve = pack(curve) }
end

---------------------------------------------------------------------------------------------
-- One sweep file keyed by (problem, base, p, lr, seed, steps, method): every rate of the cell's
-- grid with --seed, then the best one (lowest final loss) with the other seeds; one ml.sweep call
-- per stage and cell, since the grids differ; --fresh moves the old file aside once.

local runs = o.runs ~= "" and o.runs or
  (o.out:match("^plots/") and ("results/" .. o.out:match("([^/]+)$")) or o.out) .. (Q and ".quick" or "")
os.execute("mkdir -p '" .. (runs:match("^(.*)/[^/]*$") or ".") .. "'")
local path = runs .. ".csv"
if Q and not o.resume then os.remove(path); os.remove(path .. ".grid") end
local seeds = {}
for k = 1, NSEEDS do seeds[k] = o.seed + k - 1 end

local function rows_of(p)
  local ok, _, rows = pcall(csv.read, p)
  return ok and rows or {}
end
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
  local best
  for _, lr in ipairs(grid(b, p)) do
    local r = have[key(pr, b, p, lr, o.seed)]
    if r and r.status == "ok" and finite(r.final) and (not best or r.final < best.final) then best = r end
  end
  return best
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

local fresh = o.fresh
local function sweep(pr, b, p, lrs, ss)
  ml.sweep {
    out = path, order = { "problem", "base", "p", "lr", "seed", "steps", "method" },
    grid = { problem = { pr }, base = { b }, p = { p }, lr = lrs, seed = ss, steps = { STEPS }, method = { o.method } },
    run = function(c) local r = train(c.problem, c.base, c.p, c.lr, c.seed); r.lr = nil; return r end,
    argv = {}, fresh = fresh, progress = false, getenv = function() return nil end,
  }
  fresh = false
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

local function stats(v)
  if #v == 0 then return 0 / 0, 0 / 0, 0 / 0, 0 / 0 end
  local n, s, lo, hi = #v, 0, math.huge, -math.huge
  for _, x in ipairs(v) do s = s + x; lo = math.min(lo, x); hi = math.max(hi, x) end
  local mean, ss = s / n, 0
  for _, x in ipairs(v) do ss = ss + (x - mean) ^ 2 end
  return mean, n > 1 and math.sqrt(ss / (n - 1)) or 0, lo, hi
end

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
      sp[#sp + 1] = { x = xs, ylow = lo, yhigh = hi, with = "band", style = "lt " .. bi }
      sp[#sp + 1] = { x = xs, y = ys, with = "linespoints", style = "lt " .. bi,
        title = b == "adam" and "RMS-normalised (Adam)" or "first moment (momentum)" }
    end
    -- mean curves of each p: solid for momentum, dashed for Adam (linetypes 9..16 are the dashed colours)
    for pi, p in ipairs(PS) do
      local cs = res[b][p].curves
      if #cs > 0 then
        local cx, cy = {}, {}
        for i, pt in ipairs(cs[1]) do
          local v = {}
          for _, cc in ipairs(cs) do if cc[i] and finite(cc[i][2]) then v[#v + 1] = cc[i][2] end end
          if #v > 0 then cx[#cx + 1], cy[#cy + 1] = pt[1], (stats(v)) end
        end
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
  local written = ml.plot {
    output = o.out .. ".png", formats = { "png", "svg" }, layout = { 2, #panels_p }, size = { 700 * #panels_p, 1000 },
    title = ("Spectral family U S^p V^T, best rate per cell, mean and min..max over %d seed(s)"):format(#seeds),
    panels = panels,
  }
  print("figure: " .. table.concat(type(written) == "table" and written or { tostring(written) }, ", "))
end

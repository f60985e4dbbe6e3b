-- What does accuracy cost? Wall time against distance to the polar factor for every way the
-- workbench computes an orthogonalization, on Gaussian m x 4m matrices of growing size:
--   NS      every schedule at 5 steps (Muon's setting), and the converging quintic and Polar
--           Express (its preset has the paper's safety factor 1.01, without which it can diverge in bf16)
--           at 10, each in three forms (direct: X <- p(XX^T)X; gram: iterate on XX^T and
--           apply the accumulated polynomial once; eig: the composed polynomial at sqrt(lambda)
--           through one eigendecomposition of XX^T, fp64/fp32 only) and in fp64, fp32 and
--           emulated bf16;
--           Also Gram Newton-Schulz as published (Dao-AILab): the gram_ns schedule (Polar Express
--           rows 1-5 at safety 1.05) in the gram form with a restart before step 3;
--   svd     ml.polar(A): U V^T from LAPACK's SVD (the reference);
--   eig     ml.polar(A, {method = "eig"}): the eigendecomposition of the Gram matrix A A^T;
--   qdwh    ml.polar(A, {method = "qdwh"}): QR-based dynamically weighted Halley, float64;
--   zolo    ml.polar(A, {method = "zolo"}): Zolo-PD, two Zolotarev iterations of degree r;
--           their iteration counts (and r) are in the CSV's iterations/degree columns. Scaled Newton
--           (method "newton") needs square input and has no point on these m x 4m matrices.
-- Time: median of --reps runs after one warm-up run (which sizes the NS workspace and gives
-- the output that is measured), taken round-robin over the methods. Accuracy: ||X - UV^T||_F / ||UV^T||_F against the SVD polar
-- factor in float64; the svd point is measured against the eig result (the two exact methods),
-- so both sit at their rounding floor. NS in fp32/bf16 is fed a float32 matrix, as on a GPU.
-- A point is Pareto-optimal when no faster method is as accurate, errors within a factor
-- PARETO_TOL counting as equal (at the rounding floor, 3e-15 against 4e-15 is noise); the
-- front is drawn as a line. CPU times with emulated bf16: the emulation rounds
-- every operand, so bf16 here costs more than fp32, unlike on a tensor-core GPU.
--   muonlab experiments/ns_cost_accuracy.lua [--sizes 128x512,256x1024,512x2048] [--reps 3] [--seed 1]
--       [--out plots/ns_cost_accuracy] [--quick]
-- Writes <out>.csv and <out>.png/.svg (.dat/.gp beside), prints the table the figure draws.
-- --quick: sizes 24x96,48x192, output under $TMPDIR unless --out is given.
local ml = require "muonlab"
-- experiments/lib/study.lua: the scaffolding the study scripts share, found beside this script
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local study = require "study"
local csv = require "muonlab.csv"

local DEFAULT_OUT = "plots/ns_cost_accuracy"
local o = study.options("ns_cost_accuracy", arg, { sizes = "128x512,256x1024,512x2048", reps = 3, seed = 1, out = DEFAULT_OUT, quick = false },
  "usage: muonlab experiments/ns_cost_accuracy.lua [--sizes RxC,RxC,...] [--reps N] [--seed S] [--out STEM] [--quick]", { sizes = "24x96,48x192" })
local sizes = {}
for r, c in o.sizes:gmatch("(%d+)x(%d+)") do sizes[#sizes + 1] = { tonumber(r), tonumber(c) } end
assert(#sizes > 0 and o.reps >= 1, "need --sizes RxC[,RxC...] and --reps >= 1")

local schedules = { { "cubic", 5 }, { "quintic", 5 }, { "jordan", 5 }, { "you", 5 }, { "polar_express", 5 }, { "cans", 5 },
                    { "gram_ns", 5 }, { "quintic", 10 }, { "polar_express", 10 } }
-- Coefficient lists computed once: a name like "cans" would be recomputed (Remez) in every call.
local coeffs = {}
for _, sc in ipairs(schedules) do coeffs[sc[1]] = coeffs[sc[1]] or ml.coeffs(sc[1]) end
local forms = { "direct", "gram", "eig" }   -- eig: fp64/fp32 only (core/ns.c run_eig)
local precisions = { "fp64", "fp32", "bf16" }

-- Feature detection: drop (and report) what this build lacks.
local missing = {}
local function ns_accepts(opts)
  opts.coeffs, opts.steps = "quintic", 1
  return (pcall(ml.ns, ml.randn(2, 3, { seed = 1 }), opts))
end
for _, list in ipairs { { forms, "form" }, { precisions, "precision" } } do
  for i = #list[1], 1, -1 do
    if not ns_accepts { [list[2]] = list[1][i] } then
      missing[#missing + 1] = list[2] .. " = " .. list[1][i]
      table.remove(list[1], i)
    end
  end
end
local has_ws = ns_accepts { workspace = ml.ns_workspace and ml.ns_workspace() or nil } and ml.ns_workspace ~= nil
if not has_ws then missing[#missing + 1] = "ml.ns_workspace" end
local has_eig = pcall(ml.polar, ml.randn(2, 3, { seed = 1 }), { method = "eig" })
if not has_eig then missing[#missing + 1] = "ml.polar{method = \"eig\"}" end
local has_restarts = pcall(ml.ns, ml.randn(2, 3, { seed = 1 }), { form = "gram", restarts = { 3 } })
if not has_restarts then missing[#missing + 1] = "ml.ns{restarts = ...}" end
local iterative = {}
for _, name in ipairs { "qdwh", "zolo" } do
  if pcall(ml.polar, ml.randn(2, 3, { seed = 1 }), { method = name }) then iterative[#iterative + 1] = name
  else missing[#missing + 1] = ("ml.polar{method = %q}"):format(name) end
end

local methods = {}
for _, p in ipairs(precisions) do
  for _, f in ipairs(forms) do
    for _, sc in ipairs(schedules) do
      if not (f == "eig" and p == "bf16") then
        methods[#methods + 1] = { name = ("%s x%d %s %s"):format(sc[1], sc[2], f, p), kind = "ns", schedule = sc[1],
                                  steps = sc[2], form = f, precision = p }
      end
    end
  end
  if has_restarts then
    methods[#methods + 1] = { name = ("gram_ns x5 gram+rst3 %s"):format(p), kind = "ns", schedule = "gram_ns", steps = 5,
                              form = "gram", precision = p, restarts = { 3 } }
  end
end
methods[#methods + 1] = { name = "svd (LAPACK gesdd)", kind = "svd", precision = "fp64" }
if has_eig then methods[#methods + 1] = { name = "eig of the Gram matrix", kind = "eig", precision = "fp64" } end
for _, name in ipairs(iterative) do
  methods[#methods + 1] = { name = name == "qdwh" and "QDWH" or "Zolo-PD", kind = name, precision = "fp64" }
end

local PARETO_TOL = 1.25

local function median(t)
  table.sort(t)
  local n = #t
  return n % 2 == 1 and t[(n + 1) // 2] or (t[n // 2] + t[n // 2 + 1]) / 2
end

-- A closure computing method m on the inputs of one size.
-- One NS workspace per (precision, form) and size: it serves every schedule of that kind.
local function runner(m, A64, A32, workspaces)
  if m.kind == "svd" then return function() return ml.polar(A64) end end
  if m.kind == "eig" then return function() return ml.polar(A64, { method = "eig" }) end end
  if m.kind == "qdwh" or m.kind == "zolo" then return function() return ml.polar(A64, { method = m.kind, info = true }) end end
  local key = m.precision .. "/" .. m.form
  if has_ws and not workspaces[key] then workspaces[key] = ml.ns_workspace() end
  local opts = { coeffs = coeffs[m.schedule] or m.schedule, steps = m.steps, form = m.form, precision = m.precision,
                 restarts = m.restarts, workspace = workspaces[key] }
  local A = m.precision == "fp64" and A64 or A32
  return function() return ml.ns(A, opts) end
end

local rows, result, t_all = {}, {}, ml.now()
for si, sz in ipairs(sizes) do
  local A64 = ml.randn(sz[1], sz[2], { seed = o.seed + si })
  local A32 = A64:astype("float32")
  local Q = ml.polar(A64)
  local Qe = has_eig and ml.polar(A64, { method = "eig" }) or nil
  local qn = Q:norm()
  result[si] = {}
  local fs, workspaces = {}, {}
  for mi, m in ipairs(methods) do
    local f = runner(m, A64, A32, workspaces)
    local ok, X, info = pcall(f)   -- warm-up, and the output we measure; ml.ns refuses a diverged result
    if ok then
      local ref = (m.kind == "svd" and Qe) or Q
      result[si][mi] = { dist = (X:astype("float64") - ref):norm() / qn, times = {},
                         iterations = info and info.iterations or m.steps, degree = info and info.degree }
      fs[mi] = f
    else
      result[si][mi] = { time = 0 / 0, dist = 0 / 0, diverged = true }
    end
    X = nil
    collectgarbage()
  end
  -- Timed runs round-robin over the methods, so that a burst of load from elsewhere on the
  -- machine spreads over all methods instead of hitting one method's every run.
  for r = 1, o.reps do
    for mi in ipairs(methods) do
      if fs[mi] then
        collectgarbage()
        local t0 = ml.now()
        fs[mi]()
        result[si][mi].times[r] = ml.now() - t0
      end
    end
  end
  for mi in ipairs(methods) do
    if fs[mi] then result[si][mi].time = median(result[si][mi].times) end
  end
  -- Pareto front: sweep by time, keep every point clearly more accurate than all faster ones.
  local order = {}
  for mi in ipairs(methods) do
    if not result[si][mi].diverged then order[#order + 1] = mi end
  end
  table.sort(order, function(a, b)
    local ra, rb = result[si][a], result[si][b]
    if ra.time ~= rb.time then return ra.time < rb.time end
    return ra.dist < rb.dist
  end)
  local best, front = math.huge, {}
  for _, mi in ipairs(order) do
    if result[si][mi].dist * PARETO_TOL < best then
      best = result[si][mi].dist
      result[si][mi].pareto = true
      front[#front + 1] = mi
    end
  end
  result[si].front = front
  for mi, m in ipairs(methods) do
    local r = result[si][mi]
    rows[#rows + 1] = { rows = sz[1], cols = sz[2], method = m.name, kind = m.kind, schedule = m.schedule or "",
                        steps = m.steps or "", form = m.form or "", precision = m.precision, time_s = r.time,
                        polar_dist = r.dist, pareto = r.pareto and 1 or 0, iterations = r.iterations or "",
                        degree = r.degree or "" }
  end
end
local elapsed = ml.now() - t_all
csv.write(o.out .. ".csv", { "rows", "cols", "method", "kind", "schedule", "steps", "form", "precision", "time_s",
                             "polar_dist", "pareto", "iterations", "degree" }, rows)

print(("Cost vs accuracy, Gaussian matrices, seed %d, %d BLAS threads: median time of %d runs (ms) /"
  .. " ||X - UV^T||_F / ||UV^T||_F;  * = Pareto-optimal"):format(o.seed, ml.get_threads and ml.get_threads() or 0, o.reps))
local h = ("%-30s"):format("method")
for _, sz in ipairs(sizes) do h = h .. ("%22s"):format(("%dx%d"):format(sz[1], sz[2])) end
print(h)
for mi, m in ipairs(methods) do
  local line = ("%-30s"):format(m.name)
  for si in ipairs(sizes) do
    local r = result[si][mi]
    line = line .. (r.diverged and ("%22s"):format("diverged ")
                    or ("%11.2f /%8.1e%s"):format(1e3 * r.time, r.dist, r.pareto and "*" or " "))
  end
  print(line)
end
for mi, m in ipairs(methods) do
  if m.kind == "qdwh" or m.kind == "zolo" then
    local its = {}
    for si in ipairs(sizes) do
      local r = result[si][mi]
      its[si] = m.kind == "zolo" and ("%d (r = %d)"):format(r.iterations or 0, r.degree or 0) or tostring(r.iterations or 0)
    end
    print(("%s iterations per size: %s"):format(m.name, table.concat(its, ", ")))
  end
end
print(("(%d methods x %d sizes in %.1f s; data in %s.csv)"):format(#methods, #sizes, elapsed, o.out))
if #missing > 0 then print("not available in this build: " .. table.concat(missing, ", ")) end

-- Figure: one panel per size. Colour = precision, point shape = form (NS); svd and eig their
-- own markers; the Pareto front a black dashed line through its points.
local PREC_LT = { fp64 = 1, fp32 = 2, bf16 = 3 }
local FORM_PT = { direct = 7, gram = 4, eig = 6 }
local panels = {}
for si, sz in ipairs(sizes) do
  local series = {}
  for _, p in ipairs(precisions) do
    for _, f in ipairs(forms) do
      local xs, ys = {}, {}
      for mi, m in ipairs(methods) do
        if m.kind == "ns" and m.precision == p and m.form == f and not result[si][mi].diverged then
          xs[#xs + 1], ys[#ys + 1] = result[si][mi].time, math.max(result[si][mi].dist, 1e-17)
        end
      end
      if #xs > 0 then   -- (no eig form in bf16)
        series[#series + 1] = { x = xs, y = ys, with = "points", title = ("NS %s %s"):format(p, f),
                                 style = ("lt %d pt %d ps 1.4"):format(PREC_LT[p], FORM_PT[f]) }
      end
    end
  end
  local EXACT = { svd = { "SVD polar", "lt 4 pt 9 ps 2" }, eig = { "eig of Gram", "lt 5 pt 13 ps 2" },
                  qdwh = { "QDWH", "lt 6 pt 11 ps 2" }, zolo = { "Zolo-PD", "lt 7 pt 15 ps 2" } }
  for mi, m in ipairs(methods) do
    if m.kind ~= "ns" then
      series[#series + 1] = { x = { result[si][mi].time }, y = { math.max(result[si][mi].dist, 1e-17) }, with = "points",
                              title = EXACT[m.kind][1], style = EXACT[m.kind][2] }
    end
  end
  local gx, gy = {}, {}   -- the published Gram NS (restart before step 3), ringed
  for mi, m in ipairs(methods) do
    if m.restarts and not result[si][mi].diverged then gx[#gx + 1], gy[#gy + 1] = result[si][mi].time, math.max(result[si][mi].dist, 1e-17) end
  end
  if #gx > 0 then
    series[#series + 1] = { x = gx, y = gy, with = "points", title = "Gram NS (gram\\_ns, restart@3)", style = "lc rgb '#000000' pt 6 ps 2.4" }
  end
  local fx, fy = {}, {}
  for _, mi in ipairs(result[si].front) do fx[#fx + 1], fy[#fy + 1] = result[si][mi].time, math.max(result[si][mi].dist, 1e-17) end
  series[#series + 1] = { x = fx, y = fy, with = "lines", title = "Pareto front", style = "lc rgb '#000000' lw 1.5 dt 2" }
  -- whole decades around the data; the first panel gets one more on the right for the key
  local tmin, tmax = math.huge, 0
  for _, sr in ipairs(series) do
    for _, t in ipairs(sr.x) do tmin, tmax = math.min(tmin, t), math.max(tmax, t) end
  end
  local lo, hi = math.floor(math.log(tmin, 10)), math.ceil(math.log(tmax, 10))
  panels[#panels + 1] = { title = ("Gaussian %dx%d"):format(sz[1], sz[2]), series = series,
                          xrange = { 10 ^ lo, 10 ^ (hi + (si == 1 and 1 or 0)) },
                          key = si == 1 and "top right" or false }
end
local written = ml.plot {
  output = o.out .. ".png", formats = { "png", "svg" }, layout = { 1, #panels }, size = { 560 * #panels, 600 },
  xlabel = "wall time (s), median", ylabel = "||X - UV^T||_F / ||UV^T||_F", logx = true, logy = true,
  yrange = { 1e-16, 3 }, grid = true, panels = panels,
  title = "Orthogonalization: cost vs accuracy (NS: 5 steps of every schedule, 10 of quintic and Polar Express)",
}
print("figure: " .. table.concat(type(written) == "table" and written or { tostring(written) }, ", "))

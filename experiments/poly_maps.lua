-- What does each Newton-Schulz schedule do to a singular value? The composed scalar map
-- f = p_T o ... o p_1 of every schedule on [0, 1.2] (ml.poly_map: no matrices), after 5 steps
-- and after the schedule's own length, on a linear and on a logarithmic sigma axis. sigma is a
-- singular value of X_0 (after preconditioning); the iteration maps it to f(sigma), the polar
-- factor needs f = 1 on (0, 1]. Values past 1 show what an underestimated norm costs.
--   muonlab experiments/poly_maps.lua [--steps 5] [--l 1e-3] [--bins 320] [--per-bin 200]
--                                     [--out plots/poly_maps] [--quick]
-- Writes <out>.csv (schedule, steps, grid, sigma, f_min, f_max: the envelope below) and
-- <out>.png/.svg (.dat/.gp beside), prints f at chosen sigma and the worst deviation
-- max |f - 1| on [l, 1] (ml.poly_error).
-- --quick: 60 bins of 20 points, output under $TMPDIR unless --out is given. (--seed is
-- accepted for a uniform command line; nothing here is random.)
local ml = require "muonlab"
-- experiments/lib/study.lua: the scaffolding the study scripts share, found beside this script
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local study = require "study"
local csv = require "muonlab.csv"

local DEFAULT_OUT = "plots/poly_maps"
local o = study.options("poly_maps", arg, { steps = 5, l = 1e-3, bins = 320, per_bin = 200, seed = 1, out = DEFAULT_OUT, quick = false },
  "usage: muonlab experiments/poly_maps.lua [--steps N] [--l L] [--bins B] [--per-bin P] [--out STEM] [--quick]", { bins = 60, per_bin = 20 })
assert(o.steps >= 1 and o.bins >= 10 and o.per_bin >= 2 and o.l > 0 and o.l < 1,
  "need steps >= 1, bins >= 10, per-bin >= 2, 0 < l < 1")

-- Every schedule; `own` is its own length (nil: the library's default, 10 for the classical
-- polynomials, which have no natural length). The computed Polar Express schedules use the
-- preset's parameters (l = 1e-3, 8 steps) at degree 3 and 7.
local schedules = {
  { name = "cubic", coeffs = ml.coeffs("cubic") },
  { name = "quintic", coeffs = ml.coeffs("quintic") },
  { name = "septic", coeffs = ml.coeffs("septic") },
  { name = "jordan", coeffs = ml.coeffs("jordan") },
  { name = "you", coeffs = ml.coeffs("you") },
  { name = "polar_express", coeffs = ml.coeffs("polar_express") },
  { name = "cans", coeffs = ml.coeffs("cans") },
  { name = "PE deg 3", coeffs = ml.coeffs("polar_express", { l = 1e-3, degree = 3, steps = 8 }) },
  { name = "PE deg 7", coeffs = ml.coeffs("polar_express", { l = 1e-3, degree = 7, steps = 8 }) },
}

-- The composed maps have degree up to 7^8 and oscillate thousands of times on (0, 1]: no
-- sampling at screen resolution draws them faithfully. So each axis is cut into `bins` bins,
-- each bin sampled at `per_bin` points, and the figure draws the envelope (min and max of f in
-- the bin): one line where f is smooth, two lines bounding the ripple where it oscillates.
local function bins_of(lo, hi, log)
  local edges = {}
  for i = 0, o.bins do
    local t = i / o.bins
    edges[i + 1] = log and 10 ^ (math.log(lo, 10) + t * (math.log(hi, 10) - math.log(lo, 10))) or lo + t * (hi - lo)
  end
  local xs, centres = {}, {}
  for b = 1, o.bins do
    local a, c = edges[b], edges[b + 1]
    for k = 0, o.per_bin - 1 do xs[#xs + 1] = a + (c - a) * k / (o.per_bin - 1) end
    centres[b] = log and math.sqrt(a * c) or (a + c) / 2
  end
  return xs, centres
end
local BIG = 1e3   -- blow-up beyond 1: clamp (and inf - inf = NaN) so the line leaves the frame
local grids = {}
grids.lin = { bins_of(0, 1.2, false) }
grids.log = { bins_of(1e-5, 1.2, true) }

local function envelope(f)
  local lo, hi = {}, {}
  for b = 1, o.bins do
    local mn, mx = math.huge, -math.huge
    for k = (b - 1) * o.per_bin + 1, b * o.per_bin do
      local v = f[k]
      if v ~= v or v > BIG then v = BIG elseif v < -BIG then v = -BIG end
      if v < mn then mn = v end
      if v > mx then mx = v end
    end
    lo[b], hi[b] = mn, mx
  end
  return lo, hi
end

local probes = { 1e-4, 1e-3, 1e-2, 0.1, 0.5, 1, 1.1, 1.2 }
local rows, maps = {}, {}
for _, s in ipairs(schedules) do
  maps[s.name] = {}
  for _, T in ipairs { o.steps, #s.coeffs } do
    if not maps[s.name][T] then
      local m = { probe = ml.poly_map(s.coeffs, probes, { steps = T }), err = ml.poly_error(s.coeffs, o.l, 1, { steps = T }) }
      for _, g in ipairs { "lin", "log" } do
        local lo, hi = envelope(ml.poly_map(s.coeffs, grids[g][1], { steps = T }))
        m[g] = { lo = lo, hi = hi }
        for b, x in ipairs(grids[g][2]) do
          rows[#rows + 1] = { schedule = s.name, steps = T, grid = g, sigma = x, f_min = lo[b], f_max = hi[b] }
        end
      end
      maps[s.name][T] = m
    end
  end
end
csv.write(o.out .. ".csv", { "schedule", "steps", "grid", "sigma", "f_min", "f_max" }, rows)

print(("Composed NS maps f(sigma) and max |f - 1| on [%g, 1]"):format(o.l))
local head = ("%-14s %5s"):format("schedule", "steps")
for _, x in ipairs(probes) do head = head .. ("%10s"):format(("f(%g)"):format(x)) end
print(head .. ("%11s"):format("max|f-1|"))
for _, s in ipairs(schedules) do
  local Ts = { o.steps }
  if #s.coeffs ~= o.steps then Ts[2] = #s.coeffs end
  for _, T in ipairs(Ts) do
    local m = maps[s.name][T]
    local line = ("%-14s %5d"):format(s.name, T)
    for _, v in ipairs(m.probe) do line = line .. (math.abs(v) < 1e4 and ("%10.4f"):format(v) or ("%10s"):format("blow-up")) end
    print(line .. ("%11.2e"):format(m.err))
  end
end

-- Figure: rows = 5 steps / own length, columns = linear / log sigma. One colour per schedule
-- in every panel; one key, where the own-length linear panel is empty (below jordan's 0.68).
local function series(T_of, grid)
  local out = {}
  for k, s in ipairs(schedules) do
    local m = maps[s.name][T_of(s)][grid]
    local lt = ("lt %d"):format(k)   -- 1..8 solid, 9 dashed: the same colour for both envelope lines
    out[#out + 1] = { x = grids[grid][2], y = m.hi, with = "lines", title = s.name, style = lt }
    out[#out + 1] = { x = grids[grid][2], y = m.lo, with = "lines", style = lt }
  end
  out[#out + 1] = { x = { 1e-5, 1.2 }, y = { 1, 1 }, with = "lines", style = "lc rgb '#888888' lw 1 dt 2" }
  return out
end
local own = function(s) return #s.coeffs end
local five = function() return o.steps end
local written = ml.plot {
  output = o.out .. ".png", formats = { "png", "svg" }, layout = { 2, 2 }, size = { 1500, 1150 }, grid = true,
  ylabel = "f(sigma)  (min and max per pixel column)", yrange = { 0, 1.4 }, key = false,
  panels = {
    { title = ("%d steps, linear sigma"):format(o.steps), xlabel = "sigma", xrange = { 0, 1.2 },
      series = series(five, "lin") },
    { title = ("%d steps, log sigma"):format(o.steps), xlabel = "sigma", logx = true, xrange = { 1e-5, 1.2 },
      series = series(five, "log") },
    { title = "own length (cubic, quintic, septic 10; jordan 5; you 6; the rest 8), linear sigma", xlabel = "sigma",
      xrange = { 0, 1.2 }, series = series(own, "lin"), key = "bottom center maxrows 5 width 2" },
    { title = "own length, log sigma", xlabel = "sigma", logx = true, xrange = { 1e-5, 1.2 },
      series = series(own, "log") },
  },
}
print("figure: " .. table.concat(type(written) == "table" and written or { tostring(written) }, ", "))

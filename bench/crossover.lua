-- Crossover table of the Newton-Schulz forms (issue 14): 5 Jordan steps on m x n Gaussian
-- matrices, forms direct, gram and eig, each with its own workspace; prints per case the times
-- (median of --reps calls, the forms interleaved call by call), the fastest form and what
-- form = "auto" picks (core/ns.c ml_ns_form_auto), with the machine's load average beside it.
--   muonlab bench/crossover.lua [--reps 7] [--threads T] [--dtypes float32,float64] [--max 2048]
-- Use it to re-derive the rule in ml_ns_form_auto on another machine; run it when the machine
-- is otherwise idle (the load is printed so that a noisy table shows as such).
local ml = require "muonlab"
local cli = require "muonlab.cli"

local o = cli.parse(arg, { reps = 7, threads = 0, dtypes = "float32,float64", max = 2048, aspects = "1,2,4" },
  "usage: muonlab bench/crossover.lua [--reps N] [--threads T] [--dtypes LIST] [--max M] [--aspects LIST]")
if o.threads > 0 then ml.set_threads(math.tointeger(o.threads)) end

local function loadavg()
  local f = io.open("/proc/loadavg")
  local s = f and f:read("l") or "?"
  if f then f:close() end
  return s:match("^(%S+)") or "?"
end

local FORMS = { "direct", "gram", "eig" }
print(("# NS forms crossover: 5 Jordan steps, %d BLAS threads, median of %d, load average %s at start")
  :format(ml.get_threads(), o.reps, loadavg()))
print("| dtype | m x n | direct ms | gram ms | eig ms | fastest | auto picks | auto / fastest |")
print("|---|---|--:|--:|--:|---|---|--:|")
for dt in o.dtypes:gmatch("[^,]+") do
  for _, m in ipairs { 16, 32, 64, 128, 256, 512, 1024, 2048 } do
    for a in tostring(o.aspects):gmatch("[^,]+") do
      local n = m * tonumber(a)
      if m <= o.max and n <= 2 * o.max then
        local G = ml.randn(m, n, { seed = 1, dtype = dt })
        local plans, outs, times = {}, {}, {}
        for _, f in ipairs(FORMS) do
          plans[f] = ml.ns_plan { form = f }
          outs[f] = ml.zeros(m, n, { dtype = dt })
          plans[f]:run(outs[f], G)   -- warm-up, workspace
          times[f] = {}
        end
        local auto = ml.ns_plan { form = "auto" }
        local out_a = ml.zeros(m, n, { dtype = dt })
        auto:run(out_a, G)
        local picked = auto:last_form()
        local inner = math.max(1, math.floor(2e7 / (m * m * n)))   -- small cases: several calls per timing
        for r = 1, o.reps do
          for k = 0, #FORMS - 1 do
            local f = FORMS[(r + k) % #FORMS + 1]
            local t0 = ml.now()
            for _ = 1, inner do plans[f]:run(outs[f], G) end
            times[f][#times[f] + 1] = (ml.now() - t0) / inner
          end
        end
        local med, best = {}, nil
        for _, f in ipairs(FORMS) do
          table.sort(times[f])
          med[f] = times[f][(#times[f] + 1) // 2] * 1e3
          if not best or med[f] < med[best] then best = f end
        end
        print(("| %s | %dx%d | %.3f | %.3f | %.3f | %s | %s | %.2f |"):format(dt, m, n, med.direct, med.gram, med.eig,
          best, picked, med[picked] / med[best]))
        io.stdout:flush()
      end
    end
  end
end
print(("load average %s at the end"):format(loadavg()))

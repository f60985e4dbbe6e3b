-- Learning-rate transfer across width on the GPT (L = 2, T = 64, B = 32, head size 32 so H = C/32,
-- float32) on fortunes: final validation loss vs learning rate at widths C ∈ {64, 128, 256} for
-- AdamW and for Muon with scale "sqrt_ratio" (KellerJordan: √max(1, rows/cols)) and "moonlight"
-- (0.2·√max(rows, cols), AdamW-sized rates). Does the best rate move with width?
-- Muon runs on the weight matrices; AdamW (lr 3e-3, the same at every width) on the rest.
--   muonlab experiments/gpt_lr_transfer.lua [--quick] [--steps 500] [--batch 32] [--widths 64,128,256] [--seeds 1]
--       [--seed 1] [--out plots/gpt_lr_transfer] [--fresh]
-- The committed plots/gpt_lr_transfer.* is the full run: --steps 500 --batch 32 (1 seed; 45 runs, 72 min on one thread).
-- Runs through ml.sweep (one row per run; a rerun resumes; --shard K/N splits the grid).
-- --quick: 8 steps at widths 16 and 32 with 2 rates, into $TMPDIR.
local ml = require "muonlab"
local csv = require "muonlab.csv"
local progress = require "muonlab.progress"
-- experiments/lib/study.lua: the scaffolding the study scripts share, found beside this script
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local study = require "study"

local o = study.options("gpt_lr_transfer", arg, {
  quick = false, seed = 1, seeds = 1, steps = 500, batch = 32, widths = "64,128,256", out = "plots/gpt_lr_transfer", runs = "",
  fresh = false, resume = false, threads = 1,
}, "usage: muonlab experiments/gpt_lr_transfer.lua [--quick] [--steps N] [--batch B] [--widths a,b,c] [--seeds N]\n"
  .. "       [--seed S] [--out STEM] [--runs STEM] [--threads N] [--fresh] [--resume]")

local Q = o.quick
local STEPS = Q and 8 or math.tointeger(o.steps)
local WIDTHS = {}
for _, w in ipairs(Q and { "16", "32" } or study.list(o.widths)) do WIDTHS[#WIDTHS + 1] = math.tointeger(tonumber(w)) end
local HS = Q and 8 or 32   -- head size; H = C / HS
local LAYERS = Q and 1 or 2
local BATCH = Q and 8 or math.tointeger(o.batch)

local OPTS = {
  { "adamw", "AdamW", { 3e-4, 1e-3, 3e-3, 1e-2, 3e-2 }, function(lr) return ml.optim.adamw { lr = lr, weight_decay = 0 } end },
  { "muon_sqrt_ratio", "Muon, scale sqrt_ratio", { 3e-3, 0.01, 0.03, 0.1, 0.3 },
    function(lr, info) return study.hybrid(ml.optim.muon { lr = lr, scale = "sqrt_ratio" }, info, 3e-3) end },
  { "muon_moonlight", "Muon, scale moonlight", { 3e-4, 1e-3, 3e-3, 1e-2, 3e-2 },
    function(lr, info) return study.hybrid(ml.optim.muon { lr = lr, scale = "moonlight" }, info, 3e-3) end },
}
local BY = {}
for _, x in ipairs(OPTS) do BY[x[1]] = x end
local function grid(name) local g = BY[name][3] return Q and { g[2], g[4] } or g end

local prog
local function train(name, width, lr, seed)
  local P = study.gpt_problem(Q and { embed = width, heads = width // HS, layers = LAYERS, context = 16, batch = 8, eval_batches = 2 }
    or { embed = width, heads = width // HS, batch = BATCH })(seed)
  local m = P.model
  local params = m:params()
  local opt = BY[name][4](lr, m:param_info())
  local m0 = P.metric()
  for s = 1, STEPS do
    local loss, grads = P.step()
    if not study.finite(loss) or loss > 3 * m0 then
      prog:step(STEPS - s + 1)
      return { diverged_at = s }
    end
    opt:step(params, grads, loss)
    prog:step(1, loss, ("%s C=%d lr=%g"):format(name, width, lr))
  end
  return { final = P.metric() }
end

local seeds = study.seeds(o)
local path = study.runs_path(o)
local t0 = ml.now()
local total = 0
for _, x in ipairs(OPTS) do total = total + #grid(x[1]) * #WIDTHS * #seeds * STEPS end
prog = progress.new { label = "gpt_lr_transfer", total = total }
local sweep = study.sweeper(path, { "optimizer", "width", "lr", "seed", "steps", "batch" }, o.fresh)
for _, x in ipairs(OPTS) do
  sweep({ optimizer = { x[1] }, width = WIDTHS, lr = grid(x[1]), seed = seeds, steps = { STEPS }, batch = { BATCH } },
    function(c) return train(c.optimizer, c.width, c.lr, c.seed) end)
end
prog:done()

-- mean final loss over seeds per (optimizer, width, lr)
local acc = {}
for _, r in ipairs(study.rows_of(path)) do
  if r.steps == STEPS and r.batch == BATCH then
    local k = r.optimizer .. "/" .. r.width .. "/" .. ("%.17g"):format(r.lr)
    acc[k] = acc[k] or { n = 0, sum = 0, diverged = 0 }
    if r.status == "ok" and study.finite(r.final) then acc[k].n = acc[k].n + 1; acc[k].sum = acc[k].sum + r.final
    else acc[k].diverged = acc[k].diverged + 1 end
  end
end
local out_rows, panels = {}, {}
print(("Final validation loss (nats/char) after %d steps vs learning rate, GPT L=%d head size %d, batch %d, %d seed(s); "
  .. "x = diverged; * = best rate of the width"):format(STEPS, LAYERS, HS, BATCH, #seeds))
for k, x in ipairs(OPTS) do
  print(("\n%s"):format(x[2]))
  local hdr = ("%8s"):format("lr")
  for _, w in ipairs(WIDTHS) do hdr = hdr .. ("  %10s"):format("C = " .. w) end
  print(hdr)
  local best = {}
  for _, w in ipairs(WIDTHS) do
    for _, lr in ipairs(grid(x[1])) do
      local a = acc[x[1] .. "/" .. w .. "/" .. ("%.17g"):format(lr)]
      local v = a and a.n > 0 and a.sum / a.n or 0 / 0
      if study.finite(v) and (not best[w] or v < best[w][2]) then best[w] = { lr, v } end
    end
  end
  local series = {}
  for _, lr in ipairs(grid(x[1])) do
    local line = ("%8.3g"):format(lr)
    for _, w in ipairs(WIDTHS) do
      local a = acc[x[1] .. "/" .. w .. "/" .. ("%.17g"):format(lr)]
      local v = a and a.n > 0 and a.sum / a.n or 0 / 0
      out_rows[#out_rows + 1] = { optimizer = x[1], width = w, lr = lr, loss = v, runs = a and a.n or 0,
        diverged = a and a.diverged or 0 }
      line = line .. (study.finite(v) and ("  %9.4f%s"):format(v, best[w] and best[w][1] == lr and "*" or " ")
        or ("  %10s"):format(a and "x" or "-"))
    end
    print(line)
  end
  for j, w in ipairs(WIDTHS) do
    local xs, ys = {}, {}
    for _, lr in ipairs(grid(x[1])) do
      local a = acc[x[1] .. "/" .. w .. "/" .. ("%.17g"):format(lr)]
      if a and a.n > 0 then xs[#xs + 1], ys[#ys + 1] = lr, a.sum / a.n end
    end
    if #xs > 0 then series[#series + 1] = { x = xs, y = ys, title = "C = " .. w, with = "linespoints", style = "lt " .. j } end
  end
  panels[k] = { title = x[2], xlabel = "learning rate", ylabel = "final validation loss (nats/char)", logx = true,
    series = series, key = k == #OPTS and "outside right top" or false }
end
csv.write(o.out .. ".csv", { "optimizer", "width", "lr", "loss", "runs", "diverged" }, out_rows)
print(("\n(%.1f s; runs in %s)"):format(ml.now() - t0, path))
study.figure {
  output = o.out .. ".png", formats = { "png", "svg" }, layout = { 1, #OPTS }, size = { 1600, 480 },
  title = ("Learning-rate transfer across width: GPT L=%d, head size %d, batch %d, %d steps"):format(LAYERS, HS, BATCH, STEPS),
  panels = panels,
}

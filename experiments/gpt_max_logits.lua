-- The largest attention logit per layer over training (the Kimi K2 figure, arXiv 2507.20534):
-- AdamW, Muon, and Muon with QK-Clip on the small GPT (L = 2, C = 128, H = 4, T = 64, B = 32,
-- float32) on fortunes. In a setting where Muon's logits do grow: Muon at lr 0.1 (5x
-- KellerJordan's 0.02; a pilot at 150 steps: max logits 500 vs 8 at lr 0.02), AdamW at 3e-3, and
-- QK-Clip at τ = 30 (smaller than Kimi's 100, so that it acts within a short run).
-- Plotted: max over heads of model:max_logits() (the training batch's forward, before the step),
-- every --every steps, mean and min..max over seeds; the table adds the final validation loss and
-- the heads clipped.
--   muonlab experiments/gpt_max_logits.lua [--quick] [--steps 500] [--seeds 1] [--seed 1]
--       [--muon_lr 0.1] [--adamw_lr 3e-3] [--tau 30] [--every 10] [--out plots/gpt_max_logits] [--fresh]
-- The committed plots/gpt_max_logits.* is the full run with 3 seeds: --steps 500 --seeds 3.
-- Runs go through ml.sweep (one row per run, curves packed; a rerun resumes).
-- --quick: 12 steps of a GPT with C = 32 into $TMPDIR.
local ml = require "muonlab"
local csv = require "muonlab.csv"
local progress = require "muonlab.progress"
-- experiments/lib/study.lua: the scaffolding the study scripts share, found beside this script
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local study = require "study"

local o = study.options("gpt_max_logits", arg, {
  quick = false, seed = 1, seeds = 1, steps = 500, every = 10, muon_lr = 0.1, adamw_lr = 3e-3, tau = 30,
  embed = 128, layers = 2, out = "plots/gpt_max_logits", runs = "", fresh = false, resume = false, threads = 1,
}, "usage: muonlab experiments/gpt_max_logits.lua [--quick] [--steps N] [--seeds N] [--seed S] [--muon_lr x]\n"
  .. "       [--adamw_lr x] [--tau t] [--every k] [--embed C] [--layers L] [--out STEM] [--runs STEM] [--threads N] [--fresh]")

local Q = o.quick
local STEPS = Q and 12 or math.tointeger(o.steps)
local EVERY = Q and 3 or math.tointeger(o.every)
local CFG = Q and { embed = 32, layers = 2, heads = 2, context = 16, batch = 8, eval_batches = 2 }
  or { embed = math.tointeger(o.embed), layers = math.tointeger(o.layers) }
local L = CFG.layers
local make = study.gpt_problem(CFG)

local OPTS = {
  { "adamw", ("AdamW lr %g"):format(o.adamw_lr),
    function() return ml.optim.adamw { lr = o.adamw_lr, weight_decay = 0 } end },
  { "muon", ("Muon lr %g (+AdamW)"):format(o.muon_lr),
    function(info) return study.hybrid(ml.optim.muon { lr = o.muon_lr }, info, 3e-3) end },
  { "muon_qkclip", ("Muon lr %g + QK-Clip tau %g"):format(o.muon_lr, o.tau),
    function(info, m) return study.hybrid(ml.optim.muon { lr = o.muon_lr, qk_clip = o.tau, model = m }, info, 3e-3) end },
}
local BY = {}
for _, x in ipairs(OPTS) do BY[x[1]] = x end

local prog
local function train(name, seed)
  local P = make(seed)
  local m = P.model
  local params = m:params()
  local opt = BY[name][3](m:param_info(), m)
  local S = ml.zeros(L, CFG.heads or 4)
  local curve = {}
  for s = 1, STEPS do
    local loss, grads = P.step()
    if not study.finite(loss) then prog:step(STEPS - s + 1) return { diverged_at = s, curve = study.pack(curve, "%d" .. ("|%.5g"):rep(L)) } end
    if s % EVERY == 0 or s == 1 then
      m:max_logits(S)
      local pt = { s }
      for l = 1, L do
        local best = -math.huge
        for h = 1, S:cols() do best = math.max(best, S:get(l, h)) end
        pt[l + 1] = best
      end
      curve[#curve + 1] = pt
    end
    opt:step(params, grads, loss)
    prog:step(1, loss, name)
  end
  local clipped = 0
  if name == "muon_qkclip" then clipped = opt.groups[1].opt:state_dict().global.clipped_heads or 0 end
  local fmt = "%d" .. (":%.5g"):rep(L)
  return { final = P.metric(), clipped = clipped, curve = study.pack(curve, fmt) }
end

local seeds = study.seeds(o)
local path = study.runs_path(o)
local names = {}
for _, x in ipairs(OPTS) do names[#names + 1] = x[1] end
local t0 = ml.now()
prog = progress.new { label = "gpt_max_logits", total = #names * #seeds * STEPS }
study.sweeper(path, { "optimizer", "seed", "steps", "embed", "lr", "tau" }, o.fresh)(
  { optimizer = names, seed = seeds, steps = { STEPS }, embed = { CFG.embed }, lr = { o.muon_lr }, tau = { o.tau } },
  function(c) return train(c.optimizer, c.seed) end)
prog:done()

local rows = {}
for _, r in ipairs(study.rows_of(path)) do
  if r.steps == STEPS and r.embed == CFG.embed and r.lr == o.muon_lr and r.tau == o.tau then rows[#rows + 1] = r end
end
print(("Largest attention logit (max over heads) on the GPT L=%d C=%d, %d steps, %d seed(s)"):format(L, CFG.embed, STEPS, #seeds))
local hdr = ("%-34s"):format("optimizer")
for l = 1, L do hdr = hdr .. ("  %13s"):format("layer " .. l .. " peak") end
print(hdr .. ("  %13s %10s %8s"):format("layer 1 final", "val loss", "clipped"))
local out_rows, panels = {}, {}
local series = {}
for l = 1, L do series[l] = {} end
for k, x in ipairs(OPTS) do
  local curves, finals, clips = {}, {}, {}
  for _, r in ipairs(rows) do
    if r.optimizer == x[1] then
      local c = study.unpack_curve(r.curve)
      curves[#curves + 1] = c
      if r.status == "ok" then finals[#finals + 1] = r.final; clips[#clips + 1] = r.clipped end
      for _, pt in ipairs(c) do
        local row = { optimizer = x[1], seed = r.seed, step = pt[1] }
        for l = 1, L do row["layer" .. l] = pt[l + 1] end
        out_rows[#out_rows + 1] = row
      end
    end
  end
  if #curves > 0 then
    local line = ("%-34s"):format(x[2])
    for l = 1, L do
      local peak = -math.huge
      for _, c in ipairs(curves) do for _, pt in ipairs(c) do peak = math.max(peak, pt[l + 1]) end end
      line = line .. ("  %13.2f"):format(peak)
      local xs, ys, lo, hi = study.band(curves, l + 1)
      study.band_series(series[l], xs, ys, lo, hi, x[2], k)
    end
    local lasts = {}   -- layer 1's last logit of each seed
    for _, c in ipairs(curves) do if #c > 0 then lasts[#lasts + 1] = c[#c][2] end end
    print(line .. ("  %13.2f %10.4f %8s"):format((study.stats(lasts)), (study.stats(finals)),
      x[1] == "muon_qkclip" and ("%.0f"):format((study.stats(clips))) or "-"))
  end
end
local cols = { "optimizer", "seed", "step" }
for l = 1, L do cols[#cols + 1] = "layer" .. l end
csv.write(o.out .. ".csv", cols, out_rows)
print(("\n(%.1f s; runs in %s; peaks: max over seeds; layer 1 final, val loss and clipped (head-steps clipped over the"
  .. " run): mean over seeds)"):format(ml.now() - t0, path))
for l = 1, L do
  table.insert(series[l], { x = { 1, STEPS }, y = { o.tau, o.tau }, title = ("tau = %g"):format(o.tau), style = "dt 2 lc rgb 'gray40'" })
  panels[l] = { title = ("layer %d"):format(l), xlabel = "step", ylabel = "max attention logit", logy = true,
    series = series[l], key = l == L and "outside right top" or false }
end
study.figure {
  output = o.out .. ".png", formats = { "png", "svg" }, layout = { 1, L }, size = { 700 * L + 200, 480 },
  title = ("Largest pre-softmax attention logit per layer, GPT C=%d, %d steps (%d seed(s))"):format(CFG.embed, STEPS, #seeds),
  panels = panels,
}

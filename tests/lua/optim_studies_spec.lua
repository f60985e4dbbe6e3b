-- Smoke tests of the issue-5 optimizer studies (experiments/convergence.lua, trasmuon_ablation.lua,
-- lr_sensitivity.lua, spectral_family.lua) and of muonlab.progress. Each study runs with --quick
-- in a child host (as `make figures QUICK=1` does) into a temp dir (--out, and so its sweep rows
-- beside it); we check the exit status, the printed table, the CSV's columns and row count
-- (derived from the quick grid, stated beside each count), that every row finished or is marked
-- diverged, and the PNG and SVG. A rerun must resume: nothing left to run, the same CSV.
-- About 10 s of CPU on the release build.
local csv = require "muonlab.csv"
local progress = require "muonlab.progress"

local H = dofile("tests/lua/study_helper.lua")
local HOST, sh, slurp, count = H.HOST, H.sh, H.slurp, H.count
local tmp = H.tempdir(setup, teardown)

-- Run a study with --quick into dir (progress silenced); returns its output and CSV.
local function study(name, extra)
  local stem = tmp() .. "/" .. name
  local rc, out = sh(("ML_PROGRESS=0 %s experiments/%s.lua --quick --out '%s' %s"):format(HOST, name, stem, extra or ""))
  assert(rc == 0, ("%s exited with %s:\n%s"):format(name, tostring(rc), out))
  assert.are.equal("\137PNG\r\n\26\n", (slurp(stem .. ".png") or ""):sub(1, 8))
  assert.truthy((slurp(stem .. ".svg") or ""):find("<svg", 1, true), name .. ": no SVG")
  local cols, rows = csv.read(stem .. ".csv")
  for _, r in ipairs(rows) do
    assert.truthy(r.status == "ok" or r.status == "diverged", name .. ": a run ended with status " .. tostring(r.status))
  end
  return out, cols, rows, stem
end

describe("optimizer studies (--quick)", function()
  it("convergence: every optimizer on the four problems, best rate, 2 seeds, curves", function()
    local out, cols, rows = study("convergence")
    assert.are.same({ "problem", "optimizer", "lr", "seed", "step", "time", "loss", "status" }, cols)
    -- 4 problems x 12 optimizers x 2 seeds (quick) x 5 curve points (steps 0, 5, 10, 15, 20),
    -- less the points a diverged run did not reach
    local runs = {}
    for _, r in ipairs(rows) do runs[r.problem .. "/" .. r.optimizer .. "/" .. r.seed] = true end
    local n = 0
    for _ in pairs(runs) do n = n + 1 end
    assert.are.equal(4 * 12 * 2, n)
    assert.are.equal(4 * 12 * 2 * 5, #rows)
    for _, p in ipairs { "least_squares", "lowrank", "mlp", "char_lm" } do
      assert.is_true(count(rows, function(r) return r.problem == p end) > 0, p)
    end
    -- time grows along a curve; losses are numbers
    for i = 2, #rows do
      local a, b = rows[i - 1], rows[i]
      if a.problem == b.problem and a.optimizer == b.optimizer and a.seed == b.seed then
        assert.is_true(b.step > a.step and b.time >= a.time)
      end
    end
    assert.truthy(out:find("Muon-Momo", 1, true))
    assert.truthy(out:find("least squares", 1, true) and out:find("test acc", 1, true))
  end)

  it("trasmuon_ablation: switches, alpha and c_min sweeps, clean and with outliers; resumes", function()
    local out, cols, rows, stem = study("trasmuon_ablation")
    assert.are.same({ "variant", "sweep", "value", "outliers", "seed", "final_loss", "worst_loss", "test_acc", "spikes",
      "status" }, cols)
    -- quick: 6 switch variants + 2 alphas + 2 c_mins = 10 variants, x 2 (clean, outliers) x 2 seeds
    assert.are.equal(10 * 2 * 2, #rows)
    -- outliers were injected in the outlier runs only (10% of 20 steps: some, with these seeds)
    assert.are.equal(0, count(rows, function(r) return r.outliers == 0 and r.spikes > 0 end))
    assert.is_true(count(rows, function(r) return r.outliers == 1 and r.spikes > 0 end) > 0)
    -- momentum normalisation does not change the NS input's direction: the same runs up to rounding
    local full, nomn = {}, {}
    for _, r in ipairs(rows) do
      if r.variant == "full" then full[r.outliers .. "/" .. r.seed] = r.final_loss end
      if r.variant == "no_momentum_norm" then nomn[r.outliers .. "/" .. r.seed] = r.final_loss end
    end
    for k, v in pairs(full) do assert.is_true(math.abs(v - nomn[k]) <= 1e-3 * math.abs(v), k) end
    assert.truthy(out:find("no energy damping", 1, true))
    -- a rerun finds every run in its sweep file and writes the same CSV
    local before = slurp(stem .. ".csv")
    local rc, out2 = sh(("%s experiments/trasmuon_ablation.lua --quick --resume --out '%s'"):format(HOST, stem))
    assert.are.equal(0, rc, out2)
    assert.truthy(out2:find("trasmuon_ablation: 0 steps", 1, true), out2)
    assert.are.equal(before, slurp(stem .. ".csv"))
  end)

  it("lr_sensitivity: 5 optimizers x 4 rates x 2 problems x 2 seeds, diverged runs kept", function()
    local out, cols, rows = study("lr_sensitivity")
    assert.are.same({ "problem", "optimizer", "lr", "seed", "final_loss", "initial_loss", "status", "diverged_at" }, cols)
    assert.are.equal(5 * 4 * 2 * 2, #rows)
    -- Training trains: for every problem x optimizer x seed the best rate of the grid ends below
    -- 0.9 x the initial loss (measured at --quick: 0.27 .. 0.83). Diverged runs are kept: AdamW
    -- at lr = 1 on the MLP diverges (NaN at step 2 with these seeds), with the step it stopped at.
    local best, diverged = {}, 0
    for _, r in ipairs(rows) do
      local k = r.problem .. "/" .. r.optimizer .. "/" .. r.seed
      best[k] = best[k] or math.huge
      if r.status == "ok" then
        assert.is_true(r.final_loss == r.final_loss and r.initial_loss > 0, k)
        best[k] = math.min(best[k], r.final_loss / r.initial_loss)
      else
        assert.are.equal("diverged", r.status)
        assert.is_true(math.type(r.diverged_at) == "integer" and r.diverged_at >= 1 and r.diverged_at <= 20, k)
        diverged = diverged + 1
      end
    end
    for k, v in pairs(best) do assert.is_true(v < 0.9, ("%s: best final/initial loss %.3g"):format(k, v)) end
    assert.is_true(diverged >= 2, "the diverged AdamW runs (lr = 1, MLP) are missing")
    assert.truthy(out:find("MuonMax-Momo", 1, true) and out:find("near-best", 1, true))
  end)

  it("spectral_family: p in {0, 1/4, 1/2, 1} x {momentum, adam} x 2 problems x 2 seeds", function()
    local out, cols, rows = study("spectral_family")
    assert.are.same({ "problem", "base", "p", "lr", "seed", "final_loss", "status", "lr_grid_diverged" }, cols)
    assert.are.equal(2 * 4 * 2 * 2, #rows)
    for _, p in ipairs { 0, 0.25, 0.5, 1 } do
      assert.are.equal(8, count(rows, function(r) return r.p == p end))
    end
    assert.truthy(out:find("RMS-normalised (Adam)", 1, true))
  end)
end)

describe("muonlab.progress", function()
  -- a fake clock and stream: what is printed, and when
  local function fake(opts)
    local now, lines = 0, {}
    local stream = { write = function(self, ...) for _, s in ipairs { ... } do lines[#lines + 1] = s end end,
      flush = function() end }
    opts.clock, opts.stream, opts.tty = function() return now end, stream, false
    local p = progress.new(opts)
    return p, function(t) now = t end, function() return table.concat(lines) end
  end

  it("prints at most every interval, with the rate and the time left", function()
    local p, at, text = fake { label = "t", total = 100, interval = 0.5 }
    at(0.1); p:step(1, 2.5, "run a")   -- first update prints
    at(0.2); p:step(1, 2.4)            -- too soon
    at(0.3); p:step(8, 2.3)
    local s = text()
    local n = select(2, s:gsub("\n", ""))
    assert.are.equal(1, n)
    at(1.0); p:step(10, 2.0)           -- 20 done in 1 s: 20 steps/s, 80 left: 0:04
    s = text()
    assert.truthy(s:find("t: 20/100 (20%) run a loss 2 | 20 steps/s | 0:04 left | 0:01 elapsed", 1, true), s)
    p:done()
    assert.truthy(text():find("t: 20 steps in 0:01\n", 1, true))
  end)

  it("formats hours and is silent with interval 0", function()
    assert.are.equal("1:01:01", progress.clock_text(3661))
    assert.are.equal("0:59", progress.clock_text(59.4))
    local p, at, text = fake { label = "q", total = 10, interval = 0 }
    at(5); p:step(1, 1); p:done()
    assert.are.equal("", text())
  end)
end)

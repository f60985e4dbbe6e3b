-- Smoke tests of experiments/inexact_muon.lua, linear_icl.lua, ef21_compression.lua and
-- family_round_two.lua (--quick, in a child
-- host into a temp dir, as `make figures QUICK=1` does): exit status, the printed table, the CSV's
-- columns and row counts (from the quick grids, stated beside each count), the figures.
local csv = require "muonlab.csv"

local H = dofile("tests/lua/study_helper.lua")
local HOST, sh, slurp = H.HOST, H.sh, H.slurp
local tmp = H.tempdir(setup, teardown)

local function study(name, extra)
  local stem = tmp() .. "/" .. name
  local rc, out = sh(("ML_PROGRESS=0 %s experiments/%s.lua --quick --out '%s' %s"):format(HOST, name, stem, extra or ""))
  assert(rc == 0, ("%s exited with %s:\n%s"):format(name, tostring(rc), out))
  assert.are.equal("\137PNG\r\n\26\n", (slurp(stem .. ".png") or ""):sub(1, 8))
  assert.truthy((slurp(stem .. ".svg") or ""):find("<svg", 1, true), name .. ": no SVG")
  local cols, rows = csv.read(stem .. ".csv")
  return out, cols, rows
end

describe("orthogonalization studies (--quick)", function()
  it("inexact_muon: error, best lr and beta per orthogonalizer", function()
    local out, cols, rows = study("inexact_muon")
    assert.are.same({ "orth", "schedule", "steps", "orth_error", "best_loss", "best_lr", "best_beta", "near_lr",
      "near_beta", "near_eff", "near_points" }, cols)
    -- quick: polar_express x1, x5 and the exact polar factor
    assert.are.equal(3, #rows)
    local err = {}
    for _, r in ipairs(rows) do
      err[r.orth] = r.orth_error
      assert.is_true(r.best_lr == 0.005 or r.best_lr == 0.02)
      assert.is_true(r.best_beta == 0.8 or r.best_beta == 0.95)
    end
    -- more NS steps, closer to the polar factor; the exact one at fp32 rounding
    assert.is_true(err["polar_express x1"] > err["polar_express x5"] and err["polar_express x5"] > err["exact polar"])
    assert.is_true(err["exact polar"] < 1e-4)
    assert.truthy(out:find("rank correlation", 1, true) and out:find("the claim", 1, true))
  end)

  it("linear_icl: steps to tolerance per problem, method and condition number", function()
    local out, cols, rows = study("linear_icl")
    assert.are.same({ "problem", "method", "cond", "best_lr", "steps", "reached", "final" }, cols)
    -- at most 2 problems x 5 methods x 2 conds (a cell whose every rate diverged has no row)
    assert.is_true(#rows >= 10 and #rows <= 20)
    for _, r in ipairs(rows) do assert.is_true(r.steps >= 1 and r.steps <= 100) end
    assert.truthy(out:find("matrix factorisation", 1, true) and out:find("Adam", 1, true))
  end)

  it("ef21_compression: loss vs bits per compressor, fewer bits than uncompressed", function()
    local out, cols, rows = study("ef21_compression")
    assert.are.same({ "config", "lr", "seed", "step", "bits", "loss" }, cols)
    -- quick: 3 configurations x 2 seeds x 21 curve points (steps 0, 1, ..., 20)
    assert.are.equal(3 * 2 * 21, #rows)
    local last = {}
    for _, r in ipairs(rows) do if r.step == 20 then last[r.config] = r.bits end end
    -- 25 450 float32 parameters; 4 workers; the start round sends every worker's gradient whole (no
    -- broadcast), then each step 4 messages up and one down: uncompressed (4 + 20 x 5) x 25 450 x 32
    -- bits; top-k 10% sends ceil(0.1 m n) entries (value + index, 64 bits) per parameter and worker:
    -- W1 32 x 784, b1, W2 10 x 32, b2 give 2509 + 4 + 32 + 1 = 2546
    assert.are.equal((4 + 20 * 5) * 25450 * 32, last.none)
    assert.are.equal(4 * 25450 * 32 + 20 * (4 * 2546 * 64 + 25450 * 32), last.topk10)
    assert.is_true(last.rank1 < last.topk10)
    assert.truthy(out:find("uncompressed Muon", 1, true))
  end)

  it("family_round_two: every new optimizer beside Muon and AdamW (least squares and the GPT)", function()
    local out, cols, rows = study("family_round_two", "--problems least_squares,gpt")
    assert.are.same({ "problem", "optimizer", "lr", "seed", "step", "time", "loss", "status" }, cols)
    local seen = {}
    for _, r in ipairs(rows) do seen[r.problem .. "/" .. r.optimizer] = true end
    for _, p in ipairs { "least_squares", "gpt" } do
      for _, n in ipairs { "muon", "adamw", "torch_muon", "adamuon", "root", "auon", "kaon", "freon", "spectral_clip",
        "conda", "dion", "dion2", "muon_mvr" } do
        assert.is_true(seen[p .. "/" .. n], p .. "/" .. n)
      end
    end
    assert.truthy(out:find("Round-two family", 1, true))
  end)

  -- Not --quick (that runs no extension): 30 steps of least squares, one seed. At this length AuON's
  -- best rate lies above its base grid {0.01, 0.03, 0.1} and Freon's below {1e-3, 3e-3, 0.01}.
  it("family_round_two: extends a rate grid by half-decades while the best rate sits at an end", function()
    local stem, runs = tmp() .. "/ext", tmp() .. "/ext_runs"
    local rc, out = sh(("ML_PROGRESS=0 %s experiments/family_round_two.lua --problems least_squares --optimizers auon,freon "
      .. "--steps 30 --seeds 1 --out '%s' --runs '%s'"):format(HOST, stem, runs))
    assert(rc == 0, out)
    local _, rows = csv.read(runs .. ".csv")
    for _, case in ipairs { { "auon", { 0.01, 0.03, 0.1 } }, { "freon", { 1e-3, 3e-3, 0.01 } } } do
      local n, base = case[1], case[2]
      local lrs, best = {}, nil
      for _, r in ipairs(rows) do
        if r.optimizer == n then
          lrs[#lrs + 1] = r.lr
          if r.status == "ok" and (not best or r.final < best.final) then best = r end
        end
      end
      table.sort(lrs)
      assert.is_true(#lrs > #base, n .. ": no rate beyond the base grid")
      for _, lr in ipairs(lrs) do   -- every rate on the 1, 3, 10, 30 ... sequence
        local m = lr / 10 ^ math.floor(math.log(lr, 10) + 1e-9)
        assert.is_true(math.abs(m - 1) < 1e-6 or math.abs(m - 3) < 1e-6, n .. ": rate " .. lr)
      end
      -- the best rate now has a tried neighbour on both sides
      assert.is_true(best.lr > lrs[1] and best.lr < lrs[#lrs], n .. ": best " .. best.lr .. " still at an end")
    end
  end)
end)

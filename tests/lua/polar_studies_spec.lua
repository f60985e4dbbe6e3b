-- Smoke tests of experiments/inexact_muon.lua and experiments/linear_icl.lua (--quick, in a child
-- host into a temp dir, as `make figures QUICK=1` does): exit status, the printed table, the CSV's
-- columns and row counts (from the quick grids, stated beside each count), the figures.
local csv = require "muonlab.csv"

local H = dofile("tests/lua/study_helper.lua")
local HOST, sh, slurp = H.HOST, H.sh, H.slurp
local tmp = H.tempdir(setup, teardown)

local function study(name)
  local stem = tmp() .. "/" .. name
  local rc, out = sh(("ML_PROGRESS=0 %s experiments/%s.lua --quick --out '%s'"):format(HOST, name, stem))
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
      "near_beta", "near_points" }, cols)
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
end)

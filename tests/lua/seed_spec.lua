-- The three worked examples of seed 002 (muon_update), reproduced to 4 decimals.
local ml = require "muonlab"

local function check4(M, want, name)
  local r, c = M:shape()
  assert.are.equal(#want, r, name .. " rows")
  for i = 1, r do
    for j = 1, c do
      local got = M:get(i, j)
      -- The seed prints values rounded to 4 decimals: equal after rounding, i.e. within 5e-5.
      assert(math.abs(got - want[i][j]) <= 5e-5 + 1e-12,
        ("%s[%d][%d] = %.6f, seed says %.4f"):format(name, i, j, got, want[i][j]))
    end
  end
end

local examples = {
  {
    theta = {{1, 1, 1}, {1, 1, 1}, {1, 1, 1}}, grad = {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}},
    B_prev = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}}, mu = 0.9, lr = 0.01,
    theta_new = {{1.0041, 0.9996, 0.9951}, {0.9996, 0.998, 0.9964}, {0.9951, 0.9964, 0.9978}},
    B_new = {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}},
    O = {{-0.4144, 0.0395, 0.4933}, {0.0395, 0.1973, 0.3552}, {0.4933, 0.3552, 0.2171}},
  },
  {
    theta = {{1, 2}, {3, 4}}, grad = {{0.1, 0.2}, {0.3, 0.4}}, B_prev = {{0, 0}, {0, 0}}, mu = 0.9, lr = 0.01,
    theta_new = {{1.0036, 1.9939}, {2.9939, 3.9964}}, B_new = {{0.1, 0.2}, {0.3, 0.4}},
    O = {{-0.3638, 0.6063}, {0.6063, 0.3638}},
  },
  {
    theta = {{2, 2, 2}, {2, 2, 2}, {2, 2, 2}}, grad = {{0.5, -0.5, 0.3}, {0.2, 0.1, -0.2}, {-0.1, 0.4, 0.2}},
    B_prev = {{0.1, 0.1, 0.1}, {0.2, 0.2, 0.2}, {0.1, 0.1, 0.1}}, mu = 0.9, lr = 0.1,
    theta_new = {{1.9552, 2.0352, 1.9581}, {1.9459, 1.9633, 2.027}, {2.0083, 1.9508, 1.9499}},
    B_new = {{0.59, -0.41, 0.39}, {0.38, 0.28, -0.02}, {-0.01, 0.49, 0.29}},
    O = {{0.4479, -0.3516, 0.4192}, {0.5408, 0.3669, -0.2701}, {-0.0832, 0.4917, 0.5013}},
  },
}

describe("muon_update (seed 002)", function()
  for n, ex in ipairs(examples) do
    it("reproduces worked example " .. n .. " to 4 decimals", function()
      local th, B, O = ml.muon_update(ml.from_table(ex.theta), ml.from_table(ex.grad),
        ml.from_table(ex.B_prev), ex.mu, ex.lr)
      check4(B, ex.B_new, "B_new")
      check4(O, ex.O, "O")
      check4(th, ex.theta_new, "theta_new")
    end)
  end

  it("gives O with singular values 1/sqrt(2) by default and 1 with scale = 1", function()
    local ex = examples[3]
    local _, _, O = ml.muon_update(ml.from_table(ex.theta), ml.from_table(ex.grad), ml.from_table(ex.B_prev), ex.mu, ex.lr)
    local s = ml.singular_values(O)
    for i = 1, 3 do assert.is_true(math.abs(s:get(i, 1) - 1 / math.sqrt(2)) < 1e-14) end
    local _, _, O1 = ml.muon_update(ml.from_table(ex.theta), ml.from_table(ex.grad), ml.from_table(ex.B_prev), ex.mu,
      ex.lr, { scale = 1 })
    local f = ml.orth_error(O1)
    assert.is_true(f < 1e-14)
  end)

  it("keeps the zero singular value of the rank-2 example at 0", function()
    local ex = examples[1]
    local _, _, O = ml.muon_update(ml.from_table(ex.theta), ml.from_table(ex.grad), ml.from_table(ex.B_prev), ex.mu, ex.lr)
    local s = ml.singular_values(O)
    assert.is_true(s:get(3, 1) < 1e-14)
  end)

  it("with 5 quintic NS steps differs from the examples (their small singular value has not converged)", function()
    -- The documented discrepancy: example 2's singular values after Frobenius normalisation
    -- are ~0.998 and ~0.063; 5 quintic steps leave the small one far from converged.
    local ex = examples[2]
    local _, _, O = ml.muon_update(ml.from_table(ex.theta), ml.from_table(ex.grad), ml.from_table(ex.B_prev), ex.mu,
      ex.lr, { method = "ns" })
    local s = ml.singular_values(O)
    assert.is_true(math.abs(s:get(2, 1) - 1 / math.sqrt(2)) > 1e-2)
  end)

  it("rejects bad arguments with errors naming muon_update", function()
    local A = ml.eye(2)
    assert.has_error(function() ml.muon_update(A, ml.eye(3), A, 0.9, 0.1) end)
    local ok, err = pcall(ml.muon_update, A, "x", A, 0.9, 0.1)
    assert.is_false(ok)
    assert.matches("muon_update", err)
    ok, err = pcall(ml.muon_update, A, A, A, 0.9, 0.1, { scal = 1 })
    assert.matches("unknown option 'scal'", err)
  end)
end)

-- ml.models.linear_attention (in-context linear regression, lua/muonlab/models/linear_attention.lua):
-- the batched forward against a per-sequence transcription of the header's formula, the gradients
-- against central finite differences, and the reference predictor represented exactly.
local ml = require "muonlab"

describe("models.linear_attention", function()
  local m = ml.models.linear_attention { d = 3, context = 5, sequences = 7, cond = 10, seed = 2 }
  local D = 4

  it("forward: yhat_s = e_D^T W_PV H_s W_KQ z_q,s, per sequence", function()
    -- H_s and z_q,s are read back from the model's stacked data; the prediction is recomputed with
    -- plain matrix products, one sequence at a time (rounding differs: 1e-13 relative)
    local want = 0
    for s = 1, 7 do
      local H = m.Hs:view((s - 1) * D + 1, 1, D, D)
      local z = m.Zq:view(s, 1, 1, D):t()
      local yhat = ml.matmul(ml.matmul(m.W_PV, ml.matmul(H, m.W_KQ)), z):get(D, 1)
      want = want + (yhat - m.y:get(s, 1)) ^ 2
    end
    want = want / (2 * 7)
    assert.is_true(math.abs(m:loss() - want) <= 1e-13 * want)
  end)

  it("gradients match central differences", function()
    -- h = 1e-6 on a quadratic-in-each-factor loss of size ~1: truncation ~h^2, rounding ~eps/h = 2e-10
    local _, g = m:loss_grad()
    local grads = { g[1]:clone(), g[2]:clone() }
    local worst = 0
    for k, P in ipairs(m:params()) do
      for i = 1, D do for j = 1, D do
        local v, h = P:get(i, j), 1e-6
        P:set(i, j, v + h); local fp = m:loss()
        P:set(i, j, v - h); local fm = m:loss()
        P:set(i, j, v)
        worst = math.max(worst, math.abs((fp - fm) / (2 * h) - grads[k]:get(i, j)))
      end end
    end
    assert.is_true(worst < 1e-8, worst)
    for j = 1, D do for i = 1, D - 1 do assert.are.equal(0, grads[2]:get(i, j)) end end   -- only W_PV's last row acts
  end)

  it("represents the fitted one-step predictor: its loss is reference(), and no A does better", function()
    -- 40 sequences for the 9 entries of A (with 7 the least-squares fit interpolates: loss 0)
    local m = ml.models.linear_attention { d = 3, context = 5, sequences = 40, cond = 10, seed = 2 }
    m.W_KQ:fill(0); m.W_PV:fill(0)
    m.W_KQ:view(1, 1, 3, 3):copy_(m.A_star)
    m.W_PV:set(D, D, 1)
    local best = m:loss()
    assert.is_true(math.abs(best - m:reference()) <= 1e-12 * m:reference())
    -- least squares optimality: perturbing A_* in any entry raises the loss
    for i = 1, 3 do for j = 1, 3 do
      local v = m.W_KQ:get(i, j)
      for _, h in ipairs { 1e-3, -1e-3 } do
        m.W_KQ:set(i, j, v + h)
        assert.is_true(m:loss() > best)
      end
      m.W_KQ:set(i, j, v)
    end end
    -- Sigma^-1 (diag(1, 10^1/2, 10)), the population preconditioner, is no better on the training set
    m.W_KQ:fill(0)
    for j = 1, 3 do m.W_KQ:set(j, j, 10 ^ ((j - 1) / 2)) end
    assert.is_true(m:loss() >= best and best > 0)
  end)

  it("rejects bad options", function()
    assert.has_error(function() ml.models.linear_attention { d = 0 } end)
    assert.has_error(function() ml.models.linear_attention { cond = 0.5 } end)
    assert.has_error(function() ml.models.linear_attention { bogus = 1 } end)
  end)
end)

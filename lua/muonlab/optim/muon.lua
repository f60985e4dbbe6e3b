-- Muon with optax's options (optax.contrib.scale_by_muon + optax.contrib.muon; seed 004):
--   M_t   = beta M_{t-1} + (1 - beta) G_t
--   Mhat  = beta M_t / (1 - beta^(t+1)) + (1 - beta) G_t / (1 - beta^t)   (nesterov, optax's form)
--         = M_t / (1 - beta^t)                                            (otherwise)
--   nesterov_form = "torch" (KellerJordan/Muon, torch.optim.Muon): no bias correction,
--   Mhat  = beta M_t + (1 - beta) G_t (nesterov), M_t (otherwise). NS normalises its input, so
--   the two forms differ in direction through the Nesterov weights, and in size with `adaptive`.
--   O_t   = NS(Mhat; coeffs, steps), X_0 = Mhat / (||Mhat||_F + eps)     (or the exact polar factor)
--   O_t  <- <Mhat, O_t> O_t                                  (adaptive: the dual norm, arXiv 2409.20325)
--   O_t  <- s O_t,  s = 1 | sqrt(max(1, rows/cols)) | 0.2 sqrt(max(rows, cols)) | a number
--   theta_t = theta_{t-1} - lr (O_t + lambda theta_{t-1})       (decoupled weight decay, optax order)
-- Defaults: optax's (jordan coefficients, 5 steps, beta 0.95, eps 1e-8, nesterov, frobenius
-- preconditioning), lr 0.02 (KellerJordan/Muon), scale "sqrt_ratio" (KellerJordan/Muon, with the
-- matrix stored out x in; optax's x W convention is the same factor on cols/rows).
local ml = require "muonlab"
local base = require "muonlab.optim.base"

local Muon = {
  name = "muon",
  fixed = { eps = true },
  spec = base.merge(base.ns_spec, {
    lr = { 0.02, "nonneg", "learning rate η" },
    beta = { 0.95, "unit", "momentum EMA β" },
    nesterov = { true, "boolean", "Nesterov look-ahead (nesterov_form says which)" },
    nesterov_form = { "optax", { "optax", "torch" }, "\"optax\" (bias-corrected) or \"torch\" (KellerJordan: βM + (1−β)G, no bias correction)" },
    eps = { 1e-8, "nonneg", "NS normaliser: X₀ = M/(‖M‖_F + eps); fixed once built" },
    adaptive = { false, "boolean", "scale O by ⟨M̂, O⟩ (the dual norm, arXiv 2409.20325)" },
    weight_decay = { 0, "nonneg", "decoupled weight decay λ" },
    scale = { "sqrt_ratio", "any_scale", "shape factor: \"sqrt_ratio\" = √max(1, rows/cols), \"moonlight\" = 0.2√max(rows, cols), \"none\", or a number > 0" },
  }),
}

function Muon:validate()
  local s = self.hp.scale
  if not (s == "none" or s == "sqrt_ratio" or s == "moonlight" or (type(s) == "number" and s > 0 and s < math.huge)) then
    base.fail("muon", ("option 'scale': \"none\", \"sqrt_ratio\", \"moonlight\" or a number > 0 expected, got %s"):format(require("muonlab.options").fmt(s)))
  end
end

function Muon:setup() self.orth, self.plan = base.orthogonalizer(self.hp, self.hp.eps) end

function Muon:init_state(i, p) return { mu = base.zeros_like(p) } end

function Muon:update(params, grads)
  local hp = self.hp
  local b, t = hp.beta, self.t
  local outs, ins = base.many_lists(self, #params)
  for i = 1, #params do
    local p, g, mu = params[i], grads[i], self.state[i].mu
    local w = base.work(self, i)
    w.mhat = w.mhat or base.zeros_like(p)
    w.O = w.O or base.zeros_like(p)
    -- M_t = beta M_{t-1} + (1 - beta) G_t, and with Nesterov Mhat = a M_t + c G_t in the same pass
    -- (ml.momentum_: the two axpby_ lines bit for bit, reading M and G once)
    if hp.nesterov and hp.nesterov_form == "torch" then
      -- Mhat = beta M_t + (1 - beta) G_t, no bias correction
      ml.momentum_(mu, g, b, w.mhat, b, 1 - b)
    elseif hp.nesterov then
      -- Mhat = beta M_t / (1 - beta^(t+1)) + (1 - beta) G_t / (1 - beta^t)
      ml.momentum_(mu, g, b, w.mhat, b / (1 - b ^ (t + 1)), (1 - b) / (1 - b ^ t))
    else
      ml.momentum_(mu, g, b)
      -- Mhat = M_t (torch) or M_t / (1 - beta^t) (optax)
      if hp.nesterov_form == "torch" then w.mhat:copy_(mu) else w.mhat:axpby_(1 / (1 - b ^ t), mu, 0, mu) end
    end
    outs[i], ins[i] = w.O, w.mhat
  end
  -- O_t = NS(Mhat), every parameter in one call (concurrently when they are small)
  base.orthogonalize_all(self, outs, ins)
  for i = 1, #params do
    local p, w = params[i], base.work(self, i)
    -- O_t <- <Mhat, O_t> O_t (adaptive), then the shape factor
    local a = hp.adaptive and ml.dot(w.mhat, w.O) or 1
    local s = base.shape_scale(hp.scale, p:rows(), p:cols())
    -- theta_t = theta_{t-1} - lr (s a O_t + lambda theta_{t-1})
    p:axpby_(1 - hp.lr * hp.weight_decay, p, -hp.lr * s * a, w.O)
  end
end

return base.class(Muon)

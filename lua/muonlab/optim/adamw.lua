-- AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019), as
-- torch.optim.AdamW:
--   theta <- theta - lr lambda theta                                  (decoupled decay)
--   m_t = b1 m_{t-1} + (1 - b1) g_t,   v_t = b2 v_{t-1} + (1 - b2) g_t^2
--   mhat = m_t / (1 - b1^t),   vhat = v_t / (1 - b2^t)
--   theta_t = theta - lr mhat / (sqrt(vhat) + eps)
-- Defaults: PyTorch's (lr 1e-3, betas 0.9 / 0.999, eps 1e-8, weight decay 1e-2).
local ml = require "muonlab"
local base = require "muonlab.optim.base"

local AdamW = {
  name = "adamw",
  spec = {
    lr = { 1e-3, "nonneg", "learning rate η" },
    beta1 = { 0.9, "unit", "first-moment EMA β₁" },
    beta2 = { 0.999, "unit", "second-moment EMA β₂" },
    eps = { 1e-8, "nonneg", "ε in m̂/(√v̂ + ε)" },
    weight_decay = { 1e-2, "nonneg", "decoupled weight decay λ (θ −= ηλθ)" },
  },
}

function AdamW:init_state(i, p)
  return { m = base.zeros_like(p), v = base.zeros_like(p) }
end

function AdamW:update(params, grads)
  local hp = self.hp
  local lr, b1, b2 = hp.lr, hp.beta1, hp.beta2
  -- bias corrections 1 - b^t
  local c1, c2 = 1 - b1 ^ self.t, 1 - b2 ^ self.t
  for i = 1, #params do
    local p, st = params[i], self.state[i]
    local w = base.work(self, i)
    w.d = w.d or base.zeros_like(p)
    -- theta <- theta - lr lambda theta
    if hp.weight_decay ~= 0 then p:scale_(1 - lr * hp.weight_decay) end
    -- m_t = b1 m + (1 - b1) g;  v_t = b2 v + (1 - b2) g^2
    ml.adam_moments_(st.m, st.v, grads[i], b1, b2)
    -- d = mhat / (sqrt(vhat) + eps)
    ml.adam_dir(w.d, st.m, st.v, c1, c2, hp.eps)
    -- theta_t = theta - lr d
    p:add_(w.d, -lr)
  end
end

return base.class(AdamW)

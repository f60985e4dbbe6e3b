-- SGD with momentum, Nesterov momentum and (L2, coupled) weight decay, as torch.optim.SGD:
--   g_t = grad + lambda theta_{t-1}
--   b_1 = g_1,  b_t = mu b_{t-1} + (1 - tau) g_t               (mu = momentum, tau = dampening)
--   d_t = g_t + mu b_t (nesterov)  or  b_t
--   theta_t = theta_{t-1} - lr d_t
-- Defaults: PyTorch's (lr 1e-3 since torch 2.x; momentum, dampening, weight decay 0).
local base = require "muonlab.optim.base"

local SGD = {
  name = "sgd",
  spec = {
    lr = { 1e-3, "nonneg", "learning rate η" },
    momentum = { 0, "unit", "momentum μ" },
    dampening = { 0, "closed_unit", "dampening τ of the momentum" },
    nesterov = { false, "boolean", "Nesterov momentum (needs momentum > 0, dampening 0)" },
    weight_decay = { 0, "nonneg", "L2 weight decay λ (added to the gradient)" },
  },
}

function SGD:validate()
  local hp = self.hp
  if hp.nesterov and (hp.momentum <= 0 or hp.dampening ~= 0) then
    base.fail("sgd", "option 'nesterov': needs momentum > 0 and dampening = 0")
  end
end

function SGD:init_state(i, p)
  if self.hp.momentum == 0 then return {} end
  return { buf = base.zeros_like(p) }
end

function SGD:update(params, grads)
  local hp = self.hp
  local lr, mu, tau, wd = hp.lr, hp.momentum, hp.dampening, hp.weight_decay
  for i = 1, #params do
    local p, g = params[i], grads[i]
    local d = g
    if wd ~= 0 or hp.nesterov then
      local w = base.work(self, i)
      w.d = w.d or base.zeros_like(p)
      -- g_t = grad + lambda theta_{t-1}
      d = w.d:axpby_(1, g, wd, p)
    end
    if mu ~= 0 then
      local b = self.state[i].buf
      if self.t == 1 then
        -- b_1 = g_1
        b:copy_(d)
      else
        -- b_t = mu b_{t-1} + (1 - tau) g_t
        b:axpby_(mu, b, 1 - tau, d)
      end
      if hp.nesterov then
        -- d_t = g_t + mu b_t
        d:add_(b, mu)
      else
        -- d_t = b_t
        d = b
      end
    end
    -- theta_t = theta_{t-1} - lr d_t
    p:add_(d, -lr)
  end
end

return base.class(SGD)

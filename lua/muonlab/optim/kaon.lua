-- Kaon (arXiv 2605.11181, with Freon; ROUND2.md, secondary), per matrix:
--   M_t  = mu M_{t-1} + (1 - mu) G_t          (U_t = mu M_t + (1 - mu) G_t with nesterov)
--   X_0  = M_t / (||M_t||_F + ns_eps)
--   X_k  = 4.1 (I - X_{k-1} X_{k-1}^T)^2 X_{k-1},  k = 1..T
--   O_t  = X_T / 1.175
--   W_t  = (1 - lr lambda) W_{t-1} - lr s O_t
-- 4.1 (I - A)^2 X = 4.1 X - 8.2 A X + 4.1 A^2 X (A = X X^T): a quintic Newton-Schulz step with
-- coefficients (4.1, -8.2, 4.1), so the iteration runs through ml.ns_plan (and takes every shared
-- NS option: split, qk_clip, precision, form). Its map 4.1 s (1 - s^2)^2 peaks at s = 1/sqrt(5)
-- with value 1.1736, hence the division by 1.175.
-- Defaults: mu 0.95 (the paper's); T = 5 steps, lr 0.02, nesterov false, scale "none",
-- ns_eps 1e-7, weight_decay 0 are ours (secondary source: no defaults given).
local base = require "muonlab.optim.base"

local KAON = { 4.1, -8.2, 4.1 }

local Kaon = {
  name = "kaon",
  fixed = { ns_eps = true },
  spec = base.merge(base.ns_spec, {
    lr = { 0.02, "nonneg", "learning rate" },
    beta = { 0.95, "unit", "momentum mu" },
    nesterov = { false, "boolean", "U = mu M + (1 - mu) G instead of M" },
    divisor = { 1.175, "pos", "O = X_T / divisor" },
    weight_decay = { 0, "nonneg", "decoupled weight decay lambda (times lr)" },
    scale = { "none", "any_scale", "shape factor as muon's: \"none\", \"sqrt_ratio\", \"moonlight\" or a number" },
    ns_eps = { 1e-7, "nonneg", "X_0 = M/(||M||_F + ns_eps)" },
  }),
}
Kaon.spec.ns_coeffs = { KAON, "coeffs", "the Kaon step (4.1, -8.2, 4.1) = 4.1 (I - XX^T)^2 X" }
Kaon.spec.ns_steps = { 5, "posint", "T, the number of Kaon steps" }

function Kaon:setup() self.orth = base.orthogonalizer(self.hp, self.hp.ns_eps) end

function Kaon:init_state(i, p) return { M = base.zeros_like(p) } end

function Kaon:update(params, grads)
  local hp = self.hp
  local b = hp.beta
  for i = 1, #params do
    local p, g, st = params[i], grads[i], self.state[i]
    local w = base.work(self, i)
    w.O = w.O or base.zeros_like(p)
    -- M_t = mu M + (1 - mu) G  (U_t = mu M_t + (1 - mu) G_t with nesterov)
    local u = base.momentum(self, i, st.M, g, b, hp.nesterov)
    -- X_T = T Kaon steps from X_0 = M/(||M||_F + eps)
    self.orth(w.O, u)
    -- W_t = (1 - lr lambda) W - lr s X_T / 1.175
    local s = base.shape_scale(hp.scale, p:rows(), p:cols())
    p:axpby_(1 - hp.lr * hp.weight_decay, p, -hp.lr * s / hp.divisor, w.O)
  end
end

return base.class(Kaon)

-- Freon (arXiv 2605.11181; ROUND2.md, secondary): steepest descent under the Schatten-q
-- (quasi-)norm, per matrix W (m x n):
--   M_t  = mu M_{t-1} + (1 - mu) G_t          (U_t = mu M_t + (1 - mu) G_t with nesterov)
--   G_n  = M_t / ||M_t||_{S_q},   ||M||_{S_q} = (sum_i s_i^q)^(1/q)
--   O_t  = (G_n G_n^T)^(-c) G_n,  c = 1 - q/2,  i.e.  O_t = U (S/||M||_{S_q})^(q-1) V^T
--   W_t  = (1 - lr lambda) W_{t-1} - lr O_t
-- q = 2 is SGD, q = 1 Muon, q < 1 the quasi-norm regime the paper found best on GPT-2.
-- Computed exactly by the SVD: ml.spectral(M, q - 1, {rtol = rtol}) (p = q - 1 < 0 acts on the
-- singular values above rtol s_max only; the others, and their share of the norm, are 0).
-- The paper computes it with a QDWH-based iteration; this is the exact reference.
-- Defaults: q 0.5, mu 0.95, lr 0.02, nesterov false, weight_decay 0 (ours: the source gives none);
-- rtol 1e-6 (ours: with q < 1 the map s^(q-1) amplifies the smallest singular values, so noise at
-- the level of rounding errors must not count as signal).
local ml = require "muonlab"
local base = require "muonlab.optim.base"
local options = require "muonlab.options"

local Freon = {
  name = "freon",
  spec = {
    lr = { 0.02, "nonneg", "learning rate" },
    q = { 0.5, "pos", "Schatten exponent q (q < 1 the quasi-norm; q = 1 Muon, 2 SGD)" },
    beta = { 0.95, "unit", "momentum mu" },
    nesterov = { false, "boolean", "U = mu M + (1 - mu) G instead of M" },
    rtol = { 1e-6, options.num(0, 1, false, true), "relative rank tolerance: singular values <= rtol s_max map to 0" },
    weight_decay = { 0, "nonneg", "decoupled weight decay lambda (times lr)" },
  },
}

function Freon:init_state(i, p) return { M = base.zeros_like(p) } end

-- ||M||_{S_q} over the singular values above rtol s_max
local function schatten(M, q, rtol)
  local s = ml.singular_values(M)
  local smax, sum = s:get(1, 1), 0
  for i = 1, s:rows() do
    local si = s:get(i, 1)
    if si > rtol * smax then sum = sum + si ^ q end
  end
  return sum ^ (1 / q)
end

function Freon:update(params, grads)
  local hp = self.hp
  local b, q = hp.beta, hp.q
  for i = 1, #params do
    local p, g, st = params[i], grads[i], self.state[i]
    -- M_t = mu M + (1 - mu) G  (U_t = mu M_t + (1 - mu) G_t with nesterov)
    local u = base.momentum(self, i, st.M, g, b, hp.nesterov)
    local nrm = schatten(u, q, hp.rtol)
    if nrm > 0 then
      -- O_t = U (S / ||M||_{S_q})^(q-1) V^T = U S^(q-1) V^T ||M||_{S_q}^(1-q)
      local O = ml.spectral(u, q - 1, { rtol = hp.rtol })
      -- W_t = (1 - lr lambda) W - lr O_t
      p:axpby_(1 - hp.lr * hp.weight_decay, p, -hp.lr * nrm ^ (1 - q), O)
    else
      p:scale_(1 - hp.lr * hp.weight_decay)
    end
  end
end

return base.class(Freon)

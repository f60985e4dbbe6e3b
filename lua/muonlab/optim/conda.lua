-- Conda (jie040109/Conda, ROUND2.md: "column-normalized Adam"): Adam in a basis of the momentum's
-- singular vectors, refreshed every T steps. Per matrix W (m x n):
--   M_t  = b1 M_{t-1} + (1 - b1) G_t                          (unprojected)
--   at t = 1, 1 + T, 1 + 2T, ...: M_t = U S V^T (SVD); basis P = V (n x n) if m >= n, else U (m x m)
--   Gp   = G_t V,  Mp = M_t V          (m >= n)   or   Gp = U^T G_t,  Mp = U^T M_t   (m < n)
--   Vp_t = b2 Vp_{t-1} + (1 - b2) Gp . Gp     (kept in projected coordinates, not rotated when the basis changes)
--   N    = Mp / (sqrt(Vp_t) + eps)
--   a_t  = lr sqrt(1 - b2^t) / (1 - b1^t)
--   W_t  = W_{t-1} - a_t s (N V^T   or   U N)
--   W_t  = W_t - lr lambda W_t                                 (decay after the step)
-- Defaults (the code's): lr 1e-3, betas 0.9 / 0.999, eps 1e-8, update_interval T 2000 (50 in one
-- script), scale s 1 (0.25 in the paper's runs), weight_decay 0. Applied to matrices; the
-- rest of a model goes to AdamW (ml.optim.group). The SVD is ml.svd (LAPACK), every T steps.
local ml = require "muonlab"
local nn = ml.nn
local base = require "muonlab.optim.base"
local options = require "muonlab.options"

local Conda = {
  name = "conda",
  spec = {
    lr = { 1e-3, "nonneg", "learning rate" },
    beta1 = { 0.9, "unit", "first-moment EMA rate" },
    beta2 = { 0.999, "unit", "second-moment EMA rate (projected coordinates)" },
    eps = { 1e-8, "nonneg", "added to sqrt(Vp)" },
    update_interval = { 2000, options.int(1), "T: the SVD basis is refreshed at t = 1, 1 + T, ..." },
    scale = { 1, "pos", "s, the update scale (0.25 in the paper's runs)" },
    weight_decay = { 0, "nonneg", "weight decay lambda, applied after the step (times lr)" },
  },
}

function Conda:init_state(i, p)
  local m, n = p:rows(), p:cols()
  local k = m >= n and n or m
  return { M = base.zeros_like(p), V = base.zeros_like(p), P = ml.zeros(k, k, { dtype = p:dtype() }) }
end

function Conda:update(params, grads)
  local hp = self.hp
  local b1, b2, t = hp.beta1, hp.beta2, self.t
  local refresh = (t - 1) % hp.update_interval == 0
  for i = 1, #params do
    local p, g, st = params[i], grads[i], self.state[i]
    local m, n = p:rows(), p:cols()
    local right = m >= n   -- project on the right (G V) when m >= n, else on the left (U^T G)
    local w = base.work(self, i)
    if not w.Gp then w.Gp, w.Mp, w.sq, w.D = base.zeros_like(p), base.zeros_like(p), base.zeros_like(p), base.zeros_like(p) end
    -- M_t = b1 M + (1 - b1) G
    st.M:axpby_(b1, st.M, 1 - b1, g)
    if refresh then
      -- M_t = U S V^T;  P = V (m >= n) or U (m < n)
      local U, _, V = ml.svd(st.M)
      st.P:copy_(right and V or U)
    end
    -- Gp = G V, Mp = M V   (or U^T G, U^T M)
    if right then
      nn.gemm(w.Gp, g, st.P)
      nn.gemm(w.Mp, st.M, st.P)
    else
      nn.gemm(w.Gp, st.P, g, true)
      nn.gemm(w.Mp, st.P, st.M, true)
    end
    -- Vp_t = b2 Vp + (1 - b2) Gp . Gp
    w.sq:copy_(w.Gp):mul_(w.Gp)
    st.V:axpby_(b2, st.V, 1 - b2, w.sq)
    -- N = Mp / (sqrt(Vp) + eps)
    ml.adam_dir(w.Mp, w.Mp, st.V, 1, 1, hp.eps)
    -- a_t = lr sqrt(1 - b2^t) / (1 - b1^t)
    local a = hp.lr * math.sqrt(1 - b2 ^ t) / (1 - b1 ^ t)
    -- W = W - a s (N V^T or U N)
    if right then nn.gemm(w.D, w.Mp, st.P, false, true) else nn.gemm(w.D, st.P, w.Mp) end
    p:add_(w.D, -a * hp.scale)
    -- W = W - lr lambda W
    if hp.weight_decay ~= 0 then p:scale_(1 - hp.lr * hp.weight_decay) end
  end
end

return base.class(Conda)

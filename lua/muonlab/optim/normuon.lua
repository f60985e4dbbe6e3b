-- NorMuon (Li, Liu, Liang, Chen, Zhao, "NorMuon: Making Muon more efficient and scalable",
-- arXiv 2510.05491, Algorithm 1), for theta m x n:
--   M_t   = b1 M_{t-1} + (1 - b1) G_t
--   O_t   = NS(M_t)                        (NS(b1 M_t + (1 - b1) G_t) with nesterov, as the released code)
--   v_t   = b2 v_{t-1} + (1 - b2) mean_cols(O_t . O_t)                        (one entry per row)
--   Ohat  = O_t / (sqrt(V_t) + eps)        (V_t: v_t broadcast over the columns)
--   etahat = 0.2 eta sqrt(m n) / ||Ohat||_F
--   theta_t = theta_{t-1} - eta lambda theta_{t-1} - etahat Ohat
-- Defaults: b1 = b2 = 0.95 (the released normuon.py), eps 1e-8, Jordan's NS 5 steps, nesterov off
-- (Algorithm 1). lr 1e-3 is ours: the 0.2 sqrt(mn) factor makes eta an AdamW-sized rate (the
-- Moonlight convention), so the update's entrywise RMS is 0.2 eta.
local ml = require "muonlab"
local base = require "muonlab.optim.base"

local NorMuon = {
  name = "normuon",
  fixed = { ns_eps = true },
  spec = base.merge(base.ns_spec, {
    lr = { 1e-3, "nonneg", "learning rate η (AdamW-sized: the update's RMS is matched to 0.2)" },
    beta1 = { 0.95, "unit", "momentum EMA β₁" },
    beta2 = { 0.95, "unit", "row second-moment EMA β₂" },
    eps = { 1e-8, "nonneg", "ε in O/(√V + ε)" },
    nesterov = { false, "boolean", "Nesterov momentum" },
    weight_decay = { 0, "nonneg", "decoupled weight decay λ" },
    ns_eps = { 1e-7, "nonneg", "NS normaliser ε" },
  }),
}

function NorMuon:setup() self.orth = base.orthogonalizer(self.hp, self.hp.ns_eps) end

function NorMuon:init_state(i, p)
  return { M = base.zeros_like(p), v = ml.zeros(p:rows(), 1, { dtype = p:dtype() }) }
end

function NorMuon:update(params, grads)
  local hp = self.hp
  local b1, b2 = hp.beta1, hp.beta2
  for i = 1, #params do
    local p, g, st = params[i], grads[i], self.state[i]
    local w = base.work(self, i)
    if not w.O then
      w.O, w.n = base.zeros_like(p), base.zeros_like(p)
      w.r = ml.zeros(p:rows(), 1, { dtype = p:dtype() })
    end
    -- M_t = b1 M_{t-1} + (1 - b1) G_t (and the Nesterov b1 M_t + (1 - b1) G_t in the same pass)
    local src = st.M
    if hp.nesterov then src = select(2, ml.momentum_(st.M, g, b1, w.n, b1, 1 - b1)) else ml.momentum_(st.M, g, b1) end
    -- O_t = NS(M_t)
    self.orth(w.O, src)
    -- v_t = b2 v_{t-1} + (1 - b2) mean_cols(O_t . O_t)
    w.O:row_meansq(w.r)
    st.v:axpby_(b2, st.v, 1 - b2, w.r)
    -- Ohat = O_t / (sqrt(V_t) + eps)
    w.r:copy_(st.v):sqrt_():pow_(-1, hp.eps)
    w.O:scale_rows_(w.r)
    -- etahat = 0.2 eta sqrt(m n) / ||Ohat||_F
    local nrm = ml.norm(w.O)
    local etahat = nrm > 0 and 0.2 * hp.lr * math.sqrt(p:rows() * p:cols()) / nrm or 0
    -- theta_t = theta - eta lambda theta - etahat Ohat
    p:axpby_(1 - hp.lr * hp.weight_decay, p, -etahat, w.O)
  end
end

return base.class(NorMuon)

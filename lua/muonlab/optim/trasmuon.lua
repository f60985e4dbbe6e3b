-- TrasMuon (Cheng et al., "TrasMuon: Trust-Region Adaptive Scaling for Orthogonalized Momentum
-- Optimizers", arXiv 2602.13498), exactly as seed 000 states it, for W = d_out x d_in (rows x cols):
--   m_t      = b1 m_{t-1} + (1 - b1) g_t
--   mt_t     = m_t / (||m_t||_F / sqrt(d_out d_in) + eps)                      [momentum_norm]
--   O_t      = NS(mt_t; T)
--   v_t^row  = b2 v_{t-1}^row + (1 - b2) mean_j O_{t,ij}^2                      [row_scale]
--   O_base   = diag((v_t^row + eps)^(-1/2)) O_t                                [row_scale]
--   E_{t,j}  = sum_i m_{t,ij}^2,  r_{t,j} = E_{t,j} / (E_ref_t + eps)          [damping]
--   c_{t,j}  = clip(1 / (1 + alpha log(1 + r_{t,j})), c_min, 1)                [damping]
--   etahat_t = eta sqrt(d_out d_in) / (||O_base||_F + eps)                     [rms_calibration]
--   theta_t  = (1 - eta lambda) theta_{t-1} - etahat_t (O_base . c_t)          (c_t over columns)
-- A switch set to false drops its lines (mt = m, O_base = O, c = 1, etahat = eta).
-- E_ref_t, the EMA of the median column energy: E_ref_1 = median_j E_{1,j}, then
-- E_ref_t = ref_beta E_ref_{t-1} + (1 - ref_beta) median_j E_{t,j}, updated before r_t is formed.
-- Defaults (REFERENCE.md, "a public implementation"; the paper's text was not reachable to confirm):
-- alpha 1, c_min 0.1, b1 = b2 = 0.95, ref_beta 0.95, eps 1e-8; NS: Jordan's coefficients, 5 steps
-- (the Muon reference; ns_eps 1e-7 its normaliser). lr 1e-3 is ours: with RMS calibration eta is
-- the entrywise RMS of the update before damping, an AdamW-sized number.
local ml = require "muonlab"
local base = require "muonlab.optim.base"

local TrasMuon = {
  name = "trasmuon",
  fixed = { ns_eps = true },
  spec = base.merge(base.ns_spec, {
    lr = { 1e-3, "nonneg", "learning rate η (the update's entrywise RMS)" },
    beta1 = { 0.95, "unit", "momentum EMA β₁" },
    beta2 = { 0.95, "unit", "row second-moment EMA β₂" },
    eps = { 1e-8, "nonneg", "ε of every division" },
    alpha = { 1, "nonneg", "damping strength α in c = 1/(1 + α log(1 + r))" },
    c_min = { 0.1, "closed_unit", "floor of the damping factor c" },
    ref_beta = { 0.95, "unit", "EMA of the reference column energy E_ref" },
    weight_decay = { 0, "nonneg", "decoupled weight decay λ" },
    ns_eps = { 1e-7, "nonneg", "NS normaliser ε" },
    momentum_norm = { true, "boolean", "normalise the momentum before NS" },
    row_scale = { true, "boolean", "row second-moment scaling of O" },
    damping = { true, "boolean", "column energy damping" },
    rms_calibration = { true, "boolean", "rescale the update to RMS η" },
  }),
}

function TrasMuon:setup() self.orth = base.orthogonalizer(self.hp, self.hp.ns_eps) end

function TrasMuon:init_state(i, p)
  return { m = base.zeros_like(p), v = ml.zeros(p:rows(), 1, { dtype = p:dtype() }), E_ref = false }
end

function TrasMuon:update(params, grads)
  local hp = self.hp
  local b1, b2, eps = hp.beta1, hp.beta2, hp.eps
  for i = 1, #params do
    local p, g, st = params[i], grads[i], self.state[i]
    local dout, din = p:rows(), p:cols()
    local sq = math.sqrt(dout * din)
    local w = base.work(self, i)
    if not w.O then
      w.mt, w.O = base.zeros_like(p), base.zeros_like(p)
      w.r = ml.zeros(dout, 1, { dtype = p:dtype() })
      w.E, w.c = ml.zeros(1, din), ml.zeros(1, din)
      w.med = ml.zeros(din, 1)
    end
    local m, O = st.m, w.O
    -- m_t = b1 m_{t-1} + (1 - b1) g_t
    m:axpby_(b1, m, 1 - b1, g)
    local src = m
    if hp.momentum_norm then
      -- mt_t = m_t / (||m_t||_F / sqrt(d_out d_in) + eps)
      src = w.mt:axpby_(1 / (ml.norm(m) / sq + eps), m, 0, m)
    end
    -- O_t = NS(mt_t; T)
    self.orth(O, src)
    if hp.row_scale then
      -- v_t^row = b2 v_{t-1}^row + (1 - b2) mean_j O_{t,ij}^2
      O:row_meansq(w.r)
      st.v:axpby_(b2, st.v, 1 - b2, w.r)
      -- O_base = diag((v_t^row + eps)^(-1/2)) O_t
      w.r:copy_(st.v):pow_(-0.5, eps)
      O:scale_rows_(w.r)
    end
    -- etahat_t = eta sqrt(d_out d_in) / (||O_base||_F + eps)
    local etahat = hp.rms_calibration and hp.lr * sq / (ml.norm(O) + eps) or hp.lr
    if hp.damping then
      -- E_{t,j} = sum_i m_{t,ij}^2
      m:col_sumsq(w.E)
      -- E_ref: the first step's median, then an EMA of the median
      local med = w.E:median(w.med)
      st.E_ref = st.E_ref and hp.ref_beta * st.E_ref + (1 - hp.ref_beta) * med or med
      -- r_j = E_j / (E_ref + eps);  c_j = clip(1 / (1 + alpha log(1 + r_j)), c_min, 1)
      w.c:copy_(w.E):scale_(1 / (st.E_ref + eps)):log1p_():scale_(hp.alpha):pow_(-1, 1):clip_(hp.c_min, 1)
      -- O_base . c_t (c_t broadcast over the columns)
      O:scale_cols_(w.c)
    end
    -- theta_t = (1 - eta lambda) theta_{t-1} - etahat_t (O_base . c_t)
    p:axpby_(1 - hp.lr * hp.weight_decay, p, -etahat, O)
  end
end

return base.class(TrasMuon)

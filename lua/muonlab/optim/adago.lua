-- AdaGO (Zhang, Liu, Schaeffer, "AdaGrad Meets Muon: Adaptive Stepsizes for Orthogonal
-- Updates", arXiv 2509.02981), per matrix:
--   m_t     = mu m_{t-1} + (1 - mu) g_t                        (mu = option beta)
--   v_t^2   = v_{t-1}^2 + min(||g_t||_F^2, gamma^2)            (v_0 = option v0)
--   alpha_t = max(eps, eta min(||g_t||_F, gamma) / v_t)
--   theta_t = theta_{t-1} - alpha_t Orth(m_t)
-- One scalar of state per matrix. The paper leaves gamma, eps and v0 to tuning; the defaults
-- here are ours: gamma = 1, eps = 1e-6 (a floor on the step), v0 = 0 (then alpha_1 = eta);
-- lr 0.02 and beta 0.95 are Muon's. Orth: Jordan's NS, 5 steps, or the exact polar factor.
local ml = require "muonlab"
local base = require "muonlab.optim.base"

local AdaGO = {
  name = "adago",
  fixed = { ns_eps = true, v0 = true },
  spec = base.merge(base.ns_spec, {
    lr = { 0.02, "nonneg", "learning rate η" },
    beta = { 0.95, "unit", "momentum EMA μ" },
    gamma = { 1, "pos", "gradient-norm clip γ" },
    eps = { 1e-6, "nonneg", "lower bound ε of the step size α" },
    v0 = { 0, "nonneg", "initial accumulator v₀" },
    ns_eps = { 1e-7, "nonneg", "NS normaliser ε" },
  }),
}

function AdaGO:setup() self.orth = base.orthogonalizer(self.hp, self.hp.ns_eps) end

function AdaGO:init_state(i, p) return { m = base.zeros_like(p), v2 = self.hp.v0 ^ 2 } end

function AdaGO:update(params, grads)
  local hp = self.hp
  for i = 1, #params do
    local p, g, st = params[i], grads[i], self.state[i]
    local w = base.work(self, i)
    w.O = w.O or base.zeros_like(p)
    -- m_t = mu m_{t-1} + (1 - mu) g_t
    st.m:axpby_(hp.beta, st.m, 1 - hp.beta, g)
    -- v_t^2 = v_{t-1}^2 + min(||g_t||^2, gamma^2)
    local gn = math.min(ml.norm(g), hp.gamma)
    st.v2 = st.v2 + gn * gn
    -- alpha_t = max(eps, eta min(||g_t||, gamma) / v_t)
    local v = math.sqrt(st.v2)
    local alpha = math.max(hp.eps, v > 0 and hp.lr * gn / v or 0)
    -- theta_t = theta_{t-1} - alpha_t Orth(m_t)
    self.orth(w.O, st.m)
    p:add_(w.O, -alpha)
  end
end

return base.class(AdaGO)

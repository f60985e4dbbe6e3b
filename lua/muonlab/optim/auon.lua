-- AuON (ryyzn9/AuON, the paper draft in the repository, section 3.1; ROUND2.md), per matrix
-- W (m x n), on Nesterov momentum (Muon's KellerJordan form):
--   M_t  = beta M_{t-1} + (1 - beta) G_t,   U_t = beta M_t + (1 - beta) G_t   (U_t = M_t without nesterov)
--   X    = U_t / (||U_t||_F + 1e-7)
--   X    = NS_k(X)                                  (hybrid: k = ns_steps > 0; pure AuON: k = 0)
--   rms  = sqrt(mean_ij cosh(gamma X_ij)^2)
--   O    = X / (rms + 1e-8)
--   W_t  = (1 - lr lambda) W_{t-1} - lr sqrt(max(1, m/n)) O
-- No orthogonalisation in pure AuON: cosh-RMS scaling only. The hybrid takes k NS steps first
-- (the draft: one; the code: five), then the same division.
-- Ambiguous (ROUND2.md: "the code disagrees"): the draft's rule is implemented; the code multiplies
-- X by gamma = 1.5 inside cosh (option gamma, default 1 = the draft) and divides the
-- unnormalised momentum (likely a bug; not offered).
-- Defaults: beta 0.95, nesterov true, lr 0.02 (Muon's; the draft gives none), gamma 1, ns_steps 0,
-- weight_decay 0 (ours).
local ml = require "muonlab"
local base = require "muonlab.optim.base"
local options = require "muonlab.options"

local AuON = {
  name = "auon",
  fixed = { ns_eps = true },
  spec = base.merge(base.ns_spec, {
    lr = { 0.02, "nonneg", "learning rate" },
    beta = { 0.95, "unit", "momentum EMA rate" },
    nesterov = { true, "boolean", "U = beta M + (1 - beta) G" },
    gamma = { 1, "pos", "cosh(gamma X): 1 the draft, 1.5 the code" },
    weight_decay = { 0, "nonneg", "decoupled weight decay lambda (times lr)" },
    ns_eps = { 1e-7, "nonneg", "normaliser of X = U/(||U||_F + ns_eps)" },
  }),
}
AuON.spec.ns_steps = { 0, options.int(0, 1000), "NS steps before the cosh-RMS division (0 = pure AuON, hybrid: 1 the draft, 5 the code)" }

function AuON:setup()
  if self.hp.ns_steps > 0 then self.orth = base.orthogonalizer(self.hp, self.hp.ns_eps) end
end

function AuON:init_state(i, p) return { M = base.zeros_like(p) } end

function AuON:update(params, grads)
  local hp = self.hp
  local b = hp.beta
  for i = 1, #params do
    local p, g, st = params[i], grads[i], self.state[i]
    local m, n = p:rows(), p:cols()
    local w = base.work(self, i)
    if not w.X then w.X, w.c = base.zeros_like(p), base.zeros_like(p) end
    -- M_t = beta M + (1 - beta) G;  U_t = beta M_t + (1 - beta) G_t (nesterov) or M_t
    local u = base.momentum(self, i, st.M, g, b, hp.nesterov)
    if hp.ns_steps > 0 then
      -- X = NS_k(U / (||U||_F + 1e-7))
      self.orth(w.X, u)
    else
      -- X = U / (||U||_F + 1e-7)
      w.X:axpby_(1 / (ml.norm(u) + hp.ns_eps), u, 0, u)
    end
    -- rms = sqrt(mean cosh(gamma X)^2)
    local c = ml.norm(w.c:copy_(w.X):cosh_(hp.gamma))
    local rms = c / math.sqrt(m * n)
    -- W_t = (1 - lr lambda) W - lr sqrt(max(1, m/n)) X / (rms + 1e-8)
    local s = base.shape_scale("sqrt_ratio", m, n)
    p:axpby_(1 - hp.lr * hp.weight_decay, p, -hp.lr * s / (rms + 1e-8), w.X)
  end
end

return base.class(AuON)

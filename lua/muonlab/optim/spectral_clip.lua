-- Spectral clipping of the momentum (ROUND2.md, from the paper abstracts only: MuCon, arXiv
-- 2605.26459, the hard clip; SPECTRA, arXiv 2603.14315, the soft clip), per matrix:
--   M_t  = beta M_{t-1} + (1 - beta) G_t       (U_t = beta M_t + (1 - beta) G_t with nesterov)
--   O_t  = U diag(min(s, tau)) V^T                     mode "hard" (MuCon)
--        = U diag(s / sqrt(1 + s^2/tau^2)) V^T = (I + U_t U_t^T/tau^2)^(-1/2) U_t   mode "soft" (SPECTRA)
--   W_t  = (1 - lr lambda) W_{t-1} - lr O_t
-- through ml.spectral_clip (exact, by the SVD; SPECTRA computes the soft clip by NS). Directions
-- with singular values below tau move as with SGD-momentum, the larger ones are capped at tau.
-- Secondary: which matrix is clipped (here the momentum) and every default (lr 0.02, beta 0.95,
-- tau 1, nesterov false, weight_decay 0) are ours.
local ml = require "muonlab"
local base = require "muonlab.optim.base"

local SpectralClip = {
  name = "spectral_clip",
  spec = {
    lr = { 0.02, "nonneg", "learning rate" },
    beta = { 0.95, "unit", "momentum EMA rate" },
    nesterov = { false, "boolean", "U = beta M + (1 - beta) G instead of M" },
    tau = { 1, "pos", "clipping level of the singular values" },
    mode = { "hard", { "hard", "soft" }, "\"hard\" min(s, tau) (MuCon) or \"soft\" s/sqrt(1 + s^2/tau^2) (SPECTRA)" },
    weight_decay = { 0, "nonneg", "decoupled weight decay lambda (times lr)" },
  },
}

function SpectralClip:init_state(i, p) return { M = base.zeros_like(p) } end

function SpectralClip:update(params, grads)
  local hp = self.hp
  local b = hp.beta
  for i = 1, #params do
    local p, g, st = params[i], grads[i], self.state[i]
    -- M_t = beta M + (1 - beta) G  (U_t = beta M_t + (1 - beta) G_t with nesterov)
    local u = base.momentum(self, i, st.M, g, b, hp.nesterov)
    -- O_t = U clip(S) V^T
    local O = ml.spectral_clip(u, hp.tau, { soft = hp.mode == "soft" })
    -- W_t = (1 - lr lambda) W - lr O_t
    p:axpby_(1 - hp.lr * hp.weight_decay, p, -hp.lr, O)
  end
end

return base.class(SpectralClip)

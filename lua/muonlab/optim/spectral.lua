-- The spectral family of seed 001 (Qi, Chen, Ye, He, Xiao, "Delving into Muon and Beyond",
-- arXiv 2602.04669; code github.com/Ocram7/BeyondMuon, optimizers/sgdw_ns.py and adamw_ns.py):
--   Psi_p(X) = U Sigma^p V^T   (X = U Sigma V^T; p = 0 Muon's polar factor, p = 1 X itself),
--   times sqrt(max(1, rows/cols)) when p = 0 (the code's muon_update; option p0_scale).
-- base = "momentum" (SGDW_NS):
--   theta <- (1 - eta lambda) theta
--   B_1 = G_1,  B_t = mu B_{t-1} + (1 - tau) G_t,   U_t = G_t + mu B_t (nesterov) or B_t
--   theta <- theta - eta Psi_p(U_t)
-- base = "adam" (AdamW_NS):
--   theta <- theta - eta lambda theta
--   m_t, v_t Adam moments;  R_t = mhat / (sqrt(vhat) + eps)   (bias-corrected)
--   theta <- theta - eta Psi_p(R_t)
-- Psi_p is applied to parameters with both dimensions > 1 only (the code's param.ndim > 1);
-- vectors take the plain update. method = "svd" (ml.spectral, LAPACK) or "newton" (the paper's
-- coupled Newton iteration, ml.spectral(X, p, {method = "newton"}); `newton` passes its options,
-- e.g. {steps = 15, route = "paper"}). Both allocate their result every step (the SVD needs
-- its own workspace anyway).
-- Defaults: the code's (lr 1e-3, p = 1/2, betas 0.9 / 0.999, eps 1e-8, dampening 0, nesterov off);
-- momentum 0.9 and weight decay 0 for both bases are ours (the code defaults momentum 0, AdamW's
-- weight decay 1e-2).
local ml = require "muonlab"
local base = require "muonlab.optim.base"
local options = require "muonlab.options"

local Spectral = {
  name = "spectral",
  fixed = { method = true, newton = true, base = true },
  spec = {
    lr = { 1e-3, "nonneg", "learning rate η" },
    p = { 0.5, "nonneg", "exponent of U Σ^p Vᵀ (0: polar factor, 1: the matrix itself)" },
    base = { "momentum", { "momentum", "adam" }, "direction: \"momentum\" (heavy ball) or \"adam\" (m̂/(√v̂ + ε))" },
    method = { "svd", { "svd", "newton" }, "U Σ^p Vᵀ by \"svd\" (LAPACK) or \"newton\" (coupled Newton, ml.spectral)" },
    newton = { nil, "table", "options passed to ml.spectral's Newton method {steps =, shift =, route = …}" },
    p0_scale = { true, "boolean", "at p = 0 multiply by √max(1, rows/cols) (Muon's shape factor)" },
    momentum = { 0.9, "unit", "momentum μ (base momentum)" },
    dampening = { 0, "closed_unit", "dampening τ (base momentum)" },
    nesterov = { false, "boolean", "Nesterov momentum (base momentum)" },
    beta1 = { 0.9, "unit", "first-moment EMA (base adam)" },
    beta2 = { 0.999, "unit", "second-moment EMA (base adam)" },
    eps = { 1e-8, "nonneg", "ε (base adam)" },
    weight_decay = { 0, "nonneg", "decoupled weight decay λ" },
  },
}

function Spectral:validate()
  local hp = self.hp
  if hp.nesterov and (hp.base ~= "momentum" or hp.momentum <= 0 or hp.dampening ~= 0) then
    base.fail("spectral", "option 'nesterov': needs base = \"momentum\", momentum > 0 and dampening = 0")
  end
  if hp.newton and hp.method ~= "newton" then base.fail("spectral", "option 'newton': needs method = \"newton\"") end
end

function Spectral:setup()
  local hp = self.hp
  local o = { method = hp.method }
  for k, v in pairs(hp.newton or {}) do o[k] = v end
  self.sopts = o
  -- check the options (and that the Newton route supports p) once, on a small matrix
  local ok, err = pcall(ml.spectral, ml.eye(3, 2), hp.p, o)
  if not ok then options.fail("spectral", 1, "option 'newton': " .. options.inner(err), 3) end
end

function Spectral:init_state(i, p)
  if self.hp.base == "adam" then return { m = base.zeros_like(p), v = base.zeros_like(p) } end
  if self.hp.momentum == 0 then return {} end
  return { B = base.zeros_like(p) }
end

-- Psi_p(X) for a matrix parameter; X itself for vectors and p = 1.
function Spectral:psi(X)
  local p = self.hp.p
  if p == 1 or X:rows() == 1 or X:cols() == 1 then return X end
  local Y = ml.spectral(X, p, self.sopts)
  if p == 0 and self.hp.p0_scale then Y:scale_(math.sqrt(math.max(1, X:rows() / X:cols()))) end
  return Y
end

function Spectral:update(params, grads)
  local hp = self.hp
  local lr, wd = hp.lr, hp.weight_decay
  for i = 1, #params do
    local p, g, st = params[i], grads[i], self.state[i]
    local w = base.work(self, i)
    local X
    if hp.base == "adam" then
      w.d = w.d or base.zeros_like(p)
      -- m_t = b1 m + (1 - b1) g;  v_t = b2 v + (1 - b2) g^2
      ml.adam_moments_(st.m, st.v, g, hp.beta1, hp.beta2)
      -- R_t = mhat / (sqrt(vhat) + eps)
      X = ml.adam_dir(w.d, st.m, st.v, 1 - hp.beta1 ^ self.t, 1 - hp.beta2 ^ self.t, hp.eps)
    elseif hp.momentum == 0 then
      X = g
    else
      local B = st.B
      -- B_1 = G_1;  B_t = mu B_{t-1} + (1 - tau) G_t
      if self.t == 1 then B:copy_(g) else B:axpby_(hp.momentum, B, 1 - hp.dampening, g) end
      X = B
      if hp.nesterov then
        -- U_t = G_t + mu B_t
        w.d = w.d or base.zeros_like(p)
        X = w.d:axpby_(1, g, hp.momentum, B)
      end
    end
    -- theta <- (1 - eta lambda) theta - eta Psi_p(X)
    p:axpby_(1 - lr * wd, p, -lr, self:psi(X))
  end
end

return base.class(Spectral)

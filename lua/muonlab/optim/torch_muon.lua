-- torch.optim.Muon (PyTorch >= 2.9), its exact rule and defaults (ROUND2.md; 2-D parameters):
--   B_t    = B_{t-1}.lerp(G_t, 1 - mu) = mu B_{t-1} + (1 - mu) G_t
--   U_t    = G_t.lerp(B_t, mu) = (1 - mu) G_t + mu B_t   (nesterov; otherwise U_t = B_t)
--   O_t    = NS(U_t),  X_0 = U_t / (||U_t||_F + eps)      (ns_coefficients, ns_steps)
--   lr'    = lr sqrt(max(1, A/B))           adjust_lr_fn "original" (the default, None)
--          = lr 0.2 sqrt(max(A, B))         adjust_lr_fn "match_rms_adamw"
--            (A, B = rows, cols of the parameter)
--   theta  = theta (1 - lr wd)               (the unadjusted lr)
--   theta  = theta - lr' O_t
-- Defaults: lr 1e-3, weight_decay 0.1, momentum 0.95, nesterov true, ns_coefficients
-- (3.4445, -4.775, 2.0315), eps 1e-7, ns_steps 5, adjust_lr_fn "original". No bias correction
-- (unlike optax's Nesterov, ml.optim.muon's default). Debian's PyTorch is 1.13 (no
-- torch.optim.Muon): the tests check this file against a transcription of these lines only.
local base = require "muonlab.optim.base"

local TorchMuon = {
  name = "torch_muon",
  fixed = { eps = true, ns_coefficients = true, ns_steps = true },
  spec = base.merge(base.attention_spec, {
    lr = { 1e-3, "nonneg", "learning rate" },
    weight_decay = { 0.1, "nonneg", "decoupled weight decay, with the unadjusted lr" },
    momentum = { 0.95, "unit", "momentum mu (buf.lerp_(g, 1 - mu))" },
    nesterov = { true, "boolean", "U = g.lerp(buf, mu) instead of buf" },
    ns_coefficients = { { 3.4445, -4.775, 2.0315 }, "table", "NS coefficients (a, b, c), every step" },
    eps = { 1e-7, "nonneg", "NS normaliser: X0 = U/(||U||_F + eps); fixed once built" },
    ns_steps = { 5, "posint", "NS steps" },
    adjust_lr_fn = { "original", { "original", "match_rms_adamw" }, "\"original\" sqrt(max(1, A/B)), \"match_rms_adamw\" 0.2 sqrt(max(A, B))" },
  }),
}

function TorchMuon:setup()
  local hp = self.hp
  self.orth = base.orthogonalizer({
    ns_coeffs = hp.ns_coefficients, ns_steps = hp.ns_steps, preconditioning = "frobenius",
    ns_form = "direct", orthogonalize = "ns",
  }, hp.eps)
end

function TorchMuon:init_state(i, p) return { momentum_buffer = base.zeros_like(p) } end

function TorchMuon:update(params, grads)
  local hp = self.hp
  local mu = hp.momentum
  for i = 1, #params do
    local p, g, buf = params[i], grads[i], self.state[i].momentum_buffer
    local w = base.work(self, i)
    w.O = w.O or base.zeros_like(p)
    -- B_t = mu B_{t-1} + (1 - mu) G_t;  U_t = (1 - mu) G_t + mu B_t (nesterov) or B_t
    local u = base.momentum(self, i, buf, g, mu, hp.nesterov)
    -- O_t = NS(U_t)
    self.orth(w.O, u)
    -- lr' = lr sqrt(max(1, A/B)) or lr 0.2 sqrt(max(A, B))
    local kind = hp.adjust_lr_fn == "original" and "sqrt_ratio" or "moonlight"
    local adjusted = hp.lr * base.shape_scale(kind, p:rows(), p:cols())
    -- theta = theta (1 - lr wd) - lr' O_t
    p:axpby_(1 - hp.lr * hp.weight_decay, p, -adjusted, w.O)
  end
end

return base.class(TorchMuon)

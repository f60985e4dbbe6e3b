-- AdaMuon (Chongjie-Si/AdaMuon, ROUND2.md; "AdaMuon: Adaptive Muon Optimizer", arXiv 2507.11005),
-- variant = "current" (the released code and the paper's figure):
--   M_t   = beta M_{t-1} + (1 - beta) G_t                   (the code's EMA)
--   U_t   = beta M_t + (1 - beta) G_t (nesterov) or M_t
--   O_t   = NS(sign(U_t))                                   (Jordan, 5 steps)
--   V_t   = beta V_{t-1} + (1 - beta) O_t . O_t             (the same beta, no bias correction)
--   Ohat  = O_t / (sqrt(V_t) + eps)
--   gamma = 0.2 sqrt(m n) / ||Ohat||_F
--   W_t   = W_{t-1} - lr (gamma Ohat + lambda W_{t-1})
-- variant = "v1" (the July 2025 version), the lines that differ:
--   O_t   = NS(U_t)                                         (no sign)
--   V_t   = beta2 V_{t-1} + (1 - beta2) O_t . O_t,  Vhat = V_t / (1 - beta2^t)
--   Ohat  = O_t / (sqrt(Vhat) + eps),  gamma = sqrt(min(m, n)) / ||Ohat||_F
-- Ambiguous (ROUND2.md): the paper writes M_t = beta M + G, the code an EMA with Nesterov. Under
-- sign() both momenta give the same direction; Nesterov does not, so it is the option `nesterov`
-- (default true, the code's).
-- Defaults: lr 0.02, weight_decay 0.01, beta 0.95, eps 1e-8 (the code's); beta2 0.999 (v1);
-- ns_eps 1e-7 (the Muon reference normaliser).
local ml = require "muonlab"
local base = require "muonlab.optim.base"

local AdaMuon = {
  name = "adamuon",
  fixed = { ns_eps = true, variant = true },
  spec = base.merge(base.ns_spec, {
    lr = { 0.02, "nonneg", "learning rate" },
    weight_decay = { 0.01, "nonneg", "decoupled weight decay lambda (times lr)" },
    beta = { 0.95, "unit", "momentum and (current variant) second-moment EMA rate" },
    beta2 = { 0.999, "unit", "second-moment EMA rate of variant \"v1\"" },
    eps = { 1e-8, "nonneg", "added to sqrt(V)" },
    nesterov = { true, "boolean", "U = beta M + (1 - beta) G (the code) instead of M" },
    variant = { "current", { "current", "v1" }, "\"current\" (sign, shared beta, 0.2 sqrt(mn)) or \"v1\" (July 2025)" },
    ns_eps = { 1e-7, "nonneg", "NS normaliser" },
  }),
}

function AdaMuon:setup() self.orth = base.orthogonalizer(self.hp, self.hp.ns_eps) end

function AdaMuon:init_state(i, p) return { M = base.zeros_like(p), V = base.zeros_like(p) } end

function AdaMuon:update(params, grads)
  local hp = self.hp
  local b, v1 = hp.beta, hp.variant == "v1"
  for i = 1, #params do
    local p, g, st = params[i], grads[i], self.state[i]
    local w = base.work(self, i)
    if not w.O then w.U, w.O, w.sq = base.zeros_like(p), base.zeros_like(p), base.zeros_like(p) end
    -- M_t = beta M_{t-1} + (1 - beta) G_t; U_t = beta M_t + (1 - beta) G_t (nesterov, same pass) or M_t
    if hp.nesterov then ml.momentum_(st.M, g, b, w.U, b, 1 - b) else w.U:copy_(ml.momentum_(st.M, g, b)) end
    -- O_t = NS(sign(U_t))   (v1: NS(U_t))
    if not v1 then w.U:sign_() end
    self.orth(w.O, w.U)
    -- V_t = beta V + (1 - beta) O.O   (v1: beta2, bias-corrected below)
    local b2 = v1 and hp.beta2 or b
    w.sq:copy_(w.O):mul_(w.O)
    st.V:axpby_(b2, st.V, 1 - b2, w.sq)
    -- Ohat = O / (sqrt(V) + eps)   (v1: sqrt(V / (1 - beta2^t)))
    ml.adam_dir(w.O, w.O, st.V, 1, v1 and 1 - b2 ^ self.t or 1, hp.eps)
    -- gamma = 0.2 sqrt(m n) / ||Ohat||_F   (v1: sqrt(min(m, n)) / ||Ohat||_F)
    local m, n = p:rows(), p:cols()
    local nrm = ml.norm(w.O)
    local gamma = nrm > 0 and (v1 and math.sqrt(math.min(m, n)) or 0.2 * math.sqrt(m * n)) / nrm or 0
    -- W_t = W_{t-1} - lr (gamma Ohat + lambda W_{t-1})
    p:axpby_(1 - hp.lr * hp.weight_decay, p, -hp.lr * gamma, w.O)
  end
end

return base.class(AdaMuon)

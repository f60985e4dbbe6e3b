-- ROOT (huawei-noah/noah-research, ROOT/examples; "ROOT: Robust Orthogonalized Optimizer",
-- ROUND2.md), per matrix W (m x n):
--   B_t   = mu B_{t-1} + G_t
--   G'_t  = G_t + mu B_t                                              (Nesterov)
--   eps_t = quantile_q(|G'_t|) + clip_eps                              (q = 0.9)
--   C_t   = clip(G'_t, -eps_t, eps_t)    (the outlier part sign(G') max(|G'| - eps, 0) is dropped)
--   O_t   = NS_5(C_t / (||C_t||_F + 1e-7)) with per-shape coefficients (below)
--   W_t   = (1 - lr lambda) W_{t-1} - lr 0.2 sqrt(max(m, n)) O_t
-- ns_coeffs = "root" (default): the code's coefficients keyed by (min(m, n), max(m, n)):
--   (2048, 2048) (3.4916, -4.8224, 2.1095); (2048, 3072) (3.4509, -4.5790, 1.9325);
--   (2048, 8192) (2.9794, -3.6674, 1.6207); (2048, 16384) (3.1943, -3.8221, 1.5322);
--   any other shape Jordan's (3.4445, -4.7750, 2.0315); the same triple every step.
-- ns_coeffs = "per_shape" (muonlab's own; how ROOT fitted its table was not found): a Polar
-- Express schedule computed for the shape, ml.coeffs("polar_express", {l = l(m, n), steps =
-- ns_steps}) with l(m, n) = max(1e-3, (sqrt(max) - sqrt(min)) / sqrt(m n)), the lower edge of the
-- Marchenko-Pastur law of a Gaussian m x n matrix after Frobenius normalisation (a square shape
-- falls back to Polar Express's own l = 1e-3). Any other ns_coeffs: that schedule for every shape.
-- Ambiguous (ROUND2.md): the quantile's interpolation (torch.quantile's linear, as here) and
-- where 1e-9 enters (here added to the threshold: option clip_eps).
-- Defaults: lr 1e-3, weight_decay 0.1, momentum 0.95, quantile 0.9, ns_steps 5 (the code's).
local ml = require "muonlab"
local base = require "muonlab.optim.base"

local ROOT_COEFFS = {
  ["2048x2048"] = { 3.4916, -4.8224, 2.1095 },
  ["2048x3072"] = { 3.4509, -4.5790, 1.9325 },
  ["2048x8192"] = { 2.9794, -3.6674, 1.6207 },
  ["2048x16384"] = { 3.1943, -3.8221, 1.5322 },
}
local JORDAN = { 3.4445, -4.7750, 2.0315 }

local Root = {
  name = "root",
  fixed = { ns_eps = true },
  spec = base.merge(base.ns_spec, {
    lr = { 1e-3, "nonneg", "learning rate" },
    weight_decay = { 0.1, "nonneg", "decoupled weight decay lambda (times lr)" },
    momentum = { 0.95, "unit", "momentum mu (B = mu B + G, Nesterov)" },
    quantile = { 0.9, "closed_unit", "clipping threshold: this quantile of |G'|" },
    clip_eps = { 1e-9, "nonneg", "added to the quantile" },
    ns_eps = { 1e-7, "nonneg", "NS normaliser" },
  }),
}
Root.spec.ns_coeffs = { "root", "coeffs", "\"root\" (the code's per-shape table), \"per_shape\" (computed), or any ml.ns schedule" }
Root.spec.ns_steps = { 5, "posint", "NS steps" }

-- the lower bound l of the computed per-shape schedule (see the header)
local function per_shape_l(m, n)
  local lo, hi = math.min(m, n), math.max(m, n)
  return math.max(1e-3, (math.sqrt(hi) - math.sqrt(lo)) / math.sqrt(m * n))
end
Root.per_shape_l = per_shape_l

-- the coefficients ROOT uses for an m x n matrix
function Root:coeffs_for(m, n)
  local c = self.hp.ns_coeffs
  local lo, hi = math.min(m, n), math.max(m, n)
  if c == "root" then return ROOT_COEFFS[lo .. "x" .. hi] or JORDAN end
  if c == "per_shape" then return ml.coeffs("polar_express", { l = per_shape_l(m, n), steps = self.hp.ns_steps }) end
  return c
end

function Root:setup()
  self.plans = {}
  -- a bad schedule fails here, when the optimizer is built, not on the first step
  local ok, err = pcall(self.orth_for, self, 3, 2)
  if not ok then base.fail("root", "option 'ns_coeffs': " .. require("muonlab.options").inner(err)) end
  self.plans = {}
end

-- the orthogonalizer of an m x n matrix, one per shape, built on first use
function Root:orth_for(m, n)
  local key = m .. "x" .. n
  local f = self.plans[key]
  if not f then
    f = base.orthogonalizer(base.merge(self.hp, { ns_coeffs = self:coeffs_for(m, n) }), self.hp.ns_eps)
    self.plans[key] = f
  end
  return f
end

function Root:init_state(i, p) return { B = base.zeros_like(p) } end

function Root:update(params, grads)
  local hp = self.hp
  local mu = hp.momentum
  for i = 1, #params do
    local p, g, st = params[i], grads[i], self.state[i]
    local m, n = p:rows(), p:cols()
    local w = base.work(self, i)
    if not w.O then
      w.C, w.O = base.zeros_like(p), base.zeros_like(p)
      w.q = ml.zeros(m * n, 1)
    end
    -- B_t = mu B_{t-1} + G_t
    st.B:axpby_(mu, st.B, 1, g)
    -- G'_t = G_t + mu B_t
    w.C:axpby_(1, g, mu, st.B)
    -- eps_t = quantile_q(|G'_t|) + clip_eps
    w.O:copy_(w.C):abs_()
    local thr = w.O:quantile(hp.quantile, w.q) + hp.clip_eps
    -- C_t = clip(G'_t, -eps_t, eps_t)
    w.C:clip_(-thr, thr)
    -- O_t = NS_5(C_t / (||C_t||_F + 1e-7))
    w.orth = w.orth or self:orth_for(m, n)
    w.orth(w.O, w.C)
    -- W_t = (1 - lr lambda) W - lr 0.2 sqrt(max(m, n)) O_t
    p:axpby_(1 - hp.lr * hp.weight_decay, p, -hp.lr * 0.2 * math.sqrt(math.max(m, n)), w.O)
  end
end

return base.class(Root)

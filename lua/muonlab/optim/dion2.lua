-- Dion2 (microsoft/dion, dion2.py; ROUND2.md): orthogonalise only the heaviest slices of the
-- momentum. Per matrix X (m x n = fan_out x fan_in); slices are rows when m <= n, columns when
-- m > n (along the shorter side: k of min(m, n) slices, each of length max(m, n)):
--   M_t   = M_{t-1} + G_t
--   S     = the k = ceil(fraction min(m, n)) slices of M_t with the largest l1 norm (ties: lower index)
--   O     = PolarExpress(M_t[S] / (1.02 ||M_t[S]||_F + 1e-6))      (before the decay below)
--   M_t[S] = ef_decay M_t[S]                                        (error feedback)
--   X_t   = (1 - lr lambda) X_{t-1}                                 (every slice)
--   X_t[S] = X_t[S] - lr sqrt(fan_out / fan_in) O   (scale "fan_ratio"; "rms_norm": 0.2 sqrt(max(m, n)))
-- Unselected slices get no step (only the decay). NS: the shared options, default ns_coeffs
-- "polar_express", ns_steps 5 (ours: the code's polar-express kernel; its step count was not
-- confirmed); the normalisation above replaces NS's own (preconditioning "none" on the scaled slices).
-- Defaults (the code's): lr 0.01, weight_decay 0.01, fraction 0.25, ef_decay 0.95.
local ml = require "muonlab"
local base = require "muonlab.optim.base"
local options = require "muonlab.options"

local Dion2 = {
  name = "dion2",
  fixed = { fraction = true },
  spec = base.merge(base.ns_spec, {
    lr = { 0.01, "nonneg", "learning rate" },
    weight_decay = { 0.01, "nonneg", "decoupled weight decay lambda (times lr)" },
    fraction = { 0.25, options.num(0, 1, true), "share of the slices (rows or columns, the shorter side) updated each step" },
    ef_decay = { 0.95, "closed_unit", "selected slices of the momentum are multiplied by this" },
    scale = { "fan_ratio", { "fan_ratio", "rms_norm" }, "\"fan_ratio\" sqrt(fan_out/fan_in), \"rms_norm\" 0.2 sqrt(max(m, n))" },
  }),
}
Dion2.spec.ns_coeffs = { "polar_express", "coeffs", "NS schedule of the selected slices" }
Dion2.spec.ns_steps = { 5, "posint", "NS steps" }

function Dion2:setup()
  -- the slices arrive normalised (see the header): NS without its own normalisation
  self.orth = base.orthogonalizer(base.merge(self.hp, { preconditioning = "none" }), 0)
end

function Dion2:init_state(i, p) return { M = base.zeros_like(p) } end

-- the slice views of A (rows, or columns when A is tall), cached in w[key]
local function slices(w, key, A, by_rows)
  local v = w[key]
  if not v or v.src ~= A then
    v = { src = A }
    local k = by_rows and A:rows() or A:cols()
    for j = 1, k do v[j] = by_rows and A:view(j, 1, 1, A:cols()) or A:view(1, j, A:rows(), 1) end
    w[key] = v
  end
  return v
end

function Dion2:update(params, grads)
  local hp = self.hp
  for i = 1, #params do
    local X, g, st = params[i], grads[i], self.state[i]
    local m, n = X:rows(), X:cols()
    local by_rows = m <= n
    local count = by_rows and m or n
    local k = math.ceil(hp.fraction * count)
    local w = base.work(self, i)
    if not w.S then
      local dt = { dtype = X:dtype() }
      w.S = by_rows and ml.zeros(k, n, dt) or ml.zeros(m, k, dt)
      w.O, w.Oc = base.zeros_like(w.S), base.zeros_like(w.S)   -- NS writes O (no views allowed), Oc has the slice views
      w.A = base.zeros_like(X)
      w.l1 = by_rows and ml.zeros(m, 1) or ml.zeros(1, n)
      w.order, w.norms, w.sel = {}, {}, {}
      local norms = w.norms
      -- larger l1 norm first, ties: the lower index
      w.cmp = function(a, b) return norms[a] > norms[b] or (norms[a] == norms[b] and a < b) end
      w.Sv = slices(w, "Svc", w.S, by_rows)
      w.Ov = slices(w, "Ovc", w.Oc, by_rows)
    end
    local M = st.M
    local Mv, Xv = slices(w, "Mv", M, by_rows), slices(w, "Xv", X, by_rows)
    -- M_t = M_{t-1} + G_t
    M:add_(g)
    -- the l1 norm of every slice
    w.A:copy_(M):abs_()
    if by_rows then w.A:row_sums(w.l1) else w.A:col_sums(w.l1) end
    -- S = the k slices of largest l1 norm (ties: the lower index first)
    local order, norms = w.order, w.norms
    for j = 1, count do
      order[j] = j
      norms[j] = by_rows and w.l1:get(j, 1) or w.l1:get(1, j)
    end
    table.sort(order, w.cmp)
    -- gather M_t[S] (selected slices in increasing index order)
    local sel = w.sel
    for j = 1, k do sel[j] = order[j] end
    for j = k + 1, #sel do sel[j] = nil end
    table.sort(sel)
    for j = 1, k do w.Sv[j]:copy_(Mv[sel[j]]) end
    -- O = PolarExpress(M[S] / (1.02 ||M[S]||_F + 1e-6))
    w.S:scale_(1 / (1.02 * ml.norm(w.S) + 1e-6))
    self.orth(w.O, w.S)
    w.Oc:copy_(w.O)
    -- M[S] = ef_decay M[S]
    for j = 1, k do Mv[sel[j]]:scale_(hp.ef_decay) end
    -- X = (1 - lr lambda) X;  X[S] -= lr s O
    local s = hp.scale == "fan_ratio" and math.sqrt(m / n) or 0.2 * math.sqrt(math.max(m, n))
    if hp.weight_decay ~= 0 then X:scale_(1 - hp.lr * hp.weight_decay) end
    for j = 1, k do Xv[sel[j]]:add_(w.Ov[j], -hp.lr * s) end
  end
end

return base.class(Dion2)

-- Muon with momentum variance reduction (arXiv 2512.16598; ROUND2.md, secondary), layer-wise:
--   MVR-1:  M_k = g(X_k; xi_k) + beta (M_{k-1} - g(X_{k-1}; xi_k))
--   MVR-2:  d_k = g(X_k; xi_k) + (1 - q) (d_{k-1} - g(X_{k-1}; xi_k)),   M_k = beta M_{k-1} + (1 - beta) d_k
--   X_{k+1} = (1 - lr lambda) X_k - lr s polar(M_k)          (polar by NS, the shared options)
-- where g(X; xi) is the minibatch gradient: the same sample xi_k at the new and at the previous
-- point, so every step needs two gradients. On the first step (no previous point) the
-- correction is absent: M_1 = g(X_1; xi_1) (MVR-1), d_1 = g(X_1; xi_1) (MVR-2).
-- The step takes either form:
--   opt:step(params, closure)       closure() -> loss, grads at the current values of params
--                                   (the same minibatch on both calls); the optimizer evaluates it
--                                   at X_{k-1} (copying X_{k-1} into params) and then at X_k.
--   opt:step(params, grads, loss, prev_grads)   grads = g(X_k; xi_k), prev_grads = g(X_{k-1}; xi_k),
--                                   computed by the caller at opt:previous() (X_{k-1}, a list of
--                                   matrices; nil on the first step, where prev_grads is ignored).
-- The closure's gradients may be buffers the model reuses: they are copied before the second call.
-- Defaults (none found): variant "mvr1", beta 0.9, q 0.1, lr 0.02, scale "none", weight_decay 0
-- (ours); NS: Jordan, 5 steps, ns_eps 1e-7. `split` is not supported (the previous point's
-- gradients would need the same blocks).
local ml = require "muonlab"
local base = require "muonlab.optim.base"

local MuonMVR = {
  name = "muon_mvr",
  fixed = { ns_eps = true, variant = true },
  spec = base.merge(base.ns_spec, {
    lr = { 0.02, "nonneg", "learning rate t" },
    variant = { "mvr1", { "mvr1", "mvr2" }, "MVR-1 (corrected momentum) or MVR-2 (corrected gradient, then an EMA)" },
    beta = { 0.9, "unit", "momentum beta" },
    q = { 0.1, "closed_unit", "MVR-2: the correction weight is 1 - q" },
    scale = { "none", "any_scale", "shape factor as muon's" },
    weight_decay = { 0, "nonneg", "decoupled weight decay lambda (times lr)" },
    ns_eps = { 1e-7, "nonneg", "NS normaliser" },
  }),
}

function MuonMVR:validate()
  if self.hp.split then base.fail("muon_mvr", "option 'split': not supported (two gradients per step)") end
end

function MuonMVR:setup() self.orth = base.orthogonalizer(self.hp, self.hp.ns_eps) end

function MuonMVR:init_state(i, p)
  -- M: the momentum; D: MVR-2's corrected gradient; X: the previous point (false before step 1)
  return { M = base.zeros_like(p), D = base.zeros_like(p), X = base.zeros_like(p), has_prev = false }
end

-- X_{k-1}, the point the previous gradients must be taken at (nil before the first step)
function MuonMVR:previous()
  if not self.state or not self.state[1].has_prev then return nil end
  local t = {}
  for i, st in ipairs(self.state) do t[i] = st.X end
  return t
end

local function stepper_error(argn, msg) base.step_error(argn, msg, 3) end

function MuonMVR:step(params, grads, loss, prev)
  if type(params) ~= "table" then stepper_error(1, "params: an array of matrices expected, got " .. type(params)) end
  if type(grads) == "function" then
    local closure = grads
    self.prevbuf = self.prevbuf or {}
    if self.state and self.state[1].has_prev then
      -- g(X_{k-1}; xi_k): params <- X_{k-1}, evaluate, copy the gradients, restore X_k
      self.cur = self.cur or {}
      for i, p in ipairs(params) do
        self.cur[i] = self.cur[i] or p:clone()
        self.cur[i]:copy_(p)
        p:copy_(self.state[i].X)
      end
      local _, gp = closure()
      for i, p in ipairs(params) do
        self.prevbuf[i] = self.prevbuf[i] or gp[i]:clone()
        self.prevbuf[i]:copy_(gp[i])
        p:copy_(self.cur[i])
      end
      prev = self.prevbuf
    else
      prev = nil
    end
    loss, grads = closure()
  end
  if self.state and self.state[1].has_prev then
    if type(prev) ~= "table" or #prev ~= #params then
      stepper_error(4, "prev_grads: the gradients at opt:previous() with this step's sample expected, got " .. type(prev))
    end
    for i = 1, #params do
      if not ml.ismatrix(prev[i]) or prev[i]:rows() ~= params[i]:rows() or prev[i]:cols() ~= params[i]:cols() then
        stepper_error(4, ("prev_grads[%d]: a matrix shaped like params[%d] expected"):format(i, i))
      end
    end
  end
  self.prev = prev
  base.Optimizer.step(self, params, grads, loss)
  self.prev = nil
  return loss
end

function MuonMVR:update(params, grads)
  local hp = self.hp
  local b, mvr2 = hp.beta, hp.variant == "mvr2"
  local prev = self.prev
  for i = 1, #params do
    local p, g, st = params[i], grads[i], self.state[i]
    local w = base.work(self, i)
    w.O = w.O or base.zeros_like(p)
    local first = not st.has_prev
    if mvr2 then
      -- d_k = g_k + (1 - q)(d_{k-1} - g(X_{k-1}; xi_k));  d_1 = g_1
      if first then st.D:copy_(g) else st.D:add_(prev[i], -1):axpby_(1 - hp.q, st.D, 1, g) end
      -- M_k = beta M_{k-1} + (1 - beta) d_k
      st.M:axpby_(b, st.M, 1 - b, st.D)
    else
      -- M_k = g_k + beta (M_{k-1} - g(X_{k-1}; xi_k));  M_1 = g_1
      if first then st.M:copy_(g) else st.M:add_(prev[i], -1):axpby_(b, st.M, 1, g) end
    end
    -- remember X_k (the previous point of the next step)
    st.X:copy_(p)
    st.has_prev = true
    -- X_{k+1} = (1 - lr lambda) X_k - lr s polar(M_k)
    self.orth(w.O, st.M)
    local s = base.shape_scale(hp.scale, p:rows(), p:cols())
    p:axpby_(1 - hp.lr * hp.weight_decay, p, -hp.lr * s, w.O)
  end
end

return base.class(MuonMVR)

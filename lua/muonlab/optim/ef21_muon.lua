-- EF21-Muon (arXiv 2510.00643; ROUND2.md, secondary): Muon with compressed communication and
-- EF21 error feedback, n workers simulated on one machine. Per matrix:
--   server:   X_{k+1} = X_k - lr s polar(G_k)                 (polar by NS, the shared options)
--             S_k     = C_down(X_{k+1} - W_k),   W_{k+1} = W_k + S_k      (S_k broadcast)
--   worker j: M_j    <- mu M_j + (1 - mu) g_j(W_{k+1}; xi_j)  (the gradient at the compressed copy W)
--             R_j     = C_up(M_j - G_j),   G_j <- G_j + R_j   (R_j sent)
--   server:   G_{k+1} = G_k + mean_j R_j
-- (ROUND2.md writes M_j <- (1 - beta) M_j + beta g: beta = 1 - mu here.) Start (ours; EF21's
-- usual full first round): W_0 = X_0, M_j = G_j = g_j(X_0; xi_j) sent uncompressed, G_0 = mean_j G_j.
-- Compressors, all contractive (E||C(x) - x||^2 <= (1 - alpha)||x||^2), with the bits one message costs
-- (b = 64 for float64, 32 for float32; an index 32 bits):
--   "none"     C(x) = x                                         m n b
--   "topk"     the k = ceil(k_fraction m n) entries of largest |x|   k (b + 32)
--   "rank"     the rank-r truncated SVD (r = min(rank, m, n))   r (m + n + 1) b
--   "natural"  sign(x) times the nearest power of two, deterministic (natural compression's
--              rounding without its randomness: relative error <= 1/3)   m n (1 + e), e = 11 (fp64) or 8 (fp32)
-- Step:  opt:step(params, worker_grad)  with worker_grad(j) -> loss, grads for worker j = 1..n on its
-- own minibatch, evaluated at the current values of params: the optimizer copies W_{k+1} into
-- params for the worker round and restores X_{k+1} after it (the first call also runs the start
-- round at X_0). Returns the workers' mean loss at W_{k+1}. params hold the server's X.
-- opt:bits() -> {up =, down =, total =}: bits sent so far (uplink summed over workers; the downlink
-- broadcast counted once); also in state_dict().global.
-- Which compressor on which message gave the paper's headline result: not found; defaults
-- (ours): compress_up "topk" with k_fraction 0.1, compress_down "none", rank 1, workers 4,
-- lr 0.02, momentum 0.95, scale "none"; NS: Jordan, 5 steps, ns_eps 1e-7.
local ml = require "muonlab"
local nn = ml.nn
local base = require "muonlab.optim.base"
local options = require "muonlab.options"

local COMPRESSORS = { "none", "topk", "rank", "natural" }

local spec = base.merge(base.ns_spec, {
  lr = { 0.02, "nonneg", "learning rate" },
  workers = { 4, "posint", "n, the simulated workers" },
  momentum = { 0.95, "unit", "worker momentum mu (the paper's beta = 1 - mu)" },
  compress_up = { "topk", COMPRESSORS, "compressor of the workers' messages R_j" },
  compress_down = { "none", COMPRESSORS, "compressor of the server's broadcast S" },
  k_fraction = { 0.1, options.num(0, 1, true), "topk keeps ceil(k_fraction m n) entries" },
  rank = { 1, "posint", "rank of the \"rank\" compressor" },
  scale = { "none", "any_scale", "shape factor as muon's" },
  ns_eps = { 1e-7, "nonneg", "NS normaliser" },
})
for k in pairs(base.attention_spec) do spec[k] = nil end   -- no split or QK-Clip here

local EF21 = { name = "ef21_muon", fixed = { ns_eps = true, workers = true }, spec = spec }

function EF21:setup()
  self.orth = base.orthogonalizer(self.hp, self.hp.ns_eps)
  self.global.bits_up, self.global.bits_down = 0, 0
end

-- D <- C(D) in place (w: scratch of this parameter); returns the bits of the message
function EF21:compress(kind, D, w)
  local m, n = D:rows(), D:cols()
  local b = D:dtype() == "float32" and 32 or 64
  if kind == "none" then return m * n * b end
  if kind == "topk" then
    local k = math.max(1, math.ceil(self.hp.k_fraction * m * n))
    w.q = w.q or ml.zeros(m * n, 1)
    D:topk_(k, w.q)
    return k * (b + 32)
  end
  if kind == "natural" then
    D:natural_()
    return m * n * (1 + (b == 32 and 8 or 11))
  end
  -- rank r: U_r diag(s_r) V_r^T
  local r = math.min(self.hp.rank, m, n)
  local U, s, V = ml.svd(D)
  local Ur = U:view(1, 1, m, r):scale_cols_(s:view(1, 1, r, 1))
  nn.gemm(D, Ur, V:view(1, 1, n, r), false, true)
  return r * (m + n + 1) * b
end

function EF21:init_state(i, p)
  local st = { W = p:clone(), G = base.zeros_like(p), M = {}, Gw = {} }
  for j = 1, self.hp.workers do st.M[j], st.Gw[j] = base.zeros_like(p), base.zeros_like(p) end
  return st
end

function EF21:bits()
  local up, down = self.global.bits_up or 0, self.global.bits_down or 0
  return { up = up, down = down, total = up + down }
end

local function argerr(argn, msg) base.step_error(argn, msg, 3) end

-- one round of the workers at the current params (= W); first: the uncompressed start
function EF21:worker_round(params, fn, first)
  local hp, n, mu = self.hp, self.hp.workers, self.hp.momentum
  local total = 0
  for j = 1, n do
    local loss, g = fn(j)
    if type(loss) ~= "number" or type(g) ~= "table" or #g ~= #params then
      argerr(2, ("worker_grad(%d): loss, grads (a list of %d matrices) expected as results"):format(j, #params))
    end
    total = total + loss
    for i = 1, #params do
      local st, w = self.state[i], base.work(self, i)
      local gi = g[i]
      if not ml.ismatrix(gi) or gi:rows() ~= params[i]:rows() or gi:cols() ~= params[i]:cols() then
        argerr(2, ("worker_grad(%d): grads[%d]: a matrix shaped like params[%d] expected"):format(j, i, i))
      end
      if first then
        -- M_j = G_j = g_j(X_0), sent uncompressed; G_0 = mean_j G_j
        st.M[j]:copy_(gi)
        st.Gw[j]:copy_(gi)
        st.G:add_(gi, 1 / n)
        self.global.bits_up = self.global.bits_up + self:compress("none", gi, w)
      else
        -- M_j <- mu M_j + (1 - mu) g_j(W)
        st.M[j]:axpby_(mu, st.M[j], 1 - mu, gi)
        -- R_j = C_up(M_j - G_j)
        w.R = w.R or base.zeros_like(params[i])
        w.R:axpby_(1, st.M[j], -1, st.Gw[j])
        self.global.bits_up = self.global.bits_up + self:compress(hp.compress_up, w.R, w)
        -- G_j <- G_j + R_j;  G <- G + R_j / n
        st.Gw[j]:add_(w.R)
        st.G:add_(w.R, 1 / n)
      end
    end
  end
  return total / n
end

function EF21:step(params, fn)
  if type(params) ~= "table" or #params == 0 then argerr(1, "params: a non-empty array of matrices expected") end
  if type(fn) ~= "function" then argerr(2, "a function worker_grad(j) -> loss, grads expected, got " .. type(fn)) end
  for i, p in ipairs(params) do
    if not ml.ismatrix(p) then argerr(1, ("params[%d]: a matrix expected, got %s"):format(i, type(p))) end
    local sh = self.shapes and self.shapes[i]
    if self.shapes and (#self.shapes ~= #params or sh[1] ~= p:rows() or sh[2] ~= p:cols()) then
      argerr(1, ("params[%d]: the shapes the state was made for expected, got %dx%d"):format(i, p:rows(), p:cols()))
    end
  end
  local first = not self.state
  if first then
    local state, shapes = {}, {}
    for i, p in ipairs(params) do
      state[i], shapes[i] = self:init_state(i, p), { p:rows(), p:cols() }
    end
    self.state, self.shapes = state, shapes
    local ok, err = pcall(self.worker_round, self, params, fn, true)   -- at X_0 = W_0
    if not ok then
      self.state, self.shapes, self.global.bits_up = nil, nil, 0   -- no half-made start
      error(err, 0)
    end
  end
  self.t = self.t + 1
  local hp = self.hp
  for i, p in ipairs(params) do
    local st, w = self.state[i], base.work(self, i)
    w.O = w.O or base.zeros_like(p)
    w.S = w.S or base.zeros_like(p)
    w.X = w.X or base.zeros_like(p)
    -- X_{k+1} = X_k - lr s polar(G_k)
    self.orth(w.O, st.G)
    p:add_(w.O, -hp.lr * base.shape_scale(hp.scale, p:rows(), p:cols()))
    -- S = C_down(X_{k+1} - W_k);  W_{k+1} = W_k + S
    w.S:axpby_(1, p, -1, st.W)
    self.global.bits_down = self.global.bits_down + self:compress(hp.compress_down, w.S, w)
    st.W:add_(w.S)
    -- the workers see W_{k+1}: params <- W, X kept in w.X
    w.X:copy_(p)
    p:copy_(st.W)
  end
  local ok, loss = pcall(self.worker_round, self, params, fn, false)
  for i, p in ipairs(params) do p:copy_(self.work[i].X) end   -- params hold X_{k+1} again
  if not ok then error(loss, 0) end
  return loss
end

return base.class(EF21)

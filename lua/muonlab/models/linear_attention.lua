-- In-context linear regression with a one-layer linear-attention model (the setting of Garg et al.
-- 2022, von Oswald et al. 2023, Ahn et al. 2023; "Preconditioning Benefits of Spectral
-- Orthogonalization in Muon", arXiv 2601.13474, studies Muon on it).
--
-- Data model: S sequences (a fixed training set, full batch). Sequence s draws a fresh task
-- w_s ~ N(0, I_d), N context inputs x_i ~ N(0, Sigma) and a query x_q ~ N(0, Sigma), with
-- Sigma = diag(sigma_1..sigma_d) geometric from 1 to 1/cond, and labels y_i = w_s^T x_i, y_q = w_s^T x_q.
-- Tokens z_i = (x_i, y_i) in R^(d+1); the query token z_q = (x_q, 0).
-- Model (one linear-attention layer, read out at the query's label slot):
--   H_s   = (1/N) sum_i z_i z_i^T                 ((d+1) x (d+1), the attention's key-value statistics)
--   yhat  = e_(d+1)^T W_PV H_s W_KQ z_q            (W_KQ = W_K^T W_Q, W_PV = the value-projection product)
-- Parameters W_KQ and W_PV, both (d+1) x (d+1) ("matrix" kind); only W_PV's last row p reaches the
-- output, so the other rows of dW_PV are zero.
-- Loss: f = 1/(2S) sum_s (yhat_s - y_q,s)^2. With u_s = W_KQ z_q,s, h_s = H_s u_s, r_s = yhat_s - y_q,s:
--   yhat_s = p^T h_s,   df/dp = (1/S) sum_s r_s h_s,   df/dW_KQ = (1/S) sum_s r_s (H_s p) z_q,s^T.
-- Batched: the H_s are stacked into Hs (S(d+1) x (d+1)); G = Hs W_KQ, h = rowsums(G .* Zrep) with Zrep the
-- query tokens repeated d+1 times (so h_s = H_s W_KQ z_q,s), and H_s p = Hs p.
-- reference(): the training loss of the best predictor yhat = m_s^T A x_q with m_s = (1/N) sum_i y_i x_i
-- (one step of preconditioned gradient descent from w = 0 with the preconditioner A, d x d, fitted by
-- least squares on the training set: a_* = pinv(F) y with F[s, :] = vec(m_s x_q,s^T)); the model
-- represents it exactly (W_KQ = blockdiag(A_*, 0), p = e_(d+1); A_* in self.A_star), so its training
-- optimum is at or below it. (A = Sigma^-1 is the population optimum as N grows; at finite N, with
-- ill-conditioned Sigma, the fitted A is much better.)
--   local m = ml.models.linear_attention{d = 8, context = 32, sequences = 512, cond = 10, seed = 1}
--   local loss, grads = m:loss_grad()
local core = require "muonlab.core"
local common = require "muonlab.models.common"
local options = require "muonlab.options"
local nn = core.nn

local LA = common.class("linear_attention")

local SCHEMA = options.register("linear_attention", {
  d = { 8, options.int(1), "input dimension: tokens have d + 1 entries" },
  context = { 32, options.int(1), "context pairs (x_i, y_i) per sequence" },
  sequences = { 512, options.int(1), "training sequences (one task w each; full batch)" },
  cond = { 1, options.num(1), "condition number of the input covariance Sigma (geometric eigenvalues)" },
  init = { 0.1, options.num(0, nil, true), "W_KQ, W_PV ~ N(0, init^2)" },
  seed = { 1, options.int(), "seed of the tasks, the inputs and the initial weights" },
})

local function new(opts)
  local o = options.check("linear_attention", opts, SCHEMA)
  local self = common.new_model(LA, "linear_attention")
  local d, N, S, init = o.d, o.context, o.sequences, o.init
  self.cond, self.seed = o.cond, o.seed
  self.d, self.N, self.S, self.dtype = d, N, S, "float64"
  local D = d + 1
  local sd = {}
  for j = 1, d do sd[j] = math.sqrt(d > 1 and self.cond ^ (-(j - 1) / (d - 1)) or 1) end   -- sqrt(sigma_j)
  local W = core.randn(S, d, { seed = self.seed })                      -- tasks w_s, one per row
  local X = core.randn(S * (N + 1), d, { seed = self.seed + 1 })        -- N context inputs + 1 query per sequence
  for j = 1, d do for i = 1, S * (N + 1) do X:set(i, j, X:get(i, j) * sd[j]) end end
  self.Hs = core.zeros(S * D, D)
  self.Zrep = core.zeros(S * D, D)
  self.Zq = core.zeros(S, D)
  self.y = core.zeros(S, 1)
  local F = core.zeros(S, d * d)
  local Z = core.zeros(N, D)
  for s = 1, S do
    local base = (s - 1) * (N + 1)
    local yq = 0
    for j = 1, d do yq = yq + W:get(s, j) * X:get(base + N + 1, j) end
    for i = 1, N do
      local yi = 0
      for j = 1, d do
        local x = X:get(base + i, j)
        Z:set(i, j, x)
        yi = yi + W:get(s, j) * x
      end
      Z:set(i, D, yi)
    end
    local H = core.matmul(Z, Z, { ta = true }) / N
    self.Hs:view((s - 1) * D + 1, 1, D, D):copy_(H)
    for j = 1, d do   -- F[s, (j, k)] = m_s[j] x_q[k], m_s = H[1..d, D] = (1/N) sum_i y_i x_i
      for k = 1, d do F:set(s, (j - 1) * d + k, H:get(j, D) * X:get(base + N + 1, k)) end
    end
    for j = 1, d do self.Zq:set(s, j, X:get(base + N + 1, j)) end
    for r = 1, D do for j = 1, d do self.Zrep:set((s - 1) * D + r, j, X:get(base + N + 1, j)) end end
    self.y:set(s, 1, yq)
  end
  -- a_* = pinv(F) y (singular values below max(S, d^2) eps s_max dropped)
  local U, sv, V = core.svd(F)
  local Uty = core.matmul(U, self.y, { ta = true })
  local tol = math.max(S, d * d) * 2.2e-16 * sv:get(1, 1)
  for i = 1, sv:rows() do
    local si = sv:get(i, 1)
    Uty:set(i, 1, si > tol and Uty:get(i, 1) / si or 0)
  end
  local a = core.matmul(V, Uty)
  self.A_star = a:reshape(d, d)
  local r = core.matmul(F, a) - self.y
  self.ref_loss = core.dot(r, r) / (2 * S)
  self.W_KQ = core.randn(D, D, { seed = self.seed + 2, std = init })
  self.W_PV = core.randn(D, D, { seed = self.seed + 3, std = init })
  self:_add("W_KQ", "matrix", self.W_KQ)
  self:_add("W_PV", "matrix", self.W_PV)
  -- buffers
  self.G = core.zeros(S * D, D)
  self.h = core.zeros(S * D, 1)
  self.q = core.zeros(S * D, 1)
  self.r = core.zeros(S, 1)
  self.p = core.zeros(D, 1)
  return self
end

-- yhat - y into self.r; returns the loss. Leaves h_s (stacked, S x D view hm) for the gradient.
function LA:_forward()
  local D, S = self.d + 1, self.S
  nn.gemm(self.G, self.Hs, self.W_KQ)                      -- G = Hs W_KQ (stacked H_s W_KQ)
  self.G:mul_(self.Zrep)
  self.G:row_sums(self.h)                                  -- h_s = H_s W_KQ z_q,s
  for j = 1, D do self.p:set(j, 1, self.W_PV:get(D, j)) end
  local hm = self.h:reshape(S, D)
  nn.gemm(self.r, hm, self.p)                              -- yhat = h p
  self.r:add_(self.y, -1)
  return core.dot(self.r, self.r) / (2 * S), hm
end

function LA:loss() return (self:_forward()) end

function LA:loss_grad()
  local D, S = self.d + 1, self.S
  local f, hm = self:_forward()
  local gKQ, gPV = self._grads[1], self._grads[2]
  gPV:fill(0)
  local gp = gPV:view(D, 1, 1, D)
  nn.gemm(gp, self.r, hm, true, false, 1 / S, 0)           -- df/dp = (1/S) r^T h  (1 x D)
  nn.gemm(self.q, self.Hs, self.p)                         -- H_s p, stacked
  local qm = self.q:reshape(S, D)
  qm:scale_rows_(self.r)                                   -- r_s H_s p
  nn.gemm(gKQ, qm, self.Zq, true, false, 1 / S, 0)         -- df/dW_KQ = (1/S) sum_s r_s (H_s p) z_q,s^T
  return f, self._grads
end

-- The training loss of the fitted one-step predictor (see the header).
function LA:reference() return self.ref_loss end

return new

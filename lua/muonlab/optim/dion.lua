-- Dion (microsoft/dion, dion_simple.py; ROUND2.md): low-rank orthonormalised updates by one step of
-- power iteration per optimizer step, with error feedback. Per matrix X (m x n = d_out x d_in),
-- rank r = min(rank, m, n) (or ceil(rank_fraction min(m, n))), Q_0 = randn(n, r) (seeded):
--   M_t  = M_{t-1} + G_t
--   P    = M_t Q_{t-1}                                  (m x r)
--   P    = orth(P)                  (Q factor of a QR: Householder, or randomised Cholesky-QR)
--   R    = M_t^T P                                      (n x r)
--   M_t  = M_t - (1 - mu) P R^T                         (error feedback)
--   Q_t  = R with column j divided by (||R_j||_2 + eps) (column normalisation)
--   X_t  = (1 - lambda lr) X_{t-1}
--   X_t  = X_t - lr sqrt(d_out / d_in) P Q_t^T
-- The scale has no max(1, .) (unlike Muon's sqrt(max(1, out/in))).
-- Options beyond dion_simple.py (dion.py's): qr = "rcholesky" (randomised Cholesky-QR, sketch
-- N(0, 1/k), k = ceil(1.25 r / 128) 128, when P is tall, m > r; otherwise Householder as dion.py),
-- transpose = true (a wide matrix, m < n, is handled as X^T: M, P, Q, R of the transpose; the
-- scale stays sqrt(d_out / d_in) of the stored shape).
-- Defaults (the code's): lr 0.01, mu 0.95, weight_decay 0.01, rank_fraction 1, eps 1e-8,
-- qr "householder" (dion_simple.py), transpose false (dion_simple.py); seed 0 (ours) for Q_0.
-- The QR result allocates per step (ml.qr returns new matrices); the products use buffers.
local ml = require "muonlab"
local nn = ml.nn
local base = require "muonlab.optim.base"
local options = require "muonlab.options"

local Dion = {
  name = "dion",
  fixed = { rank = true, rank_fraction = true, seed = true, transpose = true },
  spec = {
    lr = { 0.01, "nonneg", "learning rate" },
    mu = { 0.95, "unit", "error-feedback decay: M -= (1 - mu) P R^T" },
    weight_decay = { 0.01, "nonneg", "decoupled weight decay lambda (times lr)" },
    rank = { nil, options.int(1), "rank r (an integer); overrides rank_fraction", show = "rank_fraction min(m, n)" },
    rank_fraction = { 1, options.num(0, 1, true), "r = ceil(rank_fraction min(m, n)) when rank is not given" },
    eps = { 1e-8, "nonneg", "column normalisation: R_j / (||R_j|| + eps)" },
    qr = { "householder", { "householder", "rcholesky" }, "orthonormalisation of P" },
    oversample = { 1.25, options.num(1), "sketch size factor of qr = \"rcholesky\"" },
    transpose = { false, "boolean", "work on X^T for wide matrices (dion.py)" },
    seed = { 0, "integer", "seed of Q_0 = randn(n, r) (parameter i uses seed + i - 1)" },
  },
}

-- the working shape (transposed for a wide matrix with transpose = true) and the rank
function Dion:geometry(p)
  local m, n = p:rows(), p:cols()
  local tr = self.hp.transpose and m < n
  if tr then m, n = n, m end
  local k = math.min(m, n)
  local r = self.hp.rank and math.min(self.hp.rank, k) or math.min(k, math.ceil(self.hp.rank_fraction * k))
  return m, n, r, tr
end

function Dion:init_state(i, p)
  local m, n, r = self:geometry(p)
  local dt = { dtype = p:dtype() }
  -- Q_0 = randn(n, r), unnormalised
  return { M = ml.zeros(m, n, dt), Q = ml.randn(n, r, { seed = self.hp.seed + i - 1, dtype = p:dtype() }) }
end

function Dion:update(params, grads)
  local hp = self.hp
  for i = 1, #params do
    local X, st = params[i], self.state[i]
    local m, n, r, tr = self:geometry(X)
    local dt = { dtype = X:dtype() }
    local w = base.work(self, i)
    if not w.P then
      w.P, w.R, w.D = ml.zeros(m, r, dt), ml.zeros(n, r, dt), ml.zeros(X:rows(), X:cols(), dt)
      w.cn = ml.zeros(1, r, dt)
    end
    local M, Q = st.M, st.Q
    -- M_t = M_{t-1} + G_t   (G^T when transposed)
    if tr then M:add_(grads[i]:t()) else M:add_(grads[i]) end
    -- P = M Q
    nn.gemm(w.P, M, Q)
    -- P = orth(P)
    local method = (hp.qr == "rcholesky" and m > r) and "rcholesky" or "householder"
    -- (the sketch of rcholesky is seeded by the step and the parameter index: reproducible runs)
    local P = ml.qr(w.P, method == "rcholesky" and { method = method, oversample = hp.oversample, seed = self.t * 1000003 + i } or nil)
    -- R = M^T P
    nn.gemm(w.R, M, P, true)
    -- M = M - (1 - mu) P R^T
    nn.gemm(M, P, w.R, false, true, -(1 - hp.mu), 1)
    -- Q_t = R with columns divided by (||R_j|| + eps)
    w.R:col_sumsq(w.cn)
    w.cn:sqrt_():pow_(-1, hp.eps)
    Q:copy_(w.R):scale_cols_(w.cn)
    -- X = (1 - lambda lr) X - lr sqrt(d_out / d_in) P Q^T   (the stored shape's d_out/d_in)
    if tr then nn.gemm(w.D, Q, P, false, true) else nn.gemm(w.D, P, Q, false, true) end
    X:axpby_(1 - hp.weight_decay * hp.lr, X, -hp.lr * math.sqrt(X:rows() / X:cols()), w.D)
  end
end

return base.class(Dion)

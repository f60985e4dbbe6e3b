-- Ill-conditioned linear least squares with a matrix parameter (so Muon applies):
--
--   f(W) = 1/(2n) ||A W - B||_F^2,   A: n x d,  W: d x m,  B = A W_true + noise * N(0, 1)
--
--   local p = ml.models.least_squares{n = 256, d = 64, m = 32, cond = 1e3, noise = 0.1, seed = 1}
--   local loss, grads = p:loss_grad()          -- full batch; params() = {W}
--   print(loss - p.f_star)                     -- suboptimality
--
-- A = sqrt(n) U diag(s) V^T (ml.spectrum, `kind` geometric by default) with s from 1 down to
-- 1/cond, so the Hessian A^T A / n has eigenvalues s^2 in [1/cond^2, 1]: smoothness 1,
-- condition number cond^2. W_true ~ N(0, 1/d); W starts at 0 (or N(0, init^2/d) when init > 0).
--
-- Forward / backward:   R = A W - B,  f = ||R||^2 / (2n);   df/dW = A^T R / n.
-- Optimum (closed form): with the thin SVD A = U S V^T, the residual of the least-squares
-- solution is (I - U U^T) B, so f* = ||B - U (U^T B)||^2 / (2n), W* = V S^-1 U^T B.
local core = require "muonlab.core"
local common = require "muonlab.models.common"
local nn = core.nn

local LS = common.class("least_squares")

local allowed = { n = true, d = true, m = true, cond = true, noise = true, kind = true, seed = true, dtype = true, init = true }

local function new(opts)
  local fname = "least_squares"
  opts = common.check_opts(fname, opts, allowed)
  local self = common.new_model(LS, fname)
  local n = common.int(fname, opts, "n", 256, 1)
  local d = common.int(fname, opts, "d", 64, 1)
  local m = common.int(fname, opts, "m", 32, 1)
  if n < d then error(("bad argument #1 to 'least_squares' (need n >= d for a full-rank A, got n = %d, d = %d)"):format(n, d), 2) end
  self.n, self.d, self.m = n, d, m
  self.cond = common.num(fname, opts, "cond", 1e3, 1)
  self.noise = common.num(fname, opts, "noise", 0.1, 0)
  self.seed = common.int(fname, opts, "seed", 1)
  self.dtype = common.dtype(fname, opts)
  local kind = common.choice(fname, opts, "kind", "geometric", { "geometric", "linear", "clustered" })
  local init = common.num(fname, opts, "init", 0, 0)
  -- the problem data in float64 (the optimum is computed from them), then in the model's dtype
  local A64 = core.spectrum(n, d, { kind = kind, cond = self.cond, seed = self.seed, scale = math.sqrt(n) })
  self.W_true = core.randn(d, m, { seed = self.seed + 1, std = 1 / math.sqrt(d) })
  local B64 = core.matmul(A64, self.W_true)
  if self.noise > 0 then B64:add_(core.randn(n, m, { seed = self.seed + 2 }), self.noise) end
  -- f* and W* from the SVD of A (float64)
  local U, s, V = core.svd(A64)
  local UtB = core.matmul(U, B64, { ta = true })
  local R = B64 - core.matmul(U, UtB)
  self.f_star = core.dot(R, R) / (2 * n)
  for i = 1, d do
    local si = s:get(i, 1)
    for j = 1, m do UtB:set(i, j, UtB:get(i, j) / si) end
  end
  self.W_star = core.matmul(V, UtB)
  self.A, self.B = A64:astype(self.dtype), B64:astype(self.dtype)
  self.W = init > 0 and core.randn(d, m, { seed = self.seed + 3, std = init / math.sqrt(d), dtype = self.dtype })
    or core.zeros(d, m, { dtype = self.dtype })
  self:_add("W", "matrix", self.W)
  self.R = core.zeros(n, m, { dtype = self.dtype })
  return self
end

-- R = A W - B; f = ||R||^2 / 2n
function LS:_residual()
  self.R:copy_(self.B)
  nn.gemm(self.R, self.A, self.W, false, false, 1, -1)
  return core.dot(self.R, self.R) / (2 * self.n)
end

function LS:loss() return self:_residual() end

function LS:loss_grad()
  local f = self:_residual()
  nn.gemm(self._grads[1], self.A, self.R, true, false, 1 / self.n, 0)   -- df/dW = A^T R / n
  return f, self._grads
end

-- The minimum value f* (closed form) and the minimiser W* (float64).
function LS:optimum() return self.f_star, self.W_star end

return new

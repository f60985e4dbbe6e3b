-- Ill-conditioned linear least squares with a matrix parameter (so Muon applies):
--
--   f(W) = 1/(2n) ||A W^T - B||_F^2,   A: n x d,  W: m x d (out x in, as every model and
--                                      optimizer has it),  B = A W_true^T + noise * N(0, 1)
--
--   local p = ml.models.least_squares{n = 256, d = 64, m = 32, cond = 1e3, noise = 0.1, seed = 1}
--   local loss, grads = p:loss_grad()          -- full batch; params() = {W}
--   print(loss - p.f_star)                     -- suboptimality
--
-- A = sqrt(n) U diag(s) V^T (ml.spectrum, `kind` geometric by default) with s from 1 down to
-- 1/cond, so the Hessian A^T A / n has eigenvalues s^2 in [1/cond^2, 1]: smoothness 1,
-- condition number cond^2. W_true ~ N(0, 1/d); W starts at 0 (or N(0, init^2/d) when init > 0).
--
-- Forward / backward:   R = A W^T - B,  f = ||R||^2 / (2n);   df/dW = R^T A / n  (m x d).
-- Optimum (closed form): with the thin SVD A = U S V^T, the residual of the least-squares
-- solution is (I - U U^T) B, so f* = ||B - U (U^T B)||^2 / (2n), W* = (V S^-1 U^T B)^T.
local core = require "muonlab.core"
local common = require "muonlab.models.common"
local options = require "muonlab.options"
local nn = core.nn

local LS = common.class("least_squares")

local SCHEMA = options.register("least_squares", {
  n = { 256, options.int(1), "rows of A (samples), n >= d" },
  d = { 64, options.int(1), "columns of A (inputs): W is m x d" },
  m = { 32, options.int(1), "outputs: rows of W and columns of B" },
  cond = { 1e3, options.num(1), "condition number of A (the Hessian's is cond^2)" },
  noise = { 0.1, options.num(0), "standard deviation of the noise added to B" },
  kind = { "geometric", { "geometric", "linear", "clustered" }, "singular-value profile of A (ml.spectrum kind)" },
  seed = { 1, options.int(), "seed of A, W_true, the noise and the initial W" },
  init = { 0, options.num(0), "initial W ~ N(0, init^2/d) (0: W starts at 0)" },
  dtype = common.DTYPE,
})

local function new(opts)
  local o = options.check("least_squares", opts, SCHEMA)
  local self = common.new_model(LS, "least_squares")
  local n, d, m = o.n, o.d, o.m
  if n < d then options.fail("least_squares", 1, ("option 'n': n >= d expected for a full-rank A, got n = %d, d = %d"):format(n, d), 2) end
  self.n, self.d, self.m = n, d, m
  self.cond, self.noise, self.seed, self.dtype = o.cond, o.noise, o.seed, o.dtype
  local kind, init = o.kind, o.init
  -- the problem data in float64 (the optimum is computed from them), then in the model's dtype
  local A64 = core.spectrum(n, d, { kind = kind, cond = self.cond, seed = self.seed, scale = math.sqrt(n) })
  local Wt_true = core.randn(d, m, { seed = self.seed + 1, std = 1 / math.sqrt(d) })   -- W_true^T
  self.W_true = Wt_true:t()
  local B64 = core.matmul(A64, Wt_true)
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
  self.W_star = core.matmul(V, UtB):t()
  self.A, self.B = A64:astype(self.dtype), B64:astype(self.dtype)
  self.W = init > 0 and core.randn(d, m, { seed = self.seed + 3, std = init / math.sqrt(d), dtype = self.dtype }):t()
    or core.zeros(m, d, { dtype = self.dtype })
  self:_add("W", "matrix", self.W)
  self.R = core.zeros(n, m, { dtype = self.dtype })
  return self
end

-- R = A W^T - B; f = ||R||^2 / 2n
function LS:_residual()
  self.R:copy_(self.B)
  nn.gemm(self.R, self.A, self.W, false, true, 1, -1)
  return core.dot(self.R, self.R) / (2 * self.n)
end

function LS:loss() return self:_residual() end

function LS:loss_grad()
  local f = self:_residual()
  nn.gemm(self._grads[1], self.R, self.A, true, false, 1 / self.n, 0)   -- df/dW = R^T A / n
  return f, self._grads
end

-- The minimum value f* (closed form) and the minimiser W* (m x d, float64).
function LS:optimum() return self.f_star, self.W_star end

return new

-- Low-rank recovery of M* = U* V*^T (m x n, rank r) with factors U (m x k), V (n x k):
--
-- (a) full observation (matrix factorisation):
--       f(U, V) = 1/2 ||U V^T - M*||_F^2
--       R = U V^T - M*;   df/dU = R V,   df/dV = R^T U
-- (b) matrix sensing from p linear measurements y_i = <A_i, M*>, A_i with i.i.d. N(0, 1)
--     entries (Recht, Fazel & Parrilo 2010):
--       f(U, V) = 1/(2p) sum_i (<A_i, U V^T> - y_i)^2
--     With the A_i as the rows of a p x mn matrix Acal and x = vec(U V^T) (row-major):
--       r = Acal x - y;   G = reshape(Acal^T r / p, m, n);   df/dU = G V,   df/dV = G^T U
--     E[(1/p) sum <A_i, X>^2] = ||X||_F^2, so (b) approximates (a) once p >> r (m + n).
--
--   local p = ml.models.lowrank{m = 30, n = 20, rank = 3, seed = 1}                 -- (a)
--   local p = ml.models.sensing{m = 20, n = 15, rank = 2, measurements = 280}       -- (b)
--   local loss, grads = p:loss_grad()      -- params() = {U, V}; f* = 0 when k >= rank
--
-- M* has singular values geometric from 1 down to 1/cond (the first `rank`) and 0 after:
-- ml.spectrum kind "list". U, V start at N(0, init^2) entries (default init 0.1; U = V = 0
-- is a saddle point where every gradient vanishes). p:recovery_error() = ||U V^T - M*||_F / ||M*||_F.
local core = require "muonlab.core"
local common = require "muonlab.models.common"
local options = require "muonlab.options"
local nn = core.nn

local LowRank = common.class("lowrank")

local function schema(m, n, rank, extra)
  local t = {
    m = { m, options.int(1), "rows of M* and of U" },
    n = { n, options.int(1), "columns of M*, rows of V" },
    rank = { rank, options.int(1), "rank r of M* (<= min(m, n))" },
    k = { nil, options.int(1), "columns of the factors U, V", show = "rank" },
    cond = { 10, options.num(1), "ratio of M*'s largest to smallest nonzero singular value" },
    init = { 0.1, options.num(0, nil, true), "U, V start at N(0, init^2) entries" },
    seed = { 1, options.int(), "seed of M*, U, V (and the A_i)" },
    dtype = common.DTYPE,
  }
  for k, v in pairs(extra or {}) do t[k] = v end
  return t
end
local SCHEMAS = {
  lowrank = options.register("lowrank", schema(30, 20, 3)),
  sensing = options.register("sensing", schema(20, 15, 2, {
    measurements = { nil, options.int(1), "number p of measurements y_i = <A_i, M*>", show = "4 rank (m + n)" },
  })),
}

local function setup(fname, opts)
  local o = options.check(fname, opts, SCHEMAS[fname], 1, 3)
  local self = common.new_model(LowRank, fname)
  self.m, self.n, self.rank = o.m, o.n, o.rank
  if self.rank > math.min(self.m, self.n) then
    options.fail(fname, 1, ("option 'rank': at most min(m, n) = %d expected, got %d"):format(math.min(self.m, self.n), self.rank), 3)
  end
  self.k = o.k or self.rank
  self.cond, self.init, self.seed, self.dtype = o.cond, o.init, o.seed, o.dtype
  local q, s = math.min(self.m, self.n), {}
  for i = 1, q do
    s[i] = i > self.rank and 0 or (self.rank == 1 and 1 or self.cond ^ (-(i - 1) / (self.rank - 1)))
  end
  self.M_star = core.spectrum(self.m, self.n, { kind = "list", values = s, seed = self.seed, dtype = self.dtype })
  self.U = core.randn(self.m, self.k, { seed = self.seed + 1, std = self.init, dtype = self.dtype })
  self.V = core.randn(self.n, self.k, { seed = self.seed + 2, std = self.init, dtype = self.dtype })
  self:_add("U", "matrix", self.U)
  self:_add("V", "matrix", self.V)
  self.f_star = 0
  self.X = core.zeros(self.m, self.n, { dtype = self.dtype })   -- U V^T, then the residual
  return self, o
end

local function lowrank(opts)
  local self = setup("lowrank", opts)
  self.sensing = false
  return self
end

local function sensing(opts)
  local self
  local o
  self, o = setup("sensing", opts)
  local mn = self.m * self.n
  self.p = o.measurements or 4 * self.rank * (self.m + self.n)
  self.sensing = true
  self.Acal = core.randn(self.p, mn, { seed = self.seed + 3, dtype = self.dtype })
  self.y = core.zeros(self.p, 1, { dtype = self.dtype })
  nn.gemm(self.y, self.Acal, self.M_star:reshape(mn, 1))          -- y_i = <A_i, M*>
  self.r = core.zeros(self.p, 1, { dtype = self.dtype })
  self.G = core.zeros(self.m, self.n, { dtype = self.dtype })
  self.x = self.X:reshape(mn, 1)    -- views sharing storage with X and G
  self.g = self.G:reshape(mn, 1)
  return self
end

-- The loss at the current U, V; leaves R = U V^T - M* in X (factorisation) or r = Acal x - y.
function LowRank:_forward()
  nn.gemm(self.X, self.U, self.V, false, true)                    -- X = U V^T
  if not self.sensing then
    self.X:add_(self.M_star, -1)                                   -- R = U V^T - M*
    return 0.5 * core.dot(self.X, self.X)
  end
  self.r:copy_(self.y)
  nn.gemm(self.r, self.Acal, self.x, false, false, 1, -1)         -- r = Acal vec(U V^T) - y
  return 0.5 * core.dot(self.r, self.r) / self.p
end

function LowRank:loss() return self:_forward() end

function LowRank:loss_grad()
  local f = self:_forward()
  local G = self.X
  if self.sensing then
    nn.gemm(self.g, self.Acal, self.r, true, false, 1 / self.p, 0)   -- G = reshape(Acal^T r / p)
    G = self.G
  end
  nn.gemm(self._grads[1], G, self.V)                               -- df/dU = G V
  nn.gemm(self._grads[2], G, self.U, true, false)                  -- df/dV = G^T U
  return f, self._grads
end

function LowRank:optimum() return 0, self.M_star end

-- ||U V^T - M*||_F / ||M*||_F
function LowRank:recovery_error()
  nn.gemm(self.X, self.U, self.V, false, true)
  self.X:add_(self.M_star, -1)
  return core.norm(self.X) / core.norm(self.M_star)
end

return { lowrank = lowrank, sensing = sensing }

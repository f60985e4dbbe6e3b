-- MLP classifier: Linear -> act -> ... -> Linear -> softmax cross-entropy, on minibatches.
--
--   local model = ml.models.mlp{sizes = {784, 256, 10}, act = "relu", seed = 1, dtype = "float32"}
--   local loss, grads = model:loss_grad(X, y)   -- X: B x 784, y: B labels in 0..9
--   local loss, acc = model:evaluate(Xtest, ytest)
--
-- Layout: a minibatch is B x n (one example per row). Layer l has W_l (out x in) and a bias
-- b_l (1 x out); params() = {W_1, b_1, ..., W_L, b_L}. Kinds: the hidden weights W_1..W_{L-1}
-- are "matrix", W_L is "head", the biases "bias".
--
-- Forward and backward, per layer (A_0 = X, Z_l pre-activations, A_l = act(Z_l)):
--   Z_l = A_{l-1} W_l^T + 1 b_l            dW_l = dZ_l^T A_{l-1},  db_l = 1^T dZ_l,  dA_{l-1} = dZ_l W_l
--   A_l = act(Z_l)                          dZ_l = dA_l .* act'(Z_l)
--   loss = mean_i CE(softmax(Z_L[i,:]), y_i) dZ_L = (softmax(Z_L) - onehot(y)) / B
-- Initialisation: W_l ~ N(0, gain^2 / in) with gain sqrt(2) before a ReLU/GELU (He et al. 2015)
-- and 1 for the head; biases 0.
local core = require "muonlab.core"
local common = require "muonlab.models.common"
local options = require "muonlab.options"
local nn = core.nn

local MLP = common.class("mlp")

local SIZES = options.kind("table", "a list of at least 2 positive integer layer widths, e.g. {784, 256, 10}", function(v)
  if #v < 2 then return false end
  for _, n in ipairs(v) do
    if math.type(n) ~= "integer" and not (type(n) == "number" and n == math.floor(n)) or n < 1 then return false end
  end
  return true
end)

local SCHEMA = {
  sizes = { nil, SIZES, "layer widths {inputs, hidden..., classes}", required = true },
  act = { "relu", { "relu", "gelu" }, "hidden activation" },
  seed = { 1, options.int(), "initialisation seed" },
  dtype = common.DTYPE,
}
options.register("mlp", SCHEMA)

local act_fns = {
  relu = { nn.relu_forward, nn.relu_backward },
  gelu = { nn.gelu_forward, nn.gelu_backward },
}

local function new(opts)
  local o = options.check("mlp", opts, SCHEMA)
  local self = common.new_model(MLP, "mlp")
  self.sizes = {}
  for i, s in ipairs(o.sizes) do self.sizes[i] = math.tointeger(s) end
  self.act, self.seed, self.dtype = o.act, o.seed, o.dtype
  self.L = #self.sizes - 1
  self.W, self.b = {}, {}
  for l = 1, self.L do
    local fan_in, fan_out = self.sizes[l], self.sizes[l + 1]
    local gain = l < self.L and math.sqrt(2) or 1
    self.W[l] = core.randn(fan_out, fan_in, { seed = self.seed * 1000 + l, std = gain / math.sqrt(fan_in), dtype = self.dtype })
    self.b[l] = core.zeros(1, fan_out, { dtype = self.dtype })
    self:_add("W" .. l, l < self.L and "matrix" or "head", self.W[l])
    self:_add("b" .. l, "bias", self.b[l])
  end
  self.dW, self.db = {}, {}
  for l = 1, self.L do
    self.dW[l], self.db[l] = self._grads[2 * l - 1], self._grads[2 * l]
  end
  self.act_forward, self.act_backward = act_fns[self.act][1], act_fns[self.act][2]
  self._cache = {}
  return self
end

function MLP:_buffers(B)
  local cached = self._cache[B]
  if cached then return cached end
  return common.buffers(self._cache, B, function()
    local buf = { Z = {}, A = {}, dZ = {}, dA = {} }
    for l = 1, self.L do
      local n = self.sizes[l + 1]
      buf.Z[l] = core.zeros(B, n, { dtype = self.dtype })
      buf.dZ[l] = core.zeros(B, n, { dtype = self.dtype })
      if l < self.L then
        buf.A[l] = core.zeros(B, n, { dtype = self.dtype })
        buf.dA[l] = core.zeros(B, n, { dtype = self.dtype })
      end
    end
    return buf
  end)
end

-- (errors at the line that called the model method: check_* -> _check -> method -> user)
function MLP:_check(fname, X, y)
  common.check_matrix(fname, 1, X, self.sizes[1], self.dtype, "inputs", 3)
  if y ~= nil or fname ~= "forward" then common.check_labels(fname, 2, y, X:rows(), 3) end
end

-- Logits (B x classes) of X, in a buffer the next call with the same batch size overwrites.
function MLP:forward(X)
  self:_check("forward", X)
  return self:_forward(X, self:_buffers(X:rows()))
end

function MLP:_forward(X, buf)
  local A = X
  for l = 1, self.L do
    nn.linear_forward(buf.Z[l], A, self.W[l], self.b[l])         -- Z_l = A_{l-1} W_l^T + b_l
    if l < self.L then
      self.act_forward(buf.A[l], buf.Z[l])                         -- A_l = act(Z_l)
      A = buf.A[l]
    end
  end
  return buf.Z[self.L]
end

-- loss, grads, number correct: mean cross-entropy over the batch and its gradient.
function MLP:loss_grad(X, y)
  self:_check("loss_grad", X, y)
  local buf = self:_buffers(X:rows())
  local logits = self:_forward(X, buf)
  local L = self.L
  local loss, correct = nn.softmax_ce(logits, y, buf.dZ[L])      -- dZ_L = (softmax - onehot) / B
  for l = L, 1, -1 do
    local input = l > 1 and buf.A[l - 1] or X
    -- dW_l = dZ_l^T A_{l-1}, db_l = 1^T dZ_l, dA_{l-1} = dZ_l W_l (not needed for l = 1)
    nn.linear_backward(l > 1 and buf.dA[l - 1] or nil, self.dW[l], self.db[l], buf.dZ[l], input, self.W[l])
    if l > 1 then self.act_backward(buf.dZ[l - 1], buf.dA[l - 1], buf.Z[l - 1]) end  -- dZ = dA .* act'(Z)
  end
  return loss, self._grads, correct
end

function MLP:loss(X, y)
  self:_check("loss", X, y)
  local loss, correct = nn.softmax_ce(self:_forward(X, self:_buffers(X:rows())), y)
  return loss, correct
end

-- Mean loss and accuracy over a whole data set, in chunks of `batch` rows (default 1000).
local EVALUATE = options.register("mlp:evaluate", { batch = { 1000, options.int(1), "rows per forward pass (memory, not the result)" } })
function MLP:evaluate(X, y, opts)
  self:_check("evaluate", X, y)
  local bs = options.check("evaluate", opts, EVALUATE, 3).batch
  local n = X:rows()
  local total, correct = 0, 0
  for i = 1, n, bs do
    local r = math.min(bs, n - i + 1)
    local Xc = r == n and X or X:view(i, 1, r, X:cols())
    local yc = r == n and y or (y:cols() == 1 and y:view(i, 1, r, 1) or y:view(1, i, 1, r))
    local l, c = nn.softmax_ce(self:_forward(Xc, self:_buffers(r)), yc)
    total = total + l * r
    correct = correct + c
  end
  return total / n, correct / n
end

return new

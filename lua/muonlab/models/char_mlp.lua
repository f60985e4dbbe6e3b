-- Character-level language model: an MLP over a context window (Bengio et al. 2003),
--
--   ids (B x T) -> E = [C[id_1], ..., C[id_T]] (B x T*d) -> H = act(E W1^T + b1) (B x h)
--               -> logits = H W2^T + b2 (B x V) -> softmax cross-entropy with the next id
--
--   local corpus = ml.data.fortunes()
--   local model = ml.models.char_mlp{vocab = corpus:vocab_size(), context = 8, embed = 16, hidden = 128}
--   corpus:batch(X, y)                         -- X: B x 8 ids, y: B next ids
--   local loss, grads = model:loss_grad(X, y)  -- loss in nats per character
--
-- params() = {C (V x d, "embedding"), W1 (h x T*d, "matrix"), b1, W2 (V x h, "head"), b2}.
-- Forward and backward:
--   E = embed(C, ids)                 dC = scatter_add(dE, ids)
--   Z = E W1^T + b1                   dW1 = dZ^T E, db1 = 1^T dZ, dE = dZ W1
--   H = act(Z)                        dZ = dH .* act'(Z)
--   S = H W2^T + b2                   dW2 = dS^T H, db2 = 1^T dS, dH = dS W2
--   loss = mean CE(softmax(S), y)     dS = (softmax(S) - onehot(y)) / B
-- Initialisation: C ~ N(0, 1); W1 ~ N(0, 2/(T d)); W2 ~ N(0, 1/h); biases 0.
local core = require "muonlab.core"
local common = require "muonlab.models.common"
local options = require "muonlab.options"
local nn = core.nn

local CharMLP = common.class("char_mlp")

local SCHEMA = options.register("char_mlp", {
  vocab = { nil, options.int(2), "vocabulary size V (corpus:vocab_size())", required = true },
  context = { 8, options.int(1), "context window T (characters)" },
  embed = { 16, options.int(1), "embedding width d" },
  hidden = { 128, options.int(1), "hidden width h" },
  act = { "gelu", { "relu", "gelu" }, "hidden activation" },
  seed = { 1, options.int(), "initialisation seed" },
  dtype = common.DTYPE,
})

local function new(opts)
  local o = options.check("char_mlp", opts, SCHEMA)
  local self = common.new_model(CharMLP, "char_mlp")
  self.V, self.T, self.d, self.h, self.act, self.seed, self.dtype = o.vocab, o.context, o.embed, o.hidden, o.act, o.seed, o.dtype
  local dt, Td = self.dtype, self.T * self.d
  self.C = core.randn(self.V, self.d, { seed = self.seed * 1000 + 1, dtype = dt })
  self.W1 = core.randn(self.h, Td, { seed = self.seed * 1000 + 2, std = math.sqrt(2 / Td), dtype = dt })
  self.b1 = core.zeros(1, self.h, { dtype = dt })
  self.W2 = core.randn(self.V, self.h, { seed = self.seed * 1000 + 3, std = 1 / math.sqrt(self.h), dtype = dt })
  self.b2 = core.zeros(1, self.V, { dtype = dt })
  self:_add("C", "embedding", self.C)
  self:_add("W1", "matrix", self.W1)
  self:_add("b1", "bias", self.b1)
  self:_add("W2", "head", self.W2)
  self:_add("b2", "bias", self.b2)
  self.act_forward = self.act == "gelu" and nn.gelu_forward or nn.relu_forward
  self.act_backward = self.act == "gelu" and nn.gelu_backward or nn.relu_backward
  self._cache = {}
  return self
end

function CharMLP:_buffers(B)
  local cached = self._cache[B]
  if cached then return cached end
  return common.buffers(self._cache, B, function()
    local z = function(c) return core.zeros(B, c, { dtype = self.dtype }) end
    return { E = z(self.T * self.d), Z = z(self.h), H = z(self.h), S = z(self.V),
             dE = z(self.T * self.d), dZ = z(self.h), dH = z(self.h), dS = z(self.V) }
  end)
end

function CharMLP:_check(fname, X, y)
  common.check_matrix(fname, 1, X, self.T, nil, "context ids", 3)
  if y ~= nil or fname ~= "forward" then common.check_labels(fname, 2, y, X:rows(), 3) end
end

function CharMLP:_forward(X, b)
  nn.embed_forward(b.E, X, self.C)                 -- E = [C[id_1], ..., C[id_T]]
  nn.linear_forward(b.Z, b.E, self.W1, self.b1)    -- Z = E W1^T + b1
  self.act_forward(b.H, b.Z)                       -- H = act(Z)
  nn.linear_forward(b.S, b.H, self.W2, self.b2)    -- S = H W2^T + b2
  return b.S
end

-- Logits (B x V) for context windows X (B x T ids), in a reused buffer.
function CharMLP:forward(X)
  self:_check("forward", X)
  return self:_forward(X, self:_buffers(X:rows()))
end

function CharMLP:loss_grad(X, y)
  self:_check("loss_grad", X, y)
  local b = self:_buffers(X:rows())
  local g = self._grads
  local loss, correct = nn.softmax_ce(self:_forward(X, b), y, b.dS)   -- dS = (softmax(S) - onehot) / B
  nn.linear_backward(b.dH, g[4], g[5], b.dS, b.H, self.W2)           -- dW2, db2, dH = dS W2
  self.act_backward(b.dZ, b.dH, b.Z)                                 -- dZ = dH .* act'(Z)
  nn.linear_backward(b.dE, g[2], g[3], b.dZ, b.E, self.W1)           -- dW1, db1, dE = dZ W1
  nn.embed_backward(g[1], b.dE, X)                                   -- dC = scatter-add of dE
  return loss, g, correct
end

function CharMLP:loss(X, y)
  self:_check("loss", X, y)
  return nn.softmax_ce(self:_forward(X, self:_buffers(X:rows())), y)
end

-- Mean loss (nats/char) and next-character accuracy over a corpus: windows starting at
-- 1, 1 + stride, ... (every position by default), in batches of `batch`; `max_windows` caps the count.
local EVALUATE = options.register("char_mlp:evaluate", {
  batch = { 512, options.int(1), "windows per forward pass (memory, not the result)" },
  stride = { 1, options.int(1), "distance between window starts" },
  max_windows = { nil, options.int(1), "cap on the number of windows", show = "all" },
})
function CharMLP:evaluate(corpus, opts)
  local o = options.check("evaluate", opts, EVALUATE, 2)
  local bs, stride = o.batch, o.stride
  if #corpus <= self.T then
    error(("bad argument #1 to 'evaluate' (a corpus of %d tokens is shorter than the context + 1)"):format(#corpus), 2)
  end
  local avail = (#corpus - self.T - 1) // stride + 1
  local nwin = math.min(avail, o.max_windows or avail)
  self._eval = self._eval or {}
  local total, correct, done = 0, 0, 0
  while done < nwin do
    local r = math.min(bs, nwin - done)
    local e = self._eval[r]
    if not e then
      e = { X = core.zeros(r, self.T), y = core.zeros(r, 1) }
      self._eval[r] = e
    end
    corpus:batch(e.X, e.y, 1 + done * stride, stride)
    local l, c = nn.softmax_ce(self:_forward(e.X, self:_buffers(r)), e.y)
    total, correct, done = total + l * r, correct + c, done + r
  end
  return total / nwin, correct / nwin
end

-- Sample n characters after `prompt` (default: a newline), softmax with `temperature`.
local SAMPLE = options.register("char_mlp:sample", {
  seed = { 1, options.int(), "sampling seed" },
  prompt = { "\n", "string", "text the sample continues", show = [["\n"]] },
  temperature = { 1, options.num(0, nil, true), "softmax temperature" },
})
function CharMLP:sample(corpus, n, opts)
  local o = options.check("sample", opts, SAMPLE, 3)
  local temp, seed = o.temperature, o.seed
  local ctx = corpus:encode(o.prompt)
  while #ctx < self.T do table.insert(ctx, 1, ctx[1]) end
  local X, P = core.zeros(1, self.T), core.zeros(1, self.V, { dtype = self.dtype })
  local u = core.rand(n, 1, { seed = seed })
  local out = {}
  for i = 1, n do
    for t = 1, self.T do X:set(1, t, ctx[#ctx - self.T + t]) end
    local S = self:forward(X)
    if temp ~= 1 then S = S * (1 / temp) end
    nn.softmax(P, S)
    local r, c, pick = u:get(i, 1), 0, self.V - 1
    for v = 1, self.V do
      c = c + P:get(1, v)
      if r < c then pick = v - 1; break end
    end
    ctx[#ctx + 1] = pick
    out[i] = pick
  end
  return corpus:decode(out)
end

return new

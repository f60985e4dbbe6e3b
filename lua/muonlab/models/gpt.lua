-- A GPT (Radford et al. 2019) in llm.c's GPT-2 layout (ROUND2.md "The GPT model"), on the C
-- kernels of core/nn.c, core/norm.c and core/attention.c.
--
--   local model = ml.models.gpt{vocab = 96, context = 64, layers = 2, heads = 4, embed = 128}
--   local loss, grads = model:loss_grad(X, Y)   -- X, Y: B x T token ids (0-based), Y = X shifted by one
--
-- Forward (N = B T rows, one per token; C = embed, H = heads, hs = C/H, L = layers):
--   x = wte[X] + wpe[0..T-1]                                     tokpos_forward
--   per block l = 1..L:
--     a = norm1(x);  qkv = a W_qkv^T + b_qkv                     W_qkv 3C x C: rows q | k | v,
--     x = x + attn(qkv) W_proj^T + b_proj                        head h: rows h hs+1..(h+1) hs of each
--     m = norm2(x);  x = x + act(m W_fc^T + b_fc) W_mproj^T + b_mproj    W_fc 4C x C, W_mproj C x 4C
--   logits = normf(x) wte^T (tie = true) or normf(x) head^T;  loss = mean cross-entropy over N
-- norm: LayerNorm (eps 1e-5, biased variance) or RMSNorm x w / sqrt(mean(x^2) + 1e-5) without bias;
-- act: GELU (tanh form) or ReLU^2; bias = false drops every linear bias. The backward runs the
-- same kernels' backward halves in reverse, with one residual-gradient buffer dx that each
-- block's norm backward adds into. Every buffer is created once per batch shape (B, T).
--
-- Initialisation (GPT-2): weights N(0, 0.02^2), the two residual projections W_proj and W_mproj
-- N(0, (0.02/sqrt(2L))^2), biases 0, norm weights 1 (and LayerNorm biases 0).
--
-- params() / param_info() order and names: wte, wpe, then per block h.<l>.ln1.w, h.<l>.ln1.b,
-- h.<l>.attn.qkv.w, h.<l>.attn.qkv.b, h.<l>.attn.proj.w, h.<l>.attn.proj.b, h.<l>.ln2.w,
-- h.<l>.ln2.b, h.<l>.mlp.fc.w, h.<l>.mlp.fc.b, h.<l>.mlp.proj.w, h.<l>.mlp.proj.b, then lnf.w,
-- lnf.b and head.w (untied only); RMSNorm has no .b of the norms, bias = false none of the linears.
local core = require "muonlab.core"
local common = require "muonlab.models.common"
local options = require "muonlab.options"
local nn = core.nn

local GPT = common.class("gpt")

local SCHEMA = options.register("gpt", {
  vocab = { 50257, options.int(1), "vocabulary size V" },
  context = { 1024, options.int(1), "longest sequence T (positions of wpe)" },
  layers = { 12, options.int(1), "transformer blocks L" },
  heads = { 12, options.int(1), "attention heads H (must divide embed)" },
  embed = { 768, options.int(1), "embedding width C" },
  seed = { 1, options.int(), "initialisation seed" },
  dtype = common.DTYPE,
  norm = { "layernorm", { "layernorm", "rmsnorm" }, "normalisation layer" },
  act = { "gelu", { "gelu", "relu2" }, "MLP activation (GELU tanh form or ReLU^2)" },
  bias = { true, "boolean", "biases in every linear layer" },
  tie = { true, "boolean", "the output head is wte (tied embeddings)" },
})

local function new(opts)
  local fname = "gpt"
  local o = options.check(fname, opts, SCHEMA)
  local self = common.new_model(GPT, fname)
  self.V, self.context, self.L, self.H, self.C = o.vocab, o.context, o.layers, o.heads, o.embed
  if self.C % self.H ~= 0 then
    options.fail("gpt", 1, ("option 'heads': a divisor of embed = %d expected, got %d"):format(self.C, self.H), 2)
  end
  self.seed, self.dtype, self.norm, self.act, self.bias, self.tie = o.seed, o.dtype, o.norm, o.act, o.bias, o.tie
  self.hs = self.C // self.H

  local dt, C, L = self.dtype, self.C, self.L
  local nseed = 0
  local function normal(r, c, std)
    nseed = nseed + 1
    return core.randn(r, c, { seed = self.seed * 1000 + nseed, std = std, dtype = dt })
  end
  local function zeros(r, c) return core.zeros(r, c, { dtype = dt }) end
  local function ones(r, c) return core.ones(r, c, { dtype = dt }) end
  local resid = 0.02 / math.sqrt(2 * L)
  local layernorm = self.norm == "layernorm"
  -- add(name, kind, matrix[, extra fields of param_info]) -> the matrix and its gradient buffer
  local function add(name, kind, p, extra)
    local k = self:_add(name, kind, p)
    for key, v in pairs(extra or {}) do self._info[k][key] = v end
    return p, self._grads[k]
  end
  -- A norm's weight (and LayerNorm's bias) as fields <key>w, <key>b of p, gradients of g.
  local function norm(p, g, key, name)
    p[key .. "w"], g[key .. "w"] = add(name .. ".w", "norm", ones(1, C))
    if layernorm then p[key .. "b"], g[key .. "b"] = add(name .. ".b", "norm", zeros(1, C)) end
  end
  -- A linear layer's weight (out x in) and bias, the same way.
  local function linear(p, g, key, name, rows, cols, std, extra)
    p[key .. "w"], g[key .. "w"] = add(name .. ".w", "matrix", normal(rows, cols, std), extra)
    if self.bias then p[key .. "b"], g[key .. "b"] = add(name .. ".b", "bias", zeros(1, rows), extra) end
  end

  self.g = {}
  self.wte, self.g.wte = add("wte", "embedding", normal(self.V, C, 0.02), self.tie and { tied = true } or nil)
  self.wpe, self.g.wpe = add("wpe", "embedding", normal(self.context, C, 0.02))
  self.blocks = {}
  for l = 1, L do
    local p, h = { g = {} }, ("h.%d."):format(l)
    local attn = { heads = self.H, layer = l }
    norm(p, p.g, "ln1", h .. "ln1")
    linear(p, p.g, "qkv", h .. "attn.qkv", 3 * C, C, 0.02, attn)
    linear(p, p.g, "proj", h .. "attn.proj", C, C, resid, attn)
    norm(p, p.g, "ln2", h .. "ln2")
    linear(p, p.g, "fc", h .. "mlp.fc", 4 * C, C, 0.02)
    linear(p, p.g, "mproj", h .. "mlp.proj", C, 4 * C, resid)
    self.blocks[l] = p
  end
  norm(self, self.g, "lnf", "lnf")
  if self.tie then
    self.head, self.g.head = self.wte, self.g.wte
  else
    self.head, self.g.head = add("head.w", "head", normal(self.V, C, 0.02))
  end

  if layernorm then
    self.norm_forward, self.norm_backward = nn.layernorm_forward, nn.layernorm_backward
  else
    -- same argument lists as LayerNorm's, the bias (and its gradient) left out
    self.norm_forward = function(Y, st, X, w) return nn.rmsnorm_forward(Y, st, X, w) end
    self.norm_backward = function(dX, dw, _, dY, X, w, st, acc) return nn.rmsnorm_backward(dX, dw, dY, X, w, st, acc) end
  end
  self.act_forward = self.act == "gelu" and nn.gelu_forward or nn.relu2_forward
  self.act_backward = self.act == "gelu" and nn.gelu_backward or nn.relu2_backward

  self.maxlog = core.zeros(L, self.H)
  self.maxlog:fill(-math.huge)
  self._maxlog_rows = {}
  for l = 1, L do self._maxlog_rows[l] = self.maxlog:view(l, 1, 1, self.H) end
  self._cache = {}
  return self
end

-- Activations and gradients of one batch shape B x T, created on first use.
function GPT:_buffers(B, T)
  local byB = self._cache[T]
  if not byB then
    byB = {}
    self._cache[T] = byB
  end
  return common.buffers(byB, B, function()
    local N, C, V, H = B * T, self.C, self.V, self.H
    local z = function(r, c) return core.zeros(r, c, { dtype = self.dtype }) end
    local stats = function() return core.zeros(N, 2) end
    local b = { B = B, T = T, x0 = z(N, C), lnf = z(N, C), stf = stats(), logits = z(N, V), layers = {} }
    for l = 1, self.L do
      b.layers[l] = { ln1 = z(N, C), st1 = stats(), qkv = z(N, 3 * C), P = z(B * H * T, T), att = z(N, C),
        res1 = z(N, C), ln2 = z(N, C), st2 = stats(), fc = z(N, 4 * C), fca = z(N, 4 * C), res2 = z(N, C) }
      -- GELU keeps tanh(u) for its backward (which then needs no exp); ReLU^2 ignores it
      b.layers[l].th = self.act == "gelu" and z(N, 4 * C) or nil
    end
    return b
  end)
end

-- Gradient work space, shared by every block (the backward visits one block at a time).
function GPT:_grad_buffers(b)
  if not b.dx then
    local N, C = b.B * b.T, self.C
    local z = function(r, c) return core.zeros(r, c, { dtype = self.dtype }) end
    b.dlogits, b.dx, b.dln, b.datt = z(N, self.V), z(N, C), z(N, C), z(N, C)
    b.dqkv, b.dP, b.dh = z(N, 3 * C), z(b.B * self.H * b.T, b.T), z(N, 4 * C)
  end
  return b
end

-- Shapes of X (and Y); T <= context. Errors name the caller (level 3: the user's call).
function GPT:_check(fname, X, Y)
  common.check_matrix(fname, 1, X, nil, nil, "token ids", 3)
  if X:cols() > self.context then
    error(("bad argument #1 to '%s' (%d positions exceed the model's context = %d)")
      :format(fname, X:cols(), self.context), 3)
  end
  if Y ~= nil then
    common.check_matrix(fname, 2, Y, nil, nil, "next-token ids", 3)
    if Y:rows() ~= X:rows() or Y:cols() ~= X:cols() then
      error(("bad argument #2 to '%s' (next-token ids must be %d x %d like the inputs, got %d x %d)")
        :format(fname, X:rows(), X:cols(), Y:rows(), Y:cols()), 3)
    end
  end
end

-- A kernel's complaint about ids as an argument error of the model method.
local function id_error(fname, argn, msg)
  error(("bad argument #%d to '%s' (%s)"):format(argn, fname, tostring(msg):gsub("^nn%.[%w_]+: ", "")), 3)
end

function GPT:_forward(fname, X, b)
  local ok, msg = pcall(nn.tokpos_forward, b.x0, X, self.wte, self.wpe)   -- x = wte[X] + wpe
  if not ok then id_error(fname, 1, msg) end
  local x, B, H = b.x0, b.B, self.H
  local norm, act = self.norm_forward, self.act_forward
  for l, p in ipairs(self.blocks) do
    local s = b.layers[l]
    norm(s.ln1, s.st1, x, p.ln1w, p.ln1b)                        -- a = norm1(x)
    nn.linear_forward(s.qkv, s.ln1, p.qkvw, p.qkvb)              -- qkv = a W_qkv^T + b_qkv
    nn.attention_forward(s.att, s.P, self._maxlog_rows[l], s.qkv, B, H)
    s.res1:copy_(x)                                              -- x += att W_proj^T + b_proj
    nn.gemm(s.res1, s.att, p.projw, false, true, 1, 1)
    if p.projb then nn.bias_add(s.res1, p.projb) end
    norm(s.ln2, s.st2, s.res1, p.ln2w, p.ln2b)                   -- m = norm2(x)
    nn.linear_forward(s.fc, s.ln2, p.fcw, p.fcb)                 -- f = m W_fc^T + b_fc
    act(s.fca, s.fc, s.th)                                       -- act(f)
    s.res2:copy_(s.res1)                                         -- x += act(f) W_mproj^T + b_mproj
    nn.gemm(s.res2, s.fca, p.mprojw, false, true, 1, 1)
    if p.mprojb then nn.bias_add(s.res2, p.mprojb) end
    x = s.res2
  end
  norm(b.lnf, b.stf, x, self.lnfw, self.lnfb)                    -- normf(x)
  nn.linear_forward(b.logits, b.lnf, self.head, nil)             -- logits = normf(x) head^T
  return b.logits, x
end

local function cross_entropy(fname, logits, Y, dlogits)
  local ok, loss, correct = pcall(nn.softmax_ce, logits, Y, dlogits)
  if not ok then id_error(fname, 2, loss) end
  return loss, correct
end

-- Logits ((B T) x V, row b T + t) of the windows X (B x T); a buffer the next call overwrites.
function GPT:forward(X)
  self:_check("forward", X)
  return (self:_forward("forward", X, self:_buffers(X:rows(), X:cols())))
end

function GPT:loss_grad(X, Y)
  local fname = "loss_grad"
  self:_check(fname, X, Y)
  local b = self:_grad_buffers(self:_buffers(X:rows(), X:cols()))
  local logits, xL = self:_forward(fname, X, b)
  local loss = cross_entropy(fname, logits, Y, b.dlogits)       -- dlogits = (softmax - onehot) / N
  local g, B, H = self.g, b.B, self.H
  local normb, actb = self.norm_backward, self.act_backward
  nn.linear_backward(b.dln, g.head, nil, b.dlogits, b.lnf, self.head)   -- d head (or d wte), d normf(x)
  normb(b.dx, g.lnfw, g.lnfb, b.dln, xL, self.lnfw, b.stf)              -- dx = normf'(x) d normf(x)
  for l = self.L, 1, -1 do
    local p, s, pg = self.blocks[l], b.layers[l], self.blocks[l].g
    local xin = l == 1 and b.x0 or b.layers[l - 1].res2
    nn.linear_backward(b.dh, pg.mprojw, pg.mprojb, b.dx, s.fca, p.mprojw)   -- d act(f) = dx W_mproj
    actb(b.dh, b.dh, s.fc, s.th)                                            -- df = d act(f) .* act'(f)
    nn.linear_backward(b.dln, pg.fcw, pg.fcb, b.dh, s.ln2, p.fcw)           -- dm = df W_fc
    normb(b.dx, pg.ln2w, pg.ln2b, b.dln, s.res1, p.ln2w, s.st2, true)       -- dx += norm2'(x) dm
    nn.linear_backward(b.datt, pg.projw, pg.projb, b.dx, s.att, p.projw)    -- d att = dx W_proj
    nn.attention_backward(b.dqkv, b.dP, b.datt, s.P, s.qkv, B, H)
    nn.linear_backward(b.dln, pg.qkvw, pg.qkvb, b.dqkv, s.ln1, p.qkvw)      -- da = dqkv W_qkv
    normb(b.dx, pg.ln1w, pg.ln1b, b.dln, xin, p.ln1w, s.st1, true)          -- dx += norm1'(x) da
  end
  nn.tokpos_backward(g.wte, g.wpe, b.dx, X, self.tie)   -- scatter-add; adds to the head's part when tied
  return loss, self._grads
end

-- Mean cross-entropy (nats per token) and next-token accuracy of X -> Y, without gradients.
function GPT:evaluate(X, Y)
  local fname = "evaluate"
  self:_check(fname, X, Y)
  local loss, correct = cross_entropy(fname, self:_forward(fname, X, self:_buffers(X:rows(), X:cols())), Y)
  return loss, correct / (X:rows() * X:cols())
end

function GPT:loss(X, Y)
  self:_check("loss", X, Y)
  return (cross_entropy("loss", self:_forward("loss", X, self:_buffers(X:rows(), X:cols())), Y))
end

-- layers x heads: max over the last forward's batch of the pre-softmax scores q.k/sqrt(hs)
-- inside the causal mask (signed). A new matrix, or written into `out` (layers x heads).
function GPT:max_logits(out)
  if out == nil then return self.maxlog:clone() end
  common.check_matrix("max_logits", 1, out, self.H, nil, "destination")
  return out:copy_(self.maxlog)
end

-- QK-Clip (Kimi K2, per head): for each head with S_max > tau (from the last forward),
-- gamma = tau / S_max and the head's rows of W_q and W_k (and of b_q, b_k) are scaled by
-- sqrt(gamma), so its logits scale by gamma; W_v is untouched. Returns the number of heads clipped.
function GPT:qk_clip(tau)
  if type(tau) ~= "number" or not (tau > 0) or tau == math.huge then
    error(("bad argument #1 to 'qk_clip' (threshold tau: positive finite number expected, got %s)"):format(tostring(tau)), 2)
  end
  local C, hs, clipped = self.C, self.hs, 0
  for l, p in ipairs(self.blocks) do
    for h = 1, self.H do
      local s = self.maxlog:get(l, h)
      if s > tau then
        local r = math.sqrt(tau / s)
        for _, r0 in ipairs { (h - 1) * hs + 1, C + (h - 1) * hs + 1 } do   -- q rows, then k rows
          p.qkvw:view(r0, 1, hs, C):scale_(r)
          if p.qkvb then p.qkvb:view(1, r0, 1, hs):scale_(r) end
        end
        clipped = clipped + 1
      end
    end
  end
  return clipped
end

-- generate(prompt, n[, {temperature = 1, seed = 1}]) -> list of n sampled token ids (0-based).
-- prompt: a non-empty list of ids (or a 1 x k matrix). Each step runs the model on the last
-- `context` tokens (padded to a power of two: causal, so the padding does not change the
-- logits read) and samples from softmax(logits / temperature); temperature 0 is greedy.
-- max_logits() keeps the values of the last training/evaluation forward.
local GENERATE = options.register("gpt:generate", {
  temperature = { 1, options.num(0), "softmax temperature (0: greedy)" },
  seed = { 1, options.int(), "sampling seed" },
})
function GPT:generate(prompt, n, opts)
  local fname = "generate"
  local ctx = {}
  if core.ismatrix(prompt) then prompt = prompt:flat() end
  if type(prompt) ~= "table" or #prompt == 0 then
    error("bad argument #1 to 'generate' (prompt: non-empty list of token ids expected)", 2)
  end
  for i, v in ipairs(prompt) do
    if math.type(v) == nil or v ~= math.floor(v) or v < 0 or v >= self.V then
      error(("bad argument #1 to 'generate' (prompt id %s at position %d is not an integer in 0..%d)")
        :format(tostring(v), i, self.V - 1), 2)
    end
    ctx[i] = math.tointeger(v)
  end
  if math.type(n) ~= "integer" or n < 0 then
    error(("bad argument #2 to 'generate' (number of tokens: integer >= 0 expected, got %s)"):format(tostring(n)), 2)
  end
  local o = options.check(fname, opts, GENERATE, 3)
  local temp = o.temperature
  local u = n > 0 and core.rand(n, 1, { seed = o.seed }) or nil
  local saved = self.maxlog:clone()
  local P, Z, idx = core.zeros(1, self.V, { dtype = self.dtype }), core.zeros(1, self.V, { dtype = self.dtype }), core.zeros(1, 1)
  local windows, out = {}, {}
  for i = 1, n do
    local t = math.min(#ctx, self.context)
    local Tw = 1
    while Tw < t do Tw = Tw * 2 end
    Tw = math.min(Tw, self.context)
    local X = windows[Tw]
    if not X then
      X = core.zeros(1, Tw)
      windows[Tw] = X
    end
    for j = 1, t do X:set(1, j, ctx[#ctx - t + j]) end
    local row = self:_forward(fname, X, self:_buffers(1, Tw)):view(t, 1, 1, self.V)
    local pick
    if temp == 0 then
      nn.argmax(idx, row)
      pick = math.tointeger(idx:get(1, 1))
    else
      Z:copy_(row)
      Z:scale_(1 / temp)
      nn.softmax(P, Z)
      local r, c = u:get(i, 1), 0
      pick = self.V - 1
      for v = 1, self.V do
        c = c + P:get(1, v)
        if r < c then pick = v - 1; break end
      end
    end
    ctx[#ctx + 1] = pick
    out[i] = pick
  end
  self.maxlog:copy_(saved)
  return out
end

return new

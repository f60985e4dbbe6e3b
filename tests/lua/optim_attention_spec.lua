-- Attention-aware options of the Newton-Schulz optimizers (lua/muonlab/optim/base.lua,
-- blocks.lua, muonclip.lua): `split` (per-head orthogonalization of a fused QKV matrix) and
-- `qk_clip` / MuonClip. References are plain Lua: the polar factor U Vᵀ assembled from ml.svd by
-- loops, Newton-Schulz iterations written out with loops, and the QK-Clip rule of ROUND2.md
-- (max logit per head over the causal mask; q and k rows of a head over tau scaled by √(tau/S)).
-- Tolerances: 1e-12 in float64 (a few hundred roundings of O(1) numbers); "bit for bit" where
-- the same kernels run on the same numbers.
local ml = require "muonlab"

-- ---- plain-Lua references ----------------------------------------------------------------

local function tbl(A) return A:totable() end
local function mat(t) return ml.from_table(t) end

local function matmul(a, b)   -- tables
  local n, k, m = #a, #b, #b[1]
  local c = {}
  for i = 1, n do
    c[i] = {}
    for j = 1, m do
      local s = 0
      for l = 1, k do s = s + a[i][l] * b[l][j] end
      c[i][j] = s
    end
  end
  return c
end
local function transpose(a)
  local t = {}
  for j = 1, #a[1] do t[j] = {} for i = 1, #a do t[j][i] = a[i][j] end end
  return t
end

-- polar(A) = U Vᵀ from the thin SVD (full rank here)
local function polar_ref(A)
  local U, s, V = ml.svd(A)
  local u, v = tbl(U), tbl(V)
  local k = s:rows()
  local out = {}
  for i = 1, #u do
    out[i] = {}
    for j = 1, #v do
      local x = 0
      for l = 1, k do x = x + u[i][l] * v[j][l] end
      out[i][j] = x
    end
  end
  return out
end

-- Newton-Schulz as ml.ns documents it: X0 = A/(||A||_F + eps), X <- aX + (bS + cS^2)X with S = XXᵀ
-- on the short side (A has fewer rows than columns in every use below)
local function ns_ref(A, coeffs, steps, eps)
  local x = tbl(A)
  local f = 0
  for i = 1, #x do for j = 1, #x[1] do f = f + x[i][j] ^ 2 end end
  f = math.sqrt(f) + eps
  for i = 1, #x do for j = 1, #x[1] do x[i][j] = x[i][j] / f end end
  for _ = 1, steps do
    local a, b, c = coeffs[1], coeffs[2], coeffs[3]
    local S = matmul(x, transpose(x))
    local S2 = matmul(S, S)
    local P = {}
    for i = 1, #S do P[i] = {} for j = 1, #S do P[i][j] = b * S[i][j] + c * S2[i][j] end end
    local PX = matmul(P, x)
    for i = 1, #x do for j = 1, #x[1] do x[i][j] = a * x[i][j] + PX[i][j] end end
  end
  return x
end

local QUINTIC = { 15 / 8, -10 / 8, 3 / 8 }   -- the classical quintic (ml.coeffs("quintic"))

local function maxdiff(a, b)
  local d = 0
  for i = 1, #a do for j = 1, #a[1] do d = math.max(d, math.abs(a[i][j] - b[i][j])) end end
  return d
end

-- ---- per-head split ----------------------------------------------------------------------

local C, H = 8, 2          -- width 8, 2 heads: hs = 4, W_qkv is 24 x 8 in 6 blocks of 4 x 8
local HS = C // H
local INFO = {
  { name = "h.1.attn.qkv.w", kind = "matrix", heads = H },
  { name = "h.1.attn.proj.w", kind = "matrix", heads = H },
  { name = "h.1.mlp.fc.w", kind = "matrix" },
}
local function shapes() return { { 3 * C, C }, { C, C }, { 4 * C, C } } end
local function params() local p = {} for k, s in ipairs(shapes()) do p[k] = ml.randn(s[1], s[2], { seed = k }) end return p end
local function grads(step)
  local g = {}
  for k, s in ipairs(shapes()) do g[k] = ml.randn(s[1], s[2], { seed = 100 * step + k }) end
  return g
end
-- row blocks of hs rows of W_qkv, as clones (an independent copy of the parameter)
local function qkv_blocks(W)
  local t = {}
  for b = 1, 3 * H do t[b] = W:view((b - 1) * HS + 1, 1, HS, C):clone() end
  return t
end

describe("optim split = \"heads\"", function()
  it("orthogonalizes each hs x C block of W_qkv separately: polar and Newton-Schulz against plain Lua", function()
    -- beta = 0, no Nesterov, scale none, lr 1: W <- W - Orth(G) per block
    for _, o in ipairs { { orthogonalize = "polar" }, { ns_coeffs = "quintic", ns_steps = 5 } } do
      local P, G = params(), grads(1)
      local W0, V0, F0 = tbl(P[1]), tbl(P[2]), tbl(P[3])
      local opt = ml.optim.muon { lr = 1, beta = 0, nesterov = false, scale = "none", split = "heads", info = INFO,
        orthogonalize = o.orthogonalize, ns_coeffs = o.ns_coeffs, ns_steps = o.ns_steps }
      opt:step(P, G)
      local function orth(A)
        if o.orthogonalize then return polar_ref(A) end
        -- blocks are wide (4 x 8) and the whole matrices tall: NS on the short side = on Aᵀ
        if A:rows() <= A:cols() then return ns_ref(A, QUINTIC, 5, 1e-8) end
        return transpose(ns_ref(A:t(), QUINTIC, 5, 1e-8))
      end
      local W1 = tbl(P[1])
      for b = 1, 3 * H do
        local r0 = (b - 1) * HS
        local Ob = orth(G[1]:view(r0 + 1, 1, HS, C))
        local want, got = {}, {}
        for i = 1, HS do
          want[i], got[i] = {}, {}
          for j = 1, C do want[i][j], got[i][j] = W0[r0 + i][j] - Ob[i][j], W1[r0 + i][j] end
        end
        assert.is_true(maxdiff(want, got) <= 1e-12, ("block %d: %g"):format(b, maxdiff(want, got)))
      end
      -- the output projection (a "proj" name) and the MLP matrix stay whole
      for k, W0k in pairs { [2] = V0, [3] = F0 } do
        local Ok = orth(G[k])
        local want = {}
        for i = 1, #W0k do want[i] = {} for j = 1, C do want[i][j] = W0k[i][j] - Ok[i][j] end end
        assert.is_true(maxdiff(want, tbl(P[k])) <= 1e-12, ("param %d"):format(k))
      end
    end
  end)

  -- Every Newton-Schulz optimizer: split = "heads" is the optimizer run on the blocks as
  -- parameters of their own (momentum, shape scale, row statistics per block), bit for bit.
  local NS_OPTS = {
    muon = { lr = 0.02 }, trasmuon = { lr = 1e-3 }, normuon = { lr = 1e-3 }, adago = { lr = 0.02 },
    steepest = { lr = 1e-2 }, muonmax = { lr = 1e-3 }, muonmax_momo = {}, scion = {},
  }
  for name, o in pairs(NS_OPTS) do
    it(name .. ": split equals the blocks as separate parameters, and group{blocks =} (bit for bit)", function()
      local P = params()
      local ref = qkv_blocks(P[1])
      for k = 2, 3 do ref[#ref + 1] = P[k]:clone() end
      local viaGroup = { P[1]:clone(), P[2]:clone(), P[3]:clone() }
      local so = { split = "heads", info = INFO }
      for k, v in pairs(o) do so[k] = v end
      local opt = ml.optim[name](so)
      local plain = ml.optim[name](o)
      local grouped = ml.optim.group {
        { params = { 1 }, opt = ml.optim[name](o), blocks = { rows = HS } },
        { params = { 2, 3 }, opt = ml.optim[name](o) },
      }
      for s = 1, 4 do
        local G = grads(s)
        local loss = 3 - 0.1 * s
        opt:step(P, G, loss)
        local Gref = {}
        for b = 1, 3 * H do Gref[b] = G[1]:view((b - 1) * HS + 1, 1, HS, C) end
        Gref[#Gref + 1], Gref[#Gref + 2] = G[2], G[3]
        plain:step(ref, Gref, loss)
        grouped:step(viaGroup, G, loss)
      end
      for b = 1, 3 * H do
        assert.are.equal(0, (P[1]:view((b - 1) * HS + 1, 1, HS, C) - ref[b]):norm("max"))
      end
      assert.are.equal(0, (P[2] - ref[3 * H + 1]):norm("max"))
      assert.are.equal(0, (P[3] - ref[3 * H + 2]):norm("max"))
      -- the group mechanism gives the same numbers (its second group steps params 2, 3 alone,
      -- which differs only for the optimizers that couple parameters: steepest's norms)
      if name == "muon" or name == "trasmuon" or name == "normuon" or name == "adago" then
        for k = 1, 3 do assert.are.equal(0, (P[k] - viaGroup[k]):norm("max")) end
      end
    end)
  end

  it("takes a function returning row blocks; lists of sizes; memoized per parameter", function()
    local P, G = params(), grads(1)
    local calls = 0
    local opt = ml.optim.muon { lr = 1, beta = 0, nesterov = false, scale = "none", orthogonalize = "polar",
      split = function(i) calls = calls + 1 return i == 1 and { rows = { 8, 16 } } or nil end }
    local W0 = tbl(P[1])
    opt:step(P, G)
    opt:step(P, G)
    assert.are.equal(3, calls)   -- once per parameter, on the first step
    -- after step 1: W - polar(block); step 2 subtracts the same again (beta = 0, same G)
    for _, blk in ipairs { { 0, 8 }, { 8, 16 } } do
      local O = polar_ref(G[1]:view(blk[1] + 1, 1, blk[2], C))
      local got = tbl(P[1]:view(blk[1] + 1, 1, blk[2], C))
      local want = {}
      for i = 1, blk[2] do want[i] = {} for j = 1, C do want[i][j] = W0[blk[1] + i][j] - 2 * O[i][j] end end
      assert.is_true(maxdiff(want, got) <= 1e-12)
    end
  end)

  it("allocates nothing per step with split", function()
    local P = params()
    local opt = ml.optim.muon { lr = 0.01, split = "heads", info = INFO }
    local G = grads(1)
    opt:step(P, G)
    opt:step(P, G)
    collectgarbage()
    collectgarbage("stop")
    local before = collectgarbage("count")
    for _ = 1, 20 do opt:step(P, G) end
    local grown = collectgarbage("count") - before
    collectgarbage("restart")
    assert.is_true(grown < 0.5, ("%.2f KiB"):format(grown))
  end)

  it("saves and restores its per-block state", function()
    local P, Q = params(), params()
    local a = ml.optim.trasmuon { lr = 1e-3, split = "heads", info = INFO }
    for s = 1, 2 do a:step(P, grads(s)) end
    local b = ml.optim.trasmuon { lr = 1e-3, split = "heads", info = INFO }
    for k = 1, 3 do Q[k]:copy_(P[k]) end
    b:load_state_dict(a:state_dict())
    for s = 3, 4 do a:step(P, grads(s)); b:step(Q, grads(s)) end
    for k = 1, 3 do assert.are.equal(0, (P[k] - Q[k]):norm("max")) end
    local c = ml.optim.trasmuon { lr = 1e-3 }
    c:load_state_dict(a:state_dict())
    assert.has_error(function() c:step(P, grads(5)) end)
  end)

  it("reports bad splits", function()
    local function msg(f) local ok, e = pcall(f) assert.is_false(ok) return tostring(e) end
    assert.truthy(msg(function() ml.optim.muon { split = "heads" } end)
      :find("bad argument #1 to 'muon' (option 'split': \"heads\" needs option 'info' (model:param_info()))", 1, true))
    assert.truthy(msg(function() ml.optim.normuon { split = "rows" } end):find("bad argument #1 to 'normuon' (option 'split': \"heads\" or a function", 1, true))
    local bad = { { name = "h.1.attn.qkv.w", kind = "matrix", heads = 3 } }
    assert.truthy(msg(function() ml.optim.muon { split = "heads", info = bad }:step({ ml.zeros(24, 8) }, { ml.ones(24, 8) }) end)
      :find("does not split into blocks of C/H rows with heads = 3", 1, true))
    local f = ml.optim.muon { split = function() return { rows = { 5, 5 } } end }
    assert.truthy(msg(function() f:step({ ml.zeros(24, 8) }, { ml.ones(24, 8) }) end)
      :find("block sizes add up to 10, the matrix has 24 rows", 1, true))
    assert.truthy(msg(function() ml.optim.group { { params = { 1 }, opt = ml.optim.sgd {}, blocks = { rows = 0 } } } end)
      :find("positive integer", 1, true))
    assert.truthy(msg(function() ml.optim.adamw { split = "heads" } end):find("unknown option 'split'", 1, true))
    local both = ml.optim.group { { params = { 1 }, blocks = { rows = 4 },
      opt = ml.optim.muon { split = function() return { rows = 2 } end } } }
    assert.truthy(msg(function() both:step({ ml.zeros(8, 8) }, { ml.ones(8, 8) }) end)
      :find("group 1: 'blocks' and the optimizer's 'split' together", 1, true))
  end)
end)

-- ---- QK-Clip -------------------------------------------------------------------------------

-- A fake one-layer attention "model" of the interface ml.models.gpt has (params, param_info,
-- loss_grad, max_logits, qk_clip), written in plain Lua from ROUND2.md: inputs Z (T x C, fixed),
-- q = Z W_qᵀ + b_q etc., S_h = max over i >= j of q_i·k_j/√hs (signed), and qk_clip(tau) scaling
-- the q and k rows (and biases) of each head over tau by √(tau/S_h). Its "gradient" is a fixed
-- random matrix per step (the optimizer's side is what is tested here).
local function fake_attention(T, scale)
  local W = ml.randn(3 * C, C, { seed = 5, std = scale })
  local b = ml.randn(1, 3 * C, { seed = 6, std = 0.1 })
  local Z = ml.randn(T, C, { seed = 7 })
  local m = { W = W, b = b, steps = 0, clip_calls = {} }
  local function logits()
    local w, bb, z = tbl(W), tbl(b)[1], tbl(Z)
    local S = {}
    for h = 1, H do
      local best = -math.huge
      for i = 1, T do
        for j = 1, i do
          local dot = 0
          for d = 1, HS do
            local qr, kr = (h - 1) * HS + d, C + (h - 1) * HS + d
            local q, k = bb[qr], bb[kr]
            for c = 1, C do q = q + z[i][c] * w[qr][c]; k = k + z[j][c] * w[kr][c] end
            dot = dot + q * k
          end
          best = math.max(best, dot / math.sqrt(HS))
        end
      end
      S[h] = best
    end
    return S
  end
  m.logits = logits
  function m:params() return { W, b } end
  function m:param_info()
    return { { name = "h.1.attn.qkv.w", kind = "matrix", heads = H }, { name = "h.1.attn.qkv.b", kind = "bias" } }
  end
  function m:loss_grad()
    self.S = logits()   -- this step's forward
    self.steps = self.steps + 1
    return 1, { ml.randn(3 * C, C, { seed = 50 + self.steps }), ml.randn(1, 3 * C, { seed = 80 + self.steps }) }
  end
  function m:max_logits() return self.S end
  function m:qk_clip(tau)
    self.clip_calls[#self.clip_calls + 1] = { W = W:clone(), b = b:clone() }   -- what it saw
    local n = 0
    for h = 1, H do
      if self.S[h] > tau then
        n = n + 1
        local g = math.sqrt(tau / self.S[h])
        for _, r0 in ipairs { (h - 1) * HS, C + (h - 1) * HS } do
          W:view(r0 + 1, 1, HS, C):scale_(g)
          b:view(1, r0 + 1, 1, HS):scale_(g)
        end
      end
    end
    return n
  end
  return m
end

describe("optim qk_clip", function()
  it("with lr 0, clipped heads' logits become exactly tau and only their q, k rows change", function()
    local m = fake_attention(6, 1.0)
    m:loss_grad()
    local S = m.S
    local tau = (math.max(S[1], S[2]) + math.min(S[1], S[2])) / 2   -- one head over, one under
    local W0 = tbl(m.W)
    local opt = ml.optim.muon { lr = 0, qk_clip = tau, model = m }
    local P = m:params()
    local _, G = m:loss_grad()
    opt:step({ P[1] }, { G[1] })
    assert.are.equal(1, opt.clipped)
    local S1 = m.logits()
    local W1 = tbl(m.W)
    for h = 1, H do
      if S[h] > tau then
        assert.is_true(math.abs(S1[h] - tau) <= 1e-12 * tau, ("%g vs %g"):format(S1[h], tau))
      else
        assert.are.equal(S[h], S1[h])
      end
      local gam = S[h] > tau and math.sqrt(tau / S[h]) or 1
      for _, part in ipairs { 0, 1, 2 } do   -- q, k scaled by √γ; v untouched
        for d = 1, HS do
          local r = part * C + (h - 1) * HS + d
          for c = 1, C do
            local want = part < 2 and W0[r][c] * gam or W0[r][c]
            assert.is_true(math.abs(W1[r][c] - want) <= 1e-15 * math.abs(want) + 0, ("row %d"):format(r))
          end
        end
      end
    end
  end)

  it("clips after the update, with the logits of that step's forward pass", function()
    local m = fake_attention(5, 1.5)
    local twin = fake_attention(5, 1.5)
    local tau = 2.0
    local opt = ml.optim.muon { lr = 0.05, qk_clip = tau, model = m }
    local plain = ml.optim.muon { lr = 0.05 }
    local total = 0
    for s = 1, 3 do
      local _, G = m:loss_grad()
      twin:loss_grad()
      local S = m.S
      opt:step({ m.W }, { G[1] })
      -- the twin: the same update without the clip, then the rule applied by hand with the same S
      plain:step({ twin.W }, { G[1] })
      local seen = m.clip_calls[#m.clip_calls]
      assert.are.equal(0, (seen.W - twin.W):norm("max"))   -- qk_clip saw the updated weights
      for h = 1, H do
        if S[h] > tau then
          total = total + 1
          local g = math.sqrt(tau / S[h])
          for _, r0 in ipairs { (h - 1) * HS, C + (h - 1) * HS } do
            twin.W:view(r0 + 1, 1, HS, C):scale_(g)
            twin.b:view(1, r0 + 1, 1, HS):scale_(g)
          end
        end
      end
      assert.are.equal(0, (m.W - twin.W):norm("max"))
    end
    assert.is_true(total > 0, "the setting must clip")
    assert.are.equal(total, opt:state_dict().global.clipped_heads)
    assert.is_nil(opt:state_dict().hyper.model)   -- the model is not part of the state
    assert.are.equal(3, #m.clip_calls)
  end)

  it("in a group, clips once after every group has updated (biases included)", function()
    local m = fake_attention(5, 1.5)
    local tau = 1.0
    local g = ml.optim.group {
      { params = { 1 }, opt = ml.optim.muon { lr = 0.05, qk_clip = tau, model = m } },
      { params = { 2 }, opt = ml.optim.adamw { lr = 0.1 } },
    }
    for _ = 1, 2 do
      local _, G = m:loss_grad()
      local bprev = m.b:clone()
      g:step(m:params(), G)
      -- qk_clip saw the bias after AdamW's update (it changed), not the previous one
      assert.is_true((m.clip_calls[#m.clip_calls].b - bprev):norm("max") > 0)
    end
    assert.are.equal(2, #m.clip_calls)
  end)

  it("MuonClip: Moonlight scale, decoupled weight decay, tau = 100", function()
    local m = fake_attention(4, 1.0)
    local P = ml.randn(3 * C, C, { seed = 9 })
    local Q = P:clone()
    local a = ml.optim.muonclip { model = m, lr = 0.01 }
    local b = ml.optim.muon { lr = 0.01, scale = "moonlight", weight_decay = 0.1 }
    local _, G = m:loss_grad()
    a:step({ P }, { G[1] })
    b:step({ Q }, { G[1] })
    assert.are.equal(0, (P - Q):norm("max"))   -- logits ~ 1 < 100: nothing clipped
    assert.are.equal(0, a.clipped)
    assert.are.equal(100, a.hp.qk_clip)
    assert.are.equal("moonlight", a.hp.scale)
    assert.are.equal(0.1, a.hp.weight_decay)
    assert.truthy(tostring(a):find("muonclip", 1, true))
  end)

  it("reports a missing model and a bad tau", function()
    local function msg(f) local ok, e = pcall(f) assert.is_false(ok) return tostring(e) end
    assert.truthy(msg(function() ml.optim.muon { qk_clip = 100 } end)
      :find("bad argument #1 to 'muon' (option 'qk_clip': needs option 'model'", 1, true))
    assert.truthy(msg(function() ml.optim.muon { qk_clip = -1, model = fake_attention(2, 1) } end)
      :find("bad argument #1 to 'muon' (option 'qk_clip': a finite number > 0 expected, got -1)", 1, true))
    assert.truthy(msg(function() ml.optim.muon { qk_clip = 10, model = {} } end)
      :find("option 'model': a model with a qk_clip(tau) method (ml.models.gpt) expected, got table", 1, true))
    assert.truthy(msg(function() ml.optim.muonclip {} end):find("bad argument #1 to 'muonclip' (option 'model': a model", 1, true))
    assert.truthy(msg(function() ml.optim.muonclip { model = fake_attention(2, 1), bogus = 1 } end)
      :find("bad argument #1 to 'muonclip' (unknown option 'bogus'", 1, true))
  end)
end)

-- ---- QK-Clip and split on ml.models.gpt ----------------------------------------------------

describe("optim qk_clip and split on ml.models.gpt", function()
  local TEXT = "the quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs. "
  local function setup(seed)
    local c = ml.corpus_string(TEXT:rep(4))
    local m = ml.models.gpt { vocab = c:vocab_size(), context = 8, layers = 2, heads = 2, embed = 8, seed = seed,
      dtype = "float64" }
    local X, Y = ml.data.windows(c, 3, 8, { seed = seed }):next()
    return m, X, Y
  end

  -- layer 1's largest logit per head from the weights, in plain Lua (ROUND2.md's layout:
  -- x = wte[X] + wpe, LayerNorm eps 1e-5 biased variance, q | k | v rows of W_qkv, hs rows per head)
  local function layer1_logits(m, X)
    local P, info = m:params(), m:param_info()
    local by = {}
    for i, e in ipairs(info) do by[e.name] = tbl(P[i]) end
    local wte, wpe, lw, lb = by.wte, by.wpe, by["h.1.ln1.w"][1], by["h.1.ln1.b"][1]
    local W, bq = by["h.1.attn.qkv.w"], by["h.1.attn.qkv.b"][1]
    local Cm, Hm = #wte[1], 2
    local hs = Cm // Hm
    local x = tbl(X)
    local S = {}
    for h = 1, Hm do S[h] = -math.huge end
    for b = 1, #x do
      local q, k = {}, {}
      for t = 1, #x[1] do
        local e = {}
        for c = 1, Cm do e[c] = wte[x[b][t] + 1][c] + wpe[t][c] end
        local mean, var = 0, 0
        for c = 1, Cm do mean = mean + e[c] / Cm end
        for c = 1, Cm do var = var + (e[c] - mean) ^ 2 / Cm end
        local a = {}
        for c = 1, Cm do a[c] = (e[c] - mean) / math.sqrt(var + 1e-5) * lw[c] + lb[c] end
        q[t], k[t] = {}, {}
        for r = 1, 2 * Cm do
          local s = bq[r]
          for c = 1, Cm do s = s + a[c] * W[r][c] end
          if r <= Cm then q[t][r] = s else k[t][r - Cm] = s end
        end
      end
      for h = 1, Hm do
        for i = 1, #x[1] do
          for j = 1, i do
            local d = 0
            for u = (h - 1) * hs + 1, h * hs do d = d + q[i][u] * k[j][u] end
            S[h] = math.max(S[h], d / math.sqrt(hs))
          end
        end
      end
    end
    return S
  end

  it("scales exactly the q and k rows of the heads over tau; their layer-1 logits become tau", function()
    local m, X, Y = setup(3)
    local params, info = m:params(), m:param_info()
    -- larger attention weights so that logits differ clearly between heads
    for i, e in ipairs(info) do if e.name:find("qkv.w", 1, true) then params[i]:scale_(40) end end
    local _, grads = m:loss_grad(X, Y)
    local S = m:max_logits():totable()
    local ref = layer1_logits(m, X)
    for h = 1, 2 do assert.is_true(math.abs(ref[h] - S[1][h]) <= 1e-12 * math.abs(ref[h]), ("head %d"):format(h)) end
    local all = {}
    for l = 1, 2 do for h = 1, 2 do all[#all + 1] = S[l][h] end end
    table.sort(all)
    local tau = (all[2] + all[3]) / 2   -- two heads over, two under
    local before = {}
    for i = 1, #params do before[i] = tbl(params[i]) end
    local opt = ml.optim.group {
      { params = function(i) return info[i].kind == "matrix" end, opt = ml.optim.muon { lr = 0, qk_clip = tau, model = m } },
      { params = function(i) return info[i].kind ~= "matrix" end, opt = ml.optim.adamw { lr = 0, weight_decay = 0 } },
    }
    opt:step(params, grads)
    local hs = 4
    for i, e in ipairs(info) do
      local l = tonumber(e.name:match("^h%.(%d)%.attn%.qkv"))
      local after = tbl(params[i])
      for r = 1, #after do
        for c = 1, #after[1] do
          local want = before[i][r][c]
          if l then
            -- row (or bias entry) index within q | k | v
            local idx = e.kind == "bias" and c or r
            local part, h = (idx - 1) // 8, ((idx - 1) % 8) // hs + 1
            if part < 2 and S[l][h] > tau then want = want * math.sqrt(tau / S[l][h]) end
          end
          assert.are.equal(want, after[r][c], ("%s [%d,%d]"):format(e.name, r, c))
        end
      end
    end
    assert.are.equal(2, opt.groups[1].opt.clipped)
    m:evaluate(X, Y)
    local S1 = m:max_logits():totable()
    for h = 1, 2 do
      if S[1][h] > tau then assert.is_true(math.abs(S1[1][h] - tau) <= 1e-12 * tau, ("%g vs %g"):format(S1[1][h], tau))
      else assert.is_true(math.abs(S1[1][h] - S[1][h]) <= 1e-12 * math.abs(S[1][h])) end
    end
  end)

  it("split = \"heads\" with param_info: W_qkv in hs x C blocks, the rest whole (MuonClip, 5 steps)", function()
    local m, X, Y = setup(4)
    local twin = setup(4)
    local info = m:param_info()
    local P, Q = m:params(), twin:params()
    local mat = function(i) return info[i].kind == "matrix" end
    local a = ml.optim.group {
      { params = mat, opt = ml.optim.muonclip { model = m, lr = 0.01, split = "heads", info = info } },
      { params = function(i) return not mat(i) end, opt = ml.optim.adamw { lr = 0.01 } },
    }
    -- the twin: blocks through group's `blocks`, the same optimizer otherwise
    local b = ml.optim.group {
      { params = mat, opt = ml.optim.muonclip { model = twin, lr = 0.01 },
        blocks = function(i) return info[i].name:find("qkv.w", 1, true) and { rows = 4 } or nil end },
      { params = function(i) return not mat(i) end, opt = ml.optim.adamw { lr = 0.01 } },
    }
    for _ = 1, 5 do
      local la, ga = m:loss_grad(X, Y)
      local lb, gb = twin:loss_grad(X, Y)
      assert.are.equal(la, lb)
      a:step(P, ga)
      b:step(Q, gb)
    end
    for i = 1, #P do assert.are.equal(0, (P[i] - Q[i]):norm("max"), info[i].name) end
    -- 8 weight matrices, each W_qkv (2 of them) in 3 H = 6 blocks: 18 states
    assert.are.equal(18, #a.groups[1].opt.state)
  end)
end)

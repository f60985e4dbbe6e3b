-- ml.models.gpt: parameter layout and names, gradients against central differences, loss and
-- every gradient against a plain PyTorch autograd implementation (tests/torch/gpt_ref.py),
-- QK-Clip, generation, argument errors, steady memory over many training steps.
local ml = require "muonlab"

local SMALL = { vocab = 13, context = 12, layers = 2, heads = 4, embed = 16, seed = 3 }
local MODDED = { norm = "rmsnorm", bias = false, tie = false, act = "relu2" }

local function config(extra)
  local o = {}
  for k, v in pairs(SMALL) do o[k] = v end
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

-- Random ids in 0..V-1 as a B x T matrix.
local function ids(B, T, V, seed)
  local X = ml.rand(B, T, { seed = seed, lo = 0, hi = V })
  for i = 1, B do for j = 1, T do X:set(i, j, math.floor(X:get(i, j))) end end
  return X
end

-- Move every parameter away from its initial value (norm weights off 1, biases off 0), so each
-- gradient is exercised at a generic point.
local function perturb(model, scale)
  for k, p in ipairs(model:params()) do p:add_(ml.randn(p:rows(), p:cols(), { seed = 500 + k }), scale) end
end

describe("gpt layout", function()
  it("names, kinds and shapes of param_info follow ROUND2.md, in params order", function()
    local m = ml.models.gpt(config())
    local C, V, P = 16, 13, 12
    local want = { { "wte", "embedding", V, C }, { "wpe", "embedding", P, C } }
    for l = 1, 2 do
      local h = "h." .. l .. "."
      for _, e in ipairs {
        { "ln1.w", "norm", 1, C }, { "ln1.b", "norm", 1, C }, { "attn.qkv.w", "matrix", 3 * C, C },
        { "attn.qkv.b", "bias", 1, 3 * C }, { "attn.proj.w", "matrix", C, C }, { "attn.proj.b", "bias", 1, C },
        { "ln2.w", "norm", 1, C }, { "ln2.b", "norm", 1, C }, { "mlp.fc.w", "matrix", 4 * C, C },
        { "mlp.fc.b", "bias", 1, 4 * C }, { "mlp.proj.w", "matrix", C, 4 * C }, { "mlp.proj.b", "bias", 1, C } } do
        want[#want + 1] = { h .. e[1], e[2], e[3], e[4] }
      end
    end
    want[#want + 1] = { "lnf.w", "norm", 1, C }
    want[#want + 1] = { "lnf.b", "norm", 1, C }
    local info, params = m:param_info(), m:params()
    assert.are.equal(#want, #info)
    assert.are.equal(#want, #params)
    for i, w in ipairs(want) do
      assert.are.same({ w[1], w[2], w[3], w[4] }, { info[i].name, info[i].kind, info[i].shape[1], info[i].shape[2] })
      assert.are.same({ w[3], w[4] }, { params[i]:rows(), params[i]:cols() })
    end
    assert.are.equal(4, info[5].heads)   -- h.1.attn.qkv.w
    assert.is_true(info[1].tied)
  end)

  it("the modded variant has no norm or linear biases and an untied head", function()
    local m = ml.models.gpt(config(MODDED))
    local names = {}
    for i, e in ipairs(m:param_info()) do names[i] = e.name end
    assert.are.same({ "wte", "wpe", "h.1.ln1.w", "h.1.attn.qkv.w", "h.1.attn.proj.w", "h.1.ln2.w", "h.1.mlp.fc.w",
      "h.1.mlp.proj.w", "h.2.ln1.w", "h.2.attn.qkv.w", "h.2.attn.proj.w", "h.2.ln2.w", "h.2.mlp.fc.w",
      "h.2.mlp.proj.w", "lnf.w", "head.w" }, names)
    assert.are.equal("head", m:param_info()[16].kind)
  end)

  it("initialises as GPT-2: weights N(0, 0.02^2), residual projections N(0, (0.02/sqrt(2L))^2), biases 0, norm weights 1", function()
    -- sample std of 3C*C = 49 152 normals: relative standard error 1/sqrt(2n) = 0.3%; 3% is 10 s.e.
    local m = ml.models.gpt { vocab = 50, context = 16, layers = 3, heads = 4, embed = 128, seed = 1 }
    local by = {}
    for i, e in ipairs(m:param_info()) do by[e.name] = m:params()[i] end
    local function std(A) return A:norm("fro") / math.sqrt(A:rows() * A:cols()) end
    assert.is_true(math.abs(std(by["h.2.attn.qkv.w"]) / 0.02 - 1) < 0.03)
    assert.is_true(math.abs(std(by["h.2.mlp.fc.w"]) / 0.02 - 1) < 0.03)
    assert.is_true(math.abs(std(by["h.2.mlp.proj.w"]) / (0.02 / math.sqrt(6)) - 1) < 0.03)
    assert.is_true(math.abs(std(by["h.3.attn.proj.w"]) / (0.02 / math.sqrt(6)) - 1) < 0.05)
    assert.are.equal(0, by["h.1.mlp.fc.b"]:norm("max"))
    assert.are.equal(1, by["h.1.ln1.w"]:get(1, 7))
    assert.are.equal(0, by["lnf.b"]:norm("max"))
  end)
end)

-- Norm-wise relative error ||fd - g|| / ||g|| per parameter, fd by central differences (h = 1e-6):
-- truncation O(h^2) ~ 1e-12, rounding ~ eps |loss| / h ~ 1e-10, relative to gradients of 1e-3..1.
describe("gpt gradients match central differences (float64, relative error < 1e-6 per tensor)", function()
  for _, variant in ipairs { { "layernorm, bias, tied, gelu", {} }, { "rmsnorm, no bias, untied, relu2", MODDED } } do
    it(variant[1], function()
      local m = ml.models.gpt(config { vocab = 7, context = 6, layers = 2, heads = 2, embed = 8,
        norm = variant[2].norm, bias = variant[2].bias, tie = variant[2].tie, act = variant[2].act })
      perturb(m, 0.3)
      local X, Y = ids(2, 5, 7, 1), ids(2, 5, 7, 2)
      local _, grads = m:loss_grad(X, Y)
      for k, P in ipairs(m:params()) do
        local G = grads[k]:clone()
        local e2, n2 = 0, 0
        for i = 1, P:rows() do
          for j = 1, P:cols() do
            local v, h = P:get(i, j), 1e-6
            P:set(i, j, v + h)
            local lp = m:loss(X, Y)
            P:set(i, j, v - h)
            local lm = m:loss(X, Y)
            P:set(i, j, v)
            e2, n2 = e2 + ((lp - lm) / (2 * h) - G:get(i, j)) ^ 2, n2 + G:get(i, j) ^ 2
          end
        end
        local e = math.sqrt(e2 / n2)
        assert.is_true(e < 1e-6, ("%s: relative error %.3g"):format(m:param_info()[k].name, e))
      end
    end)
  end

  it("float32 gives the float64 loss and gradients to single precision", function()
    -- same weights in both dtypes; fp32 rounding over ~100-term sums: 1e-4 relative is ample
    local m64 = ml.models.gpt(config())
    local m32 = ml.models.gpt(config { dtype = "float32" })
    perturb(m64, 0.1)
    for k, p in ipairs(m32:params()) do p:copy_(m64:params()[k]) end
    local X, Y = ids(3, 9, 13, 5), ids(3, 9, 13, 6)
    local l64, g64 = m64:loss_grad(X, Y)
    local l32, g32 = m32:loss_grad(X, Y)
    assert.is_true(math.abs(l32 - l64) < 1e-5 * l64)
    for k, G in ipairs(g64) do
      local d = (g32[k]:astype("float64") - G):norm("fro") / G:norm("fro")
      assert.is_true(d < 1e-4, m64:param_info()[k].name .. " " .. d)
    end
  end)
end)

---------------------------------------------------------------------------- PyTorch parity

local function sh(cmd)
  local p = io.popen(cmd .. " 2>&1")
  local out = p:read("a")
  local ok = p:close()
  return ok, out
end

local torch_ok, torch_msg = sh("/usr/bin/python3 -c 'import torch, numpy'")

describe("gpt equals a plain PyTorch autograd GPT (tests/torch/gpt_ref.py, float64)", function()
  local it_ = torch_ok and it or function(name)
    pending(name .. " (skipped: /usr/bin/python3 cannot import torch: " .. torch_msg:gsub("%s+$", ""):sub(-120) .. ")")
  end
  -- Both sides compute the same float64 expression in different orders; rounding differences
  -- of ~1e-15 relative grow by at most the depth of the network: 1e-10 relative per tensor
  -- (||g_ml - g_torch|| / ||g_torch||, Frobenius) is five orders of magnitude above that
  -- and far below any layout mistake (a wrong head split or transpose changes O(1)).
  for _, variant in ipairs { { "default: layernorm, bias, tied, gelu", {} },
    { "modded: rmsnorm, no bias, untied, relu2", MODDED } } do
    it_(variant[1] .. ": loss, every gradient and the max logits to 1e-10 relative", function()
      local m = ml.models.gpt(config(variant[2]))
      perturb(m, 0.2)
      local X, Y = ids(3, 9, 13, 11), ids(3, 9, 13, 12)
      local loss, grads = m:loss_grad(X, Y)
      local dir = assert(io.popen("mktemp -d")):read("l")
      local names = {}
      for i, e in ipairs(m:param_info()) do
        names[i] = e.name
        ml.save(("%s/%s.npy"):format(dir, e.name), m:params()[i])
      end
      ml.save(dir .. "/X.npy", X)
      ml.save(dir .. "/Y.npy", Y)
      local f = assert(io.open(dir .. "/config.txt", "w"))
      for _, k in ipairs { "vocab", "context", "layers", "heads", "embed" } do f:write(k, "=", m[({ vocab = "V",
        context = "context", layers = "L", heads = "H", embed = "C" })[k]], "\n") end
      f:write("norm=", m.norm, "\nact=", m.act, "\nbias=", tostring(m.bias), "\ntie=", tostring(m.tie), "\n")
      f:write("names=", table.concat(names, ","), "\n")
      f:close()
      local ok, out = sh("/usr/bin/python3 tests/torch/gpt_ref.py " .. dir)
      assert(ok, "gpt_ref.py failed: " .. out)
      local ref = ml.load(dir .. "/loss.npy"):get(1, 1)
      local bad = {}
      if math.abs(loss - ref) > 1e-10 * math.abs(ref) then
        bad[#bad + 1] = ("loss %.17g vs torch %.17g"):format(loss, ref)
      end
      for i, name in ipairs(names) do
        local R = ml.load(("%s/grad.%s.npy"):format(dir, name))
        local d = (grads[i] - R):norm("fro") / R:norm("fro")
        if not (d <= 1e-10) then bad[#bad + 1] = ("%s: relative difference %.3g"):format(name, d) end
      end
      local M = ml.load(dir .. "/max_logits.npy")
      local dm = (m:max_logits() - M):norm("max") / M:norm("max")
      if not (dm <= 1e-10) then bad[#bad + 1] = ("max_logits: relative difference %.3g"):format(dm) end
      os.execute("rm -rf '" .. dir .. "'")
      assert(#bad == 0, "differs from PyTorch: " .. table.concat(bad, "; "))
    end)
  end
end)

---------------------------------------------------------------------------- QK-Clip, generation

describe("gpt max logits and QK-Clip", function()
  it("max_logits is the largest masked score per (layer, head), computed here from qkv by loops", function()
    local m = ml.models.gpt(config { layers = 1 })
    perturb(m, 0.5)
    local X = ids(2, 6, 13, 3)
    m:forward(X)
    -- recompute qkv = LN(wte[X] + wpe) W^T + b with a straightforward loop
    local p = m:params()
    local wte, wpe, lw, lb, W, b = p[1], p[2], p[3], p[4], p[5], p[6]
    local C, H, hs = 16, 4, 4
    local best = {}
    for h = 1, H do best[h] = -math.huge end
    for bi = 1, 2 do
      local q = {}
      for t = 1, 6 do
        local x, mu, var = {}, 0, 0
        for c = 1, C do x[c] = wte:get(X:get(bi, t) + 1, c) + wpe:get(t, c); mu = mu + x[c] / C end
        for c = 1, C do var = var + (x[c] - mu) ^ 2 / C end
        local a = {}
        for c = 1, C do a[c] = (x[c] - mu) / math.sqrt(var + 1e-5) * lw:get(1, c) + lb:get(1, c) end
        q[t] = {}
        for r = 1, 3 * C do
          local s = b:get(1, r)
          for c = 1, C do s = s + W:get(r, c) * a[c] end
          q[t][r] = s
        end
      end
      for h = 1, H do
        for i = 1, 6 do
          for j = 1, i do
            local s = 0
            for e = 1, hs do s = s + q[i][(h - 1) * hs + e] * q[j][C + (h - 1) * hs + e] end
            best[h] = math.max(best[h], s / math.sqrt(hs))
          end
        end
      end
    end
    local M = m:max_logits()
    for h = 1, H do assert.is_true(math.abs(M:get(1, h) - best[h]) <= 1e-12 * math.abs(best[h]), h) end
  end)

  it("qk_clip scales exactly the heads above tau to tau, leaves W_v and the others alone", function()
    local m = ml.models.gpt(config { bias = true })
    perturb(m, 0.3)
    local qkv = m:params()[5]   -- h.1.attn.qkv.w
    qkv:view(5, 1, 4, 16):scale_(30)   -- head 2's q rows: large logits in layer 1, head 2
    local X = ids(2, 9, 13, 4)
    m:forward(X)
    local before = m:max_logits()
    local tau = 0.5 * before:get(1, 2)
    local expect = 0
    for l = 1, 2 do for h = 1, 4 do if before:get(l, h) > tau then expect = expect + 1 end end end
    local v_before = qkv:view(33, 1, 16, 16):clone()
    assert.are.equal(expect, m:qk_clip(tau))
    assert.are.equal(0, (qkv:view(33, 1, 16, 16) - v_before):norm("max"))
    m:forward(X)
    local after = m:max_logits()
    -- layer 1's inputs are unchanged, so its clipped heads land on tau exactly (up to rounding)
    for h = 1, 4 do
      local want = before:get(1, h) > tau and tau or before:get(1, h)
      assert.is_true(math.abs(after:get(1, h) - want) <= 1e-12 * math.abs(want), ("head %d: %g vs %g"):format(h, after:get(1, h), want))
    end
    assert.are.equal(0, m:qk_clip(1e9))
  end)

  it("generate is seeded, greedy at temperature 0, and stays within the vocabulary", function()
    local m = ml.models.gpt(config())
    perturb(m, 0.5)
    local a = m:generate({ 1, 2, 3 }, 20, { seed = 7 })
    local b = m:generate({ 1, 2, 3 }, 20, { seed = 7 })
    local c = m:generate({ 1, 2, 3 }, 20, { seed = 8 })
    assert.are.same(a, b)
    assert.are_not.same(a, c)
    for _, v in ipairs(a) do assert.is_true(math.type(v) == "integer" and v >= 0 and v < 13) end
    -- greedy: the first token is the argmax of the last position's logits
    local g = m:generate({ 4, 5 }, 3, { temperature = 0 })
    local L = m:forward(ml.from_table { { 4, 5 } })
    local best, arg = -math.huge, nil
    for v = 1, 13 do if L:get(2, v) > best then best, arg = L:get(2, v), v - 1 end end
    assert.are.equal(arg, g[1])
    assert.are.equal(3, #g)
  end)
end)

describe("gpt argument errors name the function and the option", function()
  it("rejects bad options, token ids, lengths and shapes", function()
    assert.has_error(function() ml.models.gpt(config { heads = 5 }) end,
      "bad argument #1 to 'gpt' (option 'heads': a divisor of embed = 16 expected, got 5)")
    assert.has_error(function() ml.models.gpt(config { norm = "batchnorm" }) end)
    assert.has_error(function() ml.models.gpt(config { bias = 1 }) end,
      "bad argument #1 to 'gpt' (option 'bias': a boolean expected, got number)")
    local m = ml.models.gpt(config())
    local X, Y = ids(2, 5, 13, 1), ids(2, 5, 13, 2)
    X:set(2, 3, 13)
    local ok, err = pcall(m.loss_grad, m, X, Y)
    assert.is_false(ok)
    assert.matches("bad argument #1 to 'loss_grad' %(token id 13 at position 8 is not an integer in 0..12%)", err)
    X:set(2, 3, 1.5)
    assert.has_error(function() m:evaluate(X, Y) end)
    X:set(2, 3, 0)
    Y:set(1, 1, -1)
    ok, err = pcall(m.loss_grad, m, X, Y)
    assert.matches("bad argument #2 to 'loss_grad' %(label %-1 at position 1", err)
    ok, err = pcall(m.loss_grad, m, ids(1, 13, 13, 1), ids(1, 13, 13, 2))
    assert.matches("bad argument #1 to 'loss_grad' %(13 positions exceed the model's context = 12%)", err)
    assert.has_error(function() m:loss_grad(X, ids(2, 4, 13, 1)) end,
      "bad argument #2 to 'loss_grad' (next-token ids must be 2 x 5 like the inputs, got 2 x 4)")
    assert.has_error(function() m:generate({ 13 }, 2) end)
    assert.has_error(function() m:generate({}, 2) end)
    assert.has_error(function() m:qk_clip(-1) end)
  end)
end)

---------------------------------------------------------------------------- memory

local function rss_kib()
  collectgarbage()
  collectgarbage()
  local f = assert(io.open("/proc/self/statm"))
  local s = f:read("l")
  f:close()
  return tonumber(s:match("^%d+%s+(%d+)")) * 4
end

describe("gpt memory", function()
  local it_ = os.getenv("ASAN_OPTIONS") and pending or it
  -- 1000 SGD steps of a small GPT (B = 8, T = 16): after 100 warm-up steps, the resident size
  -- must stay within 4 MiB (one leaked activation buffer per step, 8*16*64*8 bytes = 64 KiB,
  -- would add 58 MiB), and loss_grad must hand back the same gradient buffers every step.
  it_("1000 training steps keep the resident size within 4 MiB after warm-up", function()
    local m = ml.models.gpt { vocab = 20, context = 16, layers = 2, heads = 4, embed = 64, seed = 1 }
    local X, Y = ids(8, 16, 20, 1), ids(8, 16, 20, 2)
    local first, before
    for step = 1, 1000 do
      local loss, grads = m:loss_grad(X, Y)
      first = first or grads[3]
      assert(grads[3] == first)
      for k, p in ipairs(m:params()) do p:add_(grads[k], -0.05) end
      if step == 100 then before = rss_kib() end
      if step == 1000 then assert(loss < math.log(20), loss) end
    end
    local after = rss_kib()
    print(("memory: gpt 1000 steps: resident %d KiB after 100 steps, %d KiB at the end (%+d KiB)")
      :format(before, after, after - before))
    assert.is_true(after - before <= 4096, ("grew by %d KiB"):format(after - before))
  end)
end)

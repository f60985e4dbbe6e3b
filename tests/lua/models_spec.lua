-- ml.models and ml.nn: every model's gradient against central finite differences in float64,
-- closed-form optima, the softmax cross-entropy at extreme logits, buffer reuse, argument errors.
local ml = require "muonlab"

-- Norm-wise relative error ||fd - g|| / ||g|| over all parameters, fd by central differences
-- with step h. The loss is smooth near the test points, so the truncation error is O(h^2)
-- (~1e-12) and the rounding error about eps |f| / h (~1e-10): 1e-6 leaves a wide margin.
local function gradcheck(model, loss_fn, h)
  h = h or 1e-6
  local _, grads = loss_fn(true)
  local g = {}
  for k, G in ipairs(grads) do g[k] = G:clone() end
  local err2, norm2 = 0, 0
  for k, P in ipairs(model:params()) do
    for i = 1, P:rows() do
      for j = 1, P:cols() do
        local v = P:get(i, j)
        P:set(i, j, v + h)
        local lp = loss_fn(false)
        P:set(i, j, v - h)
        local lm = loss_fn(false)
        P:set(i, j, v)
        local fd, an = (lp - lm) / (2 * h), g[k]:get(i, j)
        err2 = err2 + (fd - an) ^ 2
        norm2 = norm2 + an ^ 2
      end
    end
  end
  return math.sqrt(err2 / norm2)
end

describe("model gradients match central differences (float64, h = 1e-6, relative error < 1e-6)", function()
  it("mlp with ReLU and GELU, two hidden layers", function()
    for _, act in ipairs { "relu", "gelu" } do
      local model = ml.models.mlp { sizes = { 5, 4, 3, 3 }, act = act, seed = 3 }
      local X = ml.randn(6, 5, { seed = 4 })
      local y = ml.from_table { { 0 }, { 2 }, { 1 }, { 1 }, { 0 }, { 2 } }
      -- nonzero biases so their gradients are exercised away from the initial point
      for _, p in ipairs(model:params()) do if p:rows() == 1 then p:copy_(ml.randn(1, p:cols(), { seed = 5 })) end end
      local e = gradcheck(model, function(want)
        if want then return model:loss_grad(X, y) end
        return model:loss(X, y)
      end)
      assert.is_true(e < 1e-6, act .. " relative error " .. e)
    end
  end)

  it("least squares", function()
    local p = ml.models.least_squares { n = 8, d = 4, m = 3, cond = 100, seed = 2, init = 1 }
    local e = gradcheck(p, function(want) if want then return p:loss_grad() end return p:loss() end)
    assert.is_true(e < 1e-6, "relative error " .. e)
  end)

  it("every weight is out x in, as the optimizers assume (W x maps inputs to outputs)", function()
    -- least squares: predictions A W^T (n x m) from inputs A (n x d), so W is m x d
    local p = ml.models.least_squares { n = 8, d = 4, m = 3, seed = 2, init = 1 }
    assert.are.same({ 3, 4 }, { p:params()[1]:shape() })
    assert.are.same({ 3, 4 }, p:param_info()[1].shape)
    local R = ml.matmul(p.A, p:params()[1], { tb = true }) - p.B   -- the residual by definition
    assert.is_true(math.abs(ml.dot(R, R) / 16 - p:loss()) < 1e-12 * p:loss())
    -- at a wide W (m < d) Muon's sqrt(max(1, rows/cols)) is 1, as for every out x in layer with out < in
    assert.is_true(p:params()[1]:rows() < p:params()[1]:cols())
    local mlp = ml.models.mlp { sizes = { 5, 4, 3 } }
    assert.are.same({ 4, 5 }, { mlp:params()[1]:shape() })
    assert.are.same({ 3, 4 }, { mlp:params()[3]:shape() })
    local lm = ml.models.char_mlp { vocab = 7, context = 3, embed = 2, hidden = 5 }
    assert.are.same({ 5, 6 }, { lm:params()[2]:shape() })   -- W1: hidden x context*embed
    assert.are.same({ 7, 5 }, { lm:params()[4]:shape() })   -- W2: vocab x hidden
  end)

  it("low-rank factorisation and matrix sensing", function()
    for _, make in ipairs { ml.models.lowrank, ml.models.sensing } do
      local p = make { m = 5, n = 4, rank = 2, k = 3, seed = 7, init = 0.5 }
      local e = gradcheck(p, function(want) if want then return p:loss_grad() end return p:loss() end)
      assert.is_true(e < 1e-6, p.name .. " relative error " .. e)
    end
  end)

  it("character MLP (embedding, GELU, softmax over the vocabulary)", function()
    local model = ml.models.char_mlp { vocab = 7, context = 3, embed = 2, hidden = 5, seed = 2 }
    -- token 4 twice in a row and in two rows: the scatter-add must sum the repeats
    local X = ml.from_table { { 0, 4, 4 }, { 6, 1, 4 }, { 2, 2, 3 }, { 5, 0, 1 } }
    local y = ml.from_table { { 1 }, { 6 }, { 0 }, { 4 } }
    local e = gradcheck(model, function(want)
      if want then return model:loss_grad(X, y) end
      return model:loss(X, y)
    end)
    assert.is_true(e < 1e-6, "relative error " .. e)
  end)
end)

describe("closed-form optima", function()
  it("least squares: the loss at W* is f*, the gradient there vanishes, A/sqrt(n) has condition cond", function()
    local p = ml.models.least_squares { n = 40, d = 10, m = 5, cond = 1e3, noise = 0.3, seed = 3 }
    local f_star, W_star = p:optimum()
    p:params()[1]:copy_(W_star)
    local f, g = p:loss_grad()
    -- f* from the SVD residual vs the loss evaluated at the SVD solution: both O(eps cond) apart
    assert.is_true(math.abs(f - f_star) <= 1e-10 * f_star, ("f %.17g f* %.17g"):format(f, f_star))
    assert.is_true(ml.norm(g[1]) < 1e-10, "gradient at W*: " .. ml.norm(g[1]))
    -- expected f*: noise^2 (n - d) m / (2n) = 0.1575 up to chi-square fluctuation (~ 1/sqrt(150))
    assert.is_true(math.abs(f_star / 0.1575 - 1) < 0.35, "f* " .. f_star)
    local s = ml.singular_values(p.A * (1 / math.sqrt(40)))
    assert.is_true(math.abs(s:get(1, 1) - 1) < 1e-12 and math.abs(s:get(10, 1) - 1e-3) < 1e-14)
  end)

  it("low rank: U = U_r S^1/2, V = V_r S^1/2 from the SVD of M* gives loss 0 (both problems)", function()
    for _, make in ipairs { ml.models.lowrank, ml.models.sensing } do
      local p = make { m = 6, n = 5, rank = 2, seed = 11 }
      local U, s, V = ml.svd(p.M_star)
      local P = p:params()
      for i = 1, 2 do
        local r = math.sqrt(s:get(i, 1))
        for a = 1, 6 do P[1]:set(a, i, U:get(a, i) * r) end
        for b = 1, 5 do P[2]:set(b, i, V:get(b, i) * r) end
      end
      assert.is_true(p:loss() < 1e-28, p.name .. " loss " .. p:loss())
      assert.is_true(p:recovery_error() < 1e-14)
      local sv = ml.singular_values(p.M_star)
      assert.is_true(math.abs(sv:get(1, 1) - 1) < 1e-13 and math.abs(sv:get(2, 1) - 0.1) < 1e-13 and sv:get(3, 1) < 1e-14)
    end
  end)
end)

describe("nn kernels from Lua", function()
  it("softmax cross-entropy: finite at extreme logits, matching the two-class closed form", function()
    for _, a in ipairs { 1e3, 1e300, -1e300 } do
      local Z = ml.from_table { { a, 0 }, { a, 0 } }
      local y = ml.from_table { { 0 }, { 1 } }
      local dZ = ml.zeros(2, 2)
      local loss = ml.nn.softmax_ce(Z, y, dZ)
      -- labels 0 and 1: softplus(-a) + softplus(a) = |a| + 2 log(1 + e^-|a|) = |a| here
      assert.are.equal(math.abs(a) / 2, loss)
      assert.is_true(dZ:isfinite())
    end
  end)

  it("GELU derivative matches central differences", function()
    local worst, h = 0, 1e-5
    for x = -8, 8, 0.125 do
      local fd = (ml.nn.gelu(x + h) - ml.nn.gelu(x - h)) / (2 * h)
      worst = math.max(worst, math.abs(fd - ml.nn.gelu_grad(x)))
    end
    assert.is_true(worst < 1e-9, "worst " .. worst)
  end)

  it("raise errors naming the kernel and the problem", function()
    local Z, y = ml.zeros(2, 3), ml.from_table { { 0 }, { 3 } }
    assert.has_error(function() ml.nn.softmax_ce(Z, y) end,
      "nn.softmax_ce: label 3 at position 2 is not an integer in 0..2")
    assert.has_error(function() ml.nn.linear_forward(ml.zeros(2, 2), ml.zeros(2, 3), ml.zeros(2, 4)) end)
    assert.has_error(function() ml.nn.relu_forward(ml.zeros(2, 2), "x") end)
    local ok, msg = pcall(ml.nn.gemm, ml.zeros(2, 2), ml.zeros(2, 3), ml.zeros(2, 2))
    assert.is_false(ok)
    assert.truthy(msg:find("nn.gemm: matmul: shape mismatch", 1, true))
  end)
end)

describe("mlp", function()
  it("reuses its gradient buffers, evaluates in chunks like one batch, and learns", function()
    local d = ml.data.synthetic_classes { n_train = 512, n_test = 256, features = 20, classes = 4, spread = 0.4, noise = 0.2, seed = 2, dtype = "float64" }
    local model = ml.models.mlp { sizes = { 20, 16, 4 }, seed = 1 }
    local l1, g1 = model:loss_grad(d.train.X, d.train.y)
    local g1a = g1[1]
    local l2, g2 = model:loss_grad(d.train.X, d.train.y)
    assert.are.equal(g1, g2)
    assert.are.equal(g1a, g2[1])
    assert.are.equal(l1, l2)
    local lc, ac = model:evaluate(d.test.X, d.test.y, { batch = 100 })   -- chunks 100, 100, 56
    local lw, nc = model:loss(d.test.X, d.test.y)
    assert.is_true(math.abs(lc - lw) < 1e-13)
    assert.are.equal(nc / 256, ac)
    -- plain gradient descent for 60 steps on minibatches of 64: training loss drops well below log 4
    local params = model:params()
    for epoch = 1, 8 do
      for Xb, yb in ml.data.minibatches(d.train.X, d.train.y, 64, { seed = epoch }) do
        local _, g = model:loss_grad(Xb, yb)
        for i, p in ipairs(params) do p:add_(g[i], -0.5) end
      end
    end
    local lt, at = model:evaluate(d.test.X, d.test.y)
    assert.is_true(lt < 0.5 * math.log(4) and at > 0.9, ("test loss %g accuracy %g"):format(lt, at))
  end)

  it("describes its parameters: W out x in, b 1 x out, kinds", function()
    local model = ml.models.mlp { sizes = { 6, 5, 3 } }
    local info = model:param_info()
    assert.are.same({ "W1", "b1", "W2", "b2" }, { info[1].name, info[2].name, info[3].name, info[4].name })
    assert.are.same({ "matrix", "bias", "head", "bias" }, { info[1].kind, info[2].kind, info[3].kind, info[4].kind })
    assert.are.same({ 5, 6 }, info[1].shape)
    assert.are.same({ 1, 5 }, info[2].shape)
    assert.are.equal(6 * 5 + 5 + 5 * 3 + 3, model:num_params())
    local s = model:state()
    model:params()[1]:fill(0)
    model:set_state(s)
    assert.are.equal(0, ml.norm(model:params()[1] - s[1]))
  end)

  it("rejects bad options and inputs with messages naming the call", function()
    assert.has_error(function() ml.models.mlp { sizes = { 4 } } end)
    assert.has_error(function() ml.models.mlp { sizes = { 4, 2 }, act = "tanh" } end,
      "bad argument #1 to 'mlp' (option 'act': one of \"relu\", \"gelu\" expected, got \"tanh\")")
    assert.has_error(function() ml.models.mlp { sizes = { 4, 2 }, bogus = 1 } end)
    local model = ml.models.mlp { sizes = { 4, 3, 2 } }
    assert.has_error(function() model:loss_grad(ml.zeros(5, 3), ml.zeros(5, 1)) end,
      "bad argument #1 to 'loss_grad' (inputs must have 4 columns, got 5 x 3)")
    assert.has_error(function() model:loss_grad(ml.zeros(5, 4, { dtype = "float32" }), ml.zeros(5, 1)) end)
    assert.has_error(function() model:loss_grad(ml.zeros(5, 4), ml.zeros(4, 1)) end,
      "bad argument #2 to 'loss_grad' (labels must be a vector of 5 entries, got 4 x 1)")
    assert.has_error(function() model:loss_grad(ml.zeros(2, 4), ml.from_table { { 0 }, { 2 } }) end,
      "nn.softmax_ce: label 2 at position 2 is not an integer in 0..1")
    assert.has_error(function() ml.models.least_squares { n = 3, d = 5 } end)
    assert.has_error(function() ml.models.lowrank { m = 3, n = 2, rank = 3 } end)
    assert.has_error(function() ml.models.char_mlp {} end)
  end)

  it("float32 matches float64 to single precision", function()
    local X = ml.randn(8, 6, { seed = 1 })
    local y = ml.from_table { { 0 }, { 1 }, { 2 }, { 0 }, { 1 }, { 2 }, { 0 }, { 1 } }
    local m64 = ml.models.mlp { sizes = { 6, 5, 3 }, act = "gelu", seed = 9 }
    local m32 = ml.models.mlp { sizes = { 6, 5, 3 }, act = "gelu", seed = 9, dtype = "float32" }
    local l64, g64 = m64:loss_grad(X, y)
    local l32, g32 = m32:loss_grad(X:astype("float32"), y)
    -- same initial weights rounded to float32; relative differences ~1e-7 per operation
    assert.is_true(math.abs(l64 - l32) < 1e-5 * l64)
    for i = 1, 4 do assert.is_true(ml.norm(g64[i] - g32[i]:astype("float64")) < 1e-5 * (ml.norm(g64[i]) + 1e-3)) end
  end)
end)

describe("char_mlp", function()
  it("learns a periodic text and samples from its vocabulary", function()
    local c = ml.corpus_string(("abcab\n"):rep(200), { seed = 3 })
    local model = ml.models.char_mlp { vocab = c:vocab_size(), context = 3, embed = 4, hidden = 16, seed = 1 }
    local X, y = ml.zeros(32, 3), ml.zeros(32, 1)
    local params = model:params()
    for _ = 1, 300 do
      c:batch(X, y)
      local _, g = model:loss_grad(X, y)
      for i, p in ipairs(params) do p:add_(g[i], -0.3) end
    end
    local loss, acc = model:evaluate(c, { max_windows = 500 })
    -- the next character is a function of the previous 3: the loss goes to 0 nats/char
    assert.is_true(loss < 0.05 and acc == 1, ("loss %g accuracy %g"):format(loss, acc))
    local s = model:sample(c, 12, { prompt = "abc", seed = 2 })
    assert.are.equal("ab\nabcab\nabc", s)
  end)
end)

describe("training steps allocate nothing", function()
  it("loss_grad of every model leaves the Lua heap unchanged after the first call", function()
    local c = ml.corpus_string(("abcdefgh"):rep(20))
    local cm = ml.models.char_mlp { vocab = c:vocab_size(), context = 4, embed = 3, hidden = 8 }
    local X, y = ml.zeros(16, 4), ml.zeros(16, 1)
    local mlp = ml.models.mlp { sizes = { 10, 8, 3 }, act = "gelu" }
    local Xm, ym = ml.randn(16, 10, { seed = 1 }), ml.zeros(16, 1)
    local problems = {
      least_squares = function() local p = ml.models.least_squares { n = 20, d = 5, m = 3 } return function() p:loss_grad() end end,
      lowrank = function() local p = ml.models.lowrank { m = 6, n = 5 } return function() p:loss_grad() end end,
      sensing = function() local p = ml.models.sensing { m = 6, n = 5 } return function() p:loss_grad() end end,
      char_mlp = function() return function() c:batch(X, y); cm:loss_grad(X, y) end end,
      mlp = function() return function() mlp:loss_grad(Xm, ym) end end,
    }
    for name, make in pairs(problems) do
      local step = make()
      step()
      collectgarbage()
      collectgarbage("stop")
      local before = collectgarbage("count")
      for _ = 1, 200 do step() end
      local grown = collectgarbage("count") - before
      collectgarbage("restart")
      assert.is_true(grown < 1, ("%s: %.2f KiB in 200 steps"):format(name, grown))
    end
  end)
end)

-- ml.ns options (precond, precision, form, restart, trace, workspace), ml.ns_shape,
-- ml.polar{method = "eig"}, ml.set_threads / ml.get_threads. The numerical definitions are tested
-- against independent references in tests/c/test_ns.c; here: the Lua surface, the trace against
-- separate ml.orth_error / ml.polar_distance calls, and every bad option value.
local ml = require "muonlab"

local A = ml.spectrum(24, 60, { cond = 10, seed = 3 })   -- s_max = 1
local rows, cols = A:shape()
local k = math.min(rows, cols)

local function maxdiff(X, Y) return ml.norm(X - Y, "max") end

describe("ns options", function()
  it("keeps the old default and agrees across forms in fp64", function()
    local X = ml.ns(A)   -- jordan, 5 steps, frobenius, direct, fp64
    local Xd = ml.ns(A, { coeffs = "jordan", steps = 5, precond = "frobenius", form = "direct", precision = "fp64" })
    assert.are.equal(0, maxdiff(X, Xd))
    -- same polynomial of A_0 evaluated in two orders: a few 1e-15 apart (1e-12 with margin)
    for _, pc in ipairs { "frobenius", "spectral", "aol", "schatten", "none" } do
      local d = ml.ns(A, { coeffs = "quintic", steps = 8, precond = pc })
      local g = ml.ns(A, { coeffs = "quintic", steps = 8, precond = pc, form = "gram" })
      local r = ml.ns(A, { coeffs = "quintic", steps = 8, precond = pc, form = "gram", restart = 3 })
      assert.is_true(maxdiff(d, g) < 1e-12, pc)
      assert.is_true(maxdiff(d, r) < 1e-12, pc)
    end
  end)

  it("returns the input's dtype whatever the precision", function()
    local A32 = A:astype("float32")
    assert.are.equal("float32", ml.ns(A32):dtype())
    assert.are.equal("float32", ml.ns(A32, { precision = "fp64" }):dtype())
    assert.are.equal("float64", ml.ns(A, { precision = "bf16" }):dtype())
    -- float64 input in fp32 = float32 input (the input is rounded to the format on entry)
    assert.are.equal(0, maxdiff(ml.ns(A, { precision = "fp32" }), ml.ns(A32):astype("float64")))
  end)

  it("stores bf16 and fp16 values and lands at their rounding level", function()
    local P = ml.polar(A)
    for _, case in ipairs { { "bf16", 2 ^ -8 }, { "fp16", 2 ^ -11 } } do
      local prec, u = case[1], case[2]
      local X = ml.ns(A:astype("float32"), { coeffs = "quintic", steps = 12, precision = prec })
      assert.are.equal(0, maxdiff(ml.round(X, prec), X))
      local d = ml.norm(X:astype("float64") - P) / math.sqrt(k)
      assert.is_true(d > u / 2 and d < 32 * u, prec .. " " .. d)
    end
  end)

  it("accepts the options it documents", function()
    local X = ml.ns(A, { precond = "spectral", power_steps = 3, eps = 0, precision = "float32",
      form = "gram", restart = 0, trace = false, workspace = ml.ns_workspace() })
    assert.are.equal(rows, X:rows())
  end)
end)

describe("ns trace", function()
  for _, form in ipairs { "direct", "gram" } do
    it("records each step like separate calls (" .. form .. ")", function()
      local T = ml.spectrum(40, 16, { cond = 30, seed = 5 })   -- tall: the trace works on the short side
      local t0 = ml.now()
      local X, tr = ml.ns(T, { coeffs = "quintic", steps = 4, form = form, trace = true })
      local wall = ml.now() - t0
      assert.are.equal(4, #tr)
      assert.are.equal(0, tr.precond.step)
      local P = ml.polar(T)
      local kk = 16
      for t, r in ipairs(tr) do
        assert.are.equal(t, r.step)
        local Xt = ml.ns(T, { coeffs = "quintic", steps = t, form = form })
        local f, s = ml.orth_error(Xt)
        assert.is_true(math.abs(r.orth_fro - f) <= 1e-12 * math.max(1, f))
        assert.is_true(math.abs(r.orth_spec - s) <= 1e-12 * math.max(1, s))
        assert.is_true(math.abs(r.polar_dist - ml.polar_distance(Xt, T) / math.sqrt(kk)) < 1e-12)
        local sv = ml.singular_values(Xt)
        assert.is_true(math.abs(r.smax - sv:get(1, 1)) < 1e-12)
        assert.is_true(math.abs(r.smin - sv:get(kk, 1)) < 1e-12)
        assert.is_true(r.time > 0)   -- the step's own seconds: BLAS calls, never 0 on a ns clock
      end
      -- The records time the steps alone (the recording, an SVD per step, is excluded), so
      -- together they take less than the traced call; cumulative or trace-inclusive times would not.
      local sum = tr.precond.time
      for _, r in ipairs(tr) do sum = sum + r.time end
      assert.is_true(tr.precond.time > 0 and sum < wall, ("steps %.3g s, call %.3g s"):format(sum, wall))
      assert.are.equal(0, maxdiff(X, ml.ns(T, { coeffs = "quintic", steps = 4, form = form })))
      -- record 0 is X_0: Frobenius scaling gives smax = s_max / (||T||_F + eps), s_max = 1
      assert.is_true(math.abs(tr.precond.smax - 1 / (ml.norm(T) + 1e-7)) < 1e-12)
    end)
  end
end)

describe("ns workspace", function()
  it("allocates on the first call only", function()
    local ws = ml.ns_workspace()
    assert.are.equal(0, ws:allocations())
    assert.matches("empty", tostring(ws))
    local G = ml.randn(32, 96, { seed = 2 }):astype("float32")
    for _, o in ipairs {
      { form = "direct" }, { form = "gram" }, { form = "gram", precision = "bf16", restart = 2 },
      { form = "direct", precision = "bf16", precond = "aol" },
    } do
      o.workspace = ws
      ml.ns(G, o)
      local n = ws:allocations()
      for _ = 1, 3 do ml.ns(G, o) end
      assert.are.equal(n, ws:allocations())
    end
    assert.matches("32 x 32", tostring(ws))
    ws:free()
    assert.are.equal(0, ws:allocations())
    do local w <close> = ml.ns_workspace(); ml.ns(G, { workspace = w }) end
  end)
end)

describe("ns errors", function()
  local cases = {
    { { precond = "turbo" }, "option 'precond': one of \"frobenius\", \"spectral\", \"aol\", \"schatten\", \"none\" expected, got \"turbo\"" },
    { { precision = "fp8" }, "option 'precision': one of \"fp64\", \"fp32\", \"bf16\", \"fp16\" expected, got \"fp8\"" },
    { { form = "fast" }, "option 'form': one of \"direct\", \"gram\" expected, got \"fast\"" },
    { { power_steps = -1 }, "power_steps" },
    { { power_steps = 0 }, "power_steps" },
    { { power_steps = 65 }, "power_steps" },
    { { restart = -2 }, "restart" },
    { { eps = -1 }, "eps" },
    { { eps = 0 / 0 }, "eps" },
    { { trace = "yes" }, "trace" },
    { { workspace = {} }, "option 'workspace': a muonlab.ns_workspace expected, got table" },
    { { workspace = ml.eye(2) }, "muonlab.ns_workspace expected" },
    { { precond = 3 }, "precond" },
    { { coeffs = "nonsense" }, "unknown schedule" },
  }
  for _, c in ipairs(cases) do
    it(c[2], function()
      local ok, err = pcall(function() return ml.ns(A, c[1]) end)
      assert.is_false(ok)
      assert.matches("bad argument #2 to 'ns'", err, 1, true)
      assert.matches(c[2], err, 1, true)
    end)
  end
  it("reports overflow of the format instead of returning Inf", function()
    local ok, err = pcall(function() return ml.ns(A * 1e6, { precision = "fp16", precond = "none" }) end)
    assert.is_false(ok)
    assert.matches("beyond the range of fp16", err, 1, true)
  end)
end)

describe("ns_shape", function()
  it("maps conv filters and dense kernels to matrices", function()
    assert.are.same({ 64, 288 }, { ml.ns_shape { 64, 32, 3, 3 } })
    assert.are.same({ 64, 288 }, { ml.ns_shape({ 64, 32, 3, 3 }, "conv") })
    assert.are.same({ 288, 64 }, { ml.ns_shape({ 3, 3, 32, 64 }, "last") })
    assert.are.same({ 7, 5 }, { ml.ns_shape { 7, 5 } })
    assert.are.same({ 6, 4 }, { ml.ns_shape({ 2, 3, 4 }, function(s) return s[1] * s[2], s[3] end) })
    local G = ml.randn(8, 4 * 3 * 3, { seed = 1 })
    local r, c = ml.ns_shape { 8, 4, 3, 3 }
    assert.are.equal(36, G:reshape(r, c):cols())
  end)
  it("rejects bad shapes and rules", function()
    assert.has_error(function() ml.ns_shape {} end)
    assert.has_error(function() ml.ns_shape { 4, 0 } end)
    assert.has_error(function() ml.ns_shape { 4, 2.5 } end)
    assert.has_error(function() ml.ns_shape({ 4, 2 }, "rows") end)
    assert.has_error(function() ml.ns_shape({ 4, 2 }, function() return 3, 3 end) end)
  end)
end)

describe("polar method eig", function()
  it("matches the SVD route on a well-conditioned input", function()
    -- error ~ cond^2 eps: 5.8e-12 relative measured at cond 1e3
    local B = ml.spectrum(64, 256, { cond = 1e3, seed = 3 })
    assert.is_true(maxdiff(ml.polar(B, { method = "eig" }), ml.polar(B)) < 1e-10)
    assert.is_true(maxdiff(ml.polar(B:t(), { method = "eig" }), ml.polar(B:t())) < 1e-10)
    assert.are.equal(0, maxdiff(ml.polar(B, { method = "svd" }), ml.polar(B)))
  end)
  it("rejects unknown methods", function()
    local ok, err = pcall(function() return ml.polar(A, { method = "qr" }) end)
    assert.is_false(ok)
    assert.matches("option 'method': one of \"svd\", \"eig\", \"qdwh\", \"zolo\", \"newton\" expected, got \"qr\"", err, 1, true)
  end)
end)

describe("threads", function()
  it("sets and reports the BLAS thread count", function()
    local n = ml.get_threads()
    assert.is_true(n >= 1)
    assert.are.equal(n, ml.set_threads(1))
    assert.are.equal(1, ml.get_threads())
    ml.set_threads(n)
    assert.are.equal(n, ml.get_threads())
    assert.has_error(function() ml.set_threads(0) end)
    assert.has_error(function() ml.set_threads("two") end)
  end)
end)

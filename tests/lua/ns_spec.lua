-- ml.ns options (precond, precision, form, restart, trace, workspace), ml.ns_shape,
-- ml.polar{method = "eig" | "auto"}, ml.set_threads / ml.get_threads. The numerical definitions are tested
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

describe("ns forms eig and auto", function()
  it("agree with the direct form in fp64 for every preconditioner", function()
    -- the same polynomial of X_0 X_0^T evaluated through the eigendecomposition: a few 1e-15
    for _, pc in ipairs { "frobenius", "spectral", "aol", "schatten", "none" } do
      local d = ml.ns(A, { coeffs = "quintic", steps = 8, precond = pc })
      assert.is_true(maxdiff(d, ml.ns(A, { coeffs = "quintic", steps = 8, precond = pc, form = "eig" })) < 1e-12, pc)
      assert.is_true(maxdiff(d, ml.ns(A, { coeffs = "quintic", steps = 8, precond = pc, form = "auto" })) < 1e-12, pc)
      assert.is_true(maxdiff(d:t(), ml.ns(A:t(), { coeffs = "quintic", steps = 8, precond = pc, form = "eig" })) < 1e-12)
    end
  end)

  it("tell which form ran and fall back from eig where it is inaccurate", function()
    local ws = ml.ns_workspace()
    assert.is_nil(ws:last_form())
    ml.ns(A, { form = "eig", workspace = ws })
    local form, est = ws:last_form()
    assert.are.equal("eig", form)
    assert.is_true(est > 0 and est < 1e-12, est)   -- Jordan in fp64 at cond 10
    ml.ns(A, { form = "direct", workspace = ws })
    form, est = ws:last_form()
    assert.are.equal("direct", form)
    assert.is_nil(est)
    -- Polar Express's steep polynomial on a cond-1e6 fp32 matrix: auto takes eig at 512 x 1024, but
    -- its estimated error (measured 8.5e-2 at 256 x 1024) is far above auto's 3e4 eps even after
    -- the float64 refinement, so auto runs the direct form
    local B = ml.spectrum(512, 1024, { cond = 1e6, seed = 4 }):astype("float32")
    local o = { coeffs = "polar_express", steps = 8, workspace = ws }
    o.form = "auto"
    local Xa = ml.ns(B, o)
    assert.are.equal("direct", (ws:last_form()))
    o.form = "direct"
    assert.are.equal(0, maxdiff(Xa, ml.ns(B, o)))
    -- bf16 has no eig form; auto picks one that works
    local ok, err = pcall(ml.ns, A, { form = "eig", precision = "bf16" })
    assert.is_false(ok)
    assert.matches("form 'eig' needs precision fp64 or fp32", err, 1, true)
    ml.ns(A, { form = "auto", precision = "bf16", workspace = ws })
    assert.are_not.equal("eig", (ws:last_form()))
  end)

  it("traces every step, the whole cost on the last", function()
    local T = ml.spectrum(40, 16, { cond = 30, seed = 5 })
    local t0 = ml.now()
    local X, tr = ml.ns(T, { coeffs = "quintic", steps = 4, form = "eig", trace = true })
    local wall = ml.now() - t0
    assert.are.equal(4, #tr)
    local sum = tr.precond.time
    for t, r in ipairs(tr) do
      local Xt = ml.ns(T, { coeffs = "quintic", steps = t, form = "eig" })
      assert.is_true(math.abs(r.polar_dist - ml.polar_distance(Xt, T) / 4) < 1e-12)
      assert.is_true(t < 4 and r.time == 0 or r.time > 0)
      sum = sum + r.time
    end
    assert.is_true(sum < wall)
    assert.are.equal(0, maxdiff(X, ml.ns(T, { coeffs = "quintic", steps = 4, form = "eig" })))
  end)
end)

describe("ns workspace", function()
  it("allocates on the first call only", function()
    local ws = ml.ns_workspace()
    assert.are.equal(0, ws:allocations())
    assert.matches("empty", tostring(ws))
    local G = ml.randn(32, 96, { seed = 2 }):astype("float32")
    for _, o in ipairs {
      { form = "direct" }, { form = "gram" }, { form = "gram", precision = "bf16", restart = 2 },
      { form = "direct", precision = "bf16", precond = "aol" }, { form = "eig" }, { form = "auto" },
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

describe("ns_plan run_many", function()
  it("orthogonalizes a parameter list like run, one call", function()
    local plan = ml.ns_plan { form = "auto" }
    local Gs, outs = {}, {}
    for i, sh in ipairs { { 96, 32 }, { 32, 48 }, { 128, 32 }, { 10, 64 } } do
      Gs[i] = ml.randn(sh[1], sh[2], { seed = i, dtype = "float32" })
      outs[i] = ml.zeros(sh[1], sh[2], { dtype = "float32" })
    end
    Gs[5], outs[5] = Gs[1]:view(1, 1, 16, 32), ml.zeros(16, 32, { dtype = "float32" })   -- a head: a view
    assert.are.equal(outs, plan:run_many(outs, Gs))
    local n = plan:allocations()
    plan:run_many(outs, Gs)
    assert.are.equal(n, plan:allocations())
    -- threads may take other BLAS kernels than one thread: fp32 rounding (test_ns.c: ns_many)
    for i = 1, #Gs do assert.is_true(maxdiff(outs[i], ml.ns(Gs[i], { form = "auto" })) < 1e-5) end
  end)
  it("rejects bad lists naming the argument", function()
    local plan = ml.ns_plan {}
    local G, O = ml.randn(4, 6, { seed = 1 }), ml.zeros(4, 6)
    for _, c in ipairs {
      { { O }, { G, G }, "#3", "1 outputs but 2 inputs" },
      { { O, O }, { G, ml.randn(4, 6) }, "#2", "outs[1] shares storage with outs[2]" },
      { { G }, { G }, "#2", "shares storage with Gs[1]" },
      { { O }, { 3 }, "#3", "Gs[1] is not a matrix" },
      { { ml.zeros(6, 4) }, { G }, "#2", "outs[1] must have the shape and dtype of Gs[1]" },
      { { ml.zeros(8, 6):view(1, 1, 4, 6) }, { G }, "#2", "owns its storage" },
    } do
      local ok, err = pcall(plan.run_many, plan, c[1], c[2])
      assert.is_false(ok)
      assert.matches("bad argument " .. c[3], err, 1, true)
      assert.matches(c[4], err, 1, true)
    end
    local bad = ml.randn(4, 6, { seed = 2 })
    bad:set(1, 1, 0 / 0)
    local ok, err = pcall(plan.run_many, plan, { O, ml.zeros(4, 6) }, { G, bad })
    assert.is_false(ok)
    assert.matches("matrix 2: ", err, 1, true)
  end)
end)

describe("ns errors", function()
  local cases = {
    { { precond = "turbo" }, "option 'precond': one of \"frobenius\", \"spectral\", \"aol\", \"schatten\", \"none\" expected, got \"turbo\"" },
    { { precision = "fp8" }, "option 'precision': one of \"fp64\", \"fp32\", \"bf16\", \"fp16\" expected, got \"fp8\"" },
    { { form = "fast" }, "option 'form': one of \"direct\", \"gram\", \"eig\", \"auto\" expected, got \"fast\"" },
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
  it("method auto takes eig while cond^2 eps <= sqrt(eps), else the SVD", function()
    local B = ml.spectrum(64, 256, { cond = 1e3, seed = 3 })
    assert.are.equal(0, maxdiff(ml.polar(B, { method = "auto" }), ml.polar(B, { method = "eig" })))
    local C = ml.spectrum(64, 256, { cond = 1e5, seed = 3 })   -- 1e10 eps > sqrt(eps)
    assert.are.equal(0, maxdiff(ml.polar(C, { method = "auto" }), ml.polar(C)))
    local C32 = ml.spectrum(64, 256, { cond = 100, seed = 3 }):astype("float32")   -- 1e4 eps32 > sqrt(eps32)
    assert.are.equal(0, maxdiff(ml.polar(C32, { method = "auto" }), ml.polar(C32)))
  end)
  it("rejects unknown methods", function()
    local ok, err = pcall(function() return ml.polar(A, { method = "qr" }) end)
    assert.is_false(ok)
    assert.matches("option 'method': one of \"svd\", \"eig\", \"qdwh\", \"zolo\", \"newton\", \"auto\" expected, got \"qr\"", err, 1, true)
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

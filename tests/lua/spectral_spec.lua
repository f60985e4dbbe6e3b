-- ml.spectral(A, p, {method = "newton"}): the coupled Newton iteration of "Delving into Muon
-- and Beyond" (arXiv 2602.04669) and the Guo-Higham inverse-root route, against the SVD route
-- (LAPACK), which is computed independently.
local ml = require "muonlab"

local function rel(X, R) return (X:astype("float64") - R):norm() / R:norm() end

describe("spectral, method = newton", function()
  -- cond 100: G = M M^T has cond 1e4; 25 steps are past convergence (the paper route's first call
  -- needs ~18). Without the shift the only error is rounding: measured 7e-15 .. 8e-14, and the
  -- perturbation bound for this conditioning is ~1e-10, so 1e-12 leaves a margin above the
  -- measurements without being loose.
  local A = ml.spectrum(32, 96, { cond = 100, seed = 3 })
  local T = ml.spectrum(96, 32, { cond = 100, seed = 4 })

  for _, route in ipairs { "paper", "roots" } do
    for _, p in ipairs { 0, 0.25, 0.5, 1 } do
      it(("matches the SVD route without shift: route %s, p = %g"):format(route, p), function()
        local o = { method = "newton", route = route, steps = 25, shift = 0, shift_abs = 0 }
        assert.is_true(rel(ml.spectral(A, p, o), ml.spectral(A, p)) < 1e-12)
        assert.is_true(rel(ml.spectral(T, p, o), ml.spectral(T, p)) < 1e-12)
      end)
    end
  end

  it("reaches the paper's accuracy with the default shift on well-conditioned input", function()
    -- cond 3: the shift 1e-6 + 1e-4 mean(s^2) costs about (1-p)/2 * 1e-4 * mean(s^2)/s^2 per
    -- singular value, <= 5e-4 here (measured 5e-5 .. 9e-5); the iteration itself has converged.
    local W = ml.spectrum(32, 96, { cond = 3, seed = 5 })
    for _, p in ipairs { 0, 0.25, 0.5 } do
      local e = rel(ml.spectral(W, p, { method = "newton" }), ml.spectral(W, p))
      assert.is_true(e < 5e-4 and e > 1e-6, ("p = %g: %g"):format(p, e))
    end
  end)

  it("computes other rational powers on the roots route", function()
    local S = ml.spectrum(40, 40, { cond = 30, seed = 6 })
    for _, p in ipairs { 1 / 3, 2 / 3, 0.75, 0.125 } do
      local X = ml.spectral(S, p, { method = "newton", route = "roots", steps = 25, shift = 0, shift_abs = 0 })
      assert.is_true(rel(X, ml.spectral(S, p)) < 1e-12)
    end
  end)

  it("converges monotonically in the number of steps", function()
    for _, p in ipairs { 0, 0.5 } do
      local prev = math.huge
      for k = 1, 22 do
        local e = rel(ml.spectral(A, p, { method = "newton", steps = k, shift = 0, shift_abs = 0 }), ml.spectral(A, p))
        assert.is_true(e <= prev or e < 1e-12, ("p = %g: %g after %g at step %d"):format(p, e, prev, k))
        prev = e
      end
      assert.is_true(prev < 1e-12)
    end
  end)

  it("returns a trace of {step, err, time} for the last coupled-Newton run", function()
    local X, tr = ml.spectral(A, 0.5, { method = "newton", steps = 20, shift = 0, shift_abs = 0, trace = true })
    assert.are.equal(20, #tr)
    for i, t in ipairs(tr) do
      assert.are.equal(i, t.step)
      assert.is_true(t.err >= 0 and t.time >= 0)
      if i > 1 then assert.is_true(t.time >= tr[i - 1].time) end
    end
    assert.is_true(tr[1].err > 0.1)    -- one step of the square root from Y_0 = W/||W||_F is far off
    -- the last estimate is the output but for the final symmetrisation
    assert.is_true(math.abs(tr[20].err - rel(X, ml.spectral(A, 0.5))) < 1e-13)
    local _, none = ml.spectral(A, 1, { method = "newton", trace = true })
    assert.are.same({}, none)
  end)

  it("keeps float32 and honours the precision option", function()
    local A32 = ml.spectrum(32, 96, { cond = 10, seed = 7 }):astype("float32")
    local X = ml.spectral(A32, 0.5, { method = "newton", steps = 20, shift = 0, shift_abs = 0 })
    assert.are.equal("float32", X:dtype())
    -- fp32 arithmetic on cond(G) = 100: ~1e-6 (eps32 cond(G) = 1e-5 at worst)
    assert.is_true(rel(X, ml.spectral(A32:astype("float64"), 0.5)) < 2e-5)
    local B = ml.spectral(A32:astype("float64"), 0.5, { method = "newton", steps = 20, shift = 0, precision = "bf16" })
    assert.are.equal("float64", B:dtype())
    assert.is_true(rel(B, ml.spectral(A32:astype("float64"), 0.5)) < 0.05)   -- bf16: measured ~1e-2
  end)

  it("leaves method = svd as it was", function()
    local P = ml.spectral(A, 0)
    assert.is_true((P - ml.polar(A)):norm() < 1e-14)
    assert.is_true((ml.spectral(A, 0.5, { method = "svd", rtol = 0.5 }) - ml.spectral(A, 0.5)):norm() > 0)
  end)

  it("rejects bad arguments with the function and argument named", function()
    local cases = {
      { function() return ml.spectral(A, 0.3, { method = "newton" }) end, "#2 to 'spectral'.*route 'paper'.*1/3" },
      { function() return ml.spectral(A, 0.3, { method = "newton", route = "roots" }) end, "#2 to 'spectral'.*7/8" },
      { function() return ml.spectral(A, 1.5, { method = "newton", route = "roots" }) end, "#2 to 'spectral'" },
      { function() return ml.spectral(A, -1, { method = "newton" }) end, "#2 to 'spectral'.*p must be" },
      { function() return ml.spectral(A, 0.5, { method = "newton", steps = 0 }) end, "#3 to 'spectral'.*steps" },
      { function() return ml.spectral(A, 0.5, { method = "newton", steps = 2.5 }) end, "#3 to 'spectral'.*steps" },
      { function() return ml.spectral(A, 0.5, { method = "newton", shift = -1 }) end, "#3 to 'spectral'.*shift" },
      { function() return ml.spectral(A, 0.5, { method = "newton", shift = 0 / 0 }) end, "#3 to 'spectral'.*shift" },
      { function() return ml.spectral(A, 0.5, { method = "newton", shift_abs = math.huge }) end, "shift_abs" },
      { function() return ml.spectral(A, 0.5, { method = "newton", route = "fast" }) end, "option 'route': one of \"paper\", \"roots\" expected, got \"fast\"" },
      { function() return ml.spectral(A, 0.5, { method = "newton", precision = "fp8" }) end, "precision" },
      { function() return ml.spectral(A, 0.5, { method = "newton", rtol = 0.1 }) end, "'rtol': applies" },
      { function() return ml.spectral(A, 0.5, { method = "newton", trace = 1 }) end, "option 'trace': a boolean expected, got number" },
      { function() return ml.spectral(A, 0.5, { method = "qr" }) end, "option 'method': one of \"svd\", \"newton\", \"eig\" expected, got \"qr\"" },
      { function() return ml.spectral(A, 0.5, { steps = 5 }) end, "'steps': needs method = \"newton\"" },
      { function() return ml.spectral(A, 0.5, { method = "newton", stesp = 5 }) end, "unknown option 'stesp'" },
      { function() return ml.spectral(ml.zeros(3, 4), 0.5, { method = "newton", shift = 0, shift_abs = 0 }) end,
        "spectral: .*shift > 0" },
    }
    for i, c in ipairs(cases) do
      local ok, err = pcall(c[1])
      assert.is_false(ok, "case " .. i .. " did not fail")
      assert.is_truthy(tostring(err):find(c[2]), ("case %d: %s"):format(i, tostring(err)))
    end
    -- zero input with the default shift is fine: the result is zero
    assert.are.equal(0, ml.spectral(ml.zeros(3, 4), 0.5, { method = "newton" }):norm())
  end)
end)

describe("spectral, method = eig, and spectral_map", function()
  -- Through the eigendecomposition of the short-side Gram matrix: sigma = sqrt(lambda) has a
  -- relative error of about eps cond^2, so at cond 100 in fp64 the bound is ~1e-12 (measured
  -- 1e-14 .. 2e-13); 1e-11 for p < 1, where that error is amplified by at most |p - 1| <= 1.
  local A = ml.spectrum(32, 96, { cond = 100, seed = 3 })
  local T = ml.spectrum(96, 32, { cond = 100, seed = 4 })
  for _, p in ipairs { 0, 0.25, 0.5, 1, 2 } do
    it(("matches the SVD route: p = %g"):format(p), function()
      assert.is_true(rel(ml.spectral(A, p, { method = "eig" }), ml.spectral(A, p)) < 1e-11)
      assert.is_true(rel(ml.spectral(T, p, { method = "eig" }), ml.spectral(T, p)) < 1e-11)
    end)
  end

  it("maps singular values through a Lua function (spectral clipping)", function()
    -- reference built from the SVD: U diag(min(s, c)) V^T
    for _, M in ipairs { A * 3, T * 3 } do
      local U, s, V = ml.svd(M)
      local k = s:rows()
      local D = ml.zeros(k, k)
      for i = 1, k do D:set(i, i, math.min(s:get(i, 1), 1)) end
      local R = U:mm(D):mm(V:t())
      local X = ml.spectral_map(M, function(x) return math.min(x, 1) end)
      assert.is_true(rel(X, R) < 1e-11)
      assert.is_true(math.abs(ml.singular_values(X):get(1, 1) - 1) < 1e-12)
    end
    local X32 = ml.spectral_map(A:astype("float32"), function(x) return x end)
    assert.are.equal("float32", X32:dtype())
    assert.is_true(rel(X32, A) < 1e-5)   -- fp32: eps32 cond^2 ~ 1e-3 bounds only the smallest values
  end)

  it("maps matrices far from unit size (the Gram matrix of a power-of-2 scaled copy)", function()
    -- A A^T of 1e-200 entries underflows to 0 (it returned 0 before, silently) and of 1e200
    -- overflows; the singular values passed to f must be A's own: f(x) = min(x, c) with c at
    -- the median singular value, against the SVD route at the same scale
    for _, s in ipairs { 1e-200, 1e200 } do
      local M = A * s
      local sv = ml.singular_values(M)
      local c = sv:get(16, 1)
      local U, sg, V = ml.svd(M)
      local D = ml.zeros(32, 32)
      for i = 1, 32 do D:set(i, i, math.min(sg:get(i, 1), c)) end
      local R = U:mm(D):mm(V:t())
      local X = ml.spectral_map(M, function(x) return math.min(x, c) end)
      assert.is_true(rel(X, R) < 1e-11)
    end
    local A32 = (A * 1e-30):astype("float32")
    local X32 = ml.spectral_map(A32, function(x) return x end)
    assert.is_true(rel(X32, A32:astype("float64")) < 1e-5)
  end)

  it("rejects bad maps with the function and argument named", function()
    local ok, err = pcall(ml.spectral_map, A, function() return 0 / 0 end)
    assert.is_false(ok)
    assert.matches("bad argument #2", err, 1, true)
    assert.matches("spectral_map' (f(", err, 1, true)
    ok, err = pcall(ml.spectral_map, A, "sqrt")
    assert.is_false(ok)
    assert.matches("spectral_map' (function expected", err, 1, true)
    ok, err = pcall(ml.spectral_map, A, function(x) return x end, { rtol = 2 })
    assert.is_false(ok)
    assert.matches("rtol", err, 1, true)
    ok, err = pcall(ml.spectral_map, A, function(x) error("inside f") end)
    assert.is_false(ok)
    assert.matches("inside f", err, 1, true)
  end)
end)

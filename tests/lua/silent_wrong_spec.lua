-- Issue 12, "No silent wrong answers", items 1-6 (the numerical half): each `it` names its item.
-- References: the same computation at unit scale (a power-of-two or exact rescaling of the input
-- changes the result only by rounding), slow sums written out here, and copies.
local ml = require "muonlab"

local function maxdiff(A, B) return ml.norm(A - B, "max") end

local function raises(pattern, f, ...)
  local ok, e = pcall(f, ...)
  assert(not ok, "the call returned")
  assert.is_string(e)
  assert.matches(pattern, e, 1, true)
  return e
end

describe("issue 12 item 1: norms without overflow or underflow", function()
  local B = ml.randn(8, 16, { seed = 7 })
  local Bt = B:t()

  -- Tolerances: the scaled inputs B * s are B rounded once (s not a power of two), so the results
  -- differ from the unit-scale ones by a few ulps of the NS iteration: 1e-13 in float64 (8-step
  -- iterations amplify rounding by ~10-100), 2e-5 in float32 (~100 ulps of 6e-8).
  for _, dt in ipairs { "float64", "float32" } do
    local scales = dt == "float64" and { 1e154, 1e-200, 1e300, 1e-300 } or { 1e19, 1e-19, 1e30, 1e-30 }
    local tol = dt == "float64" and 1e-13 or 2e-5
    for _, pc in ipairs { "frobenius", "spectral", "aol", "schatten" } do
      for _, form in ipairs { "direct", "gram" } do
        it(("ns %s %s %s equals the unit-scale result at %s"):format(dt, pc, form, table.concat(scales, ", ")),
          function()
            for _, G in ipairs { B:astype(dt), Bt:astype(dt) } do
              local o = { precond = pc, form = form, eps = 0, coeffs = "polar_express" }
              local X0 = ml.ns(G, o)
              assert.is_true(ml.norm(X0) > 1)   -- not the zero matrix
              for _, s in ipairs(scales) do
                local X = ml.ns(G * s, o)
                assert.is_true(maxdiff(X, X0) < tol, ("%s x %g: %g"):format(pc, s, maxdiff(X, X0)))
              end
            end
          end)
      end
    end
  end

  it("the issue's cases: ns of B*1e154, float32 B*1e19, eps = 0 at 1e-200, plan:run", function()
    -- default eps = 1e-7 is absolute: negligible at 1e154, a 1e-8 relative shift at unit scale
    local X0 = ml.ns(B, { eps = 0 })
    assert.is_true(maxdiff(ml.ns(B * 1e154), X0) < 1e-13)
    assert.is_true(maxdiff(ml.ns(B), X0) < 1e-7)
    local Bf = B:astype("float32")
    assert.is_true(maxdiff(ml.ns(Bf * 1e19), ml.ns(Bf, { eps = 0 })) < 2e-5)
    assert.is_true(maxdiff(ml.ns(B * 1e-200, { eps = 0 }), ml.ns(B, { eps = 0 })) < 1e-13)
    local plan, out = ml.ns_plan { eps = 0 }, ml.zeros(8, 16)
    plan:run(out, B * 1e-250)
    assert.is_true(maxdiff(out, ml.ns(B, { eps = 0 })) < 1e-13)
  end)

  it("the bf16/fp16 emulations rescale too (a power of two: the same result exactly)", function()
    for _, p in ipairs { "bf16", "fp16" } do
      local X0 = ml.ns(B, { precision = p, eps = 0 })
      assert.equal(0, maxdiff(ml.ns(B * 2 ^ 600, { precision = p, eps = 0 }), X0))
      assert.equal(0, maxdiff(ml.ns(B * 2 ^ -600, { precision = p, eps = 0 }), X0))
    end
  end)

  it("optimizers move W on a gradient of 1e200 as on the unit-scale gradient (muon, muon_update)", function()
    local W, W1 = ml.zeros(8, 16), ml.zeros(8, 16)
    ml.optim.muon { lr = 0.1 }:step({ W }, { B * 1e200 })
    ml.optim.muon { lr = 0.1 }:step({ W1 }, { B })
    assert.is_true(ml.norm(W) > 0.1)
    -- eps = 1e-7 is absolute: at unit scale it shifts the normaliser by 1e-8 relative
    assert.is_true(maxdiff(W, W1) < 1e-8)
    local t1 = ml.muon_update(ml.zeros(8, 16), B * 1e200, ml.zeros(8, 16), 0.9, 0.1, { method = "ns" })
    local t0 = ml.muon_update(ml.zeros(8, 16), B, ml.zeros(8, 16), 0.9, 0.1, { method = "ns" })
    assert.is_true(maxdiff(t1, t0) < 1e-8)
  end)

  it("ml.norm fro/spectral/nuclear, trace, dot scale exactly; beyond the double range they raise", function()
    -- reference: the slow sum of squares at unit scale, times the scale
    local s = 0
    for _, v in ipairs(B:flat()) do s = s + v * v end
    local fro = math.sqrt(s)
    for _, sc in ipairs { 1e154, 1e300, 1e-200, 1e-300 } do
      assert.is_true(math.abs(ml.norm(B * sc) / (fro * sc) - 1) < 1e-14)
      assert.is_true(math.abs(ml.norm(B * sc, "spectral") / (ml.norm(B, "spectral") * sc) - 1) < 1e-13)
      assert.is_true(math.abs(ml.norm(B * sc, "nuclear") / (ml.norm(B, "nuclear") * sc) - 1) < 1e-13)
    end
    -- a float32 matrix near its overflow: the sum of squares is taken in double
    assert.is_true(math.abs(ml.norm(ml.ones(4, 4, { dtype = "float32" }) * 3e38) / (4 * 3e38) - 1) < 1e-6)
    -- subnormal entries: the norm of the minimum subnormal is itself
    assert.equal(2 ^ -1074, ml.norm(ml.from_table { { 2 ^ -1074 } }))
    assert.equal(2 ^ -1074 * 2, ml.norm(ml.ones(2, 2) * 2 ^ -1074))
    -- trace and dot: 1e308 + 1e308 - 1e308 overflows in the plain sum, not in the result
    local D = ml.from_table { { 1e308, 0, 0 }, { 0, 1e308, 0 }, { 0, 0, -1e308 } }
    assert.equal(1e308, ml.trace(D))
    assert.is_true(math.abs(ml.dot(B * 1e200, B * 1e-200) / s - 1) < 1e-13)
    -- products 2^-1000: below the safe range of the plain sum, exact after rescaling
    assert.is_true(math.abs(ml.dot(B * 2 ^ -500, B * 2 ^ -500) / (s * 2 ^ -1000) - 1) < 1e-14)
    -- results that cannot be represented
    raises("norm: the result is beyond the double range", ml.norm, ml.ones(4, 4) * 1e308)
    raises("trace: the result is beyond the double range", ml.trace, ml.eye(3) * 1e308)
    raises("dot: the result is beyond the double range", ml.dot, B * 1e200, B * 1e200)
    raises("spectral: U diag(s^2) V^T is beyond the float64 range", ml.spectral, B * 1e300, 2)
    raises("orth_error: X X^T is beyond the double range", ml.orth_error, B * 1e160)
  end)

  it("polar_distance, polar eig and spectral newton work at 1e300 and 1e-300", function()
    local P = ml.polar(B)
    for _, sc in ipairs { 1e300, 1e-300, 1e154 } do
      assert.is_true(ml.polar_distance(P, B * sc) < 1e-13)
      assert.is_true(maxdiff(ml.polar(B * sc, { method = "eig" }), P) < 1e-13)
      for _, p in ipairs { 0, 0.25, 0.5 } do
        local o = { method = "newton", shift = 0, shift_abs = 0 }
        local R0, R = ml.spectral(B, p, o), ml.spectral(B * sc, p, o)
        assert.is_true(ml.norm(R * (1 / sc ^ p) - R0) / ml.norm(R0) < 1e-13)
      end
    end
    assert.is_true(math.abs(ml.polar_distance(B * 1e300, B) / (ml.norm(B) * 1e300) - 1) < 1e-6)
  end)
end)

-- ml.polar(A, {method = "qdwh" | "zolo" | "newton"}): the iterative references against the SVD polar
-- factor (LAPACK gesdd) and against the exact factor Q1 Q2^T of A = Q1 diag(s) Q2^T built from known
-- orthonormal factors.
local ml = require "muonlab"

local function rel(X, R) return (X - R):norm() / R:norm() end

-- A = Q1 diag(s) Q2^T with s geometric from 1 to 1/cond; returns A and its exact polar factor.
local function known(m, n, cond, seed)
  local k = math.min(m, n)
  local Q1, Q2 = ml.orthogonal(m, k, { seed = seed }), ml.orthogonal(n, k, { seed = seed + 100 })
  local D = ml.zeros(k, k)
  for i = 1, k do D:set(i, i, cond ^ (-(i - 1) / math.max(k - 1, 1))) end
  return ml.matmul(ml.matmul(Q1, D), Q2, { tb = true }), ml.matmul(Q1, Q2, { tb = true })
end

local shapes = { { 40, 40 }, { 24, 72 }, { 72, 24 } }
local methods = { "qdwh", "zolo", "newton" }
local function applies(method, s) return method ~= "newton" or s[1] == s[2] end

describe("polar, iterative methods", function()
  -- cond <= 1e3: the polar factor's own condition (~1/sigma_min) times eps is ~1e-13, so any
  -- backward-stable method agrees with the SVD to 1e-12 (measured 1e-15 .. 2e-14).
  for _, method in ipairs(methods) do
    for _, s in ipairs(shapes) do
      if applies(method, s) then
        it(("%s agrees with the SVD to 1e-12 on %dx%d, cond 1 .. 1e3"):format(method, s[1], s[2]), function()
          for _, cond in ipairs { 1, 10, 1e3 } do
            local A = ml.spectrum(s[1], s[2], { cond = cond, seed = 7 })
            local U = ml.polar(A, { method = method })
            assert.is_true(rel(U, ml.polar(A)) < 1e-12, method .. " cond " .. cond)
          end
        end)
      end
    end
  end

  -- Up to cond 1e12 the forward error is set by the problem (the SVD's polar factor is itself
  -- ~8e-6 from the exact Q1 Q2^T at cond 1e12), so the bar is "as accurate as the SVD": within 4x
  -- of the SVD's distance + 1e-13 (measured 0.9 .. 1.1x), orthonormal to 1e-13 (measured 3e-15 .. 2e-14).
  for _, method in ipairs(methods) do
    it(method .. " is as accurate as the SVD up to cond 1e12 (wide, tall, square)", function()
      for _, s in ipairs(shapes) do
        if applies(method, s) then
          for _, cond in ipairs { 1e6, 1e9, 1e12 } do
            local A, P = known(s[1], s[2], cond, 3)
            local floor = rel(ml.polar(A, { rtol = 0 }), P)
            local U, info = ml.polar(A, { method = method, info = true })
            local e = rel(U, P)
            assert.is_true(e <= 4 * floor + 1e-13, ("%s %dx%d cond %g: %g vs svd %g"):format(method, s[1], s[2], cond, e, floor))
            assert.is_true(ml.orth_error(U) < 1e-13)
            assert.is_true(info.iterations >= 1)
          end
        end
      end
    end)
  end

  it("reports iteration counts: QDWH <= 6 (QR form first), Zolo-PD 2 with r growing with cond", function()
    local last_r = 0
    for _, cond in ipairs { 10, 1e4, 1e8, 1e12 } do
      local A = known(48, 96, cond, 5)
      local _, q = ml.polar(A, { method = "qdwh", info = true })
      assert.is_true(q.iterations <= 6 and q.qr_iterations <= q.iterations)
      assert.is_true(q.l0 > 0 and q.l0 <= 1 and q.alpha > 0)
      local _, z = ml.polar(A, { method = "zolo", info = true })
      assert.are.equal(2, z.iterations)
      assert.is_true(z.degree >= last_r and z.degree <= 8)
      last_r = z.degree
    end
    assert.is_true(last_r >= 6)   -- the paper's table: r = 8 at kappa 1e16, 6-7 at 1e12
    local _, q = ml.polar(known(48, 96, 1e12, 5), { method = "qdwh", info = true })
    assert.is_true(q.qr_iterations >= 1)
  end)

  it("is scale invariant down to 1e-300 and up to 1e300 (the norm estimates neither underflow nor overflow)", function()
    local A = ml.spectrum(6, 6, { cond = 10, seed = 4 })
    for _, method in ipairs(methods) do
      local U = ml.polar(A, { method = method })
      for _, sc in ipairs { 1e-300, 1e-200, 1e300 } do
        assert.is_true(rel(ml.polar(A * sc, { method = method }), U) < 1e-13, method .. " at scale " .. sc)
      end
    end
  end)

  it("keeps float32 input float32", function()
    local A = ml.spectrum(20, 50, { cond = 100, seed = 2, dtype = "float32" })
    local U = ml.polar(A, { method = "zolo" })
    assert.are.equal("float32", U:dtype())
    assert.is_true(rel(U:astype("float64"), ml.polar(A):astype("float64")) < 1e-5)   -- the fp32 SVD's accuracy at cond 100
  end)

  it("rejects rank-deficient input (no partial isometry to converge to) naming method 'svd'", function()
    for _, s in ipairs(shapes) do
      local A = ml.spectrum(s[1], s[2], { cond = 10, zeros = 2, seed = 9 })
      for _, method in ipairs(methods) do
        if applies(method, s) then
          local ok, err = pcall(ml.polar, A, { method = method })
          assert.is_false(ok)
          assert.matches("rank%-deficient.*'svd'", err)
        end
      end
    end
    assert.has_error(function() ml.polar(ml.zeros(4, 4), { method = "qdwh" }) end)
  end)

  it("raises Lua errors for bad options", function()
    local W = ml.randn(4, 6, { seed = 1 })
    assert.has_error(function() ml.polar(W, { method = "newton" }) end,
      "bad argument #1 to 'polar' (option 'method' = 'newton' needs a square matrix, got 4x6)")
    assert.has_error(function() ml.polar(W, { method = "qdwh", rtol = 1e-3 }) end,
      "bad argument #2 to 'polar' (option 'rtol' applies to methods 'svd' and 'eig', not 'qdwh')")
    local ok, err = pcall(ml.polar, W, { method = "halley" })
    assert.is_false(ok)
    assert.truthy(err:find([["qdwh", "zolo", "newton"]], 1, true), err)
    W:set(1, 1, 0 / 0)
    assert.has_error(function() ml.polar(W, { method = "zolo" }) end)
  end)
end)

-- Polar Express's run-time safety factor (Amsel et al., arXiv 2505.16932, Algorithm 1), the
-- default of the polar_express table, the computed Polar Express and CANS: every row but the
-- last at p(x/1.01), and X_0 = X / (1.01 ||X||_F + eps). Reference: Algorithm 1 transcribed
-- below in plain Lua from the published (bare) table.
local ml = require "muonlab"

local published = dofile("tests/lua/polar_express_table.lua")

-- plain matrices: tables of rows
local function mm(A, B)
  local C = {}
  for i = 1, #A do
    C[i] = {}
    for j = 1, #B[1] do
      local s = 0
      for k = 1, #B do s = s + A[i][k] * B[k][j] end
      C[i][j] = s
    end
  end
  return C
end
local function tr(A)
  local T = {}
  for j = 1, #A[1] do
    T[j] = {}
    for i = 1, #A do T[j][i] = A[i][j] end
  end
  return T
end

-- Algorithm 1 as printed: coefficients (a/1.01, b/1.01^3, c/1.01^5) for every row but the last;
-- X = X / (||X||_F * 1.01 + 1e-7) on the short side; hs = rows[:steps] then the last row repeated;
-- X <- a X + (b A + c A^2) X with A = X X^T.
local function algorithm1(G, steps)
  local rows = {}
  for t, r in ipairs(published) do
    rows[t] = t < #published and { r[1] / 1.01, r[2] / 1.01 ^ 3, r[3] / 1.01 ^ 5 } or r
  end
  local tall = #G > #G[1]
  local X = tall and tr(G) or G
  local f = 0
  for i = 1, #X do for j = 1, #X[1] do f = f + X[i][j] ^ 2 end end
  local d = math.sqrt(f) * 1.01 + 1e-7
  for i = 1, #X do for j = 1, #X[1] do X[i][j] = X[i][j] / d end end
  for s = 1, steps do
    local c = rows[math.min(s, #rows)]
    local A = mm(X, tr(X))
    local B = mm(A, A)
    for i = 1, #A do for j = 1, #A do B[i][j] = c[2] * A[i][j] + c[3] * B[i][j] end end
    local BX = mm(B, X)
    for i = 1, #X do for j = 1, #X[1] do X[i][j] = c[1] * X[i][j] + BX[i][j] end end
  end
  return tall and tr(X) or X
end

local function maxrel(X, T)
  local d, m = 0, 0
  for i = 1, #T do
    for j = 1, #T[1] do
      d = math.max(d, math.abs(X:get(i, j) - T[i][j]))
      m = math.max(m, math.abs(T[i][j]))
    end
  end
  return d / m
end

local function err(f)
  local ok, e = pcall(f)
  assert.is_false(ok, "expected an error")
  return tostring(e)
end

-- rows of `scaled` = rows of `bare` over 1.01^(2k-1) but the last (one division: 1e-15)
local function scaled_but_last(scaled, bare)
  assert.are.equal(#bare, #scaled)
  for t = 1, #bare do
    for k = 1, #bare[t] do
      local want = t < #bare and bare[t][k] / 1.01 ^ (2 * k - 1) or bare[t][k]
      assert.is_true(math.abs(scaled[t][k] - want) <= 1e-15 * math.abs(want))
    end
  end
end

describe("safety factor", function()
  it("ml.coeffs('polar_express') is Algorithm 1's scaled table, input_scale 1.01; safety = 1 the bare one", function()
    local c, bare = ml.coeffs("polar_express"), ml.coeffs("polar_express", { safety = 1 })
    assert.are.same(published, bare)   -- the published numbers, no input_scale field
    assert.is_nil(bare.input_scale)
    assert.are.equal(1.01, c.input_scale)
    scaled_but_last(c, published)
    -- CANS: the same rule
    local cs, cb = ml.coeffs("cans"), ml.coeffs("cans", { safety = 1 })
    assert.are.equal(1.01, cs.input_scale)
    assert.is_nil(cb.input_scale)
    scaled_but_last(cs, cb)
    -- the computed Polar Express too (default 1.01)
    assert.are.equal(1.01, ml.coeffs("polar_express", { steps = 5 }).input_scale)
    assert.is_nil(ml.coeffs("polar_express", { steps = 5, safety = 1 }).input_scale)
    assert.is_nil(ml.coeffs("gram_ns").input_scale)   -- its 1.05 is of the rows only, as published
  end)

  -- float64; ml.ns computes the same products in another order (BLAS, X0 X0^T from the Gram
  -- matrix): measured 3.2e-15 relative, 1e-14 allowed. The gram form (products of polynomials in
  -- X_0 X_0^T): measured 5.5e-15, 1e-13 allowed (its rounding grows with the condition number squared).
  for _, shape in ipairs { { 6, 10 }, { 10, 6 } } do
    it(("ml.ns with coeffs 'polar_express' is Algorithm 1 (%dx%d, 2, 8 and 11 steps)"):format(shape[1], shape[2]), function()
      local A = ml.randn(shape[1], shape[2], { seed = 7 })
      for _, steps in ipairs { 2, 8, 11 } do
        local T = algorithm1(A:totable(), steps)
        assert.is_true(maxrel(ml.ns(A, { coeffs = "polar_express", steps = steps }), T) < 1e-14)
        assert.is_true(maxrel(ml.ns(A, { coeffs = ml.coeffs("polar_express"), steps = steps }), T) < 1e-14)
        assert.is_true(maxrel(ml.ns(A, { coeffs = "polar_express", steps = steps, form = "gram" }), T) < 1e-13)
        -- safety = 1: the bare table and X0 = X / (||X||_F + eps), another iterate after 2 steps
        -- (measured 0.15, 0.19 away); from 8 steps on both have converged to the polar factor
        local bare = ml.ns(A, { coeffs = "polar_express", steps = steps, safety = 1 })
        if steps == 2 then assert.is_true(maxrel(bare, T) > 0.05) end
        assert.are.equal(0, (bare - ml.ns(A, { coeffs = ml.coeffs("polar_express", { safety = 1 }), steps = steps })):norm("max"))
      end
    end)
  end

  it("multiplies every normalising preconditioner's scale by input_scale (none: the caller scales)", function()
    -- one step of p(x) = x returns X_0 itself; eps = 0 makes the ratio exactly the factor
    local A = ml.randn(12, 20, { seed = 3 })
    for _, form in ipairs { "direct", "gram" } do
      for _, pc in ipairs { "frobenius", "spectral", "schatten", "aol", "none" } do
        local o = { coeffs = { 1 }, steps = 1, eps = 0, precond = pc, form = form }
        local X1 = ml.ns(A, o)
        o.coeffs = { 1, input_scale = 1.25 }
        local Xs = ml.ns(A, o)
        local want = pc == "none" and X1 or X1 / 1.25
        assert.is_true((Xs - want):norm("max") <= 1e-15 * X1:norm("max"), pc .. " " .. form)
      end
    end
  end)

  it("poly_map and poly_error include the input factor", function()
    assert.are.equal(1.5, ml.poly_map({ { 1 }, input_scale = 2 }, 3))
    local c, bare = ml.coeffs("polar_express"), ml.coeffs("polar_express", { safety = 1 })
    local rows = {}
    for t = 1, 8 do rows[t] = c[t] end
    assert.are.equal(ml.poly_map(rows, 0.5 / 1.01), ml.poly_map(c, 0.5))
    assert.are.equal(ml.poly_map("polar_express", 0.5), ml.poly_map(c, 0.5))
    assert.is_true(ml.poly_error(c, 1e-3, 1) < 1e-6 and ml.poly_error(bare, 1e-3, 1) < 1e-6)
  end)

  -- bf16: the normaliser puts sigma_max(X_0) at 1 when ||X||_F = sigma_max (rank 1); rounding
  -- pushes it past 1, where the bare maps blow up. Measured (64 x 256 rank 1, seeds 2..4): bare
  -- Polar Express and CANS overflow (ml.ns raises) on all three; with the default 1.01,
  -- sigma_max(X) stays near 1 (the rounding noise in the other directions is mapped towards 1
  -- too, as the polynomials are made to): measured 1.0010 .. 1.0025, asserted within 0.02 of 1.
  it("keeps NS bounded in bf16 where the bare table diverges (rank-1 input, frobenius)", function()
    for seed = 2, 4 do
      local A = ml.matmul(ml.randn(64, 1, { seed = seed }), ml.randn(1, 256, { seed = seed + 10 }))
      for _, name in ipairs { "polar_express", "cans" } do
        local ok, X = pcall(ml.ns, A, { coeffs = name, precision = "bf16", safety = 1 })
        local _, s = ok and ml.svd(X)
        assert.is_true(not ok or s:get(1, 1) > 10, name .. " bare, seed " .. seed)
        X = ml.ns(A, { coeffs = name, precision = "bf16" })
        _, s = ml.svd(X)
        assert.is_true(s:get(1, 1) > 0.98 and s:get(1, 1) < 1.02, ("%s seed %d: %g"):format(name, seed, s:get(1, 1)))
      end
    end
  end)

  it("refuses a safety factor it cannot apply, naming the option", function()
    local A = ml.randn(4, 6, { seed = 1 })
    assert.truthy(err(function() ml.ns(A, { coeffs = "jordan", safety = 1.01 }) end):find(
      "bad argument #2 to 'ns' (option 'safety': a number >= 1 with coeffs \"polar_express\" or \"cans\" expected", 1, true))
    assert.truthy(err(function() ml.ns(A, { coeffs = { 1 }, safety = 1.01 }) end):find("option 'safety'", 1, true))
    assert.truthy(err(function() ml.ns(A, { coeffs = "polar_express", safety = 0.9 }) end):find(
      "option 'safety': a finite number >= 1 expected, got 0.9", 1, true))
    assert.truthy(err(function() ml.ns(A, { coeffs = { 1, input_scale = 0.5 } }) end):find(
      "bad argument #2 to 'ns' (field input_scale: a finite number >= 1 expected)", 1, true))
    assert.truthy(err(function() ml.ns(A, { coeffs = { { 1 }, input_scale = "x" } }) end):find("field input_scale", 1, true))
    assert.truthy(err(function() ml.coeffs("cubic", { safety = 1.01 }) end):find("unknown option 'safety'", 1, true))
    assert.truthy(err(function() ml.coeffs("cans", { safety = math.huge }) end):find("option 'safety'", 1, true))
  end)
end)

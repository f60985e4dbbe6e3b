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
    -- 1e80/1e-80: inside the prescaling window's old bound (2^300), where the spectral
    -- preconditioner's Lanczos vectors overflowed (found after the first fix)
    local scales = dt == "float64" and { 1e154, 1e-200, 1e300, 1e-300, 1e80, 1e-80 } or { 1e19, 1e-19, 1e30, 1e-30 }
    for _, pc in ipairs { "frobenius", "spectral", "aol", "schatten" } do
      for _, form in ipairs { "direct", "gram" } do
        -- float32 gram form: it iterates on the squared singular values, measured up to 2.2e-5
        -- (spectral, Polar Express at safety 1.01; 1.6e-5 at 1): 5e-5 there
        local tol = dt == "float64" and 1e-13 or form == "gram" and 5e-5 or 2e-5
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

  it("every optimizer steps finitely on gradients of 1e200, or names the kernel that cannot represent it", function()
    for _, name in ipairs { "muon", "normuon", "adago", "steepest", "scion", "polargrad", "muonmax", "sgd", "spectral" } do
      local W, W1 = ml.zeros(8, 16), ml.zeros(8, 16)
      ml.optim[name] { lr = 0.01 }:step({ W }, { B * 1e200 }, 1.0)
      ml.optim[name] { lr = 0.01 }:step({ W1 }, { B }, 1.0)
      assert.is_true(W:isfinite() and ml.norm(W) > 0, name)
    end
    -- the scale-invariant ones take the unit-scale step (polargrad/muonmax: before, D = sqrt(S^2 + e^2)
    -- overflowed to inf and the step was NaN)
    for _, name in ipairs { "muon", "normuon", "adago", "steepest", "scion" } do
      local W, W1 = ml.zeros(8, 16), ml.zeros(8, 16)
      ml.optim[name] { lr = 0.01 }:step({ W }, { B * 1e200 }, 1.0)
      ml.optim[name] { lr = 0.01 }:step({ W1 }, { B }, 1.0)
      assert.is_true(maxdiff(W, W1) < 1e-8, name)
    end
    local W = ml.zeros(8, 16)
    raises("adam_moments_: v = b2 v + (1 - b2) g^2 overflows the float64 range",
      function() ml.optim.adamw { lr = 0.01 }:step({ W }, { B * 1e200 }) end)
    raises("col_sumsq: the sum of squares overflows the float64 range",
      function() ml.optim.trasmuon { lr = 0.01 }:step({ W }, { B * 1e200 }) end)
    raises("row_sums: the sum overflows the float64 range", function() return (ml.ones(2, 3) * 1e308):row_sums() end)
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
    raises("spectral: U f(diag(s)) V^T is beyond the float64 range", ml.spectral, B * 1e300, 2)
    raises("orth_error: X X^T is beyond the double range", ml.orth_error, B * 1e160)
  end)

  it("products and elementwise results from finite inputs beyond the range raise; tiny ones round", function()
    for _, dt in ipairs { "float64", "float32" } do
      local big = dt == "float64" and 1e300 or 1e30
      local A = ml.from_table({ { big, 1 }, { 2, 3 } }, { dtype = dt })
      local range = "the result is beyond the " .. dt .. " range"
      raises("hadamard: " .. range, ml.hadamard, A, A)
      raises("matmul: " .. range, ml.matmul, A, A)
      raises("mm: " .. range, function() return A:mm(A) end)
      raises("gram: " .. range, ml.gram, A)
      -- in range: the plain products, exactly
      local H = ml.hadamard(A, ml.from_table({ { 0.5, 1 }, { 2, 3 } }, { dtype = dt }))
      assert.equal(A:get(1, 1) * 0.5, H:get(1, 1))
      assert.equal(9, H:get(2, 2))
      -- underflow is rounding, not an error: 1e-300^2 is 0 in double, 1e-30^2 in float32 too
      local tiny = dt == "float64" and 1e-300 or 1e-30
      local T = ml.from_table({ { tiny, 1 } }, { dtype = dt })
      local P = ml.hadamard(T, T)
      assert.equal(0, P:get(1, 1))
      assert.equal(1, P:get(1, 2))
    end
    -- the in-place methods keep propagating IEEE values (a diverging run shows as inf/NaN)
    local Z = ml.from_table { { 1e300 } }
    Z:scale_(1e10)
    assert.equal(math.huge, Z:get(1, 1))
  end)

  it("polar_distance, polar eig and spectral newton work at 1e300 and 1e-300", function()
    local P = ml.polar(B)
    for _, sc in ipairs { 1e300, 1e-300, 1e154 } do
      assert.is_true(ml.polar_distance(P, B * sc) < 1e-13)
      for _, m in ipairs { "eig", "qdwh", "zolo" } do   -- qdwh/zolo at 1e-300 called B rank-deficient
        assert.is_true(maxdiff(ml.polar(B * sc, { method = m }), P) < 1e-13, m)
      end
      local S = ml.randn(6, 6, { seed = 3 })
      assert.is_true(maxdiff(ml.polar(S * sc, { method = "newton" }), ml.polar(S)) < 1e-13)
      for _, p in ipairs { 0, 0.25, 0.5 } do
        local o = { method = "newton", shift = 0, shift_abs = 0 }
        local R0, R = ml.spectral(B, p, o), ml.spectral(B * sc, p, o)
        assert.is_true(ml.norm(R * (1 / sc ^ p) - R0) / ml.norm(R0) < 1e-13)
      end
    end
    assert.is_true(math.abs(ml.polar_distance(B * 1e300, B) / (ml.norm(B) * 1e300) - 1) < 1e-6)
  end)
end)

describe("issue 12 item 2: BLAS/LAPACK int limits", function()
  it("no matrix has more than INT_MAX elements, so no dimension, stride or count overflows a BLAS int", function()
    -- the issue's A = ml.zeros(1, 2^31): refused at creation, naming the function, before gram/matmul/ns
    raises("zeros: 1 x 2147483648 matrix is too large (more than 2147483647 elements, the BLAS/LAPACK int limit)",
      ml.zeros, 1, 2 ^ 31)
    raises("too large", ml.zeros, 2 ^ 31, 1, { dtype = "float32" })
    raises("too large", ml.matrix, 2 ^ 16, 2 ^ 15)
    raises("too large", ml.randn, 2 ^ 31, 1)
    -- a view is never larger than its parent, a reshape keeps the element count
    raises("too large", function() return ml.zeros(2, 3):reshape(2 ^ 31, 3) end)
  end)
end)

describe("issue 12 item 3: in-place operations on overlapping views", function()
  local function base() return ml.from_table { { 1, 2, 3 }, { 4, 5, 6 }, { 7, 8, 9 } } end
  local function same(A, B) assert.are.same(B:totable(), A:totable()) end

  it("the issue's copy_: row 3 becomes 2,2,2", function()
    local M = ml.from_table { { 1, 1, 1 }, { 2, 2, 2 }, { 3, 3, 3 } }
    M:view(2, 1, 2, 3):copy_(M:view(1, 1, 2, 3))
    same(M, ml.from_table { { 1, 1, 1 }, { 1, 1, 1 }, { 2, 2, 2 } })
  end)

  -- each op on views of one matrix against the same op with the source views cloned first
  local ops = {
    copy_ = function(d, s) d:copy_(s) end,
    add_ = function(d, s) d:add_(s, 2) end,
    axpby_ = function(d, s) d:axpby_(2, s, -1, s) end,
    axpby_self = function(d, s) d:axpby_(2, s, 3, d) end,
    mul_ = function(d, s) d:mul_(s) end,
  }
  for name, op in pairs(ops) do
    it(name .. " on overlapping views equals the result on copies", function()
      for _, v in ipairs { { 2, 1, 2, 3, 1, 1, 2, 3 }, { 1, 1, 2, 3, 2, 1, 2, 3 }, { 1, 2, 3, 2, 1, 1, 3, 2 },
                           { 1, 1, 3, 2, 1, 2, 3, 2 } } do
        local M, R = base(), base()
        op(M:view(v[1], v[2], v[3], v[4]), M:view(v[5], v[6], v[7], v[8]))
        op(R:view(v[1], v[2], v[3], v[4]), R:view(v[5], v[6], v[7], v[8]):clone())
        same(M, R)
      end
    end)
  end

  it("scale_rows_/scale_cols_ by a vector that is a view of the matrix (the issue's scale_cols_)", function()
    local A = ml.from_table { { 1, 2 }, { 3, 4 } }
    A:scale_cols_(A:view(1, 1, 1, 2))
    same(A, ml.from_table { { 1, 4 }, { 3, 8 } })
    local B = ml.from_table { { 1, 2 }, { 3, 4 } }
    B:scale_rows_(B:view(1, 2, 2, 1))
    same(B, ml.from_table { { 2, 4 }, { 12, 16 } })
  end)

  it("optimizer kernels with an input overlapping the output equal the result on copies", function()
    local M, R = base(), base()
    ml.adam_moments_(M:view(1, 1, 2, 3), ml.zeros(2, 3), M:view(2, 1, 2, 3), 0.9, 0.99)
    ml.adam_moments_(R:view(1, 1, 2, 3), ml.zeros(2, 3), R:view(2, 1, 2, 3):clone(), 0.9, 0.99)
    same(M, R)
    M, R = base(), base()
    local V = ml.ones(2, 3)
    ml.adam_dir(M:view(2, 1, 2, 3), M:view(1, 1, 2, 3), V, 1, 1, 0)
    ml.adam_dir(R:view(2, 1, 2, 3), R:view(1, 1, 2, 3):clone(), V, 1, 1, 0)
    same(M, R)
    -- reductions into a view of their input; the median's workspace (permuted) must not be the matrix
    M = base()
    M:row_sums(M:view(1, 1, 3, 1))
    same(M:view(1, 1, 3, 1), ml.from_table { 6, 15, 24 })
    M = base()
    raises("workspace shares storage with the matrix", function() return M:median(M:reshape(9, 1)) end)
    same(M, base())
  end)

  it("nn kernels refuse an output sharing storage with an input (elementwise ones allow the same view)", function()
    local X = ml.randn(4, 6, { seed = 1 })
    raises("shares storage with the output", ml.nn.linear_forward, X:view(1, 1, 4, 3), X, ml.randn(3, 6))
    -- the bias is copied into the output rows before the product is added: it must not be the output
    local Y = ml.zeros(4, 3)
    raises("shares storage with the output", ml.nn.linear_forward, Y, X, ml.randn(3, 6), Y:view(2, 1, 1, 3))
    raises("shares storage with the output", ml.nn.relu_forward, X:view(1, 1, 4, 5), X:view(1, 2, 4, 5))
    Y = X:clone()
    ml.nn.relu_forward(Y, Y)   -- in place on the same view: allowed and right
    X:clip_(0, math.huge)
    same(Y, X)
  end)
end)

describe("issue 12 item 5: integer arguments", function()
  it("eye(3, 4.0) is 3 x 4; eye(3, 2.5) and eye(3, '4') raise", function()
    assert.are.same({ 3, 4 }, { ml.eye(3, 4.0):shape() })
    assert.are.same({ 3, 3 }, { ml.eye(3):shape() })
    assert.equal("float32", ml.eye(2, { dtype = "float32" }):dtype())
    raises("number has no integer representation", ml.eye, 3, 2.5)
    raises("integer expected, got string", ml.eye, 3, "4")
  end)
  it("every dimension, index and integer option takes integral numbers only", function()
    assert.are.same({ 2, 3 }, { ml.zeros(2.0, 3.0):shape() })
    assert.equal(0, ml.zeros(2, 3):get(1.0, 2.0))
    for _, f in ipairs {
      function() return ml.zeros("2", 3) end, function() return ml.ones(2, 1.5) end,
      function() return ml.randn(2, "3") end, function() return ml.zeros(2, 3):get("1", 1) end,
      function() return ml.zeros(2, 3):view(1, 1, "1", 1) end, function() return ml.zeros(2, 3):reshape(3, "2") end,
      function() return ml.ns(ml.randn(2, 3), { steps = "3" }) end, function() return ml.ns(ml.randn(2, 3), { steps = 2.5 }) end,
    } do
      local ok, e = pcall(f)
      assert.is_false(ok)
      assert.truthy(e:find("integer expected", 1, true) or e:find("no integer representation", 1, true), e)
    end
  end)
end)

describe("issue 12 item 6: text loader line ends and range; poly_map overflow", function()
  local dir = os.getenv("TMPDIR") or "/tmp"
  local function put(name, text)
    local p = dir .. "/item6_" .. name
    local f = assert(io.open(p, "wb"))
    f:write(text)
    f:close()
    return p
  end
  it("CR and CRLF line ends give the right shape", function()
    for _, t in ipairs { "1 2\r3 4\r", "1 2\r\n3 4\r\n", "1 2\r3 4", "1 2\n3 4\n", "# c\r1 2\r\r3 4\r\n" } do
      local p = put("lines.txt", t)
      assert.are.same({ { 1, 2 }, { 3, 4 } }, ml.load(p):totable())
      os.remove(p)
    end
    local p = put("lines.csv", "1,2\r3,4\r")
    assert.are.same({ { 1, 2 }, { 3, 4 } }, ml.load(p):totable())
    os.remove(p)
  end)
  it("1e999 and 1e-999 raise naming the file and line; subnormals, inf and nan load", function()
    local p = put("big.txt", "1 2\r\n3 1e999\r\n")
    raises(p .. ": line 2: '1e999' is beyond the float64 range (overflows to inf)", ml.load, p)
    p = put("small.txt", "1 2\n-1e-999 4\n")
    raises(p .. ": line 2: '-1e-999' is beyond the float64 range (underflows to 0)", ml.load, p)
    p = put("sub.txt", "4.9e-324 -2.2250738585072014e-309 inf nan 0e0 -0\n")
    local t = ml.load(p):totable()[1]
    assert.equal(2 ^ -1074, t[1])
    assert.is_true(t[2] < 0 and t[2] > -2.3e-308)
    assert.equal(math.huge, t[3])
    assert.is_true(t[4] ~= t[4])
    os.remove(p)
  end)
  it("poly_map reports inf, not NaN, where the composed map overflows (issue 13 item 6)", function()
    assert.equal(math.huge, ml.poly_map("polar_express", 1.3, { steps = 8 }))
    assert.equal(math.huge, ml.poly_map("you", 2))
    assert.equal(-math.huge, ml.poly_map("jordan", -1e300))
    local X = ml.poly_map("you", ml.from_table { { 2, -2, 0.5 } })
    assert.are.same({ math.huge, -math.huge }, { X:get(1, 1), X:get(1, 2) })
    assert.is_true(math.abs(X:get(1, 3)) < 2)
  end)
end)

describe("issue 12 item 4: the NaN/Inf rule (lua/lfinite.c, README 'NaN and Inf')", function()
  local function bad(v)
    local M = ml.randn(3, 4, { seed = 1 })
    M:set(2, 3, v)
    return M
  end
  local G = ml.randn(3, 4, { seed = 2 })
  local checked = {
    { "matmul", function(N) return ml.matmul(N, G, { tb = true }) end },
    { "matmul", function(N) return ml.matmul(G, N, { tb = true }) end, 2 },
    { "mm", function(N) return N:mm(G:t()) end },
    { "gram", function(N) return ml.gram(N) end },
    { "hadamard", function(N) return ml.hadamard(G, N) end, 2 },
    { "trace", function(N) return ml.trace(N) end },
    { "dot", function(N) return ml.dot(G, N) end, 2 },
    { "norm", function(N) return ml.norm(N) end },
    { "norm", function(N) return ml.norm(N, "max") end },
    { "svd", function(N) return ml.svd(N) end },
    { "singular_values", function(N) return ml.singular_values(N) end },
    { "polar", function(N) return ml.polar(N) end },
    { "spectral", function(N) return ml.spectral(N, 0.5) end },
    { "ns", function(N) return ml.ns(N) end },
    { "run", function(N) return ml.ns_plan {}:run(ml.zeros(3, 4), N) end, 2 },
    { "orth_error", function(N) return ml.orth_error(N) end },
    { "polar_distance", function(N) return ml.polar_distance(G, N) end, 2 },
    { "poly_map", function(N) return ml.poly_map("jordan", N) end, 2 },
    { "adam_moments_", function(N) return ml.adam_moments_(ml.zeros(3, 4), ml.zeros(3, 4), N, 0.9, 0.99) end, 3 },
    { "adam_dir", function(N) return ml.adam_dir(ml.zeros(3, 4), N, ml.ones(3, 4), 1, 1, 1e-8) end, 2 },
    { "sum", function(N) return N:sum() end },
    { "row_sums", function(N) return N:row_sums() end },
    { "col_meansq", function(N) return N:col_meansq() end },
    { "median", function(N) return N:median() end },
    { "muon_update", function(N) return ml.muon_update(G, N, G, 0.9, 0.1) end, 2 },
  }
  for _, c in ipairs(checked) do
    it(("%s rejects NaN and Inf input naming the argument"):format(c[1]), function()
      for _, v in ipairs { 0 / 0, math.huge, -math.huge } do
        local ok, e = pcall(c[2], bad(v))
        assert.is_false(ok)
        assert.matches("matrix contains NaN or Inf", e, 1, true)
        assert.matches(c[1], e, 1, true)
        if c[3] then assert.matches("#" .. c[3], e, 1, true) end
      end
    end)
  end
  it("poly_map numbers and lists must be finite", function()
    raises("NaN or Inf", ml.poly_map, "jordan", 0 / 0)
    raises("entry 2 is NaN or Inf", ml.poly_map, "jordan", { 1, math.huge })
  end)
  it("element access, copies, operators, in-place elementwise methods and nn kernels propagate", function()
    local N = bad(0 / 0)
    local function hasnan(M) return not M:isfinite() end
    assert.is_true(N:get(2, 3) ~= N:get(2, 3))
    for _, M in ipairs { N:clone(), N:t(), N:astype("float32"), N + G, N - G, -N, N * 2, N / 2, ml.round(N, "bf16"),
                         N:clone():add_(G), N:clone():mul_(G), N:clone():scale_(2), N:clone():clip_(-1, 1),
                         N:clone():abs_(), G:clone():axpby_(1, N, 1, G), N:view(1, 1, 3, 4) } do
      assert.is_true(hasnan(M))
    end
    local Y = ml.zeros(3, 4)
    ml.nn.relu_forward(Y, N)
    assert.is_true(hasnan(Y))
  end)
  it("randn/rand options: finite, std >= 0, lo < hi, samples in range", function()
    raises("options 'mean' and 'std' must be finite", ml.randn, 2, 2, { std = 0 / 0 })
    raises("options 'mean' and 'std' must be finite", ml.randn, 2, 2, { mean = math.huge })
    raises("options 'lo' and 'hi' must be finite", ml.rand, 2, 2, { lo = -math.huge })
    raises("option 'lo' must be below 'hi'", ml.rand, 2, 2, { lo = 1, hi = 0 })
    raises("option 'lo' must be below 'hi'", ml.rand, 2, 2, { lo = 1, hi = 1 })
    raises("option 'std' must be >= 0", ml.randn, 2, 2, { std = -1 })
    raises("the samples would exceed the double range", ml.rand, 2, 2, { lo = -1e308, hi = 1e308 })
    assert.equal(0, ml.norm(ml.randn(2, 2, { std = 0 })))
    local U = ml.rand(50, 50, { lo = -3, hi = -2, seed = 1 })
    assert.is_true(ml.norm(U + 2.5, "max") <= 0.5)
  end)
end)

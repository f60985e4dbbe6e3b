-- The matrix type and the stable names scripts rely on.
local ml = require "muonlab"

describe("matrix", function()
  it("creates, reads and writes 1-based entries", function()
    local A = ml.matrix(2, 3, 1.5)
    assert.are.same({ 2, 3 }, { A:shape() })
    assert.are.equal(1.5, A:get(2, 3))
    A:set(1, 2, -4)
    assert.are.same({ { 1.5, -4, 1.5 }, { 1.5, 1.5, 1.5 } }, A:totable())
    assert.are.equal("float64", A:dtype())
    assert.are.equal("float32", ml.zeros(2, 2, { dtype = "float32" }):dtype())
    assert.are.same({ { 1, 0 }, { 0, 1 }, { 0, 0 } }, ml.eye(3, 2):totable())
  end)

  it("stores float32 with float32 rounding", function()
    local A = ml.from_table({ { 0.1 } }, { dtype = "float32" })
    assert.are.equal(string.unpack("f", string.pack("f", 0.1)), A:get(1, 1))
    assert.are_not.equal(0.1, A:get(1, 1))
  end)

  it("has arithmetic metamethods with numpy semantics", function()
    local A = ml.from_table { { 1, 2 }, { 3, 4 } }
    local B = ml.from_table { { 10, 20 }, { 30, 40 } }
    assert.are.same({ { 11, 22 }, { 33, 44 } }, (A + B):totable())
    assert.are.same({ { 9, 18 }, { 27, 36 } }, (B - A):totable())
    assert.are.same({ { -1, -2 }, { -3, -4 } }, (-A):totable())
    assert.are.same({ { 2, 4 }, { 6, 8 } }, (A * 2):totable())
    assert.are.same({ { 2, 4 }, { 6, 8 } }, (2 * A):totable())
    assert.are.same({ { 0, -1 }, { -2, -3 } }, (1 - A):totable())
    assert.are.same({ { 0.5, 1 }, { 1.5, 2 } }, (A / 2):totable())
    assert.are.same({ { 70, 100 }, { 150, 220 } }, ml.matmul(A, B):totable())
    assert.are.same({ { 70, 100 }, { 150, 220 } }, A:mm(B):totable())
    assert.are.same({ { 10, 40 }, { 90, 160 } }, ml.hadamard(A, B):totable())
    local ok, err = pcall(function() return A * B end)
    assert.is_false(ok)
    assert.matches("matmul", err)
  end)

  it("does products with transposes, Gram matrices and in-place updates", function()
    local A = ml.randn(5, 3, { seed = 1 })
    local G1 = ml.matmul(A, A, { ta = true })
    local G2 = ml.gram(A, { side = "cols" })
    assert.is_true((G1 - G2):norm("max") < 1e-14)
    local B = A:clone()
    B:add_(A, 2):scale_(0.5)
    assert.is_true((B - A * 1.5):norm("max") < 1e-15)
    assert.are.same({ 3, 5 }, { A:t():shape() })
  end)

  it("views share storage; reshape is row-major", function()
    local A = ml.from_table { { 1, 2, 3 }, { 4, 5, 6 } }
    local V = A:view(1, 2, 2, 2)
    assert.are.same({ { 2, 3 }, { 5, 6 } }, V:totable())
    V:set(1, 1, 20)
    assert.are.equal(20, A:get(1, 2))
    assert.are.same({ { 1, 20 }, { 3, 4 }, { 5, 6 } }, A:reshape(3, 2):totable())
  end)

  it("prints a truncated view", function()
    local s = tostring(ml.matrix(100, 100, 1))
    assert.matches("muonlab.matrix 100x100 float64", s)
    assert.truthy(s:find("…", 1, true))
    assert.is_true(#s < 2000)
  end)

  it("is reproducible by seed", function()
    local A, B = ml.randn(3, 4, { seed = 7 }), ml.randn(3, 4, { seed = 7 })
    assert.are.same(A:totable(), B:totable())
    assert.are_not.same(A:totable(), ml.randn(3, 4, { seed = 8 }):totable())
    -- float32 and float64 draws agree up to float32 rounding
    local C = ml.randn(3, 4, { seed = 7, dtype = "float32" })
    assert.is_true((C:astype("float64") - A):norm("max") < 1e-6)
  end)

  it("supports <close>", function()
    local f = load [[
      local ml = require "muonlab"
      local A <close> = ml.eye(3)
      return A
    ]]
    local A = f()
    assert.matches("closed", tostring(A))
    assert.has_error(function() A:get(1, 1) end)
  end)
end)

describe("LAPACK references", function()
  it("svd reconstructs and sorts", function()
    local A = ml.randn(7, 4, { seed = 2 })
    local U, s, V = ml.svd(A)
    assert.are.same({ 7, 4 }, { U:shape() })
    assert.are.same({ 4, 1 }, { s:shape() })
    assert.are.same({ 4, 4 }, { V:shape() })
    local S = ml.zeros(4, 4)
    for i = 1, 4 do S:set(i, i, s:get(i, 1)) end
    local R = U:mm(S):mm(V:t())
    assert.is_true((R - A):norm() / A:norm() < 1e-14)
  end)

  it("polar of a prescribed spectrum is orthogonal and close to its NS limit", function()
    local A = ml.spectrum(20, 50, { kind = "geometric", cond = 100, seed = 3 })
    local Q = ml.polar(A)
    assert.is_true(ml.orth_error(Q) < 1e-13)
    local X = ml.ns(A, { coeffs = "quintic", steps = 25 })
    assert.is_true(ml.polar_distance(X, A) < 1e-12)
    assert.is_true((X - Q):norm() < 1e-12)
  end)

  it("spectral(A, 1) is A and spectral(A, 0) is polar(A)", function()
    local A = ml.randn(6, 9, { seed = 4 })
    assert.is_true((ml.spectral(A, 1) - A):norm() < 1e-13)
    assert.is_true((ml.spectral(A, 0) - ml.polar(A)):norm() < 1e-14)
  end)

  it("spectrum kinds produce their singular values", function()
    local s = ml.singular_values(ml.spectrum(10, 12, { kind = "list", values = { 5, 4, 3, 2, 1, 1, 1, 0.5, 0.1, 0 }, seed = 1 }))
    local want = { 5, 4, 3, 2, 1, 1, 1, 0.5, 0.1, 0 }
    for i = 1, 10 do assert.is_true(math.abs(s:get(i, 1) - want[i]) < 1e-13) end
    local r = ml.singular_values(ml.spectrum(8, 8, { kind = "geometric", cond = 1e4, zeros = 2, seed = 1 }))
    assert.is_true(r:get(7, 1) < 1e-14 and r:get(6, 1) > 1e-5)
  end)
end)

-- The optimizer kernels as Lua sees them (lua/loptim.c): each against a slow loop over
-- A:get written here (the C tests cover the kernels in depth), in-place results, argument
-- errors naming the function, and ml.ns_plan against ml.ns.
local ml = require "muonlab"

local function slow(A, f)
  local r, c = A:shape()
  local out = {}
  for i = 1, r do
    out[i] = {}
    for j = 1, c do out[i][j] = f(A:get(i, j), i, j) end
  end
  return out
end
local function maxdiff(M, T)
  local A = M:totable()
  local d = 0
  for i = 1, #A do for j = 1, #A[1] do d = math.max(d, math.abs(A[i][j] - T[i][j])) end end
  return d
end

describe("optim kernels", function()
  local A = ml.randn(5, 7, { seed = 1 })

  it("row and column reductions (sums, means, of entries or squares)", function()
    local r, c = A:shape()
    for _, case in ipairs {
      { "row_sums", false, false, true }, { "row_means", false, true, true }, { "row_sumsq", true, false, true },
      { "row_meansq", true, true, true }, { "col_sums", false, false, false }, { "col_means", false, true, false },
      { "col_sumsq", true, false, false }, { "col_meansq", true, true, false },
    } do
      local name, sq, mean, per_row = case[1], case[2], case[3], case[4]
      local out = A[name](A)
      assert.are.same(per_row and { r, 1 } or { 1, c }, { out:shape() })
      local want = {}
      for k = 1, per_row and r or c do
        local s = 0
        for l = 1, per_row and c or r do
          local x = per_row and A:get(k, l) or A:get(l, k)
          s = s + (sq and x * x or x)
        end
        if mean then s = s / (per_row and c or r) end
        want[k] = per_row and { s } or s
      end
      if not per_row then want = { want } end
      -- sums of <= 7 terms of size ~1 in a different order: a few ulps
      assert.is_true(maxdiff(out, want) < 1e-14, name)
      -- into a given output, which is returned
      local dst = per_row and ml.zeros(r, 1) or ml.zeros(1, c)
      assert.are.equal(dst, A[name](A, dst))
      assert.are.equal(0, (dst - out):norm("max"))
    end
    assert.has_error(function() A:row_sumsq(ml.zeros(1, 7)) end, "bad argument #1 to 'row_sumsq' (output must be 5 x 1, got 1 x 7)")
  end)

  it("median of the entries, with a reusable workspace", function()
    local v = {}
    for i = 1, 5 do for j = 1, 7 do v[#v + 1] = A:get(i, j) end end
    table.sort(v)
    assert.are.equal(v[18], A:median())
    local W = ml.zeros(40, 1)
    assert.are.equal(v[18], A:median(W))
    assert.are.equal(2.5, ml.from_table { { 4, 1, 3, 2 } }:median())
    assert.has_error(function() A:median(ml.zeros(3, 1)) end)
    local N = A:clone()
    N:set(2, 2, 0 / 0)
    assert.has_error(function() N:median() end, "calling 'median' on bad self (matrix contains NaN or Inf)")
  end)

  it("broadcast scaling of rows and columns, in place", function()
    local vr, vc = ml.randn(5, 1, { seed = 2 }), ml.randn(1, 7, { seed = 3 })
    local B = A:clone()
    assert.are.equal(B, B:scale_rows_(vr))
    B:scale_cols_(vc:t())   -- a column vector works for the columns too
    assert.is_true(maxdiff(B, slow(A, function(x, i, j) return x * vr:get(i, 1) * vc:get(1, j) end)) < 1e-15)
    assert.has_error(function() B:scale_rows_(vc) end, "bad argument #1 to 'scale_rows_' (vector with 5 entries expected (k x 1 or 1 x k), got 1 x 7)")
  end)

  it("elementwise maps", function()
    local P = A:clone():abs_()
    assert.is_true(maxdiff(A:clone():sign_(), slow(A, function(x) return x > 0 and 1 or -1 end)) == 0)
    assert.is_true(maxdiff(A:clone():abs_(), slow(A, math.abs)) == 0)
    assert.is_true(maxdiff(P:clone():sqrt_(), slow(P, math.sqrt)) == 0)
    assert.is_true(maxdiff(P:clone():log1p_(), slow(P, function(x) return math.log(1 + x) end)) < 1e-15)
    assert.is_true(maxdiff(P:clone():pow_(-1, 2), slow(P, function(x) return 1 / (x + 2) end)) == 0)
    assert.is_true(maxdiff(P:clone():pow_(1.5), slow(P, function(x) return x ^ 1.5 end)) < 1e-15)
    assert.is_true(maxdiff(A:clone():clip_(-0.5, 0.25), slow(A, function(x) return math.min(0.25, math.max(-0.5, x)) end)) == 0)
    assert.has_error(function() A:clone():clip_(1, -1) end, "bad argument #2 to 'clip_' (upper bound is below the lower bound)")
  end)

  it("fused Adam moments and direction", function()
    local m, v, g = ml.randn(3, 4, { seed = 4 }), ml.randn(3, 4, { seed = 5 }):abs_(), ml.randn(3, 4, { seed = 6 })
    local m0, v0 = m:clone(), v:clone()
    ml.adam_moments_(m, v, g, 0.9, 0.99)
    assert.is_true(maxdiff(m, slow(m0, function(x, i, j) return 0.9 * x + 0.1 * g:get(i, j) end)) < 1e-15)
    assert.is_true(maxdiff(v, slow(v0, function(x, i, j) return 0.99 * x + 0.01 * g:get(i, j) ^ 2 end)) < 1e-15)
    local d = ml.zeros(3, 4)
    ml.adam_dir(d, m, v, 0.5, 0.25, 1e-3, 0.5)
    assert.is_true(maxdiff(d, slow(m, function(x, i, j)
      return (x / 0.5) / math.sqrt(math.sqrt(v:get(i, j) / 0.25) + 1e-3)
    end)) < 1e-14)
    assert.has_error(function() ml.adam_moments_(m, v, ml.zeros(4, 3), 0.9, 0.99) end,
      "bad argument #3 to 'adam_moments_' (shape 4 x 3 does not match argument #1 (3 x 4))")
    assert.has_error(function() ml.adam_dir(d, m, v, 0, 1, 1e-8) end, "bad argument #4 to 'adam_dir' (c1 must be > 0)")
  end)

  it("ns_plan: ml.ns with the options fixed once, into a reused output", function()
    local G = ml.randn(6, 9, { seed = 7 })
    local plan = ml.ns_plan { coeffs = "polar_express", eps = 1e-7, precond = "schatten" }
    local O = ml.zeros(6, 9)
    plan:run(O, G)
    assert.are.equal(0, (O - ml.ns(G, { coeffs = "polar_express", eps = 1e-7, precond = "schatten" })):norm("max"))
    local n = plan:allocations()
    for _ = 1, 5 do plan:run(O, G) end
    assert.are.equal(n, plan:allocations())
    assert.has_error(function() plan:run(ml.zeros(9, 6), G) end)
    assert.has_error(function() plan:run(G, G) end, "bad argument #1 to 'run' (output shares storage with the input)")
    assert.has_error(function() plan:run(ml.zeros(8, 9):view(1, 1, 6, 9), G) end)
    assert.has_error(function() ml.ns_plan { coeffs = "nope" } end)
    assert.has_error(function() ml.ns_plan { stepz = 3 } end)
  end)
end)

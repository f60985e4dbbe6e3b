-- ml.coeffs, ml.poly_map, ml.poly_error: named and computed coefficient schedules.
-- Reference values: the published Polar Express table (arXiv 2505.16932) and the CANS
-- appendix coefficients (arXiv 2506.10935); the C tests check the numerics in depth.
local ml = require "muonlab"

local function rel(a, b) return math.abs(a - b) / math.max(math.abs(b), 1e-300) end

-- The error message of f(), which must fail.
local function err(f)
  local ok, e = pcall(f)
  assert.is_false(ok, "expected an error")
  return tostring(e)
end

local function has(msg, ...)
  for _, s in ipairs { ... } do
    assert.is_truthy(msg:find(s, 1, true), ("'%s' not in: %s"):format(s, msg))
  end
end

local published = dofile("tests/lua/polar_express_table.lua")

describe("coeffs", function()
  it("returns built-in schedules as one list of coefficients per step", function()
    local c = ml.coeffs("cubic")
    assert.are.equal(10, #c)
    assert.are.same({ 1.5, -0.5 }, c[1])
    local j = ml.coeffs("jordan")
    assert.are.equal(5, #j)
    assert.are.same({ 3.4445, -4.7750, 2.0315 }, j[5])
    local s = ml.coeffs("septic", { steps = 3 })
    assert.are.equal(3, #s)
    assert.are.same({ 35 / 16, -35 / 16, 21 / 16, -5 / 16 }, s[3])
    local y = ml.coeffs("you", { steps = 8 })   -- beyond the table the last row repeats
    assert.are.equal(8, #y)
    assert.are.same({ 2172 / 1024, -1833 / 1024, 682 / 1024 }, y[8])
  end)

  it("gives the published Polar Express table with safety = 1 (the default 1.01: safety_spec)", function()
    assert.are.same(published, ml.coeffs("polar_express", { safety = 1 }))
    assert.are.same(ml.coeffs("polar_express"), ml.coeffs("polar_express", {}))
  end)

  it("computes Polar Express that reproduces the published table", function()
    local c = ml.coeffs("polar_express", { l = 1e-3, degree = 5, steps = 8, safety = 1 })
    assert.are.equal(8, #c)
    for t = 1, 8 do
      for k = 1, 3 do assert.is_true(rel(c[t][k], published[t][k]) < 1e-8) end
    end
    for t = 1, 6 do
      for k = 1, 3 do assert.is_true(rel(c[t][k], published[t][k]) < 1e-13) end
    end
    assert.are.equal(2, #ml.coeffs("polar_express", { degree = 3 })[1])
    assert.are.equal(4, #ml.coeffs("polar_express", { degree = 7, steps = 4 })[4])
  end)

  it("applies the safety factor to every row but the last", function()
    local c = ml.coeffs("polar_express", { steps = 8, safety = 1 })
    local s = ml.coeffs("polar_express", { steps = 8 })   -- default 1.01
    assert.are.equal(1.01, s.input_scale)
    for t = 1, 7 do
      for k = 1, 3 do
        assert.is_true(rel(s[t][k], c[t][k] / 1.01 ^ (2 * k - 1)) < 1e-15)
      end
    end
    assert.are.same(c[8], s[8])
  end)

  it("makes the cushion an option (0 = plain greedy = CANS)", function()
    local g = ml.coeffs("polar_express", { cushion = 0, steps = 6 })
    local c = ml.coeffs("cans", { l = 1e-3, degree = 5, steps = 6 })
    for t = 1, 6 do
      for k = 1, 3 do assert.is_true(rel(g[t][k], c[t][k]) < 1e-11) end
    end
    assert.is_true(rel(g[1][1], published[1][1]) > 1e-3)
  end)

  it("computes CANS, matching the paper's degree-3 coefficients", function()
    local c = ml.coeffs("cans", { l = 9e-4, degree = 3, steps = 7, safety = 1 })
    assert.are.equal(7, #c)
    assert.is_true(rel(c[1][1], 5.181702879894027) < 1e-13)
    assert.is_true(rel(c[1][2], -5.177039351076183) < 1e-13)
    assert.is_true(rel(c[7][1], 1.839437716819516) < 1e-13)
    assert.is_true(rel(c[7][2], -0.547668362229117) < 1e-13)
    local d = ml.coeffs("cans")
    assert.are.equal(8, #d)
    assert.are.equal(3, #d[1])
  end)

  it("rejects bad names and options, naming the function and argument", function()
    has(err(function() return ml.coeffs("nope") end),
      "bad argument #1 to 'coeffs' (unknown schedule 'nope' (known: cubic, quintic, septic, jordan, you, polar_express, gram_ns, cans))")
    has(err(function() return ml.coeffs({}) end), "bad argument #1 to 'coeffs'", "string expected, got table")
    has(err(function() return ml.coeffs() end), "bad argument #1 to 'coeffs'")
    has(err(function() return ml.coeffs("polar_express", { l = 0 }) end),
      "bad argument #2 to 'coeffs' (option 'l': a number in (0, 1) expected, got 0)")
    has(err(function() return ml.coeffs("cans", { l = 1 }) end), "bad argument #2 to 'coeffs'", "option 'l': a number in (0, 1) expected, got 1")
    has(err(function() return ml.coeffs("polar_express", { degree = 4 }) end),
      "bad argument #2 to 'coeffs' (option 'degree': 3, 5 or 7 expected, got 4)")
    has(err(function() return ml.coeffs("cans", { degree = 9 }) end), "option 'degree': 3, 5 or 7 expected, got 9")
    has(err(function() return ml.coeffs("polar_express", { steps = 0 }) end),
      "bad argument #2 to 'coeffs' (option 'steps': an integer in 1..100 expected, got 0)")
    has(err(function() return ml.coeffs("cubic", { steps = 101 }) end), "option 'steps': an integer in 1..100 expected, got 101")
    has(err(function() return ml.coeffs("cubic", { steps = 2.5 }) end), "option 'steps': an integer expected, got number")
    has(err(function() return ml.coeffs("polar_express", { safety = 0.5 }) end),
      "bad argument #2 to 'coeffs' (option 'safety': a finite number >= 1 expected, got 0.5)")
    has(err(function() return ml.coeffs("polar_express", { cushion = 1 }) end), "option 'cushion': a number in [0, 1) expected, got 1")
    -- (the format every option error shares: lua/lauxml.c and lua/muonlab/options.lua)
    has(err(function() return ml.coeffs("polar_express", { l = "small" }) end),
      "bad argument #2 to 'coeffs' (option 'l': a number expected, got string)")
    has(err(function() return ml.coeffs("polar_express", { lower = 1e-3 }) end),
      "bad argument #2 to 'coeffs' (unknown option 'lower'")
    has(err(function() return ml.coeffs("cubic", { l = 0.1 }) end), "unknown option 'l'")
    has(err(function() return ml.coeffs("cubic", { safety = 1.01 }) end), "unknown option 'safety'")
    has(err(function() return ml.coeffs("cans", { cushion = 0.1 }) end), "unknown option 'cushion'")
    has(err(function() return ml.coeffs("cubic", 5) end), "bad argument #2 to 'coeffs'", "table expected")
  end)
end)

describe("poly_map", function()
  local function cubic(x) return 1.5 * x - 0.5 * x ^ 3 end

  it("applies a flat row, reused 5 steps by default or opts.steps", function()
    assert.are.equal(cubic(0.5), ml.poly_map({ 1.5, -0.5 }, 0.5, { steps = 1 }))
    local x = 0.3
    for _ = 1, 5 do x = cubic(x) end
    assert.is_true(rel(ml.poly_map({ 1.5, -0.5 }, 0.3), x) < 1e-15)
  end)

  it("applies per-step lists, padding shorter rows with zeros", function()
    local q = function(x) return 15 / 8 * x - 10 / 8 * x ^ 3 + 3 / 8 * x ^ 5 end
    assert.is_true(rel(ml.poly_map({ { 1.5, -0.5 }, { 15 / 8, -10 / 8, 3 / 8 } }, 0.3), q(cubic(0.3))) < 1e-15)
  end)

  it("accepts names, numbers, lists and matrices", function()
    assert.are.equal(1, ml.poly_map("cubic", 1))
    local xs = ml.poly_map("jordan", { 0.1, 0.5, 1 })
    assert.are.equal(3, #xs)
    assert.are.equal(ml.poly_map("jordan", 0.5), xs[2])
    local A = ml.from_table { { 0.1, 0.2, 0.3 }, { 0.4, 0.5, -0.6 } }
    local B = ml.poly_map("polar_express", A)
    assert.is_true(ml.ismatrix(B))
    assert.are.same({ 2, 3 }, { B:shape() })
    assert.are.equal(ml.poly_map("polar_express", -0.6), B:get(2, 3))
    assert.is_true(math.abs(B:get(1, 1) - 1) < 1e-6)
    -- a name with steps: tables repeat their last row
    assert.are.equal(ml.poly_map(ml.coeffs("you", { steps = 9 }), 0.2), ml.poly_map("you", 0.2, { steps = 9 }))
    assert.is_true(math.abs(ml.poly_map("cans", 0.01) - 1) < 1e-6)
  end)

  it("rejects bad schedules and inputs", function()
    has(err(function() return ml.poly_map("cubic", "x") end),
      "bad argument #2 to 'poly_map' (number, list of numbers or matrix expected, got string)")
    has(err(function() return ml.poly_map({}, 1) end), "bad argument #1 to 'poly_map' (empty list of coefficients)")
    has(err(function() return ml.poly_map({ { 1, "a" } }, 1) end),
      "bad argument #1 to 'poly_map' (coefficient 2 of step 1: number expected, got string)")
    has(err(function() return ml.poly_map({ 1, 0 / 0 }, 1) end), "coefficient 2 is not finite")
    has(err(function() return ml.poly_map({ { 1, 2 }, 3 }, 1) end), "step 2: list of coefficients expected, got number")
    has(err(function() return ml.poly_map({ 1, 2, 3, 4, 5, 6, 7, 8, 9 }, 1) end), "at most 8 coefficients")
    has(err(function() return ml.poly_map(true, 1) end),
      "bad argument #1 to 'poly_map' (schedule name or list of coefficients expected, got boolean)")
    has(err(function() return ml.poly_map("nope", 1) end), "bad argument #1 to 'poly_map' (unknown schedule 'nope'")
    has(err(function() return ml.poly_map({ 1.5, -0.5 }, { 1, "x" }) end),
      "bad argument #2 to 'poly_map' (entry 2: number expected, got string)")
    has(err(function() return ml.poly_map("cubic", 1, { steps = 0 }) end), "bad argument #3 to 'poly_map'", "'steps'")
    has(err(function() return ml.poly_map("cubic", 1, { stpes = 3 }) end), "unknown option 'stpes'")
  end)
end)

describe("poly_error", function()
  it("is the worst |f(x) - 1| on [l, u]", function()
    -- Jordan's map plateaus: [0.05, 1] lands in about [0.68, 1.13]
    assert.is_true(math.abs(ml.poly_error("jordan", 0.05, 1) - 0.31816853782281573) < 1e-9)
    assert.is_true(ml.poly_error("polar_express", 1e-3, 1) < 1e-8)
    -- after one cushioned step the worst point is l itself
    local one = ml.coeffs("polar_express", { steps = 1 })
    assert.is_true(rel(ml.poly_error(one, 1e-3, 1), 1 - ml.poly_map(one, 1e-3)) < 1e-12)
    -- Pade is slower from a small singular value than Polar Express
    assert.is_true(ml.poly_error("quintic", 1e-3, 1, { steps = 6 }) > ml.poly_error("polar_express", 1e-3, 1, { steps = 6 }))
  end)

  it("rejects bad intervals", function()
    has(err(function() return ml.poly_error("cubic", 1, 0.5) end), "bad argument #3 to 'poly_error' (u must be >= l")
    has(err(function() return ml.poly_error("cubic", "a", 1) end), "bad argument #2 to 'poly_error'", "number expected")
    has(err(function() return ml.poly_error("cubic", 0, math.huge) end), "bad argument #3 to 'poly_error' (u must be finite)")
    has(err(function() return ml.poly_error(7, 0, 1) end), "bad argument #1 to 'poly_error'")
  end)
end)

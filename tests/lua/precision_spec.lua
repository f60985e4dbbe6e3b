-- ml.round and ml.round_scalar: reduced-precision emulation (core/precision.c).
-- Expected values are exact binary fractions worked out from the formats: bf16 keeps 8
-- significant bits, fp16 11 (and is subnormal below 2^-14, with quantum 2^-24).
local ml = require "muonlab"

local function f32(x) return string.unpack("f", string.pack("f", x)) end

describe("precision", function()
  it("rounds scalars to nearest, ties to even", function()
    local r = ml.round_scalar
    assert.are.equal(1, r(1 + 2 ^ -8, "bf16"))                 -- tie, down to even
    assert.are.equal(1 + 2 ^ -6, r(1 + 3 * 2 ^ -8, "bf16"))    -- tie, up to even
    assert.are.equal(1 + 2 ^ -7, r(1 + 2 ^ -8 + 2 ^ -30, "bf16")) -- above the tie (no rounding via fp32)
    assert.are.equal(1, r(1 + 2 ^ -11, "fp16"))
    assert.are.equal(1 + 2 ^ -9, r(1 + 3 * 2 ^ -11, "fp16"))
    assert.are.equal(65504, r(65519.99, "fp16"))
    assert.are.equal(math.huge, r(65520, "fp16"))
    assert.are.equal(-math.huge, r(-1e300, "bf16"))
    assert.are.equal(2 ^ -24, r(2 ^ -24, "fp16"))               -- smallest fp16 subnormal
    assert.are.equal(0, r(2 ^ -25, "fp16"))                     -- tie to even zero
    assert.are.equal(2 ^ -23, r(3 * 2 ^ -25, "fp16"))
    assert.are.equal(f32(0.1), r(0.1, "fp32"))
    assert.are.equal(0.1, r(0.1, "fp64"))
    assert.are.equal(r(0.1, "bf16"), r(0.1, "bfloat16"))
    assert.are.equal(r(0.1, "fp16"), r(0.1, "float16"))
    assert.are.equal(-math.huge, 1 / r(-2 ^ -30, "fp16"))       -- signed zero kept
    local nan = r(0 / 0, "bf16")
    assert.is_true(nan ~= nan)
    assert.are.equal(3, r(3, "bf16"))                           -- integers are accepted
  end)

  it("rounds every entry of a matrix and keeps its dtype", function()
    local A = ml.from_table { { 1 + 2 ^ -8, 1 + 3 * 2 ^ -8 }, { 1e6, -0.1 } }
    local B = ml.round(A, "bf16")
    assert.are.equal("float64", B:dtype())
    assert.are.same({ { 1, 1 + 2 ^ -6 }, { 999424, ml.round_scalar(-0.1, "bf16") } }, B:totable())
    assert.are.equal(1 + 2 ^ -8, A:get(1, 1))                   -- the argument is not modified
    local H = ml.round(A, "fp16")
    assert.are.equal(math.huge, H:get(2, 1))
    assert.are.equal(1 + 3 * 2 ^ -8, H:get(1, 2))            -- representable in fp16

    local A32 = A:astype("float32")
    local B32 = ml.round(A32, "bf16")
    assert.are.equal("float32", B32:dtype())
    assert.are.same(B:totable(), B32:totable())
    assert.are.same(A32:totable(), ml.round(A32, "fp32"):totable())
    assert.are.equal(f32(-0.1), ml.round(A, "fp32"):get(2, 2))
    assert.are.same(A:totable(), ml.round(A, "fp64"):totable())
  end)

  it("rounds views and agrees with round_scalar entry by entry", function()
    local X = ml.randn(6, 9, { seed = 3 }) * 1000
    local V = X:view(2, 3, 4, 5)
    for _, p in ipairs { "bf16", "fp16", "fp32" } do
      local R = ml.round(V, p)
      assert.are.same({ 4, 5 }, { R:shape() })
      for i = 1, 4 do
        for j = 1, 5 do
          assert.are.equal(ml.round_scalar(V:get(i, j), p), R:get(i, j))
        end
      end
    end
  end)

  it("rejects bad arguments, naming the function and the argument", function()
    local A = ml.eye(2)
    local cases = {
      { function() return ml.round(A, "bf17") end,
        "bad argument #2 to 'round' (unknown precision 'bf17'; expected fp64, fp32, bf16 or fp16)" },
      { function() return ml.round_scalar(1, "half") end,
        "bad argument #2 to 'round_scalar' (unknown precision 'half'; expected fp64, fp32, bf16 or fp16)" },
      { function() return ml.round(A) end, "bad argument #2 to 'round' (string expected, got no value)" },
      { function() return ml.round({}, "bf16") end, "bad argument #1 to 'round' (muonlab.matrix expected" },
      { function() return ml.round_scalar("x", "bf16") end, "bad argument #1 to 'round_scalar' (number expected" },
    }
    for _, c in ipairs(cases) do
      local ok, err = pcall(c[1])
      assert.is_false(ok)
      assert.truthy(err:find(c[2], 1, true), ("expected '%s', got '%s'"):format(c[2], err))
    end
  end)
end)

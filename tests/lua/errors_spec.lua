-- Bad input never crashes: every wrong call raises a Lua error that names the function.
local ml = require "muonlab"

local A = ml.randn(3, 4, { seed = 1 })
local nanA = ml.randn(3, 4, { seed = 1 }); nanA:set(2, 2, 0 / 0)
local infA = ml.randn(3, 4, { seed = 1 }); infA:set(1, 1, math.huge)

local cases = {
  { "matrix", function() return ml.matrix(0, 3) end, "dimension" },
  { "matrix", function() return ml.matrix("a", 3) end, "integer expected" },
  { "matrix", function() return ml.matrix(1000000, 1000000) end, "too large" },
  { "matrix", function() return ml.matrix(2, 2, { dtype = "int8" }) end, "dtype" },
  { "from_table", function() return ml.from_table {} end, "empty" },
  { "from_table", function() return ml.from_table { { 1, 2 }, { 3 } } end, "row 2" },
  { "from_table", function() return ml.from_table { { 1, "x" } } end, "not a number" },
  { "get", function() return A:get(4, 1) end, "out of range" },
  { "get", function() return A.get("A", 1, 1) end, "muonlab.matrix expected" },
  { "add", function() return A + ml.eye(3) end, "shape mismatch" },
  { "add", function() return A + A:astype("float32") end, "dtype mismatch" },
  { "matmul", function() return ml.matmul(A, A) end, "inner dimensions" },
  { "matmul", function() return ml.matmul(A, 3) end, "muonlab.matrix expected" },
  { "reshape", function() return A:reshape(5, 5) end, "cannot reshape" },
  { "view", function() return A:view(3, 3, 2, 2) end, "does not fit" },
  { "svd", function() return ml.svd(nanA) end, "NaN or Inf" },
  { "svd", function() return ml.svd({}) end, "muonlab.matrix expected" },
  { "polar", function() return ml.polar(infA) end, "NaN or Inf" },
  { "polar", function() return ml.polar(A, { rtol = -1 }) end, "rtol" },
  { "spectral", function() return ml.spectral(A, 0 / 0) end, "p must be" },
  { "spectral", function() return ml.spectral(A, 0.5, { methd = "svd" }) end, "unknown option 'methd'" },
  { "ns", function() return ml.ns(nanA) end, "NaN or Inf" },
  { "ns", function() return ml.ns(A, { coeffs = "nonsense" }) end, "unknown schedule" },
  { "ns", function() return ml.ns(A, { steps = -1 }) end, "steps" },
  { "ns", function() return ml.ns(A, { coeffs = { { 1, "x" } } }) end, "number expected" },
  { "ns", function() return ml.ns(A, { stpes = 3 }) end, "unknown option 'stpes'" },
  { "ns", function() return ml.ns(A, { steps = "five" }) end, "option 'steps': an integer expected, got string" },
  { "orth_error", function() return ml.orth_error(nanA) end, "NaN or Inf" },
  { "polar_distance", function() return ml.polar_distance(A, ml.eye(3)) end, "shape mismatch" },
  { "spectrum", function() return ml.spectrum(3, 3, { kind = "wobbly" }) end, "option 'kind': one of \"geometric\"" },
  { "spectrum", function() return ml.spectrum(3, 3, { cond = 0.5 }) end, "cond" },
  { "spectrum", function() return ml.spectrum(3, 3, { values = { 1, 2 } }) end, "expected 3" },
  -- fuzz finding (seed 444170): the singular-value buffer was allocated before the size check
  { "spectrum", function() return ml.spectrum(1e12, 1e12) end, "too large" },
  { "orthogonal", function() return ml.orthogonal(1e12, 1e12) end, "too large" },
  { "randn", function() return ml.randn(2, 2, { seed = 1.5 }) end, "integer" },
  { "norm", function() return ml.norm(A, "l7") end, "unknown norm" },
}

describe("bad input", function()
  for _, c in ipairs(cases) do
    local fname, f, pattern = c[1], c[2], c[3]
    it(("%s: %s"):format(fname, pattern), function()
      local ok, err = pcall(f)
      assert.is_false(ok, "expected an error")
      assert.is_string(err)
      -- the whole name where Lua or the bindings put it ("bad argument #n to 'ns'", "...:12: ns: ..."),
      -- not a substring elsewhere ("ns" is in "contains")
      local q = fname:gsub("%W", "%%%0")
      assert.truthy(err:find("to '" .. q .. "'") or err:find(":%d+: " .. q .. ": "),
        ("error does not name '%s': %s"):format(fname, err))
      assert.truthy(err:find(pattern, 1, true), ("error lacks '%s': %s"):format(pattern, err))
    end)
  end
end)

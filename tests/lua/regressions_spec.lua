-- Findings of the API fuzzer (tests/fuzz/fuzz.lua) and of the hardening review, kept as
-- tests. A call that once crashed the process runs in a child host (bin/muonlab -e), so a
-- relapse fails this test instead of killing the whole busted run; the child must end
-- normally with the call having raised a Lua error (a string).
local ml = require "muonlab"

local HOST = os.getenv("MUONLAB_HOST") or "bin/muonlab"

-- Run `code` in a child host; returns its exit status and output (stdout + stderr).
local function child(code)
  local tmp = os.tmpname()
  local f = assert(io.open(tmp, "w"))
  f:write(code)
  f:close()
  local p = io.popen(HOST .. " " .. tmp .. " 2>&1; echo \"exit=$?\"")
  local out = p:read("a")
  p:close()
  os.remove(tmp)
  return tonumber(out:match("exit=(%d+)%s*$")), out
end

-- The call (an expression of a function and its arguments) raises a Lua error string in a child.
local function raises_in_child(call)
  local rc, out = child(([[
local ok, e = pcall(%s)
assert(not ok, "the call returned")
assert(type(e) == "string", "a non-string error: " .. type(e))
print("lua error: " .. e)
]]):format(call))
  assert(rc == 0 and out:find("lua error: ", 1, true), ("%s did not end with a Lua error (exit %s):\n%s")
    :format(call, tostring(rc), out))
  return out:match("lua error: ([^\n]*)")
end

describe("fuzzer findings", function()
  -- fuzz seed 1, call 132: getmetatable(A).__add(0, 101) dereferenced NULL in lua/lmatrix.c
  -- arith() (neither operand a matrix; only reachable through the metatable). Fixed there by
  -- rejecting the call when neither operand is a matrix.
  it("matrix __add/__sub called through the metatable without a matrix operand raise an error", function()
    for _, mm in ipairs { "__add", "__sub" } do
      for _, args in ipairs { "0, 101", "'a', {}", "nil, nil" } do
        local msg = raises_in_child(("getmetatable(ml.eye(1)).%s, %s"):format(mm, args))
        assert.is_truthy(msg)
      end
    end
  end)

  it("operators and methods on closed matrices raise errors", function()
    local A = ml.randn(3, 3)
    local B = A:view(1, 1, 2, 2)
    A:close()
    assert.has_error(function() return A + 1 end)
    assert.has_error(function() return A + A end)
    assert.has_error(function() return -A end)
    assert.has_error(function() return A * 2 end)
    assert.has_error(function() return A:get(1, 1) end, "calling 'get' on bad self (matrix has been closed)")
    assert.equal(tostring(A), "muonlab.matrix (closed)")
    A:close()   -- twice is harmless
    assert.equal(2, B:rows())   -- the view keeps the storage alive
    assert.is_number(B:get(2, 2))
  end)

  it("option tables whose reads raise errors give that error, and nothing leaks (LSan in SAN builds)", function()
    local trap = setmetatable({}, { __index = function(_, k) error("trap: " .. tostring(k), 0) end })
    for _, call in ipairs {
      function() return ml.ns(ml.randn(4, 6), trap) end,
      function() return ml.randn(3, 3, trap) end,
      function() return ml.spectrum(3, 4, trap) end,
      function() return ml.coeffs("cans", trap) end,
      function() return ml.polar(ml.randn(3, 4), trap) end,
    } do
      local ok, e = pcall(call)
      assert.is_false(ok)
      assert.is_string(e)
    end
  end)
end)

describe("requests that cannot be met fail before allocating", function()
  local N = 1000000
  local function refuses(name, f, ...)
    local t0 = ml.now()
    local ok, e = pcall(f, ...)
    local dt = ml.now() - t0
    assert.is_false(ok, name .. " accepted a 10^6 x 10^6 request")
    assert.matches("too large", e)
    assert.is_true(dt < 1, ("%s took %.2f s to refuse"):format(name, dt))   -- refused, not attempted
  end

  it("every creator refuses 10^6 x 10^6 with a clear message", function()
    for _, name in ipairs { "matrix", "zeros", "ones", "randn", "rand", "orthogonal", "spectrum", "eye" } do
      refuses(name, ml[name], N, N)
    end
    refuses("eye(n)", ml.eye, N)
    refuses("matrix(maxinteger)", ml.matrix, math.maxinteger, math.maxinteger)
    refuses("float32", ml.zeros, 2 ^ 31 + 1, 1, { dtype = "float32" })
    local ok, e = pcall(ml.zeros, N, N)
    assert.equal("zeros: 1000000 x 1000000 matrix is too large (more than 2147483647 elements, the BLAS/LAPACK int limit)", e)
  end)

  it("operations whose result would be 10^6 x 10^6 refuse it", function()
    local a = ml.ones(N, 1)
    refuses("matmul", ml.matmul, a, a, { tb = true })
    refuses("gram", ml.gram, a)
    refuses("reshape", a.reshape, a, N, N)
    refuses("t():gram", ml.gram, a:t(), { side = "cols" })
  end)

  it("loaders refuse headers that promise more than they can hold", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir))
    local function npy(name, shape, data)
      local h = ("{'descr': '<f8', 'fortran_order': False, 'shape': %s, }"):format(shape)
      h = h .. (" "):rep(63 - (10 + #h) % 64) .. "\n"
      local f = assert(io.open(dir .. "/" .. name, "wb"))
      f:write("\x93NUMPY\x01\x00", string.pack("<I2", #h), h, data or "")
      f:close()
      return dir .. "/" .. name
    end
    local function load_error(path)
      local t0 = ml.now()
      local ok, e = pcall(ml.load, path)
      assert.is_false(ok)
      assert.is_true(ml.now() - t0 < 1)
      return e
    end
    assert.matches("too large", load_error(npy("huge.npy", "(1000000, 1000000)", ("\0"):rep(64))))
    assert.matches("too large", load_error(npy("overflow.npy", "(99999999999999999999999, 3)")))
    -- allowed in size (2^31 - 1 elements) but the file holds 64 bytes: refused before the 16 GiB allocation
    assert.matches("truncated", load_error(npy("short.npy", "(2147483647,)", ("\0"):rep(64))))
    os.execute("rm -rf " .. dir)
  end)
end)

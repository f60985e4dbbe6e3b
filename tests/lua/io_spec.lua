-- load/save against NumPy, the independent reference: NumPy writes .npy and savetxt files
-- that muonlab loads, and loads the files muonlab writes. Values cross the boundary as
-- hexadecimal floats (float.hex / %a), so every comparison is exact (tolerance 0).
-- Needs Debian's /usr/bin/python3 with python3-numpy; without it every test fails saying so.
local ml = require "muonlab"

local PY = "/usr/bin/python3"

local HELPER = [[
import sys
import warnings
import numpy as np

warnings.simplefilter('ignore')   # float32 overflow to inf and inf - inf are intended
np.seterr(all='ignore')

def awkward(a):
    # values that break sloppy readers and writers
    f = a.reshape(-1)
    for k, v in enumerate([0.1, -1 / 3, 1e-300, 5e-324, -0.0, 1.7976931348623157e308, 123456789.0]):
        if k < f.size:
            f[k] = v
    return a

def rand(shape, dtype='<f8'):
    rng = np.random.default_rng(sum(shape) + len(shape))
    return awkward(rng.standard_normal(shape) * 10.0 ** rng.integers(-8, 8, shape)).astype(dtype)

def emit(a, dtype):
    if a.ndim > 2:
        print('none 0 0')
        return
    r, c = (a.shape[0], 1) if a.ndim == 1 else a.shape
    print(dtype, r, c)
    for x in np.asarray(a, dtype=np.float64).reshape(r, c).reshape(-1):
        print(float(x).hex())

def gen(kind, path):
    if kind == 'c_f8':
        a = rand((3, 4)); np.save(path, a)
    elif kind == 'f_f8':
        a = np.asfortranarray(rand((4, 3))); np.save(path, a)
    elif kind == 'c_f4':
        a = rand((3, 5), '<f4'); np.save(path, a)
    elif kind == 'f_f4':
        a = np.asfortranarray(rand((5, 3), '<f4')); np.save(path, a)
    elif kind == 'be_f8':
        a = rand((2, 3), '>f8'); np.save(path, a)
    elif kind == 'be_f4_fortran':
        a = np.asfortranarray(rand((3, 2), '>f4')); np.save(path, a)
    elif kind == '1d_f8':
        a = rand((7,)); np.save(path, a)
    elif kind == 'v2_f8':
        a = rand((2, 5))
        with open(path, 'wb') as f:
            np.lib.format.write_array(f, a, version=(2, 0))
    elif kind == 'savetxt':
        a = rand((4, 3)); a[1, 1] = np.nan; a[2, 0] = np.inf; a[3, 2] = -np.inf
        np.savetxt(path, a)
    elif kind == 'savetxt_1d':
        a = rand((5,)); np.savetxt(path, a)
    elif kind == 'savetxt_csv':
        a = rand((3, 4)); np.savetxt(path, a, delimiter=',', header='a,b,c,d')
    elif kind == 'int':
        a = np.arange(6, dtype='<i8').reshape(2, 3); np.save(path, a)
    elif kind == '3d':
        a = np.zeros((2, 2, 2)); np.save(path, a)
    else:
        sys.exit('unknown kind ' + kind)
    f = np.asarray(a)
    emit(f, 'float32' if f.dtype.itemsize == 4 else 'float64')

def check(path, want_path):
    with open(want_path) as f:
        r, c = map(int, f.readline().split())
        want = np.array([float.fromhex(t) for t in f.read().split()]).reshape(r, c)
    if path.endswith('.npy'):
        got = np.load(path)
    else:
        got = np.loadtxt(path, delimiter=',' if path.endswith('.csv') else None, ndmin=2)
    g = got.astype(np.float64)
    d = np.abs(g - want)
    d[(g == want) | (np.isnan(g) & np.isnan(want))] = 0.0
    signs = bool(np.all(np.signbit(g) == np.signbit(want)) or np.isnan(want).any())
    print(got.dtype.str, 'x'.join(map(str, got.shape)), repr(float(d.max())), 'signs-ok' if signs else 'signs-differ')

if sys.argv[1] == 'gen':
    gen(sys.argv[2], sys.argv[3])
else:
    check(sys.argv[2], sys.argv[3])
]]

local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local NEED = "python3-numpy is required for tests/lua/io_spec.lua (" .. PY .. " -c 'import numpy' failed)"
local have_numpy = os.execute(PY .. " -c 'import numpy' >/dev/null 2>&1") == true

local dir, helper

local function run(args)
  assert(have_numpy, NEED)
  local p = io.popen(PY .. " " .. q(helper) .. " " .. args .. " 2>&1")
  local out = p:read("a")
  local ok, _, code = p:close()
  assert(ok, "python failed (" .. tostring(code) .. "): " .. out)
  return out
end

local function hexnum(t)
  if t == "nan" or t == "-nan" then return 0 / 0 end
  if t == "inf" then return math.huge end
  if t == "-inf" then return -math.huge end
  return assert(tonumber(t), "bad number from python: " .. t)
end

local function hexstr(x)
  if x ~= x then return "nan" end
  if x == math.huge then return "inf" end
  if x == -math.huge then return "-inf" end
  return string.format("%a", x)
end

-- NaN equals NaN; 0.0 and -0.0 differ.
local function same(a, b)
  if a ~= a or b ~= b then return a ~= a and b ~= b end
  return a == b and (a ~= 0 or 1 / a == 1 / b)
end

-- NumPy writes `kind` to `name`; returns its dtype, shape and values (row-major).
local function numpy_writes(kind, name)
  local path = dir .. "/" .. name
  local out = run("gen " .. kind .. " " .. q(path))
  local lines = {}
  for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
  local dtype, r, c = lines[1]:match("^(%S+) (%d+) (%d+)$")
  assert(dtype, "unexpected python output: " .. out)
  local vals = {}
  for k = 2, #lines do vals[#vals + 1] = hexnum(lines[k]) end
  return path, dtype, tonumber(r), tonumber(c), vals
end

local function assert_entries(A, r, c, vals, what)
  local ar, ac = A:shape()
  assert.are.equal(r .. "x" .. c, ar .. "x" .. ac, what .. ": shape")
  for i = 1, r do
    for j = 1, c do
      local got, want = A:get(i, j), vals[(i - 1) * c + j]
      if not same(got, want) then
        error(string.format("%s: entry (%d, %d) = %.17g, numpy has %.17g", what, i, j, got, want), 2)
      end
    end
  end
end

-- NumPy loads `path`; returns "dtype shape maxabsdiff signs" against A's entries.
local function numpy_reads(path, A)
  local r, c = A:shape()
  local want = dir .. "/want.hex"
  local f = assert(io.open(want, "w"))
  f:write(r, " ", c, "\n")
  for i = 1, r do
    for j = 1, c do f:write(hexstr(A:get(i, j)), "\n") end
  end
  f:close()
  return (run("check " .. q(path) .. " " .. q(want)):gsub("%s+$", ""))
end

describe("io", function()
  setup(function()
    local p = io.popen("mktemp -d")
    dir = p:read("l")
    p:close()
    assert(dir and dir ~= "", "mktemp -d failed")
    helper = dir .. "/np_helper.py"
    local f = assert(io.open(helper, "w"))
    f:write(HELPER)
    f:close()
  end)

  teardown(function()
    if dir and dir:match("^/") then os.execute("rm -rf " .. q(dir)) end
  end)

  it("has python3-numpy to compare against", function()
    assert(have_numpy, NEED)
  end)

  describe("loads what numpy writes", function()
    local cases = {
      {"c_f8", "c_f8.npy", "float64 C order"},
      {"f_f8", "f_f8.npy", "float64 Fortran order"},
      {"c_f4", "c_f4.npy", "float32 C order"},
      {"f_f4", "f_f4.npy", "float32 Fortran order"},
      {"be_f8", "be_f8.npy", "big-endian float64"},
      {"be_f4_fortran", "be_f4.npy", "big-endian float32 Fortran order"},
      {"1d_f8", "1d.npy", "1-D array as a column"},
      {"v2_f8", "v2.npy", "format version 2.0"},
      {"savetxt", "savetxt.txt", "savetxt with nan and inf"},
      {"savetxt_1d", "savetxt_1d.txt", "savetxt of a 1-D array"},
      {"savetxt_csv", "savetxt.csv", "savetxt with delimiter=',' and a header"},
    }
    for _, case in ipairs(cases) do
      it(case[3], function()
        local path, dtype, r, c, vals = numpy_writes(case[1], case[2])
        local A = ml.load(path)
        assert.are.equal(dtype, A:dtype())
        assert_entries(A, r, c, vals, case[3])
      end)
    end
  end)

  describe("writes what numpy reads", function()
    local rows = {
      {0.1, -1 / 3, 1e-300, 5e-324},
      {-0.0, 1.7976931348623157e308, 123456789.0, 2.5},
      {-7.25e-12, 3.0, -1e10, 0.0},
    }

    for _, dtype in ipairs({"float64", "float32"}) do
      it(dtype .. " as .npy, .txt and .csv", function()
        local A = ml.from_table(rows, {dtype = dtype})
        local npy = dtype == "float64" and "<f8" or "<f4"
        for _, ext in ipairs({"npy", "txt", "csv"}) do
          local path = dir .. "/m_" .. dtype .. "." .. ext
          ml.save(path, A)
          assert.are.equal((ext == "npy" and npy or "<f8") .. " 3x4 0.0 signs-ok", numpy_reads(path, A))
        end
      end)
    end

    it("a view with stride > cols", function()
      local A = ml.from_table(rows)
      local V = A:view(2, 2, 2, 3)
      for _, ext in ipairs({"npy", "txt"}) do
        local path = dir .. "/view." .. ext
        ml.save(path, V)
        assert.are.equal("<f8 2x3 0.0 signs-ok", numpy_reads(path, V))
      end
    end)

    it("nan and inf", function()
      local A = ml.from_table({{0 / 0, math.huge}, {-math.huge, 1}})
      for _, ext in ipairs({"npy", "txt"}) do
        local path = dir .. "/special." .. ext
        ml.save(path, A)
        assert.are.equal("<f8 2x2 0.0 signs-ok", numpy_reads(path, A))
      end
    end)
  end)

  describe("round trip in muonlab", function()
    it("keeps dtype and every bit", function()
      local A = ml.from_table({{1 / 3, -2e-310}, {5.5, -0.0}, {1e300, 7}}, {dtype = "float32"})
      local B = ml.from_table({{1 / 3, -2e-310}, {5.5, -0.0}, {1e300, 7}})
      for _, M in ipairs({A, B}) do
        local path = dir .. "/rt.npy"
        ml.save(path, M)
        local L = ml.load(path)
        assert.are.equal(M:dtype(), L:dtype())
        local vals = {}
        for i = 1, 3 do for j = 1, 2 do vals[#vals + 1] = M:get(i, j) end end
        assert_entries(L, 3, 2, vals, "npy round trip")
        ml.save(dir .. "/rt.txt", M)
        L = ml.load(dir .. "/rt.txt")
        assert.are.equal("float64", L:dtype())
        assert_entries(L, 3, 2, vals, "text round trip")
      end
    end)
  end)

  describe("errors name the function and the file", function()
    it("missing file", function()
      local ok, err = pcall(ml.load, dir .. "/missing.npy")
      assert.is_false(ok)
      assert.are.equal("load: " .. dir .. "/missing.npy: No such file or directory", err)
    end)

    it("unsupported numpy files", function()
      local path = numpy_writes("int", "int.npy")
      local ok, err = pcall(ml.load, path)
      assert.is_false(ok)
      assert.are.equal("load: " .. path .. ": unsupported dtype '<i8' (float32 and float64 are supported)", err)
      path = numpy_writes("3d", "3d.npy")
      ok, err = pcall(ml.load, path)
      assert.is_false(ok)
      assert.truthy(err:find("3-dimensional", 1, true), err)
    end)

    it("ragged and non-numeric text", function()
      local path = dir .. "/ragged.txt"
      local f = assert(io.open(path, "w"))
      f:write("1 2\n3 4 5\n")
      f:close()
      local ok, err = pcall(ml.load, path)
      assert.is_false(ok)
      assert.are.equal("load: " .. path .. ": line 2 has 3 fields, but line 1 has 2", err)
      f = assert(io.open(path, "w"))
      f:write("1 2\n3 four\n")
      f:close()
      ok, err = pcall(ml.load, path)
      assert.is_false(ok)
      assert.are.equal("load: " .. path .. ": line 2: 'four' is not a number", err)
    end)

    it("bad arguments and unwritable paths", function()
      local ok, err = pcall(ml.save, dir .. "/x.npy", "not a matrix")
      assert.is_false(ok)
      assert.truthy(err:find("bad argument #2 to '[%w.]*save' %(muonlab.matrix expected, got string%)"), err)
      ok, err = pcall(ml.load)
      assert.is_false(ok)
      assert.truthy(err:find("bad argument #1 to '[%w.]*load'"), err)
      ok, err = pcall(ml.save, dir .. "/no/such/dir/x.npy", ml.from_table({{1}}))
      assert.is_false(ok)
      assert.truthy(err:find("^save: .*/no/such/dir/x%.npy: .*No such file or directory"), err)
    end)
  end)
end)

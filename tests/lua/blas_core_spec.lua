-- The OpenBLAS kernels: bin/muonlab re-executes itself with OPENBLAS_CORETYPE when Debian's
-- OpenBLAS does not know the CPU and falls back to kernels without AVX2 (core/blas_core.c);
-- a user's OPENBLAS_CORETYPE is kept. The CPU's instruction set comes from /proc/cpuinfo here.
local HOST = os.getenv("MUONLAB_HOST") or "bin/muonlab"

local function cpu()
  local f = assert(io.open("/proc/cpuinfo"))
  local flags = f:read("a"):match("\nflags%s*:%s*([^\n]*)") or ""
  f:close()
  local has = {}
  for w in flags:gmatch("%S+") do has[w] = true end
  return { avx2 = has.avx2 and has.fma, avx512 = has.avx512f and has.avx512bw and has.avx512vl and has.avx512dq and has.avx512cd }
end

local function info(env)
  local p = io.popen(env .. " " .. HOST .. [[ -e 'local i = ml.blas_info(); print(i.core, i.fallback or "-", i.better or "-")' 2>&1]])
  local o = p:read("a")
  p:close()
  local core, fallback, better = o:match("^(%S+)\t(%S+)\t(%S+)")
  assert(core, "no blas_info line in: " .. o)
  return core, fallback ~= "-" and fallback or nil, better ~= "-" and better or nil
end

local AVX2_CORES = { haswell = true, zen = true, excavator = true, skylakex = true, cooperlake = true, sapphirerapids = true }

describe("blas kernels", function()
  local c = cpu()

  it("the host runs AVX2 or AVX-512 kernels on a CPU that has them", function()
    local core, fallback, better = info("env -u OPENBLAS_CORETYPE -u ML_BLAS_FALLBACK")
    if c.avx2 then
      assert.is_true(AVX2_CORES[core:lower()] ~= nil, "kernels " .. core)
      assert.is_nil(better)
    end
    if fallback then   -- OpenBLAS did not know this CPU: the host chose by instruction set
      assert.equals(c.avx512 and "SkylakeX" or "Haswell", core)
      assert.is_nil(AVX2_CORES[fallback:lower()])
    end
  end)

  it("keeps the user's OPENBLAS_CORETYPE and names the better kernels", function()
    local core, fallback, better = info("OPENBLAS_CORETYPE=Prescott ML_BLAS_FALLBACK=")
    assert.equals("Prescott", core)
    assert.is_nil(fallback)
    if c.avx2 then assert.equals(c.avx512 and "SkylakeX" or "Haswell", better) end
  end)

  -- libxsmm's target: what an AVX2 proxy run on an AVX-512 machine must pin too (README Performance)
  it("names libxsmm's target: from the CPU, or LIBXSMM_TARGET", function()
    local function target(env)
      local p = io.popen(env .. " " .. HOST .. [[ -e 'print(ml.blas_info().smallmm)' 2>&1]])
      local o = p:read("a")
      p:close()
      return o:match("^(%S+)\n$") or error("no target in: " .. o)
    end
    if c.avx2 then assert.equals("hsw", target("LIBXSMM_TARGET=hsw")) end
    local own = target("env -u LIBXSMM_TARGET")
    if c.avx512 then
      assert.is_true(({ skx = true, clx = true, cpx = true, spr = true })[own] ~= nil, "target " .. own)
    elseif c.avx2 then
      assert.equals("hsw", own)
    end
  end)
end)

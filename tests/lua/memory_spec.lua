-- Long runs hold steady memory: a Muon-like loop of 10 000 steps (momentum, Newton-Schulz on
-- a 32x64 matrix with an ns_workspace when ml.ns_workspace exists, an in-place update) must
-- not grow the resident set (/proc/self/statm, after collectgarbage()) between warm-up and
-- the end by more than 4 MiB: room for one garbage-collector cycle of small Lua objects
-- (twice the Lua heap, ~1.7 MiB under busted), while one leaked 32x64 matrix per step would
-- add 128 MiB and a leak of 500 bytes per step 4 MiB. Two versions of the loop:
--   * the hot-loop idiom, `local O <close> = ml.ns(...)`, which frees O's storage each step;
--   * O left to the garbage collector, as most scripts are written. This needs the
--     collector to know about the matrices' malloc'ed storage (8 KiB to 16 KiB a step here,
--     next to ~170 bytes of Lua objects); without that it runs only every few thousand steps
--     and the resident size climbs by tens of MiB (+62 MiB at the end, ~300 MiB after 30 000
--     steps, measured before lua/lmatrix.c paced the collector).
-- Skipped under AddressSanitizer, whose quarantine keeps freed blocks resident on purpose.
local ml = require "muonlab"

local function page_kib()
  local p = io.popen("getconf PAGESIZE 2>/dev/null")
  local n = p and tonumber(p:read("a"))
  if p then p:close() end
  return (n or 4096) / 1024
end
local PAGE = page_kib()

local function rss_kib()
  collectgarbage()
  collectgarbage()
  local f = assert(io.open("/proc/self/statm"))
  local s = f:read("l")
  f:close()
  return tonumber(s:match("^%d+%s+(%d+)")) * PAGE
end

local function muon_loop(steps, warmup, close)
  local W = ml.randn(32, 64, { seed = 1 })
  local G = ml.randn(32, 64, { seed = 2 })
  local B = ml.zeros(32, 64)
  local opts = { coeffs = "quintic", steps = 5 }
  if ml.ns_workspace then opts.workspace = ml.ns_workspace() end
  local before
  local t0 = ml.now()
  for step = 1, steps do
    B:axpby_(0.95, B, 1.0, G)            -- B <- mu B + G
    if close then
      local O <close> = ml.ns(B, opts)   -- O ~ polar(B)
      W:add_(O, -0.02)                   -- W <- W - lr O
    else
      W:add_(ml.ns(B, opts), -0.02)
    end
    G:scale_(0.9999)
    if step == warmup then before = rss_kib() end
  end
  local after = rss_kib()
  assert(W:isfinite())
  return before, after, ml.now() - t0
end

local sanitized = os.getenv("ASAN_OPTIONS") ~= nil
local BOUND = 4 * 1024   -- KiB

describe("memory", function()
  local it_ = sanitized and pending or it

  it_("a 10 000-step loop with <close> matrices keeps its resident size within 4 MiB after warm-up", function()
    local before, after, secs = muon_loop(10000, 1000, true)
    print(("memory: <close> loop, 10000 steps in %.1f s: resident %d KiB after 1000 steps, %d KiB at the end (%+d KiB)")
      :format(secs, before, after, after - before))
    assert.is_true(after - before <= BOUND, ("grew by %d KiB"):format(after - before))
  end)

  it_("the same loop left to the garbage collector stays within 4 MiB of its warm-up size", function()
    local before, after, secs = muon_loop(10000, 2000, false)
    print(("memory: GC-only loop, 10000 steps in %.1f s: resident %d KiB after 2000 steps, %d KiB at the end (%+d KiB)")
      :format(secs, before, after, after - before))
    assert.is_true(after - before <= BOUND, ("grew by %d KiB: the collector does not see the matrices' storage "
      .. "(lua/lmatrix.c: mlua_newmat should pace it with lua_gc(L, LUA_GCSTEP, kib) for the bytes "
      .. "allocated since the previous matrix)"):format(after - before))
  end)
end)

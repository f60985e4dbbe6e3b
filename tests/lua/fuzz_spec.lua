-- A short run of the API fuzzer (tests/fuzz/fuzz.lua; `make fuzz` runs 10^5 calls under
-- ASan + UBSan) in a child host: 2000 random calls, seed 1 unless FUZZ_SEED says otherwise;
-- a function that takes over 0.2 s is not called again (--slow), to keep the run short.
-- Under `make test SAN=1` the child is the sanitized host, so a crash, a sanitizer report
-- or a leak at exit (LSan) fails this test; otherwise a crash does.
local HOST = os.getenv("MUONLAB_HOST") or "bin/muonlab"
local SEED = tonumber(os.getenv("FUZZ_SEED") or "1")

describe("fuzz", function()
  it("2000 random API calls end in a return or a Lua error", function()
    -- in a scratch directory: see the top of tests/fuzz/fuzz.lua
    local p = io.popen(([[d=$(mktemp -d) && here=$PWD && cd "$d" && "$here/%s" "$here/tests/fuzz/fuzz.lua" --calls 2000 --seed %d --slow 0.2 2>&1;
      rc=$?; cd / && rm -rf "$d"; echo "exit=$rc"]]):format(HOST, SEED))
    local out = p:read("a")
    p:close()
    print(out:match("(fuzz: %d+ calls[^\n]*)") or out)
    assert(out:match("exit=0%s*$") and out:find(", 0 findings", 1, true),
      "the fuzzer failed; reproduce with: cd $(mktemp -d) && " .. HOST .. " tests/fuzz/fuzz.lua --calls 2000 --seed "
      .. SEED .. " --verbose (absolute paths)\n" .. out)
  end)
end)

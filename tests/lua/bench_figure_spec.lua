-- bench/scaling_figure.lua: the rows it draws from a results CSV, the peak it reads, the files it writes.
local csv = require "muonlab.csv"
local H = dofile("tests/lua/file_helper.lua")
local fig = dofile("bench/scaling_figure.lua")

describe("bench scaling figure", function()
  teardown(H.cleanup)

  local COLS = { "kind", "method", "rows", "cols", "precision", "median_ms", "gflop", "gflops" }
  local rows = {
    { kind = "gemm", method = "numpy A @ A", rows = 2048, cols = 2048, precision = "fp32", median_ms = 90, gflop = 17.2, gflops = 190 },
    { kind = "gemm", method = "muonlab matmul", rows = 2048, cols = 2048, precision = "fp32", median_ms = 95, gflop = 17.2, gflops = 181 },
    { kind = "gemm", method = "numpy A @ A", rows = 2048, cols = 2048, precision = "fp64", median_ms = 180, gflop = 17.2, gflops = 300 },
    { kind = "ns", method = "numpy ns", rows = 256, cols = 1024, precision = "fp32", median_ms = 14, gflop = 1.3 },
    { kind = "ns", method = "numpy ns", rows = 128, cols = 512, precision = "fp32", median_ms = 2, gflop = 0.16 },
    { kind = "ns", method = "muonlab ns auto", rows = 128, cols = 512, precision = "fp32", median_ms = 1, gflop = 0.1 },
    { kind = "ns", method = "muonlab ns auto", rows = 1024, cols = 1024, precision = "fp32", median_ms = 90, gflop = 5 },
    { kind = "ns", method = "muonlab ns auto", rows = 128, cols = 512, precision = "fp64", median_ms = 2, gflop = 0.1 },
  }

  it("draws the fp32 m x 4m NS rows, sorted by n, and writes them beside the figure", function()
    local d = H.tmpdir()
    csv.write(d .. "/results.csv", COLS, rows)
    local drawn = fig.from_csv(d .. "/results.csv", d .. "/fig")
    local got = {}
    for _, r in ipairs(drawn) do got[#got + 1] = ("%s %dx%d"):format(r.method, r.rows, r.cols) end
    -- auto first (ORDER), then numpy by n; not the square or the fp64 rows
    assert.same({ "muonlab ns auto 128x512", "numpy ns 128x512", "numpy ns 256x1024" }, got)
    for _, ext in ipairs { "png", "svg", "csv" } do
      local f = assert(io.open(d .. "/fig." .. ext, "rb"), ext)
      assert.is_true(f:seek("end") > 0, ext)
      f:close()
    end
    local _, back = csv.read(d .. "/fig.csv")
    assert.equal(3, #back)
    -- the dashed line: numpy's flops at the best fp32 gemm row's rate (190, not the fp64 300)
    local gp = io.open(d .. "/fig.gp"):read("a")
    assert.truthy(gp:find("sgemm peak (190 GFLOP/s)", 1, true))
  end)

  it("names itself when there is nothing to draw", function()
    local d = H.tmpdir()
    csv.write(d .. "/results.csv", COLS, { rows[1] })
    assert.has_error(function() fig.from_csv(d .. "/results.csv", d .. "/fig") end,
      "scaling_figure: no fp32 m x 4m NS rows to draw")
  end)
end)

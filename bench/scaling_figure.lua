-- The scaling figure of `make bench`: 5-step Jordan NS, fp32, m x 4m, median time per call against n,
-- each form of muonlab's (auto, the optimizers' default, drawn thick) beside numpy and torch, and numpy's
-- flops at the measured sgemm peak. bench/run.lua draws it from its rows; a results CSV it wrote
-- redraws it (the committed runs of other machines included):
--   muonlab bench/scaling_figure.lua bench/epyc_avx512/results.csv plots/ns_scaling_epyc_avx512
local ml = require "muonlab"
local csv = require "muonlab.csv"

local M = {}

local ORDER = { "muonlab ns auto", "muonlab ns direct", "muonlab ns gram", "muonlab ns eig", "numpy ns", "torch ns",
  "torch ns passive" }
local TITLE = { ["muonlab ns auto"] = "muonlab ns auto (the default: direct, gram or eig)" }

-- rows: the bench's rows (kind, method, rows, cols, precision, median_ms, gflop); peak: sgemm GFLOP/s.
-- Writes out.png/.svg and the rows drawn to out.csv (in `columns`); returns those rows.
function M.draw(rows, peak, out, columns)
  local series, drawn, numpy = {}, {}, {}
  for _, name in ipairs(ORDER) do
    local pts = {}
    for _, r in ipairs(rows) do
      if r.kind == "ns" and r.method == name and r.precision == "fp32" and r.cols == 4 * r.rows then pts[#pts + 1] = r end
    end
    table.sort(pts, function(a, b) return a.cols < b.cols end)
    local xs, ys = {}, {}
    for _, r in ipairs(pts) do
      xs[#xs + 1], ys[#ys + 1] = r.cols, r.median_ms
      drawn[#drawn + 1] = r
      if name == "numpy ns" then numpy[#numpy + 1] = r end
    end
    if #xs > 0 then
      series[#series + 1] = { x = xs, y = ys, title = TITLE[name] or name, with = "linespoints",
        style = name == "muonlab ns auto" and "lw 3" or nil }
    end
  end
  if #drawn == 0 then error("scaling_figure: no fp32 m x 4m NS rows to draw", 2) end
  if #numpy > 0 and peak then
    local xs, ys = {}, {}
    for _, r in ipairs(numpy) do xs[#xs + 1], ys[#ys + 1] = r.cols, r.gflop / peak * 1e3 end
    series[#series + 1] = { x = xs, y = ys, with = "lines", style = "lw 2 dt 2 lc rgb '#555555'",
      title = ("numpy's flops at the sgemm peak (%.0f GFLOP/s)"):format(peak) }
  end
  ml.plot {
    output = out, formats = { "png", "svg" }, logx = true, logy = true, grid = true, key = "top left",
    title = "5-step Newton-Schulz (Jordan), fp32, m x n with n = 4m: time per call (median)",
    xlabel = "n (columns; m = n/4 rows)", ylabel = "milliseconds", series = series, xrange = { 400, 8000 },
  }
  csv.write(out .. ".csv", columns, drawn)
  return drawn
end

-- From a results CSV: the peak is the best fp32 gemm row's, as in the run that wrote it.
function M.from_csv(path, out)
  local columns, rows = csv.read(path)
  local peak
  for _, r in ipairs(rows) do
    if r.kind == "gemm" and r.precision == "fp32" and type(r.gflops) == "number" then peak = math.max(peak or 0, r.gflops) end
  end
  return M.draw(rows, peak, out, columns)
end

if arg and arg[0] and arg[0]:match("scaling_figure%.lua$") then
  if not arg[1] or not arg[2] then
    io.stderr:write("usage: muonlab bench/scaling_figure.lua RESULTS.csv PLOT_STEM\n")
    os.exit(2)
  end
  M.from_csv(arg[1], arg[2])
  print(("wrote %s.png/.svg from %s"):format(arg[2], arg[1]))
end

return M

-- muonlab.show: a matrix as a compact aligned table, the matrix's printed form (tostring, print,
-- the REPL) and ml.show(A[, opts]).
--
--   muonlab.matrix 3x3 float64
--    1  0  0
--    0  1  0
--    0  0  1
--
-- The header line is the C binding's tostring (shape and dtype, or "(closed)"). One number
-- format serves the whole table: integers when every shown entry is one, fixed point when the
-- magnitudes span less than 1e4 inside [1e-4, 1e5), else scientific; `digits` significant
-- digits (default 4). A matrix with more than `rows` rows (default 12) shows its first and last
-- `edge` rows (default 5) around a row of "…"; columns likewise (`cols` default 10, `edge_cols` 4).
-- Columns are right-aligned, each as wide as its widest entry.

local options = require "muonlab.options"

local M = {}

-- ml.show's options, checked by muonlab.options and rendered by ml.help("show").
M.schema = options.register("show", {
  digits = { 4, options.int(1, 17), "significant digits of every shown entry" },
  rows = { 12, options.int(0), "a matrix with more rows shows its first and last `edge` rows around a row of …" },
  cols = { 10, options.int(0), "a matrix with more columns shows its first and last `edge_cols` columns around …" },
  edge = { 5, options.int(0), "rows shown at each end of a long matrix" },
  edge_cols = { 4, options.int(0), "columns shown at each end of a wide matrix" },
})
local DEFAULTS = options.check("show", nil, M.schema)
local ELLIPSIS = "…"

-- Shown indices: all of 1..n, or the first and last `edge` with 0 marking the gap.
local function shown(n, limit, edge)
  local idx = {}
  if n <= limit then
    for i = 1, n do idx[#idx + 1] = i end
  else
    for i = 1, edge do idx[#idx + 1] = i end
    idx[#idx + 1] = 0
    for i = n - edge + 1, n do idx[#idx + 1] = i end
  end
  return idx
end

local function finite(v) return v == v and v ~= math.huge and v ~= -math.huge end

-- The one format for every shown entry: as few decimals as show each value to `digits`
-- significant digits.
local function number_format(values, digits)
  local integers, maxabs, minabs = true, 0, math.huge
  for _, v in ipairs(values) do
    if finite(v) then
      if v ~= math.floor(v) or math.abs(v) >= 1e15 then integers = false end
      local a = math.abs(v)
      maxabs = math.max(maxabs, a)
      if a > 0 then minabs = math.min(minabs, a) end
    end
  end
  if integers then return "%.0f" end
  if maxabs < 1e5 and minabs >= 1e-4 and maxabs / minabs < 1e4 then
    local decimals = 0
    for _, v in ipairs(values) do
      if finite(v) and v ~= 0 then
        local mantissa, exponent = string.format("%." .. (digits - 1) .. "e", v):match("^-?([%d.]+)e([-+]%d+)$")
        local significant = #(mantissa:gsub("%.", ""):gsub("0+$", ""))
        decimals = math.max(decimals, significant - 1 - tonumber(exponent))
      end
    end
    return "%." .. decimals .. "f"
  end
  return "%." .. (digits - 1) .. "e"
end

local function cell(v, fmt)
  if v ~= v then return "nan" end
  if v == math.huge then return "inf" end
  if v == -math.huge then return "-inf" end
  return (string.format(fmt, v):gsub("^%-(0%.?0*)$", "%1"))   -- no "-0.000" for tiny negatives
end

local function width(s) return utf8.len(s) or #s end

-- The table text of matrix A (header line included). header is A's plain tostring; opts nil
-- (the defaults) or as returned by options.check with M.schema.
function M.format(A, opts, header)
  if header:find("(closed)", 1, true) then return header end
  local o = opts or DEFAULTS
  local rows, cols = A:shape()
  local ri = shown(rows, math.max(o.rows, 2 * o.edge), o.edge)
  local ci = shown(cols, math.max(o.cols, 2 * o.edge_cols), o.edge_cols)
  local values = {}
  for _, i in ipairs(ri) do
    if i > 0 then
      for _, j in ipairs(ci) do
        if j > 0 then values[#values + 1] = A:get(i, j) end
      end
    end
  end
  local fmt = number_format(values, o.digits)
  local grid, widths = {}, {}
  for r, i in ipairs(ri) do
    grid[r] = {}
    for c, j in ipairs(ci) do
      local s = (i == 0 or j == 0) and ELLIPSIS or cell(A:get(i, j), fmt)
      grid[r][c] = s
      widths[c] = math.max(widths[c] or 0, width(s))
    end
  end
  local lines = {header}
  for r = 1, #grid do
    local parts = {}
    for c, s in ipairs(grid[r]) do parts[c] = string.rep(" ", widths[c] - width(s)) .. s end
    lines[#lines + 1] = "  " .. table.concat(parts, "  ")
  end
  return table.concat(lines, "\n")
end

return M

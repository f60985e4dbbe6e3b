-- muonlab.plot: figures through gnuplot, one call per figure (after Torch7's gnuplot package).
--
--   plot.plot{output = "plots/ns_vs_svd.png", title = ..., logy = true,
--             series = {{x = xs, y = ys, title = "cubic", with = "linespoints"}, ...}}
--   plot.plot{output = ..., layout = {1, 2}, panels = {{title = ..., series = ...}, ...}}
--
-- Beside the figure go <stem>.dat (one gnuplot index block per series) and <stem>.gp, a script
-- that reads the .dat by relative path, so `cd plots && gnuplot ns_vs_svd.gp` re-renders it.
-- Every file appears atomically: staged under a temp name, gnuplot run on the staged script,
-- then all renamed into place; on any failure nothing is replaced and no temp is left.
-- A series is a Lua list of numbers or anything with :totable(); files go through the core's
-- atomic-write path (muonlab.atomic), directories through ml.mkdir (no shell).
--
-- Options: output (.png/.svg; or a bare stem with formats = {"png", "svg"}), title, xlabel, ylabel,
-- logx, logy, xrange/yrange = {lo, hi} (either end may be nil), key (a gnuplot placement, false
-- to hide; by default the emptiest corner), size = {w, h} pixels, grid, enhanced (gnuplot
-- enhanced text in titles and labels; off, so `_` and `^` print as typed), terminal = "dumb"
-- (ASCII to stdout), layout = {rows, cols} with panels. A panel takes title, xlabel, ylabel,
-- logx, logy, xrange, yrange, key, grid, series, and inherits all but title from the top level.
-- A series: x (default 1..n), y, title, with = lines|points|linespoints|band, style (raw gnuplot,
-- e.g. "lw 3 dt 2"); a band fills between ylow and yhigh in the colour of the line after it.

local atomic = require "muonlab.atomic"
local core = require "muonlab.core"

local M = {}

local DEFAULT_SIZE = {900, 600}
local FONT = "sans,11"
-- matplotlib's tab10: eight colours that stay distinct on screen and for most colour-blind readers
local COLORS = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"}
local POINTTYPES = {7, 5, 9, 11, 13, 6, 4, 8}   -- filled circle, square, triangles, diamond, then open
local FORMATS = {png = true, svg = true}

local WITH = {lines = "lines", points = "points", linespoints = "linespoints", band = "filledcurves"}
local TOP_KEYS = {
  output = true, formats = true, title = true, xlabel = true, ylabel = true, logx = true, logy = true,
  xrange = true, yrange = true, key = true, size = true, grid = true, series = true, terminal = true,
  enhanced = true, layout = true, panels = true,
}
local PANEL_KEYS = {
  title = true, xlabel = true, ylabel = true, logx = true, logy = true, xrange = true, yrange = true,
  key = true, grid = true, series = true,
}
local INHERITED = {"xlabel", "ylabel", "logx", "logy", "xrange", "yrange", "key", "grid"}
local SERIES_KEYS = {x = true, y = true, ylow = true, yhigh = true, title = true, with = true, style = true}

---------------------------------------------------------------------------- errors

-- Errors we raise are tagged so M.plot can re-raise them at the caller's line.
local PlotError = {__tostring = function(e) return e.msg end}

local function fail(fmt, ...)
  error(setmetatable({msg = "plot: " .. string.format(fmt, ...)}, PlotError), 0)
end

local function distance(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = {[0] = i}
    for j = 1, #b do
      local cost = a:sub(i, i) == b:sub(j, j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev = cur
  end
  return prev[#b]
end

local function check_keys(t, allowed, where, what)
  for k in pairs(t) do
    if not allowed[k] then
      local best, bestd
      if type(k) == "string" then
        for name in pairs(allowed) do
          local d = distance(k, name)
          if d <= 2 and (not bestd or d < bestd or (d == bestd and name < best)) then best, bestd = name, d end
        end
      end
      fail("%sunknown %s '%s'%s", where, what, tostring(k), best and (" (did you mean '" .. best .. "'?)") or "")
    end
  end
end

---------------------------------------------------------------------------- validation

local function opt_string(v, name)
  if v == nil then return nil end
  if type(v) == "number" then return tostring(v) end
  if type(v) ~= "string" then fail("%s must be a string, got %s", name, type(v)) end
  return v
end

local function opt_bool(v, name, default)
  if v == nil then return default end
  if type(v) ~= "boolean" then fail("%s must be true or false, got %s", name, type(v)) end
  return v
end

local function one_line(v, name)
  if v and v:find("[\n\r;]") then fail("%s must be a single gnuplot clause (no newline or ';')", name) end
  return v
end

local function positive_int(v, name)
  if math.type(v) == "float" and v == math.floor(v) then v = math.tointeger(v) end
  if math.type(v) ~= "integer" or v < 1 then fail("%s must be a positive integer, got %s", name, tostring(v)) end
  return v
end

local function pair_of_ints(v, name)
  if type(v) ~= "table" then fail("%s must be a table {a, b}, got %s", name, type(v)) end
  return {positive_int(v[1], name .. "[1]"), positive_int(v[2], name .. "[2]")}
end

local function range(v, name, log)
  if v == nil then return nil end
  if type(v) ~= "table" then fail("%s must be a table {lo, hi}, got %s", name, type(v)) end
  local lo, hi = v[1], v[2]
  for i, e in ipairs({lo, hi}) do
    if e ~= nil and (type(e) ~= "number" or e ~= e or math.abs(e) == math.huge) then
      fail("%s[%d] must be a finite number or nil, got %s", name, i, tostring(e))
    end
  end
  if lo and hi and lo >= hi then fail("%s must have lo < hi, got {%s, %s}", name, tostring(lo), tostring(hi)) end
  if log and ((lo and lo <= 0) or (hi and hi <= 0)) then
    fail("%s must be positive on a log axis, got {%s, %s}", name, tostring(lo), tostring(hi))
  end
  return {lo, hi}
end

-- A vector: a Lua list of numbers, or an object whose :totable() gives one, or a list of rows of
-- an r x 1 or 1 x c matrix ({{1},{2}} or {{1,2,3}}).
local function vector(v, name)
  if v == nil then return nil end
  local t = v
  local ok, totable = pcall(function() return v.totable end)
  if ok and type(totable) == "function" then
    t = v:totable()
    if type(t) ~= "table" then fail("%s:totable() returned %s, expected a table", name, type(t)) end
  elseif type(v) ~= "table" then
    fail("%s must be a list of numbers or a matrix, got %s", name, type(v))
  end
  if type(t[1]) == "table" then
    local r, c = #t, #t[1]
    if r > 1 and c > 1 then
      fail("%s is a %dx%d matrix; expected a vector (an r x 1 or 1 x c matrix)", name, r, c)
    end
    if r == 1 then
      t = t[1]
    else
      local flat = {}
      for i = 1, r do
        if type(t[i]) ~= "table" or #t[i] ~= 1 then
          fail("%s row %d has %s entries; expected an r x 1 matrix", name, i,
               type(t[i]) == "table" and tostring(#t[i]) or "no")
        end
        flat[i] = t[i][1]
      end
      t = flat
    end
  end
  local n = #t
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 or k > n then
      fail("%s must be a list of numbers (found key %s)", name, tostring(k))
    end
  end
  for i = 1, n do
    if type(t[i]) ~= "number" then fail("%s[%d] is a %s, expected a number", name, i, type(t[i])) end
  end
  return t
end

local function finite(v) return v == v and v ~= math.huge and v ~= -math.huge end

local function check_series(s, name, logx, logy)
  if type(s) ~= "table" then fail("%s must be a table, got %s", name, type(s)) end
  check_keys(s, SERIES_KEYS, name .. ": ", "field")
  local with = s.with or "lines"
  if not WITH[with] then
    fail("%s: unknown with '%s' (expected lines, points, linespoints or band)", name, tostring(with))
  end
  local band = with == "band"
  local y = vector(s.y, name .. ".y")
  local ylow, yhigh = vector(s.ylow, name .. ".ylow"), vector(s.yhigh, name .. ".yhigh")
  if band then
    if not ylow or not yhigh then fail("%s: with = 'band' needs ylow and yhigh", name) end
  else
    if not y then fail("%s: missing y", name) end
    if ylow or yhigh then fail("%s: ylow/yhigh apply only to with = 'band'", name) end
  end
  local n = #(y or ylow)
  if n == 0 then fail("%s has no points", name) end
  local x = vector(s.x, name .. ".x")
  if not x then
    x = {}
    for i = 1, n do x[i] = i end
  end
  local function same_length(v, field)
    if v and #v ~= #x then fail("%s: x has %d points but %s has %d", name, #x, field, #v) end
  end
  same_length(y, "y"); same_length(ylow, "ylow"); same_length(yhigh, "yhigh")

  -- Non-positive values cannot sit on a log axis: drop those rows (NaN rows stay, gnuplot skips them).
  local rows, dropped = {}, 0
  for i = 1, #x do
    local r = {x[i], y and y[i] or 0 / 0}
    if band then r[3], r[4] = ylow[i], yhigh[i] end
    local bad = (logx and r[1] <= 0)
    if logy then
      if band then bad = bad or r[3] <= 0 or r[4] <= 0 else bad = bad or r[2] <= 0 end
    end
    if bad then dropped = dropped + 1 else rows[#rows + 1] = r end
  end
  local style = one_line(opt_string(s.style, name .. ".style"), name .. ".style")
  return {rows = rows, dropped = dropped, band = band, with = with, style = style,
          title = opt_string(s.title, name .. ".title")}
end

local function check_panel(p, name, defaults)
  local panel = {}
  for _, k in ipairs(INHERITED) do
    if p[k] == nil then panel[k] = defaults[k] else panel[k] = p[k] end
  end
  panel.title = opt_string(p.title, name .. "title")
  panel.xlabel = opt_string(panel.xlabel, name .. "xlabel")
  panel.ylabel = opt_string(panel.ylabel, name .. "ylabel")
  panel.logx = opt_bool(panel.logx, name .. "logx", false)
  panel.logy = opt_bool(panel.logy, name .. "logy", false)
  panel.grid = opt_bool(panel.grid, name .. "grid", true)
  panel.xrange = range(panel.xrange, name .. "xrange", panel.logx)
  panel.yrange = range(panel.yrange, name .. "yrange", panel.logy)
  local key = panel.key
  if key ~= nil and key ~= false and key ~= true and type(key) ~= "string" then
    fail("%skey must be a gnuplot key placement string or false, got %s", name, type(key))
  end
  panel.key = type(key) == "string" and one_line(key, name .. "key") or key
  if p.series == nil then fail("missing %sseries", name) end
  if type(p.series) ~= "table" then fail("%sseries must be a list of series, got %s", name, type(p.series)) end
  if #p.series == 0 then fail("%sseries is empty", name) end
  panel.series = {}
  for i = 1, #p.series do
    panel.series[i] = check_series(p.series[i], string.format("%sseries[%d]", name, i), panel.logx, panel.logy)
  end
  -- gnuplot cannot autoscale a plot with nothing to show; say why in our words
  for _, s in ipairs(panel.series) do
    for _, r in ipairs(s.rows) do
      if finite(r[1]) and (s.band and finite(r[3]) and finite(r[4]) or not s.band and finite(r[2])) then
        return panel
      end
    end
  end
  fail("%sseries: no point to plot (all NaN/Inf%s)", name,
       (panel.logx or panel.logy) and ", or non-positive on a log axis" or "")
end

local function check(opts)
  if type(opts) ~= "table" then fail("expected a table of options, got %s", type(opts)) end
  check_keys(opts, TOP_KEYS, "", "option")
  local fig = {}

  if opts.terminal ~= nil and opts.terminal ~= "dumb" then
    fail("unsupported terminal '%s' (only 'dumb'; image formats come from output)", tostring(opts.terminal))
  end
  fig.dumb = opts.terminal == "dumb"
  fig.enhanced = opt_bool(opts.enhanced, "enhanced", false)
  fig.size = opts.size and pair_of_ints(opts.size, "size") or DEFAULT_SIZE

  if opts.output == nil then
    if not fig.dumb then fail("missing output (a .png or .svg path)") end
  else
    if type(opts.output) ~= "string" or opts.output == "" then
      fail("output must be a file path, got %s", type(opts.output))
    end
    local out = opts.output
    if out:find("\0", 1, true) then fail("output contains a NUL byte") end
    fig.dir = out:match("^(.*)/[^/]*$") or "."
    if fig.dir == "" then fig.dir = "/" end
    local base = out:match("([^/]*)$")
    local stem, ext = base:match("^(.+)%.([%w]+)$")
    fig.formats = {}
    if opts.formats ~= nil then
      if type(opts.formats) ~= "table" or #opts.formats == 0 then
        fail("formats must be a non-empty list like {\"png\", \"svg\"}")
      end
      for i, f in ipairs(opts.formats) do
        if not FORMATS[f] then fail("formats[%d]: unsupported format '%s' (expected png or svg)", i, tostring(f)) end
        fig.formats[i] = f
      end
      if ext and not FORMATS[ext:lower()] then
        fail("unsupported output extension '.%s' (expected .png or .svg)", ext)
      end
      fig.stem = ext and stem or base
    else
      if not ext or not FORMATS[ext:lower()] then
        fail("unsupported output extension '%s' (expected .png or .svg)", ext and ("." .. ext) or base)
      end
      fig.formats[1] = ext:lower()
      fig.stem = stem
    end
    if fig.stem == "" then fail("output '%s' has no file name", out) end
  end

  if opts.panels ~= nil then
    if opts.series ~= nil then fail("give either series or panels, not both") end
    if type(opts.panels) ~= "table" or #opts.panels == 0 then fail("panels must be a non-empty list") end
    local n = #opts.panels
    fig.layout = opts.layout and pair_of_ints(opts.layout, "layout") or {1, n}
    if fig.layout[1] * fig.layout[2] < n then
      fail("layout {%d, %d} has room for %d panels, got %d", fig.layout[1], fig.layout[2],
           fig.layout[1] * fig.layout[2], n)
    end
    fig.title = opt_string(opts.title, "title")
    fig.panels = {}
    for i, p in ipairs(opts.panels) do
      local name = string.format("panels[%d].", i)
      if type(p) ~= "table" then fail("panels[%d] must be a table, got %s", i, type(p)) end
      check_keys(p, PANEL_KEYS, "panels[" .. i .. "]: ", "field")
      fig.panels[i] = check_panel(p, name, opts)
    end
  else
    if opts.layout ~= nil then fail("layout needs panels") end
    fig.panels = {check_panel(opts, "", {})}
  end
  return fig
end

---------------------------------------------------------------------------- gnuplot text

-- Single-quoted gnuplot strings: no backslash escapes and, unlike double quotes, no `command`
-- substitution. Newlines are spliced in as "\n".
local function gpstr(s)
  local parts = {}
  for line in (s .. "\n"):gmatch("(.-)\r?\n") do parts[#parts + 1] = "'" .. line:gsub("'", "''") .. "'" end
  return table.concat(parts, '."\\n".')
end

local function text(s, enhanced)
  return gpstr(s) .. (enhanced and "" or " noenhanced")
end

local function num(v)
  if not finite(v) then return "NaN" end
  return string.format("%.17g", v)
end

local function shell_quote(s)
  return "'" .. s:gsub("'", [['\'']]) .. "'"
end

-- The key goes into the corner of the plot that the data leaves empty; if every corner is
-- taken, outside to the right. Coordinates are normalised to [0,1] (log10 on log axes).
local function auto_key(panel, pw, ph)
  local titled, width = 0, 0
  for _, s in ipairs(panel.series) do
    if s.title then
      titled = titled + 1
      width = math.max(width, utf8.len(s.title) or #s.title)
    end
  end
  if titled == 0 then return "top right" end
  local function tx(v) return panel.logx and math.log(v, 10) or v end
  local function ty(v) return panel.logy and math.log(v, 10) or v end

  local function bounds(r, t, log, cols)
    local lo, hi = r and r[1] and t(r[1]), r and r[2] and t(r[2])
    if lo and hi then return lo, hi end
    local dlo, dhi = math.huge, -math.huge
    for _, s in ipairs(panel.series) do
      for _, row in ipairs(s.rows) do
        for _, c in ipairs(cols(s)) do
          local v = row[c]
          if finite(v) then v = t(v); dlo, dhi = math.min(dlo, v), math.max(dhi, v) end
        end
      end
    end
    if dlo > dhi then dlo, dhi = 0, 1 end
    if log then dlo, dhi = math.floor(dlo), math.ceil(dhi) end   -- gnuplot extends log axes to decades
    lo, hi = lo or dlo, hi or dhi
    if hi <= lo then hi = lo + 1 end
    return lo, hi
  end
  local xlo, xhi = bounds(panel.xrange, tx, panel.logx, function() return {1} end)
  local ylo, yhi = bounds(panel.yrange, ty, panel.logy, function(s) return s.band and {3, 4} or {2} end)

  -- rough key box in the plot area: rows of ~1.6 font heights, sample line plus text
  local plotw, ploth = math.max(pw - 130, 50), math.max(ph - 110, 50)
  local bw = math.min((60 + 7 * width) / plotw, 0.9)
  local bh = math.min((titled * 18 + 12) / ploth, 0.9)
  local corners = {
    {"top right", 1 - bw, 1, 1 - bh, 1}, {"top left", 0, bw, 1 - bh, 1},
    {"bottom right", 1 - bw, 1, 0, bh}, {"bottom left", 0, bw, 0, bh},
  }
  local hits = {0, 0, 0, 0}
  local function mark(x, y)
    for i, c in ipairs(corners) do
      if x >= c[2] - 0.02 and x <= c[3] + 0.02 and y >= c[4] - 0.02 and y <= c[5] + 0.02 then
        hits[i] = hits[i] + 1
      end
    end
  end
  local function nx(v) return (tx(v) - xlo) / (xhi - xlo) end
  local function ny(v) return (ty(v) - ylo) / (yhi - ylo) end
  local function segment(x1, y1, x2, y2, dense)
    local steps = dense and math.max(1, math.min(math.ceil(math.sqrt((x2 - x1) ^ 2 + (y2 - y1) ^ 2) / 0.01), 200))
                  or 1
    for k = 0, steps do
      local t = k / steps
      mark(x1 + t * (x2 - x1), y1 + t * (y2 - y1))
    end
  end
  for _, s in ipairs(panel.series) do
    local dense = #s.rows <= 5000
    local prev
    for _, r in ipairs(s.rows) do
      local x = finite(r[1]) and nx(r[1])
      local lo = s.band and (finite(r[3]) and ny(r[3])) or (finite(r[2]) and ny(r[2]))
      local hi = s.band and (finite(r[4]) and ny(r[4])) or lo
      if x and lo and hi then
        if s.band then segment(x, lo, x, hi, dense) end
        if prev and s.with ~= "points" then
          segment(prev[1], prev[2], x, lo, dense)
          if s.band then segment(prev[1], prev[3], x, hi, dense) end
        else
          mark(x, lo)
        end
        prev = {x, lo, hi}
      else
        prev = nil
      end
    end
  end
  local best = 1
  for i = 2, 4 do if hits[i] < hits[best] then best = i end end
  if hits[best] > 0 then return "outside right top" end
  return corners[best][1]
end

-- Assign a linetype per series: lines take 1, 2, 3, ... in order; a band takes the colour of
-- the line it surrounds (the next non-band series, else the previous one), so a seed band and
-- its mean curve match without the caller naming colours.
local function linetypes(series)
  local lt, n = {}, 0
  for i, s in ipairs(series) do
    if not s.band then n = n + 1; lt[i] = n end
  end
  for i, s in ipairs(series) do
    if s.band then
      for j = i + 1, #series do if not series[j].band then lt[i] = lt[j]; break end end
      if not lt[i] then
        for j = i - 1, 1, -1 do if not series[j].band then lt[i] = lt[j]; break end end
      end
      if not lt[i] then n = n + 1; lt[i] = n end
    end
  end
  return lt
end

local function names_linetype(style)
  return style and (style:find("%f[%w]lt%f[%W]") or style:find("linetype") or
                    style:find("%f[%w]ls%f[%W]") or style:find("linestyle"))
end

-- Settings and plot command for one panel; each panel sets everything it relies on, so panels
-- of a multiplot do not inherit each other's state.
local function panel_script(panel, fig, pw, ph, dumb)
  local L = {}
  local function add(...) L[#L + 1] = table.concat({...}) end
  local enh = fig.enhanced
  add(panel.title and ("set title " .. text(panel.title, enh) .. " font ',13'") or "unset title")
  add(panel.xlabel and ("set xlabel " .. text(panel.xlabel, enh)) or "unset xlabel")
  add(panel.ylabel and ("set ylabel " .. text(panel.ylabel, enh)) or "unset ylabel")
  add("unset logscale")
  for _, ax in ipairs({"x", "y"}) do
    if panel["log" .. ax] then
      add("set logscale ", ax, " 10")
      add("set format ", ax, dumb and " '1e%L'" or " '10^{%L}'")
      add("set m", ax, "tics default")
    else
      add("set format ", ax, " '% h'")
      add("unset m", ax, "tics")
    end
    local r = panel[ax .. "range"]
    add("set ", ax, "range [", r and r[1] and num(r[1]) or "*", ":", r and r[2] and num(r[2]) or "*", "]")
  end
  add("unset grid")
  if panel.grid and not dumb then add("set grid xtics ytics back ls 100") end   -- ASCII grids are noise
  if panel.key == false then
    add("unset key")
  else
    local where = type(panel.key) == "string" and panel.key or auto_key(panel, pw, ph)
    add("set key default")
    add("set key reverse Left samplen 3 spacing 1.1")
    add("set key ", where)
  end

  local lt = linetypes(panel.series)
  local clauses = {}
  for i, s in ipairs(panel.series) do
    local c = {"datafile index ", tostring(s.index)}
    c[#c + 1] = s.band and " using 1:3:4" or " using 1:2"
    c[#c + 1] = s.title and (" title " .. text(s.title, enh)) or " notitle"
    c[#c + 1] = " with " .. WITH[s.with]
    if not names_linetype(s.style) then c[#c + 1] = " lt " .. lt[i] end
    if s.style then c[#c + 1] = " " .. s.style end
    clauses[i] = table.concat(c)
  end
  add("plot ", table.concat(clauses, ", \\\n     "))
  return table.concat(L, "\n")
end

local PREAMBLE = {
  "set encoding utf8",
  "set border 3 back lw 1 lc rgb '#404040'",
  "set tics nomirror out scale 0.75",
  "set style line 100 lc rgb '#dddddd' lw 1 dt 1    # grid",
  "set style fill transparent solid 0.22 noborder   # bands",
}

local function preamble()
  local L = {}
  for _, l in ipairs(PREAMBLE) do L[#L + 1] = l end
  -- 1..8 solid, 9..16 the same colours dashed
  for i = 1, 16 do
    local k = (i - 1) % #COLORS + 1
    L[#L + 1] = string.format("set linetype %d lc rgb '%s' lw 2 dt %d pt %d ps 1", i, COLORS[k],
                              i <= #COLORS and 1 or 2, POINTTYPES[k])
  end
  L[#L + 1] = "set linetype cycle 16"
  return table.concat(L, "\n")
end

local function body(fig, dumb)
  local rows, cols = 1, 1
  if fig.layout then rows, cols = fig.layout[1], fig.layout[2] end
  local pw, ph = fig.size[1] / cols, fig.size[2] / rows
  local L = {}
  if fig.layout then
    L[#L + 1] = "set multiplot layout " .. rows .. "," .. cols ..
                (fig.title and (" title " .. text(fig.title, fig.enhanced) .. " font ',14'") or "")
  end
  for i, panel in ipairs(fig.panels) do
    if fig.layout then L[#L + 1] = "# panel " .. i end
    L[#L + 1] = panel_script(panel, fig, pw, ph, dumb)
  end
  if fig.layout then L[#L + 1] = "unset multiplot" end
  return table.concat(L, "\n")
end

local function terminal_line(fmt, fig, png_terminal)
  local w, h = fig.size[1], fig.size[2]
  if fmt == "png" then
    return string.format("set terminal %s size %d,%d font '%s' enhanced", png_terminal, w, h, FONT)
  elseif fmt == "svg" then
    return string.format("set terminal svg size %d,%d font '%s' enhanced background rgb 'white'", w, h, FONT)
  else -- dumb: roughly one character cell per 9 x 20 pixels
    return string.format("set terminal dumb size %d,%d", math.max(40, math.floor(w / 9 + 0.5)),
                         math.max(12, math.floor(h / 20 + 0.5)))
  end
end

-- The .gp saved beside the figure. datafile and out_<fmt> can be overridden with -e, which is
-- how M.plot renders to temporary names.
local function image_script(fig, png_terminal)
  local L = {
    "# muonlab figure " .. fig.stem .. ": data in " .. fig.stem .. ".dat, one index block per series.",
    "# Re-render from this directory: gnuplot " .. fig.stem .. ".gp",
    "if (!exists('datafile')) datafile = " .. gpstr(fig.stem .. ".dat"),
  }
  for _, fmt in ipairs(fig.formats) do
    L[#L + 1] = string.format("if (!exists('out_%s')) out_%s = %s", fmt, fmt, gpstr(fig.stem .. "." .. fmt))
  end
  L[#L + 1] = ""
  L[#L + 1] = preamble()
  local b = body(fig, false)
  for _, fmt in ipairs(fig.formats) do
    L[#L + 1] = ""
    L[#L + 1] = terminal_line(fmt, fig, png_terminal)
    L[#L + 1] = "set output out_" .. fmt
    L[#L + 1] = b
    L[#L + 1] = "unset output"
  end
  return table.concat(L, "\n") .. "\n"
end

local function dumb_script(fig)
  return table.concat({preamble(), terminal_line("dumb", fig), "set output", body(fig, true)}, "\n") .. "\n"
end

-- Data: one block per series, columns x y [ylow yhigh], blocks separated by two blank lines.
local function data_text(fig)
  local out = {
    "# muonlab plot data" .. (fig.stem and (" for " .. fig.stem) or "") ..
      ": one block per series (gnuplot `index N`), separated by two blank lines.",
    "# columns: x y, or x y ylow yhigh for bands; NaN marks a missing or non-finite value.",
  }
  local index = 0
  for p, panel in ipairs(fig.panels) do
    for i, s in ipairs(panel.series) do
      s.index = index
      if index > 0 then out[#out + 1] = "\n" end
      local label = s.title and (" \"" .. s.title:gsub("[\r\n]+", " ") .. "\"") or ""
      out[#out + 1] = string.format("# index %d: %sseries %d%s, with %s, columns %s", index,
        fig.layout and ("panel " .. p .. " ") or "", i, label, s.with, s.band and "x y ylow yhigh" or "x y")
      if s.dropped > 0 then
        out[#out + 1] = string.format("# %d point(s) with non-positive values dropped for the log %s axis",
          s.dropped, (panel.logx and panel.logy) and "x/y" or panel.logx and "x" or "y")
      end
      if #s.rows == 0 then
        out[#out + 1] = s.band and "NaN NaN NaN NaN" or "NaN NaN"  -- keep the block so indices hold
      end
      for _, r in ipairs(s.rows) do
        local cells = {}
        for c = 1, #r do cells[c] = num(r[c]) end
        out[#out + 1] = table.concat(cells, " ")
      end
      index = index + 1
    end
  end
  return table.concat(out, "\n") .. "\n"
end

---------------------------------------------------------------------------- running gnuplot

local gnuplot_found, terminals

local function require_gnuplot()
  if not gnuplot_found then
    gnuplot_found = os.execute("command -v gnuplot >/dev/null 2>&1") == true
    if not gnuplot_found then fail("gnuplot not found (Debian package gnuplot-nox)") end
  end
end

local function png_terminal()
  if not terminals then
    local p = io.popen("gnuplot -e 'print GPVAL_TERMINALS' 2>&1")
    terminals = p and p:read("a") or ""
    if p then p:close() end
  end
  return terminals:find("%f[%w]pngcairo%f[%W]") and "pngcairo" or "png"
end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

-- Runs `gnuplot script` in dir with variable assignments; returns its stdout. An error line or a
-- non-zero exit raises; warnings go on to stderr. shown_as names the script in messages.
local function run_gnuplot(dir, script, assigns, shown_as)
  local errfile = os.tmpname()
  local cmd = "cd " .. shell_quote(dir) .. " && exec gnuplot"
  if assigns and assigns ~= "" then cmd = cmd .. " -e " .. shell_quote(assigns) end
  cmd = cmd .. " " .. shell_quote(script) .. " 2>" .. shell_quote(errfile)
  local p = io.popen(cmd, "r")
  local stdout = p:read("a")
  local _, how, code = p:close()
  local err = read_file(errfile)
  os.remove(errfile)
  if shown_as then
    local plain = script:gsub("%p", "%%%0")
    err = err:gsub(plain, (shown_as:gsub("%%", "%%%%")))
  end
  local errors, warnings = {}, {}
  for line in err:gmatch("[^\n]+") do
    if line:lower():find("warning") then
      warnings[#warnings + 1] = line
    elseif line:find("^%s*$") == nil then
      errors[#errors + 1] = line
    end
  end
  local failed = not (how == "exit" and code == 0)
  for _, line in ipairs(errors) do
    if line:find("line %d+:") then failed = true end
  end
  if failed then
    local msg = table.concat(errors, "\n")
    if msg == "" then msg = table.concat(warnings, "\n") end
    if msg == "" then msg = string.format("%s %s", tostring(how), tostring(code)) end
    fail("gnuplot failed: %s", msg)
  end
  -- what is left is harmless chatter: pass it on
  for _, line in ipairs(warnings) do io.stderr:write("plot: gnuplot: ", line, "\n") end
  for _, line in ipairs(errors) do io.stderr:write("plot: gnuplot: ", line, "\n") end
  return stdout
end

---------------------------------------------------------------------------- M.plot

local function render(opts, temps)
  local fig = check(opts)
  require_gnuplot()
  local dat = data_text(fig)   -- also numbers the blocks (s.index)

  if not fig.stem then   -- dumb terminal, nothing kept
    local base = os.tmpname()
    temps[#temps + 1] = base
    local dir, name = base:match("^(.*)/([^/]*)$")
    local datfile, gpfile = base .. ".dat", base .. ".gp"
    temps[#temps + 1], temps[#temps + 2] = datfile, gpfile
    atomic.write(datfile, dat)
    atomic.write(gpfile, dumb_script(fig))
    local shown = run_gnuplot(dir, name .. ".gp", "datafile = " .. gpstr(name .. ".dat"), "plot")
    io.write(shown)
    return {}, shown
  end

  local made, merr = pcall(core.mkdir, fig.dir, { parents = true })
  if not made then fail("cannot create directory '%s': %s", fig.dir, (tostring(merr):gsub("^mkdir: ", ""))) end
  local function path(name) return fig.dir == "." and name or (fig.dir:gsub("/$", "") .. "/" .. name) end
  local function base(p) return p:match("([^/]*)$") end
  local png = png_terminal()

  local staged = {}   -- {tmp, final}, committed in order once gnuplot succeeded
  local function stage(final, content)
    local tmp = atomic.stage(final, content)
    temps[#temps + 1] = tmp
    staged[#staged + 1] = {tmp, final}
    return tmp
  end
  local datpath, gppath = path(fig.stem .. ".dat"), path(fig.stem .. ".gp")
  local dattmp = stage(datpath, dat)
  local gptmp = stage(gppath, image_script(fig, png))
  -- temporaries by full name: they sit beside the resolved targets (a linked .dat may be elsewhere)
  local assigns = {"datafile = " .. gpstr(dattmp)}
  local written = {}

  local shown
  if fig.dumb then
    local dumbtmp = atomic.stage(gppath, dumb_script(fig))
    temps[#temps + 1] = dumbtmp
    shown = run_gnuplot(fig.dir, dumbtmp, assigns[1], base(gppath))
    io.write(shown)
  else
    local images = {}
    for _, fmt in ipairs(fig.formats) do
      local final = path(fig.stem .. "." .. fmt)
      local tmp = atomic.tmpname(final)
      temps[#temps + 1] = tmp
      assigns[#assigns + 1] = string.format("out_%s = %s", fmt, gpstr(tmp))
      images[#images + 1] = {tmp, final, fmt}
    end
    run_gnuplot(fig.dir, gptmp, table.concat(assigns, "; "), base(gppath))
    for _, im in ipairs(images) do
      local f = io.open(im[1], "rb")
      local size = f and f:seek("end") or 0
      if f then f:close() end
      if size == 0 then fail("gnuplot wrote no %s image", im[3]) end
      atomic.commit(im[1], im[2])
      written[#written + 1] = im[2]
      written[im[3]] = im[2]
    end
  end
  for _, s in ipairs(staged) do atomic.commit(s[1], s[2]) end
  written[#written + 1], written.dat = datpath, datpath
  written[#written + 1], written.gp = gppath, gppath
  for _, t in ipairs(temps) do os.remove(t) end   -- the dumb script; committed names are gone already
  for i = #temps, 1, -1 do temps[i] = nil end
  return written, shown
end

-- Returns the paths written: the images (in formats order), then the .dat and the .gp; also as
-- fields png, svg, dat, gp. With terminal = "dumb" the ASCII plot is printed and also returned
-- as the second result.
function M.plot(opts)
  local temps = {}
  local ok, res, shown = pcall(render, opts, temps)
  for _, t in ipairs(temps) do os.remove(t) end
  if ok then return res, shown end
  if getmetatable(res) == PlotError then error(res.msg, 2) end
  error("plot: " .. tostring(res), 2)
end

return M

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
-- to hide; by default the emptiest corner), size = {w, h} pixels (characters with the dumb
-- terminal, default {80, 25}), grid, enhanced (gnuplot enhanced text in titles and labels; off,
-- so `_` and `^` print as typed), terminal = "dumb" (ASCII to stdout), layout = {rows, cols}
-- with panels, shared_key (one key below all panels), shared_y (one y range for all panels).
-- A panel takes title, xlabel, ylabel, logx, logy, xrange, yrange, key, grid, series, and
-- inherits all but title from the top level. Panels have equal plot areas (see "layout"): a
-- panel's key sits inside it, or, when no corner is free or it is placed outside ("outside",
-- "below", ...), in the shared key; a single plot with no free corner puts it outside right.
-- A series: x (default 1..n), y, title, with = lines|points|linespoints|band, style (raw gnuplot,
-- e.g. "lw 3 dt 2"); a band fills between ylow and yhigh in the colour of the line after it.

local atomic = require "muonlab.atomic"
local core = require "muonlab.core"
local options = require "muonlab.options"

local M = {}

local DEFAULT_SIZE = {900, 600}   -- pixels
local DUMB_SIZE = {80, 25}        -- characters
local FONT = "sans,11"
-- matplotlib's tab10: eight colours that stay distinct on screen and for most colour-blind readers
local COLORS = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"}
local POINTTYPES = {7, 5, 9, 11, 13, 6, 4, 8}   -- filled circle, square, triangles, diamond, then open
local FORMATS = {png = true, svg = true}

local WITH = {lines = "lines", points = "points", linespoints = "linespoints", band = "filledcurves"}
-- The call's options, checked by muonlab.options (values in detail by render below).
local TEXT = options.kind("string number", "a string")
local TOP = options.register("plot", {
  output = { nil, "string", "file name: .png or .svg, or a bare stem with formats (default: none, with terminal = \"dumb\")" },
  formats = { nil, "table", "image formats for a bare stem, e.g. {\"png\", \"svg\"}" },
  title = { nil, TEXT, "figure title" },
  xlabel = { nil, TEXT, "x axis label" },
  ylabel = { nil, TEXT, "y axis label" },
  logx = { false, "boolean", "logarithmic x axis" },
  logy = { false, "boolean", "logarithmic y axis" },
  xrange = { nil, "table", "{lo, hi}; either end may be nil" },
  yrange = { nil, "table", "{lo, hi}; either end may be nil" },
  key = { nil, options.kind("string boolean", "a gnuplot placement or false"), "legend placement (false: none)", show = "the emptiest corner" },
  size = { nil, "table", "{width, height} in pixels (characters with terminal = \"dumb\")", show = "{900, 600}" },
  grid = { nil, "boolean", "grid lines" },
  series = { nil, "table", "list of series {x =, y =, title =, with =, style =, ylow =, yhigh =} (plot:series options)" },
  terminal = { nil, "string", "\"dumb\": ASCII plot to stdout" },
  enhanced = { false, "boolean", "gnuplot enhanced text (_ and ^ as sub/superscripts)" },
  layout = { nil, "table", "{rows, cols} of panels" },
  panels = { nil, "table", "list of panels {title =, series =, ...} (plot:panel options); they inherit all but title from the top level" },
  shared_key = { false, "boolean", "one key below all panels" },
  shared_y = { false, "boolean", "one y range for all panels" },
})
-- A panel's and a series' fields, checked by the same checker (messages name the table:
-- option 'panels[2].logx', option 'series[1].with'); ml.help("plot") lists them.
local KEY = options.kind("string boolean", "a gnuplot placement or false")
local PANEL = options.register("plot:panel", {
  title = { nil, TEXT, "panel title (not inherited)" },
  xlabel = { nil, TEXT, "x axis label", show = "the figure's" },
  ylabel = { nil, TEXT, "y axis label", show = "the figure's" },
  logx = { nil, "boolean", "logarithmic x axis", show = "the figure's" },
  logy = { nil, "boolean", "logarithmic y axis", show = "the figure's" },
  xrange = { nil, "table", "{lo, hi}", show = "the figure's" },
  yrange = { nil, "table", "{lo, hi}", show = "the figure's" },
  key = { nil, KEY, "legend placement (false: none)", show = "the figure's" },
  grid = { nil, "boolean", "grid lines", show = "the figure's" },
  series = { nil, "table", "list of series (plot:series options)", required = true },
})
local VECTOR = options.kind("table userdata", "a list of numbers or a matrix")
local SERIES = options.register("plot:series", {
  x = { nil, VECTOR, "x values", show = "1..n" },
  y = { nil, VECTOR, "y values (not with band)" },
  ylow = { nil, VECTOR, "band's lower edge (with = \"band\")" },
  yhigh = { nil, VECTOR, "band's upper edge (with = \"band\")" },
  title = { nil, TEXT, "key entry" },
  with = { "lines", { "lines", "points", "linespoints", "band" }, "how the series is drawn" },
  style = { nil, "string", "raw gnuplot style, e.g. \"lw 3 dt 2\"" },
})
local INHERITED = {"xlabel", "ylabel", "logx", "logy", "xrange", "yrange", "key", "grid"}

---------------------------------------------------------------------------- errors

-- Errors we raise are tagged so M.plot can re-raise them at the caller's line: a bad argument
-- (the options' one format, muonlab.options) or what went wrong while drawing ("plot: ...").
local PlotError = {__tostring = function(e) return e.msg end}

local function fail(fmt, ...)
  error(setmetatable({msg = "plot: " .. string.format(fmt, ...)}, PlotError), 0)
end

-- bad("option '%s': ...", ...): `bad argument #1 to 'plot' (option '...': ...)`
local function bad(fmt, ...)
  error(setmetatable({msg = ("bad argument #1 to 'plot' (%s)"):format(string.format(fmt, ...))}, PlotError), 0)
end

-- t's keys and types against schema, in the same format; name prefixes the option names.
local function check_fields(t, schema, name)
  local ok, err = pcall(options.check, "plot", t, schema, 1, 0, name)
  if not ok then error(setmetatable({msg = err}, PlotError), 0) end
end

---------------------------------------------------------------------------- validation

local function opt_string(v, name)
  if v == nil then return nil end
  if type(v) == "number" then return tostring(v) end
  if type(v) ~= "string" then bad("option '%s': a string expected, got %s", name, type(v)) end
  return v
end

local function opt_bool(v, name, default)
  if v == nil then return default end
  if type(v) ~= "boolean" then bad("option '%s': a boolean expected, got %s", name, type(v)) end
  return v
end

local function one_line(v, name)
  if v and v:find("[\n\r;]") then bad("option '%s': a single gnuplot clause (no newline or ';') expected", name) end
  return v
end

local function positive_int(v, name)
  if math.type(v) == "float" and v == math.floor(v) then v = math.tointeger(v) end
  if math.type(v) ~= "integer" or v < 1 then bad("option '%s': a positive integer expected, got %s", name, tostring(v)) end
  return v
end

local function pair_of_ints(v, name)
  if type(v) ~= "table" then bad("option '%s': a table {a, b} expected, got %s", name, type(v)) end
  return {positive_int(v[1], name .. "[1]"), positive_int(v[2], name .. "[2]")}
end

local function range(v, name, log)
  if v == nil then return nil end
  if type(v) ~= "table" then bad("option '%s': a table {lo, hi} expected, got %s", name, type(v)) end
  local lo, hi = v[1], v[2]
  for i, e in ipairs({lo, hi}) do
    if e ~= nil and (type(e) ~= "number" or e ~= e or math.abs(e) == math.huge) then
      bad("option '%s[%d]': a finite number or nil expected, got %s", name, i, tostring(e))
    end
  end
  if lo and hi and lo >= hi then bad("option '%s': {lo, hi} with lo < hi expected, got {%s, %s}", name, tostring(lo), tostring(hi)) end
  if log and ((lo and lo <= 0) or (hi and hi <= 0)) then
    bad("option '%s': positive bounds on a log axis expected, got {%s, %s}", name, tostring(lo), tostring(hi))
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
    if type(t) ~= "table" then bad("option '%s': its totable() returned %s, expected a table", name, type(t)) end
  elseif type(v) ~= "table" then
    bad("option '%s': a list of numbers or a matrix expected, got %s", name, type(v))
  end
  if type(t[1]) == "table" then
    local r, c = #t, #t[1]
    if r > 1 and c > 1 then
      bad("option '%s': a vector (an r x 1 or 1 x c matrix) expected, got a %dx%d matrix", name, r, c)
    end
    if r == 1 then
      t = t[1]
    else
      local flat = {}
      for i = 1, r do
        if type(t[i]) ~= "table" or #t[i] ~= 1 then
          bad("option '%s': row %d has %s entries; an r x 1 matrix expected", name, i,
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
      bad("option '%s': a list of numbers expected (found key %s)", name, tostring(k))
    end
  end
  for i = 1, n do
    if type(t[i]) ~= "number" then bad("option '%s[%d]': a number expected, got %s", name, i, type(t[i])) end
  end
  return t
end

local function finite(v) return v == v and v ~= math.huge and v ~= -math.huge end
local share_y   -- defined after check_panel

local function check_series(s, name, logx, logy)
  check_fields(s, SERIES, name .. ".")
  local with = s.with or "lines"
  local band = with == "band"
  local y = vector(s.y, name .. ".y")
  local ylow, yhigh = vector(s.ylow, name .. ".ylow"), vector(s.yhigh, name .. ".yhigh")
  if band then
    if not ylow or not yhigh then bad("option '%s': with = \"band\" needs ylow and yhigh", name) end
  else
    if not y then bad("option '%s.y': a list of numbers or a matrix expected, got nil", name) end
    if ylow or yhigh then bad("option '%s': ylow/yhigh apply only to with = \"band\"", name) end
  end
  local n = #(y or ylow)
  if n == 0 then bad("option '%s': no points", name) end
  local x = vector(s.x, name .. ".x")
  if not x then
    x = {}
    for i = 1, n do x[i] = i end
  end
  local function same_length(v, field)
    if v and #v ~= #x then bad("option '%s': x has %d points but %s has %d", name, #x, field, #v) end
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
    bad("option '%skey': a gnuplot placement or false expected, got %s", name, type(key))
  end
  panel.key = type(key) == "string" and one_line(key, name .. "key") or key
  if p.series == nil then bad("option '%sseries': a list of series expected, got nil", name) end
  if type(p.series) ~= "table" then bad("option '%sseries': a list of series expected, got %s", name, type(p.series)) end
  if #p.series == 0 then bad("option '%sseries': a non-empty list of series expected, got {}", name) end
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
  bad("option '%sseries': no point to plot (all NaN/Inf%s)", name,
       (panel.logx or panel.logy) and ", or non-positive on a log axis" or "")
end

-- The panel's extent in plot coordinates (log10 on log axes): an explicit range end, else the
-- data's min/max (log axes widened to whole decades, as gnuplot's autoscale does).
local function extent(panel, ax)
  local log = panel["log" .. ax]
  local function t(v) return log and math.log(v, 10) or v end
  local r = panel[ax .. "range"]
  local lo, hi = r and r[1] and t(r[1]), r and r[2] and t(r[2])
  if lo and hi then return lo, hi end
  local dlo, dhi = math.huge, -math.huge
  for _, s in ipairs(panel.series) do
    local cols = ax == "x" and {1} or s.band and {3, 4} or {2}
    for _, row in ipairs(s.rows) do
      for _, c in ipairs(cols) do
        local v = row[c]
        if finite(v) then v = t(v); dlo, dhi = math.min(dlo, v), math.max(dhi, v) end
      end
    end
  end
  if dlo > dhi then dlo, dhi = 0, 1 end
  if log then dlo, dhi = math.floor(dlo), math.ceil(dhi) end
  lo, hi = lo or dlo, hi or dhi
  if hi <= lo then hi = lo + 1 end
  return lo, hi
end

-- The smallest 1, 2 or 5 x 10^k that is at least x (> 0): a tick step.
local function nice_step(x)
  local p = 10 ^ math.floor(math.log(x, 10))
  for _, m in ipairs({1, 2, 5, 10}) do
    if m * p >= x * (1 - 1e-9) then return m * p end
  end
  return 10 * p
end

-- shared_y: every panel gets the union of the panels' y extents, widened to whole decades (log)
-- or to multiples of a tick step (linear) where no panel gave that end.
function share_y(fig)
  local logy = fig.panels[1].logy
  local lo, hi = math.huge, -math.huge
  local given_lo, given_hi = false, false
  for i, p in ipairs(fig.panels) do
    if p.logy ~= logy then
      bad("option 'shared_y': panels[%d] has logy = %s but panels[1] has logy = %s", i, tostring(p.logy), tostring(logy))
    end
    local a, b = extent(p, "y")
    if a < lo then lo, given_lo = a, p.yrange ~= nil and p.yrange[1] ~= nil end
    if b > hi then hi, given_hi = b, p.yrange ~= nil and p.yrange[2] ~= nil end
  end
  if not logy then
    local step = nice_step((hi - lo) / 5)
    if not given_lo then lo = math.floor(lo / step + 1e-9) * step end
    if not given_hi then hi = math.ceil(hi / step - 1e-9) * step end
  end
  local range = logy and {10 ^ lo, 10 ^ hi} or {lo, hi}
  for _, p in ipairs(fig.panels) do p.yrange = range end
end

local function check(opts)
  local fig = {}

  if opts.terminal ~= nil and opts.terminal ~= "dumb" then
    bad("option 'terminal': \"dumb\" expected (image formats come from output), got %s", options.fmt(opts.terminal))
  end
  fig.dumb = opts.terminal == "dumb"
  fig.enhanced = opt_bool(opts.enhanced, "enhanced", false)
  -- size is in pixels for images and in characters for the dumb terminal (the .gp saved beside
  -- a dumb plot then renders at the default image size)
  fig.size = opts.size and not fig.dumb and pair_of_ints(opts.size, "size") or DEFAULT_SIZE
  if fig.dumb then
    fig.chars = opts.size and pair_of_ints(opts.size, "size") or DUMB_SIZE
    if fig.chars[1] < 20 or fig.chars[2] < 6 then
      bad("option 'size': {columns, rows} of at least {20, 6} expected for terminal \"dumb\", got {%d, %d}", fig.chars[1], fig.chars[2])
    end
  end
  fig.shared_key = opt_bool(opts.shared_key, "shared_key", false)
  fig.shared_y = opt_bool(opts.shared_y, "shared_y", false)

  if opts.output == nil then
    if not fig.dumb then bad("option 'output': a .png or .svg path expected, got nil") end
  else
    if type(opts.output) ~= "string" or opts.output == "" then
      bad("option 'output': a file path expected, got %s", type(opts.output) == "string" and '""' or type(opts.output))
    end
    local out = opts.output
    if out:find("\0", 1, true) then bad("option 'output': a file path without NUL bytes expected") end
    fig.dir = out:match("^(.*)/[^/]*$") or "."
    if fig.dir == "" then fig.dir = "/" end
    local base = out:match("([^/]*)$")
    local stem, ext = base:match("^(.+)%.([%w]+)$")
    fig.formats = {}
    if opts.formats ~= nil then
      if type(opts.formats) ~= "table" or #opts.formats == 0 then
        bad("option 'formats': a non-empty list like {\"png\", \"svg\"} expected")
      end
      for i, f in ipairs(opts.formats) do
        if not FORMATS[f] then bad("option 'formats[%d]': \"png\" or \"svg\" expected, got %s", i, options.fmt(f)) end
        fig.formats[i] = f
      end
      if ext and not FORMATS[ext:lower()] then
        bad("option 'output': a .png or .svg extension or none expected, got '.%s'", ext)
      end
      fig.stem = ext and stem or base
    else
      if not ext or not FORMATS[ext:lower()] then
        bad("option 'output': a .png or .svg extension expected, got '%s'", ext and ("." .. ext) or base)
      end
      fig.formats[1] = ext:lower()
      fig.stem = stem
    end
    if fig.stem == "" then bad("option 'output': a file name expected, got '%s'", out) end
  end

  if opts.panels ~= nil then
    if opts.series ~= nil then bad("option 'series': give either series or panels, not both") end
    if #opts.panels == 0 then bad("option 'panels': a non-empty list expected, got {}") end
    local n = #opts.panels
    fig.layout = opts.layout and pair_of_ints(opts.layout, "layout") or {1, n}
    if fig.layout[1] * fig.layout[2] < n then
      bad("option 'layout': {%d, %d} has room for %d panels, got %d", fig.layout[1], fig.layout[2],
           fig.layout[1] * fig.layout[2], n)
    end
    fig.title = opt_string(opts.title, "title")
    fig.panels = {}
    for i, p in ipairs(opts.panels) do
      local name = string.format("panels[%d].", i)
      check_fields(p, PANEL, name)
      fig.panels[i] = check_panel(p, name, opts)
    end
  else
    if opts.layout ~= nil then bad("option 'layout': applies only with panels") end
    fig.panels = {check_panel(opts, "", {})}
  end
  if fig.shared_y then share_y(fig) end
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

---------------------------------------------------------------------------- layout
-- Lengths below are in "units": pixels for images, character cells for the dumb terminal.
-- A multi-panel figure is laid out here, not by gnuplot: every panel gets the same plot area
-- (margins fixed at screen positions, sized for the widest tick labels and any axis label), so
-- tick labels or keys never make one panel narrower than another. Keys stay inside the panels;
-- one that has no free corner, or is asked to sit outside, or every key with shared_key = true,
-- goes into one shared key below the panels. Series of the same title share a colour across
-- panels, so one key entry stands for all of them.

local METRICS = {
  image = {cw = 7, lh = 16.5},   -- sans 11: average character width, line height
  dumb = {cw = 1, lh = 1},
}

-- a key placement gnuplot would put outside the plot area
local function outside(key)
  if type(key) ~= "string" then return false end
  for w in key:gmatch("%a+") do
    if ({outside = 1, below = 1, above = 1, over = 1, under = 1, lmargin = 1, rmargin = 1, tmargin = 1,
         bmargin = 1})[w] then return true end
  end
  return false
end

local function titled_width(series)
  local titled, width = 0, 0
  for _, s in ipairs(series) do
    if s.title then
      titled = titled + 1
      width = math.max(width, utf8.len(s.title) or #s.title)
    end
  end
  return titled, width
end

-- The key's box in units: a sample line, then the longest title; a row per titled series.
local function key_box(m, titled, width, dumb)
  if dumb then return 5 + width, titled + 1 end
  return (8.5 + width) * m.cw, (titled * 1.1 + 0.7) * m.lh
end

-- The corner of the plot area (aw x ah units) that the data leaves empty, or nil if every
-- corner is taken. Coordinates are normalised to [0,1] (log10 on log axes).
local function free_corner(panel, m, aw, ah, dumb)
  local titled, width = titled_width(panel.series)
  if titled == 0 then return "top right" end
  local function tx(v) return panel.logx and math.log(v, 10) or v end
  local function ty(v) return panel.logy and math.log(v, 10) or v end
  local xlo, xhi = extent(panel, "x")
  local ylo, yhi = extent(panel, "y")
  local kw, kh = key_box(m, titled, width, dumb)
  local bw, bh = math.min(kw / math.max(aw, 1), 0.9), math.min(kh / math.max(ah, 1), 0.9)
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
  if hits[best] > 0 then return nil end
  return corners[best][1]
end

-- Linetypes for every series of the figure: lines take 1, 2, 3, ... in order of first
-- appearance, one per title across the panels (a title seen twice in one panel gets a new one);
-- a band takes the colour of the line it surrounds (the next non-band series of its panel,
-- else the previous one), so a seed band and its mean curve match without naming colours.
local function assign_linetypes(fig)
  local n, by_title = 0, {}
  for _, panel in ipairs(fig.panels) do
    local series, used = panel.series, {}
    for _, s in ipairs(series) do
      if not s.band then
        local lt = s.title and by_title[s.title]
        if not lt or used[lt] then
          n = n + 1
          lt = n
          if s.title and not by_title[s.title] then by_title[s.title] = lt end
        end
        used[lt], s.lt = true, lt
      end
    end
    for i, s in ipairs(series) do
      if s.band then
        for j = i + 1, #series do if not series[j].band then s.lt = series[j].lt; break end end
        if not s.lt then
          for j = i - 1, 1, -1 do if not series[j].band then s.lt = series[j].lt; break end end
        end
        if not s.lt then n = n + 1; s.lt = n end
      end
    end
  end
end

local function names_linetype(style)
  return style and (style:find("%f[%w]lt%f[%W]") or style:find("linetype") or
                    style:find("%f[%w]ls%f[%W]") or style:find("linestyle"))
end

-- Characters of the widest tick label on axis ax (gnuplot's "% h" format, or 10^{k}).
local function tick_chars(panel, ax, dumb)
  local lo, hi = extent(panel, ax)
  if panel["log" .. ax] then
    local e = math.max(#string.format("%d", math.floor(lo)), #string.format("%d", math.ceil(hi)))
    return dumb and 2 + e or 2 + 0.75 * e   -- "1e-16"; "10" with a superscript
  end
  local step = nice_step((hi - lo) / 6)
  local w = 0
  for k = math.floor(lo / step), math.ceil(hi / step) do
    w = math.max(w, #string.format("% g", k * step))
  end
  return w
end

-- Where everything goes: per panel the plot area's margins as screen fractions {l, r, b, t}
-- and its size in units {w, h}; the shared key's entries and rows, if any.
local function layout(fig, dumb)
  local m = dumb and METRICS.dumb or METRICS.image
  local W, H = table.unpack(dumb and fig.chars or fig.size)
  local panels = fig.panels
  local out = {m = m, W = W, H = H, panels = {}}
  local single = not fig.layout

  -- keys: inside, or handed to the shared key
  local shared = {}
  for _, p in ipairs(panels) do
    p.where, p.shared = nil, nil
    if p.key ~= false and (fig.shared_key or (not single and outside(p.key))) then
      shared[#shared + 1], p.shared = p, true
    elseif type(p.key) == "string" then
      p.where = p.key
    end
  end

  if single then   -- gnuplot's own margins; the area is an estimate for the key's corner
    local p = panels[1]
    local aw = dumb and W - tick_chars(p, "y", true) - 4 - (p.ylabel and #p.ylabel + 1 or 0) or W - 130
    local ah = dumb and H - 4 - (p.title and 1 or 0) - (p.xlabel and 1 or 0) or H - 110
    out.panels[1] = {area = {aw, ah}}
    if #shared > 0 then
      p.where = "below"   -- shared_key on a single plot: the key under it
    elseif p.key ~= false and not p.where then
      p.where = free_corner(p, m, aw, ah, dumb) or "outside right top"
    end
  else
    local rows, cols = fig.layout[1], fig.layout[2]
    local yw, xw, ylab, xlab, title = 0, 0, 0, false, false
    for _, p in ipairs(panels) do
      yw = math.max(yw, tick_chars(p, "y", dumb))
      xw = math.max(xw, tick_chars(p, "x", dumb))
      if p.ylabel then ylab = math.max(ylab, dumb and (utf8.len(p.ylabel) or #p.ylabel) + 1 or 1) end
      xlab = xlab or p.xlabel ~= nil
      title = title or p.title ~= nil
    end
    local left = dumb and yw + 2 + ylab or (yw + 2) * m.cw + (ylab > 0 and 2.2 * m.lh or 0)
    local right = dumb and math.ceil(xw / 2) + 1 or (xw / 2 + 1.5) * m.cw   -- half the last x tick label
    local bottom = dumb and 2 + (xlab and 1 or 0) or (2 + (xlab and 1.6 or 0)) * m.lh
    local top = dumb and (title and 1 or 0) or (title and 2.6 or 0.9) * m.lh
    local head = fig.title and (dumb and 2 or 2.4 * m.lh) or 0
    local cw, ch
    local function measure(strip)
      cw, ch = W / cols, (H - head - strip) / rows
      return cw - left - right, ch - top - bottom
    end
    -- keys that fit inside: a free corner of the (key-less) plot area, else the shared key
    local aw, ah = measure(0)
    for _, p in ipairs(panels) do
      if p.key ~= false and not p.where and not p.shared then
        p.where = free_corner(p, m, aw, ah, dumb)
        if not p.where then shared[#shared + 1] = p end
      end
    end
    local strip = 0
    if #shared > 0 then
      local seen, entries, width = {}, {}, 0
      for _, p in ipairs(shared) do
        for _, s in ipairs(p.series) do
          if s.title and not seen[s.title] then
            seen[s.title] = true
            entries[#entries + 1] = s
            width = math.max(width, utf8.len(s.title) or #s.title)
          end
        end
      end
      if #entries > 0 then
        local ew = key_box(m, 1, width, dumb)
        local kcols = math.max(1, math.min(#entries, math.floor((W - 2 * m.cw) / ew)))
        local krows = math.ceil(#entries / kcols)
        strip = dumb and krows + 1 or (krows * 1.1 + 1.2) * m.lh
        out.key = {entries = entries, cols = kcols, rows = krows, top = strip / H}
      end
      aw, ah = measure(strip)
    end
    if aw < 4 * m.cw or ah < 2 * m.lh then
      bad("option 'size': {%d, %d} leaves no room for a %dx%d layout", W, H, rows, cols)
    end
    for i = 1, #panels do
      local r, c = (i - 1) // cols, (i - 1) % cols
      local x0, ytop = c * cw, H - head - r * ch
      out.panels[i] = {
        area = {aw, ah},
        margins = {(x0 + left) / W, (x0 + cw - right) / W, (ytop - ch + bottom) / H, (ytop - top) / H},
      }
    end
  end
  return out
end

-- The dumb terminal draws every tick label at full width: space them so they do not collide.
local function dumb_tics(panel, ax, cells)
  local lo, hi = extent(panel, ax)
  local label = math.ceil(tick_chars(panel, ax, true))
  local room = ax == "x" and math.floor(cells / (label + 2)) or math.floor(cells / 2)
  room = math.max(room, 1)
  if panel["log" .. ax] then
    local decades = math.max(1, math.ceil((hi - lo) / room))
    return string.format("set %stics 1e%d", ax, decades)
  end
  return string.format("set %stics %s", ax, num(nice_step((hi - lo) / room)))
end

-- Settings and plot command for one panel; each panel sets everything it relies on, so panels
-- of a multiplot do not inherit each other's state.
local function panel_script(panel, place, fig, dumb)
  local L = {}
  local function add(...) L[#L + 1] = table.concat({...}) end
  local enh = fig.enhanced
  if place.margins then
    local mg = place.margins
    add(string.format("set lmargin at screen %.5f; set rmargin at screen %.5f", mg[1], mg[2]))
    add(string.format("set bmargin at screen %.5f; set tmargin at screen %.5f", mg[3], mg[4]))
  end
  add(panel.title and ("set title " .. text(panel.title, enh) .. " font ',13'") or "unset title")
  add(panel.xlabel and ("set xlabel " .. text(panel.xlabel, enh)) or "unset xlabel")
  add(panel.ylabel and ("set ylabel " .. text(panel.ylabel, enh)) or "unset ylabel")
  add("unset logscale")
  for i, ax in ipairs({"x", "y"}) do
    if panel["log" .. ax] then
      add("set logscale ", ax, " 10")
      add("set format ", ax, dumb and " '1e%L'" or " '10^{%L}'")
      add("set m", ax, "tics default")
    else
      add("set format ", ax, " '% h'")
      add("unset m", ax, "tics")
    end
    if dumb then add(dumb_tics(panel, ax, place.area[i])) end
    local r = panel[ax .. "range"]
    add("set ", ax, "range [", r and r[1] and num(r[1]) or "*", ":", r and r[2] and num(r[2]) or "*", "]")
  end
  add("unset grid")
  if panel.grid and not dumb then add("set grid xtics ytics back ls 100") end   -- ASCII grids are noise
  if panel.where then
    add("set key default")
    add("set key reverse Left samplen 3 spacing 1.1")
    add("set key ", panel.where)
  else
    add("unset key")
  end

  local clauses = {}
  for i, s in ipairs(panel.series) do
    local c = {"datafile index ", tostring(s.index)}
    c[#c + 1] = s.band and " using 1:3:4" or " using 1:2"
    c[#c + 1] = (s.title and panel.where) and (" title " .. text(s.title, enh)) or " notitle"
    c[#c + 1] = " with " .. WITH[s.with]
    if not names_linetype(s.style) then c[#c + 1] = " lt " .. s.lt end
    if s.style then c[#c + 1] = " " .. s.style end
    clauses[i] = table.concat(c)
  end
  add("plot ", table.concat(clauses, ", \\\n     "))
  return table.concat(L, "\n")
end

-- The shared key: an empty plot across the bottom strip whose key lists one entry per title.
local function shared_key_script(key, fig)
  local L = {
    "# shared key",
    "set lmargin at screen 0.00000; set rmargin at screen 1.00000",
    string.format("set bmargin at screen 0.00000; set tmargin at screen %.5f", key.top),
    "unset title; unset xlabel; unset ylabel; unset logscale; unset grid; unset border",
    "unset xtics; unset ytics; unset mxtics; unset mytics",
    "set xrange [0:1]; set yrange [0:1]",
    "set key default",
    string.format("set key reverse Left samplen 3 spacing 1.1 horizontal center center maxcols %d maxrows %d",
                  key.cols, key.rows),
  }
  local clauses = {}
  for i, s in ipairs(key.entries) do
    local c = {"keyentry with ", WITH[s.with]}
    if not names_linetype(s.style) then c[#c + 1] = " lt " .. s.lt end
    if s.style then c[#c + 1] = " " .. s.style end
    c[#c + 1] = " title " .. text(s.title, fig.enhanced)
    clauses[i] = table.concat(c)
  end
  -- the NaN curve gives gnuplot an axis to set up (a plot of keyentries alone fails an assertion)
  L[#L + 1] = "plot NaN notitle, " .. table.concat(clauses, ", \\\n     ")
  L[#L + 1] = "set border 3 back lw 1 lc rgb '#404040'; set xtics; set ytics"
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
  assign_linetypes(fig)
  local plan = layout(fig, dumb)
  local L = {}
  if fig.layout then
    L[#L + 1] = "set multiplot" ..
                (fig.title and (" title " .. text(fig.title, fig.enhanced) .. " font ',14'") or "")
  end
  for i, panel in ipairs(fig.panels) do
    if fig.layout then L[#L + 1] = "# panel " .. i end
    L[#L + 1] = panel_script(panel, plan.panels[i], fig, dumb)
  end
  if plan.key then L[#L + 1] = shared_key_script(plan.key, fig) end
  if fig.layout then L[#L + 1] = "unset multiplot" end
  return table.concat(L, "\n")
end

local function terminal_line(fmt, fig, png_terminal)
  local w, h = fig.size[1], fig.size[2]
  if fmt == "png" then
    return string.format("set terminal %s size %d,%d font '%s' enhanced", png_terminal, w, h, FONT)
  elseif fmt == "svg" then
    return string.format("set terminal svg size %d,%d font '%s' enhanced background rgb 'white'", w, h, FONT)
  else -- dumb: size in characters
    return string.format("set terminal dumb size %d,%d", fig.chars[1], fig.chars[2])
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
  options.check("plot", opts, TOP, 1, 2)
  local temps = {}
  local ok, res, shown = pcall(render, opts, temps)
  for _, t in ipairs(temps) do os.remove(t) end
  if ok then return res, shown end
  if getmetatable(res) == PlotError then error(res.msg, 2) end   -- a bad argument or "plot: ..."
  error("plot: " .. tostring(res), 2)
end

return M

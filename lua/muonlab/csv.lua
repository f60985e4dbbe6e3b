-- muonlab.csv: the one CSV dialect of muonlab (results files, sweep rows, merge).
--
-- Quoting (RFC 4180): a field holding a comma, a double quote, CR or LF, or starting or
-- ending with white space is written between double quotes, a quote inside doubled.
-- Numbers: integers as integers; other floats as the shortest of %.15g, %.16g, %.17g that
-- reads back as the same double (so the text round-trips exactly, and 0.1 stays "0.1");
-- nan, inf, -inf. Files are written atomically (muonlab.atomic).
--
--   csv.write(path, columns, rows)   rows: tables keyed by column name (nil: empty field)
--   csv.read(path) -> columns, rows  unquoted fields that look like numbers become numbers
--   csv.field(v), csv.number(v)      the text of one field / one number
--   csv.split(line)                  the raw fields of one line (quotes kept), nil if malformed
--   csv.unquote(raw)                 a raw field's text
--   csv.records(text)                every record of a text (quoted fields may span lines)
local atomic = require "muonlab.atomic"

local M = {}

function M.number(v)
  if v ~= v then return "nan" end
  if v == math.huge then return "inf" end
  if v == -math.huge then return "-inf" end
  if math.type(v) == "integer" then return tostring(v) end
  for _, p in ipairs { "%.15g", "%.16g" } do
    local s = p:format(v)
    if tonumber(s) == v then return s end
  end
  return ("%.17g"):format(v)
end

function M.field(v)
  if type(v) == "number" then return M.number(v) end
  v = tostring(v)
  if v:find('[,"\r\n]') or v:find("^%s") or v:find("%s$") then v = '"' .. v:gsub('"', '""') .. '"' end
  return v
end

-- The raw fields of one line (a record without line breaks), quotes kept; nil when malformed.
function M.split(line)
  local out, pos = {}, 1
  while true do
    if line:sub(pos, pos) == '"' then
      local s, q = pos, pos + 1
      while true do
        local e = line:find('"', q, true)
        if not e then return nil end
        if line:sub(e + 1, e + 1) == '"' then q = e + 2 else pos = e + 1; break end
      end
      out[#out + 1] = line:sub(s, pos - 1)
      local c = line:sub(pos, pos)
      if c == "" then return out end
      if c ~= "," then return nil end
      pos = pos + 1
    else
      local e = line:find(",", pos, true)
      if not e then
        local f = line:sub(pos)
        if f:find('"', 1, true) then return nil end
        out[#out + 1] = f
        return out
      end
      local f = line:sub(pos, e - 1)
      if f:find('"', 1, true) then return nil end
      out[#out + 1] = f
      pos = e + 1
    end
  end
end

function M.unquote(f)
  if f:sub(1, 1) == '"' then return (f:sub(2, -2):gsub('""', '"')) end
  return f
end

-- Records of a whole text: a list of {fields = raw fields, line = first line number}; line
-- ends are LF or CRLF; a quoted field may span lines. Raises on a malformed record.
function M.records(text, name)
  local recs, pos, lineno, n = {}, 1, 1, #text
  while pos <= n do
    local start_line, fields, buf = lineno, {}, {}
    while true do   -- one record
      local q = text:find('[",\r\n]', pos)
      local c = q and text:sub(q, q)
      if c == '"' and q == pos then   -- a quoted field
        local e = pos + 1
        while true do
          local z = text:find('"', e, true)
          if not z then error(("%s: line %d: unterminated quote"):format(name or "csv", start_line), 0) end
          local piece = text:sub(e, z - 1)
          local _, nl = piece:gsub("\n", "")
          lineno = lineno + nl
          buf[#buf + 1] = piece
          if text:sub(z + 1, z + 1) == '"' then buf[#buf + 1] = '"'; e = z + 2 else pos = z + 1; break end
        end
        fields[#fields + 1] = '"' .. table.concat(buf):gsub('"', '""') .. '"'
        buf = {}
        c = text:sub(pos, pos)
        q = pos
        if c ~= "," and c ~= "\r" and c ~= "\n" and c ~= "" then
          error(("%s: line %d: text after a closing quote"):format(name or "csv", lineno), 0)
        end
      elseif c == '"' then
        error(("%s: line %d: a quote inside an unquoted field"):format(name or "csv", lineno), 0)
      else
        fields[#fields + 1] = text:sub(pos, (q or n + 1) - 1)
      end
      if not q or c == "" then pos = n + 1; break end
      if c == "," then
        pos = q + 1
      else   -- end of the record: LF or CRLF (a lone CR ends it too)
        pos = q + 1
        if c == "\r" and text:sub(pos, pos) == "\n" then pos = pos + 1 end
        lineno = lineno + 1
        break
      end
    end
    if not (#fields == 1 and fields[1] == "") then recs[#recs + 1] = { fields = fields, line = start_line } end
  end
  return recs
end

local function value(raw)
  if raw:sub(1, 1) == '"' then return M.unquote(raw) end
  return tonumber(raw) or (raw == "nan" and 0 / 0) or (raw == "inf" and math.huge) or (raw == "-inf" and -math.huge)
    or raw
end

-- write(path, columns, rows): columns a list of names, rows a list of tables keyed by name.
function M.write(path, columns, rows)
  local header = {}
  for i, c in ipairs(columns) do header[i] = M.field(c) end
  local lines = { table.concat(header, ",") }
  for _, r in ipairs(rows) do
    local f = {}
    for i, c in ipairs(columns) do f[i] = r[c] == nil and "" or M.field(r[c]) end
    lines[#lines + 1] = table.concat(f, ",")
  end
  atomic.write(path, table.concat(lines, "\n") .. "\n")
end

-- read(path) -> columns, rows (numbers converted back; an empty field reads as "").
function M.read(path)
  local fh, err = io.open(path, "rb")
  if not fh then error("csv.read: " .. err, 2) end
  local text = fh:read("a")
  fh:close()
  local ok, recs = pcall(M.records, text, path)
  if not ok then error("csv.read: " .. recs, 2) end
  if #recs == 0 then error("csv.read: " .. path .. ": empty file", 2) end
  local columns = {}
  for i, f in ipairs(recs[1].fields) do columns[i] = M.unquote(f) end
  local rows = {}
  for k = 2, #recs do
    local r = {}
    for i, f in ipairs(recs[k].fields) do
      if columns[i] then r[columns[i]] = value(f) end
    end
    rows[#rows + 1] = r
  end
  return columns, rows
end

return M

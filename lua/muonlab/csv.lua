-- CSV results files, written atomically (temp file, then rename) so an interrupted run
-- never leaves a truncated file. Numbers are written with %.17g (exact round trip).
local atomic = require "muonlab.atomic"

local M = {}

local function field(v)
  if type(v) == "number" then
    if v ~= v then return "nan" end
    if v == math.huge then return "inf" end
    if v == -math.huge then return "-inf" end
    if math.type(v) == "integer" then return tostring(v) end
    return ("%.17g"):format(v)
  end
  v = tostring(v)
  if v:find('[,"\n]') then v = '"' .. v:gsub('"', '""') .. '"' end
  return v
end

-- write(path, columns, rows): columns a list of names, rows a list of tables keyed by name.
function M.write(path, columns, rows)
  local lines = { table.concat(columns, ",") }
  for _, r in ipairs(rows) do
    local f = {}
    for i, c in ipairs(columns) do f[i] = r[c] == nil and "" or field(r[c]) end
    lines[#lines + 1] = table.concat(f, ",")
  end
  atomic.write(path, table.concat(lines, "\n") .. "\n")
end

-- read(path) -> columns, rows (numbers converted back), for tests and merging.
function M.read(path)
  local fh, err = io.open(path, "r")
  if not fh then error("csv.read: " .. err, 2) end
  local header = fh:read("l")
  if not header then fh:close(); error("csv.read: " .. path .. ": empty file", 2) end
  local columns = {}
  for c in header:gmatch("[^,]+") do columns[#columns + 1] = c end
  local rows = {}
  for line in fh:lines() do
    if line ~= "" then
      local r, i, pos = {}, 1, 1
      while pos <= #line + 1 do
        local v
        if line:sub(pos, pos) == '"' then
          local s, e = pos + 1, pos + 1
          local buf = {}
          while true do
            local q = line:find('"', e, true)
            if not q then error("csv.read: unterminated quote in " .. path, 2) end
            buf[#buf + 1] = line:sub(e, q - 1)
            if line:sub(q + 1, q + 1) == '"' then buf[#buf + 1] = '"'; e = q + 2 else pos = q + 2; break end
          end
          v = table.concat(buf)
          _ = s
        else
          local q = line:find(",", pos, true) or (#line + 1)
          v = line:sub(pos, q - 1)
          pos = q + 1
          v = tonumber(v) or (v == "nan" and 0 / 0) or (v == "inf" and math.huge) or (v == "-inf" and -math.huge) or v
        end
        r[columns[i]] = v
        i = i + 1
      end
      rows[#rows + 1] = r
    end
  end
  fh:close()
  return columns, rows
end

return M

-- Command-line options for experiment scripts: `--name value`, `--flag`, `--name=value`.
-- defaults gives every accepted option with its default; the type of the default decides
-- how the value is parsed (number, boolean flag, string). Unknown options are errors.
local M = {}

function M.parse(argv, defaults, usage)
  local opts = {}
  for k, v in pairs(defaults) do opts[k] = v end
  local i = 1
  argv = argv or {}
  while i <= #argv do
    local a = argv[i]
    local name, val = a:match("^%-%-([%w_%-]+)=(.*)$")
    if not name then name = a:match("^%-%-([%w_%-]+)$") end
    if not name then error(("unexpected argument '%s'%s"):format(a, usage and ("\n" .. usage) or ""), 0) end
    name = name:gsub("%-", "_")
    if name == "help" then
      io.write(usage or "options:", "\n")
      for k, v in pairs(defaults) do io.write(("  --%s (default %s)\n"):format(k, tostring(v))) end
      os.exit(0)
    end
    local def = defaults[name]
    if def == nil then error(("unknown option '--%s'%s"):format(name, usage and ("\n" .. usage) or ""), 0) end
    if type(def) == "boolean" and val == nil then
      opts[name] = true
    else
      if val == nil then
        i = i + 1
        val = argv[i]
        if val == nil then error(("option '--%s' needs a value"):format(name), 0) end
      end
      if type(def) == "number" then
        local n = tonumber(val)
        if not n then error(("option '--%s': number expected, got '%s'"):format(name, val), 0) end
        opts[name] = n
      elseif type(def) == "boolean" then
        opts[name] = (val == "true" or val == "1")
      else
        opts[name] = val
      end
    end
    i = i + 1
  end
  return opts
end

return M

-- The `muonlab` module: the C core's bindings (muonlab.core) plus the Lua-side library.
-- In bin/muonlab it is preloaded as the global `ml`; from a stock lua5.4, `require "muonlab"`
-- finds muonlab/core.so on package.cpath.
local core = require "muonlab.core"

local M = {}
for k, v in pairs(core) do M[k] = v end

M.version = "0.1"

-- Lua-side modules load on first use, so `ml.plot` costs nothing until a script plots.
local lazy = {
  plot = function() return require("muonlab.plot").plot end,
  muon_update = function() return require("muonlab.muon_update") end,
  sweep = function() return require("muonlab.sweep").sweep end,
  ns_shape = function() return require("muonlab.ns_shape") end,
  optim = function() return require("muonlab.optim") end,
  models = function() return require("muonlab.models") end,
  data = function() return require("muonlab.data") end,
}

-- ml.help([topic]): signature, options, returns and an example (lua/muonlab/help.lua).
function M.help(topic) return require("muonlab.help").help(topic) end

function M.matrix_methods()
  local mt = debug.getmetatable(core.eye(1))
  local names = {}
  for k in pairs(mt.__index) do names[#names + 1] = k end
  table.sort(names)
  return names
end

setmetatable(M, {
  __index = function(t, k)
    local load = lazy[k]
    if load then
      local v = load()
      rawset(t, k, v)
      return v
    end
  end,
})

return M

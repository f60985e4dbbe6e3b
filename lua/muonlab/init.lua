-- The `muonlab` module: the C core's bindings (muonlab.core) plus the Lua-side library.
-- In bin/muonlab it is preloaded as the global `ml`; from a stock lua5.4, `require "muonlab"`
-- finds muonlab/core.so on package.cpath.
local core = require "muonlab.core"

local M = {}
for k, v in pairs(core) do M[k] = v end

M.version = "0.1"

-- A matrix prints as an aligned table (muonlab/show.lua) under the binding's header line; print,
-- tostring and the REPL all show it. ml.show(A[, opts]): options in show.schema (ml.help("show")).
local show = require "muonlab.show"
local matrix_mt = debug.getmetatable(core.eye(1))
local matrix_header = rawget(matrix_mt, "__header") or matrix_mt.__tostring   -- the C one, once
matrix_mt.__header = matrix_header
matrix_mt.__tostring = function(A) return show.format(A, nil, matrix_header(A)) end
function M.show(A, opts)
  if not core.ismatrix(A) then
    error("bad argument #1 to 'show' (muonlab.matrix expected, got " .. (type(A)) .. ")", 2)
  end
  print(show.format(A, require("muonlab.options").check("show", opts, show.schema, 2), matrix_header(A)))
end

-- Lua-side modules load on first use, so `ml.plot` costs nothing until a script plots.
local lazy = {
  plot = function() return require("muonlab.plot").plot end,
  muon_update = function() return require("muonlab.muon_update") end,
  sweep = function() return require("muonlab.sweep").sweep end,
  ns_shape = function() return require("muonlab.ns_shape") end,
  optim = function() return require("muonlab.optim") end,
  models = function() return require("muonlab.models") end,
  data = function() return require("muonlab.data") end,
  checkpoint = function() return require("muonlab.checkpoint") end,
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
  __keys = lazy,   -- the lazily loaded names, for the REPL's completion (muonlab/repl.lua)
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

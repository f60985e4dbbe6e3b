-- ml.optim: optimizers with one interface (Torch optim / optax-like):
--   local opt = ml.optim.muon{lr = 0.02}
--   opt:step(params, grads[, loss])     -- arrays of matrices, params updated in place
--   opt:state_dict() / opt:load_state_dict(t), opt:set("lr", x)
-- One file per optimizer; README.md in this directory lists the options and equations.
local steepest = require "muonlab.optim.steepest"

local M = {
  sgd = require "muonlab.optim.sgd",
  adamw = require "muonlab.optim.adamw",
  muon = require "muonlab.optim.muon",
  muonclip = require "muonlab.optim.muonclip",
  muon_adamw = require "muonlab.optim.muon_adamw",
  group = require "muonlab.optim.group",
  trasmuon = require "muonlab.optim.trasmuon",
  spectral = require "muonlab.optim.spectral",
  normuon = require "muonlab.optim.normuon",
  adago = require "muonlab.optim.adago",
  torch_muon = require "muonlab.optim.torch_muon",
  adamuon = require "muonlab.optim.adamuon",
  root = require "muonlab.optim.root",
  auon = require "muonlab.optim.auon",
  kaon = require "muonlab.optim.kaon",
  freon = require "muonlab.optim.freon",
  spectral_clip = require "muonlab.optim.spectral_clip",
  conda = require "muonlab.optim.conda",
  dion = require "muonlab.optim.dion",
  dion2 = require "muonlab.optim.dion2",
  muon_mvr = require "muonlab.optim.muon_mvr",
  ef21_muon = require "muonlab.optim.ef21_muon",
  steepest = steepest.steepest,
}
for name in pairs(steepest.presets) do M[name] = steepest[name] end

-- Renamed constructors: calling the old name says where it went.
local RENAMED = {
  muon_adam = "muon_adamw (Muon + AdamW for the other parameters; the steepest preset muonadam is seed 003's MuonAdam)",
}
setmetatable(M, { __index = function(_, k)
  if RENAMED[k] then
    return function() error(("ml.optim.%s was renamed %s"):format(k, RENAMED[k]), 2) end
  end
end })

-- Names of every optimizer constructor, sorted (for experiments: ml.optim[name]{...}).
function M.names()
  local t = {}
  for k, v in pairs(M) do
    if type(v) == "function" and k ~= "names" and k ~= "new" then t[#t + 1] = k end
  end
  table.sort(t)
  return t
end

-- ml.optim.new(name, opts): the constructor by name, with an error listing the names.
function M.new(name, opts)
  local ctor = type(name) == "string" and rawget(M, name)
  if type(ctor) ~= "function" or name == "names" or name == "new" then
    error(("optim.new: unknown optimizer %s (known: %s)"):format(tostring(name), table.concat(M.names(), ", ")), 2)
  end
  return ctor(opts)
end

return M

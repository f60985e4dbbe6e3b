-- MuonClip (Kimi K2, arXiv 2507.20534): Muon with Moonlight's update scale 0.2·√max(m, n)
-- (arXiv 2502.16982: the update's RMS matches AdamW's, so AdamW's rate and weight decay carry
-- over), decoupled weight decay, and QK-Clip after every update (τ = 100 in Kimi K2):
--   ml.optim.muonclip{model = gpt, lr = 1e-3, weight_decay = 0.1, qk_clip = 100, split = "heads", info = …}
-- Every option of ml.optim.muon is accepted; these defaults differ: scale "moonlight",
-- weight_decay 0.1 (Moonlight's), qk_clip 100 (Kimi K2's τ), lr 1e-3 (an AdamW-sized rate,
-- ours). `model` (a model with qk_clip(tau), e.g. ml.models.gpt) is required.
local base = require "muonlab.optim.base"
local muon = require "muonlab.optim.muon"
local options = require "muonlab.options"

local DEFAULTS = { scale = "moonlight", weight_decay = 0.1, qk_clip = 100, lr = 1e-3 }

-- for ml.help: muon's options with these defaults
local spec = {}
for k, e in pairs(options.schemas.muon) do
  spec[k] = DEFAULTS[k] ~= nil and { DEFAULTS[k], e[2], e[3] } or e
end
spec.model = { nil, spec.model[2], spec.model[3], required = true }
options.register("muonclip", spec)

return function(opts)
  if opts ~= nil and type(opts) ~= "table" then options.fail("muonclip", 1, "table expected, got " .. type(opts), 2) end
  local o = base.merge(DEFAULTS, opts or {})
  if o.model == nil then
    options.fail("muonclip", 1, "option 'model': a model with a qk_clip(tau) method (ml.models.gpt) expected, got nil", 2)
  end
  local ok, opt = pcall(muon, o, "muonclip")
  if not ok then error(tostring(opt):gsub("^[^:]*:%d+: ", ""), 2) end
  return opt
end

-- MuonAdam (seed 003, Algorithm 1; KellerJordan/Muon's "AdamW backup"): Muon for the hidden
-- weight matrices, AdamW for everything else.
--   ml.optim.muon_adam{muon = {lr = 0.02, ...}, adamw = {lr = 3e-4, ...},
--                      exclude = {1, 7}, choose = function(i, p) return "muon" | "adamw" end,
--                      info = model:param_info()}
-- The rule (when `choose` is absent): a parameter goes to Muon when both its dimensions are
-- > 1, its index is not in `exclude` (flag the embedding and the output head there) and, when
-- `info` (a list of {kind =} as ml.models give) is present, its kind is "matrix" (so "head",
-- "embedding" and "bias" go to AdamW).
-- `muon` and `adamw` take the options of ml.optim.muon and ml.optim.adamw; the AdamW defaults
-- here are KellerJordan/Muon's backup ones (lr 3e-4, betas 0.9 / 0.95, weight decay 0.01).
local base = require "muonlab.optim.base"
local muon = require "muonlab.optim.muon"
local adamw = require "muonlab.optim.adamw"
local group = require "muonlab.optim.group"

local ADAMW_DEFAULTS = { lr = 3e-4, beta1 = 0.9, beta2 = 0.95, weight_decay = 0.01 }

return function(opts)
  local o = base.options("muon_adam", opts, {
    muon = { {}, "table" },
    adamw = { {}, "table" },
    exclude = { {}, "table" },
    choose = { nil, "function" },
    info = { nil, "table" },
  }, 2)
  local aopts = base.merge(ADAMW_DEFAULTS, o.adamw)
  local ok_m, m = pcall(muon, o.muon)
  if not ok_m then error("muon_adam: " .. tostring(m):gsub("^[^:]*:%d+: ", ""), 2) end
  local ok_a, a = pcall(adamw, aopts)
  if not ok_a then error("muon_adam: " .. tostring(a):gsub("^[^:]*:%d+: ", ""), 2) end
  local excluded = {}
  for _, i in ipairs(o.exclude) do excluded[i] = true end
  local function choose(i, p)
    if o.choose then
      local c = o.choose(i, p)
      if c ~= "muon" and c ~= "adamw" then
        error(("muon_adam: choose(%d, p) must return \"muon\" or \"adamw\", got %s"):format(i, tostring(c)), 0)
      end
      return c
    end
    local kind = o.info and o.info[i] and o.info[i].kind
    if o.info and not kind then error(("muon_adam: info[%d].kind missing"):format(i), 0) end
    return (p:rows() > 1 and p:cols() > 1 and not excluded[i] and (kind == nil or kind == "matrix")) and "muon" or "adamw"
  end
  local g = group {
    { params = function(i, p) return choose(i, p) == "muon" end, opt = m },
    { params = function(i, p) return choose(i, p) == "adamw" end, opt = a },
  }
  g.muon, g.adamw = m, a
  return g
end

-- Muon for the hidden weight matrices, AdamW for everything else (KellerJordan/Muon's
-- MuonWithAuxAdam; seed 003, Algorithm 1). Not the steepest preset `muonadam` (seed 003's
-- MuonAdam grid point: one steepest step over the product norm, ml.optim.steepest).
--   ml.optim.muon_adamw{muon = {lr = 0.02, ...}, adamw = {lr = 3e-4, ...},
--                       info = model:param_info(), exclude = {1, 7},
--                       choose = "matrix" | {"matrix", "embedding"} | function(i, p) -> "muon" | "adamw"}
-- The rule (when `choose` is absent): a parameter goes to Muon when both its dimensions are
-- > 1, its index is not in `exclude` (flag the embedding and the output head there) and, when
-- `info` (model:param_info()) is present, its kind is "matrix" (so "head", "embedding" and "bias"
-- go to AdamW). `choose` as a kind or list of kinds sends exactly those kinds to Muon.
-- A rule that sends no parameter to Muon is an error.
-- `muon` and `adamw` take the options of ml.optim.muon and ml.optim.adamw; the AdamW defaults
-- here are the class defaults of KellerJordan/Muon's MuonWithAuxAdam for its Adam groups
-- (lr 3e-4, betas 0.9 / 0.95, eps 1e-10, weight decay 0).
local base = require "muonlab.optim.base"
local options = require "muonlab.options"
local muon = require "muonlab.optim.muon"
local adamw = require "muonlab.optim.adamw"
local group = require "muonlab.optim.group"
local selector = require "muonlab.optim.select"

local ADAMW_DEFAULTS = { lr = 3e-4, beta1 = 0.9, beta2 = 0.95, eps = 1e-10, weight_decay = 0 }

local SPEC = options.register("muon_adamw", {
  muon = { {}, "table", "options of ml.optim.muon for the Muon parameters" },
  adamw = { {}, "table", "options of ml.optim.adamw for the rest", show = "{lr = 3e-4, beta1 = 0.9, beta2 = 0.95, eps = 1e-10, weight_decay = 0}" },
  exclude = { {}, "table", "indices that go to AdamW whatever their shape (embedding, head)" },
  choose = { nil, options.kinds.any_selector, "the Muon parameters: a kind, a list of kinds, or function(i, p) -> \"muon\" | \"adamw\"",
    show = "both dims > 1, not excluded, kind \"matrix\" when info is given" },
  info = { nil, "table", "model:param_info() (entries {name =, kind =, shape =}); needed by kind rules" },
})

local function sub(ctor, key, o)
  local ok, r = pcall(ctor, o)
  if not ok then options.fail("muon_adamw", 1, ("option '%s': %s"):format(key, options.inner(r)), 3) end
  return r
end

local function new(opts)
  local o = base.options("muon_adamw", opts, SPEC, 2)
  local m = sub(muon, "muon", o.muon)
  local a = sub(adamw, "adamw", base.merge(ADAMW_DEFAULTS, o.adamw))
  local excluded = {}
  for _, i in ipairs(o.exclude) do excluded[i] = true end
  local kinds = type(o.choose) ~= "function" and o.choose
  if kinds then
    local bad = selector.check(kinds, "option 'choose'")
    if bad then options.fail("muon_adamw", 1, bad, 2) end
  end
  local function choose(i, p)
    if type(o.choose) == "function" then
      local c = o.choose(i, p)
      if c ~= "muon" and c ~= "adamw" then
        error(("muon_adamw: choose(%d, p) must return \"muon\" or \"adamw\", got %s"):format(i, tostring(c)), 0)
      end
      return c
    end
    local kind = o.info and o.info[i] and o.info[i].kind
    if o.info and not kind then error(("muon_adamw: info[%d].kind missing"):format(i), 0) end
    if kinds then return selector.has_kind(kinds, kind) and "muon" or "adamw" end
    return (p:rows() > 1 and p:cols() > 1 and not excluded[i] and (kind == nil or kind == "matrix")) and "muon" or "adamw"
  end
  local g = group {
    info = o.info,
    { name = "muon", params = function(i, p) return choose(i, p) == "muon" end, opt = m },
    { name = "adamw", optional = true, params = function(i, p) return choose(i, p) == "adamw" end, opt = a },
  }
  g.muon, g.adamw = m, a
  return g
end

return new

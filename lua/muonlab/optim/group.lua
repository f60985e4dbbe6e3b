-- Parameter groups: different optimizers for different parameters, one object with the
-- common interface.
--   ml.optim.group{
--     info = model:param_info(),                               -- needed by kind selectors
--     {params = "matrix", opt = ml.optim.muon{lr = 0.02}},     -- a kind, or a list of kinds
--     {params = {"head", "bias", "embedding"}, opt = ml.optim.adamw{}},
--     {params = {3}, opt = ml.optim.muon{}, blocks = {rows = 64}},
--   }
-- `params` selects parameters by (optim/select.lua)
--   * a list of indices into the params array given to step ({1, 2}),
--   * a kind name or a list of kind names of `info` (model:param_info(): entries {name =,
--     kind =, shape = {rows, cols}}; kinds "matrix", "head", "embedding", "bias"),
--   * a predicate f(i, param) -> boolean,
-- resolved on the first step. Every parameter must land in exactly one group, and a group
-- that selects no parameter is an error naming it (`name =` labels a group in messages;
-- `optional = true` allows an empty group). `blocks = {rows = r}` (or {cols = c}, or lists of sizes {rows = {r1, r2, ...}}; see
-- optim/blocks.lua) hands each listed parameter to its optimizer as row (column) blocks: views
-- sharing the parameter's storage (attention heads, fused QKV matrices), orthogonalized
-- separately; `blocks = function(i, p)` returns such a spec (or nil: whole) per parameter.
-- A member optimizer with QK-Clip (`qk_clip =`) clips after every group has updated.
local ml = require "muonlab"
local base = require "muonlab.optim.base"
local blocks = require "muonlab.optim.blocks"
local selector = require "muonlab.optim.select"
local options = require "muonlab.options"

local Group = { name = "group" }
Group.__index = Group

local function err(msg, level) error("group: " .. msg, (level or 1) + 1) end

-- The constructor's options, checked by muonlab.options (ml.help("optim.group")): info, and the
-- groups as a list, each checked as group:member (messages name it: option '[2].opt').
local SPEC = options.register("group", {
  info = { nil, "table", "model:param_info(), for selectors by kind or name" },
})
local MEMBER = options.register("group:member", {
  params = { nil, options.kinds.any_selector, "the group's parameters: a kind, a list of kinds or indices, or a function(i, p)" },
  opt = { nil, options.kind("table", "an optimizer (ml.optim.*{...})", function(v) return type(v.step) == "function" end),
    "the group's optimizer", required = true },
  blocks = { nil, options.kind("table function", "{rows = r} | {cols = c} or a function(i, p)"), "split each parameter into blocks the optimizer sees as its parameters" },
  name = { nil, options.kind("string number", "a string"), "the group's name in messages" },
  optional = { false, "boolean", "may select no parameter" },
})

-- an option error of the constructor, at the caller of new
local function bad(msg) options.fail("group", 1, msg, 3) end

local function new(spec)
  if type(spec) ~= "table" or #spec == 0 then
    bad(("a non-empty list of groups {params =, opt =} expected, got %s"):format(type(spec) == "table" and "{}" or type(spec)))
  end
  local named = {}
  for key, v in pairs(spec) do
    if math.type(key) ~= "integer" then named[key] = v end
  end
  options.check("group", named, SPEC, 1, 2)
  local self = setmetatable({ groups = {}, t = 0, info = spec.info }, Group)
  for k, g in ipairs(spec) do
    options.check("group", g, MEMBER, 1, 2, ("[%d]."):format(k))
    local where = g.name and ("group %d (%s)"):format(k, tostring(g.name)) or ("group %d"):format(k)
    local sel = g.params
    local bad_sel = selector.check(sel, ("option '[%d].params'"):format(k))
    if bad_sel then bad(bad_sel) end
    local blk = g.blocks
    if blk ~= nil and type(blk) ~= "function" then
      local why = blocks.invalid(blk)
      if why then bad(("option '[%d].blocks': {rows = r} or {cols = c} (or a function(i, p)) expected: %s"):format(k, why)) end
    end
    if g.opt.hp and g.opt.hp.qk_clip then g.opt.deferred = true end   -- Group:step clips after all groups
    self.groups[k] = { select = sel, where = where, optional = g.optional, opt = g.opt, blocks = blk, members = nil, P = {}, G = {}, x = {}, MP = {}, MG = {} }
  end
  return self
end

-- Assign parameters to groups on the first step; a group that selects nothing is an error.
function Group:resolve(params)
  local owner = {}
  for k, g in ipairs(self.groups) do
    local ok, members = pcall(selector.pick, g.select, params, self.info, g.where)
    if not ok then err(members, 3) end
    if #members == 0 and not g.optional then
      err(("%s (%s) selects no parameter"):format(g.where, selector.describe(g.select)), 3)
    end
    for _, i in ipairs(members) do
      if owner[i] then err(("parameter %d is in groups %d and %d"):format(i, owner[i], k), 3) end
      owner[i] = k
    end
    g.members = members
    if g.opt.split_for then   -- the member's split rule sees the indices of this group's caller
      if g.blocks then err(("group %d: 'blocks' and the optimizer's 'split' together"):format(k), 3) end
      g.opt.member_index = members
    end
  end
  for i = 1, #params do
    if not owner[i] then err(("parameter %d is in no group"):format(i), 3) end
  end
end

-- Fill a group's sub-arrays for this step: the members, or their block views (optim/blocks.lua:
-- made once per parameter matrix, so a model that reuses its gradient buffers allocates nothing).
local function gather(g, params, grads)
  if not g.blocks then
    for j, i in ipairs(g.members) do
      g.P[j], g.G[j] = params[i], grads[i]
    end
    return
  end
  for j, i in ipairs(g.members) do g.MP[j], g.MG[j] = params[i], grads[i] end
  g.blocks_for = g.blocks_for or (type(g.blocks) == "function"
    and function(j, p) return g.blocks(g.members[j], p) end or function() return g.blocks end)
  blocks.expand(g.x, g.MP, g.MG, g.blocks_for, "group")
  g.P, g.G = g.x.P, g.x.G
end

function Group:step(params, grads, loss)
  if type(params) ~= "table" or type(grads) ~= "table" then
    base.step_error(type(params) ~= "table" and 1 or 2, "params and grads: arrays of matrices expected")
  end
  if #params ~= #grads then base.step_error(2, ("grads: %d matrices expected (one per param), got %d"):format(#params, #grads)) end
  if not self.resolved then
    self:resolve(params)
    self.resolved = true
  end
  for _, g in ipairs(self.groups) do
    if #g.members > 0 then
      gather(g, params, grads)
      g.opt:step(g.P, g.G, loss)
    end
  end
  for _, g in ipairs(self.groups) do
    if g.opt.deferred and #g.members > 0 then g.opt:clip_logits() end
  end
  self.t = self.t + 1
  return loss
end

function Group:state_dict()
  local subs, members = {}, {}
  for k, g in ipairs(self.groups) do
    subs[k] = g.opt:state_dict()
    members[k] = g.members and base.copy(g.members)
  end
  return { optimizer = "group", step = self.t, groups = subs, members = members }
end

function Group:load_state_dict(sd)
  if type(sd) ~= "table" or sd.optimizer ~= "group" or type(sd.groups) ~= "table" then
    err("load_state_dict: a state from a group optimizer expected", 2)
  end
  if #sd.groups ~= #self.groups then
    err(("load_state_dict: the state has %d groups, this optimizer %d"):format(#sd.groups, #self.groups), 2)
  end
  for k, g in ipairs(self.groups) do
    g.opt:load_state_dict(sd.groups[k])
    if sd.members and sd.members[k] then
      g.members = base.copy(sd.members[k])
      if g.opt.split_for then g.opt.member_index = g.members end
      self.resolved = true
    end
  end
  self.t = sd.step
  return self
end

function Group:set(key, value)
  for _, g in ipairs(self.groups) do
    if g.opt.spec and g.opt.spec[key] then g.opt:set(key, value) end
  end
  return self
end

function Group:__tostring()
  local names = {}
  for _, g in ipairs(self.groups) do names[#names + 1] = g.opt.name end
  return ("group optimizer {%s} (step %d)"):format(table.concat(names, ", "), self.t)
end

return new

-- What every optimizer shares: option checking, the step protocol (argument checks, state
-- created on the first step), state_dict / load_state_dict, and the orthogonalizer.
--
-- An optimizer file defines a class table with
--   cls.name           "muon", ...
--   cls.spec           options: name -> {default, check} (see `check` below)
--   cls:validate()     optional cross-option checks (self.hp is filled in)
--   cls:init_state(i, p) -> table of matrices/numbers kept for parameter i (saved by state_dict)
--   cls:update(params, grads, loss)   the step itself; self.t is the step number (1 on the first)
-- and calls base.class(cls). Scratch matrices go in self.work[i] (never saved: they carry
-- nothing from one step to the next); global scalars in self.global (saved).
local ml = require "muonlab"

local M = {}

-- ---- option checking (muonlab.options) ---------------------------------------------------

local options = require "muonlab.options"
local fmt = options.fmt

-- opts: the user's table (or nil); spec: name -> {default, check, doc}. Errors name the
-- optimizer and the option, and point at the caller's line (level as error()'s).
function M.options(name, opts, spec, level)
  local hp = options.check(name, opts, spec, 1, (level or 2) + 1)   -- (not a tail call: it would drop a level)
  return hp
end

-- A cross-option error of a validate() method, in the same format.
function M.fail(name, msg) options.fail(name, 1, msg, 0) end

-- ---- deep copies of state (matrices cloned) ---------------------------------------------

local function copy(v)
  if ml.ismatrix(v) then return v:clone() end
  if type(v) ~= "table" then return v end
  local t = {}
  for k, x in pairs(v) do t[k] = copy(x) end
  return t
end
M.copy = copy

-- ---- the optimizer protocol -------------------------------------------------------------

local Optimizer = {}
Optimizer.__index = Optimizer

local function argerr(self, msg) error(("%s:step: %s"):format(self.label or self.name, msg), 3) end

-- params, grads: arrays of matrices; params updated in place. loss: a number (Momo needs it).
function Optimizer:step(params, grads, loss)
  if type(params) ~= "table" then argerr(self, "argument #1 (params) must be an array of matrices") end
  if type(grads) ~= "table" then argerr(self, "argument #2 (grads) must be an array of matrices") end
  local n = #params
  if n == 0 then argerr(self, "argument #1 (params) is empty") end
  if #grads ~= n then argerr(self, ("%d params but %d grads"):format(n, #grads)) end
  if loss ~= nil and (type(loss) ~= "number" or loss ~= loss) then
    argerr(self, "argument #3 (loss) must be a number")
  end
  if self.needs_loss and loss == nil then
    argerr(self, "argument #3 (loss) is required (Momo step sizes use the loss)")
  end
  local shapes = self.shapes
  if shapes and #shapes ~= n then
    argerr(self, ("%d params, but the state was created for %d"):format(n, #shapes))
  end
  for i = 1, n do
    local p, g = params[i], grads[i]
    if not ml.ismatrix(p) then argerr(self, ("params[%d] is not a matrix"):format(i)) end
    if not ml.ismatrix(g) then argerr(self, ("grads[%d] is not a matrix"):format(i)) end
    local r, c = p:rows(), p:cols()
    if g:rows() ~= r or g:cols() ~= c then
      argerr(self, ("grads[%d] is %dx%d but params[%d] is %dx%d"):format(i, g:rows(), g:cols(), i, r, c))
    end
    if shapes and (shapes[i][1] ~= r or shapes[i][2] ~= c) then
      argerr(self, ("params[%d] is %dx%d, but its state is %dx%d"):format(i, r, c, shapes[i][1], shapes[i][2]))
    end
  end
  if not self.state then   -- built completely before it is kept, so a failure leaves none
    local state = {}
    for i = 1, n do state[i] = self:init_state(i, params[i]) end
    self.state = state
  end
  if not shapes then
    self.shapes = {}
    for i = 1, n do self.shapes[i] = { params[i]:rows(), params[i]:cols() } end
  end
  self.t = self.t + 1
  self:update(params, grads, loss)
  return loss
end

-- A plain table: optimizer name, step count, hyperparameters (functions left out), the
-- per-parameter state and the global scalars, every matrix cloned.
function Optimizer:state_dict()
  local hp = {}
  for k, v in pairs(self.hp) do
    if type(v) ~= "function" then hp[k] = copy(v) end
  end
  return {
    optimizer = self.name,
    step = self.t,
    hyper = hp,
    shapes = copy(self.shapes),
    state = copy(self.state),
    global = copy(self.global),
  }
end

-- Restore a state_dict into an optimizer of the same kind (built with the same options):
-- the next step continues exactly where the saved one stopped.
function Optimizer:load_state_dict(sd)
  if type(sd) ~= "table" then error(("%s:load_state_dict: a table expected"):format(self.name), 2) end
  if sd.optimizer ~= self.name then
    error(("%s:load_state_dict: the state belongs to '%s'"):format(self.name, tostring(sd.optimizer)), 2)
  end
  if math.type(sd.step) ~= "integer" or sd.step < 0 then
    error(("%s:load_state_dict: field 'step' must be an integer >= 0"):format(self.name), 2)
  end
  self.t = sd.step
  self.shapes = copy(sd.shapes)
  self.state = copy(sd.state)
  self.global = copy(sd.global) or {}
  self.work = {}
  return self
end

-- opt:set(key, value): change a hyperparameter between steps (learning-rate schedules),
-- checked like the constructor's options.
-- Options read when the optimizer is built (the NS plan, the parameter split, Momo's need of
-- the loss) cannot be changed: build a new optimizer for those.
function Optimizer:set(key, value)
  local spec = self.spec[key]
  if not spec then
    options.fail("set", 1, ("unknown option %s (expected one of: %s)"):format(fmt(key), table.concat(options.names(self.spec), ", ")), 2)
  end
  if M.ns_spec[key] or (self.fixed and self.fixed[key]) then
    options.fail("set", 1, ("option '%s': fixed when the optimizer is built"):format(key), 2)
  end
  local msg = value ~= nil and options.problem(key, spec, value)
  if msg then options.fail("set", 2, msg, 2) end
  local one = { [key] = value == nil and spec[1] or value }
  self.hp[key] = one[key]
  if self.validate then self:validate() end
  return self
end

function Optimizer:__tostring()
  return ("%s optimizer (step %d)"):format(self.label or self.name, self.t)
end

-- Scratch matrices of parameter i, created on first use: work(self, i).O etc.
function M.work(self, i)
  local w = self.work[i]
  if not w then
    w = {}
    self.work[i] = w
  end
  return w
end

-- A zero matrix like p (same shape and dtype).
function M.zeros_like(p) return ml.zeros(p:rows(), p:cols(), { dtype = p:dtype() }) end

-- cls: a class table as described at the top. Returns the constructor.
function M.class(cls)
  cls.__index = cls
  cls.__tostring = Optimizer.__tostring
  options.register(cls.name, cls.spec)
  setmetatable(cls, { __index = Optimizer })
  -- label: the name errors and tostring use (presets of one class pass theirs)
  return function(opts, label)
    local self = setmetatable({}, cls)
    self.label = label or cls.name
    self.hp = M.options(self.label, opts, cls.spec, 2)
    self.t = 0
    self.work = {}
    self.global = {}
    if self.validate then
      local ok, err = pcall(self.validate, self)
      if not ok then error(err, 2) end
    end
    if self.setup then self:setup() end
    return self
  end
end

-- ---- orthogonalization ------------------------------------------------------------------

-- The options every Newton-Schulz user shares (optax names), merged into a class's spec.
M.ns_spec = {
  ns_coeffs = { "jordan", "coeffs", "NS schedule: a name of ml.ns, a per-step list {{a,b,c},…} or one {a,b,c}" },
  ns_steps = { nil, "posint", "NS steps", show = "the schedule's own length (5 for jordan)" },
  preconditioning = { "frobenius", { "frobenius", "spectral", "aol", "schatten", "none" }, "NS preconditioner (optax's names; ml.ns precond)" },
  ns_precision = { nil, { "fp64", "fp32", "bf16", "fp16" }, "NS arithmetic", show = "the matrix's own" },
  ns_form = { "direct", { "direct", "gram" }, "NS iteration form (ml.ns form)" },
  orthogonalize = { "ns", { "ns", "polar" }, "\"ns\" (Newton-Schulz) or \"polar\" (the exact SVD polar factor, for tests)" },
}

function M.merge(a, b)
  local t = {}
  for k, v in pairs(a) do t[k] = v end
  for k, v in pairs(b) do t[k] = v end
  return t
end

-- orth(out, G): out <- the orthogonalized G, as hp says; eps is the NS normaliser's
-- (X0 = G / (||G||_F + eps)). The NS path allocates nothing after its first call per shape.
function M.orthogonalizer(hp, eps)
  if hp.orthogonalize == "polar" then
    return function(out, G) return out:copy_(ml.polar(G)) end
  end
  local plan = ml.ns_plan {
    coeffs = hp.ns_coeffs, steps = hp.ns_steps, eps = eps, precond = hp.preconditioning,
    precision = hp.ns_precision, form = hp.ns_form,
  }
  return function(out, G) return plan:run(out, G) end, plan
end

-- Muon's shape factors. rows/cols as the parameter is stored.
function M.shape_scale(kind, r, c)
  if kind == "none" then return 1 end
  if kind == "sqrt_ratio" then return math.sqrt(math.max(1, r / c)) end
  if kind == "moonlight" then return 0.2 * math.sqrt(math.max(r, c)) end
  return kind   -- a number
end

return M

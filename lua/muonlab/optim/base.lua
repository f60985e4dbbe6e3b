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
local blocks = require "muonlab.optim.blocks"

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
M.Optimizer = Optimizer   -- for classes that wrap the step (muon_mvr)

-- opt:step's argument errors, in the one format: bad argument #argn to 'step' (msg); level as
-- error()'s, counted from the function calling step_error (default 2: the caller of the step).
function M.step_error(argn, msg, level) options.fail("step", argn, msg, (level or 2) + 1) end
local function argerr(argn, fmt_, ...) M.step_error(argn, fmt_:format(...), 3) end
local function typename(v) return ml.ismatrix(v) and "matrix" or type(v) end

-- params, grads: arrays of matrices; params updated in place. loss: a number (Momo needs it).
function Optimizer:step(params, grads, loss)
  if type(params) ~= "table" then argerr(1, "params: an array of matrices expected, got %s", typename(params)) end
  if type(grads) ~= "table" then argerr(2, "grads: an array of matrices expected, got %s", typename(grads)) end
  local n = #params
  if n == 0 then argerr(1, "params: a non-empty array of matrices expected, got {}") end
  if #grads ~= n then argerr(2, "grads: %d matrices expected (one per param), got %d", n, #grads) end
  if loss ~= nil and (type(loss) ~= "number" or loss ~= loss) then
    argerr(3, "loss: a number expected, got %s", loss ~= loss and "nan" or type(loss))
  end
  if self.needs_loss and loss == nil then
    argerr(3, "loss: a number expected, got nil (%s's Momo step sizes use the loss)", self.label or self.name)
  end
  local shapes = self.shapes
  if shapes and #shapes ~= n then
    argerr(1, "params: %d matrices expected (the state was created for %d), got %d", #shapes, #shapes, n)
  end
  for i = 1, n do
    local p, g = params[i], grads[i]
    if not ml.ismatrix(p) then argerr(1, "params[%d]: a matrix expected, got %s", i, typename(p)) end
    if not ml.ismatrix(g) then argerr(2, "grads[%d]: a matrix expected, got %s", i, typename(g)) end
    local r, c = p:rows(), p:cols()
    if g:rows() ~= r or g:cols() ~= c then
      argerr(2, "grads[%d]: a %dx%d matrix expected (params[%d]'s shape), got %dx%d", i, r, c, i, g:rows(), g:cols())
    end
    if shapes and (shapes[i][1] ~= r or shapes[i][2] ~= c) then
      argerr(1, "params[%d]: a %dx%d matrix expected (its state's shape), got %dx%d", i, shapes[i][1], shapes[i][2], r, c)
    end
  end
  if not shapes then
    shapes = {}
    for i = 1, n do shapes[i] = { params[i]:rows(), params[i]:cols() } end
  end
  local origin
  if self.split_for then   -- split: the optimizer sees the blocks (views) as its parameters
    n = blocks.expand(self.split, params, grads, self.split_for, self.label)
    params, grads, origin = self.split.P, self.split.G, self.split.origin
  end
  if not self.state then   -- built completely before it is kept, so a failure leaves none
    local state = {}
    for i = 1, n do state[i] = self:init_state(origin and origin[i] or i, params[i]) end
    self.state = state
  elseif #self.state ~= n then
    argerr(1, "params: %d matrices expected after the split (the state holds %d), got %d (another split?)", #self.state, #self.state, n)
  end
  self.shapes = shapes
  self.t = self.t + 1
  self:update(params, grads, loss)
  if self.hp.qk_clip and not self.deferred then self:clip_logits() end
  return loss
end

-- QK-Clip (Kimi K2, arXiv 2507.20534), after the update: the model rescales the query and key
-- rows of every head whose largest logit of this step's forward pass exceeded tau (model:qk_clip).
-- A group runs it after all its members have updated (so biases get their update first).
function Optimizer:clip_logits()
  local n = self.hp.model:qk_clip(self.hp.qk_clip)
  self.clipped = n
  self.global.clipped_heads = (self.global.clipped_heads or 0) + (tonumber(n) or 0)
end

-- A plain table: optimizer name, step count, hyperparameters (functions left out), the
-- per-parameter state and the global scalars, every matrix cloned.
function Optimizer:state_dict()
  local hp = {}
  for k, v in pairs(self.hp) do
    if type(v) ~= "function" and k ~= "model" then hp[k] = copy(v) end   -- the model is not state
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

-- The EMA momentum most of the family shares: M <- beta M + (1 - beta) G, and the matrix the
-- update reads: U = beta M + (1 - beta) G (nesterov, KellerJordan's form, in work(self, i).U) or M.
function M.momentum(self, i, Mbuf, G, beta, nesterov)
  Mbuf:axpby_(beta, Mbuf, 1 - beta, G)
  if not nesterov then return Mbuf end
  local w = M.work(self, i)
  w.U = w.U or M.zeros_like(G)
  return w.U:axpby_(beta, Mbuf, 1 - beta, G)
end

-- A zero matrix like p (same shape and dtype).
-- sqrt(x_1^2 + ... + x_n^2) of xs[1..n], scaled by the largest |x_i| so that neither the squares
-- nor their sum overflow or underflow (nuclear norms of gradients of 1e200 are 1e201; issue 12).
-- No allocation: callers keep xs.
function M.hypot(xs, n)
  local m = 0
  for i = 1, n do m = math.max(m, math.abs(xs[i])) end
  if m == 0 or m == math.huge then return m end
  local s = 0
  for i = 1, n do s = s + (xs[i] / m) ^ 2 end
  return m * math.sqrt(s)
end

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
    local ok, err = pcall(M.attention_setup, self)
    if not ok then error(err, 2) end
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

-- Attention options of every Newton-Schulz optimizer, merged into ns_spec below:
--   split = "heads" (with info = model:param_info()) | function(i, p) -> {rows = r} | {cols = c} | nil
--     orthogonalize parameter i in blocks (optim/blocks.lua): the optimizer treats each block as a
--     parameter of its own (momentum, scale, statistics). "heads": an entry with `heads = H` and
--     shape r x C (a fused QKV, 3C x C, or a q, k or v matrix) becomes row blocks of hs = C / H rows,
--     each head's q, k and v separately; an output projection (a name with "proj") stays whole.
--   qk_clip = tau, model = m: after each update, m:qk_clip(tau) (QK-Clip, per head).
M.attention_spec = {
  split = { nil, "split", "\"heads\" (with info) or function(i, p) -> {rows = r} | {cols = c} | nil: orthogonalize blocks separately" },
  info = { nil, "table", "model:param_info() (entries {name =, kind =, shape =, heads =}): needed by split = \"heads\"" },
  qk_clip = { nil, "pos", "tau of QK-Clip: after each update, model:qk_clip(tau) rescales the heads whose max logit exceeded tau" },
  model = { nil, "model", "the model QK-Clip acts on (ml.models.gpt)" },
}
for k, v in pairs(M.attention_spec) do M.ns_spec[k] = v end

-- the split rule "heads" as blocks per parameter index
local function heads_split(info, label)
  return function(i, p)
    local e = info[i]
    if type(e) ~= "table" then
      error(("%s: split = \"heads\": info[%d] missing (pass info = model:param_info())"):format(label, i), 0)
    end
    -- biases and norms (kind other than "matrix") and the output projection stay whole
    if e.heads == nil or (e.kind ~= nil and e.kind ~= "matrix") or (type(e.name) == "string" and e.name:find("proj", 1, true)) then
      return nil
    end
    local H, r, c = e.heads, p:rows(), p:cols()
    if math.type(H) ~= "integer" or H < 1 or c % H ~= 0 or r % (c // H) ~= 0 then
      error(("%s: split = \"heads\": parameter %d (%s, %dx%d) does not split into blocks of C/H rows with heads = %s")
        :format(label, i, tostring(e.name), r, c, tostring(H)), 0)
    end
    return { rows = c // H }
  end
end

-- the cross-option checks of the attention options; sets self.split_for
function M.attention_setup(self)
  local hp, label = self.hp, self.label
  -- i: the index among the optimizer's parameters; member_index (set by ml.optim.group) maps it
  -- to the index in the group's (the model's) list, the one param_info and user functions know
  local rule = hp.split
  if rule == "heads" then
    if not hp.info then M.fail(label, "option 'split': \"heads\" needs option 'info' (model:param_info())") end
    rule = heads_split(hp.info, label)
  end
  if rule then
    self.split_for = function(i, p) return rule(self.member_index and self.member_index[i] or i, p) end
  end
  if self.split_for then self.split = {} end
  if hp.qk_clip and not hp.model then
    M.fail(label, "option 'qk_clip': needs option 'model' (the model whose qk_clip(tau) rescales the heads)")
  end
  if hp.model and not hp.qk_clip then
    M.fail(label, "option 'model': only used by qk_clip (set qk_clip = tau)")
  end
end

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

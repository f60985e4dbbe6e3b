-- ml.help and the one option checker: help is rendered from the tables that check the calls,
-- so every option a function accepts appears in its help; every function, optimizer, model
-- and data loader has a topic; option errors read the same from C and Lua functions.
local ml = require "muonlab"
local help = require "muonlab.help"
local options = require "muonlab.options"

local function quiet_help(topic)
  local saved = _G.print
  _G.print = function() end
  local ok, text = pcall(ml.help, topic)
  _G.print = saved
  assert(ok, text)
  return text
end

local function has(text, s) return text:find(s, 1, true) ~= nil end

-- the topic that documents a registered option table ("corpus:windows" -> "corpus")
local function topic_of(fname)
  local base = fname:match("^([%w_]+):") or fname
  if help.MODELS[base] then return "models." .. base end
  if help.DATA[base] and not help.DOCS[base] then return "data." .. base end
  return base
end

describe("ml.help", function()
  it("lists every topic group and prints a topic's signature, options, returns and example", function()
    local all = quiet_help()
    for _, head in ipairs { "functions:", "optimizers:", "models:", "data:", "optim.muon_adamw", "data.minibatches" } do
      assert.is_true(has(all, head), head)
    end
    local ns = quiet_help("ns")
    for _, part in ipairs { "ml.ns(A[, opts])", "options:", "returns:", "example:", "polar_dist", "RELATIVE",
      "eps            a number; default 1e-7", "cans" } do
      assert.is_true(has(ns, part), part)
    end
    assert.is_true(has(quiet_help("polar_distance"), "ABSOLUTE"))
    assert.is_true(has(quiet_help("data.minibatches"), "DROPPED unless drop_last = false"))
    assert.is_true(has(quiet_help("fashion_mnist"), "n x 784"))
    assert.is_true(has(quiet_help("param_info"), "kind"))
  end)

  it("has a topic for every ml function, optimizer, model and data loader, and every topic exists", function()
    local core = require "muonlab.core"
    for name, v in pairs(core) do
      if type(v) == "function" and not name:find("^_") then
        assert.is_not_nil(help.DOCS[name], "no help for ml." .. name)
      end
    end
    for _, name in ipairs { "plot", "sweep", "muon_update", "ns_shape", "help", "matrix_methods", "show", "checkpoint" } do
      assert.is_not_nil(help.DOCS[name], name)
    end
    local protocol = { methods = true, param_info = true, optimizer = true, model = true, csv = true }
    for name in pairs(help.DOCS) do
      if not protocol[name] then assert.is_not_nil(ml[name], "help documents a missing ml." .. name) end
    end
    for _, name in ipairs(ml.optim.names()) do assert.is_string(help.text("optim." .. name), name) end
    for _, name in ipairs(ml.models.names()) do
      assert.is_not_nil(help.MODELS[name], "no help for model " .. name)
    end
    for name in pairs(help.MODELS) do assert.is_function(ml.models[name], name) end
    for name in pairs(help.DATA) do assert.is_function(ml.data[name], name) end
    for name, v in pairs(ml.data) do
      if type(v) == "function" and not name:find("^_") then assert.is_not_nil(help.DATA[name], "no help for ml.data." .. name) end
    end
    local methods = quiet_help("methods")
    for _, m in ipairs(ml.matrix_methods()) do
      local agg = m:match("^row_(%a+)$") or m:match("^col_(%a+)$")
      local found = has(methods, m) or (agg and has(methods, "row_/col_") and has(methods, agg))
      assert.is_true(found, "help('methods') lacks " .. m)
    end
  end)

  it("shows every option of every C binding's spec (the table mlua_checkopts checks)", function()
    local specs = require("muonlab.core")._optspec()
    local n = 0
    for fname, spec in pairs(specs) do
      local text = quiet_help(topic_of(fname))
      for _, o in ipairs(spec) do
        n = n + 1
        assert.is_true(has(text, o.name .. " "), ("help('%s') lacks option %s"):format(topic_of(fname), o.name))
        assert.is_true(has(text, o.doc), ("help('%s') lacks the doc of %s"):format(topic_of(fname), o.name))
      end
    end
    assert.is_true(n > 50, "only " .. n .. " C options")
  end)

  it("shows every option of every Lua schema, with its type and default", function()
    -- load every module that registers schemas
    for _, name in ipairs(ml.models.names()) do local _ = ml.models[name] end
    local _ = ml.optim, ml.data, ml.plot, ml.sweep, ml.muon_update
    local n = 0
    for fname, schema in pairs(options.schemas) do
      local topic = ml.optim[fname] and not help.DOCS[fname] and "optim." .. fname or topic_of(fname)
      if fname == "spectral" or fname == "spectral_clip" then topic = "optim." .. fname end   -- optimizers named like ml functions
      local text = quiet_help(topic)
      for key, e in pairs(schema) do
        n = n + 1
        assert.is_true(has(text, key .. " "), ("help('%s') lacks option %s"):format(topic, key))
        assert.is_true(has(text, options.what(e)), ("help('%s') lacks the type of %s"):format(topic, key))
      end
    end
    assert.is_true(n > 150, "only " .. n .. " Lua options")
  end)

  it("rejects an unknown topic with a suggestion", function()
    local ok, err = pcall(ml.help, "nss")
    assert.is_false(ok)
    assert.matches("bad argument #1 to 'help' (no topic 'nss' (did you mean 'ns'?)", err, 1, true)
  end)
end)

describe("one option error format for C and Lua functions", function()
  local A = ml.randn(3, 4, { seed = 1 })
  local function msg(f, ...)
    local ok, err = pcall(f, ...)
    assert.is_false(ok)
    return (tostring(err):gsub("^[^:]*:%d+: ", ""))
  end
  local TYPE = "^bad argument #%d+ to '[%w_]+' %(option '[%w_]+': .+ expected, got %a+%)$"
  local UNKNOWN = "^bad argument #%d+ to '[%w_]+' %(unknown option '[%w_]+' %(expected one of: [%w_, ]+%)%)$"

  it("a value of the wrong type", function()
    local cases = {
      { "ns", ml.ns, A, { steps = "five" } },
      { "polar", ml.polar, A, { method = 3 } },
      { "randn", ml.randn, 2, 2, { seed = "x" } },
      { "coeffs", ml.coeffs, "cans", { l = "small" } },
      { "muon", ml.optim.muon, { lr = "fast" } },
      { "mlp", ml.models.mlp, { sizes = { 2, 2 }, seed = "x" } },
      { "least_squares", ml.models.least_squares, { cond = "big" } },
      { "fashion_mnist", ml.data.fashion_mnist, { standardize = 1 } },
      { "plot", ml.plot, { logy = "yes" } },
      { "sweep", ml.sweep, { out = 3 } },
      { "muon_update", ml.muon_update, A, A, A, 0.9, 0.1, { method = 1 } },
    }
    for _, c in ipairs(cases) do
      local m = msg(table.unpack(c, 2))
      assert.truthy(m:find(TYPE), c[1] .. ": " .. m)
      assert.truthy(m:find("to '" .. c[1] .. "'", 1, true), c[1] .. ": " .. m)
    end
    -- the same words from both sides for the same kind of value
    assert.are.equal("bad argument #2 to 'ns' (option 'steps': an integer expected, got string)", msg(ml.ns, A, { steps = "x" }))
    assert.are.equal("bad argument #1 to 'mlp' (option 'seed': an integer expected, got string)",
      msg(ml.models.mlp, { sizes = { 2, 2 }, seed = "x" }))
  end)

  it("an unknown option, with a suggestion when one is close", function()
    local cases = {
      { "ns", ml.ns, A, { stpes = 3 } },
      { "spectrum", ml.spectrum, 3, 3, { knd = "linear" } },
      { "adamw", ml.optim.adamw, { lrr = 1 } },
      { "char_mlp", ml.models.char_mlp, { vocab = 10, hiden = 3 } },
      { "fortunes", ml.data.fortunes, { valdi = 0.1 } },
      { "plot", ml.plot, { xlable = "x" } },
      { "sweep", ml.sweep, { outt = "x" } },
      { "muon_update", ml.muon_update, A, A, A, 0.9, 0.1, { scal = 1 } },
    }
    for _, c in ipairs(cases) do
      local m = msg(table.unpack(c, 2))
      assert.truthy(m:find("did you mean '[%w_]+'%? "), c[1] .. ": " .. m)
      m = m:gsub("did you mean '[%w_]+'%? ", "")
      assert.truthy(m:find(UNKNOWN), c[1] .. ": " .. m)
    end
  end)

  it("a value out of range shows the value", function()
    assert.are.equal("bad argument #2 to 'coeffs' (option 'l': a number in (0, 1) expected, got 2)", msg(ml.coeffs, "cans", { l = 2 }))
    assert.are.equal("bad argument #1 to 'adamw' (option 'beta1': a number in [0, 1) expected, got 1.5)", msg(ml.optim.adamw, { beta1 = 1.5 }))
  end)

  it("names the function the same way under pcall and in a direct call", function()
    assert.are.equal("bad argument #1 to 'coeffs' (unknown schedule '1' (known: cubic, quintic, septic, jordan, you, polar_express, gram_ns, cans))",
      msg(ml.coeffs, 1))
    assert.matches("^bad argument #1 to 'svd'", msg(ml.svd, {}))
    assert.matches("^bad argument #2 to 'matmul'", msg(ml.matmul, A, 3))
    assert.matches("^bad argument #1 to 'coeffs'", msg(function() return (ml.coeffs(1)) end))
    local c = ml.corpus_string("hello world")
    assert.matches("^bad argument #%d to 'windows'", msg(c.windows, c, 0, 2))
  end)

  it("reports Lua-side errors at the user's line", function()
    local line
    local ok, err = pcall(function()
      line = debug.getinfo(1, "l").currentline + 1
      local opt = ml.optim.muon { lr = -1 }
      return opt
    end)
    assert.is_false(ok)
    assert.matches("help_spec.lua:" .. line .. ": bad argument #1 to 'muon'", err, 1, true)
    local model = ml.models.mlp { sizes = { 4, 2 } }
    ok, err = pcall(function()
      line = debug.getinfo(1, "l").currentline + 1
      local l = model:loss_grad(ml.zeros(3, 4, { dtype = "float32" }), ml.zeros(3, 1))
      return l
    end)
    assert.is_false(ok)
    assert.matches("help_spec.lua:" .. line .. ": bad argument #1 to 'loss_grad' (inputs are float32 but the model is float64", err, 1, true)
  end)
end)

describe("defaults that agree", function()
  it("data sets and models share one default dtype, so the README's first loop runs", function()
    local d = ml.data.fashion_mnist { limit_train = 256, limit_test = 16, quiet = true }
    local model = ml.models.mlp { sizes = { 784, 16, 10 } }
    local opt = ml.optim.adamw {}
    assert.are.equal(model.dtype, d.train.X:dtype())
    assert.are.equal(ml.zeros(1, 1):dtype(), d.train.X:dtype())
    local first, last
    for epoch = 1, 3 do
      for X, y in ml.data.minibatches(d.train.X, d.train.y, 64, { seed = epoch }) do
        local loss, grads = model:loss_grad(X, y)
        opt:step(model:params(), grads)
        first, last = first or loss, loss
      end
    end
    assert.is_true(last < first, ("%g -> %g"):format(first, last))
    for _, name in ipairs(ml.models.names()) do
      local o = name == "mlp" and { sizes = { 2, 2 } } or name == "char_mlp" and { vocab = 4 } or {}
      assert.are.equal("float64", ml.models[name](o).dtype, name)
    end
  end)
end)

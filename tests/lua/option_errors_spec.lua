-- Every option table of the library (the C bindings' specs, core._optspec(), and the Lua
-- schemas, muonlab.options.schemas) raises one error format, at the caller's line:
--   bad argument #k to 'name' (unknown option 'x' (expected one of: ...))
--   bad argument #k to 'name' (option 'x': ... expected, got <type>)
-- The scan calls every registered function, method and optimizer constructor with an unknown
-- option and, for each of its options, with a value of a type it does not accept. A function
-- that registers options without a recipe here fails the test, so the scan cannot fall behind.
local ml = require "muonlab"
local options = require "muonlab.options"
local core = require "muonlab.core"

local A = ml.randn(3, 4, { seed = 1 })
local tmp = os.tmpname()
local f = assert(io.open(tmp, "w"))
f:write("hello world, a small corpus\n")
f:close()
local corpus = ml.corpus_string("hello world, a small corpus\n")

-- (call is wrapped so that it is not a tail call: the error's position is then this file)
local function recipe(argn, call, base, name, prefix)
  return { argn = argn, call = function(o) local res = call(o); return res end, base = base, name = name, prefix = prefix }
end

-- name -> how to call it with an option table: the argument number of the options, the call,
-- options it needs besides the one under test, and (for nested tables) the function's name and
-- the prefix its messages give the option
local C = {
  coeffs = recipe(2, function(o) return ml.coeffs("polar_express", o) end),   -- the one that takes all five
  corpus = recipe(2, function(o) return ml.corpus(tmp, o) end),
  ["corpus:slice"] = recipe(3, function(o) return corpus:slice(1, 5, o) end),
  ["corpus:windows"] = recipe(3, function(o) return corpus:windows(2, 3, o) end),
  corpus_string = recipe(2, function(o) return ml.corpus_string("hello", o) end),
  eye = recipe(2, function(o) return ml.eye(3, o) end),
  from_table = recipe(2, function(o) return ml.from_table({ { 1 } }, o) end),
  gram = recipe(2, function(o) return ml.gram(A, o) end),
  load_idx = recipe(2, function(o) return ml.load_idx(tmp, o) end),
  matmul = recipe(3, function(o) return ml.matmul(A, A:t(), o) end),
  matrix = recipe(3, function(o) return ml.matrix(2, 2, o) end),
  mkdir = recipe(2, function(o) return ml.mkdir(tmp .. ".d", o) end),
  ns = recipe(2, function(o) return ml.ns(A, o) end),
  ns_plan = recipe(1, function(o) return ml.ns_plan(o) end),
  ones = recipe(3, function(o) return ml.ones(2, 2, o) end),
  orthogonal = recipe(3, function(o) return ml.orthogonal(3, 3, o) end),
  polar = recipe(2, function(o) return ml.polar(A, o) end),
  poly_error = recipe(4, function(o) return ml.poly_error("jordan", 0.1, 1, o) end),
  poly_map = recipe(3, function(o) return ml.poly_map("jordan", 0.5, o) end),
  qr = recipe(2, function(o) return ml.qr(A:t(), o) end),
  remove = recipe(2, function(o) return ml.remove(tmp .. ".none", o) end),
  rand = recipe(3, function(o) return ml.rand(2, 2, o) end),
  randn = recipe(3, function(o) return ml.randn(2, 2, o) end),
  spectral = recipe(3, function(o) return ml.spectral(A, 0.5, o) end),
  spectral_clip = recipe(3, function(o) return ml.spectral_clip(A, 1, o) end),
  spectrum = recipe(3, function(o) return ml.spectrum(3, 3, o) end),
  zeros = recipe(3, function(o) return ml.zeros(2, 2, o) end),
}

local mlp = ml.models.mlp { sizes = { 4, 2 } }
local char_mlp = ml.models.char_mlp { vocab = 8, context = 2, embed = 2, hidden = 4 }
local gpt = ml.models.gpt { vocab = 8, context = 4, embed = 4, heads = 1, layers = 1 }
local L = {
  show = recipe(2, function(o) return ml.show(A, o) end),
  muon_update = recipe(6, function(o) return ml.muon_update(A, A, A, 0.9, 0.1, o) end),
  plot = recipe(1, function(o) return ml.plot(o) end, { output = tmp .. ".png", series = { { y = { 1, 2 } } } }),
  ["plot:panel"] = recipe(1, function(o) return ml.plot { output = tmp .. ".png", panels = { o } } end,
    { series = { { y = { 1, 2 } } } }, "plot", "panels[1]."),
  ["plot:series"] = recipe(1, function(o) return ml.plot { output = tmp .. ".png", series = { o } } end,
    { y = { 1, 2 } }, "plot", "series[1]."),
  sweep = recipe(1, function(o) return ml.sweep(o) end,
    { out = tmp .. ".csv", grid = { a = { 1 } }, run = function() return {} end, argv = {}, progress = false }),
  group = recipe(1, function(o)
    local spec = { { params = "matrix", opt = ml.optim.sgd {} } }
    for k, v in pairs(o) do spec[k] = v end
    return ml.optim.group(spec)
  end),
  ["group:member"] = recipe(1, function(o) return ml.optim.group { o } end,
    { params = "matrix", opt = ml.optim.sgd {} }, "group", "[1]."),
  mlp = recipe(1, function(o) return ml.models.mlp(o) end, { sizes = { 2, 2 } }),
  char_mlp = recipe(1, function(o) return ml.models.char_mlp(o) end, { vocab = 8 }),
  gpt = recipe(1, function(o) return ml.models.gpt(o) end, { vocab = 8 }),
  ["mlp:evaluate"] = recipe(3, function(o) return mlp:evaluate(ml.zeros(2, 4), ml.zeros(2, 1), o) end),
  ["char_mlp:evaluate"] = recipe(2, function(o) return char_mlp:evaluate(corpus, o) end),
  ["char_mlp:sample"] = recipe(3, function(o) return char_mlp:sample(corpus, 3, o) end),
  ["gpt:generate"] = recipe(3, function(o) return gpt:generate({ 1 }, 2, o) end),
  minibatches = recipe(4, function(o) return ml.data.minibatches(ml.zeros(4, 2), ml.zeros(4, 1), 2, o) end),
  text_file = recipe(2, function(o) return ml.data.text_file(tmp, o) end),
}
for _, name in ipairs { "least_squares", "linear_attention", "lowrank", "sensing" } do
  L[name] = recipe(1, function(o) return ml.models[name](o) end)
end
for _, name in ipairs { "fashion_mnist", "fortunes", "synthetic_classes" } do
  L[name] = recipe(1, function(o) return ml.data[name](o) end)
end
for _, name in ipairs(ml.optim.names()) do
  if name ~= "group" then L[name] = recipe(1, function(o) return ml.optim[name](o) end) end
end
L.muonclip.base = { model = gpt }

-- load every module that registers a schema
for _, name in ipairs(ml.models.names()) do local _ = ml.models[name] end
for _, name in ipairs(ml.optim.names()) do local _ = ml.optim[name] end
local _ = ml.data.minibatches, ml.plot, ml.sweep, ml.muon_update

local function esc(s) return (s:gsub("%W", "%%%0")) end

-- The error of r's call with options o (r.base filled in), without its position; the position
-- must be this file (the caller's line).
local function raised(r, o)
  local full = {}
  for k, v in pairs(r.base or {}) do full[k] = v end
  for k, v in pairs(o) do full[k] = v end
  local ok, err = pcall(function() return r.call(full) end)
  assert.is_false(ok, "no error")
  err = tostring(err)
  local msg = err:match("^[^:\n]*option_errors_spec%.lua:%d+: (.*)$")
  assert.truthy(msg, "not raised at the caller's line: " .. err)
  return msg
end

-- a value whose type the option does not accept: the first of these its type text does not name
local WRONG = { { true, "boolean" }, { "x", "string" }, { {}, "table" }, { 1.5, "number" } }
local WORDS = { boolean = { "boolean" }, string = { "string", "name" }, table = { "table", "list", "pair", "{" },
  number = { "number", "integer" } }
local function wrong_for(text)
  for _, w in ipairs(WRONG) do
    local named = false
    for _, word in ipairs(WORDS[w[2]]) do named = named or text:find(word, 1, true) ~= nil end
    if not named then return w[1], w[2] end
  end
end

local function scan(kind, specs, recipes)
  local names = {}
  for fname in pairs(specs) do names[#names + 1] = fname end
  table.sort(names)
  for _, fname in ipairs(names) do
    local r = recipes[fname]
    it(("%s %s"):format(kind, fname), function()
      assert.truthy(r, ("no recipe for %s '%s': add one to %s"):format(kind, fname, "tests/lua/option_errors_spec.lua"))
      local shown = r.name or fname:match("[^:]+$")
      local head = ("^bad argument #%d to '%s' %%("):format(r.argn, esc(shown))
      local prefix = esc(r.prefix or "")
      local msg = raised(r, { zz_unknown = 1 })
      assert.truthy(msg:find(head .. "unknown option '" .. prefix .. "zz_unknown' %(expected one of: [^()]*%)%)$"), fname .. ": " .. msg)
      for _, key, v, t, text in specs[fname]() do
        if v ~= nil then
          msg = raised(r, { [key] = v })
          assert.truthy(msg:find(head .. "option '" .. prefix .. esc(key) .. "': .+ expected, got " .. t .. "%)$"),
            ("%s option %s (%s) given a %s: %s"):format(fname, key, text, t, msg))
        end
      end
    end)
  end
end

describe("one option error format, scanned over every registered option table", function()
  -- iterators over (key, type text) of each spec
  local cspecs, lspecs = {}, {}
  for fname, spec in pairs(core._optspec()) do
    cspecs[fname] = function()
      local i = 0
      return function()
        i = i + 1
        if spec[i] then
          local v, t = wrong_for(spec[i].type)
          return i, spec[i].name, v, t, spec[i].type
        end
      end
    end
  end
  for fname, schema in pairs(options.schemas) do
    lspecs[fname] = function()
      local keys, i = options.names(schema), 0
      return function()
        i = i + 1
        local key = keys[i]
        if not key then return nil end
        -- a value the checker refuses for its type (not for its value): "got <type>"
        for _, w in ipairs(WRONG) do
          local p = options.problem(key, schema[key], w[1])
          if p and p:find("got " .. w[2], 1, true) then return i, key, w[1], w[2], options.what(schema[key]) end
        end
        return i, key, nil, nil, options.what(schema[key])
      end
    end
  end
  scan("C function", cspecs, C)
  scan("Lua function", lspecs, L)

  it("covers every optimizer constructor", function()
    for _, name in ipairs(ml.optim.names()) do
      assert.truthy(options.schemas[name], "ml.optim." .. name .. " registers no option schema")
    end
  end)

  teardown(function()
    os.remove(tmp)
    os.remove(tmp .. ".d")
  end)
end)

-- Of several offending keys the least is reported (numbers, then other non-strings, then strings
-- in order), so one script raises one message from run to run; before, the first key pairs()
-- gave was reported, and pairs' order changes with the run (Lua seeds its string hashes).
describe("several offending options", function()
  local unknown = {}
  for c = string.byte("b"), string.byte("u") do unknown[#unknown + 1] = "zz" .. string.char(c) end

  -- opts built from keys inserted in a shuffled order, n times
  local function shuffled(keys, value, seed)
    local x, order = seed, {}
    for i = 1, #keys do order[i] = keys[i] end
    for i = #order, 2, -1 do
      x = (x * 1103515245 + 12345) % 2147483648   -- a small LCG: the test repeats exactly
      local j = x % i + 1
      order[i], order[j] = order[j], order[i]
    end
    local o = {}
    for _, k in ipairs(order) do o[k] = value(k) end
    return o
  end

  local calls = {
    { "ns (C)", function(o) return ml.ns(A, o) end, "steps", "coeffs" },
    { "muon (Lua)", function(o) return ml.optim.muon(o) end, "lr", "beta" },
  }
  it("says a list is not named options, and suggests no name for a number key", function()
    for _, c in ipairs(calls) do
      local ok, err = pcall(c[2], { 5 })
      assert.is_false(ok)
      assert.truthy(err:find("unknown option 1 (options are named, {name = value}, not a list; expected one of:", 1, true), err)
    end
    -- "7" is two edits from ml.rand's 'hi' and 'lo': a number key is not a misspelt name
    local ok, err = pcall(ml.rand, 2, 2, { [7] = 1 })
    assert.is_false(ok)
    assert.is_nil(err:find("did you mean", 1, true), err)
    assert.truthy(err:find("unknown option 7 (options are named", 1, true), err)
  end)

  for _, c in ipairs(calls) do
    it("names the least unknown key, then the least wrongly typed one: " .. c[1], function()
      for seed = 1, 10 do
        local o = shuffled(unknown, function() return 1 end, seed)
        local ok, err = pcall(c[2], o)
        assert.is_false(ok)
        assert.truthy(err:find("unknown option 'zzb'", 1, true), err)
        o[7] = true   -- a number key comes before the strings
        ok, err = pcall(c[2], o)
        assert.truthy(err:find("unknown option 7 (", 1, true), err)   -- unquoted: not the string '7'
        -- two known options of the wrong type (a boolean): the alphabetically first is named
        o = shuffled({ c[3], c[4] }, function() return true end, seed)
        ok, err = pcall(c[2], o)
        local first = c[3] < c[4] and c[3] or c[4]
        assert.truthy(err:find("option '" .. first .. "':", 1, true), err)
        -- an unknown key outranks a wrong value, whatever their names
        o = shuffled({ "zzz", c[3], "aaa_" .. c[4] }, function(k) return k == c[3] and true or 1 end, seed)
        ok, err = pcall(c[2], o)
        assert.truthy(err:find("unknown option 'aaa_" .. c[4] .. "'", 1, true), err)
        o = shuffled({ "zzz", c[3] }, function(k) return k == c[3] and true or 1 end, seed)
        ok, err = pcall(c[2], o)
        assert.truthy(err:find("unknown option 'zzz'", 1, true), err)
      end
    end)
  end
end)

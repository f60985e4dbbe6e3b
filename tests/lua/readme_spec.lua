-- The README's example scripts, run exactly as printed there (extracted from the Markdown, so
-- they cannot drift from the code): the first training loop, the custom optimizer and model,
-- and the optimizer README's loop.
local ml = require "muonlab"

-- The ```lua block whose first line is `-- <name>` in file `path`.
local function block(path, name)
  local f = assert(io.open(path))
  local text = f:read("a")
  f:close()
  for code in text:gmatch("```lua\n(.-)```") do
    if code:find("^%-%- " .. name:gsub("%p", "%%%0")) then return code end
  end
  error(("no ```lua block starting with '-- %s' in %s"):format(name, path))
end

-- Run a chunk with ml as a global and print captured; returns the printed lines.
local function run(code, name)
  local out = {}
  local env = setmetatable({ ml = ml, print = function(...)
    local t = table.pack(...)
    for i = 1, t.n do t[i] = tostring(t[i]) end
    out[#out + 1] = table.concat(t, "\t")
  end }, { __index = _G })
  local chunk = assert(load(code, "=" .. name, "t", env))
  chunk()
  return out
end

describe("README examples", function()
  it("the first training loop learns (Fashion-MNIST or its announced stand-in)", function()
    local out = run(block("README.md", "first_loop.lua"), "first_loop.lua")
    local loss, acc = out[#out]:match("test loss, accuracy\t(%S+)\t(%S+)")
    loss, acc = tonumber(loss), tonumber(acc)
    assert.is_number(loss, out[#out])
    -- 2 epochs of 2048 images (measured: 1.23, 0.70); chance is ln 10 = 2.30 and 10%: a run that
    -- learns is far from both, one that does not stays near them
    assert.is_true(loss < 1.6 and acc > 0.5, out[#out])
  end)

  it("the custom optimizer and model run and reduce the loss", function()
    local out = run(block("README.md", "custom.lua"), "custom.lua")
    local a, b = out[1]:match("loss (%S+) %-> (%S+)")
    assert.is_true(tonumber(b) < 0.9 * tonumber(a), out[1])
  end)

  it("the optimizer README's loop", function()
    local out = run(block("lua/muonlab/optim/README.md", "optim_example.lua"), "optim_example.lua")
    local gap = tonumber(out[1]:match("f %- f%* = (%S+)"))
    assert.is_true(gap >= 0 and gap < 1, out[1])
  end)
end)

-- Smoke tests of the GPT studies (experiments/gpt_*.lua, issue 10) with --quick in a child host,
-- as `make figures QUICK=1` runs them: exit status, the printed table, the CSV's columns and row
-- count (from the quick grid, stated beside each count), the PNG and SVG; gpt_train's checkpoint
-- resumes bit for bit; muonlab.checkpoint round trips. A few seconds of CPU.
local ml = require "muonlab"
local csv = require "muonlab.csv"
local checkpoint = require "muonlab.checkpoint"

local H = dofile("tests/lua/study_helper.lua")
local HOST, sh, slurp, count = H.HOST, H.sh, H.slurp, H.count
local tmp = H.tempdir(setup, teardown)

local function fortunes_installed()
  local f = io.open("/usr/share/games/fortunes/fortunes", "rb")
  if f then f:close() return true end
  return false
end

local function study(name)
  local stem = tmp() .. "/" .. name
  local rc, out = sh(("ML_PROGRESS=0 %s experiments/%s.lua --quick --out '%s'"):format(HOST, name, stem))
  assert(rc == 0, ("%s exited with %s:\n%s"):format(name, tostring(rc), out))
  assert.are.equal("\137PNG\r\n\26\n", (slurp(stem .. ".png") or ""):sub(1, 8))
  assert.truthy((slurp(stem .. ".svg") or ""):find("<svg", 1, true), name .. ": no SVG")
  local cols, rows = csv.read(stem .. ".csv")
  return out, cols, rows, stem
end

describe("GPT studies (--quick)", function()
  it("gpt_convergence: 8 optimizers, best of 2 rates, 2 seeds, 4 curve points each", function()
    if not fortunes_installed() then pending("fortunes not installed") return end
    local out, cols, rows = study("gpt_convergence")
    assert.are.same({ "optimizer", "lr", "seed", "step", "time", "loss", "status" }, cols)
    -- 8 optimizers x 2 seeds x (steps 0, 4, 8, 12), less points of diverged runs
    local runs = {}
    for _, r in ipairs(rows) do runs[r.optimizer .. "/" .. r.seed] = true end
    local n = 0
    for _ in pairs(runs) do n = n + 1 end
    assert.are.equal(8 * 2, n)
    assert.are.equal(8 * 2 * 4, #rows)
    for _, name in ipairs { "AdamW", "MuonClip", "TrasMuon", "NorMuon", "AdaGO", "MuonMax-Momo", "U S^1/2 V^T" } do
      assert.truthy(out:find(name, 1, true), name)
    end
    -- validation losses start near log(vocab) and decrease
    for _, r in ipairs(rows) do assert.is_true(r.loss > 0 and r.loss < 6) end
  end)

  it("gpt_max_logits: AdamW, Muon, Muon + QK-Clip; per-layer curves", function()
    if not fortunes_installed() then pending("fortunes not installed") return end
    local out, cols, rows = study("gpt_max_logits")
    assert.are.same({ "optimizer", "seed", "step", "layer1", "layer2" }, cols)
    -- 3 optimizers x 1 seed x steps 1, 3, 6, 9, 12
    assert.are.equal(3 * 5, #rows)
    assert.are.equal(5, count(rows, function(r) return r.optimizer == "muon_qkclip" end))
    assert.truthy(out:find("QK-Clip tau 30", 1, true))
  end)

  it("gpt_lr_transfer: 3 optimizers x 2 widths x 2 rates", function()
    if not fortunes_installed() then pending("fortunes not installed") return end
    local out, cols, rows = study("gpt_lr_transfer")
    assert.are.same({ "optimizer", "width", "lr", "loss", "runs", "diverged" }, cols)
    assert.are.equal(3 * 2 * 2, #rows)
    assert.truthy(out:find("scale moonlight", 1, true) and out:find("C = 32", 1, true))
  end)

  it("gpt_trasmuon: 5 variants x 2 seeds at their best of 2 rates, energy ratios over training", function()
    if not fortunes_installed() then pending("fortunes not installed") return end
    local out, cols, rows = study("gpt_trasmuon")
    assert.are.same({ "variant", "lr", "seed", "step", "energy_ratio", "val_loss" }, cols)
    -- 5 variants x 2 seeds x steps 0, 3, 6, 9, 12, each variant at one of its rates (base x 1 or x 4)
    assert.are.equal(5 * 2 * 5, #rows)
    local lr = {}
    for _, r in ipairs(rows) do
      assert.is_true(r.energy_ratio >= 1)   -- max / median
      lr[r.variant] = lr[r.variant] or r.lr
      assert.are.equal(lr[r.variant], r.lr)  -- one rate per variant
    end
    for v, x in pairs(lr) do
      local base = v == "muon" and 0.02 or 1e-3
      assert.is_true(math.abs(x - base) < 1e-12 or math.abs(x - 4 * base) < 1e-12, v .. " lr " .. x)
    end
    assert.truthy(out:find("no energy damping", 1, true) and out:find("at base lr", 1, true))
  end)
end)

describe("gpt_train", function()
  it("resumes from its checkpoint bit for bit, and refuses another configuration", function()
    if not fortunes_installed() then pending("fortunes not installed") return end
    local a, b = tmp() .. "/ck_a", tmp() .. "/ck_b"
    local run = function(dir, steps, extra)
      return sh(("%s experiments/gpt_train.lua --quick --steps %d --checkpoint '%s' --sample 20 %s")
        :format(HOST, steps, dir, extra or ""))
    end
    local rc, out = run(a, 10)
    assert.are.equal(0, rc, out)
    assert.truthy(out:find("step    10  loss [%d.]+  val [%d.]+ +%d+ tokens/s"), out)
    rc, out = run(a, 20)
    assert.are.equal(0, rc, out)
    assert.truthy(out:find("resumed from " .. a .. " at step 10", 1, true), out)
    assert.truthy(out:find("sample (temperature 0.8):", 1, true))
    rc, out = run(b, 20)
    assert.are.equal(0, rc, out)
    local ca, cb = checkpoint.load(a), checkpoint.load(b)
    assert.are.equal(20, ca.step)
    for i = 1, #ca.params do assert.are.equal(0, (ca.params[i] - cb.params[i]):norm("max")) end
    rc, out = run(b, 30, "--lr 0.5")
    assert.are_not.equal(0, rc)
    assert.truthy(out:find("was made with lr = 0.02, this run has 0.5", 1, true), out)
  end)
end)

describe("muonlab.checkpoint", function()
  it("round-trips matrices (dtype kept), numbers (NaN, inf, integers), strings and nested tables", function()
    local dir = tmp() .. "/ck"
    local t = { step = 7, lr = 0.1, name = "x\"y\n", flag = false, nan = 0 / 0, inf = -math.huge,
      list = { ml.randn(3, 2, { seed = 1 }), ml.ones(1, 4, { dtype = "float32" }), { deep = ml.eye(2) } } }
    checkpoint.save(dir, t)
    checkpoint.save(dir, t)   -- over an existing one
    local u = checkpoint.load(dir)
    assert.are.equal(7, u.step)
    assert.are.equal("integer", math.type(u.step))
    assert.are.equal(0.1, u.lr)
    assert.are.equal("x\"y\n", u.name)
    assert.is_false(u.flag)
    assert.is_true(u.nan ~= u.nan)
    assert.are.equal(-math.huge, u.inf)
    assert.are.equal(0, (u.list[1] - t.list[1]):norm("max"))
    assert.are.equal("float32", u.list[2]:dtype())
    assert.are.equal(0, (u.list[3].deep - ml.eye(2)):norm("max"))
    assert.is_nil(io.open(dir .. ".tmp/state.lua"))
  end)

  it("reports what it cannot save, and a missing checkpoint", function()
    local dir = tmp() .. "/bad"
    local ok, msg = pcall(checkpoint.save, dir, { a = { f = print } })
    assert.is_false(ok)
    assert.truthy(msg:find("checkpoint.a.f is a function", 1, true), msg)
    local cyc = {}
    cyc.me = cyc
    ok, msg = pcall(checkpoint.save, dir, cyc)
    assert.truthy(not ok and msg:find("refers back", 1, true), msg)
    assert.is_nil(io.open(dir .. "/state.lua"))
    local none, why = checkpoint.load(tmp() .. "/nothing")
    assert.is_nil(none)
    assert.truthy(why:find("no checkpoint in", 1, true))
  end)
end)

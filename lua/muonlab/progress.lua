-- muonlab.progress: one status line for long runs (step, loss, rate, time left) on stderr,
-- written at most every `interval` seconds.
--
--   local progress = require "muonlab.progress"
--   local p = progress.new{label = "convergence", total = 12000}   -- total steps of the whole study
--   for step = 1, n do ...; p:step(1, loss, "mlp/muon lr=0.01") end  -- one step done, its loss
--   p:done()                                                          -- final line, with the time taken
--
-- On a terminal the line is redrawn in place ("\r" + clear to end of line); into a file or a
-- pipe each update is a new line. Options: label, total (for the percentage and the time left;
-- may be nil), interval (seconds; default: env ML_PROGRESS, else 0.5; 0 silences the helper),
-- stream (default io.stderr), tty (true/false; default: `test -t 2`),
-- clock (a function returning seconds; default ml.now). The time left is the remaining units
-- divided by the mean rate since the first update.
local core = require "muonlab.core"

local M = {}
local Progress = {}
Progress.__index = Progress

local function clock_text(s)
  if s ~= s or s == math.huge then return "?" end
  s = math.floor(s + 0.5)
  if s >= 3600 then return ("%d:%02d:%02d"):format(s // 3600, s % 3600 // 60, s % 60) end
  return ("%d:%02d"):format(s // 60, s % 60)
end
M.clock_text = clock_text

local stderr_is_tty
local function is_tty()
  if stderr_is_tty == nil then stderr_is_tty = os.execute("test -t 2") == true end
  return stderr_is_tty
end

function M.new(opts)
  opts = opts or {}
  local interval = opts.interval or tonumber(os.getenv("ML_PROGRESS") or "") or 0.5
  local self = setmetatable({
    label = opts.label or "progress",
    total = opts.total,
    interval = interval,
    silent = interval <= 0,
    stream = opts.stream or io.stderr,
    clock = opts.clock or core.now,
    done_units = 0,
    last_print = -math.huge,
    width = 0,
  }, Progress)
  if opts.tty == nil then self.tty = not self.silent and self.stream == io.stderr and is_tty() else self.tty = opts.tty end
  self.t0 = self.clock()
  return self
end

-- The line as it would be printed now (also for tests).
function Progress:line()
  local now = self.clock()
  local elapsed = now - self.t0
  local parts = { self.label .. ":" }
  if self.total and self.total > 0 then
    parts[#parts + 1] = ("%d/%d (%d%%)"):format(self.done_units, self.total,
      math.floor(100 * self.done_units / self.total))
  else
    parts[#parts + 1] = tostring(self.done_units)
  end
  if self.what then parts[#parts + 1] = self.what end
  if self.loss then parts[#parts + 1] = ("loss %.4g"):format(self.loss) end
  local rate = elapsed > 0 and self.done_units / elapsed or 0
  parts[#parts + 1] = ("| %.3g steps/s"):format(rate)
  if self.total and rate > 0 then
    parts[#parts + 1] = ("| %s left"):format(clock_text(math.max(0, self.total - self.done_units) / rate))
  end
  parts[#parts + 1] = ("| %s elapsed"):format(clock_text(elapsed))
  return table.concat(parts, " ")
end

function Progress:emit(text, final)
  if self.tty then
    self.stream:write("\r", text, "\27[K", final and "\n" or "")
  else
    self.stream:write(text, "\n")
  end
  self.stream:flush()
end

-- n units done (default 1), the latest loss and a short description of what is running.
function Progress:step(n, loss, what)
  self.done_units = self.done_units + (n or 1)
  if self.total and self.done_units > self.total then self.total = self.done_units end   -- an estimate ran short
  if loss ~= nil then self.loss = loss end
  if what ~= nil then self.what = what end
  if self.silent then return end
  local now = self.clock()
  if now - self.last_print >= self.interval then
    self.last_print = now
    self:emit(self:line(), false)
  end
end

-- Print a message without breaking the status line (it is redrawn on the next update).
function Progress:note(msg)
  if self.silent then return end
  if self.tty then self.stream:write("\r\27[K") end
  self.stream:write(msg, "\n")
  self.stream:flush()
  self.last_print = -math.huge
end

-- The closing line: units done and the total time.
function Progress:done(msg)
  if self.silent then return end
  local text = ("%s: %d steps in %s"):format(self.label, self.done_units, clock_text(self.clock() - self.t0))
  self:emit(msg and (text .. " " .. msg) or text, true)
end

return M

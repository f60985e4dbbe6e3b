-- muonlab.models (ml.models): the training problems of the optimizer lab, each with its
-- forward and backward written out and a common interface (models/common.lua):
--   model:params(), model:grads(), model:param_info(), model:loss_grad(...), model:loss(...)
--
--   ml.models.least_squares{n=, d=, m=, cond=, noise=}   1/(2n) ||A W - B||^2, f* in closed form
--   ml.models.lowrank{m=, n=, rank=, k=}                 1/2 ||U V^T - M*||^2
--   ml.models.sensing{m=, n=, rank=, measurements=}      matrix sensing with Gaussian A_i
--   ml.models.mlp{sizes=, act=}                          MLP classifier, softmax cross-entropy
--   ml.models.char_mlp{vocab=, context=, embed=, hidden=} character-level language model
--   ml.models.gpt{vocab=, context=, layers=, heads=, embed=}  GPT-2 layout transformer language model
--   ml.models.linear_attention{d=, context=, sequences=, cond=}  in-context linear regression, one linear-attention layer
-- Loaded on first use.
local M = {}

local loaders = {
  least_squares = function() return require "muonlab.models.least_squares" end,
  lowrank = function() return require("muonlab.models.lowrank").lowrank end,
  sensing = function() return require("muonlab.models.lowrank").sensing end,
  mlp = function() return require "muonlab.models.mlp" end,
  char_mlp = function() return require "muonlab.models.char_mlp" end,
  gpt = function() return require "muonlab.models.gpt" end,
  linear_attention = function() return require "muonlab.models.linear_attention" end,
}

function M.names()
  local t = {}
  for k in pairs(loaders) do t[#t + 1] = k end
  table.sort(t)
  return t
end

return setmetatable(M, {
  __index = function(t, k)
    local load = loaders[k]
    if load then
      local v = load()
      rawset(t, k, v)
      return v
    end
  end,
})

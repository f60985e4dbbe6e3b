"""A plain PyTorch autograd GPT in the layout of ROUND2.md ("The GPT model"), float64: the
reference tests/lua/gpt_spec.lua compares ml.models.gpt with (loss, every gradient, max logits).

    python3 tests/torch/gpt_ref.py DIR

DIR holds config.txt (lines key=value: vocab, context, layers, heads, embed, norm, bias, tie,
act, names = the parameter names separated by commas), one <name>.npy per parameter and X.npy,
Y.npy (B x T token ids). Writes grad.<name>.npy per parameter, loss.npy (1 x 1) and
max_logits.npy (layers x heads). Written from the layout's description, not from muonlab's code.
"""
import math
import sys

import numpy as np
import torch


def main(d):
    cfg = dict(line.split("=", 1) for line in open(d + "/config.txt").read().split())
    V, L, H, C = (int(cfg[k]) for k in ("vocab", "layers", "heads", "embed"))
    layernorm, gelu = cfg["norm"] == "layernorm", cfg["act"] == "gelu"
    bias, tie = cfg["bias"] == "true", cfg["tie"] == "true"
    names = cfg["names"].split(",")
    P = {n: torch.tensor(np.load("%s/%s.npy" % (d, n)), dtype=torch.float64, requires_grad=True) for n in names}
    X = torch.from_numpy(np.load(d + "/X.npy")).long()
    Y = torch.from_numpy(np.load(d + "/Y.npy")).long()
    B, T = X.shape
    hs = C // H

    def norm(x, prefix):
        w = P[prefix + ".w"]
        if layernorm:
            mu = x.mean(-1, keepdim=True)
            var = ((x - mu) ** 2).mean(-1, keepdim=True)          # biased variance
            return (x - mu) / torch.sqrt(var + 1e-5) * w + P[prefix + ".b"]
        return x * w / torch.sqrt((x * x).mean(-1, keepdim=True) + 1e-5)

    def linear(x, prefix):
        y = x @ P[prefix + ".w"].T                                 # W is out x in
        return y + P[prefix + ".b"] if bias else y

    def act(f):
        if gelu:
            return 0.5 * f * (1 + torch.tanh(math.sqrt(2 / math.pi) * (f + 0.044715 * f ** 3)))
        return torch.relu(f) ** 2

    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    x = P["wte"][X] + P["wpe"][:T]
    max_logits = []
    for l in range(1, L + 1):
        h = "h.%d." % l
        qkv = linear(norm(x, h + "ln1"), h + "attn.qkv")          # B x T x 3C: q | k | v
        q, k, v = (t.reshape(B, T, H, hs).transpose(1, 2) for t in qkv.split(C, dim=-1))
        s = (q @ k.transpose(-2, -1)) / math.sqrt(hs)               # B x H x T x T
        s = s.masked_fill(~mask, float("-inf"))
        max_logits.append(s.detach().amax(dim=(0, 2, 3)))
        o = (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(B, T, C)
        x = x + linear(o, h + "attn.proj")
        x = x + linear(act(linear(norm(x, h + "ln2"), h + "mlp.fc")), h + "mlp.proj")
    logits = norm(x, "lnf") @ (P["wte"] if tie else P["head.w"]).T
    loss = torch.nn.functional.cross_entropy(logits.reshape(B * T, V), Y.reshape(B * T))
    loss.backward()
    for n in names:
        np.save("%s/grad.%s.npy" % (d, n), P[n].grad.numpy())
    np.save(d + "/loss.npy", np.array([[loss.item()]]))
    np.save(d + "/max_logits.npy", torch.stack(max_logits).numpy())


if __name__ == "__main__":
    main(sys.argv[1])

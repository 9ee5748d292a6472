"""Offline asset step 2 of 2: train Featurelab's bundled English LM and export it to ONNX.

Run scripts/lm/prepare-corpus.ts first (it writes <work>/{train,heldout}.u16 and the
tokenizer), then, with Debian's python3-torch (CPU):

    /usr/bin/python3 scripts/lm/train.py --work /tmp/featurelab-lm --minutes 18

Writes assets/model/model.onnx and <work>/train-report.json (figures for MODEL_CARD.md).
Nothing at Featurelab's run time needs Python; this script only rebuilds the asset.

The model is a GPT-style pre-LayerNorm decoder: learned positions, tied unembedding,
GELU MLP. Every training context is BOS followed by 127 corpus tokens, the same
layout Featurelab's harvester feeds it.
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from write_model_card import MODEL_DIR, write_card


class Block(nn.Module):
    def __init__(self, d, heads, d_mlp, ctx):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, d_mlp)
        self.out = nn.Linear(d_mlp, d)
        self.register_buffer("mask", torch.tril(torch.ones(ctx, ctx, dtype=torch.bool)), persistent=False)

    def attn(self, x):
        b, t, d = x.shape
        h = self.heads
        q, k, v = self.qkv(x).split(d, dim=2)
        q = q.view(b, t, h, d // h).transpose(1, 2)
        k = k.view(b, t, h, d // h).transpose(1, 2)
        v = v.view(b, t, h, d // h).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d // h))
        att = att.masked_fill(~self.mask[:t, :t], float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, d)
        return self.proj(y)

    def mlp(self, x):
        return self.out(F.gelu(self.fc(x)))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        x = x + self.mlp(self.ln2(x))
        return x


class GPT(nn.Module):
    def __init__(self, vocab, d, layers, heads, d_mlp, ctx):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(ctx, d)
        self.blocks = nn.ModuleList([Block(d, heads, d_mlp, ctx) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d)
        self.apply(self._init)
        for name, p in self.named_parameters():
            if name.endswith("proj.weight") or name.endswith("out.weight"):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * layers))

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)

    def forward(self, input_ids):
        t = input_ids.shape[1]
        pos = torch.arange(t, device=input_ids.device).unsqueeze(0)
        x = self.wte(input_ids) + self.wpe(pos)
        for blk in self.blocks:
            x = blk(x)
        return self.ln_f(x) @ self.wte.weight.t()


def contexts(tokens, ctx, bos, starts):
    """BOS + (ctx - 1) tokens from each start offset."""
    body = np.stack([tokens[s : s + ctx - 1] for s in starts]).astype(np.int64)
    return np.concatenate([np.full((len(starts), 1), bos, dtype=np.int64), body], axis=1)


def heldout_loss(model, tokens, ctx, bos, batch=32):
    """Mean next-token CE over non-overlapping BOS-prefixed held-out contexts; targets equal to BOS excluded."""
    starts = list(range(0, len(tokens) - ctx, ctx - 1))
    total, count = 0.0, 0
    model.eval()
    with torch.no_grad():
        for i in range(0, len(starts), batch):
            x = torch.from_numpy(contexts(tokens, ctx, bos, starts[i : i + batch]))
            logits = model(x)[:, :-1]
            y = x[:, 1:]
            ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="none")
            keep = (y.reshape(-1) != bos).float()
            total += float((ce * keep).sum())
            count += int(keep.sum())
    model.train()
    return total / count, count


def unigram_loss(train, held, vocab, bos):
    counts = np.bincount(train[train != bos], minlength=vocab).astype(np.float64) + 1.0  # add-one smoothing
    logp = np.log(counts / counts.sum())
    y = held[held != bos]
    return float(-logp[y].mean())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default="/tmp/featurelab-lm")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "assets", "model", "model.onnx"))
    ap.add_argument("--minutes", type=float, default=18.0)
    ap.add_argument("--d", type=int, default=128)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ctx", type=int, default=128)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--probe", action="store_true", help="time 10 steps and exit")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    meta = json.load(open(os.path.join(args.work, "meta.json")))
    vocab, bos = meta["vocabSize"], meta["bosId"]
    train = np.fromfile(os.path.join(args.work, "train.u16"), dtype=np.uint16).astype(np.int64)
    held = np.fromfile(os.path.join(args.work, "heldout.u16"), dtype=np.uint16).astype(np.int64)

    model = GPT(vocab, args.d, args.layers, args.heads, 4 * args.d, args.ctx)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"params {n_params}, train tokens {len(train)}, heldout tokens {len(held)}", flush=True)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.95))

    def step(lr):
        for g in opt.param_groups:
            g["lr"] = lr
        starts = rng.integers(0, len(train) - args.ctx, size=args.batch)
        x = torch.from_numpy(contexts(train, args.ctx, bos, starts))
        logits = model(x)[:, :-1]
        loss = F.cross_entropy(logits.reshape(-1, vocab), x[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return float(loss)

    t0 = time.time()
    for _ in range(10):
        step(args.lr * 0.1)
    per_step = (time.time() - t0) / 10
    print(f"{per_step:.3f} s/step at start; schedule runs on wall-clock time: {args.minutes} min", flush=True)
    if args.probe:
        return
    # The learning-rate schedule (5% linear warm-up, cosine to 10%) follows elapsed wall-clock
    # time rather than a step count, so training ends on time however busy the shared CPU is.
    budget = args.minutes * 60
    start = time.time()
    s = 0
    while True:
        frac = (time.time() - start) / budget
        if frac >= 1:
            break
        lr = args.lr * frac / 0.05 if frac < 0.05 else args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (frac - 0.05) / 0.95)))
        loss = step(lr)
        s += 1
        if s % 25 == 0:
            print(f"step {s} loss {loss:.3f} lr {lr:.2e} elapsed {time.time() - start:.0f}s", flush=True)
        if s % 200 == 0:
            torch.save(model.state_dict(), os.path.join(args.work, "checkpoint.pt"))
    total_steps = s
    train_seconds = time.time() - start

    ce, n_eval = heldout_loss(model, held, args.ctx, bos)
    uni = unigram_loss(train, held, vocab, bos)
    print(f"heldout CE {ce:.4f} (ppl {math.exp(ce):.1f}) vs unigram {uni:.4f} (ppl {math.exp(uni):.1f})", flush=True)

    model.eval()
    dummy = torch.from_numpy(contexts(held, args.ctx, bos, [0, 500]))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    torch.onnx.export(
        model,
        (dummy,),
        args.out,
        input_names=["input_ids"],
        output_names=["logits"],
        dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}},
        opset_version=14,
        do_constant_folding=True,
    )
    with torch.no_grad():
        reference = model(dummy)[:, :4, :8].numpy().tolist()
    report = {
        "params": n_params,
        "vocab": vocab,
        "d_model": args.d,
        "layers": args.layers,
        "heads": args.heads,
        "d_mlp": 4 * args.d,
        "ctx": args.ctx,
        "batch": args.batch,
        "lr": args.lr,
        "steps": total_steps,
        "train_tokens_seen": total_steps * args.batch * (args.ctx - 1),
        "train_corpus_tokens": int(len(train)),
        "train_seconds": round(train_seconds, 1),
        "threads": args.threads,
        "heldout_tokens": n_eval,
        "heldout_ce": ce,
        "heldout_ppl": math.exp(ce),
        "unigram_ce": uni,
        "unigram_ppl": math.exp(uni),
        "reference_input": dummy[:, :4].numpy().tolist(),
        "reference_logits_first4pos_first8": reference,
        "torch": torch.__version__,
        "onnx_bytes": os.path.getsize(args.out),
    }
    json.dump(report, open(os.path.join(args.work, "train-report.json"), "w"), indent=2)
    # PyTorch's own logits for a fixed input: Featurelab's tests check the ONNX export against them.
    reference = {"input_ids": report["reference_input"], "logits_first4pos_first8": report["reference_logits_first4pos_first8"]}
    json.dump(reference, open(os.path.join(os.path.dirname(os.path.abspath(args.out)), "reference.json"), "w"))
    print(json.dumps({k: v for k, v in report.items() if not k.startswith("reference")}, indent=2))
    if os.path.abspath(os.path.dirname(args.out)) == os.path.abspath(MODEL_DIR):
        write_card(args.work)


if __name__ == "__main__":
    main()

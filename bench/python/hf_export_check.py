#!/usr/bin/env python3
"""Loads a directory written by `tools/racro4j export-hf` with Hugging Face transformers and compares it with racro4j.

Inputs made by racro4j beforehand (see ../../README.md, "Commands"):
  DIR          the exported directory
  --prompt     a prompt of the task vocabulary
  --logits     the prompt's logits from `tools/racro4j generate --model DIR --prompt P --logits-out F.npy` (racro4j puts
               the bos token first, as the exported tokenizer's post-processor does)
  --ids        bos followed by `tools/racro4j tokenize --tokenizer DIR/tokenizer.json P`, space-separated
  --generated  the text `tools/racro4j generate --model DIR --prompt P --max-new-tokens N` printed (greedy), with
               the same N given as --max-new-tokens

Checks: PreTrainedTokenizerFast.from_pretrained(DIR)(P) gives --ids, decoding them gives P back; AutoModelForCausalLM
loads the weights and its logits agree with --logits (max |difference| is printed, at most --tol); greedy generate
gives --generated. Also prints what AutoTokenizer picks (transformers 5 gives qwen2 models its byte-level
Qwen2Tokenizer, which does not read a word-level tokenizer.json). Exit code 1 on a mismatch.
"""
import argparse, sys
import numpy as np
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedTokenizerFast

p = argparse.ArgumentParser()
p.add_argument("dir")
p.add_argument("--prompt", required=True)
p.add_argument("--logits", required=True)
p.add_argument("--ids", required=True)
p.add_argument("--generated", required=True)
p.add_argument("--max-new-tokens", type=int, default=8, help="as given to racro4j's generate")
p.add_argument("--tol", type=float, default=1e-4)
a = p.parse_args()

auto = AutoTokenizer.from_pretrained(a.dir)
print("AutoTokenizer:", type(auto).__name__, "ids", auto(a.prompt)["input_ids"])
tok = PreTrainedTokenizerFast.from_pretrained(a.dir)
ids = tok(a.prompt)["input_ids"]
want = [int(x) for x in a.ids.split()]
ok = True
print("PreTrainedTokenizerFast ids", ids, "same as racro4j" if ids == want else f"DIFFER from racro4j's {want}")
ok &= ids == want
back = tok.decode(ids, skip_special_tokens=True)
print("decoded:", repr(back))
ok &= back == " ".join(a.prompt.split())

model = AutoModelForCausalLM.from_pretrained(a.dir, dtype=torch.float32).eval()
print("model:", type(model).__name__, sum(p.numel() for p in model.parameters()), "parameters")
with torch.no_grad():
    logits = model(torch.tensor([ids])).logits[0].numpy()
ref = np.load(a.logits)
diff = float(np.abs(logits - ref).max()) if logits.shape == ref.shape else float("inf")
print(f"logits {logits.shape}: max |transformers - racro4j| = {diff:.3g} (largest |logit| {np.abs(ref).max():.3g})")
ok &= diff <= a.tol
with torch.no_grad():
    out = model.generate(torch.tensor([ids]), max_new_tokens=a.max_new_tokens, do_sample=False)
gen = tok.decode(out[0][len(ids):], skip_special_tokens=True)
print("greedy:", repr(gen), "racro4j:", repr(a.generated))
ok &= gen == a.generated
print("OK" if ok else "MISMATCH")
sys.exit(0 if ok else 1)

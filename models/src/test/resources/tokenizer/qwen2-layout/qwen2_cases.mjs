// Builds a Qwen2-layout tokenizer.json around GPT-2's vocabulary and merges, and encodes the test texts with
// Hugging Face's pure-JS tokenizer (@huggingface/tokenizers). Usage:
//   node qwen2_cases.mjs <gpt2 tokenizer.json> <texts.json> <qwen2-layout tokenizer.json to write> > ids.json
import { readFileSync, writeFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";

const [gpt2Path, textsPath, layoutPath] = process.argv.slice(2);
const root = JSON.parse(readFileSync(gpt2Path, "utf8"));

// Qwen2's split regex, as published in Qwen/Qwen2-0.5B's tokenizer.json.
const QWEN2_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false };

root.normalizer = { type: "NFC" };
root.pre_tokenizer = {
  type: "Sequence",
  pretokenizers: [
    { type: "Split", pattern: { Regex: QWEN2_REGEX }, behavior: "Isolated", invert: false },
    byteLevel,
  ],
};
root.decoder = byteLevel;
root.post_processor = null;
const special = (id, content) => ({
  id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
});
root.added_tokens = [special(50256, "<|endoftext|>"), special(50257, "<|im_start|>"), special(50258, "<|im_end|>")];
writeFileSync(layoutPath, JSON.stringify(root));

const tokenizer = new Tokenizer(root, {});
const texts = JSON.parse(readFileSync(textsPath, "utf8"));
const cases = texts.map((text) => ({ text, ids: tokenizer.encode(text, { add_special_tokens: false }).ids }));
process.stdout.write(JSON.stringify(cases) + "\n");

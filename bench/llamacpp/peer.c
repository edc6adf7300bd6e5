// The llama.cpp peer of racro4j's rollout benchmark and logits check, on llama.cpp's C API (llama.h) as built into
// the npm package @node-llama-cpp/linux-x64. setup.sh compiles it against the headers of the same llama.cpp commit
// (from the source bundle node-llama-cpp ships), so the structs passed by value match the library.
//
//   peer rollout MODEL.gguf --batch B --prompt-len P --new-tokens N [--group G] [--threads T] [--warmup W]
//                           [--repeats R] [--kv-type f32|f16] [--flash-attn off|on|auto] [--seed S]
//       B sequences in one context (one KV stream each), prefilled together in one llama_decode of B x P tokens
//       (with --group G: B/G prompts, each prefilled once and its KV cache copied to G-1 more sequences), then
//       N - 1 decode steps of B tokens each, one llama_decode per step, sampling every row at temperature 1 from its
//       logits (softmax over the whole vocabulary, as racro4j's rollout does). Prints one JSON line in the schema of
//       `tools/racro4j bench rollout`: medians over R timed runs after W untimed ones.
//   peer logits MODEL.gguf [--threads T] ID ID ...
//       The logits of the last position of one sequence of token ids, as one JSON line.
//
// The KV cache is F32 unless --kv-type f16 (llama.cpp's own default is F16), and flash attention is off unless
// --flash-attn on|auto (llama.cpp's default is auto, which turns it on for the CPU): racro4j keeps its cache in F32
// and computes attention in F32, while llama.cpp's CPU flash attention rounds through F16 inside.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef PEER_LIB_DIR
#error "compile with -DPEER_LIB_DIR=... and -DPEER_VERSION=... (setup.sh does)"
#endif

#include "ggml-backend.h"
#include "llama.h"

static void quiet_log(enum ggml_log_level level, const char * text, void * user) {
    (void) user;
    if (level == GGML_LOG_LEVEL_ERROR || getenv("PEER_VERBOSE")) fputs(text, stderr);
}

static void die(const char * what) {
    fprintf(stderr, "llama.cpp peer: %s\n", what);
    exit(2);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void * a, const void * b) {
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static double median(double * x, int n) {
    qsort(x, n, sizeof(double), cmp_double);
    return x[n / 2];
}

// xorshift64*: a seeded generator for prompts and sampling (the values differ from racro4j's; only the work matters)
static uint64_t rng_state = 2;
static double next_uniform(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return ((rng_state * 2685821657736338717ULL) >> 11) * 0x1.0p-53;
}

// A sample from softmax(logits) (temperature 1).
static llama_token sample(const float * logits, int n_vocab) {
    float max = logits[0];
    for (int i = 1; i < n_vocab; i++) if (logits[i] > max) max = logits[i];
    double sum = 0;
    for (int i = 0; i < n_vocab; i++) sum += exp(logits[i] - max);
    double u = next_uniform() * sum, acc = 0;
    for (int i = 0; i < n_vocab; i++) {
        acc += exp(logits[i] - max);
        if (acc >= u) return i;
    }
    return n_vocab - 1;
}

static int int_arg(int argc, char ** argv, const char * name, int fallback) {
    for (int i = 0; i < argc - 1; i++) {
        if (strcmp(argv[i], name) == 0) {
            char * end;
            long v = strtol(argv[i + 1], &end, 10);
            if (*end || v < 0 || v > 1 << 30) {
                fprintf(stderr, "llama.cpp peer: %s %s is not a non-negative integer\n", name, argv[i + 1]);
                exit(2);
            }
            return (int) v;
        }
    }
    return fallback;
}

static const char * str_arg(int argc, char ** argv, const char * name, const char * fallback) {
    for (int i = 0; i < argc - 1; i++) if (strcmp(argv[i], name) == 0) return argv[i + 1];
    return fallback;
}

static struct llama_model * load_model(const char * path) {
    const char * libs = getenv("LLAMA_LIB_DIR") ? getenv("LLAMA_LIB_DIR") : PEER_LIB_DIR;   // setup.sh compiles the path in
    ggml_backend_load_all_from_path(libs);   // picks the CPU variant that suits this machine
    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    struct llama_model * model = llama_model_load_from_file(path, mp);
    if (!model) {
        fprintf(stderr, "llama.cpp peer: cannot load %s (run with PEER_VERBOSE=1 for llama.cpp's log)\n", path);
        exit(2);
    }
    return model;
}

static struct llama_context * new_context(struct llama_model * model, int seqs, int ctx_per_seq, int batch, int threads,
                                          enum ggml_type kv, enum llama_flash_attn_type flash_attn) {
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t) seqs * ctx_per_seq;
    cp.n_batch = batch;
    cp.n_ubatch = batch;
    cp.n_seq_max = seqs;
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    cp.type_k = kv;
    cp.type_v = kv;
    cp.no_perf = true;
    cp.flash_attn_type = flash_attn;
    struct llama_context * ctx = llama_init_from_model(model, cp);
    if (!ctx) die("cannot create the context (PEER_VERBOSE=1 shows why)");
    return ctx;
}

static void add(struct llama_batch * b, llama_token t, llama_pos pos, llama_seq_id seq, int8_t want_logits) {
    int i = b->n_tokens++;
    b->token[i] = t;
    b->pos[i] = pos;
    b->n_seq_id[i] = 1;
    b->seq_id[i][0] = seq;
    b->logits[i] = want_logits;
}

// The type of the model's matrices, from general.file_type (llama.cpp's llama_ftype: 0 F32, 1 F16, 32 BF16).
static const char * file_type(const struct llama_model * model) {
    char buf[32];
    if (llama_model_meta_val_str(model, "general.file_type", buf, sizeof buf) < 0) return "unknown";
    int t = atoi(buf);
    return t == 0 ? "f32" : t == 1 ? "f16" : t == 32 ? "bf16" : "other";
}

static int rollout(int argc, char ** argv) {
    const char * path = argv[2];
    int batch = int_arg(argc, argv, "--batch", 0), prompt_len = int_arg(argc, argv, "--prompt-len", 0);
    int new_tokens = int_arg(argc, argv, "--new-tokens", 0), group = int_arg(argc, argv, "--group", 1);
    int threads = int_arg(argc, argv, "--threads", 1), warmup = int_arg(argc, argv, "--warmup", 1);
    int repeats = int_arg(argc, argv, "--repeats", 3);
    rng_state = 0x9E3779B97F4A7C15ULL ^ (uint64_t) int_arg(argc, argv, "--seed", 2);
    const char * kv_name = str_arg(argc, argv, "--kv-type", "f32");
    const char * fa_name = str_arg(argc, argv, "--flash-attn", "off");
    enum llama_flash_attn_type flash_attn = strcmp(fa_name, "on") == 0 ? LLAMA_FLASH_ATTN_TYPE_ENABLED
                                          : strcmp(fa_name, "auto") == 0 ? LLAMA_FLASH_ATTN_TYPE_AUTO
                                          : LLAMA_FLASH_ATTN_TYPE_DISABLED;
    if (strcmp(fa_name, "on") && strcmp(fa_name, "off") && strcmp(fa_name, "auto")) die("--flash-attn must be on, off or auto");
    if (batch < 1 || prompt_len < 1 || new_tokens < 2 || repeats < 1 || threads < 1) {
        die("need --batch >= 1, --prompt-len >= 1, --new-tokens >= 2, --repeats >= 1, --threads >= 1");
    }
    if (group < 1 || batch % group) die("--group must be at least 1 and divide --batch");
    enum ggml_type kv = strcmp(kv_name, "f16") == 0 ? GGML_TYPE_F16 : GGML_TYPE_F32;
    if (strcmp(kv_name, "f16") && strcmp(kv_name, "f32")) die("--kv-type must be f32 or f16");

    struct llama_model * model = load_model(path);
    int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
    int prompts = batch / group;
    int prefill_tokens = prompts * prompt_len;
    struct llama_context * ctx = new_context(model, batch, prompt_len + new_tokens,
                                             prefill_tokens > batch ? prefill_tokens : batch, threads, kv, flash_attn);
    llama_memory_t mem = llama_get_memory(ctx);
    struct llama_batch b = llama_batch_init(prefill_tokens > batch ? prefill_tokens : batch, 0, 1);
    llama_token * prompt = malloc(sizeof(llama_token) * prefill_tokens);
    llama_token * next = malloc(sizeof(llama_token) * batch);
    for (int i = 0; i < prefill_tokens; i++) prompt[i] = (llama_token) (next_uniform() * n_vocab);

    double * prefill_s = calloc(repeats, sizeof(double)), * total_s = calloc(repeats, sizeof(double));
    for (int r = 0; r < warmup + repeats; r++) {
        llama_memory_clear(mem, true);
        double t0 = now();
        // prompt p goes into sequence p * group; its cache is then copied to the group's other sequences
        b.n_tokens = 0;
        for (int p = 0; p < prompts; p++) {
            for (int i = 0; i < prompt_len; i++) add(&b, prompt[p * prompt_len + i], i, p * group, i == prompt_len - 1);
        }
        if (llama_decode(ctx, b) != 0) die("llama_decode failed in the prefill");
        for (int p = 0; p < prompts; p++) {
            for (int k = 1; k < group; k++) llama_memory_seq_cp(mem, p * group, p * group + k, -1, -1);
            const float * logits = llama_get_logits_ith(ctx, (p + 1) * prompt_len - 1);
            for (int k = 0; k < group; k++) next[p * group + k] = sample(logits, n_vocab);
        }
        llama_synchronize(ctx);
        double t1 = now();
        for (int step = 1; step < new_tokens; step++) {
            b.n_tokens = 0;
            for (int s = 0; s < batch; s++) add(&b, next[s], prompt_len + step - 1, s, 1);
            if (llama_decode(ctx, b) != 0) die("llama_decode failed in a decode step");
            for (int s = 0; s < batch; s++) next[s] = sample(llama_get_logits_ith(ctx, s), n_vocab);
        }
        double t2 = now();
        if (r >= warmup) {
            prefill_s[r - warmup] = t1 - t0;
            total_s[r - warmup] = t2 - t0;
        }
    }
    double pre = median(prefill_s, repeats), tot = median(total_s, repeats);
    double decode = tot - pre > 1e-9 ? tot - pre : 1e-9;
    printf("{\"bench\":\"rollout\",\"impl\":\"llama.cpp %s\",\"device\":\"cpu\",\"dtype\":\"%s\",\"kv_type\":\"%s\","
           "\"flash_attn\":\"%s\",\"sampling\":\"temperature 1\",\"layers\":%d,\"dim\":%d,\"heads\":%d,\"kv_heads\":%d,\"vocab\":%d,"
           "\"batch\":%d,\"prompt_len\":%d,\"new_tokens\":%d,\"prefill_tokens_per_s\":%.1f,\"decode_tokens_per_s\":%.1f,"
           "\"seconds\":%.3f,\"threads\":%d",
           PEER_VERSION, file_type(model),
           kv_name, fa_name, llama_model_n_layer(model), llama_model_n_embd(model), llama_model_n_head(model),
           llama_model_n_head_kv(model), n_vocab, batch, prompt_len, new_tokens, batch * prompt_len / pre,
           batch * (double) (new_tokens - 1) / decode, tot, threads);
    if (group > 1) printf(",\"group\":%d", group);
    printf("}\n");
    llama_batch_free(b);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}

static int logits(int argc, char ** argv) {
    const char * path = argv[2];
    int threads = int_arg(argc, argv, "--threads", 1);
    int n = 0;
    llama_token * ids = malloc(sizeof(llama_token) * argc);
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0) { i++; continue; }
        char * end;
        long v = strtol(argv[i], &end, 10);
        if (*end || v < 0) die("token ids must be non-negative integers");
        ids[n++] = (llama_token) v;
    }
    if (n == 0) die("give the prompt as token ids");
    struct llama_model * model = load_model(path);
    int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
    for (int i = 0; i < n; i++) if (ids[i] >= n_vocab) die("a token id is not below the vocabulary size");
    // Flash attention off: llama.cpp's CPU flash attention rounds through F16 inside (the logits of a random
    // model moved by 1.6e-4 with it, 1e-7 without), and the check is of the F32 model, not of that rounding.
    struct llama_context * ctx = new_context(model, 1, n, n, threads, GGML_TYPE_F32, LLAMA_FLASH_ATTN_TYPE_DISABLED);
    struct llama_batch b = llama_batch_init(n, 0, 1);
    for (int i = 0; i < n; i++) add(&b, ids[i], i, 0, i == n - 1);
    if (llama_decode(ctx, b) != 0) die("llama_decode failed");
    const float * out = llama_get_logits_ith(ctx, n - 1);
    printf("{\"impl\":\"llama.cpp\",\"n_vocab\":%d,\"logits\":[", n_vocab);
    for (int i = 0; i < n_vocab; i++) printf(i ? ",%.9g" : "%.9g", out[i]);
    printf("]}\n");
    llama_batch_free(b);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}

int main(int argc, char ** argv) {
    if (argc < 3) die("usage: peer rollout|logits MODEL.gguf ...");
    llama_log_set(quiet_log, NULL);
    llama_backend_init();
    int rc = strcmp(argv[1], "rollout") == 0 ? rollout(argc, argv)
           : strcmp(argv[1], "logits") == 0 ? logits(argc, argv)
           : (die("the first argument must be rollout or logits"), 2);
    llama_backend_free();
    return rc;
}

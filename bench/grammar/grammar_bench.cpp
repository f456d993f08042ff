// Per-token cost of grammar-constrained decoding (docs/PERFORMANCE.md, "Grammar").
//
// Workload: a JSON-schema grammar (a person record: strings, enum, integer range, nested object,
// arrays, a date) and one valid output, split into tokens greedily (longest match) with each
// vocabulary. Every benchmark walks that token sequence; figures are per token.
// Vocabularies: "512" (256 bytes + 256 JSON-ish pieces) and "128k" (llama-3's 128256 byte-level
// BPE tokens read from ../shared/golden/tokenizer/ggml-vocab-llama-bpe.gguf; a synthetic 128k
// vocabulary when that file is absent).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "sampling/grammar/grammar_matcher.h"
#include "sampling/grammar/json_schema.h"
#include "sampling/sampler.h"
#ifdef PLEXUS_BENCH_HAS_GGUF
#include "gguf/gguf_file.h"
#endif

namespace plexus::sampling::grammar {
namespace {

constexpr const char* kSchema = R"({
  "type": "object",
  "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 80},
    "age": {"type": "integer", "minimum": 0, "maximum": 150},
    "email": {"type": "string", "format": "email"},
    "status": {"enum": ["active", "inactive", "banned"]},
    "born": {"type": "string", "format": "date"},
    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 8},
    "address": {"type": "object", "properties": {
        "street": {"type": "string"}, "city": {"type": "string"}, "zip": {"type": "string", "pattern": "^[A-Z0-9 ]{3,10}$"}},
      "required": ["street", "city"]},
    "scores": {"type": "array", "items": {"type": "number"}}
  },
  "required": ["name", "age", "status"]
})";

constexpr const char* kOutput =
    R"({"name":"Ada Lovelace, Countess of Lovelace","age":36,"status":"active","email":"ada@example.com",)"
    R"("born":"1815-12-10","tags":["mathematics","poetical science","analytical engine"],)"
    R"("address":{"street":"12 St James's Square","city":"London","zip":"SW1Y 4JH"},"scores":[98.5,87,91.25]})";

struct BenchVocab {
  std::vector<std::string> tokens;
  std::vector<int32_t> eog;
  std::string source;
};

BenchVocab small_vocab() {
  BenchVocab v;
  for (int b = 0; b < 256; ++b) v.tokens.push_back(std::string(1, static_cast<char>(b)));
  const char* pieces[] = {"{\"", "\":", "\",\"", "\"}", "\":\"", "\",", "},", "}}", "[\"", "\"]", "true", "false", "null",
                          "name", "age", "status", "email", "born", "tags", "address", "street", "city", "zip",
                          "scores", "active", "inactive", "ing", "tion", "the", "and", "Love", "lace", "ada", "example",
                          ".com", "Count", "ess", "of", "math", "ematics", "poet", "ical", "science", "analy", "engine",
                          "Square", "London", "James", "St", " 1", "12", "18", "98", "87", "91", ".5", ".25", "-1",
                          "-10", "SW", "4J", " the", " of", " a", "er", "in", "on", "re", "an", "en", "at", "es", "ed",
                          "or", "ar", "al", "is", "it", "st", "le", "ou", "ic", "ro", "ent", "ion", "al ", ", ", ": "};
  for (const char* p : pieces) v.tokens.push_back(p);
  std::mt19937 rng(5);
  while (v.tokens.size() < 511) {  // pad with two-letter pieces
    std::string t = {static_cast<char>('a' + rng() % 26), static_cast<char>('a' + rng() % 26)};
    v.tokens.push_back(t);
  }
  v.tokens.push_back("</s>");
  v.eog.push_back(511);
  v.source = "synthetic 512";
  return v;
}

#ifdef PLEXUS_BENCH_HAS_GGUF
// GPT-2 byte-level BPE spells byte b as a printable code point; this undoes it.
std::vector<int> unicode_to_byte_table() {
  std::vector<int> table(512, -1);
  int extra = 0;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    table[static_cast<size_t>(printable ? b : 256 + extra++)] = b;
  }
  return table;
}

bool llama_vocab(BenchVocab* v) {
  const char* env = std::getenv("PLEXUS_SHARED_DIR");
  const std::filesystem::path path = std::filesystem::path(env && *env ? env : PLEXUS_DEFAULT_SHARED_DIR) / "golden" /
                                     "tokenizer" / "ggml-vocab-llama-bpe.gguf";
  auto file = gguf::GgufFile::open(path.string());
  if (!file.ok()) return false;
  auto texts = (*file)->get_array("tokenizer.ggml.tokens", gguf::value_type::string);
  auto types = (*file)->get_array("tokenizer.ggml.token_type", gguf::value_type::i32);
  if (!texts.ok() || !types.ok() || (*texts)->size() != (*types)->size()) return false;
  const std::vector<int> table = unicode_to_byte_table();
  for (size_t i = 0; i < (*texts)->size(); ++i) {
    const std::string_view text = (**texts)[i].str;
    std::string bytes;
    const int64_t type = (**types)[i].scalar.i;
    for (size_t p = 0; p < text.size() && type != 3;) {  // control tokens: never text
      const auto c = static_cast<unsigned char>(text[p]);
      const int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      uint32_t cp = len == 1 ? c : c & (0x7Fu >> len);
      for (int k = 1; k < len && p + static_cast<size_t>(k) < text.size(); ++k) cp = (cp << 6) | (text[p + static_cast<size_t>(k)] & 0x3F);
      p += static_cast<size_t>(len);
      if (cp < table.size() && table[cp] >= 0) bytes.push_back(static_cast<char>(table[cp]));
    }
    v->tokens.push_back(bytes);
  }
  for (const char* key : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"}) {
    auto id = (*file)->get_uint(key);
    if (id.ok() && *id < v->tokens.size()) v->eog.push_back(static_cast<int32_t>(*id));
  }
  v->source = "llama-bpe (128256 tokens)";
  return true;
}
#endif

// Random words and fragments with a realistic length distribution.
BenchVocab synthetic_large_vocab() {
  BenchVocab v = small_vocab();
  v.tokens.pop_back();
  v.eog.clear();
  std::unordered_set<std::string> seen(v.tokens.begin(), v.tokens.end());
  std::mt19937 rng(11);
  const char* alphabet = "etaoinshrdlucmfwypvbgkjqxzETAOINSHRDLU0123456789 _-.,:\"{}[]";
  while (v.tokens.size() < 128000) {
    std::string t = rng() % 3 == 0 ? " " : "";
    for (size_t n = 2 + rng() % 9; t.size() < n;) t.push_back(alphabet[rng() % 60]);
    if (seen.insert(t).second) v.tokens.push_back(t);
  }
  v.tokens.push_back("</s>");
  v.eog.push_back(static_cast<int32_t>(v.tokens.size() - 1));
  v.source = "synthetic 128k";
  return v;
}

struct Fixture {
  std::shared_ptr<const Grammar> grammar;
  std::shared_ptr<const GrammarVocab> vocab;
  std::vector<int32_t> trajectory;  // kOutput as tokens, then end-of-generation
  std::string source;
};

std::vector<int32_t> greedy_tokenize(const BenchVocab& v, const std::string& text) {
  std::unordered_map<std::string, int32_t> index;
  size_t longest = 1;
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    if (v.tokens[i].empty() || std::find(v.eog.begin(), v.eog.end(), static_cast<int32_t>(i)) != v.eog.end()) continue;
    index.emplace(v.tokens[i], static_cast<int32_t>(i));
    longest = std::max(longest, v.tokens[i].size());
  }
  std::vector<int32_t> out;
  for (size_t p = 0; p < text.size();) {
    for (size_t n = std::min(longest, text.size() - p); n > 0; --n) {
      auto it = index.find(text.substr(p, n));
      if (it != index.end()) {
        out.push_back(it->second);
        p += n;
        break;
      }
      if (n == 1) std::abort();  // every vocabulary here has all single bytes
    }
  }
  return out;
}

const Fixture& fixture(bool large) {
  static std::unique_ptr<Fixture> cache[2];
  std::unique_ptr<Fixture>& f = cache[large ? 1 : 0];
  if (f) return *f;
  BenchVocab v;
  if (large) {
#ifdef PLEXUS_BENCH_HAS_GGUF
    if (!llama_vocab(&v)) v = synthetic_large_vocab();
#else
    v = synthetic_large_vocab();
#endif
  } else {
    v = small_vocab();
  }
  f = std::make_unique<Fixture>();
  f->source = v.source;
  f->trajectory = greedy_tokenize(v, kOutput);
  f->trajectory.push_back(v.eog.at(0));
  auto compiled = json_schema_to_gbnf(kSchema);
  if (!compiled.ok()) std::abort();
  f->grammar = compiled->grammar;
  auto built = GrammarVocab::build(v.tokens, v.eog);
  if (!built.ok()) std::abort();
  f->vocab = *built;
  std::fprintf(stderr, "vocab %s: %d tokens, %zu trie nodes; output = %zu tokens\n", f->source.c_str(),
               f->vocab->n_vocab(), f->vocab->n_nodes(), f->trajectory.size());
  return *f;
}

void set_per_token(benchmark::State& state, size_t tokens_per_iteration) {
  state.counters["per_token"] = benchmark::Counter(static_cast<double>(tokens_per_iteration),
                                                   benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

std::unique_ptr<GrammarMatcher> new_matcher(const Fixture& f, size_t cache_bytes) {
  MatcherOptions options;
  options.mask_cache_bytes = cache_bytes;
  auto m = GrammarMatcher::create(f.grammar, f.vocab, options);
  if (!m.ok()) std::abort();
  return std::move(m).value();
}

// Full mask + accept for every token; the matcher (and its automaton) persists across
// iterations, masks are not cached: the steady-state cost of one trie walk per token.
void BM_MaskWalk(benchmark::State& state) {
  const Fixture& f = fixture(state.range(0) != 0);
  auto m = new_matcher(f, 0);
  TokenMask mask;
  for (auto _ : state) {
    m->reset();
    for (int32_t id : f.trajectory) {
      (void)m->fill_mask(mask);
      benchmark::DoNotOptimize(mask.words().data());
      if (!m->accept_token(id).ok()) std::abort();
    }
  }
  set_per_token(state, f.trajectory.size());
}

double thread_cpu_us() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

// A fresh matcher per output: every automaton state is built for the first time. Also reports
// the slowest single fill_mask (thread CPU time, so preemption on a busy machine does not count).
void BM_MaskCold(benchmark::State& state) {
  const Fixture& f = fixture(state.range(0) != 0);
  TokenMask mask;
  double worst = 0;
  for (auto _ : state) {
    auto m = new_matcher(f, 0);
    for (int32_t id : f.trajectory) {
      const double start = thread_cpu_us();
      (void)m->fill_mask(mask);
      worst = std::max(worst, thread_cpu_us() - start);
      benchmark::DoNotOptimize(mask.words().data());
      if (!m->accept_token(id).ok()) std::abort();
    }
  }
  set_per_token(state, f.trajectory.size());
  state.counters["worst_step_us"] = worst;
}

// Mask cache on (the default): states seen before cost a copy of their mask.
void BM_MaskCached(benchmark::State& state) {
  const Fixture& f = fixture(state.range(0) != 0);
  auto m = new_matcher(f, 16u << 20);
  TokenMask mask;
  for (auto _ : state) {
    m->reset();
    for (int32_t id : f.trajectory) {
      (void)m->fill_mask(mask);
      benchmark::DoNotOptimize(mask.words().data());
      if (!m->accept_token(id).ok()) std::abort();
    }
  }
  set_per_token(state, f.trajectory.size());
}

std::vector<float> random_logits(int32_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::vector<float> logits(static_cast<size_t>(n));
  for (float& x : logits) x = normal(rng);
  return logits;
}

SamplingParams sampling_params() {
  SamplingParams p;
  p.temperature = 0.8f;
  p.top_k = 40;
  p.top_p = 0.95f;
  p.min_p = 0.05f;
  p.seed = 1;
  return p;
}

// Baseline: one unconstrained sampler step over the vocabulary's logits (copied first, as the
// constrained benchmarks copy them before masking).
void BM_SampleUnconstrained(benchmark::State& state) {
  const Fixture& f = fixture(state.range(0) != 0);
  const std::vector<float> logits = random_logits(f.vocab->n_vocab(), 3);
  std::vector<float> work(logits.size());
  Sampler sampler(sampling_params());
  for (auto _ : state) {
    for (size_t t = 0; t < f.trajectory.size(); ++t) {
      std::copy(logits.begin(), logits.end(), work.begin());
      benchmark::DoNotOptimize(sampler.sample(work, {}));
    }
  }
  set_per_token(state, f.trajectory.size());
}

// Sampler alone on logits already masked at the trajectory's states (no grammar work): shows
// how the sampler itself reacts to -inf entries.
void BM_SampleOnMaskedLogits(benchmark::State& state) {
  const Fixture& f = fixture(state.range(0) != 0);
  const std::vector<float> logits = random_logits(f.vocab->n_vocab(), 3);
  std::vector<std::vector<float>> masked;
  auto m = new_matcher(f, 0);
  for (int32_t id : f.trajectory) {
    masked.push_back(logits);
    (void)m->apply(masked.back());
    if (!m->accept_token(id).ok()) std::abort();
  }
  Sampler sampler(sampling_params());
  for (auto _ : state) {
    for (const auto& l : masked) benchmark::DoNotOptimize(sampler.sample(l, {}));
  }
  set_per_token(state, f.trajectory.size());
}

// Constrained step, full mask: copy logits, mask them, sample, accept the
// trajectory's token (so that the grammar state follows the fixed output).
void BM_SampleMasked(benchmark::State& state) {
  const Fixture& f = fixture(state.range(0) != 0);
  const std::vector<float> logits = random_logits(f.vocab->n_vocab(), 3);
  std::vector<float> work(logits.size());
  Sampler sampler(sampling_params());
  auto m = new_matcher(f, state.range(1) != 0 ? 16u << 20 : 0);
  for (auto _ : state) {
    m->reset();
    for (int32_t id : f.trajectory) {
      std::copy(logits.begin(), logits.end(), work.begin());
      (void)m->apply(work);
      benchmark::DoNotOptimize(sampler.sample(work, {}));
      if (!m->accept_token(id).ok()) std::abort();
    }
  }
  set_per_token(state, f.trajectory.size());
}

// Constrained step, fast path: sample unmasked, check that one token; on rejection mask and
// sample again. The logits favour the trajectory's token, as a model that follows the format
// would, except on every 4th step, where the draw is random and usually rejected.
void BM_SampleFastPath(benchmark::State& state) {
  const Fixture& f = fixture(state.range(0) != 0);
  const std::vector<float> base = random_logits(f.vocab->n_vocab(), 3);
  std::vector<float> work(base.size());
  Sampler sampler(sampling_params());
  auto m = new_matcher(f, state.range(1) != 0 ? 16u << 20 : 0);
  for (auto _ : state) {
    m->reset();
    for (size_t t = 0; t < f.trajectory.size(); ++t) {
      const int32_t id = f.trajectory[t];
      std::copy(base.begin(), base.end(), work.begin());
      if (t % 4 != 0) work[static_cast<size_t>(id)] = 40.0f;
      int32_t drawn = sampler.sample(work, {});
      if (!m->token_allowed(drawn)) {
        (void)m->apply(work);
        drawn = sampler.sample(work, {});
      }
      benchmark::DoNotOptimize(drawn);
      if (!m->accept_token(id).ok()) std::abort();
    }
  }
  set_per_token(state, f.trajectory.size());
}

void BM_VocabBuild(benchmark::State& state) {
  const Fixture& f = fixture(state.range(0) != 0);
  std::vector<std::string> tokens;
  for (int32_t i = 0; i < f.vocab->n_vocab(); ++i) tokens.emplace_back(f.vocab->token_bytes(i));
  for (auto _ : state) {
    auto v = GrammarVocab::build(tokens, f.vocab->eog_ids());
    benchmark::DoNotOptimize(v.ok());
  }
}

void BM_SchemaCompile(benchmark::State& state) {
  for (auto _ : state) {
    auto g = json_schema_to_gbnf(kSchema);
    benchmark::DoNotOptimize(g.ok());
  }
}

#define VOCABS ArgName("large")->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)
BENCHMARK(BM_SampleUnconstrained)->VOCABS;
BENCHMARK(BM_SampleOnMaskedLogits)->VOCABS;
// Second argument: mask cache on (1) or off (0).
#define VOCABS_CACHE ArgNames({"large", "cache"})->ArgsProduct({{0, 1}, {1, 0}})->Unit(benchmark::kMicrosecond)
BENCHMARK(BM_SampleMasked)->VOCABS_CACHE;
BENCHMARK(BM_SampleFastPath)->VOCABS_CACHE;
BENCHMARK(BM_MaskCached)->VOCABS;
BENCHMARK(BM_MaskWalk)->VOCABS;
BENCHMARK(BM_MaskCold)->VOCABS;
BENCHMARK(BM_VocabBuild)->VOCABS;
BENCHMARK(BM_SchemaCompile)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace plexus::sampling::grammar

BENCHMARK_MAIN();

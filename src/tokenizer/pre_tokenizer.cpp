#include "tokenizer/pre_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <array>

#include "core/utf8.h"
#include "tokenizer/custom_splitters.h"
#include "tokenizer/unicode.h"

namespace plexus::tokenizer {

namespace {

// The regex lists, as llama.cpp's llm_tokenizer_bpe uses them (regex source text).
constexpr std::string_view k_gpt2 = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))";
constexpr std::string_view k_llama3 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view k_llama3_orig =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view k_qwen2 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// Cased-letter ranges; code points that NFC would change are written as \x{...} escapes.
constexpr std::string_view k_deepseek_llm_letters =
    R"(\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\x{1F7D}ᾀ-ᾴᾶ-ᾼ\x{1FBE}ῂ-ῄῆ-ῌῐ-\x{1FD3}ῖ-\x{1FDB}ῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\x{2126}ℨ\x{212A}-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+)";
constexpr std::string_view k_cjk = R"([一-龥ࠀ-一가-퟿]+)";
constexpr std::string_view k_poro = R"( ?[^(\s|.,!?…。，、।۔،)]+)";
constexpr std::string_view k_tekken =
    R"([^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view k_gpt4o =
    R"([^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view k_tiny_aya_words =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

using regex_list = std::vector<std::string_view>;

// Indexed by pre_spec::kind.
const std::vector<regex_list>& regex_sets() {
  static const std::vector<regex_list> sets = {
      /* 0 default */ {R"([\p{P}\$\+<=>\^~\|]+)", k_gpt2, R"(\p{N}+)", "[0-9][0-9][0-9]"},
      /* 1 llama3 */ {k_llama3},
      /* 2 deepseek-llm */ {"[\r\n]", k_deepseek_llm_letters, R"(\s?[!-/:-~！-／：-～‘-‟　-。]+)", R"(\s+$)", k_cjk, R"(\p{N}+)"},
      /* 3 deepseek-coder */ {"[\r\n]", R"(\s?\p{L}+)", R"(\s?\p{P}+)", k_cjk, R"(\p{N})"},
      /* 4 deepseek-v3 */
      {R"(\p{N}{1,3})", R"([一-龥぀-ゟ゠-ヿ]+)",
       R"([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"},
      /* 5 falcon */ {R"([\p{P}\$\+<=>\^~\|`]+)", k_gpt2, "[0-9][0-9][0-9]"},
      /* 6 starcoder */ {R"(\p{N})", k_gpt2},
      /* 7 gpt2 */ {k_gpt2},
      /* 8 qwen2 */ {k_qwen2},
      /* 9 qwen35 */
      {R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"},
      /* 10 poro */ {k_poro},
      /* 11 viking */ {k_poro, R"(\p{N})"},
      /* 12 tekken */ {k_tekken},
      /* 13 chameleon */
      {"<sentinel:[0-9]+>", "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z", "([\\t\\n]|    |  )", R"(\p{N})",
       R"([\p{P}!-/:-@\[-`{-~])", k_gpt2},
      /* 14 gpt-4o */ {k_gpt4o},
      /* 15 tiny-aya */ {R"(\d{1,3}(?=(?:\d{3})*\b))", k_tiny_aya_words},
      /* 16 bailingmoe */
      {R"('(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+)"},
      /* 17 seed-coder */
      {R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+)"},
      /* 18 ufakzeka */ {R"([^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"},
      /* 19 exaone-moe */
      {R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?(?:\p{L}\p{M}*(?: \p{L}\p{M}*)*)+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]?|\s*[\r\n]|\s+(?!\S)|\s+)"},
      /* 20 minicpm5 */
      {R"(\p{N}{1,3})",
       R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}+| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"},
      /* 21 laguna */ {R"([^\n]+|[\n]+)", k_qwen2},
      /* 22 jais-2 */
      {R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s{512}(?!\S)|\s{256}(?!\S)|\s{128}(?!\S)|\s{64}(?!\S)|\s{32}(?!\S)|\s{16}(?!\S)|\s{8}(?!\S)|\s{4}(?!\S)|\s{1,2}(?!\S)|\s{1})"},
  };
  return sets;
}

struct name_entry {
  std::string_view name;
  pre_spec spec;
};

const std::vector<name_entry>& name_table() {
  // {kind, ignore_merges, add_bos, no_bos, add_sep}
  static const pre_spec def{0}, llama3{1, true, true}, dbrx{1}, ds_llm{2}, ds_coder{3}, ds_v3{4}, falcon{5},
      starcoder{6}, gpt2{7}, gpt2_sep{7, false, false, false, true}, qwen2{8}, qwen35{9}, poro{10}, viking{11},
      tekken{12, true, true}, chameleon{13, false, true}, gpt4o{14}, tiny_aya{15}, bailing{16}, seed{17},
      ufak{18}, exaone_moe{19}, minicpm5{20, true}, laguna{21}, jais2{22}, chatglm{1, false, false, true};
  static const std::vector<name_entry> table = {
      {"default", def},         {"llama3", llama3},         {"llama-v3", llama3},       {"llama-bpe", llama3},
      {"falcon3", llama3},      {"falcon-h1", llama3},      {"pixtral", llama3},        {"midm-2.0", llama3},
      {"lfm2", llama3},         {"jina-v5-nano", llama3},   {"dbrx", dbrx},             {"smaug-bpe", dbrx},
      {"deepseek-llm", ds_llm}, {"deepseek-coder", ds_coder}, {"deepseek-v3", ds_v3},   {"hunyuan-dense", ds_v3},
      {"joyai-llm", ds_v3},     {"hy_v4", ds_v3},           {"falcon", falcon},         {"starcoder", starcoder},
      {"refact", starcoder},    {"command-r", starcoder},   {"smollm", starcoder},      {"codeshell", starcoder},
      {"exaone", starcoder},    {"minerva-7b", starcoder},  {"mellum2", starcoder},     {"gpt-2", gpt2},
      {"phi-2", gpt2},          {"jina-es", gpt2},          {"jina-de", gpt2},          {"gigachat", gpt2},
      {"jina-v2-es", gpt2},     {"jina-v2-de", gpt2},       {"a.x-4.0", gpt2},          {"mellum", gpt2},
      {"modern-bert", gpt2},    {"mpt", gpt2},              {"olmo", gpt2},             {"jais", gpt2},
      {"trillion", gpt2},       {"granite-docling", gpt2},  {"exaone4", gpt2},          {"jina-v1-en", gpt2_sep},
      {"jina-v2-code", gpt2_sep}, {"roberta-bpe", gpt2_sep}, {"qwen2", qwen2},          {"deepseek-r1-qwen", qwen2},
      {"kormo", qwen2},         {"f2llmv2", qwen2},         {"megrez", qwen2},          {"stablelm2", qwen2},
      {"hunyuan", qwen2},       {"solar-open", qwen2},      {"grok-2", qwen2},          {"qwen35", qwen35},
      {"poro-chat", poro},      {"bloom", poro},            {"gpt3-finnish", poro},     {"viking", viking},
      {"tekken", tekken},       {"chameleon", chameleon},   {"gpt-4o", gpt4o},          {"llama4", gpt4o},
      {"kanana2", gpt4o},       {"talkie", gpt4o},          {"minimax-m2", gpt4o},      {"tiny_aya", tiny_aya},
      {"cohere2moe", tiny_aya}, {"bailingmoe", bailing},    {"bailingmoe2", bailing},   {"llada-moe", bailing},
      {"seed-coder", seed},     {"ufakzeka", ufak},         {"exaone-moe", exaone_moe}, {"minicpm5", minicpm5},
      {"laguna", laguna},       {"jais-2", jais2},          {"glm4", chatglm},          {"chatglm-bpe", chatglm},
  };
  return table;
}

// Category keys llama.cpp recognizes; a pattern containing any of them runs on category text.
constexpr std::array<std::string_view, 10> k_category_keys = {R"(\p{N})",  R"(\p{L})",  R"(\p{P})",  R"(\p{M})",
                                                              R"(\p{S})",  R"(\p{Lu})", R"(\p{Ll})", R"(\p{Lt})",
                                                              R"(\p{Lm})", R"(\p{Lo})"};

bool uses_categories(std::string_view re) {
  for (auto key : k_category_keys) {
    if (re.find(key) != std::string_view::npos) return true;
  }
  return false;
}

// llama.cpp folds the letter subcategories into "letter".
std::string fold_letter_subcategories(std::string_view re) {
  std::string out(re);
  for (std::string_view sub : {R"(\p{Lu})", R"(\p{Ll})", R"(\p{Lt})", R"(\p{Lm})", R"(\p{Lo})"}) {
    for (size_t pos = out.find(sub); pos != std::string::npos; pos = out.find(sub, pos)) {
      out.replace(pos, sub.size(), R"(\p{L})");
    }
  }
  return out;
}

// Stand-in code point for a non-ASCII code point in category text: one per llama.cpp class, each
// in the matching PCRE2 category (and never matching \s, [a-z], [A-Z] or [0-9]).
uint32_t category_stand_in(uint32_t cpt) {
  const unicode::cpt_flags f = unicode::flags_of(cpt);
  if (f.is_whitespace()) return 0x0B;
  switch (f.category()) {
    case unicode::k_number: return 0x0660;       // ARABIC-INDIC DIGIT ZERO (Nd)
    case unicode::k_letter: return 0x0100;       // LATIN CAPITAL LETTER A WITH MACRON (Lu)
    case unicode::k_punctuation: return 0x00A1;  // INVERTED EXCLAMATION MARK (Po)
    case unicode::k_mark: return 0x0300;         // COMBINING GRAVE ACCENT (Mn)
    case unicode::k_symbol: return 0x00A2;       // CENT SIGN (Sc)
    default: return 0xE000;                      // private use (Co): no category key matches it
  }
}

uint32_t literal_stand_in(uint32_t cpt) {
  if (cpt > 0x7F && unicode::flags_of(cpt).is_whitespace()) return 0x0B;
  if (cpt >= 0xD800 && cpt <= 0xDFFF) return 0xE000;  // not encodable for PCRE2; matches no listed range
  return cpt;
}

// UTF-8 text of mapped code points, with byte_pos[i] = offset of code point i (size n + 1).
struct mapped_text {
  std::string bytes;
  std::vector<size_t> byte_pos;
};

mapped_text build_mapped(const std::vector<uint32_t>& cpts, uint32_t (*map)(uint32_t)) {
  mapped_text m;
  m.bytes.reserve(cpts.size() + cpts.size() / 2);
  m.byte_pos.reserve(cpts.size() + 1);
  for (uint32_t c : cpts) {
    m.byte_pos.push_back(m.bytes.size());
    utf8::append(m.bytes, c < 0x80 ? c : map(c));
  }
  m.byte_pos.push_back(m.bytes.size());
  return m;
}

}  // namespace

enum class step_kind { custom_gpt2, custom_llama3, pcre_category, pcre_literal };

struct pre_tokenizer::step {
  step_kind kind = step_kind::custom_gpt2;
  pcre2_code* code = nullptr;
  ~step() {
    if (code != nullptr) pcre2_code_free(code);
  }
};

namespace {

// Per-call PCRE2 state; the JIT stack is only made when the default 32 KiB one runs out.
// Not thread-safe: one per split() call.
class matcher {
 public:
  explicit matcher(const pcre2_code* code) : code_(code), data_(pcre2_match_data_create_from_pattern(code, nullptr)) {}
  ~matcher() {
    if (data_ != nullptr) pcre2_match_data_free(data_);
    if (ctx_ != nullptr) pcre2_match_context_free(ctx_);
    if (stack_ != nullptr) pcre2_jit_stack_free(stack_);
  }
  matcher(const matcher&) = delete;
  matcher& operator=(const matcher&) = delete;

  // Returns false on no match or error; [begin, end) are byte offsets within the subject.
  bool match(const std::string& subject, size_t from, size_t len, size_t start, uint32_t options, size_t& begin,
             size_t& end) {
    if (data_ == nullptr) return false;
    const auto* s = reinterpret_cast<PCRE2_SPTR>(subject.data() + from);
    int rc = pcre2_match(code_, s, len, start, options | PCRE2_NO_UTF_CHECK, data_, ctx_);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT && stack_ == nullptr) {
      ctx_ = pcre2_match_context_create(nullptr);
      stack_ = pcre2_jit_stack_create(32 * 1024, 256 * 1024 * 1024, nullptr);
      if (ctx_ == nullptr || stack_ == nullptr) return false;
      pcre2_jit_stack_assign(ctx_, nullptr, stack_);
      rc = pcre2_match(code_, s, len, start, options | PCRE2_NO_UTF_CHECK, data_, ctx_);
    }
    if (rc < 0) return false;  // no match, or a resource limit: the rest stays one chunk
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data_);
    begin = ov[0];
    end = ov[1];
    return begin <= end && end <= len;
  }

 private:
  const pcre2_code* code_;
  pcre2_match_data* data_;
  pcre2_match_context* ctx_ = nullptr;
  pcre2_jit_stack* stack_ = nullptr;
};

// std::regex_iterator semantics over each chunk: matches and the text between them become
// chunks; an empty match splits the gap there and the search moves on by one character.
std::vector<size_t> split_pcre(const pcre2_code* code, const mapped_text& text, const std::vector<size_t>& offsets) {
  std::vector<size_t> out;
  out.reserve(offsets.size());
  matcher m(code);
  size_t cpt_start = 0;
  for (const size_t n : offsets) {
    const size_t from = text.byte_pos[cpt_start];
    const size_t len = text.byte_pos[cpt_start + n] - from;
    // byte offset within the chunk -> code point count from the chunk start
    const auto cpts_to = [&](size_t byte) {
      const auto first = text.byte_pos.begin() + static_cast<std::ptrdiff_t>(cpt_start);
      return static_cast<size_t>(std::lower_bound(first, first + static_cast<std::ptrdiff_t>(n) + 1, from + byte) - first);
    };
    size_t last_end = 0;  // bytes
    size_t search = 0;
    const auto emit_to = [&](size_t byte_end) {
      if (byte_end > last_end) out.push_back(cpts_to(byte_end) - cpts_to(last_end));
      last_end = byte_end;
    };
    size_t b = 0, e = 0;
    while (search <= len && m.match(text.bytes, from, len, search, 0, b, e)) {
      if (b == e) {
        emit_to(b);
        size_t b2 = 0, e2 = 0;
        if (m.match(text.bytes, from, len, b, PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED, b2, e2) && e2 > b) {
          emit_to(e2);
          search = e2;
          continue;
        }
        if (b >= len) break;
        search = b + unicode::utf8_len(text.bytes[from + b]);
        continue;
      }
      emit_to(b);
      emit_to(e);
      search = e;
    }
    emit_to(len);
    cpt_start += n;
  }
  return out;
}

}  // namespace

std::optional<pre_spec> find_pre_tokenizer(std::string_view name) {
  if (name.empty()) return pre_spec{};
  for (const auto& e : name_table()) {
    if (e.name == name) return e.spec;
  }
  return std::nullopt;
}

std::string pre_tokenizer_names() {
  std::string out;
  for (const auto& e : name_table()) {
    if (!out.empty()) out += ", ";
    out += e.name;
  }
  return out;
}

pre_tokenizer::~pre_tokenizer() = default;

Result<std::unique_ptr<pre_tokenizer>> pre_tokenizer::create(const pre_spec& spec) {
  const auto& sets = regex_sets();
  if (spec.kind < 0 || static_cast<size_t>(spec.kind) >= sets.size()) {
    return internal_error("pre-tokenizer kind " + std::to_string(spec.kind) + " has no regex set");
  }
  std::unique_ptr<pre_tokenizer> pt(new pre_tokenizer());
  for (std::string_view re : sets[static_cast<size_t>(spec.kind)]) {
    auto st = std::make_unique<step>();
    if (re == k_gpt2) {
      st->kind = step_kind::custom_gpt2;
    } else if (re == k_llama3 || re == k_llama3_orig) {
      st->kind = step_kind::custom_llama3;
    } else {
      const bool cat = uses_categories(re);
      st->kind = cat ? step_kind::pcre_category : step_kind::pcre_literal;
      const std::string pattern = cat ? fold_letter_subcategories(re) : std::string(re);
      int err = 0;
      PCRE2_SIZE err_off = 0;
      st->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                               PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &err, &err_off, nullptr);
      if (st->code == nullptr) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof(msg));
        return internal_error("pre-tokenizer regex '" + pattern + "' does not compile at offset " +
                              std::to_string(err_off) + ": " + reinterpret_cast<const char*>(msg));
      }
      pcre2_jit_compile(st->code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter if JIT is unavailable
      (cat ? pt->need_category_text_ : pt->need_literal_text_) = true;
    }
    pt->steps_.push_back(std::move(st));
  }
  return pt;
}

std::vector<size_t> pre_tokenizer::split_offsets(const std::vector<uint32_t>& cpts) const {
  if (cpts.empty()) return {};
  mapped_text cat_text, lit_text;
  if (need_category_text_) cat_text = build_mapped(cpts, category_stand_in);
  if (need_literal_text_) lit_text = build_mapped(cpts, literal_stand_in);
  std::vector<size_t> offsets{cpts.size()};
  for (const auto& st : steps_) {
    switch (st->kind) {
      case step_kind::custom_gpt2: offsets = split_custom(custom_split::gpt2, cpts, offsets); break;
      case step_kind::custom_llama3: offsets = split_custom(custom_split::llama3, cpts, offsets); break;
      case step_kind::pcre_category: offsets = split_pcre(st->code, cat_text, offsets); break;
      case step_kind::pcre_literal: offsets = split_pcre(st->code, lit_text, offsets); break;
    }
  }
  return offsets;
}

std::vector<std::string> pre_tokenizer::split(std::string_view text) const {
  const std::vector<uint32_t> cpts = unicode::decode_utf8_all(text);
  const std::vector<size_t> offsets = split_offsets(cpts);
  std::vector<std::string> words;
  words.reserve(offsets.size());
  size_t pos = 0;
  for (const size_t n : offsets) {
    std::string w;
    for (size_t i = pos; i < pos + n; ++i) utf8::append(w, cpts[i]);
    words.push_back(std::move(w));
    pos += n;
  }
  return words;
}

}  // namespace plexus::tokenizer

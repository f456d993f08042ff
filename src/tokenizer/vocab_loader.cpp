// Reads tokenizer.ggml.* into a vocab, applying llama.cpp's defaults and fix-ups in its order:
// token list and attributes, special ids, add_bos/add_eos, text-based EOT/EOM/FIM detection,
// "unused" control tokens, the EOG set, the special-token list, per-model token attributes.
#include <algorithm>
#include <cctype>

#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/vocab.h"

namespace plexus::tokenizer {

namespace {

using gguf::GgufFile;
using gguf::Value;
using gguf::value_type;

constexpr std::string_view k_model_key = "tokenizer.ggml.model";
constexpr std::string_view k_pre_key = "tokenizer.ggml.pre";
constexpr std::string_view k_tokens_key = "tokenizer.ggml.tokens";
constexpr std::string_view k_scores_key = "tokenizer.ggml.scores";
constexpr std::string_view k_types_key = "tokenizer.ggml.token_type";
constexpr std::string_view k_merges_key = "tokenizer.ggml.merges";

std::string quote(std::string_view s) {
  std::string out = "'";
  for (const char c : s.substr(0, 80)) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F || c == '\'' || c == '\\') {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  if (s.size() > 80) out += "...";
  return out + "'";
}

Result<std::optional<std::string_view>> optional_string(const GgufFile& f, std::string_view key) {
  if (f.find(key) == nullptr) return std::optional<std::string_view>{};
  PLEXUS_ASSIGN_OR_RETURN(std::string_view v, f.get_string(key));
  return std::optional<std::string_view>{v};
}

Result<std::optional<bool>> optional_bool(const GgufFile& f, std::string_view key) {
  if (f.find(key) == nullptr) return std::optional<bool>{};
  PLEXUS_ASSIGN_OR_RETURN(bool v, f.get_bool(key));
  return std::optional<bool>{v};
}

// A token id key: absent leaves `id` alone; -1 / 0xFFFFFFFF set it to "none"; any other value
// outside the vocabulary is an error when `strict`, else ignored (llama.cpp warns, keeps the
// default).
Status read_id(const GgufFile& f, std::string_view key, int32_t n_tokens, bool strict, token_id& id) {
  if (f.find(key) == nullptr) return {};
  PLEXUS_ASSIGN_OR_RETURN(int64_t v, f.get_int(key));
  // -1 and its u32 spelling 0xFFFFFFFF mean "no such token" (llama.cpp's LLAMA_TOKEN_NULL).
  if (v == -1 || v == 0xFFFFFFFFll) {
    id = -1;
    return {};
  }
  if (v < 0 || v >= n_tokens) {
    if (!strict) return {};
    return invalid_file(std::string(key) + " = " + std::to_string(v) + " is outside the vocabulary [0, " +
                        std::to_string(n_tokens) + ")");
  }
  id = static_cast<token_id>(v);
  return {};
}

Status read_tokens(const GgufFile& f, vocab& v) {
  if (f.find(k_tokens_key) == nullptr) return invalid_file(std::string(k_tokens_key) + " is missing");
  PLEXUS_ASSIGN_OR_RETURN(const std::vector<Value>* tokens, f.get_array(k_tokens_key, value_type::string));
  if (tokens->empty()) return invalid_file(std::string(k_tokens_key) + " is empty");
  if (tokens->size() > static_cast<size_t>(INT32_MAX)) {
    return invalid_file(std::string(k_tokens_key) + " has " + std::to_string(tokens->size()) + " entries (max 2^31-1)");
  }
  const size_t n = tokens->size();

  const std::vector<Value>* scores = nullptr;
  if (const Value* sv = f.find(k_scores_key); sv != nullptr) {
    if (sv->type != value_type::array || (sv->elem_type != value_type::f32 && sv->elem_type != value_type::i32)) {
      return invalid_file(std::string(k_scores_key) + " must be an array of f32 or i32");
    }
    scores = &sv->items;
    if (scores->size() != n) {
      return invalid_file(std::string(k_scores_key) + " has " + std::to_string(scores->size()) + " entries but " +
                          std::string(k_tokens_key) + " has " + std::to_string(n));
    }
  }
  const std::vector<Value>* types = nullptr;
  if (f.find(k_types_key) != nullptr) {
    PLEXUS_ASSIGN_OR_RETURN(types, f.get_array(k_types_key, value_type::i32));
    if (types->size() != n) {
      return invalid_file(std::string(k_types_key) + " has " + std::to_string(types->size()) + " entries but " +
                          std::string(k_tokens_key) + " has " + std::to_string(n));
    }
  }

  v.texts.resize(n);
  v.scores.assign(n, 0.0f);
  v.attrs.assign(n, attr_bit::normal);
  v.ids.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    std::string text((*tokens)[i].str);
    if (text.empty()) text = "[EMPTY_" + std::to_string(i) + "]";  // as llama.cpp does
    auto [it, inserted] = v.ids.emplace(text, static_cast<token_id>(i));
    if (!inserted) {
      return invalid_file("duplicate token " + quote(text) + " in " + std::string(k_tokens_key) + " at ids " +
                          std::to_string(it->second) + " and " + std::to_string(i));
    }
    v.max_token_len = std::max(v.max_token_len, text.size());
    v.texts[i] = std::move(text);
    if (scores != nullptr) {
      const Value& s = (*scores)[i];
      v.scores[i] = s.type == value_type::f32 ? static_cast<float>(s.scalar.f) : static_cast<float>(s.scalar.i);
    }
    if (types != nullptr) {
      const int64_t t = (*types)[i].scalar.i;
      switch (t) {
        case 0: v.attrs[i] = attr_bit::undefined; break;
        case 1: v.attrs[i] = attr_bit::normal; break;
        case 2: v.attrs[i] = attr_bit::unknown; break;
        case 3: v.attrs[i] = attr_bit::control; break;
        case 4: v.attrs[i] = attr_bit::user_defined; break;
        case 5: v.attrs[i] = attr_bit::unused; break;
        case 6: v.attrs[i] = attr_bit::byte; break;
        default:
          return invalid_file(std::string(k_types_key) + "[" + std::to_string(i) + "] = " + std::to_string(t) +
                              " is not a token type (0..6)");
      }
    }
  }
  return {};
}

Status read_merges(const GgufFile& f, vocab& v) {
  if (f.find(k_merges_key) == nullptr) return invalid_file(std::string(k_merges_key) + " is missing (required for gpt2)");
  PLEXUS_ASSIGN_OR_RETURN(const std::vector<Value>* merges, f.get_array(k_merges_key, value_type::string));
  if (merges->size() > static_cast<size_t>(INT32_MAX)) return invalid_file(std::string(k_merges_key) + " is too long");
  v.merges.reserve(merges->size());
  for (size_t i = 0; i < merges->size(); ++i) {
    const std::string_view m = (*merges)[i].str;
    const size_t sp = m.size() > 1 ? m.find(' ', 1) : std::string_view::npos;
    if (sp == std::string_view::npos || sp + 1 >= m.size()) {
      return invalid_file(std::string(k_merges_key) + "[" + std::to_string(i) + "] = " + quote(m) +
                          " is not of the form \"left right\"");
    }
    // The first occurrence of a pair keeps its (lower) rank, as in llama.cpp.
    v.merges.emplace(std::string(m), vocab::merge_info{static_cast<int32_t>(i), static_cast<uint32_t>(sp)});
  }
  return {};
}

bool is_one_of(std::string_view s, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), s) != names.end();
}

// llama.cpp's text-based detection of EOT/EOM/FIM tokens and the EOG set. Ids are visited in
// ascending order (llama.cpp walks a hash map; only the choice among several candidates for one
// role can differ).
void detect_special_by_text(vocab& v) {
  const auto make_control = [&](token_id id) { v.attrs[id] |= attr_bit::control; };
  const auto detect = [&](token_id& slot, std::initializer_list<std::string_view> names) {
    if (slot != -1) return;
    for (token_id id = 0; id < v.n_tokens(); ++id) {
      if (is_one_of(v.texts[id], names)) {
        slot = id;
        make_control(id);
        return;
      }
    }
  };
  detect(v.eot, {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>",
                 "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>"});
  detect(v.eom, {"<|eom_id|>"});
  detect(v.fim_pre, {"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>",
                     "<|code_prefix|>", "<|prefix|>"});
  detect(v.fim_suf, {"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>",
                     "<|code_suffix|>", "<|suffix|>"});
  detect(v.fim_mid, {"<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>",
                     "<|code_middle|>", "<|middle|>"});
  detect(v.fim_pad, {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"});
  detect(v.fim_rep, {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"});
  detect(v.fim_sep, {"<|file_sep|>"});

  // Control tokens named "...unused..." are unused.
  for (token_id id = 0; id < v.n_tokens(); ++id) {
    if ((v.attrs[id] & attr_bit::control) && v.texts[id].find("unused") != std::string::npos) {
      v.attrs[id] |= attr_bit::unused;
    }
  }

  std::vector<token_id> eog;
  for (token_id id : {v.fim_pad, v.fim_rep, v.fim_sep}) {
    if (id != -1) eog.push_back(id);
  }
  for (token_id id = 0; id < v.n_tokens(); ++id) {
    if (is_one_of(v.texts[id], {"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>",
                                "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>",
                                "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>",
                                "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~["})) {
      eog.push_back(id);
      make_control(id);
    }
  }
  // gpt-oss: always rendered.
  for (token_id id = 0; id < v.n_tokens(); ++id) {
    if (is_one_of(v.texts[id], {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"})) {
      v.attrs[id] = attr_bit::user_defined;
    }
  }
  for (token_id id : {v.eos, v.eot, v.eom}) {
    if (id != -1) eog.push_back(id);
  }
  std::sort(eog.begin(), eog.end());
  eog.erase(std::unique(eog.begin(), eog.end()), eog.end());

  // o200k_harmony / solar-open: "<|end|>" is not EOG when "<|return|>"+"<|call|>" (or
  // "<|calls|>"+"<|flush|>") are.
  bool has_return = false, has_call = false, has_flush = false;
  token_id end_id = -1, s_id = -1;
  bool has_tool_response = false;
  for (token_id id : eog) {
    const std::string& t = v.texts[id];
    if (t == "<|return|>") has_return = true;
    if (t == "<|call|>" || t == "<|calls|>") has_call = true;
    if (t == "<|flush|>") has_flush = true;
    if (t == "<|end|>") end_id = id;
    if (t == "<|tool_response>") has_tool_response = true;
    if (t == "</s>") s_id = id;
  }
  if (end_id != -1 && ((has_return && has_call) || (has_call && has_flush))) {
    eog.erase(std::find(eog.begin(), eog.end(), end_id));
    v.attrs[end_id] = attr_bit::user_defined;
  }
  if (s_id != -1 && has_tool_response) {
    eog.erase(std::find(eog.begin(), eog.end(), s_id));
    v.attrs[s_id] = attr_bit::normal;
  }
  v.eog = std::move(eog);
}

void build_special_list(vocab& v) {
  v.special_tokens.clear();
  for (token_id id = 0; id < v.n_tokens(); ++id) {
    if (v.attrs[id] & (attr_bit::control | attr_bit::user_defined | attr_bit::unknown)) v.special_tokens.push_back(id);
  }
  // Same algorithm and comparator as llama.cpp, so ties between equal lengths order alike.
  std::sort(v.special_tokens.begin(), v.special_tokens.end(),
            [&](token_id a, token_id b) { return v.texts[a].size() > v.texts[b].size(); });
}

void apply_model_token_attrs(vocab& v, std::string_view arch) {
  const auto contains_any = [](std::string_view s, std::initializer_list<std::string_view> subs) {
    for (auto sub : subs) {
      if (s.find(sub) != std::string_view::npos) return true;
    }
    return false;
  };
  const auto set_attr = [&](std::string_view text, uint32_t bit, bool on) {
    const token_id id = v.find(text);
    if (id == -1) return;
    v.attrs[id] = on ? (v.attrs[id] | bit) : (v.attrs[id] & ~bit);
  };
  std::string name = v.general_name;
  std::transform(name.begin(), name.end(), name.begin(), [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  if (contains_any(v.pre, {"jina-v2-de", "jina-v2-es", "jina-v2-code"}) || contains_any(arch, {"nomic-bert-moe", "jina-bert-v3"})) {
    set_attr("<mask>", attr_bit::lstrip, true);
  } else if (contains_any(name, {"phi-3", "phi3"})) {
    for (token_id id : v.special_tokens) v.attrs[id] |= attr_bit::rstrip;
    set_attr("</s>", attr_bit::rstrip, true);
    for (std::string_view t : {"<unk>", "<s>", "<|endoftext|>"}) set_attr(t, attr_bit::rstrip, false);
  } else if (contains_any(name, {"modern-bert"})) {
    set_attr("[MASK]", attr_bit::lstrip, true);
  }
}

}  // namespace

int32_t vocab::merge_rank(std::string_view left, std::string_view right, std::string& scratch) const {
  scratch.assign(left);
  scratch.push_back(' ');
  scratch.append(right);
  auto it = merges.find(std::string_view(scratch));
  if (it == merges.end() || it->second.left_len != left.size()) return -1;
  return it->second.rank;
}

std::string supported_pre_tokenizers() { return pre_tokenizer_names(); }

Result<vocab> load_vocab(const GgufFile& f) {
  vocab v;
  if (f.find(k_model_key) == nullptr) return invalid_file(std::string(k_model_key) + " is missing");
  PLEXUS_ASSIGN_OR_RETURN(std::string_view model, f.get_string(k_model_key));
  PLEXUS_ASSIGN_OR_RETURN(auto pre, optional_string(f, k_pre_key));
  PLEXUS_ASSIGN_OR_RETURN(auto name, optional_string(f, "general.name"));
  PLEXUS_ASSIGN_OR_RETURN(auto arch, optional_string(f, "general.architecture"));
  v.model = std::string(model);
  v.pre = pre ? std::string(*pre) : std::string();
  v.general_name = name ? std::string(*name) : std::string();

  if (model == "llama") {
    v.type = vocab_type::spm;
    v.bos = 1, v.eos = 2, v.unk = 0;
    v.add_space_prefix = true;
    v.add_bos = true;
  } else if (model == "gpt2") {
    v.type = vocab_type::bpe;
    v.bos = 11, v.eos = 11;
  } else if (model == "bert") {
    v.type = vocab_type::wpm;
    v.bos = 101, v.unk = 100, v.sep = 102, v.pad = 0, v.mask = 103;
    v.add_bos = true;
    v.add_sep = true;
  } else {
    return unsupported("tokenizer model " + quote(model) + " is not supported (supported: llama, gpt2, bert)");
  }

  PLEXUS_RETURN_IF_ERROR(read_tokens(f, v));
  const int32_t n = v.n_tokens();

  pre_spec spec;
  if (v.type == vocab_type::bpe) {
    const std::optional<pre_spec> found = find_pre_tokenizer(v.pre);
    if (!found) {
      return unsupported("pre-tokenizer " + quote(v.pre) + " (" + std::string(k_pre_key) +
                         ") is not supported (supported: " + pre_tokenizer_names() + ")");
    }
    spec = *found;
    v.bpe_pre = spec;
    v.ignore_merges = spec.ignore_merges;
    v.add_bos = spec.add_bos;
    v.add_sep = spec.add_sep;
    if (spec.no_bos) v.bos = -1;
    PLEXUS_RETURN_IF_ERROR(read_merges(f, v));
  }
  PLEXUS_ASSIGN_OR_RETURN(auto add_prefix, optional_bool(f, "tokenizer.ggml.add_space_prefix"));
  if (add_prefix) v.add_space_prefix = *add_prefix;

  // Defaults that do not exist in this vocabulary are disabled.
  for (token_id* id : {&v.bos, &v.eos, &v.unk, &v.sep, &v.pad, &v.mask}) {
    if (*id >= n) *id = -1;
  }
  const bool wpm = v.type == vocab_type::wpm;
  if (wpm && f.find("tokenizer.ggml.bos_token_id") == nullptr) {
    PLEXUS_RETURN_IF_ERROR(read_id(f, "tokenizer.ggml.cls_token_id", n, true, v.bos));
  }
  PLEXUS_RETURN_IF_ERROR(read_id(f, "tokenizer.ggml.bos_token_id", n, true, v.bos));
  PLEXUS_RETURN_IF_ERROR(read_id(f, "tokenizer.ggml.eos_token_id", n, true, v.eos));
  PLEXUS_RETURN_IF_ERROR(read_id(f, "tokenizer.ggml.eot_token_id", n, true, v.eot));
  PLEXUS_RETURN_IF_ERROR(read_id(f, "tokenizer.ggml.eom_token_id", n, true, v.eom));
  PLEXUS_RETURN_IF_ERROR(read_id(f, "tokenizer.ggml.unknown_token_id", n, true, v.unk));
  PLEXUS_RETURN_IF_ERROR(read_id(f, "tokenizer.ggml.seperator_token_id", n, true, v.sep));
  PLEXUS_RETURN_IF_ERROR(read_id(f, "tokenizer.ggml.padding_token_id", n, false, v.pad));
  PLEXUS_RETURN_IF_ERROR(read_id(f, "tokenizer.ggml.mask_token_id", n, false, v.mask));
  PLEXUS_RETURN_IF_ERROR(read_id(f, "tokenizer.ggml.fim_pre_token_id", n, false, v.fim_pre));
  PLEXUS_RETURN_IF_ERROR(read_id(f, "tokenizer.ggml.fim_suf_token_id", n, false, v.fim_suf));
  PLEXUS_RETURN_IF_ERROR(read_id(f, "tokenizer.ggml.fim_mid_token_id", n, false, v.fim_mid));
  PLEXUS_RETURN_IF_ERROR(read_id(f, "tokenizer.ggml.fim_pad_token_id", n, false, v.fim_pad));
  PLEXUS_RETURN_IF_ERROR(read_id(f, "tokenizer.ggml.fim_rep_token_id", n, false, v.fim_rep));
  PLEXUS_RETURN_IF_ERROR(read_id(f, "tokenizer.ggml.fim_sep_token_id", n, false, v.fim_sep));

  PLEXUS_ASSIGN_OR_RETURN(auto add_bos, optional_bool(f, "tokenizer.ggml.add_bos_token"));
  PLEXUS_ASSIGN_OR_RETURN(auto add_eos, optional_bool(f, "tokenizer.ggml.add_eos_token"));
  PLEXUS_ASSIGN_OR_RETURN(auto add_sep, optional_bool(f, "tokenizer.ggml.add_sep_token"));
  if (add_bos) v.add_bos = *add_bos;
  if (add_eos) v.add_eos = *add_eos;
  if (add_sep) v.add_sep = *add_sep;
  if (v.add_bos && v.bos == -1) return invalid_file("tokenizer.ggml.add_bos_token is true but the vocabulary has no BOS token");
  if (v.add_eos && v.eos == -1) return invalid_file("tokenizer.ggml.add_eos_token is true but the vocabulary has no EOS token");
  if (wpm && v.sep == -1) return invalid_file("the WordPiece vocabulary has no separator token ([SEP])");

  PLEXUS_ASSIGN_OR_RETURN(auto lower, optional_bool(f, "tokenizer.ggml.normalizer.lowercase"));
  if (lower) v.wpm_lowercase = *lower;
  v.wpm_strip_accents = v.wpm_lowercase;
  PLEXUS_ASSIGN_OR_RETURN(auto strip, optional_bool(f, "tokenizer.ggml.normalizer.strip_accents"));
  if (strip) v.wpm_strip_accents = *strip;

  detect_special_by_text(v);
  build_special_list(v);
  apply_model_token_attrs(v, arch ? *arch : std::string_view());
  return v;
}

}  // namespace plexus::tokenizer

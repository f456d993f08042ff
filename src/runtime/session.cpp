#include "runtime/session.h"

#include <algorithm>
#include <chrono>

#include "sampling/grammar/grammar_matcher.h"
#include "tokenizer/tokenizer.h"

namespace plexus::runtime {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Result<std::unique_ptr<sampling::grammar::GrammarMatcher>> make_matcher(
    const LoadedModel& model, std::shared_ptr<const sampling::grammar::Grammar> grammar) {
  PLEXUS_ASSIGN_OR_RETURN(auto vocab, model.grammar_vocab());
  return sampling::grammar::GrammarMatcher::create(std::move(grammar), std::move(vocab));
}

std::string grammar_stop_reason(const sampling::grammar::GrammarMatcher& matcher) {
  return matcher.is_complete() || matcher.is_finished() ? "eog" : "grammar";
}

Session::Session(const LoadedModel& model, ThreadPool& pool, const SessionOptions& options)
    : model_(model),
      pool_(pool),
      n_ctx_(default_context(model.model->config(), options.n_ctx)),
      n_batch_(std::max<int64_t>(1, options.n_batch)),
      cache_(model.model->kv_shape(), n_ctx_) {}

void Session::reset() {
  cache_.free_sequence(kSeq);
  tokens_.clear();
}

int64_t Session::reuse_prefix(std::span<const int32_t> prompt) {
  size_t common = 0;
  while (common < tokens_.size() && common < prompt.size() && tokens_[common] == prompt[common]) ++common;
  tokens_.resize(common);
  cache_.truncate(kSeq, static_cast<int64_t>(common));
  return static_cast<int64_t>(common);
}

Status Session::append(std::span<const int32_t> tokens, int64_t first_logits, std::vector<float>& logits) {
  const int64_t start = static_cast<int64_t>(tokens_.size());
  const int64_t total = start + static_cast<int64_t>(tokens.size());
  if (total > n_ctx_) {
    return out_of_range("context length exceeded: " + std::to_string(total) + " tokens > n_ctx " + std::to_string(n_ctx_));
  }
  PLEXUS_RETURN_IF_ERROR(cache_.reserve(kSeq, total));
  logits.clear();
  for (int64_t chunk = 0; chunk < static_cast<int64_t>(tokens.size()); chunk += n_batch_) {
    const int64_t end = std::min<int64_t>(static_cast<int64_t>(tokens.size()), chunk + n_batch_);
    batch_.clear();
    for (int64_t i = chunk; i < end; ++i) {
      const int64_t pos = start + i;
      batch_.push_back({tokens[static_cast<size_t>(i)], static_cast<int32_t>(pos), kSeq, pos >= first_logits});
    }
    PLEXUS_RETURN_IF_ERROR(model_.model->forward(batch_, cache_, scratch_, pool_, step_logits_));
    logits.insert(logits.end(), step_logits_.begin(), step_logits_.end());
    tokens_.insert(tokens_.end(), tokens.begin() + chunk, tokens.begin() + end);
  }
  return {};
}

Status Session::evaluate(std::span<const int32_t> tokens, int64_t first_logits, std::vector<float>& logits) {
  const int64_t kept = reuse_prefix(tokens);
  if (kept > first_logits) {
    // Logits of cached positions are not stored: re-evaluate from first_logits.
    tokens_.resize(static_cast<size_t>(first_logits));
    cache_.truncate(kSeq, first_logits);
  }
  const int64_t from = static_cast<int64_t>(tokens_.size());
  return append(tokens.subspan(static_cast<size_t>(from)), first_logits, logits);
}

Status Session::generate(std::span<const int32_t> prompt, const GenerateOptions& options,
                         const std::function<bool(const TokenEvent&)>& on_token, GenerateStats* stats) {
  GenerateStats local;
  GenerateStats& st = stats != nullptr ? *stats : local;
  st = {};
  st.prompt_tokens = static_cast<int64_t>(prompt.size());
  if (prompt.empty()) return invalid_argument("prompt is empty");
  const int64_t n_prompt = static_cast<int64_t>(prompt.size());
  if (n_prompt > n_ctx_) {
    return out_of_range("prompt has " + std::to_string(n_prompt) + " tokens, more than the context length " +
                        std::to_string(n_ctx_));
  }
  if (options.max_tokens >= 0 && n_prompt + options.max_tokens > n_ctx_) {
    return out_of_range("prompt (" + std::to_string(n_prompt) + " tokens) + max tokens (" +
                        std::to_string(options.max_tokens) + ") exceed the context length " + std::to_string(n_ctx_));
  }
  const int64_t n_vocab = model_.model->config().n_vocab;
  const auto& tok = *model_.tokenizer;

  // Prefill: keep the cached prefix but always evaluate at least the last prompt token for its logits.
  auto t0 = std::chrono::steady_clock::now();
  int64_t kept = reuse_prefix(prompt);
  if (kept == n_prompt) {
    tokens_.pop_back();
    cache_.truncate(kSeq, n_prompt - 1);
    kept = n_prompt - 1;
  }
  std::vector<float> logits;
  PLEXUS_RETURN_IF_ERROR(append(prompt.subspan(static_cast<size_t>(kept)), n_prompt - 1, logits));
  st.prompt_evaluated = n_prompt - kept;
  st.prompt_seconds = seconds_since(t0);

  std::unique_ptr<sampling::grammar::GrammarMatcher> matcher;
  if (options.grammar) {
    PLEXUS_ASSIGN_OR_RETURN(matcher, make_matcher(model_, options.grammar));
  }
  sampling::Sampler sampler(options.sampling);
  tokenizer::StreamingDecoder decoder(tok, /*render_special=*/false);
  std::vector<float> logprobs(static_cast<size_t>(n_vocab));
  const int64_t limit = options.max_tokens >= 0 ? options.max_tokens : n_ctx_ - n_prompt;
  t0 = std::chrono::steady_clock::now();
  st.stop_reason = "limit";
  for (int64_t i = 0; i < limit; ++i) {
    std::span<const float> row(logits.data(), static_cast<size_t>(n_vocab));
    TokenEvent ev;
    if (matcher) {
      PLEXUS_ASSIGN_OR_RETURN(ev.id, sampler.sample(row, tokens_, *matcher));
      if (ev.id == sampling::Sampler::kNoToken) {
        st.stop_reason = grammar_stop_reason(*matcher);
        break;
      }
      PLEXUS_RETURN_IF_ERROR(matcher->accept_token(ev.id));
    } else {
      ev.id = sampler.sample(row, tokens_);
    }
    sampling::log_softmax(row, logprobs);
    ev.logprob = logprobs[static_cast<size_t>(ev.id)];
    if (options.top_logprobs > 0) ev.top = sampling::top_logprobs(logprobs, options.top_logprobs);
    const bool eog = options.stop_at_eog && tok.is_eog(ev.id);
    const bool last = eog || i + 1 == limit;
    ev.text = eog ? decoder.flush() : decoder.push(ev.id);
    if (last && !eog) ev.text += decoder.flush();
    ++st.generated;
    const bool keep_going = on_token(ev);
    if (eog) {
      st.stop_reason = "eog";
      break;
    }
    if (!keep_going) {
      st.stop_reason = "cancelled";
      break;
    }
    if (last) {
      if (options.max_tokens < 0) st.stop_reason = "context";
      break;
    }
    const int32_t next = ev.id;
    PLEXUS_RETURN_IF_ERROR(append(std::span<const int32_t>(&next, 1), static_cast<int64_t>(tokens_.size()), logits));
  }
  st.generate_seconds = seconds_since(t0);
  return {};
}

}  // namespace plexus::runtime

#include "runtime/engine.h"

#include <algorithm>
#include <chrono>

#include "model/kv_cache.h"
#include "sampling/grammar/grammar_matcher.h"
#include "sampling/sampler.h"
#include "tokenizer/tokenizer.h"

namespace plexus::runtime {

// The engine's KV cache: the model's KvCache, named for the forward declaration in engine.h.
class PrefixKvCache : public model::KvCache {
 public:
  using model::KvCache::KvCache;
};

struct Engine::Sequence {
  uint64_t id = 0;
  GenerateRequest request;
  std::unique_ptr<sampling::Sampler> sampler;
  std::unique_ptr<sampling::grammar::GrammarMatcher> matcher;  // null: unconstrained
  std::unique_ptr<tokenizer::StreamingDecoder> decoder;
  std::vector<int32_t> tokens;  // prompt, then generated tokens as they are sampled
  int64_t n_prompt = 0;
  int64_t n_past = 0;           // positions whose KV is computed
  int64_t generated = 0;
  int64_t limit = 0;            // max tokens to generate
  GenerateStats stats;
  std::chrono::steady_clock::time_point start;
  std::chrono::steady_clock::time_point first_token;
  bool done = false;
};

namespace {

double seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

Engine::Engine(std::shared_ptr<const LoadedModel> model, const EngineOptions& options)
    : model_(std::move(model)),
      options_(options),
      n_ctx_(default_context(model_->model->config(), options.n_ctx)),
      pool_(options.pool ? options.pool
                         : std::make_shared<ThreadPool>(options.threads > 0 ? options.threads : ThreadPool::hardware_threads())) {
  options_.max_sequences = std::max(1, options_.max_sequences);
  options_.max_queue = std::max(0, options_.max_queue);
  options_.n_batch = std::max<int64_t>(1, options_.n_batch);
  options_.n_prefill_while_decoding = std::max<int64_t>(1, options_.n_prefill_while_decoding);
  const int64_t kv_tokens = options_.kv_tokens > 0 ? options_.kv_tokens : n_ctx_ * 2;
  cache_ = std::make_unique<PrefixKvCache>(model_->model->kv_shape(), std::max(kv_tokens, n_ctx_));
  metrics_.kv_blocks_total = cache_->total_blocks();
  thread_ = std::thread([this] { run(); });
}

Engine::~Engine() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

Result<uint64_t> Engine::submit(GenerateRequest request) {
  const int64_t n_prompt = static_cast<int64_t>(request.prompt.size());
  if (n_prompt == 0) return invalid_argument("prompt is empty");
  const int64_t n_vocab = model_->model->config().n_vocab;
  for (int32_t t : request.prompt) {
    if (t < 0 || t >= n_vocab) return invalid_argument("prompt token id " + std::to_string(t) + " is outside the vocabulary");
  }
  if (n_prompt >= n_ctx_) {
    return out_of_range("prompt has " + std::to_string(n_prompt) + " tokens; the context length is " +
                        std::to_string(n_ctx_));
  }
  if (request.options.max_tokens >= 0 && n_prompt + request.options.max_tokens > n_ctx_) {
    return out_of_range("prompt (" + std::to_string(n_prompt) + " tokens) + max tokens (" +
                        std::to_string(request.options.max_tokens) + ") exceed the context length " +
                        std::to_string(n_ctx_));
  }
  if (!request.sink) return invalid_argument("request has no sink");
  // Builds the grammar vocabulary (once per model) here on the caller's thread rather than on the
  // engine thread; a failure surfaces when the request is admitted.
  if (request.options.grammar) (void)model_->grammar_vocab();
  auto seq = std::make_unique<Sequence>();
  seq->request = std::move(request);
  seq->start = std::chrono::steady_clock::now();
  uint64_t id;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (static_cast<int32_t>(waiting_.size()) >= options_.max_queue) {
      return Status(error_code::resource_exhausted, "the request queue is full (" +
                                                        std::to_string(options_.max_queue) + " waiting)");
    }
    id = next_id_++;
    seq->id = id;
    waiting_.push_back(std::move(seq));
    metrics_.queued = static_cast<int64_t>(waiting_.size());
  }
  wake_.notify_one();
  return id;
}

void Engine::cancel(uint64_t id) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    cancelled_.push_back(id);
  }
  wake_.notify_one();
}

EngineMetrics Engine::metrics() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return metrics_;
}

void Engine::finish(Sequence& seq, const Status& status) {
  if (seq.done) return;
  seq.done = true;
  seq.stats.generated = seq.generated;
  seq.request.sink->on_done(seq.stats, status);
  cache_->free_sequence(static_cast<int32_t>(seq.id));
  std::lock_guard<std::mutex> lock(mutex_);
  ++metrics_.requests_done;
}

void Engine::admit_waiting() {
  std::vector<uint64_t> cancelled;
  std::vector<std::unique_ptr<Sequence>> dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    cancelled.swap(cancelled_);
    // Cancelled requests still waiting never reach the engine.
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (std::find(cancelled.begin(), cancelled.end(), (*it)->id) != cancelled.end()) {
        dropped.push_back(std::move(*it));
        it = waiting_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& seq : dropped) {
    seq->stats.stop_reason = "cancelled";
    seq->request.sink->on_done(seq->stats, {});
  }
  if (!dropped.empty()) {  // they end here, so they count as done like those cancelled while running
    std::lock_guard<std::mutex> lock(mutex_);
    metrics_.requests_done += static_cast<int64_t>(dropped.size());
  }
  for (auto& seq : active_) {
    if (std::find(cancelled.begin(), cancelled.end(), seq->id) != cancelled.end()) {
      seq->stats.stop_reason = "cancelled";
      finish(*seq, {});
    }
  }

  while (static_cast<int32_t>(active_.size()) < options_.max_sequences) {
    std::unique_ptr<Sequence> seq;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (waiting_.empty()) break;
      seq = std::move(waiting_.front());
      waiting_.pop_front();
    }
    if (seq->request.options.grammar && !seq->matcher) {
      auto matcher = make_matcher(*model_, seq->request.options.grammar);
      if (!matcher.ok()) {
        seq->stats.stop_reason = "error";
        seq->request.sink->on_done(seq->stats, matcher.status());
        std::lock_guard<std::mutex> lock(mutex_);
        ++metrics_.requests_done;
        continue;
      }
      seq->matcher = std::move(matcher).value();
    }
    const auto& prompt = seq->request.prompt;
    const int32_t sid = static_cast<int32_t>(seq->id);
    const int64_t cached = options_.prefix_cache ? cache_->attach_prefix(sid, prompt) : 0;
    const int64_t n_prompt = static_cast<int64_t>(prompt.size());
    const int64_t blocks_needed = (n_prompt + cache_->block_size()) / cache_->block_size() + 1 -
                                  cached / cache_->block_size();
    if (blocks_needed > cache_->free_blocks() && !active_.empty()) {
      // Not enough KV memory now: wait until running sequences finish.
      cache_->free_sequence(sid);
      std::lock_guard<std::mutex> lock(mutex_);
      waiting_.push_front(std::move(seq));
      break;
    }
    seq->n_prompt = n_prompt;
    seq->n_past = cached;
    seq->tokens = prompt;
    seq->limit = seq->request.options.max_tokens >= 0 ? seq->request.options.max_tokens : n_ctx_ - n_prompt;
    seq->sampler = std::make_unique<sampling::Sampler>(seq->request.options.sampling);
    seq->decoder = std::make_unique<tokenizer::StreamingDecoder>(*model_->tokenizer, false);
    seq->stats.prompt_tokens = n_prompt;
    seq->stats.prompt_evaluated = n_prompt - cached;
    std::lock_guard<std::mutex> lock(mutex_);
    metrics_.prompt_tokens_total += n_prompt;
    metrics_.prompt_tokens_cached += cached;
    active_.push_back(std::move(seq));
  }
}

bool Engine::step() {
  admit_waiting();
  active_.erase(std::remove_if(active_.begin(), active_.end(), [](const auto& s) { return s->done; }), active_.end());
  if (active_.empty()) {
    std::lock_guard<std::mutex> lock(mutex_);
    metrics_.active = 0;
    metrics_.queued = static_cast<int64_t>(waiting_.size());
    metrics_.kv_blocks_used = cache_->total_blocks() - cache_->free_blocks();
    return false;
  }

  // Decode tokens first (one per running sequence), then prompt chunks in arrival order.
  std::vector<model::BatchToken> batch;
  std::vector<Sequence*> owners;  // owners[i] is the sequence of batch[i]
  int64_t budget = std::max<int64_t>(options_.n_batch, static_cast<int64_t>(active_.size()));
  for (auto& seq : active_) {
    if (seq->n_past < seq->n_prompt) continue;
    batch.push_back({seq->tokens.back(), static_cast<int32_t>(seq->n_past), static_cast<int32_t>(seq->id), true});
    owners.push_back(seq.get());
    --budget;
  }
  if (!batch.empty()) budget = std::min(budget, options_.n_prefill_while_decoding);
  for (auto& seq : active_) {
    if (seq->n_past >= seq->n_prompt || budget <= 0) continue;
    const int64_t chunk = std::min(budget, seq->n_prompt - seq->n_past);
    for (int64_t i = 0; i < chunk; ++i) {
      const int64_t pos = seq->n_past + i;
      batch.push_back({seq->tokens[static_cast<size_t>(pos)], static_cast<int32_t>(pos), static_cast<int32_t>(seq->id),
                       pos == seq->n_prompt - 1});
      owners.push_back(seq.get());
    }
    budget -= chunk;
  }

  // KV space for every sequence's new positions; a sequence that cannot grow ends here.
  std::vector<model::BatchToken> runnable;
  std::vector<Sequence*> runnable_owners;
  for (size_t i = 0; i < batch.size(); ++i) {
    Sequence* seq = owners[i];
    if (seq->done) continue;
    if (!cache_->reserve(batch[i].seq, batch[i].pos + 1).ok()) {
      seq->stats.stop_reason = "context";
      finish(*seq, seq->n_past < seq->n_prompt ? Status(error_code::resource_exhausted, "KV cache full") : Status{});
      continue;
    }
    runnable.push_back(batch[i]);
    runnable_owners.push_back(seq);
  }
  // Drop tokens of sequences that finished while reserving (their blocks are gone).
  std::vector<model::BatchToken> final_batch;
  std::vector<Sequence*> final_owners;
  for (size_t i = 0; i < runnable.size(); ++i) {
    if (runnable_owners[i]->done) continue;
    final_batch.push_back(runnable[i]);
    final_owners.push_back(runnable_owners[i]);
  }
  if (final_batch.empty()) return true;

  std::vector<float>& logits = logits_;
  const auto t0 = std::chrono::steady_clock::now();
  Status st = model_->model->forward(final_batch, *cache_, scratch_, *pool_, logits);
  if (!st.ok()) {
    for (Sequence* seq : final_owners) {
      seq->stats.stop_reason = "error";
      finish(*seq, st);
    }
    return true;
  }
  const double step_seconds = seconds(std::chrono::steady_clock::now() - t0);

  const int64_t n_vocab = model_->model->config().n_vocab;
  std::vector<float> logprobs(static_cast<size_t>(n_vocab));
  size_t row = 0;
  int64_t generated_now = 0;
  for (size_t i = 0; i < final_batch.size(); ++i) {
    Sequence& seq = *final_owners[i];
    const model::BatchToken& bt = final_batch[i];
    seq.n_past = std::max<int64_t>(seq.n_past, bt.pos + 1);
    if (seq.n_past <= seq.n_prompt) seq.stats.prompt_seconds += step_seconds / static_cast<double>(final_batch.size());
    if (!bt.want_logits) continue;
    std::span<const float> l(logits.data() + row * static_cast<size_t>(n_vocab), static_cast<size_t>(n_vocab));
    ++row;
    if (seq.done) continue;
    if (seq.n_past == seq.n_prompt && options_.prefix_cache) {
      cache_->publish_prefix(static_cast<int32_t>(seq.id), seq.request.prompt, seq.n_prompt);
    }

    TokenEvent ev;
    if (seq.matcher) {
      // Constrained: the mask (when the fast path's draw is rejected) is computed here, per
      // sequence; unconstrained sequences pay nothing.
      auto sampled = seq.sampler->sample(l, seq.tokens, *seq.matcher);
      Status accepted = sampled.ok() ? Status{} : sampled.status();
      if (accepted.ok() && *sampled == sampling::Sampler::kNoToken) {
        seq.stats.stop_reason = grammar_stop_reason(*seq.matcher);
        if (seq.generated > 0) seq.stats.generate_seconds = seconds(std::chrono::steady_clock::now() - seq.first_token);
        finish(seq, {});
        continue;
      }
      if (accepted.ok()) accepted = seq.matcher->accept_token(*sampled);
      if (!accepted.ok()) {
        seq.stats.stop_reason = "error";
        finish(seq, accepted);
        continue;
      }
      ev.id = *sampled;
    } else {
      ev.id = seq.sampler->sample(l, seq.tokens);
    }
    sampling::log_softmax(l, logprobs);
    ev.logprob = logprobs[static_cast<size_t>(ev.id)];
    if (seq.request.options.top_logprobs > 0) {
      ev.top = sampling::top_logprobs(logprobs, seq.request.options.top_logprobs);
    }
    const bool eog = seq.request.options.stop_at_eog && model_->tokenizer->is_eog(ev.id);
    ++seq.generated;
    ++generated_now;
    if (seq.generated == 1) seq.first_token = std::chrono::steady_clock::now();
    const bool at_limit = seq.generated >= seq.limit || seq.n_past >= n_ctx_;
    ev.text = eog ? seq.decoder->flush() : seq.decoder->push(ev.id);
    if (!eog && at_limit) ev.text += seq.decoder->flush();
    seq.tokens.push_back(ev.id);
    seq.request.sink->on_token(ev);
    if (eog || at_limit) {
      seq.stats.stop_reason = eog ? "eog" : (seq.generated >= seq.limit ? "limit" : "context");
      seq.stats.generate_seconds = seconds(std::chrono::steady_clock::now() - seq.first_token);
      finish(seq, {});
    }
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    metrics_.generated_tokens_total += generated_now;
    metrics_.active = std::count_if(active_.begin(), active_.end(), [](const auto& s) { return !s->done; });
    metrics_.queued = static_cast<int64_t>(waiting_.size());
    metrics_.kv_blocks_used = cache_->total_blocks() - cache_->free_blocks();
  }
  return true;
}

void Engine::run() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !waiting_.empty() || !active_.empty() || !cancelled_.empty(); });
      if (stopping_) break;
    }
    step();
  }
  // Shutdown: everything still queued or running ends as cancelled.
  std::deque<std::unique_ptr<Sequence>> waiting;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    waiting.swap(waiting_);
  }
  for (auto& seq : waiting) {
    seq->stats.stop_reason = "cancelled";
    seq->request.sink->on_done(seq->stats, {});
  }
  for (auto& seq : active_) {
    seq->stats.stop_reason = "cancelled";
    finish(*seq, {});
  }
}

}  // namespace plexus::runtime

#include "runtime/embedder.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "core/thread_pool.h"
#include "model/kv_cache.h"

namespace plexus::runtime {
namespace {

int64_t round_up(int64_t n, int64_t block) { return (n + block - 1) / block * block; }

constexpr int32_t kBlockSize = 16;

}  // namespace

Status pool_hidden(model::pooling_type pooling, const float* hidden, int64_t n_tokens, int64_t n_embd, float* out) {
  if (n_tokens <= 0) return invalid_argument("cannot pool an empty sequence");
  switch (pooling) {
    case model::pooling_type::mean: {
      std::vector<double> sum(static_cast<size_t>(n_embd), 0.0);
      for (int64_t t = 0; t < n_tokens; ++t) {
        const float* row = hidden + t * n_embd;
        for (int64_t j = 0; j < n_embd; ++j) sum[static_cast<size_t>(j)] += row[j];
      }
      for (int64_t j = 0; j < n_embd; ++j) {
        out[j] = static_cast<float>(sum[static_cast<size_t>(j)] / static_cast<double>(n_tokens));
      }
      return {};
    }
    case model::pooling_type::cls:
      std::copy_n(hidden, n_embd, out);
      return {};
    case model::pooling_type::last:
      std::copy_n(hidden + (n_tokens - 1) * n_embd, n_embd, out);
      return {};
    case model::pooling_type::none:
      break;
  }
  return invalid_argument("pooling 'none' gives one vector per token, not an embedding");
}

double l2_normalize(float* v, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(v[i]) * v[i];
  const double norm = std::sqrt(sum);
  if (norm > 0.0) {
    for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(v[i] / norm);
  }
  return norm;
}

// One request in flight: its inputs, the vectors done so far and where to report.
struct Job {
  EmbedRequest request;
  model::pooling_type pooling = model::pooling_type::mean;
  EmbedCallback done;
  EmbedResult result;
  size_t next_input = 0;  // first input not yet packed into a forward pass
  size_t remaining = 0;   // inputs not yet pooled
  bool failed = false;
};

// Shared between the handle and the embedder thread, so the thread can outlive a handle
// destroyed on the thread itself (a callback dropping the last owner).
struct Embedder::Core {
  std::shared_ptr<const LoadedModel> model;
  EmbedderOptions options;
  int64_t n_ctx = 0;
  int64_t n_embd = 0;

  mutable std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::shared_ptr<Job>> waiting;  // guarded by mutex
  int64_t queued_inputs = 0;                 // guarded by mutex
  bool stopping = false;                     // guarded by mutex
  EmbedderMetrics metrics;                   // guarded by mutex
  std::thread thread;

  // Embedder-thread state, created on first use.
  std::shared_ptr<ThreadPool> pool;  // options.pool when shared
  std::unique_ptr<model::KvCache> cache;
  model::ForwardScratch scratch;
  std::vector<float> hidden;

  int64_t cache_tokens() const { return round_up(std::max(options.n_batch, n_ctx), kBlockSize); }

  void run();
  // Packs inputs from the front of `waiting` (at least one); caller holds mutex.
  std::vector<std::pair<std::shared_ptr<Job>, size_t>> take_pack_locked();
  void evaluate(const std::vector<std::pair<std::shared_ptr<Job>, size_t>>& pack);
};

std::vector<std::pair<std::shared_ptr<Job>, size_t>> Embedder::Core::take_pack_locked() {
  std::vector<std::pair<std::shared_ptr<Job>, size_t>> pack;
  int64_t tokens = 0;
  const int64_t budget = cache_tokens();
  while (!waiting.empty()) {
    std::shared_ptr<Job>& job = waiting.front();
    if (job->failed) {
      queued_inputs -= static_cast<int64_t>(job->request.inputs.size() - job->next_input);
      waiting.pop_front();
      continue;
    }
    const int64_t len = static_cast<int64_t>(job->request.inputs[job->next_input].size());
    const int64_t need = round_up(len, kBlockSize);
    if (!pack.empty() && (tokens + need > budget || static_cast<int32_t>(pack.size()) >= options.max_sequences)) break;
    pack.emplace_back(job, job->next_input);
    tokens += need;
    --queued_inputs;
    if (++job->next_input == job->request.inputs.size()) waiting.pop_front();
  }
  return pack;
}

void Embedder::Core::evaluate(const std::vector<std::pair<std::shared_ptr<Job>, size_t>>& pack) {
  const model::Model& m = *model->model;
  if (!pool) {
    pool = options.pool ? options.pool
                        : std::make_shared<ThreadPool>(options.threads > 0 ? options.threads : ThreadPool::hardware_threads());
  }
  if (!cache) cache = std::make_unique<model::KvCache>(m.kv_shape(), cache_tokens(), kBlockSize);
  cache->clear();

  std::vector<model::BatchToken> batch;
  std::vector<int64_t> first_row(pack.size());  // first hidden row of each sequence
  std::vector<int64_t> rows(pack.size());       // hidden rows of each sequence
  int64_t n_rows = 0;
  Status status;
  for (size_t s = 0; s < pack.size() && status.ok(); ++s) {
    const Job& job = *pack[s].first;
    const std::vector<int32_t>& ids = job.request.inputs[pack[s].second];
    const int64_t len = std::min<int64_t>(static_cast<int64_t>(ids.size()), n_ctx);
    const int32_t seq = static_cast<int32_t>(s);
    status = cache->reserve(seq, len);
    first_row[s] = n_rows;
    rows[s] = job.pooling == model::pooling_type::mean ? len : 1;
    for (int64_t p = 0; p < len; ++p) {
      bool want = false;
      switch (job.pooling) {
        case model::pooling_type::mean:
          want = true;
          break;
        case model::pooling_type::cls:
          want = p == 0;
          break;
        case model::pooling_type::last:
          want = p == len - 1;
          break;
        case model::pooling_type::none:
          break;
      }
      batch.push_back({ids[static_cast<size_t>(p)], static_cast<int32_t>(p), seq, want});
    }
    n_rows += rows[s];
  }
  if (status.ok()) status = m.forward_hidden(batch, *cache, scratch, *pool, hidden);
  if (status.ok() && static_cast<int64_t>(hidden.size()) != n_rows * n_embd) {
    status = internal_error("the model returned " + std::to_string(hidden.size()) + " hidden floats, expected " +
                            std::to_string(n_rows * n_embd));
  }

  std::vector<std::shared_ptr<Job>> finished;
  {
    std::lock_guard lock(mutex);
    ++metrics.forward_passes;
    for (size_t s = 0; s < pack.size(); ++s) {
      Job& job = *pack[s].first;
      if (job.failed) continue;
      if (!status.ok()) {
        job.failed = true;
        finished.push_back(pack[s].first);
        continue;
      }
      std::vector<float>& out = job.result.embeddings[pack[s].second];
      out.resize(static_cast<size_t>(n_embd));
      const int64_t len = std::min<int64_t>(static_cast<int64_t>(job.request.inputs[pack[s].second].size()), n_ctx);
      Status st = pool_hidden(job.pooling, hidden.data() + first_row[s] * n_embd, rows[s], n_embd, out.data());
      if (!st.ok()) {
        status = st;
        job.failed = true;
        finished.push_back(pack[s].first);
        continue;
      }
      if (job.request.normalize) l2_normalize(out.data(), n_embd);
      job.result.prompt_tokens += len;
      ++metrics.inputs_done;
      metrics.tokens_done += len;
      if (--job.remaining == 0) finished.push_back(pack[s].first);
    }
    metrics.requests_done += static_cast<int64_t>(finished.size());
  }
  for (auto& job : finished) {
    if (job->failed) {
      job->done(status.ok() ? internal_error("embedding failed") : status);
    } else {
      job->done(std::move(job->result));
    }
  }
}

void Embedder::Core::run() {
  std::unique_lock lock(mutex);
  while (true) {
    wake.wait(lock, [&] { return stopping || !waiting.empty(); });
    if (stopping) break;
    auto pack = take_pack_locked();
    if (pack.empty()) continue;
    lock.unlock();
    evaluate(pack);
    pack.clear();
    lock.lock();
  }
  std::deque<std::shared_ptr<Job>> left;
  left.swap(waiting);
  queued_inputs = 0;
  lock.unlock();
  for (auto& job : left) {
    if (!job->failed) job->done(Status(error_code::cancelled, "the embedder is shutting down"));
  }
}

Embedder::Embedder(std::shared_ptr<const LoadedModel> model, const EmbedderOptions& options)
    : core_(std::make_shared<Core>()) {
  const model::ModelConfig& c = model->model->config();
  default_pooling_ = c.pooling != model::pooling_type::none ? c.pooling : options.pooling;
  n_ctx_ = default_context(c, options.n_ctx);
  if (!c.causal || !model->model->can_generate()) n_ctx_ = std::min(n_ctx_, c.n_ctx_train);  // position table
  core_->model = std::move(model);
  core_->options = options;
  core_->options.n_batch = std::max<int64_t>(options.n_batch, 1);
  core_->options.max_queue = std::max<int32_t>(options.max_queue, 1);
  core_->options.max_sequences = std::max<int32_t>(options.max_sequences, 1);
  core_->n_ctx = n_ctx_;
  core_->n_embd = c.n_embd;
  core_->thread = std::thread([core = core_] { core->run(); });
}

Embedder::~Embedder() {
  {
    std::lock_guard lock(core_->mutex);
    core_->stopping = true;
  }
  core_->wake.notify_all();
  if (core_->thread.get_id() == std::this_thread::get_id()) {
    core_->thread.detach();  // the thread holds its own reference to core_
  } else if (core_->thread.joinable()) {
    core_->thread.join();
  }
}

int64_t Embedder::n_embd() const { return core_->n_embd; }
int32_t Embedder::max_queue() const { return core_->options.max_queue; }
const LoadedModel& Embedder::model() const { return *core_->model; }

EmbedderMetrics Embedder::metrics() const {
  std::lock_guard lock(core_->mutex);
  EmbedderMetrics m = core_->metrics;
  m.queued_inputs = core_->queued_inputs;
  return m;
}

Status Embedder::submit(EmbedRequest request, EmbedCallback done) {
  Core& c = *core_;
  const model::pooling_type pooling = request.pooling.value_or(default_pooling_);
  if (pooling == model::pooling_type::none) {
    return invalid_argument(
        "the model has no pooling type, so it gives no sentence embedding; name one (mean, cls, last) per request "
        "or start the server with --pooling");
  }
  if (request.inputs.empty()) return invalid_argument("no inputs to embed");
  if (request.inputs.size() > static_cast<size_t>(c.options.max_queue)) {
    return invalid_argument(std::to_string(request.inputs.size()) + " inputs are more than the " +
                            std::to_string(c.options.max_queue) + " one request may hold");
  }
  const int32_t n_vocab = static_cast<int32_t>(c.model->model->config().n_vocab);
  for (size_t i = 0; i < request.inputs.size(); ++i) {
    const auto& ids = request.inputs[i];
    if (ids.empty()) return invalid_argument("input " + std::to_string(i) + " has no tokens");
    if (static_cast<int64_t>(ids.size()) > n_ctx_ && !request.truncate) {
      return out_of_range("input " + std::to_string(i) + " has " + std::to_string(ids.size()) +
                          " tokens, more than the context of " + std::to_string(n_ctx_) +
                          " tokens (ask for truncation to cut it)");
    }
    for (int32_t id : ids) {
      if (id < 0 || id >= n_vocab) {
        return invalid_argument("input " + std::to_string(i) + " holds token id " + std::to_string(id) +
                                ", outside the vocabulary (0.." + std::to_string(n_vocab - 1) + ")");
      }
    }
  }
  auto job = std::make_shared<Job>();
  job->pooling = pooling;
  job->remaining = request.inputs.size();
  job->result.embeddings.resize(request.inputs.size());
  job->request = std::move(request);
  job->done = std::move(done);
  {
    std::lock_guard lock(c.mutex);
    if (c.stopping) return Status(error_code::cancelled, "the embedder is shutting down");
    const int64_t n = static_cast<int64_t>(job->request.inputs.size());
    if (c.queued_inputs + n > c.options.max_queue) {
      return Status(error_code::resource_exhausted,
                    "the embedding queue is full (" + std::to_string(c.queued_inputs) + " inputs waiting)");
    }
    c.queued_inputs += n;
    c.waiting.push_back(std::move(job));
  }
  c.wake.notify_one();
  return {};
}

Result<EmbedResult> Embedder::embed(EmbedRequest request) {
  auto promise = std::make_shared<std::promise<Result<EmbedResult>>>();
  auto future = promise->get_future();
  PLEXUS_RETURN_IF_ERROR(
      submit(std::move(request), [promise](Result<EmbedResult> r) { promise->set_value(std::move(r)); }));
  return future.get();
}

}  // namespace plexus::runtime

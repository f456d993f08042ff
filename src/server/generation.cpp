#include "server/generation.h"

#include <algorithm>
#include <deque>
#include <mutex>

namespace plexus::server {
namespace {

using clock = std::chrono::steady_clock;

// Events one job may have in flight between the engine and the strand. The strand drains far
// faster than the engine produces; reaching this means the strand is stuck, and the job fails.
constexpr size_t kMaxQueuedEvents = 1 << 16;

struct QueuedEvent {
  int index = 0;
  bool done = false;
  runtime::TokenEvent token;
  runtime::GenerateStats stats;
  Status status;
  clock::time_point at;
};

class Job;

// Filled by the engine thread, drained on the strand. Thread-safe (mutex).
struct EventQueue {
  std::mutex mutex;
  std::deque<QueuedEvent> events;
  bool scheduled = false;
  bool overflow = false;
};

struct Choice {
  uint64_t engine_id = 0;
  bool submitted = false;
  bool finished = false;  // reported to the observer
  bool engine_done = false;
  int64_t tokens = 0;     // tokens consumed up to the finish
  std::optional<clock::time_point> last_token_at;
  std::optional<StopMatcher> matcher;
  struct Pending {
    TokenLogprob lp;
    size_t start = 0, end = 0;  // byte range in the choice's text stream
  };
  std::deque<Pending> pending_logprobs;
  runtime::GenerateStats stats;
};

class Job : public std::enable_shared_from_this<Job> {
 public:
  Job(std::shared_ptr<ModelLease> lease, std::shared_ptr<ResponseChannel> channel, JobSpec spec,
      std::shared_ptr<GenerationObserver> observer, std::shared_ptr<ServerMetrics> metrics)
      : lease_(std::move(lease)),
        channel_(std::move(channel)),
        spec_(std::move(spec)),
        observer_(std::move(observer)),
        metrics_(std::move(metrics)),
        queue_(std::make_shared<EventQueue>()),
        choices_(static_cast<size_t>(spec_.n)) {
    for (auto& c : choices_) c.matcher.emplace(spec_.stop);
  }

  std::optional<ApiError> start();

  // Engine thread.
  void push(QueuedEvent ev) {
    bool schedule = false;
    {
      std::lock_guard lock(queue_->mutex);
      if (!ev.done && queue_->events.size() >= kMaxQueuedEvents) {
        queue_->overflow = true;
      } else {
        queue_->events.push_back(std::move(ev));
      }
      if (!queue_->scheduled) {
        queue_->scheduled = true;
        schedule = true;
      }
    }
    if (schedule) channel_->post([self = shared_from_this()] { self->drain(); });
  }

 private:
  void drain();
  void on_token(Choice& c, int index, const QueuedEvent& ev);
  void on_engine_done(Choice& c, int index, const QueuedEvent& ev);
  void release(Choice& c, int index, std::string text, bool final_release);
  void finish_choice(Choice& c, int index, const std::string& reason);
  void cancel_all();

  std::shared_ptr<ModelLease> lease_;
  std::shared_ptr<ResponseChannel> channel_;
  JobSpec spec_;
  std::shared_ptr<GenerationObserver> observer_;
  std::shared_ptr<ServerMetrics> metrics_;
  std::shared_ptr<EventQueue> queue_;
  std::vector<Choice> choices_;
  clock::time_point submitted_at_ = clock::now();
  bool first_token_seen_ = false;
  bool complete_ = false;
  std::optional<ApiError> error_;
};

// The engine's view of one choice: forwards events to the job. Called on the engine thread.
class ChoiceSink final : public runtime::RequestSink {
 public:
  ChoiceSink(std::shared_ptr<Job> job, int index) : job_(std::move(job)), index_(index) {}
  void on_token(const runtime::TokenEvent& event) override {
    QueuedEvent ev;
    ev.index = index_;
    ev.token = event;
    ev.at = clock::now();
    job_->push(std::move(ev));
  }
  void on_done(const runtime::GenerateStats& stats, const Status& status) override {
    QueuedEvent ev;
    ev.index = index_;
    ev.done = true;
    ev.stats = stats;
    ev.status = status;
    ev.at = clock::now();
    job_->push(std::move(ev));
    job_.reset();  // the engine may keep the sink a little longer; the job need not live on
  }

 private:
  std::shared_ptr<Job> job_;
  int index_;
};

std::optional<ApiError> Job::start() {
  runtime::Engine& engine = lease_->engine();
  for (int i = 0; i < spec_.n; ++i) {
    runtime::GenerateRequest req;
    req.prompt = spec_.prompt;
    req.options = spec_.options;
    req.options.sampling.seed = spec_.options.sampling.seed + static_cast<uint64_t>(i);
    req.sink = std::make_shared<ChoiceSink>(shared_from_this(), i);
    auto id = engine.submit(std::move(req));
    if (!id.ok()) {
      cancel_all();
      // The cancelled choices still report on_done; the job ignores them (complete_).
      complete_ = true;
      return from_status(id.status(), id.status().code() == error_code::out_of_range ? "max_tokens" : "");
    }
    choices_[static_cast<size_t>(i)].engine_id = *id;
    choices_[static_cast<size_t>(i)].submitted = true;
  }
  if (metrics_) metrics_->add_prompt_tokens(static_cast<int64_t>(spec_.prompt.size()));
  channel_->on_client_gone([self = shared_from_this()] {
    if (self->metrics_ && !self->complete_) self->metrics_->count_client_gone();
    self->cancel_all();
  });
  return std::nullopt;
}

void Job::cancel_all() {
  for (auto& c : choices_) {
    if (c.submitted && !c.engine_done) lease_->engine().cancel(c.engine_id);
  }
}

void Job::drain() {
  std::deque<QueuedEvent> events;
  bool overflow = false;
  {
    std::lock_guard lock(queue_->mutex);
    events.swap(queue_->events);
    queue_->scheduled = false;
    overflow = queue_->overflow;
  }
  if (complete_) return;
  if (overflow && !error_) {
    error_ = internal("generation output backed up; the request was cancelled");
    cancel_all();
  }
  for (const auto& ev : events) {
    Choice& c = choices_[static_cast<size_t>(ev.index)];
    if (ev.done) {
      on_engine_done(c, ev.index, ev);
    } else if (!c.finished && !error_) {
      on_token(c, ev.index, ev);
    }
  }
  for (const auto& c : choices_) {
    if (!c.engine_done) return;
  }
  complete_ = true;
  GenerationUsage usage;
  usage.prompt_tokens = static_cast<int64_t>(spec_.prompt.size());
  for (const auto& c : choices_) {
    usage.completion_tokens += c.tokens;
    usage.prompt_seconds = std::max(usage.prompt_seconds, c.stats.prompt_seconds);
    usage.generate_seconds = std::max(usage.generate_seconds, c.stats.generate_seconds);
  }
  usage.total_seconds = std::chrono::duration<double>(clock::now() - submitted_at_).count();
  if (metrics_) {
    metrics_->add_generated_tokens(usage.completion_tokens);
    metrics_->observe_request(usage.total_seconds);
  }
  lease_.reset();  // the engine is done with every choice
  auto observer = std::move(observer_);
  if (channel_->client_gone()) return;
  if (error_) {
    observer->on_error(*error_);
  } else {
    observer->on_complete(usage);
  }
}

void Job::on_token(Choice& c, int index, const QueuedEvent& ev) {
  const auto& tok = lease_->tokenizer();
  if (!first_token_seen_) {
    first_token_seen_ = true;
    if (metrics_) metrics_->observe_ttft(std::chrono::duration<double>(ev.at - submitted_at_).count());
  }
  if (c.last_token_at && metrics_) {
    metrics_->observe_inter_token(std::chrono::duration<double>(ev.at - *c.last_token_at).count());
  }
  c.last_token_at = ev.at;
  ++c.tokens;
  const bool eog = tok.is_eog(ev.token.id);
  if (spec_.logprobs && !eog) {
    Choice::Pending p;
    p.lp.id = ev.token.id;
    p.lp.token = tok.token_to_piece(ev.token.id, /*render_special=*/true);
    p.lp.logprob = ev.token.logprob;
    for (const auto& [id, lp] : ev.token.top) p.lp.top.emplace_back(tok.token_to_piece(id, true), lp);
    p.start = c.matcher->pushed();
    p.end = p.start + ev.token.text.size();
    c.pending_logprobs.push_back(std::move(p));
  }
  std::string text = c.matcher->push(ev.token.text);
  if (c.matcher->stopped()) {
    release(c, index, std::move(text), true);
    finish_choice(c, index, "stop");
    lease_->engine().cancel(c.engine_id);
    return;
  }
  release(c, index, std::move(text), false);
}

void Job::release(Choice& c, int index, std::string text, bool final_release) {
  ChoiceDelta delta;
  delta.index = index;
  delta.text = std::move(text);
  const size_t released = c.matcher->released();
  while (!c.pending_logprobs.empty()) {
    const auto& p = c.pending_logprobs.front();
    // A token is reported once all its text is shown; at the end, once any of it is.
    const bool shown = final_release ? p.start < released || (p.start == p.end && p.start <= released)
                                     : p.end <= released;
    if (!shown) break;
    delta.logprobs.push_back(std::move(c.pending_logprobs.front().lp));
    c.pending_logprobs.pop_front();
  }
  if (final_release) c.pending_logprobs.clear();
  if ((delta.text.empty() && delta.logprobs.empty()) || channel_->client_gone()) return;
  observer_->on_delta(delta);
}

void Job::finish_choice(Choice& c, int index, const std::string& reason) {
  if (c.finished) return;
  c.finished = true;
  if (!channel_->client_gone()) observer_->on_choice_done(index, reason);
}

void Job::on_engine_done(Choice& c, int index, const QueuedEvent& ev) {
  c.engine_done = true;
  c.stats = ev.stats;
  if (c.finished) return;
  if (!ev.status.ok()) {
    if (!error_) error_ = from_status(ev.status);
    c.finished = true;
    return;
  }
  if (error_) {
    c.finished = true;
    return;
  }
  release(c, index, c.matcher->flush(), true);
  const std::string& why = ev.stats.stop_reason;
  if (why == "cancelled" || why == "error") {
    // Not asked for by this job (it marks its own stops finished first): shutdown or overflow.
    if (!error_) error_ = unavailable("the generation was cancelled (server shutting down?)");
    c.finished = true;
    return;
  }
  // "grammar": the constrained output cannot continue in this vocabulary; it ends like a stop.
  finish_choice(c, index, why == "eog" || why == "grammar" ? "stop" : "length");
}

}  // namespace

std::optional<ApiError> start_generation(std::shared_ptr<ModelLease> lease, std::shared_ptr<ResponseChannel> channel,
                                         JobSpec spec, std::shared_ptr<GenerationObserver> observer,
                                         std::shared_ptr<ServerMetrics> metrics) {
  if (spec.n < 1) return bad_field("n", "'n' must be at least 1");
  if (!lease->model().model->can_generate()) {
    return bad_field("model", "the model '" + lease->id() +
                                  "' is an embedding model: it cannot generate text (use /v1/embeddings)");
  }
  auto job = std::make_shared<Job>(std::move(lease), std::move(channel), std::move(spec), std::move(observer),
                                   std::move(metrics));
  return job->start();
}

}  // namespace plexus::server

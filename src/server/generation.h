// One API request's generation: n choices submitted to the model's Engine, their token events
// carried from the engine thread to the connection's strand through a bounded queue, stop
// strings applied (text that may start a stop string is held back), and the results handed to
// a GenerationObserver (the API's formatter) on the strand. The client going away cancels every
// choice. The model lease is held until the engine has finished every choice.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/engine.h"
#include "server/api_errors.h"
#include "server/http_types.h"
#include "server/metrics.h"
#include "server/model_manager.h"
#include "server/stop_matcher.h"

namespace plexus::server {

struct TokenLogprob {
  int32_t id = 0;
  std::string token;  // the token's bytes (may be a partial UTF-8 character)
  float logprob = 0;
  std::vector<std::pair<std::string, float>> top;  // best first
};

struct ChoiceDelta {
  int index = 0;
  std::string text;
  std::vector<TokenLogprob> logprobs;  // the tokens whose text this delta completes
};

struct GenerationUsage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;  // over all choices, up to each choice's stop
  double prompt_seconds = 0;
  double generate_seconds = 0;
  double total_seconds = 0;
};

// Receives one job's output, on the connection's strand, in order: on_delta* and
// on_choice_done per choice (interleaved across choices), then exactly one of on_complete or
// on_error. Not called any more once the client is gone.
// Not thread-safe: strand-confined.
class GenerationObserver {
 public:
  virtual ~GenerationObserver() = default;
  virtual void on_delta(const ChoiceDelta& delta) = 0;
  // finish_reason: "stop" (end of text or a stop string), "length" (max_tokens or context).
  virtual void on_choice_done(int index, const std::string& finish_reason) = 0;
  virtual void on_complete(const GenerationUsage& usage) = 0;
  // The engine failed a choice; output may already have been sent.
  virtual void on_error(const ApiError& error) = 0;
};

struct JobSpec {
  std::vector<int32_t> prompt;
  runtime::GenerateOptions options;  // per choice; choice i uses seed + i
  int n = 1;
  std::vector<std::string> stop;
  bool logprobs = false;  // fill ChoiceDelta::logprobs (options.top_logprobs alternatives)
};

// Submits the job's choices; nullopt on success (the observer then receives everything), else
// the error to answer with (nothing was sent; already submitted choices are cancelled).
// Call on the channel's strand.
std::optional<ApiError> start_generation(std::shared_ptr<ModelLease> lease, std::shared_ptr<ResponseChannel> channel,
                                         JobSpec spec, std::shared_ptr<GenerationObserver> observer,
                                         std::shared_ptr<ServerMetrics> metrics);

}  // namespace plexus::server

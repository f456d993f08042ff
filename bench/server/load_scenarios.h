// Load scenarios for `plexus serve`: N concurrent streaming clients, and the time to first token of
// a long prompt sent while other streams decode. Each stream is one OpenAI streaming request
// (`/v1/completions` or `/v1/chat/completions`, temperature 0, stream_options.include_usage) on its
// own connection and thread; its events are time-stamped on arrival.
// Thread-safe: run one scenario at a time; a scenario starts and joins its own client threads.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "http_client.h"
#include "core/status.h"

namespace plexus::bench {

struct LoadConfig {
  Endpoint endpoint;
  std::string model;           // the model id the server knows
  bool chat = false;           // /v1/chat/completions instead of /v1/completions
  int max_tokens = 128;        // per short-prompt stream
  int short_prompt_words = 8;  // one-letter words; about one token each
};

// One stream's record. Times are seconds since the scenario's origin.
struct StreamRecord {
  bool ok = false;
  std::string error;
  int http_status = 0;
  double sent = 0;
  double first = -1;  // first event carrying text (or a finish reason)
  double end = 0;     // the [DONE] event or the end of the body
  int64_t prompt_tokens = -1;      // usage.prompt_tokens (-1: not reported)
  int64_t completion_tokens = -1;  // usage.completion_tokens
  std::vector<double> token_times;  // arrival of each event carrying text
  std::string finish_reason;
};

struct LevelRun {
  int clients = 0;
  double wall = 0;             // first request sent -> last stream done, seconds
  int64_t tokens = 0;          // sum of usage.completion_tokens
  double aggregate = 0;        // tokens / wall
  double steady = 0;           // token events/s while all clients were decoding (0: no overlap)
  double per_stream = 0;       // mean over streams of (events - 1) / (last - first event)
  double ttft_mean = 0;        // seconds
  double ttft_max = 0;
  int failed = 0;              // streams that did not end normally
  std::string first_error;
};

struct TtftRun {
  int64_t prompt_tokens = 0;    // as the server counted them
  double idle_ttft = 0;         // the long prompt alone, seconds
  double loaded_ttft = 0;       // the long prompt while `background` streams decode, seconds
  int background = 0;
  double background_gap_median = 0;  // background inter-token gap over the whole run, seconds
  double background_gap_max = 0;     // largest gap while the long prompt was prefilled
  double background_rate = 0;        // background token events/s (all streams) before the long prompt
  int failed = 0;
  std::string first_error;
};

// Runs one streaming request to completion (the calling thread blocks).
StreamRecord run_stream(const LoadConfig& cfg, const std::string& prompt, int max_tokens, Clock::time_point origin);

// `clients` streams with distinct short prompts, started together.
LevelRun run_level(const LoadConfig& cfg, int clients, std::mt19937_64& rng);

// A prompt of exactly `tokens` tokens (BOS included, as /v1/completions counts them), calibrated
// with POST /tokenize; random one-letter words, so two calls share no prefix block.
Result<std::string> make_long_prompt(const LoadConfig& cfg, int64_t tokens, std::mt19937_64& rng);

// The long prompt's time to first token alone, then while `background` short streams decode
// (sent once every background stream has produced `warm_events` tokens).
TtftRun run_ttft(const LoadConfig& cfg, int64_t long_tokens, int background, std::mt19937_64& rng);

// Short distinct prompt of `words` random one-letter words.
std::string short_prompt(int words, std::mt19937_64& rng);

}  // namespace plexus::bench

#include "load_scenarios.h"

#include <algorithm>
#include <atomic>
#include <latch>
#include <thread>

#include <nlohmann/json.hpp>

namespace plexus::bench {
namespace {

using json = nlohmann::json;

double since(Clock::time_point origin, Clock::time_point t) { return std::chrono::duration<double>(t - origin).count(); }

std::string request_body(const LoadConfig& cfg, const std::string& prompt, int max_tokens) {
  json body = {{"model", cfg.model},
               {"max_tokens", max_tokens},
               {"temperature", 0},
               {"stream", true},
               {"stream_options", {{"include_usage", true}}}};
  if (cfg.chat) {
    body["messages"] = json::array({{{"role", "user"}, {"content", prompt}}});
  } else {
    body["prompt"] = prompt;
  }
  return body.dump();
}

// Text of the first choice of a streamed chunk ("" when none); sets `finished` when the chunk
// carries a finish reason.
std::string chunk_text(const json& chunk, bool chat, std::string& finish) {
  const auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array() || choices->empty()) return {};
  const json& c = (*choices)[0];
  if (auto f = c.find("finish_reason"); f != c.end() && f->is_string()) finish = f->get<std::string>();
  if (chat) {
    const auto delta = c.find("delta");
    if (delta == c.end() || !delta->is_object()) return {};
    const auto content = delta->find("content");
    return content != delta->end() && content->is_string() ? content->get<std::string>() : std::string();
  }
  const auto text = c.find("text");
  return text != c.end() && text->is_string() ? text->get<std::string>() : std::string();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

// Events/s summed over streams inside [from, to].
double events_rate(const std::vector<StreamRecord>& streams, double from, double to) {
  if (to <= from) return 0;
  int64_t n = 0;
  for (const auto& s : streams) {
    n += std::count_if(s.token_times.begin(), s.token_times.end(), [&](double t) { return t > from && t <= to; });
  }
  return static_cast<double>(n) / (to - from);
}

}  // namespace

std::string short_prompt(int words, std::mt19937_64& rng) {
  std::string p;
  for (int i = 0; i < words; ++i) {
    if (i) p += ' ';
    p += static_cast<char>('a' + rng() % 26);
  }
  return p;
}

StreamRecord run_stream(const LoadConfig& cfg, const std::string& prompt, int max_tokens, Clock::time_point origin) {
  StreamRecord rec;
  Clock::time_point sent;
  bool done = false;
  std::string parse_error;
  Result<int> status = http_stream(cfg.endpoint, cfg.chat ? "/v1/chat/completions" : "/v1/completions",
                                   request_body(cfg, prompt, max_tokens), sent, [&](const SseEvent& ev) {
                                     if (ev.data == "[DONE]") {
                                       done = true;
                                       rec.end = since(origin, ev.at);
                                       return false;
                                     }
                                     const json chunk = json::parse(ev.data, nullptr, false);
                                     if (chunk.is_discarded() || !chunk.is_object()) {
                                       parse_error = "unparsable event: " + ev.data.substr(0, 200);
                                       return false;
                                     }
                                     if (auto e = chunk.find("error"); e != chunk.end()) {
                                       parse_error = "server error: " + e->dump().substr(0, 300);
                                       return false;
                                     }
                                     std::string finish;
                                     const std::string text = chunk_text(chunk, cfg.chat, finish);
                                     const double t = since(origin, ev.at);
                                     if (!text.empty()) rec.token_times.push_back(t);
                                     if ((!text.empty() || !finish.empty()) && rec.first < 0) rec.first = t;
                                     if (!finish.empty()) rec.finish_reason = finish;
                                     if (auto u = chunk.find("usage"); u != chunk.end() && u->is_object()) {
                                       rec.prompt_tokens = u->value("prompt_tokens", int64_t{-1});
                                       rec.completion_tokens = u->value("completion_tokens", int64_t{-1});
                                     }
                                     return true;
                                   });
  rec.sent = since(origin, sent);
  if (!status.ok()) {
    rec.error = status.status().to_string();
    return rec;
  }
  rec.http_status = *status;
  if (rec.http_status != 200) {
    rec.error = "HTTP " + std::to_string(rec.http_status) + (parse_error.empty() ? "" : ": " + parse_error);
    return rec;
  }
  if (!parse_error.empty()) {
    rec.error = parse_error;
    return rec;
  }
  if (!done) {
    rec.error = "stream ended without [DONE]";
    return rec;
  }
  if (rec.completion_tokens < 0) {
    rec.error = "no usage chunk";
    return rec;
  }
  rec.ok = true;
  return rec;
}

LevelRun run_level(const LoadConfig& cfg, int clients, std::mt19937_64& rng) {
  LevelRun run;
  run.clients = clients;
  std::vector<std::string> prompts;
  for (int i = 0; i < clients; ++i) prompts.push_back(short_prompt(cfg.short_prompt_words, rng));
  std::vector<StreamRecord> streams(static_cast<size_t>(clients));
  const Clock::time_point origin = Clock::now();
  {
    std::latch go(clients + 1);
    std::vector<std::thread> threads;
    for (int i = 0; i < clients; ++i) {
      threads.emplace_back([&, i] {
        go.arrive_and_wait();
        streams[static_cast<size_t>(i)] = run_stream(cfg, prompts[static_cast<size_t>(i)], cfg.max_tokens, origin);
      });
    }
    go.arrive_and_wait();
    for (auto& t : threads) t.join();
  }
  double first_sent = 1e300, last_end = 0, all_decoding = 0, first_done = 1e300, ttft_sum = 0, rate_sum = 0;
  int rated = 0;
  for (const auto& s : streams) {
    if (!s.ok) {
      if (run.failed++ == 0) run.first_error = s.error;
      continue;
    }
    first_sent = std::min(first_sent, s.sent);
    last_end = std::max(last_end, s.end);
    run.tokens += s.completion_tokens;
    if (!s.token_times.empty()) {
      all_decoding = std::max(all_decoding, s.token_times.front());
      first_done = std::min(first_done, s.token_times.back());
    }
    const double ttft = s.first - s.sent;
    ttft_sum += ttft;
    run.ttft_max = std::max(run.ttft_max, ttft);
    if (s.token_times.size() >= 2) {
      rate_sum += static_cast<double>(s.token_times.size() - 1) / (s.token_times.back() - s.token_times.front());
      ++rated;
    }
  }
  const int ok = clients - run.failed;
  if (ok > 0) {
    run.wall = last_end - first_sent;
    run.aggregate = run.wall > 0 ? static_cast<double>(run.tokens) / run.wall : 0;
    run.ttft_mean = ttft_sum / ok;
    run.per_stream = rated > 0 ? rate_sum / rated : 0;
    run.steady = events_rate(streams, all_decoding, first_done);
  }
  return run;
}

Result<std::string> make_long_prompt(const LoadConfig& cfg, int64_t tokens, std::mt19937_64& rng) {
  if (tokens < 2 || tokens > 1000000) return invalid_argument("long prompt length must be in [2, 1000000] tokens");
  std::vector<char> words;
  for (int64_t i = 0; i + 1 < tokens; ++i) words.push_back(static_cast<char>('a' + rng() % 26));
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string text;
    for (size_t i = 0; i < words.size(); ++i) {
      if (i) text += ' ';
      text += words[i];
    }
    const json req = {{"model", cfg.model}, {"content", text}, {"add_special", true}};
    PLEXUS_ASSIGN_OR_RETURN(const HttpResponse r, http_request(cfg.endpoint, "POST", "/tokenize", req.dump()));
    if (r.status != 200) return invalid_argument("/tokenize answered " + std::to_string(r.status) + ": " + r.body.substr(0, 300));
    const json body = json::parse(r.body, nullptr, false);
    if (body.is_discarded() || !body.contains("tokens") || !body["tokens"].is_array()) {
      return invalid_argument("/tokenize gave no token array");
    }
    const int64_t have = static_cast<int64_t>(body["tokens"].size());
    if (have == tokens) return text;
    if (have < tokens) {
      for (int64_t i = have; i < tokens; ++i) words.push_back(static_cast<char>('a' + rng() % 26));
    } else {
      const int64_t drop = std::min<int64_t>(have - tokens, static_cast<int64_t>(words.size()) - 1);
      words.resize(words.size() - static_cast<size_t>(std::max<int64_t>(drop, 1)));
    }
  }
  return internal_error("could not build a prompt of exactly " + std::to_string(tokens) + " tokens");
}

TtftRun run_ttft(const LoadConfig& cfg, int64_t long_tokens, int background, std::mt19937_64& rng) {
  TtftRun run;
  run.background = background;
  auto fail = [&](const std::string& e) {
    if (run.failed++ == 0) run.first_error = e;
  };
  Result<std::string> idle_prompt = make_long_prompt(cfg, long_tokens, rng);
  Result<std::string> loaded_prompt = make_long_prompt(cfg, long_tokens, rng);
  if (!idle_prompt.ok() || !loaded_prompt.ok()) {
    fail((idle_prompt.ok() ? loaded_prompt.status() : idle_prompt.status()).to_string());
    return run;
  }
  constexpr int kLongMaxTokens = 4;
  {
    const StreamRecord idle = run_stream(cfg, *idle_prompt, kLongMaxTokens, Clock::now());
    if (!idle.ok) fail("idle: " + idle.error);
    run.idle_ttft = idle.first - idle.sent;
    run.prompt_tokens = idle.prompt_tokens;
  }

  // Background streams long enough to outlast the long prompt's prefill.
  const int bg_tokens = std::max(2 * cfg.max_tokens, 64);
  constexpr size_t kWarmEvents = 8;
  std::vector<StreamRecord> streams(static_cast<size_t>(background));
  std::vector<std::string> prompts;
  for (int i = 0; i < background; ++i) prompts.push_back(short_prompt(cfg.short_prompt_words, rng));
  std::atomic<int> warmed{0};
  const Clock::time_point origin = Clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < background; ++i) {
    threads.emplace_back([&, i] {
      // Counts this stream as warmed at its kWarmEvents-th token (or at its end).
      LoadConfig c = cfg;
      StreamRecord rec;
      bool counted = false;
      Clock::time_point sent;
      std::string finish;
      Result<int> st = http_stream(c.endpoint, c.chat ? "/v1/chat/completions" : "/v1/completions",
                                   request_body(c, prompts[static_cast<size_t>(i)], bg_tokens), sent,
                                   [&](const SseEvent& ev) {
                                     if (ev.data == "[DONE]") {
                                       rec.end = since(origin, ev.at);
                                       rec.ok = true;
                                       return false;
                                     }
                                     const json chunk = json::parse(ev.data, nullptr, false);
                                     if (chunk.is_discarded() || !chunk.is_object() || chunk.contains("error")) {
                                       rec.error = "bad event: " + ev.data.substr(0, 200);
                                       return false;
                                     }
                                     if (!chunk_text(chunk, c.chat, finish).empty()) {
                                       rec.token_times.push_back(since(origin, ev.at));
                                     }
                                     if (!counted && rec.token_times.size() >= kWarmEvents) {
                                       counted = true;
                                       warmed.fetch_add(1);
                                       warmed.notify_all();
                                     }
                                     return true;
                                   });
      if (!st.ok()) rec.error = st.status().to_string();
      if (st.ok() && *st != 200) rec.error = "HTTP " + std::to_string(*st);
      if (rec.error.empty() && !rec.ok) rec.error = "stream ended without [DONE]";
      if (!rec.error.empty()) rec.ok = false;
      if (!counted) {
        warmed.fetch_add(1);
        warmed.notify_all();
      }
      streams[static_cast<size_t>(i)] = std::move(rec);
    });
  }
  for (int w = warmed.load(); w < background; w = warmed.load()) warmed.wait(w);
  const double long_sent_at = since(origin, Clock::now());
  const StreamRecord loaded = run_stream(cfg, *loaded_prompt, kLongMaxTokens, origin);
  for (auto& t : threads) t.join();
  if (!loaded.ok) fail("loaded: " + loaded.error);
  run.loaded_ttft = loaded.first - loaded.sent;

  std::vector<double> gaps;
  for (const auto& s : streams) {
    if (!s.ok) {
      fail("background: " + s.error);
      continue;
    }
    for (size_t k = 1; k < s.token_times.size(); ++k) {
      const double gap = s.token_times[k] - s.token_times[k - 1];
      gaps.push_back(gap);
      // Gaps overlapping the prefill window [sent, first token] of the long prompt.
      if (s.token_times[k] > loaded.sent && s.token_times[k - 1] < loaded.first) {
        run.background_gap_max = std::max(run.background_gap_max, gap);
      }
    }
  }
  run.background_gap_median = median(gaps);
  double all_running = 0;
  for (const auto& s : streams) {
    if (!s.token_times.empty()) all_running = std::max(all_running, s.token_times.front());
  }
  run.background_rate = events_rate(streams, all_running, long_sent_at);
  return run;
}

}  // namespace plexus::bench

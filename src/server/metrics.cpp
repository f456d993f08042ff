#include "server/metrics.h"

#include <cstdio>

namespace plexus::server {
namespace {

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// Label values: backslash, quote and newline escaped as the exposition format requires.
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

// One series per loaded model, read from a field of one of ModelInfo's metrics structs.
template <class Metrics>
struct per_model {
  const char* name;
  const char* type;
  const char* help;
  int64_t Metrics::*field;
};

template <class Metrics, size_t N>
void render_per_model(std::string& out, const std::vector<ModelInfo>& models, const per_model<Metrics> (&series)[N],
                      Metrics ModelInfo::*metrics) {
  for (const auto& g : series) {
    header(out, g.name, g.type, g.help);
    for (const auto& m : models) {
      if (!m.loaded) continue;
      out += std::string(g.name) + "{model=\"" + label(m.id) + "\"} " + std::to_string((m.*metrics).*g.field) + "\n";
    }
  }
}

}  // namespace

void Histogram::observe(double seconds) {
  std::lock_guard lock(mutex_);
  size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  ++counts_[i];
  sum_ += seconds;
  ++count_;
}

void Histogram::render(const std::string& name, std::string& out) const {
  std::lock_guard lock(mutex_);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBounds.size(); ++i) {
    cumulative += counts_[i];
    out += name + "_bucket{le=\"" + number(kBounds[i]) + "\"} " + std::to_string(cumulative) + "\n";
  }
  cumulative += counts_[kBounds.size()];
  out += name + "_bucket{le=\"+Inf\"} " + std::to_string(cumulative) + "\n";
  out += name + "_sum " + number(sum_) + "\n";
  out += name + "_count " + std::to_string(count_) + "\n";
}

void ServerMetrics::count_request(const std::string& route, int status) {
  std::lock_guard lock(mutex_);
  ++requests_[{route, status}];
}

std::string ServerMetrics::render(const std::vector<ModelInfo>& models, int64_t open_connections) const {
  std::string out;
  header(out, "plexus_http_requests_total", "counter", "HTTP requests answered, by route and status.");
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, n] : requests_) {
      out += "plexus_http_requests_total{route=\"" + label(key.first) + "\",status=\"" + std::to_string(key.second) +
             "\"} " + std::to_string(n) + "\n";
    }
  }
  header(out, "plexus_http_open_connections", "gauge", "Open client connections.");
  out += "plexus_http_open_connections " + std::to_string(open_connections) + "\n";
  header(out, "plexus_prompt_tokens_total", "counter", "Prompt tokens of generation requests.");
  out += "plexus_prompt_tokens_total " + std::to_string(prompt_tokens_.load()) + "\n";
  header(out, "plexus_generated_tokens_total", "counter", "Tokens generated and sent to clients.");
  out += "plexus_generated_tokens_total " + std::to_string(generated_tokens_.load()) + "\n";
  header(out, "plexus_generations_cancelled_by_client_total", "counter",
         "Generations cancelled because the client disconnected.");
  out += "plexus_generations_cancelled_by_client_total " + std::to_string(client_gone_.load()) + "\n";
  header(out, "plexus_time_to_first_token_seconds", "histogram", "Time from submission to the first generated token.");
  ttft_.render("plexus_time_to_first_token_seconds", out);
  header(out, "plexus_inter_token_latency_seconds", "histogram", "Time between consecutive tokens of one sequence.");
  inter_token_.render("plexus_inter_token_latency_seconds", out);
  header(out, "plexus_generation_request_seconds", "histogram", "Duration of generation requests.");
  request_seconds_.render("plexus_generation_request_seconds", out);

  header(out, "plexus_model_loaded", "gauge", "1 when the model is loaded.");
  for (const auto& m : models) {
    out += "plexus_model_loaded{model=\"" + label(m.id) + "\"} " + (m.loaded ? "1" : "0") + "\n";
  }
  static const per_model<runtime::EngineMetrics> engine_series[] = {
      {"plexus_engine_queue_depth", "gauge", "Requests waiting for a sequence slot.", &runtime::EngineMetrics::queued},
      {"plexus_engine_active_sequences", "gauge", "Sequences being generated.", &runtime::EngineMetrics::active},
      {"plexus_engine_kv_blocks_used", "gauge", "KV-cache blocks in use.", &runtime::EngineMetrics::kv_blocks_used},
      {"plexus_engine_kv_blocks_total", "gauge", "KV-cache blocks in the pool.", &runtime::EngineMetrics::kv_blocks_total},
      {"plexus_engine_prompt_tokens_cached_total", "counter", "Prompt tokens served from the prefix cache.",
       &runtime::EngineMetrics::prompt_tokens_cached},
      {"plexus_engine_requests_done_total", "counter", "Requests the engine finished.",
       &runtime::EngineMetrics::requests_done},
  };
  render_per_model(out, models, engine_series, &ModelInfo::metrics);
  header(out, "plexus_engine_kv_usage_ratio", "gauge", "Fraction of KV-cache blocks in use.");
  for (const auto& m : models) {
    if (!m.loaded) continue;
    const double ratio = m.metrics.kv_blocks_total > 0
                             ? static_cast<double>(m.metrics.kv_blocks_used) / static_cast<double>(m.metrics.kv_blocks_total)
                             : 0.0;
    out += "plexus_engine_kv_usage_ratio{model=\"" + label(m.id) + "\"} " + number(ratio) + "\n";
  }
  static const per_model<runtime::EmbedderMetrics> embedder_series[] = {
      {"plexus_embedder_queued_inputs", "gauge", "Embedding inputs waiting for a forward pass.",
       &runtime::EmbedderMetrics::queued_inputs},
      {"plexus_embedder_inputs_total", "counter", "Embedding inputs pooled.", &runtime::EmbedderMetrics::inputs_done},
      {"plexus_embedder_tokens_total", "counter", "Tokens of the embedding inputs pooled.",
       &runtime::EmbedderMetrics::tokens_done},
      {"plexus_embedder_forward_passes_total", "counter", "Forward passes of the embedder (each packs waiting inputs).",
       &runtime::EmbedderMetrics::forward_passes},
      {"plexus_embedder_requests_done_total", "counter", "Embedding requests finished.",
       &runtime::EmbedderMetrics::requests_done},
  };
  render_per_model(out, models, embedder_series, &ModelInfo::embedder);
  return out;
}

}  // namespace plexus::server

// Prometheus exposition: histogram buckets are cumulative, engine and embedder series per loaded model.
#include <gtest/gtest.h>

#include "server/metrics.h"

namespace plexus::server {
namespace {

TEST(Histogram, BucketsAreCumulativeWithSumAndCount) {
  Histogram h;
  h.observe(0.0005);
  h.observe(0.3);
  h.observe(100);
  std::string out;
  h.render("x", out);
  EXPECT_NE(out.find("x_bucket{le=\"0.001\"} 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_bucket{le=\"0.5\"} 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_bucket{le=\"30\"} 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_bucket{le=\"+Inf\"} 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_count 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_sum 100.3005"), std::string::npos) << out;
}

TEST(ServerMetrics, RendersCountersAndEngineAndEmbedderSeries) {
  ServerMetrics m;
  m.count_request("/v1/chat/completions", 200);
  m.count_request("/v1/chat/completions", 400);
  m.add_prompt_tokens(10);
  m.add_generated_tokens(7);
  m.observe_ttft(0.02);
  m.observe_inter_token(0.004);
  ModelInfo loaded;
  loaded.id = "a\"b";
  loaded.loaded = true;
  loaded.metrics.queued = 3;
  loaded.metrics.active = 2;
  loaded.metrics.kv_blocks_used = 5;
  loaded.metrics.kv_blocks_total = 20;
  loaded.embedder.inputs_done = 9;
  loaded.embedder.forward_passes = 2;
  ModelInfo idle;
  idle.id = "idle";
  const std::string text = m.render({loaded, idle}, 4);
  for (const char* line :
       {"plexus_http_requests_total{route=\"/v1/chat/completions\",status=\"400\"} 1",
        "plexus_prompt_tokens_total 10", "plexus_generated_tokens_total 7", "plexus_http_open_connections 4",
        "plexus_engine_queue_depth{model=\"a\\\"b\"} 3", "plexus_engine_active_sequences{model=\"a\\\"b\"} 2",
        "plexus_engine_kv_blocks_used{model=\"a\\\"b\"} 5", "plexus_engine_kv_usage_ratio{model=\"a\\\"b\"} 0.25",
        "plexus_model_loaded{model=\"idle\"} 0", "# TYPE plexus_time_to_first_token_seconds histogram",
        "plexus_inter_token_latency_seconds_count 1", "plexus_embedder_inputs_total{model=\"a\\\"b\"} 9",
        "plexus_embedder_forward_passes_total{model=\"a\\\"b\"} 2", "# TYPE plexus_embedder_queued_inputs gauge"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
  EXPECT_EQ(text.find("plexus_engine_queue_depth{model=\"idle\"}"), std::string::npos);
  EXPECT_EQ(text.find("plexus_embedder_inputs_total{model=\"idle\"}"), std::string::npos);
}

}  // namespace
}  // namespace plexus::server

// ModelManager with real (tiny) GGUF files: ids and aliases, name resolution, on-demand loading,
// LRU under --max-loaded-models, keep-alive expiry; and the ChatML fallback prompt.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "server/chat_prompt.h"
#include "server/model_manager.h"
#include "test_paths.h"

namespace plexus::server {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string model_path(const std::string& name) { return (testing::shared_dir() / "models" / name).string(); }

ModelManagerOptions small_options() {
  ModelManagerOptions o;
  o.engine.threads = 1;
  o.engine.n_ctx = 128;
  o.engine.max_sequences = 2;
  return o;
}

Result<std::shared_ptr<ModelLease>> acquire(ModelManager& m, const std::string& id,
                                            std::optional<double> keep_alive = std::nullopt) {
  auto promise = std::make_shared<std::promise<Result<std::shared_ptr<ModelLease>>>>();
  auto future = promise->get_future();
  m.acquire(id, keep_alive, [promise](Result<std::shared_ptr<ModelLease>> r) { promise->set_value(std::move(r)); });
  if (future.wait_for(30s) != std::future_status::ready) return Status(error_code::internal, "acquire timed out");
  return future.get();
}

bool is_loaded(ModelManager& m, const std::string& id) {
  for (const auto& info : m.list()) {
    if (info.id == id) return info.loaded;
  }
  return false;
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/plexus_mm_XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(ModelManager, StartRejectsBadConfigurations) {
  EXPECT_EQ(ModelManager(small_options()).start().code(), error_code::invalid_argument);  // no models
  auto missing = small_options();
  missing.model_paths = {"/nonexistent.gguf"};
  EXPECT_EQ(ModelManager(missing).start().code(), error_code::not_found);
  auto dup = small_options();
  dup.model_paths = {model_path("stories260K.gguf"), model_path("stories260K.gguf")};
  EXPECT_EQ(ModelManager(dup).start().code(), error_code::invalid_argument);
  auto aliases = small_options();
  aliases.model_paths = {model_path("stories260K.gguf")};
  aliases.aliases = {"a", "b"};
  EXPECT_EQ(ModelManager(aliases).start().code(), error_code::invalid_argument);
  auto dir = small_options();
  dir.models_dir = "/nonexistent-dir";
  EXPECT_EQ(ModelManager(dir).start().code(), error_code::not_found);
}

TEST(ModelManager, ResolvesNamesAndLoadsCommandLineModels) {
  auto o = small_options();
  o.model_paths = {model_path("stories260K.gguf"), model_path("stories260K.gguf")};
  o.aliases = {"", "tales"};
  ModelManager m(o);
  ASSERT_TRUE(m.start().ok());
  ASSERT_TRUE(m.wait_initial_loads().ok());
  EXPECT_TRUE(m.ready());
  EXPECT_EQ(m.default_model(), "stories260K");
  EXPECT_EQ(m.resolve(""), "stories260K");
  EXPECT_EQ(m.resolve("stories260K:latest"), "stories260K");
  EXPECT_EQ(m.resolve("stories260K.gguf"), "stories260K");
  EXPECT_EQ(m.resolve("tales"), "tales");
  EXPECT_FALSE(m.resolve("unknown").has_value());
  auto lease = acquire(m, "tales");
  ASSERT_TRUE(lease.ok()) << lease.status().to_string();
  EXPECT_EQ((*lease)->id(), "tales");
  EXPECT_EQ((*lease)->engine().n_ctx(), 128);
  EXPECT_EQ(acquire(m, "unknown").status().code(), error_code::not_found);
}

int process_threads() {
  int n = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// Every model's engine and embedder share the manager's one compute pool: embedding with two
// loaded models starts no compute threads beyond the pool's (2 threads: the caller and 1 worker).
TEST(ModelManager, EnginesAndEmbeddersShareOneComputePool) {
  auto o = small_options();
  o.engine.threads = 2;
  o.model_paths = {model_path("stories260K.gguf"), model_path("stories260K.gguf")};
  o.aliases = {"a", "b"};
  ModelManager m(o);
  ASSERT_TRUE(m.start().ok());
  ASSERT_TRUE(m.wait_initial_loads().ok());
  auto a = acquire(m, "a");
  auto b = acquire(m, "b");
  ASSERT_TRUE(a.ok() && b.ok());
  const int before = process_threads();
  for (const auto* lease : {&*a, &*b}) {
    runtime::EmbedRequest request;
    request.inputs = {{1, 2, 3, 4}};
    request.pooling = model::pooling_type::mean;
    auto result = (*lease)->state().embedder->embed(request);
    ASSERT_TRUE(result.ok()) << result.status().to_string();
    EXPECT_EQ(result->embeddings.size(), 1u);
  }
  EXPECT_LE(process_threads(), before);  // a finishing loader thread may leave meanwhile, never one arrive
}

TEST(ModelManager, LeastRecentlyUsedIdleModelMakesRoom) {
  TempDir dir;
  fs::create_symlink(model_path("stories260K.gguf"), dir.path() / "a.gguf");
  fs::create_symlink(model_path("synth/synth-llama-Q8_0.gguf"), dir.path() / "b.gguf");
  auto o = small_options();
  o.models_dir = dir.path().string();
  o.max_loaded = 1;
  ModelManager m(o);
  ASSERT_TRUE(m.start().ok());
  EXPECT_TRUE(m.ready());
  EXPECT_EQ(m.default_model(), "a");
  {
    auto a = acquire(m, "a");
    ASSERT_TRUE(a.ok());
    // "a" is busy: "b" cannot be loaded.
    auto b = acquire(m, "b");
    EXPECT_EQ(b.status().code(), error_code::resource_exhausted) << b.status().to_string();
  }
  auto b = acquire(m, "b");
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_FALSE(is_loaded(m, "a"));
  EXPECT_TRUE(is_loaded(m, "b"));
}

TEST(ModelManager, KeepAliveUnloadsIdleModels) {
  TempDir dir;
  fs::create_symlink(model_path("stories260K.gguf"), dir.path() / "a.gguf");
  auto o = small_options();
  o.models_dir = dir.path().string();
  ModelManager m(o);
  ASSERT_TRUE(m.start().ok());
  ASSERT_TRUE(acquire(m, "a", 0.0).ok());  // released at once with keep-alive 0
  for (int i = 0; i < 100 && is_loaded(m, "a"); ++i) std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(is_loaded(m, "a"));
  // The default (-1) keeps it.
  ASSERT_TRUE(acquire(m, "a").ok());
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(is_loaded(m, "a"));
  m.unload_when_idle("a");
  for (int i = 0; i < 100 && is_loaded(m, "a"); ++i) std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(is_loaded(m, "a"));
}

TEST(ModelManager, ShutdownWithALeaseStillHeldIsSafe) {
  auto o = small_options();
  o.model_paths = {model_path("stories260K.gguf")};
  auto m = std::make_unique<ModelManager>(o);
  ASSERT_TRUE(m->start().ok());
  ASSERT_TRUE(m->wait_initial_loads().ok());
  auto lease = acquire(*m, "stories260K");
  ASSERT_TRUE(lease.ok());
  m->shutdown();
  m.reset();
  lease = Status(error_code::cancelled, "dropped");  // the lease outlives the manager
}

TEST(ChatPrompt, ChatmlFallbackAndSingleBos) {
  auto o = small_options();
  o.model_paths = {model_path("stories260K.gguf")};
  ModelManager m(o);
  ASSERT_TRUE(m.start().ok());
  ASSERT_TRUE(m.wait_initial_loads().ok());
  auto lease = acquire(m, "stories260K");
  ASSERT_TRUE(lease.ok());
  const LoadedState& state = (*lease)->state();
  EXPECT_TRUE(state.chat_is_fallback);  // stories260K has no chat template
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  messages.push_back({{"role", "system"}, {"content", "S"}});
  messages.push_back({{"role", "user"}, {"content", "U"}});
  auto text = render_chat_prompt(state, messages);
  ASSERT_TRUE(text.ok()) << text.status().to_string();
  EXPECT_EQ(*text, "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n");
  const auto& tok = (*lease)->tokenizer();
  const auto ids = tokenize_prompt(tok, "<s>Hello");
  ASSERT_GE(ids.size(), 2u);
  EXPECT_EQ(ids[0], tok.bos_id());
  EXPECT_NE(ids[1], tok.bos_id());
}

}  // namespace
}  // namespace plexus::server

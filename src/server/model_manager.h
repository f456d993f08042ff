// The models a server offers: each has an id (its file name without .gguf, or an alias) and is
// either loaded (a LoadedModel, its chat template and a continuous-batching Engine) or not.
// Models named on the command line load at start; models found in --models-dir load on their
// first request. At most max_loaded models stay loaded: loading another unloads the least
// recently used idle one (a model serving a request is never unloaded). A model idle for longer
// than its keep-alive (the last request's, else the default) is unloaded by a keeper thread.
//
// Loading runs on the keeper thread, never on an I/O thread; acquire() calls back from there.
// Engines are destroyed on the keeper thread (or in shutdown()), never from a sink or an I/O
// callback, because ~Engine joins the engine thread.
// Thread-safe: every public method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "chat/chat_template.h"
#include "core/status.h"
#include "runtime/embedder.h"
#include "runtime/engine.h"
#include "runtime/loaded_model.h"

namespace plexus::server {

struct ModelManagerOptions {
  std::vector<std::string> model_paths;  // loaded at start, in this order
  std::vector<std::string> aliases;      // aliases[i] is the id of model_paths[i] (missing/"" = file stem)
  std::string models_dir;                // *.gguf here load on first request
  int max_loaded = 0;                    // 0 = no limit
  double keep_alive_seconds = -1;        // default idle time before unloading; < 0 = forever
  runtime::EngineOptions engine;         // its pool (made from engine.threads when null) serves every model
  runtime::EmbedderOptions embedder;     // /v1/embeddings (pooling: serve --pooling); pool: engine.pool when null
  runtime::LoadOptions load;             // huge pages (default) or the mapped file (serve --mmap)
  std::string chat_template;             // when not empty, every model's chat template (serve --chat-template-file)
};

// One loaded model. The engine pointer is reset only by shutdown() (after the I/O threads have
// stopped) or by the keeper once no lease holds the model.
struct LoadedState {
  std::string id;
  std::shared_ptr<const runtime::LoadedModel> model;
  std::unique_ptr<runtime::Engine> engine;
  std::shared_ptr<runtime::Embedder> embedder;  // reset with the engine
  std::optional<chat::chat_template> chat;  // the GGUF's template, else ChatML
  bool chat_is_fallback = false;
  std::string chat_source;                  // template text (for /api/show)
  std::string bos_text, eos_text;
  std::chrono::steady_clock::time_point loaded_at;
  double load_seconds = 0;

  std::atomic<int> leases{0};
  // Guarded by the manager's mutex.
  std::chrono::steady_clock::time_point last_used;
  std::optional<std::chrono::steady_clock::time_point> expires;  // nullopt = never
};

class ModelManager;

// Holds one loaded model in use; releasing it starts the model's keep-alive clock.
// Not thread-safe: owned by one request.
class ModelLease {
 public:
  ModelLease(std::shared_ptr<LoadedState> state, std::weak_ptr<struct ManagerCore> core, double keep_alive)
      : state_(std::move(state)), core_(std::move(core)), keep_alive_(keep_alive) {}
  ~ModelLease();
  ModelLease(const ModelLease&) = delete;
  ModelLease& operator=(const ModelLease&) = delete;

  const std::string& id() const { return state_->id; }
  runtime::Engine& engine() const { return *state_->engine; }
  const runtime::LoadedModel& model() const { return *state_->model; }
  const tokenizer::Tokenizer& tokenizer() const { return *state_->model->tokenizer; }
  const LoadedState& state() const { return *state_; }
  // Keep-alive for after this request (seconds; < 0 forever, 0 unload right away).
  void set_keep_alive(double seconds) { keep_alive_ = seconds; }
  // Seconds the request waited for the model (loading included), for Ollama's load_duration.
  double waited_seconds() const { return waited_seconds_; }
  void set_waited_seconds(double seconds) { waited_seconds_ = seconds; }

 private:
  std::shared_ptr<LoadedState> state_;
  std::weak_ptr<struct ManagerCore> core_;
  double keep_alive_;
  double waited_seconds_ = 0;
};

struct ModelInfo {
  std::string id;
  std::string path;
  uint64_t size_bytes = 0;
  int64_t modified_unix = 0;           // file mtime, seconds since the epoch
  bool loaded = false;
  bool loading = false;
  std::string error;                   // last load failure
  std::optional<int64_t> expires_unix; // when idle unloading is due (loaded, not forever)
  runtime::EngineMetrics metrics;      // loaded only
  runtime::EmbedderMetrics embedder;   // loaded only
  int64_t n_ctx = 0;                   // loaded only
};

using acquire_callback = std::function<void(Result<std::shared_ptr<ModelLease>>)>;

class ModelManager {
 public:
  explicit ModelManager(ModelManagerOptions options);
  ~ModelManager();  // shutdown()
  ModelManager(const ModelManager&) = delete;
  ModelManager& operator=(const ModelManager&) = delete;

  // Registers the models (files must exist; ids must be unique), starts the keeper thread and
  // queues the command-line models for loading. invalid_argument / not_found on bad input.
  Status start();
  // Blocks until the command-line models are loaded; the first load failure, if any.
  Status wait_initial_loads();
  // True once every command-line model is loaded (for /health).
  bool ready() const;

  // The id used when a request names no model: the first command-line model, else the first
  // file of --models-dir.
  std::string default_model() const;
  // Resolves a requested name ("stories", "stories:latest", "stories.gguf", "" = default) to a
  // model id; nullopt when unknown (a --models-dir is rescanned before giving up).
  std::optional<std::string> resolve(const std::string& name);
  // serve --chat-template-file's template, which replaces every model's; empty when not given.
  const std::string& chat_template_override() const;
  std::vector<ModelInfo> list();

  // Calls `done` exactly once with a lease on the loaded model: right away (on this thread)
  // when it is loaded, else from the keeper thread after loading. Errors: not_found (unknown id),
  // resource_exhausted (every loaded model is busy and max_loaded is reached), or the load error.
  // keep_alive: the request's keep-alive (nullopt = the default).
  void acquire(const std::string& id, std::optional<double> keep_alive, acquire_callback done);
  // Unloads `id` now if it is loaded and idle (Ollama keep_alive 0 with no prompt).
  void unload_when_idle(const std::string& id);

  // Destroys every engine (cancelling their requests) and stops the keeper. Call after the
  // I/O threads have stopped. Idempotent.
  void shutdown();

 private:
  std::shared_ptr<struct ManagerCore> core_;
};

}  // namespace plexus::server

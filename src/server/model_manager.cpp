#include "server/model_manager.h"

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "core/thread_pool.h"
#include "server/chat_prompt.h"

namespace plexus::server {

namespace fs = std::filesystem;
using clock = std::chrono::steady_clock;

namespace {

struct ModelEntry {
  std::string id;
  std::string path;
  bool from_cli = false;
  std::shared_ptr<LoadedState> loaded;
  bool loading = false;
  bool ever_loaded = false;
  std::string error;
  std::vector<std::pair<std::optional<double>, acquire_callback>> waiters;
};

std::string strip_suffix(std::string s, std::string_view suffix) {
  if (s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0) {
    s.resize(s.size() - suffix.size());
  }
  return s;
}

std::string id_from_path(const std::string& path) { return strip_suffix(fs::path(path).filename().string(), ".gguf"); }

int64_t to_unix(clock::time_point t) {
  const auto delta = std::chrono::duration_cast<std::chrono::seconds>(t - clock::now());
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count() +
         delta.count();
}

}  // namespace

struct ManagerCore : std::enable_shared_from_this<ManagerCore> {
  ModelManagerOptions options;
  mutable std::mutex mutex;
  std::condition_variable wake;     // keeper: work to do
  std::condition_variable changed;  // waiters on initial loads
  std::map<std::string, ModelEntry> entries;  // guarded by mutex
  std::vector<std::string> cli_order;         // ids of the command-line models
  std::vector<std::string> dir_order;         // ids found in models_dir, sorted
  std::deque<std::string> load_queue;         // guarded by mutex
  bool stopping = false;
  std::thread keeper;

  // Adds the *.gguf files of models_dir not yet known. Caller holds mutex.
  void scan_dir_locked() {
    if (options.models_dir.empty()) return;
    std::error_code ec;
    std::vector<std::string> found;
    for (fs::directory_iterator it(options.models_dir, ec), end; !ec && it != end; it.increment(ec)) {
      const auto& p = it->path();
      if (p.extension() != ".gguf" || !it->is_regular_file(ec)) continue;
      found.push_back(p.string());
    }
    std::sort(found.begin(), found.end());
    for (const auto& path : found) {
      const std::string id = id_from_path(path);
      if (entries.count(id) != 0) continue;
      ModelEntry e;
      e.id = id;
      e.path = path;
      entries.emplace(id, std::move(e));
      dir_order.push_back(id);
    }
  }

  // A lease on a loaded entry. Caller holds mutex.
  std::shared_ptr<ModelLease> lease_locked(ModelEntry& e, std::optional<double> keep_alive) {
    e.loaded->leases.fetch_add(1);
    e.loaded->last_used = clock::now();
    e.loaded->expires.reset();
    return std::make_shared<ModelLease>(e.loaded, weak_from_this(), keep_alive.value_or(options.keep_alive_seconds));
  }

  void release(LoadedState& state, double keep_alive) {
    std::lock_guard lock(mutex);
    state.last_used = clock::now();
    if (state.leases.fetch_sub(1) == 1) {
      if (keep_alive < 0) {
        state.expires.reset();
      } else {
        state.expires = state.last_used + std::chrono::milliseconds(static_cast<int64_t>(std::min(keep_alive, 1e9) * 1000));
      }
      wake.notify_all();
    }
  }

  // Loads one model outside the lock; returns the state or the error.
  Result<std::shared_ptr<LoadedState>> load(const std::string& id, const std::string& path) {
    const auto t0 = clock::now();
    auto loaded = runtime::load_model(path, options.load);
    if (!loaded.ok()) return loaded.status();
    auto state = std::make_shared<LoadedState>();
    state->id = id;
    state->model = std::shared_ptr<const runtime::LoadedModel>(std::move(loaded).value());
    if (Status st = load_chat_template(*state, options.chat_template); !st.ok()) {
      std::cerr << "warning: model '" << id << "': " << st.message() << "; using ChatML" << std::endl;
    }
    try {
      state->engine = std::make_unique<runtime::Engine>(state->model, options.engine);
      state->embedder = std::make_shared<runtime::Embedder>(state->model, options.embedder);
    } catch (const std::exception& e) {
      return internal_error("cannot start the engine for '" + id + "': " + e.what());
    }
    state->loaded_at = clock::now();
    state->load_seconds = std::chrono::duration<double>(state->loaded_at - t0).count();
    state->last_used = state->loaded_at;
    return state;
  }

  // Makes room for one more loaded model: unloads least recently used idle models into
  // `retired`. False when max_loaded is reached and every loaded model is busy. Caller holds mutex.
  bool make_room_locked(std::vector<std::shared_ptr<LoadedState>>& retired) {
    if (options.max_loaded <= 0) return true;
    while (true) {
      int loaded = 0;
      ModelEntry* lru = nullptr;
      for (auto& [id, e] : entries) {
        if (!e.loaded) continue;
        ++loaded;
        if (e.loaded->leases.load() == 0 && (lru == nullptr || e.loaded->last_used < lru->loaded->last_used)) lru = &e;
      }
      if (loaded < options.max_loaded) return true;
      if (lru == nullptr) return false;
      std::cerr << "unloading model '" << lru->id << "' (least recently used; --max-loaded-models "
                << options.max_loaded << ")" << std::endl;
      retired.push_back(std::move(lru->loaded));
    }
  }

  void keeper_loop() {
    std::unique_lock lock(mutex);
    while (!stopping) {
      std::vector<std::shared_ptr<LoadedState>> retired;
      // Idle models past their keep-alive.
      std::optional<clock::time_point> next_expiry;
      const auto now = clock::now();
      for (auto& [id, e] : entries) {
        if (!e.loaded || e.loaded->leases.load() != 0 || !e.loaded->expires) continue;
        if (*e.loaded->expires <= now) {
          std::cerr << "unloading model '" << id << "' (keep-alive expired)" << std::endl;
          retired.push_back(std::move(e.loaded));
        } else if (!next_expiry || *e.loaded->expires < *next_expiry) {
          next_expiry = *e.loaded->expires;
        }
      }
      if (!load_queue.empty()) {
        const std::string id = load_queue.front();
        load_queue.pop_front();
        ModelEntry& e = entries.at(id);
        std::vector<std::pair<std::optional<double>, acquire_callback>> waiters;
        std::vector<std::pair<acquire_callback, Result<std::shared_ptr<ModelLease>>>> calls;
        if (!make_room_locked(retired)) {
          e.loading = false;
          waiters.swap(e.waiters);
          for (auto& [ka, cb] : waiters) {
            calls.emplace_back(std::move(cb), Status(error_code::resource_exhausted,
                                                     "cannot load '" + id + "': all " +
                                                         std::to_string(options.max_loaded) +
                                                         " loaded models are busy (--max-loaded-models)"));
          }
        } else {
          const std::string path = e.path;
          lock.unlock();
          for (auto& r : retired) r->engine.reset();
          retired.clear();
          std::cerr << "loading model '" << id << "' from " << path << std::endl;
          auto result = load(id, path);
          lock.lock();
          ModelEntry& entry = entries.at(id);
          entry.loading = false;
          waiters.swap(entry.waiters);
          if (result.ok()) {
            entry.loaded = std::move(result).value();
            entry.error.clear();
            std::cerr << "model '" << id << "' ready in " << entry.loaded->load_seconds << " s (context "
                      << entry.loaded->engine->n_ctx() << ")" << std::endl;
            entry.ever_loaded = true;
            for (auto& [ka, cb] : waiters) calls.emplace_back(std::move(cb), lease_locked(entry, ka));
          } else {
            entry.error = result.status().message();
            std::cerr << "error: cannot load model '" << id << "': " << entry.error << std::endl;
            for (auto& [ka, cb] : waiters) calls.emplace_back(std::move(cb), result.status());
          }
        }
        changed.notify_all();
        lock.unlock();
        for (auto& r : retired) r->engine.reset();
        retired.clear();
        for (auto& [cb, result] : calls) cb(std::move(result));
        calls.clear();
        lock.lock();
        continue;
      }
      if (!retired.empty()) {
        lock.unlock();
        for (auto& r : retired) r->engine.reset();
        retired.clear();
        lock.lock();
        continue;
      }
      if (next_expiry) {
        wake.wait_until(lock, *next_expiry);
      } else {
        wake.wait(lock);
      }
    }
  }
};

ModelLease::~ModelLease() {
  if (auto core = core_.lock()) {
    core->release(*state_, keep_alive_);
  } else {
    state_->leases.fetch_sub(1);
  }
}

ModelManager::ModelManager(ModelManagerOptions options) : core_(std::make_shared<ManagerCore>()) {
  core_->options = std::move(options);
  // One compute pool for every model's engine and embedder: they take turns per op, so the
  // process never runs more compute threads than --threads whatever is loaded or requested.
  auto& o = core_->options;
  if (!o.engine.pool) {
    o.engine.pool = std::make_shared<ThreadPool>(o.engine.threads > 0 ? o.engine.threads : ThreadPool::hardware_threads());
  }
  if (!o.embedder.pool) o.embedder.pool = o.engine.pool;
}

ModelManager::~ModelManager() { shutdown(); }

const std::string& ModelManager::chat_template_override() const { return core_->options.chat_template; }

Status ModelManager::start() {
  auto& c = *core_;
  const auto& o = c.options;
  if (o.model_paths.empty() && o.models_dir.empty()) {
    return invalid_argument("no models: give one or more MODEL_PATH arguments or --models-dir DIR");
  }
  if (o.aliases.size() > o.model_paths.size()) {
    return invalid_argument("more --alias values (" + std::to_string(o.aliases.size()) + ") than models (" +
                            std::to_string(o.model_paths.size()) + ")");
  }
  std::lock_guard lock(c.mutex);
  for (size_t i = 0; i < o.model_paths.size(); ++i) {
    const std::string& path = o.model_paths[i];
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) return not_found("model file '" + path + "' does not exist");
    const std::string id = i < o.aliases.size() && !o.aliases[i].empty() ? o.aliases[i] : id_from_path(path);
    if (c.entries.count(id) != 0) {
      return invalid_argument("two models have the id '" + id + "' (use --alias to name them apart)");
    }
    ModelEntry e;
    e.id = id;
    e.path = path;
    e.from_cli = true;
    e.loading = true;
    c.entries.emplace(id, std::move(e));
    c.cli_order.push_back(id);
    c.load_queue.push_back(id);
  }
  if (!o.models_dir.empty()) {
    std::error_code ec;
    if (!fs::is_directory(o.models_dir, ec)) return not_found("--models-dir '" + o.models_dir + "' is not a directory");
    c.scan_dir_locked();
  }
  c.keeper = std::thread([core = core_] { core->keeper_loop(); });
  return {};
}

Status ModelManager::wait_initial_loads() {
  auto& c = *core_;
  std::unique_lock lock(c.mutex);
  c.changed.wait(lock, [&] {
    if (c.stopping) return true;
    for (const auto& id : c.cli_order) {
      if (c.entries.at(id).loading) return false;
    }
    return true;
  });
  for (const auto& id : c.cli_order) {
    const auto& e = c.entries.at(id);
    if (!e.loaded) return Status(error_code::invalid_file, "cannot load '" + e.path + "': " + e.error);
  }
  return {};
}

bool ModelManager::ready() const {
  std::lock_guard lock(core_->mutex);
  // A command-line model unloaded later (keep_alive) loads again on demand; only the first
  // load counts for readiness.
  for (const auto& id : core_->cli_order) {
    if (!core_->entries.at(id).ever_loaded) return false;
  }
  return true;
}

std::string ModelManager::default_model() const {
  std::lock_guard lock(core_->mutex);
  if (!core_->cli_order.empty()) return core_->cli_order.front();
  if (!core_->dir_order.empty()) return core_->dir_order.front();
  return "";
}

std::optional<std::string> ModelManager::resolve(const std::string& name) {
  if (name.empty()) {
    std::string d = default_model();
    if (d.empty()) return std::nullopt;
    return d;
  }
  std::lock_guard lock(core_->mutex);
  for (int attempt = 0; attempt < 2; ++attempt) {
    for (const std::string& candidate : {name, strip_suffix(name, ":latest"), strip_suffix(name, ".gguf")}) {
      if (core_->entries.count(candidate) != 0) return candidate;
    }
    core_->scan_dir_locked();
  }
  return std::nullopt;
}

std::vector<ModelInfo> ModelManager::list() {
  std::vector<ModelInfo> out;
  std::lock_guard lock(core_->mutex);
  core_->scan_dir_locked();
  std::vector<std::string> order = core_->cli_order;
  order.insert(order.end(), core_->dir_order.begin(), core_->dir_order.end());
  for (const auto& id : order) {
    const ModelEntry& e = core_->entries.at(id);
    ModelInfo info;
    info.id = id;
    info.path = e.path;
    std::error_code ec;
    info.size_bytes = fs::file_size(e.path, ec);
    if (ec) info.size_bytes = 0;
    const auto mtime = fs::last_write_time(e.path, ec);
    if (!ec) {
      info.modified_unix = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::file_clock::to_sys(mtime).time_since_epoch())
                               .count();
    }
    info.loaded = e.loaded != nullptr;
    info.loading = e.loading;
    info.error = e.error;
    if (e.loaded) {
      info.metrics = e.loaded->engine->metrics();
      if (e.loaded->embedder) info.embedder = e.loaded->embedder->metrics();
      info.n_ctx = e.loaded->engine->n_ctx();
      if (e.loaded->expires) info.expires_unix = to_unix(*e.loaded->expires);
    }
    out.push_back(std::move(info));
  }
  return out;
}

void ModelManager::acquire(const std::string& id, std::optional<double> keep_alive, acquire_callback done) {
  std::shared_ptr<ModelLease> lease;
  {
    std::lock_guard lock(core_->mutex);
    auto it = core_->entries.find(id);
    if (it == core_->entries.end() || core_->stopping) {
      lease = nullptr;
    } else if (it->second.loaded) {
      lease = core_->lease_locked(it->second, keep_alive);
    } else {
      ModelEntry& e = it->second;
      e.waiters.emplace_back(keep_alive, std::move(done));
      if (!e.loading) {
        e.loading = true;
        core_->load_queue.push_back(id);
        core_->wake.notify_all();
      }
      return;
    }
  }
  if (lease) {
    done(std::move(lease));
  } else {
    done(not_found("the model '" + id + "' does not exist"));
  }
}

void ModelManager::unload_when_idle(const std::string& id) {
  std::lock_guard lock(core_->mutex);
  auto it = core_->entries.find(id);
  if (it == core_->entries.end() || !it->second.loaded) return;
  it->second.loaded->expires = clock::now();
  core_->wake.notify_all();
}

void ModelManager::shutdown() {
  auto& c = *core_;
  std::vector<std::shared_ptr<LoadedState>> states;
  std::vector<acquire_callback> waiters;
  {
    std::lock_guard lock(c.mutex);
    if (c.stopping && !c.keeper.joinable()) return;
    c.stopping = true;
    c.wake.notify_all();
    c.changed.notify_all();
  }
  if (c.keeper.joinable()) c.keeper.join();
  {
    std::lock_guard lock(c.mutex);
    for (auto& [id, e] : c.entries) {
      if (e.loaded) states.push_back(e.loaded);
      for (auto& [ka, cb] : e.waiters) waiters.push_back(std::move(cb));
      e.waiters.clear();
    }
  }
  for (auto& cb : waiters) cb(Status(error_code::cancelled, "the server is shutting down"));
  // Engines stop here (their sinks get on_done "cancelled"), whoever still holds a lease.
  for (auto& s : states) {
    s->engine.reset();
    s->embedder.reset();
  }
}

}  // namespace plexus::server

// plexus serve [MODEL_PATH...] [--models-dir DIR]: the OpenAI- and Ollama-compatible HTTP server
// (see docs/API.md).
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chat/chat_template.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "server/request_types.h"
#include "server/server.h"

namespace plexus::cli {
namespace {

struct ServeArgs {
  std::vector<std::string> models;
  std::string models_dir;
  std::vector<std::string> aliases;
  std::string host = "127.0.0.1";
  int port = 8080;
  int parallel = 8;
  int64_t ctx = 0;
  int64_t kv_tokens = 0;
  int queue = 64;
  int threads = 0;
  int io_threads = 2;
  std::vector<std::string> api_keys;
  std::string api_keys_file;
  std::string cors;
  int max_loaded = 0;
  std::string keep_alive = "-1";
  int max_connections = 512;
  uint64_t body_limit = 8ull * 1024 * 1024;
  size_t header_limit = 16 * 1024;
  double read_timeout = 15;
  double idle_timeout = 60;
  double write_timeout = 30;
  int max_n = 8;
  std::string pooling;  // embeddings pooling for models whose file names none
  std::string chat_template_file;  // replaces every model's chat template
  bool mmap = false;    // weights from the mapped file instead of huge pages
  bool no_repack = false;  // keep row-major weights (no interleaved kernel layouts)
};

// The whole file, refused when empty or when the template parser refuses it (its size limit,
// invalid UTF-8, syntax), so a bad file stops the server at start, not at the first chat request.
Status read_chat_template_file(const std::string& path, std::string& source) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("cannot read --chat-template-file '" + path + "'");
  source.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) return io_error("cannot read --chat-template-file '" + path + "'");
  if (source.empty()) return invalid_argument("--chat-template-file '" + path + "' is empty");
  if (auto parsed = chat::chat_template::parse(source); !parsed.ok()) {
    return invalid_argument("--chat-template-file '" + path + "' does not parse: " + parsed.status().message());
  }
  return {};
}

Status read_keys_file(const std::string& path, std::vector<std::string>& keys) {
  std::ifstream in(path);
  if (!in) return io_error("cannot read --api-keys-file '" + path + "'");
  std::string line;
  size_t added = 0;
  while (std::getline(in, line)) {
    const size_t b = line.find_first_not_of(" \t\r");
    const size_t e = line.find_last_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#') continue;
    keys.push_back(line.substr(b, e - b + 1));
    ++added;
  }
  if (added == 0) return invalid_argument("--api-keys-file '" + path + "' holds no keys");
  return {};
}

std::chrono::milliseconds millis(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

int serve(const ServeArgs& a) {
  if (a.port < 0 || a.port > 65535) return fail("--port must be in [0, 65535]");
  if (a.parallel < 1 || a.queue < 1 || a.io_threads < 1 || a.max_connections < 1 || a.max_n < 1) {
    return fail("--parallel, --queue, --io-threads, --max-connections and --max-n must be at least 1");
  }
  if (a.read_timeout <= 0 || a.idle_timeout <= 0 || a.write_timeout <= 0) return fail("timeouts must be positive");
  if (a.header_limit < 1024 || a.body_limit < 1024) return fail("--header-limit and --body-limit must be >= 1024");
  server::ServerOptions o;
  o.http.host = a.host;
  o.http.port = static_cast<uint16_t>(a.port);
  o.http.io_threads = a.io_threads;
  o.http.header_limit = a.header_limit;
  o.http.body_limit = a.body_limit;
  o.http.read_timeout = millis(a.read_timeout);
  o.http.idle_timeout = millis(a.idle_timeout);
  o.http.write_timeout = millis(a.write_timeout);
  o.http.max_connections = a.max_connections;
  o.router.api_keys = a.api_keys;
  if (!a.api_keys_file.empty()) {
    if (Status st = read_keys_file(a.api_keys_file, o.router.api_keys); !st.ok()) return fail(st);
  }
  o.router.cors_origin = a.cors;
  o.models.model_paths = a.models;
  o.models.aliases = a.aliases;
  o.models.models_dir = a.models_dir;
  o.models.max_loaded = a.max_loaded;
  std::string ka_error;
  auto keep_alive = server::parse_keep_alive(nlohmann::json(a.keep_alive), ka_error);
  if (!keep_alive) return fail("--keep-alive " + ka_error);
  o.models.keep_alive_seconds = *keep_alive;
  o.models.engine.threads = a.threads > 0 ? a.threads : default_threads();
  o.models.engine.n_ctx = a.ctx;
  o.models.engine.kv_tokens = a.kv_tokens;
  o.models.engine.max_sequences = a.parallel;
  o.models.engine.max_queue = a.queue;
  o.limits.max_n = a.max_n;
  o.models.load.load = a.mmap ? FileLoad::map : FileLoad::huge_pages;
  o.models.load.repack = !a.no_repack;
  if (!a.pooling.empty() && (!model::parse_pooling(a.pooling, o.models.embedder.pooling) ||
                             o.models.embedder.pooling == model::pooling_type::none)) {
    return fail("--pooling must be mean, cls or last");
  }
  if (!a.chat_template_file.empty()) {
    if (Status st = read_chat_template_file(a.chat_template_file, o.models.chat_template); !st.ok()) return fail(st);
  }
  o.models.embedder.threads = o.models.engine.threads;
  o.models.embedder.n_ctx = a.ctx;

  server::Server srv(std::move(o));
  if (Status st = srv.start(); !st.ok()) return fail(st);
  std::cout << "listening on http://" << a.host << ":" << srv.port() << std::endl;
  if (Status st = srv.wait_for_models(); !st.ok()) {
    srv.stop();
    return fail(st);
  }
  std::cerr << "ready" << std::endl;
  srv.wait();
  std::cerr << "shutting down" << std::endl;
  srv.stop();
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto a = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve models over an OpenAI- and Ollama-compatible HTTP API");
  cmd->add_option("models", a->models, "GGUF model files (loaded at start; id = file name without .gguf)");
  cmd->add_option("--models-dir", a->models_dir, "Directory of *.gguf files, loaded on first request");
  cmd->add_option("--alias", a->aliases, "Model id for the MODEL_PATH at the same position (repeatable)");
  cmd->add_option("--host", a->host, "Address to bind")->capture_default_str();
  cmd->add_option("--port", a->port, "Port (0: any free port, printed at start)")->capture_default_str();
  cmd->add_option("--parallel", a->parallel, "Sequences decoded together per model")->capture_default_str();
  cmd->add_option("-c,--ctx", a->ctx, "Context length per sequence (0: the model's, capped at 4096)");
  cmd->add_option("--kv-tokens", a->kv_tokens, "KV-cache pool in tokens shared by all sequences (0: 2 x ctx)");
  cmd->add_option("--queue", a->queue, "Waiting requests per model before 429")->capture_default_str();
  cmd->add_option("-t,--threads", a->threads, "Compute threads (default: all cores)");
  cmd->add_option("--io-threads", a->io_threads, "HTTP I/O threads")->capture_default_str();
  cmd->add_option("--api-key", a->api_keys, "Require 'Authorization: Bearer K' on every route but /health (repeatable)");
  cmd->add_option("--api-keys-file", a->api_keys_file, "File with one API key per line ('#' comments)");
  cmd->add_option("--cors", a->cors, "Allow cross-origin requests from ORIGIN ('*' for any)");
  cmd->add_option("--max-loaded-models", a->max_loaded, "Models loaded at once; least recently used unloads (0: no limit)");
  cmd->add_option("--keep-alive", a->keep_alive, "Default idle time before unloading (\"5m\", \"-1\" = forever)")
      ->capture_default_str();
  cmd->add_option("--max-connections", a->max_connections, "Open connections beyond which clients get 503")
      ->capture_default_str();
  cmd->add_option("--body-limit", a->body_limit, "Largest request body in bytes (413 beyond)")->capture_default_str();
  cmd->add_option("--header-limit", a->header_limit, "Largest request header block in bytes (431 beyond)")
      ->capture_default_str();
  cmd->add_option("--read-timeout", a->read_timeout, "Seconds for a whole request to arrive")->capture_default_str();
  cmd->add_option("--idle-timeout", a->idle_timeout, "Seconds an idle keep-alive connection stays open")
      ->capture_default_str();
  cmd->add_option("--write-timeout", a->write_timeout, "Seconds a write may stall before the client is dropped")
      ->capture_default_str();
  cmd->add_option("--max-n", a->max_n, "Largest 'n' (choices per request)")->capture_default_str();
  cmd->add_flag("--mmap", a->mmap, "Use weights from the mapped files (lazy; 4 KiB pages) instead of huge pages");
  cmd->add_flag("--no-repack", a->no_repack, "Keep the files' row-major weights instead of the kernels' interleaved layouts");
  cmd->add_option("--chat-template-file", a->chat_template_file,
                  "Jinja chat template used for every model instead of the one in its file (checked at start)");
  cmd->add_option("--pooling", a->pooling,
                  "Embeddings pooling (mean, cls, last) for models whose file names none (/v1/embeddings)");
  cmd->callback([a] { exit_code() = serve(*a); });
}

}  // namespace plexus::cli

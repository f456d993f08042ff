// Ollama-compatible routes: POST /api/chat and /api/generate (NDJSON streaming, `stream`
// defaults to true), POST /api/show, GET /api/tags, /api/ps, /api/version.
#include <vector>

#include "server/chat_prompt.h"
#include "server/generation.h"
#include "server/json_body.h"
#include "server/model_info.h"
#include "server/routes.h"
#include "server/tool_output.h"

namespace plexus::server {
namespace {

using json = nlohmann::json;

int64_t nanos(double seconds) { return static_cast<int64_t>(seconds * 1e9); }

// Formats /api/chat (message.content) or /api/generate (response) output as NDJSON lines, or
// as one JSON object when not streaming.
// Not thread-safe: strand-confined (see GenerationObserver).
class OllamaObserver final : public GenerationObserver {
 public:
  OllamaObserver(std::shared_ptr<ResponseChannel> channel, bool chat, std::string model, bool stream,
                 double load_seconds, const OutputRules& rules)
      : channel_(std::move(channel)), chat_(chat), model_(std::move(model)), stream_(stream),
        load_seconds_(load_seconds), output_(rules) {}

  void begin() {
    if (stream_) channel_->begin_stream(200, "application/x-ndjson");
  }

  void on_delta(const ChoiceDelta& d) override {
    OutputDelta out;
    if (chat_) {
      out = output_.push(d.text);
    } else {
      out.content = d.text;
    }
    if (!stream_) {
      text_ += out.content;
      thinking_ += out.reasoning;
      return;
    }
    if (out.content.empty() && out.reasoning.empty()) return;  // held back
    json line = head();
    put_text(line, out.content, out.reasoning, {});
    line["done"] = false;
    channel_->write(dump_json(line) + "\n");
  }

  void on_choice_done(int, const std::string& reason) override {
    reason_ = reason;
    if (!chat_) return;
    OutputDelta out = output_.finish();
    if (!stream_) {
      text_ += out.content;
      thinking_ += out.reasoning;
      calls_ = std::move(out.calls);
      return;
    }
    if (out.content.empty() && out.reasoning.empty() && out.calls.empty()) return;
    json line = head();
    put_text(line, out.content, out.reasoning, out.calls);
    line["done"] = false;
    channel_->write(dump_json(line) + "\n");
  }

  void on_complete(const GenerationUsage& u) override {
    json line = head();
    if (stream_) {
      put_text(line, "", "", {});
    } else {
      put_text(line, text_, thinking_, calls_);
    }
    line["done"] = true;
    line["done_reason"] = reason_.empty() ? "stop" : reason_;
    line["total_duration"] = nanos(u.total_seconds + load_seconds_);
    line["load_duration"] = nanos(load_seconds_);
    line["prompt_eval_count"] = u.prompt_tokens;
    line["prompt_eval_duration"] = nanos(u.prompt_seconds);
    line["eval_count"] = u.completion_tokens;
    line["eval_duration"] = nanos(u.generate_seconds);
    if (!stream_) return send_json(*channel_, line);
    channel_->write(dump_json(line) + "\n");
    channel_->end_stream();
  }

  void on_error(const ApiError& error) override {
    if (!stream_) return send_error(*channel_, error, api_flavor::ollama);
    channel_->write(error_body(error, api_flavor::ollama) + "\n");
    channel_->end_stream();
  }

 private:
  json head() const { return {{"model", model_}, {"created_at", rfc3339_now()}}; }
  // Ollama's message: content, thinking when there is some, tool_calls with arguments as objects.
  void put_text(json& line, const std::string& text, const std::string& thinking,
                const std::vector<chat::tool_call>& calls) const {
    if (!chat_) {
      line["response"] = text;
      return;
    }
    json message = {{"role", "assistant"}, {"content", text}};
    if (!thinking.empty()) message["thinking"] = thinking;
    if (!calls.empty()) {
      json list = json::array();
      for (const auto& c : calls) {
        list.push_back({{"function", {{"name", c.name}, {"arguments", json::parse(c.arguments, nullptr, false)}}}});
      }
      message["tool_calls"] = std::move(list);
    }
    line["message"] = std::move(message);
  }

  std::shared_ptr<ResponseChannel> channel_;
  bool chat_;
  std::string model_;
  bool stream_;
  double load_seconds_;
  ChoiceOutput output_;
  std::string text_;
  std::string thinking_;
  std::vector<chat::tool_call> calls_;
  std::string reason_;
};

// A request with nothing to generate only loads (or, with keep_alive 0, unloads) the model.
void answer_load_only(const std::shared_ptr<ServerContext>& ctx, const std::shared_ptr<ResponseChannel>& channel,
                      const GenerationSpec& gen, bool chat) {
  auto reply = [channel, chat](const std::string& model, const char* reason) {
    json line = {{"model", model}, {"created_at", rfc3339_now()}};
    if (chat) {
      line["message"] = {{"role", "assistant"}, {"content", ""}};
    } else {
      line["response"] = "";
    }
    line["done"] = true;
    line["done_reason"] = reason;
    send_json(*channel, line);
  };
  if (gen.keep_alive_seconds && *gen.keep_alive_seconds == 0) {
    auto id = ctx->models->resolve(gen.model);
    if (!id) return send_error(*channel, model_not_found(gen.model), api_flavor::ollama);
    ctx->models->unload_when_idle(*id);
    return reply(*id, "unload");
  }
  with_model(*ctx, channel, gen.model, gen.keep_alive_seconds, api_flavor::ollama,
             [reply](std::shared_ptr<ModelLease> lease) { reply(lease->id(), "load"); });
}

void generate(const std::shared_ptr<ServerContext>& ctx, const std::shared_ptr<ResponseChannel>& channel,
              const std::shared_ptr<ModelLease>& lease, bool chat, const GenerationSpec& gen,
              std::vector<int32_t> prompt, const OutputRules& rules = {}) {
  if (prompt.empty()) return send_error(*channel, bad_field(chat ? "messages" : "prompt", "the prompt is empty"),
                                        api_flavor::ollama);
  runtime::GenerateOptions options;
  if (auto err = make_generate_options(*ctx, gen, *lease, static_cast<int64_t>(prompt.size()), options)) {
    if (err->param == "max_tokens") err->param = "options.num_predict";
    return send_error(*channel, *err, api_flavor::ollama);
  }
  auto observer = std::make_shared<OllamaObserver>(channel, chat, lease->id(), gen.stream, lease->waited_seconds(),
                                                   rules);
  JobSpec spec;
  spec.prompt = std::move(prompt);
  spec.options = options;
  spec.stop = gen.stop;
  if (auto err = start_generation(lease, channel, std::move(spec), observer, ctx->metrics)) {
    return send_error(*channel, *err, api_flavor::ollama);
  }
  observer->begin();
}

void handle_chat(const std::shared_ptr<ServerContext>& ctx, const HttpRequest& req,
                 const std::shared_ptr<ResponseChannel>& channel) {
  json body;
  ChatRequest chat;
  if (auto err = parse_json_object(req.body, body)) return send_error(*channel, *err, api_flavor::ollama);
  const nlohmann::ordered_json ordered = ordered_body_for(req.body, body, {"tools", "format"});
  if (auto err = parse_ollama_chat(body, ctx->limits, chat, ordered.is_object() ? &ordered : nullptr)) {
    return send_error(*channel, *err, api_flavor::ollama);
  }
  if (chat.messages.empty()) return answer_load_only(ctx, channel, chat.gen, true);
  with_model(*ctx, channel, chat.gen.model, chat.gen.keep_alive_seconds, api_flavor::ollama,
             [ctx, channel, chat](std::shared_ptr<ModelLease> lease) {
               const LoadedState& state = lease->state();
               PromptExtras extras;
               if (!chat.tool_names.empty()) extras.tools = chat.tools;
               if (chat.think && !*chat.think) extras.enable_thinking = false;
               auto text = render_chat_prompt(state, chat.messages, extras);
               if (!text.ok()) return send_error(*channel, from_status(text.status(), "messages"), api_flavor::ollama);
               OutputRules rules = output_rules(state.chat_source, *text, chat, tool_format(state));
               generate(ctx, channel, lease, true, chat.gen, tokenize_prompt(lease->tokenizer(), *text), rules);
             });
}

void handle_generate(const std::shared_ptr<ServerContext>& ctx, const HttpRequest& req,
                     const std::shared_ptr<ResponseChannel>& channel) {
  json body;
  CompletionRequest gen;
  if (auto err = parse_json_object(req.body, body)) return send_error(*channel, *err, api_flavor::ollama);
  const nlohmann::ordered_json ordered = ordered_body_for(req.body, body, {"format"});
  if (auto err = parse_ollama_generate(body, ctx->limits, gen, ordered.is_object() ? &ordered : nullptr)) {
    return send_error(*channel, *err, api_flavor::ollama);
  }
  if (gen.prompt.empty()) return answer_load_only(ctx, channel, gen.gen, false);
  with_model(*ctx, channel, gen.gen.model, gen.gen.keep_alive_seconds, api_flavor::ollama,
             [ctx, channel, gen](std::shared_ptr<ModelLease> lease) {
               std::string text = gen.prompt;
               if (!gen.raw) {
                 nlohmann::ordered_json messages = nlohmann::ordered_json::array();
                 if (!gen.system.empty()) messages.push_back({{"role", "system"}, {"content", gen.system}});
                 messages.push_back({{"role", "user"}, {"content", gen.prompt}});
                 auto rendered = render_chat_prompt(lease->state(), messages);
                 if (!rendered.ok()) {
                   return send_error(*channel, from_status(rendered.status(), "prompt"), api_flavor::ollama);
                 }
                 text = std::move(rendered).value();
               }
               generate(ctx, channel, lease, false, gen.gen, tokenize_prompt(lease->tokenizer(), text));
             });
}

json details_json(const GgufSummary& s) {
  return {{"parent_model", ""},
          {"format", "gguf"},
          {"family", s.arch},
          {"families", s.arch.empty() ? json(nullptr) : json::array({s.arch})},
          {"parameter_size", s.parameter_size},
          {"quantization_level", s.quantization}};
}

void handle_tags(const std::shared_ptr<ServerContext>& ctx, const std::shared_ptr<ResponseChannel>& channel) {
  json models = json::array();
  for (const auto& m : ctx->models->list()) {
    json entry = {{"name", m.id}, {"model", m.id}, {"modified_at", rfc3339(m.modified_unix)}, {"size", m.size_bytes}};
    if (auto s = summarize_gguf(m.path); s.ok()) {
      entry["digest"] = s->digest;
      entry["details"] = details_json(*s);
    } else {
      entry["digest"] = "";
      entry["details"] = {{"format", "gguf"}, {"error", s.status().message()}};
    }
    models.push_back(std::move(entry));
  }
  send_json(*channel, {{"models", std::move(models)}});
}

void handle_ps(const std::shared_ptr<ServerContext>& ctx, const std::shared_ptr<ResponseChannel>& channel) {
  json models = json::array();
  for (const auto& m : ctx->models->list()) {
    if (!m.loaded) continue;
    // Ollama shows a far-future time for models kept forever.
    const int64_t expires = m.expires_unix.value_or(unix_now() + 100ll * 365 * 24 * 3600);
    json entry = {{"name", m.id},       {"model", m.id},  {"size", m.size_bytes},
                  {"size_vram", 0},     {"expires_at", rfc3339(expires)}, {"context_length", m.n_ctx}};
    if (auto s = summarize_gguf(m.path); s.ok()) {
      entry["digest"] = s->digest;
      entry["details"] = details_json(*s);
    }
    models.push_back(std::move(entry));
  }
  send_json(*channel, {{"models", std::move(models)}});
}

// Ollama clients read these to decide what to offer: tools when the template renders `tools`,
// thinking when it knows <think>.
json capabilities(const std::string& chat_template) {
  json caps = json::array({"completion"});
  if (chat_template.find("tools") != std::string::npos) caps.push_back("tools");
  if (chat::template_uses_think(chat_template)) caps.push_back("thinking");
  return caps;
}

void handle_show(const std::shared_ptr<ServerContext>& ctx, const HttpRequest& req,
                 const std::shared_ptr<ResponseChannel>& channel) {
  json body;
  if (auto err = parse_json_object(req.body, body)) return send_error(*channel, *err, api_flavor::ollama);
  FieldReader r(body, "");
  auto model = r.string("model", ctx->limits.max_model_name_bytes);
  if (!model) model = r.string("name", ctx->limits.max_model_name_bytes);  // older clients
  if (!r.ok()) return send_error(*channel, *r.error(), api_flavor::ollama);
  if (!model || model->empty()) return send_error(*channel, bad_field("model", "'model' is required"), api_flavor::ollama);
  auto id = ctx->models->resolve(*model);
  if (!id) return send_error(*channel, model_not_found(*model), api_flavor::ollama);
  for (const auto& m : ctx->models->list()) {
    if (m.id != *id) continue;
    auto s = summarize_gguf(m.path);
    if (!s.ok()) return send_error(*channel, internal(s.status().message()), api_flavor::ollama);
    if (!ctx->models->chat_template_override().empty()) s->chat_template = ctx->models->chat_template_override();
    send_json(*channel, {{"modelfile", "FROM " + m.path + "\n"},
                         {"parameters", ""},
                         {"template", s->chat_template},
                         {"details", details_json(*s)},
                         {"model_info", s->model_info},
                         {"capabilities", capabilities(s->chat_template)},
                         {"modified_at", rfc3339(m.modified_unix)}});
    return;
  }
  send_error(*channel, model_not_found(*model), api_flavor::ollama);
}

}  // namespace

void add_ollama_routes(Router& router, std::shared_ptr<ServerContext> ctx) {
  router.add("POST", "/api/chat", api_flavor::ollama,
             [ctx](const HttpRequest& req, std::shared_ptr<ResponseChannel> ch) { handle_chat(ctx, req, ch); });
  router.add("POST", "/api/generate", api_flavor::ollama,
             [ctx](const HttpRequest& req, std::shared_ptr<ResponseChannel> ch) { handle_generate(ctx, req, ch); });
  router.add("POST", "/api/show", api_flavor::ollama,
             [ctx](const HttpRequest& req, std::shared_ptr<ResponseChannel> ch) { handle_show(ctx, req, ch); });
  router.add("GET", "/api/tags", api_flavor::ollama,
             [ctx](const HttpRequest&, std::shared_ptr<ResponseChannel> ch) { handle_tags(ctx, ch); });
  router.add("GET", "/api/ps", api_flavor::ollama,
             [ctx](const HttpRequest&, std::shared_ptr<ResponseChannel> ch) { handle_ps(ctx, ch); });
  router.add("GET", "/api/version", api_flavor::ollama,
             [ctx](const HttpRequest&, std::shared_ptr<ResponseChannel> ch) {
               send_json(*ch, {{"version", ctx->version}});
             });
}

}  // namespace plexus::server

// OpenAI-compatible routes: POST /v1/chat/completions (alias /api/v1/llm/chat/completions),
// POST /v1/completions, GET /v1/models. Streaming answers are Server-Sent Events:
// `data: {chunk}\n\n` ... `data: [DONE]\n\n`.
#include "server/routes.h"

#include <vector>

#include "server/chat_prompt.h"
#include "server/generation.h"
#include "server/json_body.h"
#include "server/route_util.h"
#include "server/tool_output.h"

namespace plexus::server {
namespace {

using json = nlohmann::json;

enum class openai_kind { chat, completion };

json byte_array(const std::string& s) {
  json a = json::array();
  for (unsigned char c : s) a.push_back(static_cast<int>(c));
  return a;
}

json chat_logprob_entries(const std::vector<TokenLogprob>& lps) {
  json content = json::array();
  for (const auto& lp : lps) {
    json top = json::array();
    for (const auto& [text, value] : lp.top) {
      top.push_back({{"token", text}, {"logprob", value}, {"bytes", byte_array(text)}});
    }
    content.push_back({{"token", lp.token}, {"logprob", lp.logprob}, {"bytes", byte_array(lp.token)}, {"top_logprobs", top}});
  }
  return content;
}

// Legacy completions logprobs: parallel arrays; text_offset is the token's offset in the choice text.
struct CompletionLogprobs {
  json tokens = json::array(), token_logprobs = json::array(), top_logprobs = json::array(),
       text_offset = json::array();
  size_t offset = 0;

  void add(const std::vector<TokenLogprob>& lps) {
    for (const auto& lp : lps) {
      tokens.push_back(lp.token);
      token_logprobs.push_back(lp.logprob);
      json top = json::object();
      for (const auto& [text, value] : lp.top) top[text] = value;
      top_logprobs.push_back(std::move(top));
      text_offset.push_back(offset);
      offset += lp.token.size();
    }
  }
  json to_json() const {
    return {{"tokens", tokens}, {"token_logprobs", token_logprobs}, {"top_logprobs", top_logprobs},
            {"text_offset", text_offset}};
  }
};

// Formats one OpenAI request's output, streamed as SSE chunks or as one JSON body.
// Not thread-safe: strand-confined (see GenerationObserver).
class OpenAiObserver final : public GenerationObserver {
 public:
  OpenAiObserver(std::shared_ptr<ResponseChannel> channel, openai_kind kind, std::string model, int n, bool stream,
                 bool include_usage, bool logprobs, std::string echo, const OutputRules& rules)
      : channel_(std::move(channel)),
        kind_(kind),
        id_(random_id(kind == openai_kind::chat ? "chatcmpl-" : "cmpl-")),
        model_(std::move(model)),
        created_(unix_now()),
        stream_(stream),
        include_usage_(include_usage),
        logprobs_(logprobs),
        echo_(std::move(echo)),
        text_(static_cast<size_t>(n), echo_),
        finish_(static_cast<size_t>(n)),
        chat_logprobs_(static_cast<size_t>(n), json::array()),
        completion_logprobs_(static_cast<size_t>(n)),
        reasoning_(static_cast<size_t>(n)),
        calls_(static_cast<size_t>(n)),
        show_reasoning_(rules.split_reasoning) {
    for (auto& c : completion_logprobs_) c.offset = echo_.size();
    outputs_.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) outputs_.emplace_back(rules);
  }

  // Called once the job is submitted: starts the SSE stream (role chunks for chat, echo).
  void begin() {
    if (!stream_) return;
    channel_->begin_stream(200, "text/event-stream");
    for (size_t i = 0; i < text_.size(); ++i) {
      if (kind_ == openai_kind::chat) {
        json delta = {{"role", "assistant"}, {"content", ""}};
        send_chunk(choice_chunk(static_cast<int>(i), delta, nullptr, nullptr));
      } else if (!echo_.empty()) {
        send_chunk(choice_chunk(static_cast<int>(i), echo_, nullptr, nullptr));
      }
    }
  }

  void on_delta(const ChoiceDelta& d) override {
    const size_t i = static_cast<size_t>(d.index);
    OutputDelta out;
    if (kind_ == openai_kind::chat) {
      out = outputs_[i].push(d.text);
    } else {
      out.content = d.text;
    }
    if (!stream_) {
      text_[i] += out.content;
      reasoning_[i] += out.reasoning;
      if (kind_ == openai_kind::chat) {
        for (auto& e : chat_logprob_entries(d.logprobs)) chat_logprobs_[i].push_back(std::move(e));
      } else {
        completion_logprobs_[i].add(d.logprobs);
      }
      return;
    }
    json lp = nullptr;
    if (logprobs_) {
      if (kind_ == openai_kind::chat) {
        lp = {{"content", chat_logprob_entries(d.logprobs)}};
      } else {
        CompletionLogprobs c;
        c.offset = completion_logprobs_[i].offset;
        c.add(d.logprobs);
        completion_logprobs_[i].offset = c.offset;
        lp = c.to_json();
      }
    }
    if (kind_ == openai_kind::chat) {
      if (out.content.empty() && out.reasoning.empty() && d.logprobs.empty()) return;  // held back
      send_chunk(choice_chunk(d.index, chat_delta(out), lp, nullptr));
    } else {
      send_chunk(choice_chunk(d.index, out.content, lp, nullptr));
    }
  }

  void on_choice_done(int index, const std::string& engine_reason) override {
    const size_t i = static_cast<size_t>(index);
    std::string reason = engine_reason;
    if (kind_ == openai_kind::chat) {
      OutputDelta out = outputs_[i].finish();
      if (!out.calls.empty()) reason = "tool_calls";
      if (stream_) {
        if (!out.content.empty() || !out.reasoning.empty()) send_chunk(choice_chunk(index, chat_delta(out), nullptr, nullptr));
        // Each call whole in one delta (id, name and all arguments), as OpenAI's first chunk of a call.
        for (size_t k = 0; k < out.calls.size(); ++k) {
          json call = tool_call_json(out.calls[k]);
          call["index"] = k;
          send_chunk(choice_chunk(index, json{{"tool_calls", json::array({std::move(call)})}}, nullptr, nullptr));
        }
      } else {
        text_[i] += out.content;
        reasoning_[i] += out.reasoning;
        calls_[i] = std::move(out.calls);
      }
    }
    finish_[i] = reason;
    if (!stream_) return;
    if (kind_ == openai_kind::chat) {
      send_chunk(choice_chunk(index, json::object(), nullptr, reason));
    } else {
      send_chunk(choice_chunk(index, "", nullptr, reason));
    }
  }

  void on_complete(const GenerationUsage& u) override {
    const json usage = {{"prompt_tokens", u.prompt_tokens},
                        {"completion_tokens", u.completion_tokens},
                        {"total_tokens", u.prompt_tokens + u.completion_tokens}};
    if (stream_) {
      if (include_usage_) {
        json chunk = envelope();
        chunk["choices"] = json::array();
        chunk["usage"] = usage;
        channel_->write("data: " + dump_json(chunk) + "\n\n");
      }
      channel_->write("data: [DONE]\n\n");
      channel_->end_stream();
      return;
    }
    json body = envelope();
    body["object"] = kind_ == openai_kind::chat ? "chat.completion" : "text_completion";
    json choices = json::array();
    for (size_t i = 0; i < text_.size(); ++i) {
      json c = {{"index", i}, {"finish_reason", finish_[i].empty() ? json(nullptr) : json(finish_[i])}};
      if (kind_ == openai_kind::chat) {
        json message = {{"role", "assistant"}};
        message["content"] = text_[i].empty() && !calls_[i].empty() ? json(nullptr) : json(text_[i]);
        if (show_reasoning_ && !reasoning_[i].empty()) message["reasoning_content"] = reasoning_[i];
        if (!calls_[i].empty()) {
          json calls = json::array();
          for (const auto& call : calls_[i]) calls.push_back(tool_call_json(call));
          message["tool_calls"] = std::move(calls);
        }
        c["message"] = std::move(message);
        c["logprobs"] = logprobs_ ? json{{"content", chat_logprobs_[i]}} : json(nullptr);
      } else {
        c["text"] = text_[i];
        c["logprobs"] = logprobs_ ? completion_logprobs_[i].to_json() : json(nullptr);
      }
      choices.push_back(std::move(c));
    }
    body["choices"] = std::move(choices);
    body["usage"] = usage;
    send_json(*channel_, body);
  }

  void on_error(const ApiError& error) override {
    if (stream_) {
      channel_->write("data: " + error_body(error, api_flavor::openai) + "\n\n");
      channel_->end_stream();
      return;
    }
    send_error(*channel_, error, api_flavor::openai);
  }

 private:
  static json tool_call_json(const chat::tool_call& call) {
    return {{"id", call.id}, {"type", "function"}, {"function", {{"name", call.name}, {"arguments", call.arguments}}}};
  }

  static json chat_delta(const OutputDelta& out) {
    json delta = json::object();
    if (!out.reasoning.empty()) delta["reasoning_content"] = out.reasoning;
    if (!out.content.empty() || out.reasoning.empty()) delta["content"] = out.content;
    return delta;
  }

  json envelope() const {
    return {{"id", id_},
            {"object", kind_ == openai_kind::chat ? "chat.completion.chunk" : "text_completion"},
            {"created", created_},
            {"model", model_},
            {"system_fingerprint", "plexus"}};
  }

  json choice_chunk(int index, json delta_or_text, json logprobs, json finish) const {
    json chunk = envelope();
    json choice = {{"index", index}, {"logprobs", std::move(logprobs)}, {"finish_reason", std::move(finish)}};
    choice[kind_ == openai_kind::chat ? "delta" : "text"] = std::move(delta_or_text);
    chunk["choices"] = json::array({std::move(choice)});
    if (include_usage_) chunk["usage"] = nullptr;
    return chunk;
  }

  void send_chunk(const json& chunk) { channel_->write("data: " + dump_json(chunk) + "\n\n"); }

  std::shared_ptr<ResponseChannel> channel_;
  openai_kind kind_;
  std::string id_;
  std::string model_;
  int64_t created_;
  bool stream_;
  bool include_usage_;
  bool logprobs_;
  std::string echo_;
  std::vector<std::string> text_;
  std::vector<std::string> finish_;
  std::vector<json> chat_logprobs_;
  std::vector<CompletionLogprobs> completion_logprobs_;
  std::vector<std::string> reasoning_;
  std::vector<std::vector<chat::tool_call>> calls_;
  bool show_reasoning_;
  std::vector<ChoiceOutput> outputs_;  // chat only
};

// Everything after the prompt is known: options, submission, the observer.
void generate(const std::shared_ptr<ServerContext>& ctx, const std::shared_ptr<ResponseChannel>& channel,
              const std::shared_ptr<ModelLease>& lease, openai_kind kind, const GenerationSpec& gen,
              std::vector<int32_t> prompt, const std::string& echo, const OutputRules& rules = {}) {
  if (prompt.empty()) {
    send_error(*channel, bad_field(kind == openai_kind::chat ? "messages" : "prompt", "the prompt is empty"),
               api_flavor::openai);
    return;
  }
  runtime::GenerateOptions options;
  if (auto err = make_generate_options(*ctx, gen, *lease, static_cast<int64_t>(prompt.size()), options)) {
    send_error(*channel, *err, api_flavor::openai);
    return;
  }
  auto observer = std::make_shared<OpenAiObserver>(channel, kind, lease->id(), gen.n, gen.stream, gen.include_usage,
                                                   gen.logprobs, echo, rules);
  JobSpec spec;
  spec.prompt = std::move(prompt);
  spec.options = options;
  spec.n = gen.n;
  spec.stop = gen.stop;
  spec.logprobs = gen.logprobs;
  if (auto err = start_generation(lease, channel, std::move(spec), observer, ctx->metrics)) {
    send_error(*channel, *err, api_flavor::openai);
    return;
  }
  observer->begin();
}

void handle_chat(const std::shared_ptr<ServerContext>& ctx, const HttpRequest& req,
                 const std::shared_ptr<ResponseChannel>& channel) {
  json body;
  ChatRequest chat;
  if (auto err = parse_json_object(req.body, body)) return send_error(*channel, *err, api_flavor::openai);
  const nlohmann::ordered_json ordered = ordered_body_for(req.body, body, {"tools", "response_format"});
  if (auto err = parse_openai_chat(body, ctx->limits, chat, ordered.is_object() ? &ordered : nullptr)) {
    return send_error(*channel, *err, api_flavor::openai);
  }
  with_model(*ctx, channel, chat.gen.model, std::nullopt, api_flavor::openai,
             [ctx, channel, chat](std::shared_ptr<ModelLease> lease) {
               const LoadedState& state = lease->state();
               const chat::tool_call_format format = tool_format(state);
               const bool use_tools = !chat.tool_names.empty() && chat.tool_choice != ToolChoice::none;
               PromptExtras extras;
               if (use_tools) extras.tools = chat.tools;
               auto text = render_chat_prompt(state, chat.messages, extras);
               if (!text.ok()) return send_error(*channel, from_status(text.status(), "messages"), api_flavor::openai);
               GenerationSpec gen = chat.gen;
               if (chat.tool_choice == ToolChoice::required || chat.tool_choice == ToolChoice::named) {
                 auto g = tool_call_grammar(format, chat.tools,
                                            chat.tool_choice == ToolChoice::named ? chat.tool_choice_name : "");
                 if (!g.ok()) return send_error(*channel, from_status(g.status(), "tools"), api_flavor::openai);
                 gen.grammar = std::move(g).value();
               }
               generate(ctx, channel, lease, openai_kind::chat, gen, tokenize_prompt(lease->tokenizer(), *text), "",
                        output_rules(state.chat_source, *text, chat, format));
             });
}

void handle_completion(const std::shared_ptr<ServerContext>& ctx, const HttpRequest& req,
                       const std::shared_ptr<ResponseChannel>& channel) {
  json body;
  CompletionRequest completion;
  if (auto err = parse_json_object(req.body, body)) return send_error(*channel, *err, api_flavor::openai);
  const nlohmann::ordered_json ordered = ordered_body_for(req.body, body, {"response_format"});
  if (auto err = parse_openai_completion(body, ctx->limits, completion, ordered.is_object() ? &ordered : nullptr)) {
    return send_error(*channel, *err, api_flavor::openai);
  }
  with_model(*ctx, channel, completion.gen.model, std::nullopt, api_flavor::openai,
             [ctx, channel, completion](std::shared_ptr<ModelLease> lease) {
               generate(ctx, channel, lease, openai_kind::completion, completion.gen,
                        tokenize_prompt(lease->tokenizer(), completion.prompt),
                        completion.echo ? completion.prompt : "");
             });
}

void handle_models(const std::shared_ptr<ServerContext>& ctx, const std::shared_ptr<ResponseChannel>& channel) {
  json data = json::array();
  for (const auto& m : ctx->models->list()) {
    json entry = {{"id", m.id}, {"object", "model"}, {"created", m.modified_unix}, {"owned_by", "plexus"}};
    entry["meta"] = {{"size", m.size_bytes}, {"loaded", m.loaded}};
    if (m.loaded) entry["meta"]["n_ctx"] = m.n_ctx;
    data.push_back(std::move(entry));
  }
  send_json(*channel, {{"object", "list"}, {"data", std::move(data)}});
}

}  // namespace

void add_openai_routes(Router& router, std::shared_ptr<ServerContext> ctx) {
  auto chat = [ctx](const HttpRequest& req, std::shared_ptr<ResponseChannel> ch) { handle_chat(ctx, req, ch); };
  router.add("POST", "/v1/chat/completions", api_flavor::openai, chat);
  router.add("POST", "/api/v1/llm/chat/completions", api_flavor::openai, chat);
  router.add("POST", "/v1/completions", api_flavor::openai,
             [ctx](const HttpRequest& req, std::shared_ptr<ResponseChannel> ch) { handle_completion(ctx, req, ch); });
  router.add("GET", "/v1/models", api_flavor::openai,
             [ctx](const HttpRequest&, std::shared_ptr<ResponseChannel> ch) { handle_models(ctx, ch); });
}

}  // namespace plexus::server

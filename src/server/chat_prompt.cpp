#include "server/chat_prompt.h"

#include <algorithm>

namespace plexus::server {

const char* const kChatmlTemplate = R"TPL({%- set ns = namespace(skip_first=false) -%}
{%- if tools -%}
{{- '<|im_start|>system\n' -}}
{%- if messages and messages[0]['role'] == 'system' -%}
{{- messages[0]['content'] + '\n\n' -}}{%- set ns.skip_first = true -%}
{%- endif -%}
{{- '# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>' -}}
{%- for tool in tools -%}{{- '\n' + (tool | tojson) -}}{%- endfor -%}
{{- '\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n' -}}
{%- endif -%}
{%- for message in messages -%}
{%- if loop.first and ns.skip_first -%}
{%- elif message['role'] == 'assistant' and message.tool_calls is defined and message.tool_calls -%}
{{- '<|im_start|>assistant\n' + (message['content'] or '') -}}
{%- for call in message.tool_calls -%}
{{- '\n<tool_call>\n{"name": "' + call['function']['name'] + '", "arguments": ' + (call['function']['arguments'] | tojson) + '}\n</tool_call>' -}}
{%- endfor -%}
{{- '<|im_end|>\n' -}}
{%- elif message['role'] == 'tool' -%}
{{- '<|im_start|>user\n<tool_response>\n' + message['content'] + '\n</tool_response><|im_end|>\n' -}}
{%- else -%}
{{- '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' -}}
{%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\n' -}}{%- endif -%})TPL";

namespace {

std::string token_text_or_empty(const tokenizer::Tokenizer& tok, int32_t id) {
  if (id < 0 || id >= tok.n_vocab()) return "";
  return tok.token_text(id);
}

Status install_chatml(LoadedState& state) {
  auto parsed = chat::chat_template::parse(kChatmlTemplate);
  if (!parsed.ok()) return internal_error("the built-in ChatML template does not parse: " + parsed.status().message());
  state.chat = std::move(parsed).value();
  state.chat_source = kChatmlTemplate;
  state.chat_is_fallback = true;
  return {};
}

}  // namespace

Status load_chat_template(LoadedState& state, std::string_view override_source) {
  const auto& tok = *state.model->tokenizer;
  state.bos_text = token_text_or_empty(tok, tok.bos_id());
  state.eos_text = token_text_or_empty(tok, tok.eos_id());
  auto source = override_source.empty() ? state.model->file->get_string("tokenizer.chat_template")
                                        : Result<std::string_view>(override_source);
  if (!source.ok()) {
    PLEXUS_RETURN_IF_ERROR(install_chatml(state));
    // A missing template is normal; a template of the wrong type is worth a warning.
    return source.status().code() == error_code::not_found ? Status{} : source.status();
  }
  auto parsed = chat::chat_template::parse(*source);
  if (!parsed.ok()) {
    PLEXUS_RETURN_IF_ERROR(install_chatml(state));
    return Status(error_code::invalid_file, "its chat template does not parse: " + parsed.status().message());
  }
  state.chat = std::move(parsed).value();
  state.chat_source = std::string(*source);
  state.chat_is_fallback = false;
  return {};
}

namespace {

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// Mistral templates raise unless tool-call ids are exactly 9 alphanumerics; others are mapped by
// a hash (FNV-1a) so that a call and its result keep matching.
std::string mistral_id(const std::string& id) {
  if (id.size() == 9 && std::all_of(id.begin(), id.end(), is_alnum)) return id;
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : id) h = (h ^ c) * 1099511628211ull;
  std::string out;
  for (int i = 0; i < 9; ++i) {
    out += kAlphabet[h % 62];
    h /= 62;
    if (h == 0) h = 0x9e3779b97f4a7c15ull ^ static_cast<uint64_t>(i);
  }
  return out;
}

nlohmann::ordered_json with_mistral_ids(nlohmann::ordered_json messages) {
  for (auto& m : messages) {
    if (auto id = m.find("tool_call_id"); id != m.end() && id->is_string()) *id = mistral_id(id->get<std::string>());
    if (auto calls = m.find("tool_calls"); calls != m.end() && calls->is_array()) {
      for (auto& c : *calls) {
        if (auto id = c.find("id"); id != c.end() && id->is_string()) *id = mistral_id(id->get<std::string>());
      }
    }
  }
  return messages;
}

}  // namespace

chat::tool_call_format tool_format(const LoadedState& state) {
  return chat::detect_tool_call_format(state.chat_source);
}

Result<std::string> render_chat_prompt(const LoadedState& state, const nlohmann::ordered_json& messages,
                                       const PromptExtras& extras) {
  if (!state.chat) return internal_error("model '" + state.id + "' has no chat template");
  chat::chat_inputs inputs;
  const auto format = tool_format(state);
  const bool mistral = format == chat::tool_call_format::mistral || format == chat::tool_call_format::mistral_args;
  inputs.messages = mistral ? with_mistral_ids(messages) : messages;
  inputs.tools = extras.tools;
  if (extras.enable_thinking) inputs.extra["enable_thinking"] = *extras.enable_thinking;
  inputs.add_generation_prompt = true;
  inputs.bos_token = state.bos_text;
  inputs.eos_token = state.eos_text;
  auto text = state.chat->render(chat::make_context(inputs));
  if (!text.ok()) {
    if (chat::is_template_exception(text.status())) return text.status();
    if (text.status().code() == error_code::out_of_range) {
      return out_of_range("the chat template hit a limit: " + text.status().message());
    }
    return internal_error("the chat template failed: " + text.status().message());
  }
  return text;
}

std::vector<int32_t> tokenize_prompt(const tokenizer::Tokenizer& tok, const std::string& text) {
  std::vector<int32_t> ids = tok.encode(text, /*add_special=*/true, /*parse_special=*/true);
  const int32_t bos = tok.bos_id();
  if (bos >= 0 && ids.size() >= 2 && ids[0] == bos && ids[1] == bos) ids.erase(ids.begin());
  return ids;
}

}  // namespace plexus::server

#include "server/chat_prompt.h"

namespace plexus::server {

const char* const kChatmlTemplate =
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}";

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

Status load_chat_template(LoadedState& state) {
  const auto& tok = *state.model->tokenizer;
  state.bos_text = token_text_or_empty(tok, tok.bos_id());
  state.eos_text = token_text_or_empty(tok, tok.eos_id());
  auto source = state.model->file->get_string("tokenizer.chat_template");
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

Result<std::string> render_chat_prompt(const LoadedState& state, const nlohmann::ordered_json& messages) {
  if (!state.chat) return internal_error("model '" + state.id + "' has no chat template");
  chat::chat_inputs inputs;
  inputs.messages = messages;
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

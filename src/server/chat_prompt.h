// From API messages to prompt tokens: the model's chat template (tokenizer.chat_template in the
// GGUF, rendered by plexus_chat), ChatML when the file has none or it does not parse, and the
// tokenization rules for templated and raw prompts.
// Thread-safe: pure functions over immutable model state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chat/tool_calls.h"
#include "core/status.h"
#include "server/model_manager.h"
#include "tokenizer/tokenizer.h"

namespace plexus::server {

// The fallback template: ChatML (<|im_start|>role\ncontent<|im_end|>\n ... <|im_start|>assistant\n),
// with tools rendered Hermes-style (a system block listing them, calls in <tool_call> tags, tool
// results as <tool_response> user turns).
extern const char* const kChatmlTemplate;

struct PromptExtras {
  nlohmann::ordered_json tools = nullptr;  // the template's `tools` (null: none)
  std::optional<bool> enable_thinking;     // passed as `enable_thinking` when set
};

// Sets state.chat / chat_source / chat_is_fallback / bos_text / eos_text from the GGUF. Returns
// an error (and installs ChatML) when the file's template does not parse; ok when it has none.
// `override_source` (serve --chat-template-file), when not empty, replaces the file's template.
Status load_chat_template(LoadedState& state, std::string_view override_source = {});

// Renders [{role, content, ...}] with add_generation_prompt. invalid_argument carries the
// template's raise_exception message (e.g. "roles must alternate"), shown to the client. For
// Mistral tool-call formats, tool-call ids in the history are mapped to the 9 alphanumerics
// those templates require (the same id always maps to the same value).
Result<std::string> render_chat_prompt(const LoadedState& state, const nlohmann::ordered_json& messages,
                                       const PromptExtras& extras = {});

// The tool-call format of the model's template (chat::detect_tool_call_format; hermes for the
// fallback).
chat::tool_call_format tool_format(const LoadedState& state);

// Tokenizes a prompt with the vocabulary's BOS/EOS rules and special-token parsing. A templated
// prompt that already starts with the BOS text does not get a second BOS.
std::vector<int32_t> tokenize_prompt(const tokenizer::Tokenizer& tok, const std::string& text);

}  // namespace plexus::server

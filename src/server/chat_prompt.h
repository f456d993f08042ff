// From API messages to prompt tokens: the model's chat template (tokenizer.chat_template in the
// GGUF, rendered by plexus_chat), ChatML when the file has none or it does not parse, and the
// tokenization rules for templated and raw prompts.
// Thread-safe: pure functions over immutable model state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "server/model_manager.h"
#include "tokenizer/tokenizer.h"

namespace plexus::server {

// The fallback template (ChatML: <|im_start|>role\ncontent<|im_end|>\n ... <|im_start|>assistant\n).
extern const char* const kChatmlTemplate;

// Sets state.chat / chat_source / chat_is_fallback / bos_text / eos_text from the GGUF. Returns
// an error (and installs ChatML) when the file's template does not parse; ok when it has none.
Status load_chat_template(LoadedState& state);

// Renders [{role, content}] with add_generation_prompt. invalid_argument carries the template's
// raise_exception message (e.g. "roles must alternate"), shown to the client.
Result<std::string> render_chat_prompt(const LoadedState& state, const nlohmann::ordered_json& messages);

// Tokenizes a prompt with the vocabulary's BOS/EOS rules and special-token parsing. A templated
// prompt that already starts with the BOS text does not get a second BOS.
std::vector<int32_t> tokenize_prompt(const tokenizer::Tokenizer& tok, const std::string& text);

}  // namespace plexus::server

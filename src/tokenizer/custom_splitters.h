// llama.cpp's hand-written splitters for the GPT-2 and Llama-3 pre-tokenizer patterns.
// Thread-safe: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace plexus::tokenizer {

enum class custom_split { gpt2, llama3 };

// Re-splits each chunk (lengths in code points, summing to cpts.size()) and returns the new
// chunk lengths.
std::vector<size_t> split_custom(custom_split which, const std::vector<uint32_t>& cpts,
                                 const std::vector<size_t>& offsets);

}  // namespace plexus::tokenizer

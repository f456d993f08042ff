// The seed corpus of the fuzz_gguf target (tests/fuzz/corpus/gguf/), generated with GgufWriter:
// small valid images that between them reach every section and value type of the format.
// plexus_gguf_test checks that the committed files equal these and still open; with
// PLEXUS_UPDATE_SEEDS=1 it rewrites them.
// Thread-safe: pure function.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace plexus::gguf::fuzz {

// (file name, image) pairs, each image a few KB at most.
std::vector<std::pair<std::string, std::vector<uint8_t>>> gguf_seed_files();

}  // namespace plexus::gguf::fuzz

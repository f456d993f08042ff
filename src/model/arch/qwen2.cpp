// Qwen2 / Qwen2.5: the Llama layout plus biases on the Q, K and V projections, and NEOX-style
// rope (rotating dimension i with i + n_rot/2).
#include "model/arch/arches.h"
#include "model/decoder.h"

namespace plexus::model::arch {

Result<std::unique_ptr<Model>> build_qwen2(const gguf::GgufFile& file) {
  ModelConfig config;
  config.arch = "qwen2";
  PLEXUS_RETURN_IF_ERROR(read_decoder_config(file, config));
  PLEXUS_ASSIGN_OR_RETURN(DecoderWeights weights, load_decoder_weights(file, config, /*with_qkv_bias=*/true));
  weights.rope = kernels::rope_style::neox;
  return std::unique_ptr<Model>(new DecoderModel(std::move(config), std::move(weights)));
}

}  // namespace plexus::model::arch

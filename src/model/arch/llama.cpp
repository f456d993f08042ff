// Llama 2/3/3.1/3.2 and the families that share its GGUF layout (Mistral, TinyLlama, SmolLM,
// CodeLlama): no biases, NORM-style rope (adjacent pairs), optional rope_freqs (Llama 3.1
// scaling), optional output.weight (tied embeddings when absent).
#include "model/arch/arches.h"
#include "model/decoder.h"

namespace plexus::model::arch {

Result<std::unique_ptr<Model>> build_llama(const gguf::GgufFile& file) {
  ModelConfig config;
  config.arch = "llama";
  PLEXUS_RETURN_IF_ERROR(read_decoder_config(file, config));
  PLEXUS_ASSIGN_OR_RETURN(DecoderWeights weights, load_decoder_weights(file, config, /*with_qkv_bias=*/false));
  weights.rope = kernels::rope_style::norm;
  return std::unique_ptr<Model>(new DecoderModel(std::move(config), std::move(weights)));
}

}  // namespace plexus::model::arch

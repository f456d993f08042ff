// Reference element-wise and row ops. Precision choices copy ggml's CPU ops (named per function)
// so that results match the reference engine to float rounding.
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "kernels/ref/ref_ops.h"

namespace plexus::kernels::ref {
namespace {

[[noreturn]] void bad_argument(const char* function, const char* what) {
  std::fprintf(stderr, "plexus::kernels::%s: %s\n", function, what);
  std::abort();
}

constexpr float kSqrt2OverPi = 0.79788456080286535587989211986876f;
constexpr float kGeluCoefA = 0.044715f;

}  // namespace

// ggml_compute_forward_rms_norm_f32: sum of squares in double (each square rounded in float),
// mean and scale in float; the gain is a separate float multiply (ggml_mul).
void rms_norm(const float* x, const float* gain, float* y, int64_t n, float eps) {
  if (n <= 0) return;
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  const auto mean = static_cast<float>(sum / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(mean + eps);
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale;
  if (gain != nullptr) {
    for (int64_t i = 0; i < n; ++i) y[i] *= gain[i];
  }
}

// ggml_compute_forward_norm_f32: mean in double, centered values in float, biased variance from
// double sums of the float squares; gain and bias as separate float ops.
void layer_norm(const float* x, const float* gain, const float* bias, float* y, int64_t n, float eps) {
  if (n <= 0) return;
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]);
  const auto mean = static_cast<float>(sum / static_cast<double>(n));
  double sum2 = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i] - mean;
    y[i] = v;
    sum2 += static_cast<double>(v * v);
  }
  const auto variance = static_cast<float>(sum2 / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(variance + eps);
  for (int64_t i = 0; i < n; ++i) y[i] *= scale;
  if (gain != nullptr) {
    for (int64_t i = 0; i < n; ++i) y[i] *= gain[i];
  }
  if (bias != nullptr) {
    for (int64_t i = 0; i < n; ++i) y[i] += bias[i];
  }
}

// ggml_compute_forward_rope_f32 without YaRN (ext_factor 0, freq_scale 1, attn_factor 1): the
// angle of pair i is built by repeated float multiplication, theta_0 = pos and
// theta_{i+1} = theta_i * base^(-2/n_rot) (powf), divided by freq_factors[i] when given; cos and
// sin are float (cosf/sinf). norm rotates (x[2i], x[2i+1]); neox rotates (x[i], x[i + n_rot/2]).
// Dimensions from n_rot to head_dim are left as they are.
void rope(float* x, int64_t n_heads, int64_t head_dim, int64_t n_rot, int64_t pos, float freq_base,
          const float* freq_factors, rope_style style) {
  if (n_rot < 0 || n_rot > head_dim || n_rot % 2 != 0) bad_argument("rope", "n_rot must be even and <= head_dim");
  if (n_heads <= 0 || n_rot == 0) return;
  const int64_t n_pairs = n_rot / 2;
  // cos/sin per pair, computed once for all heads. Heads are small (<= a few hundred dims).
  constexpr int64_t kMaxPairs = 1024;
  if (n_pairs > kMaxPairs) bad_argument("rope", "n_rot exceeds 2048");
  float cos_theta[kMaxPairs];
  float sin_theta[kMaxPairs];
  const float theta_scale = std::pow(freq_base, -2.0f / static_cast<float>(n_rot));
  float theta = static_cast<float>(pos);
  for (int64_t i = 0; i < n_pairs; ++i) {
    const float ff = freq_factors != nullptr ? freq_factors[i] : 1.0f;
    const float t = theta / ff;
    cos_theta[i] = std::cos(t);
    sin_theta[i] = std::sin(t);
    theta *= theta_scale;
  }
  for (int64_t h = 0; h < n_heads; ++h) {
    float* v = x + h * head_dim;
    for (int64_t i = 0; i < n_pairs; ++i) {
      float* a = style == rope_style::norm ? v + 2 * i : v + i;
      float* b = style == rope_style::norm ? v + 2 * i + 1 : v + i + n_pairs;
      const float x0 = *a;
      const float x1 = *b;
      *a = x0 * cos_theta[i] - x1 * sin_theta[i];
      *b = x0 * sin_theta[i] + x1 * cos_theta[i];
    }
  }
}

// ggml_compute_forward_soft_max_f32 (no mask, scale 1): subtract the max, expf in float, sum in
// double, multiply by the float of 1/sum. A row of all -inf gives NaN, as in ggml.
void softmax(float* x, int64_t n) {
  if (n <= 0) return;
  float max = -INFINITY;
  for (int64_t i = 0; i < n; ++i) max = std::fmax(max, x[i]);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float v = std::exp(x[i] - max);
    sum += static_cast<double>(v);
    x[i] = v;
  }
  const auto inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

// ggml_vec_swiglu_f32: silu(g) = g / (1 + expf(-g)), times up.
void silu_mul(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

// ggml_gelu_f32 (tanh approximation), evaluated exactly in float. ggml's CPU backend looks the
// value up in an fp16 table instead (input rounded to fp16); the difference stays below the
// fp16 step of the input, far inside the embedding goldens' tolerance.
void gelu(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    x[i] = 0.5f * v * (1.0f + std::tanh(kSqrt2OverPi * v * (1.0f + kGeluCoefA * v * v)));
  }
}

void add(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

}  // namespace plexus::kernels::ref

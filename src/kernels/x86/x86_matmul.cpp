// The x86 matmul driver (baseline x86-64 code: threads and scratch memory; the vector work is in
// the per-ISA kernels it calls through isa_kernels).
//
// 1. Each token row of x is converted to the weight type's vec-dot type (byte-identical with the
//    reference), and for the gemm path also packed into an activation panel.
// 2. Small batches (decode): rows are split into chunks of ~256 KiB; each worker takes its own run in order
//    (ThreadPool::parallel_chunks: a worker slowed by the machine takes fewer), and each weight
//    row is streamed once, dotted with every token while it sits in L1 (types with a row panel
//    get their activations repacked for that first; types with row_dots unpack each row once for
//    up to 8 tokens).
// 3. Larger batches (prompt chunks): rows are split into blocks of up to kMaxBlockRows, taken in
//    turn by the workers; a worker packs a block's rows into its own panel (kept in L2) and runs
//    the gemm tiles over all tokens.
// Per output the sequence of operations is fixed by the type and the path (row_dot or gemm), never
// by the thread count or block boundaries, so results do not depend on the pool size.
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "kernels/interleave.h"
#include "kernels/ref/ref_ops.h"
#include "kernels/x86/x86_tables.h"
#include "tensor/quant.h"
#include "tensor/type_ops.h"

namespace plexus::kernels::x86 {
namespace {

constexpr int64_t kMaxBlockRows = 32;  // 32 packed rows of k = 5632: ~400 KB, within L2
constexpr int64_t kBlockAlign = 4;     // a multiple of every tile's row count

// A 64-byte aligned region of at least `bytes` in buf (grows; never shrinks).
uint8_t* aligned_scratch(std::vector<uint8_t>& buf, uint64_t bytes) {
  if (buf.size() < bytes + 64) buf.resize(static_cast<size_t>(bytes + 64));
  const auto addr = reinterpret_cast<uintptr_t>(buf.data());
  return buf.data() + (64 - addr % 64) % 64;
}

// Rows per gemm block: at most kMaxBlockRows, small enough that every worker gets about four blocks.
int64_t block_rows(int64_t rows, int threads) {
  const int64_t per = (rows + 4 * threads - 1) / (4 * threads);
  const int64_t aligned = (per + kBlockAlign - 1) / kBlockAlign * kBlockAlign;
  return aligned < kBlockAlign ? kBlockAlign : (aligned > kMaxBlockRows ? kMaxBlockRows : aligned);
}

// Rows per chunk of the row-dot paths (ThreadPool::parallel_chunks: a run per worker, shared out):
// about 256 KiB of weights (the fixed cost of taking a chunk stays below 1%), and at least 4
// chunks per worker so that a worker slowed by the machine hands rows to the others.
int64_t row_chunk(int64_t rows, uint64_t row_bytes, int threads) {
  constexpr uint64_t kChunkBytes = 256u << 10;
  const int64_t by_bytes = static_cast<int64_t>(kChunkBytes / (row_bytes > 0 ? row_bytes : 1));
  const int64_t by_count = (rows + 4 * threads - 1) / (4 * threads);
  const int64_t chunk = by_bytes < by_count ? by_bytes : by_count;
  return chunk < 1 ? 1 : chunk;
}

[[noreturn]] void bad_matrix(const MatrixView& w, const char* what) {
  std::fprintf(stderr, "plexus::kernels::matmul: matrix of type %s [%lld x %lld], stride %llu: %s\n", tensor_type_name(w.type),
               static_cast<long long>(w.rows), static_cast<long long>(w.cols), static_cast<unsigned long long>(w.row_stride), what);
  std::abort();
}

// The invariants the model loader established, checked as ref::matmul does (same messages): a
// broken one is a bug, not bad input.
void check_matrix(const MatrixView& w) {
  if (w.rows < 0 || w.cols < 0) bad_matrix(w, "negative shape");
  const auto bytes = row_bytes(w.type, static_cast<uint64_t>(w.cols));
  if (!bytes) bad_matrix(w, "cols is not a whole number of blocks");
  if (w.rows > 1 && w.row_stride < *bytes) bad_matrix(w, "row_stride is shorter than a row");
  if (w.layout == matrix_layout::rows16 && !rows16_shape_fits(w)) {
    bad_matrix(w, "not a valid rows16 matrix (type without the layout, rows not a multiple of 16, or padded rows)");
  }
  const uint32_t align = tensor::required_alignment(w.type);
  if (reinterpret_cast<uintptr_t>(w.data) % align != 0 || (w.rows > 1 && w.row_stride % align != 0)) {
    bad_matrix(w, "data is not aligned for its type");
  }
}

[[noreturn]] void bad_activation(const MatrixView& w) {
  std::fprintf(stderr, "plexus::kernels::matmul: matrix of type %s [%lld x %lld]: cols is not a whole number of %s blocks\n",
               tensor_type_name(w.type), static_cast<long long>(w.rows), static_cast<long long>(w.cols),
               tensor_type_name(tensor::vec_dot_type(w.type)));
  std::abort();
}

}  // namespace

namespace {

const type_kernels* kernels_for(const isa_kernels& set, tensor_type type) {
  const auto id = static_cast<uint32_t>(type);
  const type_kernels* tk = id < static_cast<uint32_t>(kTypeSlots) ? &set.types[id] : nullptr;
  return tk != nullptr && tk->row_dot != nullptr ? tk : nullptr;
}

// The n_tokens rows of x converted for w's kernels: to the vec-dot type, then (when the path has
// one) packed into the gemm or row-dot panel layout. a_t starts at a + t * stride.
struct Activations {
  const uint8_t* a;
  uint64_t stride;
};

// pack/panel_bytes: the path's activation panel (both null: the converted rows themselves).
Activations prepare_activations(const isa_kernels& set, pack_fn pack, panel_bytes_fn panel_bytes_of, const MatrixView& w,
                                const float* x, int64_t n_tokens, ThreadPool& pool) {
  const int64_t cols = w.cols;
  const tensor_type act_type = tensor::vec_dot_type(w.type);
  uint64_t act_bytes = static_cast<uint64_t>(cols) * sizeof(float);  // f32: x itself
  const uint8_t* acts = reinterpret_cast<const uint8_t*>(x);
  quantize_fn quantize = nullptr;
  if (act_type != tensor_type::f32) {
    const auto bytes = row_bytes(act_type, static_cast<uint64_t>(cols));
    if (!bytes) bad_activation(w);
    act_bytes = *bytes;
    quantize = set.quantize[static_cast<uint32_t>(act_type)];
    if (quantize == nullptr) quantize = tensor::find_type_ops(act_type)->quantize;
  }
  const uint64_t panel_bytes = pack == nullptr ? 0 : panel_bytes_of(cols);
  thread_local std::vector<uint8_t> act_scratch;  // grows to the largest batch seen; reused after
  thread_local std::vector<uint8_t> panel_scratch;
  uint8_t* converted = quantize != nullptr ? aligned_scratch(act_scratch, act_bytes * static_cast<uint64_t>(n_tokens)) : nullptr;
  uint8_t* panel = panel_bytes != 0 ? aligned_scratch(panel_scratch, panel_bytes * static_cast<uint64_t>(n_tokens)) : nullptr;
  if (converted != nullptr) acts = converted;
  const auto convert = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const uint64_t ut = static_cast<uint64_t>(t);
      if (quantize != nullptr) quantize(x + t * cols, converted + ut * act_bytes, cols);
      if (panel != nullptr) pack(acts + ut * act_bytes, cols, panel + ut * panel_bytes);
    }
  };
  if (n_tokens == 1) {
    convert(0, 1);
  } else if (quantize != nullptr || panel != nullptr) {
    pool.parallel_for(n_tokens, convert);
  }
  return panel != nullptr ? Activations{panel, panel_bytes} : Activations{acts, act_bytes};
}

// Rows [r0, r1) of w against every token on the row-dot paths; y is [n_tokens][w.rows].
void row_dot_range(const type_kernels& tk, const MatrixView& w, int64_t r0, int64_t r1, Activations act, int64_t n_tokens,
                   float* y) {
  const int64_t rows = w.rows, cols = w.cols;
  if (tk.row_dots != nullptr && n_tokens > 1) {
    for (int64_t r = r0; r < r1; ++r) tk.row_dots(cols, w.data + static_cast<uint64_t>(r) * w.row_stride, act.a, act.stride, n_tokens, y + r, rows);
    return;
  }
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* wrow = w.data + static_cast<uint64_t>(r) * w.row_stride;
    for (int64_t t = 0; t < n_tokens; ++t) y[t * rows + r] = tk.row_dot(cols, wrow, act.a + static_cast<uint64_t>(t) * act.stride);
  }
}

bool uses_gemm(const type_kernels& tk, int64_t n_tokens) { return tk.gemm != nullptr && n_tokens >= tk.gemm_min_tokens; }

Activations prepare_for_path(const isa_kernels& set, const type_kernels& tk, const MatrixView& w, const float* x, int64_t n_tokens,
                             bool use_gemm, ThreadPool& pool) {
  return use_gemm ? prepare_activations(set, tk.pack_acts, tk.act_panel_bytes, w, x, n_tokens, pool)
                  : prepare_activations(set, tk.pack_row_acts, tk.row_act_bytes, w, x, n_tokens, pool);
}

// Tokens per pass over a chunk of groups: their activation panels (~150 KB at k = 2048) stay in
// L2 while the chunk's groups (~256 KiB, also in L2) are dotted with them.
constexpr int64_t kRows16TokenBlock = 64;

// Groups [g0, g1) of rows16 matrix w against n_tok tokens whose panels start at a (stride
// a_stride); y is [n_tok][w.rows] at y_rows, the output of the first token.
void rows16_group_range(const type_kernels& tk, const MatrixView& w, int64_t g0, int64_t g1, const uint8_t* a,
                        uint64_t a_stride, int64_t n_tok, float* y_rows) {
  const uint64_t group_bytes = static_cast<uint64_t>(kRowsPerGroup) * w.row_stride;
  for (int64_t g = g0; g < g1; ++g) {
    tk.rows16_dots(w.cols, w.data + static_cast<uint64_t>(g) * group_bytes, a, a_stride, n_tok, y_rows + g * kRowsPerGroup, w.rows);
  }
}

// A rows16 matrix: chunks of groups (~256 KiB), a contiguous run per worker (parallel_chunks);
// each group is dotted with every token (the kernel takes them in its own tiles), so every weight
// is read from memory once.
void matmul_rows16(const isa_kernels& set, const type_kernels& tk, const MatrixView& w, const float* x, int64_t n_tokens,
                   float* y, ThreadPool& pool) {
  const Activations act = prepare_activations(set, tk.pack_rows16_acts, tk.rows16_act_bytes, w, x, n_tokens, pool);
  const int64_t groups = w.rows / kRowsPerGroup;
  pool.parallel_chunks(groups, row_chunk(groups, static_cast<uint64_t>(kRowsPerGroup) * w.row_stride, pool.size()),
                       [&](int64_t g0, int64_t g1) {
                         for (int64_t t0 = 0; t0 < n_tokens; t0 += kRows16TokenBlock) {
                           const int64_t nt = n_tokens - t0 < kRows16TokenBlock ? n_tokens - t0 : kRows16TokenBlock;
                           rows16_group_range(tk, w, g0, g1, act.a + static_cast<uint64_t>(t0) * act.stride, act.stride, nt,
                                              y + t0 * w.rows);
                         }
                       });
}

}  // namespace

void matmul(const isa_kernels& set, const MatrixView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  check_matrix(w);
  if (w.rows == 0 || n_tokens <= 0) return;
  const type_kernels* tk = kernels_for(set, w.type);
  if (tk == nullptr) {
    ref::matmul(w, x, n_tokens, y, pool);
    return;
  }
  if (w.layout == matrix_layout::rows16) {
    if (tk->rows16_dots == nullptr) {
      ref::matmul(w, x, n_tokens, y, pool);
    } else {
      matmul_rows16(set, *tk, w, x, n_tokens, y, pool);
    }
    return;
  }
  const int64_t rows = w.rows;
  const int64_t cols = w.cols;
  const bool use_gemm = uses_gemm(*tk, n_tokens);
  const Activations act = prepare_for_path(set, *tk, w, x, n_tokens, use_gemm, pool);
  if (!use_gemm) {
    pool.parallel_chunks(rows, row_chunk(rows, w.row_stride, pool.size()),
                         [&](int64_t r0, int64_t r1) { row_dot_range(*tk, w, r0, r1, act, n_tokens, y); });
    return;
  }

  const uint64_t wp_bytes = tk->pack_weights != nullptr ? tk->weight_panel_bytes(cols) : 0;
  const int64_t block = block_rows(rows, pool.size());
  const int64_t n_blocks = (rows + block - 1) / block;
  pool.parallel_chunks(n_blocks, 1, [&](int64_t b0, int64_t b1) {
    thread_local std::vector<uint8_t> weight_scratch;  // one block's panel per worker
    uint8_t* wpanel = wp_bytes != 0 ? aligned_scratch(weight_scratch, wp_bytes * static_cast<uint64_t>(block)) : nullptr;
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t r0 = b * block;
      const int64_t nr = rows - r0 < block ? rows - r0 : block;
      const uint8_t* src = w.data + static_cast<uint64_t>(r0) * w.row_stride;
      uint64_t stride = w.row_stride;
      if (wpanel != nullptr) {
        for (int64_t r = 0; r < nr; ++r) tk->pack_weights(src + static_cast<uint64_t>(r) * w.row_stride, cols, wpanel + static_cast<uint64_t>(r) * wp_bytes);
        src = wpanel;
        stride = wp_bytes;
      }
      tk->gemm(src, stride, nr, act.a, act.stride, n_tokens, cols, y + r0, rows);
    }
  });
}

namespace {

// The activation layout a single-token matmul of w uses: its pack function and panel size (both
// null: the converted rows themselves).
struct SingleTokenPath {
  matrix_layout layout;
  pack_fn pack;
  panel_bytes_fn panel_bytes;
};
SingleTokenPath single_token_path(const type_kernels& tk, const MatrixView& w) {
  if (w.layout == matrix_layout::rows16) return {w.layout, tk.pack_rows16_acts, tk.rows16_act_bytes};
  return {w.layout, tk.pack_row_acts, tk.row_act_bytes};
}

// Whether ws[0..count) can share one activation panel and one dispatch for a single token: every
// matrix has kernels on a row-dot or rows16 path, and all take the same columns, vec-dot type,
// layout and activation packing.
bool fusable_single_token(const isa_kernels& set, const MatrixView* ws, int count) {
  const type_kernels* first = kernels_for(set, ws[0].type);
  if (count < 2 || first == nullptr) return false;
  const SingleTokenPath path = single_token_path(*first, ws[0]);
  for (int i = 0; i < count; ++i) {
    check_matrix(ws[i]);
    const type_kernels* tk = kernels_for(set, ws[i].type);
    if (tk == nullptr || ws[i].cols != ws[0].cols || tensor::vec_dot_type(ws[i].type) != tensor::vec_dot_type(ws[0].type)) return false;
    if (ws[i].layout == matrix_layout::rows16 ? tk->rows16_dots == nullptr : uses_gemm(*tk, 1)) return false;
    const SingleTokenPath p = single_token_path(*tk, ws[i]);
    if (p.layout != path.layout || p.pack != path.pack) return false;
    if (p.pack != nullptr && p.panel_bytes(ws[0].cols) != path.panel_bytes(ws[0].cols)) return false;
  }
  return true;
}

}  // namespace

void matmul_many(const isa_kernels& set, const MatrixView* ws, float* const* ys, int count, const float* x, int64_t n_tokens,
                 ThreadPool& pool) {
  if (count <= 0 || n_tokens <= 0) return;
  // One dispatch for a single token when every matrix takes the same single-token path: a lone
  // stream's Q/K/V or gate/up (tg +2-3%, A/B). Batched steps run each matrix as its own matmul:
  // fused, the server at 8 clients measured 141-143 tok/s against 151-155 (A/B, twice each),
  // although the bare 8-token step was slightly faster; prompt chunks (gemm path) likewise.
  if (n_tokens != 1 || !fusable_single_token(set, ws, count)) {
    for (int i = 0; i < count; ++i) matmul(set, ws[i], x, n_tokens, ys[i], pool);
    return;
  }
  const type_kernels& first = *kernels_for(set, ws[0].type);
  const SingleTokenPath path = single_token_path(first, ws[0]);
  const bool rows16 = path.layout == matrix_layout::rows16;
  const Activations act = prepare_activations(set, path.pack, path.panel_bytes, ws[0], x, 1, pool);
  // A chunk is rows [r0, r1) of one matrix; on the rows16 path, whole groups.
  struct RowChunk {
    int matrix;
    const type_kernels* tk;
    int64_t r0, r1;
  };
  thread_local std::vector<RowChunk> chunk_list;
  // A named reference: inside the lambda, running on other workers, `chunk_list` itself would
  // name each worker's own (empty) thread_local vector.
  std::vector<RowChunk>& chunks = chunk_list;
  chunks.clear();
  for (int i = 0; i < count; ++i) {
    const type_kernels* tk = kernels_for(set, ws[i].type);
    const int64_t unit = rows16 ? kRowsPerGroup : 1;
    const int64_t units = ws[i].rows / unit;
    const int64_t chunk = unit * row_chunk(units, static_cast<uint64_t>(unit) * ws[i].row_stride, pool.size());
    for (int64_t r0 = 0; r0 < ws[i].rows; r0 += chunk) chunks.push_back({i, tk, r0, r0 + chunk < ws[i].rows ? r0 + chunk : ws[i].rows});
  }
  pool.parallel_chunks(static_cast<int64_t>(chunks.size()), 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const RowChunk& rc = chunks[static_cast<size_t>(c)];
      const MatrixView& w = ws[rc.matrix];
      if (!rows16) {
        row_dot_range(*rc.tk, w, rc.r0, rc.r1, act, 1, ys[rc.matrix]);
        continue;
      }
      rows16_group_range(*rc.tk, w, rc.r0 / kRowsPerGroup, rc.r1 / kRowsPerGroup, act.a, act.stride, 1, ys[rc.matrix]);
    }
  });
}

}  // namespace plexus::kernels::x86

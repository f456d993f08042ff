#include "kernels/interleave.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <vector>

namespace plexus::kernels {
namespace {

using tensor::block_q4_k;
using tensor::block_q6_k;
using tensor::qk_k;

// Q4_K (or Q5_K) element e (0..255) of a super-block: chunk e / 64 of 32 bytes, low nibbles first.
template <class Block>
void q4_k_set(Block& b, int e, int q) {
  const int j = e / 64, w = e % 64;
  uint8_t& byte = b.qs[32 * j + (w % 32)];
  byte = w < 32 ? static_cast<uint8_t>((byte & 0xf0) | q) : static_cast<uint8_t>((byte & 0x0f) | (q << 4));
}
// The 12-byte packing of eight 6-bit scales and mins (ggml's get_scale_min_k4 and its inverse).
void q4_k_scales(const uint8_t* p, uint8_t sc[8], uint8_t m[8]) {
  for (int j = 0; j < 4; ++j) {
    sc[j] = p[j] & 63;
    m[j] = p[j + 4] & 63;
    sc[j + 4] = static_cast<uint8_t>((p[j + 8] & 0x0f) | ((p[j] >> 6) << 4));
    m[j + 4] = static_cast<uint8_t>((p[j + 8] >> 4) | ((p[j + 4] >> 6) << 4));
  }
}
void q4_k_pack_scales(const uint8_t sc[8], const uint8_t m[8], uint8_t* p) {
  for (int j = 0; j < 4; ++j) {
    p[j] = static_cast<uint8_t>(sc[j] | ((sc[j + 4] >> 4) << 6));
    p[j + 4] = static_cast<uint8_t>(m[j] | ((m[j + 4] >> 4) << 6));
    p[j + 8] = static_cast<uint8_t>((sc[j + 4] & 0x0f) | ((m[j + 4] & 0x0f) << 4));
  }
}

// Q6_K element e: half h = e / 128, position l = e % 32 and quarter c = (e % 128) / 32 within it.
void q6_k_set(block_q6_k& b, int e, int q) {
  const int h = e / 128, c = (e % 128) / 32, l = e % 32;
  uint8_t& lo = b.ql[64 * h + 32 * (c % 2) + l];
  lo = c < 2 ? static_cast<uint8_t>((lo & 0xf0) | (q & 0x0f)) : static_cast<uint8_t>((lo & 0x0f) | ((q & 0x0f) << 4));
  uint8_t& hi = b.qh[32 * h + l];
  hi = static_cast<uint8_t>((hi & ~(3 << (2 * c))) | (((q >> 4) & 3) << (2 * c)));
}

uint64_t load_u64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
void store_u32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, sizeof(v)); }
// 8 nibbles (the low ones, or the high ones when `high`) of src[0..7] -> 4 bytes: byte k holds
// nibble k low and nibble 4 + k high.
uint32_t pack_nibble_pairs(const uint8_t* src, bool high) {
  const uint64_t v = (high ? load_u64(src) >> 4 : load_u64(src)) & 0x0f0f0f0f0f0f0f0fULL;
  return static_cast<uint32_t>(v) | (static_cast<uint32_t>(v >> 32) << 4);
}

// The nibble runs of sub-block j of a Q4_K or Q5_K group.
uint8_t (&nibble_runs(block_q4_k_x16& g, int j))[4][64] { return g.qs[j]; }
uint8_t (&nibble_runs(block_q5_k_x16& g, int j))[4][64] { return g.q[j].qs; }
const uint8_t (&nibble_runs(const block_q4_k_x16& g, int j))[4][64] { return g.qs[j]; }
const uint8_t (&nibble_runs(const block_q5_k_x16& g, int j))[4][64] { return g.q[j].qs; }

// Q4_K and Q5_K share the header and the nibble runs; Q5_K's fifth bit of element e is bit e / 32
// of qh[e % 32] in the row block, bit k of group byte q[e / 32].qh[4 r + b] for e % 32 = 4 k + b.
template <class Block, class Group>
void interleave_q45_k(const Block* const row[16], Group& g) {
  std::memset(&g, 0, sizeof(g));
  for (int r = 0; r < 16; ++r) {
    const Block& b = *row[r];
    g.d[r] = b.d;
    g.dmin[r] = b.dmin;
    uint8_t sc[8], m[8];
    q4_k_scales(b.scales, sc, m);
    for (int j = 0; j < 8; ++j) {
      g.sc_lo[j % 4][r] |= static_cast<uint8_t>((sc[j] & 0x0f) << (4 * (j / 4)));
      g.sc_hi[j / 4][r] |= static_cast<uint8_t>((sc[j] >> 4) << (2 * (j % 4)));
      g.m_lo[j % 4][r] |= static_cast<uint8_t>((m[j] & 0x0f) << (4 * (j / 4)));
      g.m_hi[j / 4][r] |= static_cast<uint8_t>((m[j] >> 4) << (2 * (j % 4)));
    }
    // Element 32 j + 8 p + k lies in byte 32 (j / 2) + 8 p + k, low nibble for even j.
    for (int j = 0; j < 8; ++j) {
      for (int p = 0; p < 4; ++p) store_u32(&nibble_runs(g, j)[p][4 * r], pack_nibble_pairs(b.qs + 32 * (j / 2) + 8 * p, j % 2 == 1));
    }
    if constexpr (std::is_same_v<Group, block_q5_k_x16>) {
      for (int j = 0; j < 8; ++j) {
        for (int l = 0; l < 32; ++l) g.q[j].qh[4 * r + l % 4] |= static_cast<uint8_t>(((b.qh[l] >> j) & 1) << (l / 4));
      }
    }
  }
}

template <class Block, class Group>
void deinterleave_q45_k(const Group& g, Block* const row[16]) {
  for (int r = 0; r < 16; ++r) {
    Block& b = *row[r];
    b.d = g.d[r];
    b.dmin = g.dmin[r];
    uint8_t sc[8], m[8];
    for (int j = 0; j < 8; ++j) {
      sc[j] = static_cast<uint8_t>(((g.sc_lo[j % 4][r] >> (4 * (j / 4))) & 0x0f) | (((g.sc_hi[j / 4][r] >> (2 * (j % 4))) & 3) << 4));
      m[j] = static_cast<uint8_t>(((g.m_lo[j % 4][r] >> (4 * (j / 4))) & 0x0f) | (((g.m_hi[j / 4][r] >> (2 * (j % 4))) & 3) << 4));
    }
    q4_k_pack_scales(sc, m, b.scales);
    for (int j = 0; j < 8; ++j) {
      for (int p = 0; p < 4; ++p) {
        for (int k = 0; k < 4; ++k) {
          const uint8_t byte = nibble_runs(g, j)[p][4 * r + k];
          q4_k_set(b, 32 * j + 8 * p + k, byte & 0x0f);
          q4_k_set(b, 32 * j + 8 * p + 4 + k, byte >> 4);
        }
      }
    }
    if constexpr (std::is_same_v<Group, block_q5_k_x16>) {
      std::memset(b.qh, 0, sizeof(b.qh));
      for (int j = 0; j < 8; ++j) {
        for (int l = 0; l < 32; ++l) b.qh[l] |= static_cast<uint8_t>(((g.q[j].qh[4 * r + l % 4] >> (l / 4)) & 1) << j);
      }
    }
  }
}

void interleave_q6_k(const block_q6_k* const row[16], block_q6_k_x16& g) {
  for (int r = 0; r < 16; ++r) {
    const block_q6_k& b = *row[r];
    g.d[r] = b.d;
    for (int j = 0; j < 16; ++j) {
      g.sc[j][r] = b.scales[j];
      // Elements 16 j .. 16 j + 15 share a half h and quarter c; their low nibbles lie in
      // ql[64 h + 32 (c % 2) + l] (high nibbles for c >= 2) and their top bits in qh[32 h + l] >> 2c,
      // with l = 16 (j % 2) + the element's offset.
      const int h = j / 8, c = (j % 8) / 2, l = 16 * (j % 2);
      for (int p = 0; p < 2; ++p) {
        store_u32(&g.q[j].ql[p][4 * r], pack_nibble_pairs(b.ql + 64 * h + 32 * (c % 2) + l + 8 * p, c >= 2));
      }
      uint32_t top[4];  // top[c'] byte k: the top two bits of element 16 j + 4 c' + k
      for (int cc = 0; cc < 4; ++cc) {
        uint32_t v;
        std::memcpy(&v, b.qh + 32 * h + l + 4 * cc, sizeof(v));
        top[cc] = (v >> (2 * c)) & 0x03030303u;
      }
      store_u32(&g.q[j].qh[4 * r], top[0] | (top[1] << 2) | (top[2] << 4) | (top[3] << 6));
    }
  }
}

void deinterleave_q6_k(const block_q6_k_x16& g, block_q6_k* const row[16]) {
  for (int r = 0; r < 16; ++r) {
    block_q6_k& b = *row[r];
    std::memset(&b, 0, sizeof(b));
    b.d = g.d[r];
    for (int j = 0; j < 16; ++j) {
      b.scales[j] = g.sc[j][r];
      for (int c = 0; c < 4; ++c) {
        for (int k = 0; k < 4; ++k) {
          const int e = 16 * j + 4 * c + k;
          const uint8_t lo_byte = g.q[j].ql[c / 2][4 * r + k];
          const int low = c % 2 == 0 ? lo_byte & 0x0f : lo_byte >> 4;
          q6_k_set(b, e, low | (((g.q[j].qh[4 * r + k] >> (2 * c)) & 3) << 4));
        }
      }
    }
  }
}

// Q2_K element e = 128 h + 32 c + l (l < 32): (qs[32 h + l] >> 2 c) & 3, in group j = e / 16.
void interleave_q2_k(const tensor::block_q2_k* const row[16], block_q2_k_x16& g) {
  std::memset(&g, 0, sizeof(g));
  for (int r = 0; r < 16; ++r) {
    const tensor::block_q2_k& b = *row[r];
    g.d[r] = b.d;
    g.dmin[r] = b.dmin;
    for (int j = 0; j < 16; ++j) g.sc[j][r] = b.scales[j];
    for (int e = 0; e < qk_k; ++e) {
      const int q = (b.qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
      g.q[e / 16][4 * r + e % 4] |= static_cast<uint8_t>(q << (2 * ((e % 16) / 4)));
    }
  }
}

void deinterleave_q2_k(const block_q2_k_x16& g, tensor::block_q2_k* const row[16]) {
  for (int r = 0; r < 16; ++r) {
    tensor::block_q2_k& b = *row[r];
    std::memset(&b, 0, sizeof(b));
    b.d = g.d[r];
    b.dmin = g.dmin[r];
    for (int j = 0; j < 16; ++j) b.scales[j] = g.sc[j][r];
    for (int e = 0; e < qk_k; ++e) {
      const int q = (g.q[e / 16][4 * r + e % 4] >> (2 * ((e % 16) / 4))) & 3;
      b.qs[32 * (e / 128) + e % 32] |= static_cast<uint8_t>(q << (2 * ((e % 128) / 32)));
    }
  }
}

// Q3_K element e = 128 h + 32 c + l (l < 32): low bits (qs[32 h + l] >> 2 c) & 3, high bit
// (hmask[l] >> (4 h + c)) & 1. Step s of a group is (h, c) = (s / 4, s % 4); within it, element l
// sits in ql[l / 16] byte 4 r + l % 4 at bits 2 ((l % 16) / 4), its high bit in qh byte 4 r + l % 4
// at bit l / 4.
void interleave_q3_k(const tensor::block_q3_k* const row[16], block_q3_k_x16& g) {
  std::memset(&g, 0, sizeof(g));
  for (int r = 0; r < 16; ++r) {
    const tensor::block_q3_k& b = *row[r];
    g.d[r] = b.d;
    for (int k = 0; k < 8; ++k) g.sc_lo[k][r] = b.scales[k];
    for (int k = 0; k < 4; ++k) g.sc_hi[k][r] = b.scales[8 + k];
    for (int s = 0; s < 8; ++s) {
      const int h = s / 4, c = s % 4;
      for (int l = 0; l < 32; ++l) {
        const int low = (b.qs[32 * h + l] >> (2 * c)) & 3, high = (b.hmask[l] >> (4 * h + c)) & 1;
        g.q[s].ql[l / 16][4 * r + l % 4] |= static_cast<uint8_t>(low << (2 * ((l % 16) / 4)));
        g.q[s].qh[4 * r + l % 4] |= static_cast<uint8_t>(high << (l / 4));
      }
    }
  }
}

void deinterleave_q3_k(const block_q3_k_x16& g, tensor::block_q3_k* const row[16]) {
  for (int r = 0; r < 16; ++r) {
    tensor::block_q3_k& b = *row[r];
    std::memset(&b, 0, sizeof(b));
    b.d = g.d[r];
    for (int k = 0; k < 8; ++k) b.scales[k] = g.sc_lo[k][r];
    for (int k = 0; k < 4; ++k) b.scales[8 + k] = g.sc_hi[k][r];
    for (int s = 0; s < 8; ++s) {
      const int h = s / 4, c = s % 4;
      for (int l = 0; l < 32; ++l) {
        const int low = (g.q[s].ql[l / 16][4 * r + l % 4] >> (2 * ((l % 16) / 4))) & 3;
        const int high = (g.q[s].qh[4 * r + l % 4] >> (l / 4)) & 1;
        b.qs[32 * h + l] |= static_cast<uint8_t>(low << (2 * c));
        b.hmask[l] |= static_cast<uint8_t>(high << (4 * h + c));
      }
    }
  }
}

// Q4_0 element e (0..31) of a block: byte e % 16, low nibble for e < 16.
int q4_0_get(const tensor::block_q4_0& b, int e) { return e < 16 ? b.qs[e] & 0x0f : b.qs[e - 16] >> 4; }

// row[r] points at the 8 blocks of row r that the group covers.
void interleave_q4_0(const tensor::block_q4_0* const row[16], block_q4_0_x16& g) {
  for (int r = 0; r < 16; ++r) {
    for (int blk = 0; blk < 8; ++blk) {
      const tensor::block_q4_0& b = row[r][blk];
      g.d[blk][r] = b.d;
      for (int p = 0; p < 4; ++p) {
        for (int k = 0; k < 4; ++k) {
          g.qs[blk][p][4 * r + k] = static_cast<uint8_t>(q4_0_get(b, 8 * p + k) | (q4_0_get(b, 8 * p + 4 + k) << 4));
        }
      }
    }
  }
}

void deinterleave_q4_0(const block_q4_0_x16& g, tensor::block_q4_0* const row[16]) {
  for (int r = 0; r < 16; ++r) {
    for (int blk = 0; blk < 8; ++blk) {
      tensor::block_q4_0& b = row[r][blk];
      b.d = g.d[blk][r];
      uint8_t q[32];
      for (int p = 0; p < 4; ++p) {
        for (int k = 0; k < 4; ++k) {
          const uint8_t byte = g.qs[blk][p][4 * r + k];
          q[8 * p + k] = byte & 0x0f;
          q[8 * p + 4 + k] = byte >> 4;
        }
      }
      for (int i = 0; i < 16; ++i) b.qs[i] = static_cast<uint8_t>(q[i] | (q[i + 16] << 4));
    }
  }
}

void interleave_q8_0(const tensor::block_q8_0* const row[16], block_q8_0_x16& g) {
  for (int r = 0; r < 16; ++r) {
    for (int blk = 0; blk < 8; ++blk) {
      g.d[blk][r] = row[r][blk].d;
      for (int k = 0; k < 8; ++k) std::memcpy(&g.qs[blk][k][4 * r], row[r][blk].qs + 4 * k, 4);
    }
  }
}

void deinterleave_q8_0(const block_q8_0_x16& g, tensor::block_q8_0* const row[16]) {
  for (int r = 0; r < 16; ++r) {
    for (int blk = 0; blk < 8; ++blk) {
      row[r][blk].d = g.d[blk][r];
      for (int k = 0; k < 8; ++k) std::memcpy(row[r][blk].qs + 4 * k, &g.qs[blk][k][4 * r], 4);
    }
  }
}

[[noreturn]] void no_layout(tensor_type type) {
  std::fprintf(stderr, "plexus::kernels: type %s has no rows16 layout\n", tensor_type_name(type));
  std::abort();
}

// Group i covers qk_k columns: blocks [k i, k i + k) of each row, k = kBlocksPerGroup (Q4_0: 8).
template <class Block, class Group, class Convert>
void each_block_of_group(int64_t cols, const uint8_t* rows, uint64_t row_stride, Group* groups, Convert convert) {
  const int64_t n_groups = cols / qk_k;
  constexpr int64_t kBlocksPerGroup = static_cast<int64_t>(sizeof(Group) / (16 * sizeof(Block)));
  for (int64_t i = 0; i < n_groups; ++i) {
    const Block* row[16];
    for (int r = 0; r < 16; ++r) row[r] = reinterpret_cast<const Block*>(rows + static_cast<uint64_t>(r) * row_stride) + kBlocksPerGroup * i;
    convert(row, groups[i]);
  }
}

}  // namespace

bool rows16_layout_exists(tensor_type type) {
  return type == tensor_type::q4_0 || type == tensor_type::q8_0 || type == tensor_type::q2_k || type == tensor_type::q3_k ||
         type == tensor_type::q4_k || type == tensor_type::q5_k || type == tensor_type::q6_k;
}

void interleave_group16(tensor_type type, int64_t cols, const uint8_t* rows, uint64_t row_stride, uint8_t* group) {
  if (type == tensor_type::q4_0) {
    each_block_of_group<tensor::block_q4_0>(cols, rows, row_stride, reinterpret_cast<block_q4_0_x16*>(group), interleave_q4_0);
  } else if (type == tensor_type::q8_0) {
    each_block_of_group<tensor::block_q8_0>(cols, rows, row_stride, reinterpret_cast<block_q8_0_x16*>(group), interleave_q8_0);
  } else if (type == tensor_type::q2_k) {
    each_block_of_group<tensor::block_q2_k>(cols, rows, row_stride, reinterpret_cast<block_q2_k_x16*>(group), interleave_q2_k);
  } else if (type == tensor_type::q3_k) {
    each_block_of_group<tensor::block_q3_k>(cols, rows, row_stride, reinterpret_cast<block_q3_k_x16*>(group), interleave_q3_k);
  } else if (type == tensor_type::q4_k) {
    each_block_of_group<block_q4_k>(cols, rows, row_stride, reinterpret_cast<block_q4_k_x16*>(group),
                                    interleave_q45_k<block_q4_k, block_q4_k_x16>);
  } else if (type == tensor_type::q5_k) {
    each_block_of_group<tensor::block_q5_k>(cols, rows, row_stride, reinterpret_cast<block_q5_k_x16*>(group),
                                            interleave_q45_k<tensor::block_q5_k, block_q5_k_x16>);
  } else if (type == tensor_type::q6_k) {
    each_block_of_group<block_q6_k>(cols, rows, row_stride, reinterpret_cast<block_q6_k_x16*>(group), interleave_q6_k);
  } else {
    no_layout(type);
  }
}

namespace {
// Group i of `group` -> rows (16 contiguous rows of `cols` columns), for one block type.
template <class Block, class Group, class Convert>
void each_group_to_rows(int64_t cols, const uint8_t* group, uint8_t* rows, Convert convert) {
  constexpr int64_t kBlocksPerGroup = static_cast<int64_t>(sizeof(Group) / (16 * sizeof(Block)));
  const int64_t n_groups = cols / qk_k;
  const int64_t row_blocks = n_groups * kBlocksPerGroup;
  for (int64_t i = 0; i < n_groups; ++i) {
    Block* row[16];
    for (int r = 0; r < 16; ++r) row[r] = reinterpret_cast<Block*>(rows) + r * row_blocks + kBlocksPerGroup * i;
    convert(reinterpret_cast<const Group*>(group)[i], row);
  }
}
}  // namespace

void deinterleave_group16(tensor_type type, int64_t cols, const uint8_t* group, uint8_t* rows) {
  if (type == tensor_type::q4_0) {
    each_group_to_rows<tensor::block_q4_0, block_q4_0_x16>(cols, group, rows, deinterleave_q4_0);
  } else if (type == tensor_type::q8_0) {
    each_group_to_rows<tensor::block_q8_0, block_q8_0_x16>(cols, group, rows, deinterleave_q8_0);
  } else if (type == tensor_type::q2_k) {
    each_group_to_rows<tensor::block_q2_k, block_q2_k_x16>(cols, group, rows, deinterleave_q2_k);
  } else if (type == tensor_type::q3_k) {
    each_group_to_rows<tensor::block_q3_k, block_q3_k_x16>(cols, group, rows, deinterleave_q3_k);
  } else if (type == tensor_type::q4_k) {
    each_group_to_rows<block_q4_k, block_q4_k_x16>(cols, group, rows, deinterleave_q45_k<block_q4_k, block_q4_k_x16>);
  } else if (type == tensor_type::q5_k) {
    each_group_to_rows<tensor::block_q5_k, block_q5_k_x16>(cols, group, rows,
                                                           deinterleave_q45_k<tensor::block_q5_k, block_q5_k_x16>);
  } else if (type == tensor_type::q6_k) {
    each_group_to_rows<block_q6_k, block_q6_k_x16>(cols, group, rows, deinterleave_q6_k);
  } else {
    no_layout(type);
  }
}

bool rows16_shape_fits(const MatrixView& w) {
  if (!rows16_layout_exists(w.type) || w.rows <= 0 || w.rows % kRowsPerGroup != 0 || w.cols % qk_k != 0) return false;
  const auto bytes = row_bytes(w.type, static_cast<uint64_t>(w.cols));
  return bytes && *bytes == w.row_stride;
}

bool can_interleave_rows16(const MatrixView& w) { return w.layout == matrix_layout::rows && rows16_shape_fits(w); }

void interleave_rows16_in_place(MatrixView& w, uint8_t* data) {
  if (!can_interleave_rows16(w) || data != w.data) {
    std::fprintf(stderr, "plexus::kernels::interleave_rows16_in_place: matrix of type %s [%lld x %lld] cannot be interleaved\n",
                 tensor_type_name(w.type), static_cast<long long>(w.rows), static_cast<long long>(w.cols));
    std::abort();
  }
  const uint64_t group_bytes = static_cast<uint64_t>(kRowsPerGroup) * w.row_stride;
  std::vector<uint8_t> rows(static_cast<size_t>(group_bytes));
  for (int64_t g = 0; g < w.rows / kRowsPerGroup; ++g) {
    uint8_t* group = data + static_cast<uint64_t>(g) * group_bytes;
    std::memcpy(rows.data(), group, static_cast<size_t>(group_bytes));
    interleave_group16(w.type, w.cols, rows.data(), w.row_stride, group);
  }
  w.layout = matrix_layout::rows16;
}

}  // namespace plexus::kernels

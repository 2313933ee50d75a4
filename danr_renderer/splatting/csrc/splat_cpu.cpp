// Compiled CPU splatting kernel (forward and backward) behind backend="native".
//
// Semantics: docs/conventions.md, "Splatting", and ``splat_points``. Per pixel centre the
// candidates are the points with z > 0 within r pixels; the K nearest in z (equal z: lower
// point index first) are composited front to back with weights a = 1 - d/r ("linear") or
// 1 - d^2/r^2 ("quadratic").
//
// Structure:
//   1. Bin the points that can reach the image (z > 0, u in (-r, W + r), v in (-r, H + r);
//      NaN fails every comparison) into square tiles of S = 2^s >= ceil(2r) pixels, per batch
//      item, in point order (a counting sort over one chunk of points per thread).
//   2. Per tile (in parallel): sort its candidates front to back (stable radix sort of the
//      IEEE bits of z, monotone for z > 0, so equal z keeps the lower index first), walk
//      them in that order and append each to the pixels of its disk that hold fewer than K
//      points; the first K appended are the K nearest. Stop once every pixel of the tile is
//      full. Composite each pixel from its list (its sums in registers) and keep the list
//      (point indices only) for the backward pass.
// Every pass reads the points in memory order or one tile's local list at a time.
// Backward walks the same lists; a pixel's gradient goes back to its points, and tiles run
// in four passes of equal (column, row) parity: a disk spans fewer than S + 1 pixels, so it
// meets at most one tile of a pass and no two threads add to the same point. Results do not
// depend on the number of threads.
//
// Memory: the candidate lists (about 1-2 entries per point), 8 bytes per point while binning,
// one int32 per kept (pixel, point) pair, per thread one tile's composite (forward) and, in the
// backward pass, the image gradient once more, pixel-major; never (pairs x channels).
#include <torch/extension.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace {

// Larger tiles bin fewer points into two or more tiles (a 32-px tile cut the 640x360, r = 1.5
// forward by about 14% against 16 px) and still leave dozens of tiles for the threads.
constexpr int64_t kMinTile = 32;

struct Grid {
  int64_t height, width, tile_shift, cols, rows;
  int64_t tile() const { return int64_t(1) << tile_shift; }
  int64_t tiles() const { return cols * rows; }
};

// Square tiles of S = 2^s >= max(kMinTile, ceil(2r)) pixels, or >= the image's longer side
// (one tile per axis) when that is smaller; a power of two so that binning shifts instead of
// dividing.
Grid make_grid(int64_t height, int64_t width, double radius) {
  const double longest = static_cast<double>(std::max(height, width));
  const double need = std::max<double>(kMinTile, std::min(std::ceil(2.0 * radius), longest));
  int64_t shift = 0;
  while (static_cast<double>(int64_t(1) << shift) < need) ++shift;
  const int64_t tile = int64_t(1) << shift;
  return {height, width, shift, (width + tile - 1) >> shift, (height + tile - 1) >> shift};
}

// Inclusive range of pixel indices [lo, hi] along one axis of length `size` whose centres
// (index + 0.5) can lie within `half_width` of `coord` (lo > hi when none), widened by
// `margin` pixels so that rounding in the callers' exact distance test can never accept a
// pixel outside it. The casts truncate non-negative values (floor without a libm call).
inline void pixel_range(double coord, double half_width, double margin, int64_t size,
                        int64_t* lo, int64_t* hi) {
  const double first = coord - half_width - 0.5 - margin, last = coord + half_width - 0.5 + margin;
  const double top = static_cast<double>(size - 1);
  // Smallest index > first (or 0), largest index < last (or size - 1).
  *lo = first >= 0 ? static_cast<int64_t>(std::min(first, top + 1)) + 1 : 0;
  *hi = last > 0 ? std::min(size - 1, static_cast<int64_t>(std::min(last, top + 1))) : -1;
  if (last > 0 && static_cast<double>(*hi) >= last) --*hi;  // last itself is excluded
}

// Margin (pixels) around every range: far above float rounding of distances up to r.
inline double range_margin(double radius) { return 1e-3 * (1.0 + radius); }

template <typename scalar_t>
using KeyOf = typename std::conditional<sizeof(scalar_t) == 4, uint32_t, uint64_t>::type;

// A point in a tile's candidate list; key = the bits of z, monotone in z for z > 0 (+inf too).
template <typename scalar_t>
struct Candidate {
  scalar_t u, v;
  KeyOf<scalar_t> key;
  int32_t point;
};

// Whether a point can reach the image: z > 0, u in (-r, W + r), v in (-r, H + r); NaN fails.
template <typename scalar_t>
inline bool reachable(const scalar_t* point, scalar_t radius, scalar_t width, scalar_t height) {
  const scalar_t u = point[0], v = point[1], z = point[2];
  return z > 0 && u > -radius && u < width + radius && v > -radius && v < height + radius;
}

// Stable sort of a tile's candidates by key (LSD radix, 8-bit digits, a digit shared by all
// skipped; insertion sort for short lists). Input in point order -> (z, point) order.
template <typename scalar_t>
void sort_front_to_back(Candidate<scalar_t>* items, size_t n,
                        std::vector<Candidate<scalar_t>>& scratch) {
  if (n <= 32) {
    for (size_t i = 1; i < n; ++i) {
      const Candidate<scalar_t> item = items[i];
      size_t at = i;
      for (; at > 0 && items[at - 1].key > item.key; --at) items[at] = items[at - 1];
      items[at] = item;
    }
    return;
  }
  if (scratch.size() < n) scratch.resize(n);
  Candidate<scalar_t>* from = items;
  Candidate<scalar_t>* to = scratch.data();
  size_t start[256];
  for (int shift = 0; shift < static_cast<int>(8 * sizeof(KeyOf<scalar_t>)); shift += 8) {
    std::fill(start, start + 256, size_t(0));
    for (size_t i = 0; i < n; ++i) ++start[(from[i].key >> shift) & 255];
    if (*std::max_element(start, start + 256) == n) continue;
    size_t total = 0;
    for (size_t& entry : start) {
      const size_t count = entry;
      entry = total;
      total += count;
    }
    for (size_t i = 0; i < n; ++i) to[start[(from[i].key >> shift) & 255]++] = from[i];
    std::swap(from, to);
  }
  if (from != items) std::copy(from, from + n, items);
}

// The block of tiles a point's pixel range meets: `cols` x `rows` tiles from tile `first` (its
// top-left one); cols = 0 for none.
struct TileSpan {
  int32_t first;
  int16_t cols, rows;
};

// Calls visit(tile, area) for every tile that the pixel range of a point at (u, v) meets;
// area = pixels of that range inside the tile (an upper bound on the point's pairs there).
// Returns those tiles.
template <typename Visit>
inline TileSpan for_each_tile(double u, double v, double radius, const Grid& grid,
                              Visit&& visit) {
  const double margin = range_margin(radius);
  int64_t col_lo, col_hi, row_lo, row_hi;
  pixel_range(u, radius, margin, grid.width, &col_lo, &col_hi);
  pixel_range(v, radius, margin, grid.height, &row_lo, &row_hi);
  if (col_lo > col_hi || row_lo > row_hi) return {0, 0, 0};
  const int64_t shift = grid.tile_shift, tile = grid.tile();
  const int64_t tx0 = col_lo >> shift, ty0 = row_lo >> shift;
  for (int64_t ty = ty0; ty <= row_hi >> shift; ++ty) {
    const int64_t rows = std::min(row_hi, (ty + 1) * tile - 1) - std::max(row_lo, ty * tile) + 1;
    for (int64_t tx = col_lo >> shift; tx <= col_hi >> shift; ++tx) {
      const int64_t cols = std::min(col_hi, (tx + 1) * tile - 1) - std::max(col_lo, tx * tile) + 1;
      visit(ty * grid.cols + tx, rows * cols);
    }
  }
  return {static_cast<int32_t>(ty0 * grid.cols + tx0),
          static_cast<int16_t>((col_hi >> shift) - tx0 + 1),
          static_cast<int16_t>((row_hi >> shift) - ty0 + 1)};
}

// a = 1 - d/r ("linear") or 1 - d^2/r^2 ("quadratic") at squared distance d^2, with 1/r and
// 1/r^2 computed once (the forward and backward passes get bit-equal weights from it).
template <typename scalar_t>
struct Falloff {
  scalar_t inv_radius, inv_radius_sq;
  bool quadratic;
  Falloff(double radius, bool is_quadratic)
      : inv_radius(static_cast<scalar_t>(1.0 / radius)),
        inv_radius_sq(static_cast<scalar_t>(1.0 / (radius * radius))),
        quadratic(is_quadratic) {}

  scalar_t weight(scalar_t dist_sq) const {
    return quadratic ? scalar_t(1) - dist_sq * inv_radius_sq
                     : scalar_t(1) - std::sqrt(dist_sq) * inv_radius;
  }
  // Also da/du / (u - c) = da/dv / (v - c): -1 / (d r) (0 at d = 0) or -2 / r^2.
  scalar_t weight(scalar_t dist_sq, scalar_t* slope) const {
    if (quadratic) {
      *slope = scalar_t(-2) * inv_radius_sq;
      return scalar_t(1) - dist_sq * inv_radius_sq;
    }
    const scalar_t dist = std::sqrt(dist_sq);
    *slope = dist > 0 ? -inv_radius / dist : scalar_t(0);
    return scalar_t(1) - dist * inv_radius;
  }
};

// The tile's pixel rectangle.
struct TileRect {
  int64_t row0, col0, rows, cols;
};

inline TileRect tile_rect(const Grid& grid, int64_t tile) {
  const int64_t row0 = (tile / grid.cols) << grid.tile_shift;
  const int64_t col0 = (tile % grid.cols) << grid.tile_shift;
  return {row0, col0, std::min(grid.tile(), grid.height - row0),
          std::min(grid.tile(), grid.width - col0)};
}

inline int num_threads() { return std::max(1, at::get_num_threads()); }

// Per batch item and tile, the candidate lists (in point order; the forward pass sorts each
// front to back): tile_begin has B * tiles + 1 entries (global tile g = b * tiles + t),
// pair_begin the start of each tile's pair slots (an upper bound on its kept pairs).
template <typename scalar_t>
struct Bins {
  std::vector<Candidate<scalar_t>> candidates;
  std::vector<int64_t> tile_begin, pair_begin;
};

// Bins the points with a two-pass counting sort over contiguous chunks of the (b, n) range, one
// per thread; lists keep point order whatever the number of threads. The first pass keeps
// each point's tiles for the second.
template <typename scalar_t>
Bins<scalar_t> bin_points(const scalar_t* points, int64_t batch, int64_t num_points,
                          const Grid& grid, double radius, int64_t max_per_pixel) {
  const int64_t tiles = grid.tiles(), total_tiles = batch * tiles;
  const int64_t total_points = batch * num_points;
  const scalar_t r = static_cast<scalar_t>(radius);
  const scalar_t w = static_cast<scalar_t>(grid.width), h = static_cast<scalar_t>(grid.height);
  Bins<scalar_t> bins;
  bins.tile_begin.assign(total_tiles + 1, 0);
  bins.pair_begin.assign(total_tiles + 1, 0);
  std::vector<int64_t> counts, bounds;  // (chunks, total_tiles)
  std::vector<TileSpan> spans(total_points);
  int64_t chunks = 1;
#pragma omp parallel num_threads(num_threads())
  {
    int64_t chunk = 0;
#ifdef _OPENMP
    chunk = omp_get_thread_num();
#pragma omp single
    chunks = omp_get_num_threads();
#endif
#pragma omp single
    {
      counts.assign(chunks * total_tiles, 0);
      bounds.assign(chunks * total_tiles, 0);
    }
    const int64_t first = total_points * chunk / chunks, last = total_points * (chunk + 1) / chunks;
    int64_t* count = counts.data() + chunk * total_tiles;
    int64_t* bound = bounds.data() + chunk * total_tiles;
    for (int64_t at = first; at < last; ++at) {
      const scalar_t* point = points + 3 * at;
      spans[at].cols = 0;
      if (!reachable(point, r, w, h)) continue;
      const int64_t offset = (at / num_points) * tiles;
      spans[at] = for_each_tile(point[0], point[1], radius, grid, [&](int64_t t, int64_t area) {
        ++count[offset + t];
        bound[offset + t] += area;
      });
    }
#pragma omp barrier
#pragma omp single
    {
      for (int64_t g = 0; g < total_tiles; ++g) {
        const TileRect rect = tile_rect(grid, g % tiles);
        int64_t in_tile = 0, pairs = 0;
        for (int64_t c = 0; c < chunks; ++c) {
          const int64_t held = counts[c * total_tiles + g];
          counts[c * total_tiles + g] = bins.tile_begin[g] + in_tile;  // chunk c's cursor
          in_tile += held;
          pairs += bounds[c * total_tiles + g];
        }
        bins.tile_begin[g + 1] = bins.tile_begin[g] + in_tile;
        bins.pair_begin[g + 1] =
            bins.pair_begin[g] + std::min(pairs, max_per_pixel * rect.rows * rect.cols);
      }
      bins.candidates.resize(bins.tile_begin.back());
    }
    Candidate<scalar_t>* candidates = bins.candidates.data();
    for (int64_t at = first; at < last; ++at) {
      const TileSpan span = spans[at];
      if (span.cols == 0) continue;
      const scalar_t* point = points + 3 * at;
      Candidate<scalar_t> entry{point[0], point[1], 0, static_cast<int32_t>(at % num_points)};
      std::memcpy(&entry.key, point + 2, sizeof(entry.key));
      int64_t* cursor = count + (at / num_points) * tiles + span.first;
      for (int64_t ty = 0; ty < span.rows; ++ty) {
        int64_t* row = cursor + ty * grid.cols;
        for (int64_t tx = 0; tx < span.cols; ++tx) candidates[row[tx]++] = entry;
      }
    }
  }
  return bins;
}

template <typename T>
inline T* grown(std::vector<T>& buffer, size_t size) {
  if (buffer.size() < size) buffer.resize(size);
  return buffer.data();
}

// A 32-byte vector of scalars (GCC/Clang vector extension; AVX where compiled for it).
template <typename scalar_t>
struct VectorOf {
  typedef scalar_t type __attribute__((vector_size(32)));
  static constexpr int64_t kLanes = 32 / sizeof(scalar_t);
  static type load(const scalar_t* from) {  // unaligned
    type vector;
    std::memcpy(&vector, from, sizeof vector);
    return vector;
  }
  static void store(scalar_t* to, const type& vector) { std::memcpy(to, &vector, sizeof vector); }
};

// An 8 x 8 block: to[i * to_stride + j] = from[j * from_stride + i]. For float, eight vector
// loads, three rounds of shuffles and eight vector stores where the compiler has
// __builtin_shufflevector (GCC 12+, Clang); element by element otherwise.
template <typename scalar_t>
inline void transpose_block(const scalar_t* from, int64_t from_stride, scalar_t* to,
                            int64_t to_stride) {
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)
  if constexpr (VectorOf<scalar_t>::kLanes == 8) {
    using V = VectorOf<scalar_t>;
    typename V::type row[8], pair[8], quad[8];
    for (int i = 0; i < 8; ++i) row[i] = V::load(from + i * from_stride);
    for (int i = 0; i < 8; i += 2) {  // interleave rows 2m, 2m+1
      pair[i] = __builtin_shufflevector(row[i], row[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
      pair[i + 1] = __builtin_shufflevector(row[i], row[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
    for (int i = 0; i < 8; i += 4) {  // then pairs of rows: columns in groups of four rows
      for (int h = 0; h < 2; ++h) {
        quad[i + 2 * h] =
            __builtin_shufflevector(pair[i + h], pair[i + h + 2], 0, 1, 8, 9, 4, 5, 12, 13);
        quad[i + 2 * h + 1] =
            __builtin_shufflevector(pair[i + h], pair[i + h + 2], 2, 3, 10, 11, 6, 7, 14, 15);
      }
    }
    for (int c = 0; c < 4; ++c) {  // column c and c + 4: the halves of quad[c] and quad[c + 4]
      V::store(to + c * to_stride,
               __builtin_shufflevector(quad[c], quad[c + 4], 0, 1, 2, 3, 8, 9, 10, 11));
      V::store(to + (c + 4) * to_stride,
               __builtin_shufflevector(quad[c], quad[c + 4], 4, 5, 6, 7, 12, 13, 14, 15));
    }
    return;
  }
#endif
  for (int64_t i = 0; i < 8; ++i) {
    for (int64_t j = 0; j < 8; ++j) to[i * to_stride + j] = from[j * from_stride + i];
  }
}

// Copies one row of a tile between its pixel-major form (cols pixels x C channels, a pixel's
// C values contiguous) and the C planes (row segments plane_stride apart): ToPlanes writes the
// planes, otherwise it reads them. Blocks of 8 pixels x 8 planes, so that a block's lines stay
// in L1 (the planes of a square image lie a power of two apart and compete for one cache set);
// full blocks have fixed bounds so that the compiler unrolls them.
template <bool ToPlanes, typename scalar_t>
inline void transpose_tile_row(
    typename std::conditional<ToPlanes, const scalar_t*, scalar_t*>::type pixel_major,
    typename std::conditional<ToPlanes, scalar_t*, const scalar_t*>::type planes,
    int64_t plane_stride, int64_t channels, int64_t cols) {
  constexpr int64_t kBlock = 8;
  if (channels < kBlock) {  // a few planes (RGB): each plane's segment in one run
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t j = 0; j < cols; ++j) {
        if constexpr (ToPlanes) {
          planes[c * plane_stride + j] = pixel_major[j * channels + c];
        } else {
          pixel_major[j * channels + c] = planes[c * plane_stride + j];
        }
      }
    }
    return;
  }
  for (int64_t ch0 = 0; ch0 < channels; ch0 += kBlock) {
    const int64_t block_planes = std::min(kBlock, channels - ch0);
    for (int64_t j0 = 0; j0 < cols; j0 += kBlock) {
      const int64_t block_cols = std::min(kBlock, cols - j0);
      const auto pixel = pixel_major + j0 * channels + ch0;
      const auto plane = planes + ch0 * plane_stride + j0;
      auto copy = [&](int64_t c, int64_t j) {
        if constexpr (ToPlanes) {
          plane[c * plane_stride + j] = pixel[j * channels + c];
        } else {
          pixel[j * channels + c] = plane[c * plane_stride + j];
        }
      };
      if (block_planes == kBlock && block_cols == kBlock) {
        if constexpr (ToPlanes) {
          transpose_block(pixel, channels, plane, plane_stride);
        } else {
          transpose_block(plane, plane_stride, pixel, channels);
        }
      } else {
        for (int64_t c = 0; c < block_planes; ++c) {
          for (int64_t j = 0; j < block_cols; ++j) copy(c, j);
        }
      }
    }
  }
}

// The composite sum_k weight_k f_(point_k) of `Vectors` vectors of channels from `first`, one
// sum per vector: independent chains over k (one chain waited on each FMA in turn).
template <int Vectors, typename scalar_t>
inline void composite_vectors(const scalar_t* features, int64_t channels, int64_t first,
                              const int32_t* point, const scalar_t* weight, int32_t held,
                              scalar_t* out) {
  using V = VectorOf<scalar_t>;
  typename V::type sum[Vectors] = {};
  for (int32_t k = 0; k < held; ++k) {
    const scalar_t* row = features + static_cast<int64_t>(point[k]) * channels + first;
    for (int v = 0; v < Vectors; ++v) sum[v] += weight[k] * V::load(row + v * V::kLanes);
  }
  for (int v = 0; v < Vectors; ++v) V::store(out + first + v * V::kLanes, sum[v]);
}

// One pixel's composite sum_k weight_k f_(point_k) into out[0, C): blocks of up to 8 vectors
// of channels, then single channels, every sum in registers and over k in order.
template <typename scalar_t>
inline void composite_pixel(const scalar_t* features, int64_t channels, const int32_t* point,
                            const scalar_t* weight, int32_t held, scalar_t* out) {
  using V = VectorOf<scalar_t>;
  int64_t first = 0;
  for (; first + 8 * V::kLanes <= channels; first += 8 * V::kLanes) {
    composite_vectors<8>(features, channels, first, point, weight, held, out);
  }
  if (first + 4 * V::kLanes <= channels) {
    composite_vectors<4>(features, channels, first, point, weight, held, out);
    first += 4 * V::kLanes;
  }
  if (first + 2 * V::kLanes <= channels) {
    composite_vectors<2>(features, channels, first, point, weight, held, out);
    first += 2 * V::kLanes;
  }
  if (first + V::kLanes <= channels) {
    composite_vectors<1>(features, channels, first, point, weight, held, out);
    first += V::kLanes;
  }
  for (; first < channels; ++first) {
    scalar_t sum = 0;
    for (int32_t k = 0; k < held; ++k) {
      sum += weight[k] * features[static_cast<int64_t>(point[k]) * channels + first];
    }
    out[first] = sum;
  }
}

template <typename scalar_t>
void forward_kernel(const scalar_t* features, int64_t batch, int64_t num_points,
                    int64_t channels, const Grid& grid, double radius_d, int64_t max_per_pixel,
                    bool quadratic, Bins<scalar_t>& bins, scalar_t* image, scalar_t* alpha,
                    scalar_t* depth, int32_t* pair_point, int64_t* pixel_start,
                    int32_t* pixel_count) {
  const int64_t tiles = grid.tiles(), height = grid.height, width = grid.width;
  const scalar_t radius_sq = static_cast<scalar_t>(radius_d * radius_d);
  const Falloff<scalar_t> falloff(radius_d, quadratic);
  const double margin = range_margin(radius_d);
  const scalar_t chord_margin = static_cast<scalar_t>(margin);
  const bool use_chords = radius_d >= 2.5;  // a chord saves tests once the box is 5+ px wide
#pragma omp parallel num_threads(num_threads())
  {
    std::vector<int32_t> count_buf, slot_point_buf;
    std::vector<scalar_t> slot_alpha_buf, front_buf, acc_buf;
    std::vector<Candidate<scalar_t>> sort_buf;
#pragma omp for schedule(dynamic)
    for (int64_t g = 0; g < batch * tiles; ++g) {
      const int64_t b = g / tiles;
      const TileRect rect = tile_rect(grid, g % tiles);
      const int64_t pixels = rect.rows * rect.cols;
      Candidate<scalar_t>* begin = bins.candidates.data() + bins.tile_begin[g];
      Candidate<scalar_t>* end = bins.candidates.data() + bins.tile_begin[g + 1];
      sort_front_to_back(begin, end - begin, sort_buf);
      // Slots per pixel: no pixel can hold more than K or than the tile has candidates.
      const int64_t slots = std::max<int64_t>(1, std::min<int64_t>(max_per_pixel, end - begin));
      int32_t* count = grown(count_buf, pixels);
      int32_t* slot_point = grown(slot_point_buf, pixels * slots);
      scalar_t* slot_alpha = grown(slot_alpha_buf, pixels * slots);
      scalar_t* front = grown(front_buf, pixels);  // z of the first point, where held > 0
      scalar_t* acc = grown(acc_buf, pixels * channels);
      std::fill(count, count + pixels, 0);

      int64_t full = 0;
      for (const Candidate<scalar_t>* c = begin; c != end && full < pixels; ++c) {
        // The disk's rows in the tile and, per row, its columns (the bounding box for small
        // disks, the chord for larger ones); the exact distance test below decides.
        int64_t row_lo, row_hi, box_lo, box_hi;
        pixel_range(c->v, radius_d, margin, height, &row_lo, &row_hi);
        pixel_range(c->u, radius_d, margin, width, &box_lo, &box_hi);
        row_lo = std::max(row_lo, rect.row0);
        row_hi = std::min(row_hi, rect.row0 + rect.rows - 1);
        box_lo = std::max(box_lo, rect.col0);
        box_hi = std::min(box_hi, rect.col0 + rect.cols - 1);
        for (int64_t i = row_lo; i <= row_hi; ++i) {
          const scalar_t offset_v = c->v - (static_cast<scalar_t>(i) + scalar_t(0.5));
          const scalar_t dv_sq = offset_v * offset_v;
          if (!(dv_sq < radius_sq)) continue;
          int64_t col_lo = box_lo, col_hi = box_hi;
          if (use_chords) {
            // Columns whose centres can lie within the chord's half-width of u (a superset:
            // smallest index > first, indices up to last; u > -r), in the points' precision.
            const scalar_t half = std::sqrt(radius_sq - dv_sq);
            const scalar_t first = c->u - half - scalar_t(0.5) - chord_margin;
            const scalar_t last = c->u + half - scalar_t(0.5) + chord_margin;
            col_lo = std::max(col_lo, static_cast<int64_t>(std::max(first, scalar_t(-1)) + 1));
            col_hi = std::min(col_hi, static_cast<int64_t>(std::max(last, scalar_t(0))));
          }
          const int64_t row_pixel = (i - rect.row0) * rect.cols - rect.col0;
          for (int64_t j = col_lo; j <= col_hi; ++j) {
            const scalar_t offset_u = c->u - (static_cast<scalar_t>(j) + scalar_t(0.5));
            const scalar_t dist_sq = offset_u * offset_u + dv_sq;
            const int64_t p = row_pixel + j;
            const int32_t held = count[p];
            if (dist_sq < radius_sq && held < max_per_pixel) {
              slot_point[p * slots + held] = c->point;
              if (held == 0) std::memcpy(front + p, &c->key, sizeof(scalar_t));
              slot_alpha[p * slots + held] = falloff.weight(dist_sq);
              count[p] = held + 1;
              full += (held + 1 == max_per_pixel);
            }
          }
        }
      }

      // Per pixel: its points and weights a_k prod_{j<k} (1 - a_j), front to back, packed in
      // pair order (the weights over the alphas in slot_alpha), its alpha and depth.
      const int64_t first_pair = bins.pair_begin[g];
      int64_t pair = first_pair;
      scalar_t* pair_weight = slot_alpha;  // pair - first_pair <= p * slots: not yet read
      for (int64_t p = 0, i = 0, j = 0; p < pixels; ++p, j = (j + 1 == rect.cols) ? 0 : j + 1) {
        i += (p > 0 && j == 0);  // (i, j): pixel p's row and column inside the tile
        const int64_t pixel = (b * height + rect.row0 + i) * width + rect.col0 + j;
        const int32_t held = count[p];
        scalar_t transmittance = 1;
        for (int32_t k = 0; k < held; ++k) {
          const scalar_t a = slot_alpha[p * slots + k];
          pair_weight[pair - first_pair + k] = a * transmittance;
          pair_point[pair + k] = slot_point[p * slots + k];
          transmittance *= scalar_t(1) - a;
        }
        alpha[pixel] = scalar_t(1) - transmittance;
        depth[pixel] = held ? front[p] : 0;
        pixel_start[pixel] = pair;
        pixel_count[pixel] = held;
        pair += held;
      }
      // Composite into the tile's pixel-major buffer, then write it out to the planes (all C
      // planes per pixel measured twice as slow at C = 64, one plane at a time 10% slower
      // than blocks).
      const scalar_t* feats = features + b * num_points * channels;
      for (int64_t p = 0, pair = first_pair; p < pixels; pair += count[p], ++p) {
        composite_pixel(feats, channels, pair_point + pair, pair_weight + (pair - first_pair),
                        count[p], acc + p * channels);
      }
      for (int64_t i = 0; i < rect.rows; ++i) {
        transpose_tile_row<true, scalar_t>(
            acc + i * rect.cols * channels,
            image + (b * channels * height + rect.row0 + i) * width + rect.col0, height * width,
            channels, rect.cols);
      }
    }
  }
}

// Returns f . g over C values and adds weight * g to grad_f: blocks of four vectors of
// channels (four independent partial sums: one sum would wait on each FMA in turn), then
// single vectors, then single channels; the partial sums and lanes are added in a fixed order,
// whatever the threads. One walk over a point's row serves both.
template <typename scalar_t>
inline scalar_t dot_and_add(const scalar_t* f, const scalar_t* g, scalar_t weight,
                            scalar_t* grad_f, int64_t channels) {
  using V = VectorOf<scalar_t>;
  typename V::type sum[4] = {};
  int64_t ch = 0;
  for (; ch + 4 * V::kLanes <= channels; ch += 4 * V::kLanes) {
    for (int s = 0; s < 4; ++s) {
      const int64_t at = ch + s * V::kLanes;
      const typename V::type g_ch = V::load(g + at);
      sum[s] += V::load(f + at) * g_ch;
      V::store(grad_f + at, V::load(grad_f + at) + weight * g_ch);
    }
  }
  for (; ch + V::kLanes <= channels; ch += V::kLanes) {
    const typename V::type g_ch = V::load(g + ch);
    sum[0] += V::load(f + ch) * g_ch;
    V::store(grad_f + ch, V::load(grad_f + ch) + weight * g_ch);
  }
  const typename V::type lanes = (sum[0] + sum[1]) + (sum[2] + sum[3]);
  scalar_t total = 0;
  for (int64_t lane = 0; lane < V::kLanes; ++lane) total += lanes[lane];
  for (; ch < channels; ++ch) {
    total += f[ch] * g[ch];
    grad_f[ch] += weight * g[ch];
  }
  return total;
}

template <typename scalar_t>
void backward_kernel(const scalar_t* points, const scalar_t* features, int64_t batch,
                     int64_t num_points, int64_t channels, const Grid& grid, double radius_d,
                     bool quadratic, const int32_t* pair_point, const int64_t* pixel_start,
                     const int32_t* pixel_count, const scalar_t* grad_image,
                     const scalar_t* grad_alpha, const scalar_t* grad_depth,
                     scalar_t* grad_points, scalar_t* grad_features) {
  const int64_t tiles = grid.tiles(), height = grid.height, width = grid.width;
  const Falloff<scalar_t> falloff(radius_d, quadratic);
  // Four passes of tiles with equal (column, row) parity; no point meets two tiles of a pass.
  std::vector<std::vector<int64_t>> passes(4);
  for (int64_t g = 0; g < batch * tiles; ++g) {
    const int64_t t = g % tiles;
    passes[2 * ((t / grid.cols) % 2) + (t % grid.cols) % 2].push_back(g);
  }
  // grad_image pixel-major (B, H, W, C), one image row at a time: a pixel's C values are then
  // one run for its points' dot products (gathering per tile instead measured slower at C = 3).
  std::unique_ptr<scalar_t[]> grad_pixel_major(
      new scalar_t[static_cast<size_t>(batch * height * width * channels)]);
#pragma omp parallel num_threads(num_threads())
  {
#pragma omp for schedule(static)
    for (int64_t line = 0; line < batch * height; ++line) {
      const int64_t b = line / height, row = line % height;
      transpose_tile_row<false, scalar_t>(grad_pixel_major.get() + line * width * channels,
                                          grad_image + (b * channels * height + row) * width,
                                          height * width, channels, width);
    }
    std::vector<scalar_t> layer_buf;
    for (const auto& pass : passes) {
#pragma omp for schedule(dynamic)
      for (size_t at = 0; at < pass.size(); ++at) {
        const int64_t g = pass[at], b = g / tiles;
        const TileRect rect = tile_rect(grid, g % tiles);
        const int64_t pixels = rect.rows * rect.cols;
        const scalar_t* pts = points + b * num_points * 3;
        const scalar_t* feats = features + b * num_points * channels;
        scalar_t* grad_pts = grad_points + b * num_points * 3;
        scalar_t* grad_feats = grad_features + b * num_points * channels;
        for (int64_t p = 0, i = 0, j = 0; p < pixels; ++p, j = (j + 1 == rect.cols) ? 0 : j + 1) {
          i += (p > 0 && j == 0);  // (i, j): pixel p's row and column inside the tile
          const int64_t row = rect.row0 + i, col = rect.col0 + j;
          const int64_t pixel = (b * height + row) * width + col;
          const int32_t held = pixel_count[pixel];
          if (held == 0) continue;
          const int32_t* list = pair_point + pixel_start[pixel];
          const scalar_t* grad_out = grad_pixel_major.get() + pixel * channels;
          const scalar_t centre_u = static_cast<scalar_t>(col) + scalar_t(0.5);
          const scalar_t centre_v = static_cast<scalar_t>(row) + scalar_t(0.5);
          // Per layer k: a_k, T_k = prod_{j<k} (1 - a_j), f_k . grad_out, da/d(u, v) over the
          // offsets (the falloff's slope) and the offsets; dL/df_k = a_k T_k grad_out.
          scalar_t* layer = grown(layer_buf, 6 * static_cast<size_t>(held));
          scalar_t transmittance = 1;
          for (int32_t k = 0; k < held; ++k) {
            const int64_t n = list[k];
            const scalar_t offset_u = pts[3 * n] - centre_u, offset_v = pts[3 * n + 1] - centre_v;
            const scalar_t dist_sq = offset_u * offset_u + offset_v * offset_v;
            scalar_t slope;
            const scalar_t a = falloff.weight(dist_sq, &slope);
            scalar_t* entry = layer + 6 * k;
            entry[0] = a, entry[1] = transmittance;
            entry[2] = dot_and_add(feats + n * channels, grad_out, a * transmittance,
                                   grad_feats + n * channels, channels);
            entry[3] = slope, entry[4] = offset_u, entry[5] = offset_v;
            transmittance *= scalar_t(1) - a;
          }
          // Back to front: behind = what layers k+1.. add, seen through layer k, minus the
          // alpha gradient times their transmittance; dL/da_k = T_k (F_k - behind).
          scalar_t behind = -grad_alpha[pixel];
          for (int32_t k = held - 1; k >= 0; --k) {
            const int64_t n = list[k];
            const scalar_t* entry = layer + 6 * k;
            const scalar_t a = entry[0], before = entry[1], dot = entry[2];
            const scalar_t grad_a = before * (dot - behind);
            behind = a * dot + (scalar_t(1) - a) * behind;
            grad_pts[3 * n] += grad_a * entry[3] * entry[4];
            grad_pts[3 * n + 1] += grad_a * entry[3] * entry[5];
          }
          grad_pts[3 * static_cast<int64_t>(list[0]) + 2] += grad_depth[pixel];
        }
      }
    }
  }
}

void check_inputs(const at::Tensor& points, const at::Tensor& features) {
  TORCH_CHECK(points.device().is_cpu() && features.device().is_cpu(),
              "splat_cpu: CPU tensors only");
  TORCH_CHECK(points.dim() == 3 && points.size(2) == 3, "splat_cpu: points must be (B, N, 3)");
  TORCH_CHECK(features.dim() == 3 && features.size(0) == points.size(0) &&
                  features.size(1) == points.size(1),
              "splat_cpu: features must be (B, N, C) with the points' B and N");
  TORCH_CHECK(points.scalar_type() == features.scalar_type(),
              "splat_cpu: points and features must share a dtype");
  TORCH_CHECK(points.is_contiguous() && features.is_contiguous(),
              "splat_cpu: contiguous tensors only");
  TORCH_CHECK(points.size(1) < std::numeric_limits<int32_t>::max(),
              "splat_cpu: at most 2^31 - 2 points per batch item");
}

}  // namespace

// points (B, N, 3) = (u, v, z) in target pixels, features (B, N, C), both contiguous, one
// floating dtype. Returns image (B, C, H, W), alpha (B, 1, H, W), depth (B, 1, H, W) and the
// kept pairs for the backward pass: pair_point (M,) int32 point indices (within their batch
// item), pixel_start (B, H, W) int64 and pixel_count (B, H, W) int32 (a pixel's points are
// pair_point[start : start + count], front to back).
std::vector<at::Tensor> splat_forward(const at::Tensor& points, const at::Tensor& features,
                                      int64_t height, int64_t width, double radius,
                                      int64_t points_per_pixel, bool quadratic) {
  check_inputs(points, features);
  TORCH_CHECK(height > 0 && width > 0 && radius > 0 && points_per_pixel > 0,
              "splat_cpu: need H, W, radius, K > 0");
  const int64_t batch = points.size(0), num_points = points.size(1), channels = features.size(2);
  const Grid grid = make_grid(height, width, radius);
  const auto options = points.options();
  at::Tensor image = at::empty({batch, channels, height, width}, options);
  at::Tensor alpha = at::empty({batch, 1, height, width}, options);
  at::Tensor depth = at::empty({batch, 1, height, width}, options);
  at::Tensor pixel_start = at::empty({batch, height, width}, options.dtype(at::kLong));
  at::Tensor pixel_count = at::empty({batch, height, width}, options.dtype(at::kInt));
  at::Tensor pair_point;
  AT_DISPATCH_FLOATING_TYPES(points.scalar_type(), "splat_forward", [&] {
    Bins<scalar_t> bins = bin_points(points.data_ptr<scalar_t>(), batch, num_points, grid,
                                           radius, points_per_pixel);
    pair_point = at::empty({bins.pair_begin.back()}, options.dtype(at::kInt));
    forward_kernel(features.data_ptr<scalar_t>(), batch, num_points, channels, grid, radius,
                   points_per_pixel, quadratic, bins, image.data_ptr<scalar_t>(),
                   alpha.data_ptr<scalar_t>(), depth.data_ptr<scalar_t>(),
                   pair_point.data_ptr<int32_t>(),
                   pixel_start.data_ptr<int64_t>(), pixel_count.data_ptr<int32_t>());
  });
  return {image, alpha, depth, pair_point, pixel_start, pixel_count};
}

// Gradients of a loss w.r.t. points (B, N, 3) and features (B, N, C), given its gradients
// w.r.t. image (B, C, H, W), alpha and depth (B, 1, H, W) and splat_forward's pairs.
std::vector<at::Tensor> splat_backward(const at::Tensor& points, const at::Tensor& features,
                                       const at::Tensor& pair_point,
                                       const at::Tensor& pixel_start,
                                       const at::Tensor& pixel_count,
                                       const at::Tensor& grad_image,
                                       const at::Tensor& grad_alpha,
                                       const at::Tensor& grad_depth, double radius,
                                       bool quadratic) {
  check_inputs(points, features);
  const int64_t batch = points.size(0), num_points = points.size(1), channels = features.size(2);
  const int64_t height = pixel_count.size(1), width = pixel_count.size(2);
  for (const at::Tensor* grad : {&grad_image, &grad_alpha, &grad_depth}) {
    TORCH_CHECK(grad->is_contiguous() && grad->scalar_type() == points.scalar_type() &&
                    grad->size(0) == batch && grad->size(2) == height && grad->size(3) == width,
                "splat_cpu: output gradients must be contiguous, in the inputs' dtype and size");
  }
  TORCH_CHECK(grad_image.size(1) == channels, "splat_cpu: grad_image has the wrong channels");
  TORCH_CHECK(pair_point.scalar_type() == at::kInt && pixel_start.scalar_type() == at::kLong &&
                  pixel_count.scalar_type() == at::kInt,
              "splat_cpu: pairs must come from splat_forward");
  const Grid grid = make_grid(height, width, radius);
  at::Tensor grad_points = at::zeros_like(points);
  at::Tensor grad_features = at::zeros_like(features);
  AT_DISPATCH_FLOATING_TYPES(points.scalar_type(), "splat_backward", [&] {
    backward_kernel(points.data_ptr<scalar_t>(), features.data_ptr<scalar_t>(), batch,
                    num_points, channels, grid, radius, quadratic,
                    pair_point.data_ptr<int32_t>(), pixel_start.data_ptr<int64_t>(),
                    pixel_count.data_ptr<int32_t>(), grad_image.data_ptr<scalar_t>(),
                    grad_alpha.data_ptr<scalar_t>(), grad_depth.data_ptr<scalar_t>(),
                    grad_points.data_ptr<scalar_t>(), grad_features.data_ptr<scalar_t>());
  });
  return {grad_points, grad_features};
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.doc() = "DANR compiled CPU splatting kernel (see danr_renderer.splatting.native)";
  m.def("splat_forward", &splat_forward, "splat forward (CPU)");
  m.def("splat_backward", &splat_backward, "splat backward (CPU)");
}

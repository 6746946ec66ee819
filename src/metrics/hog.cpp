#include "metrics/hog.h"

#include <cmath>

#include "core/build_info.h"
#include "core/error.h"
#include "core/runtime.h"
#include "metrics/correlation.h"
#include "metrics/registry.h"

namespace sanity {
namespace {

// numpy's rad2deg(arctan2(gr, gc)) % 180. A tiny negative angle rounds to exactly 180 there and
// falls in no bin; so it does here.
double orientation_degrees(double gr, double gc) {
  const double mod = std::fmod(std::atan2(gr, gc) * (180.0 / M_PI), 180.0);
  return mod < 0 ? mod + 180.0 : mod;
}

// One map, as skimage/feature/_hog.py and _hoghistogram.pyx compute it.
void hog_one(const double* img, int64_t h, int64_t w, const HogOptions& o, double* out) {
  std::vector<double> mag(static_cast<size_t>(h * w)), ori(static_cast<size_t>(h * w));
  for (int64_t r = 0; r < h; ++r)
    for (int64_t c = 0; c < w; ++c) {
      const double gr = (r > 0 && r < h - 1) ? img[(r + 1) * w + c] - img[(r - 1) * w + c] : 0.0;
      const double gc = (c > 0 && c < w - 1) ? img[r * w + c + 1] - img[r * w + c - 1] : 0.0;
      mag[r * w + c] = std::hypot(gc, gr);
      ori[r * w + c] = orientation_degrees(gr, gc);
    }
  const int64_t cells_r = h / o.cell, cells_c = w / o.cell, bins = o.orientations;
  std::vector<double> hist(static_cast<size_t>(cells_r * cells_c * bins));
  const double per_bin = 180.0 / static_cast<double>(bins);
  for (int64_t cr = 0; cr < cells_r; ++cr)
    for (int64_t cc = 0; cc < cells_c; ++cc)
      for (int64_t b = 0; b < bins; ++b) {
        const double lo = per_bin * static_cast<double>(b), hi = per_bin * static_cast<double>(b + 1);
        float total = 0.f;  // skimage's cell_hog accumulates in a C float
        for (int64_t r = cr * o.cell; r < (cr + 1) * o.cell; ++r)
          for (int64_t c = cc * o.cell; c < (cc + 1) * o.cell; ++c) {
            const double a = ori[r * w + c];
            if (a >= hi || a < lo) continue;
            total = static_cast<float>(total + mag[r * w + c]);
          }
        hist[(cr * cells_c + cc) * bins + b] = total / static_cast<float>(o.cell * o.cell);
      }
  // L2-Hys per block of block x block cells, blocks sliding by one cell.
  const double eps = 1e-5;
  const int64_t blocks_r = cells_r - o.block + 1, blocks_c = cells_c - o.block + 1;
  const int64_t block_len = o.block * o.block * bins;
  std::vector<double> v(static_cast<size_t>(block_len));
  for (int64_t br = 0; br < blocks_r; ++br)
    for (int64_t bc = 0; bc < blocks_c; ++bc) {
      int64_t k = 0;
      for (int64_t i = 0; i < o.block; ++i)
        for (int64_t j = 0; j < o.block; ++j)
          for (int64_t b = 0; b < bins; ++b) v[k++] = hist[((br + i) * cells_c + bc + j) * bins + b];
      double ss = 0;
      for (double x : v) ss += x * x;
      double norm = std::sqrt(ss + eps * eps);
      ss = 0;
      for (double& x : v) {
        x = std::min(x / norm, 0.2);
        ss += x * x;
      }
      norm = std::sqrt(ss + eps * eps);
      double* dst = out + (br * blocks_c + bc) * block_len;
      for (int64_t q = 0; q < block_len; ++q) dst[q] = v[q] / norm;
    }
}

class HogMetric : public Metric {
 public:
  HogMetric(const MetricSpec& spec, Direction d) : Metric(spec, d) {
    options_.block = spec.get_int("block", 3);
    options_.orientations = spec.get_int("bins", 9);
    auto_cell_ = spec.get_string("cell", "auto") == "auto";
    if (!auto_cell_) options_.cell = spec.get_int("cell", 16);
    pearson_ = spec.get_string("corr", "spearman") == "pearson";
    opencv_ = spec.get_string("impl", "skimage") == "opencv";
    if (opencv_) require_opencv("hog(impl=opencv)", kHogWithoutOpencv);
  }

  MetricSpec spec_for(at::IntArrayRef shape) const override {
    MetricSpec s = spec();
    s.options["cell"] = std::to_string(options_for(shape).cell);
    return s;
  }

 protected:
  torch::Tensor score(const torch::Tensor& original, const torch::Tensor& other) const override {
    const HogOptions o = options_for(original.sizes());
    torch::Tensor a = prepare_maps(original, Preparation::Unit), b = prepare_maps(other, Preparation::Unit);
    torch::Tensor fa = opencv_ ? hog_features_opencv(a, o) : hog_features(a, o);
    torch::Tensor fb = opencv_ ? hog_features_opencv(b, o) : hog_features(b, o);
    return pearson_ ? pearson_rows(fa, fb) : spearman_rows(fa, fb);
  }

 private:
  HogOptions options_for(at::IntArrayRef shape) const {
    HogOptions o = options_;
    const int64_t h = shape[shape.size() - 2], w = shape[shape.size() - 1];
    if (auto_cell_) o.cell = hog_auto_cell(h, w, o.block, 16);
    check_hog_size(h, w, o);
    return o;
  }

  HogOptions options_;
  bool auto_cell_ = true, pearson_ = false, opencv_ = false;
};

}  // namespace

void check_hog_size(int64_t h, int64_t w, const HogOptions& o) {
  if (o.cell < 1 || o.block < 1 || o.orientations < 1)
    throw InputError("hog: cell, block and orientations must be positive");
  if (h / o.cell < o.block || w / o.cell < o.block)
    throw InputError("hog: " + std::to_string(o.block) + "x" + std::to_string(o.block) + " blocks of " +
                     std::to_string(o.cell) + "-pixel cells need maps of at least " +
                     std::to_string(o.block * o.cell) + "x" + std::to_string(o.block * o.cell) + " pixels, got " +
                     std::to_string(h) + "x" + std::to_string(w) + " (use cell=auto or a smaller cell)");
}

torch::Tensor hog_input(const torch::Tensor& maps) {
  if (!(maps.dim() == 3 || (maps.dim() == 4 && maps.size(1) == 1)))
    throw InputError("hog: expected one-channel maps [N, H, W] or [N, 1, H, W], got " + std::to_string(maps.dim()) +
                     " dimensions" + (maps.dim() == 4 ? " with " + std::to_string(maps.size(1)) + " channels" : ""));
  return maps.to(torch::kFloat64).reshape({maps.size(0), maps.size(-2), maps.size(-1)}).contiguous();
}

int64_t hog_auto_cell(int64_t h, int64_t w, int64_t block, int64_t preferred) {
  return std::max<int64_t>(1, std::min(preferred, std::min(h, w) / std::max<int64_t>(block, 1)));
}

torch::Tensor hog_features(const torch::Tensor& maps, const HogOptions& o) {
  torch::Tensor x = hog_input(maps);
  const int64_t n = x.size(0), h = x.size(1), w = x.size(2);
  check_hog_size(h, w, o);
  if (!cpu_fast_path(x)) return hog_features_tensor(x, o);
  const int64_t d = (h / o.cell - o.block + 1) * (w / o.cell - o.block + 1) * o.block * o.block * o.orientations;
  torch::Tensor out = torch::empty({n, d}, torch::kFloat64);
  for (int64_t i = 0; i < n; ++i)
    hog_one(x.data_ptr<double>() + i * h * w, h, w, o, out.data_ptr<double>() + i * d);
  return out;
}

void register_hog_metric(MetricRegistry& r) {
  Option cell = number_or_word_option("cell", {"auto"}, "pixels per cell: a number, or auto (16, smaller when one "
                                                               "block does not fit)");
  cell.check = [](const std::string& v) {
    return v == "auto" || (std::stod(v) >= 1 && std::stod(v) == std::floor(std::stod(v))) ? "" : "must be a positive integer or auto";
  };
  r.add({{"hog", "rank correlation of the HOG vectors of the maps min-max scaled to [0, 1] (9 bins, L2-Hys blocks)",
          {cell, integer_option("block", 3, "cells per block side", 1, 64),
           integer_option("bins", 9, "orientation bins over 0..180 degrees", 1, 360),
           choice_option("corr", {"spearman", "pearson"},
                         "correlation of the HOG vectors: spearman (the authors' code) or pearson (the paper's text)"),
           choice_option("impl", {"skimage", "opencv"}, "skimage (skimage.feature.hog exactly) or opencv (cv::HOGDescriptor)")}},
         Direction::HigherIsMoreSimilar,
         [](const MetricSpec& s, const MetricInfo& i) -> MetricPtr { return std::make_shared<HogMetric>(s, i.direction); }});
}

}  // namespace sanity

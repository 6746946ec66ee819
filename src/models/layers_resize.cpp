// Resize (layers_user_models.h): ONNX's coordinate formulas, one axis at a time.
#include <cmath>
#include <sstream>

#include "core/error.h"
#include "models/layers.h"

namespace sanity {
namespace {

// The input coordinate an output index o reads (ONNX coordinate_transformation_mode).
double source(const std::string& mode, int64_t o, double scale, int64_t in, int64_t out) {
  if (mode == "asymmetric") return static_cast<double>(o) / scale;
  if (mode == "align_corners") return out == 1 ? 0.0 : static_cast<double>(o) * static_cast<double>(in - 1) / static_cast<double>(out - 1);
  if (mode == "pytorch_half_pixel") return out > 1 ? (static_cast<double>(o) + 0.5) / scale - 0.5 : 0.0;
  if (mode == "tf_half_pixel_for_nearest") return (static_cast<double>(o) + 0.5) / scale;
  return (static_cast<double>(o) + 0.5) / scale - 0.5;  // half_pixel, ONNX's default
}

int64_t nearest_index(const std::string& rule, double x) {
  const double f = std::floor(x);
  if (rule == "floor") return static_cast<int64_t>(f);
  if (rule == "ceil") return static_cast<int64_t>(std::ceil(x));
  if (x - f == 0.5) return static_cast<int64_t>(rule == "round_prefer_ceil" ? f + 1 : f);
  return static_cast<int64_t>(std::round(x));
}

// One axis's map: out[o] = sum over taps t of weight[t][o] * in[index[t][o]] (one tap for nearest,
// two for linear; indices clamped to the edge, as ONNX pads with the edge value).
struct AxisMap {
  int64_t axis, in, out;
  std::vector<Tensor> index, weight;
};

AxisMap axis_map(const Resize& r, const Resize::Axis& a, int64_t in, int64_t rank) {
  const int64_t axis = a.axis < 0 ? a.axis + rank : a.axis;
  const int64_t out = a.size > 0 ? a.size : static_cast<int64_t>(std::floor(static_cast<double>(in) * a.scale));
  if (out < 1) throw InputError("resize: axis " + std::to_string(axis) + " of size " + std::to_string(in) + " resizes to nothing");
  const double scale = a.size > 0 ? static_cast<double>(out) / static_cast<double>(in) : a.scale;
  const int taps = r.mode == Resize::Mode::Nearest ? 1 : 2;
  std::vector<std::vector<int64_t>> idx(taps, std::vector<int64_t>(out));
  std::vector<std::vector<float>> w(taps, std::vector<float>(out));
  auto clamp = [in](int64_t i) { return std::clamp<int64_t>(i, 0, in - 1); };
  for (int64_t o = 0; o < out; ++o) {
    const double x = source(r.coordinates, o, scale, in, out);
    if (taps == 1) {
      idx[0][o] = clamp(nearest_index(r.nearest, x));
      w[0][o] = 1.0f;
      continue;
    }
    const double lo = std::floor(x), frac = x - lo;
    idx[0][o] = clamp(static_cast<int64_t>(lo));
    idx[1][o] = clamp(static_cast<int64_t>(lo) + 1);
    w[0][o] = static_cast<float>(1.0 - frac);
    w[1][o] = static_cast<float>(frac);
  }
  AxisMap m{axis, in, out, {}, {}};
  std::vector<int64_t> shape(static_cast<size_t>(rank), 1);
  shape[static_cast<size_t>(axis)] = out;
  for (int t = 0; t < taps; ++t) {
    m.index.push_back(torch::tensor(idx[t], torch::kInt64));
    m.weight.push_back(torch::tensor(w[t], torch::kFloat32).reshape(shape));
  }
  return m;
}

// The maps of every axis for an input of this shape, in the order the forward applies them.
std::vector<AxisMap> maps_for(const Resize& r, at::IntArrayRef shape) {
  std::vector<AxisMap> maps;
  for (const auto& a : r.axes) {
    const int64_t axis = a.axis < 0 ? a.axis + static_cast<int64_t>(shape.size()) : a.axis;
    if (axis < 0 || axis >= static_cast<int64_t>(shape.size()))
      throw InputError("resize: axis " + std::to_string(a.axis) + " of a rank-" + std::to_string(shape.size()) + " input");
    maps.push_back(axis_map(r, a, shape[static_cast<size_t>(axis)], static_cast<int64_t>(shape.size())));
  }
  return maps;
}

Tensor apply_map(const Tensor& x, const AxisMap& m) {
  Tensor y = x.index_select(m.axis, m.index[0].to(x.device()));
  if (m.index.size() == 1) return y;
  y = y * m.weight[0].to(x.device(), x.scalar_type());
  return y + x.index_select(m.axis, m.index[1].to(x.device())) * m.weight[1].to(x.device(), x.scalar_type());
}

// The transpose of apply_map: each output sample's gradient, weighted, back onto the samples it read.
Tensor transpose_map(const Tensor& g, const AxisMap& m, at::IntArrayRef input_shape) {
  Tensor gx = at::zeros(input_shape, g.options());
  for (size_t t = 0; t < m.index.size(); ++t) {
    const Tensor part = m.index.size() == 1 ? g : g * m.weight[t].to(g.device(), g.scalar_type());
    gx.index_add_(m.axis, m.index[t].to(g.device()), part);
  }
  return gx;
}

}  // namespace

Resize::Resize(Mode mode_, std::string coordinates_, std::string nearest_, std::vector<Axis> axes_)
    : mode(mode_), coordinates(std::move(coordinates_)), nearest(std::move(nearest_)), axes(std::move(axes_)) {}

Tensor Resize::forward(const Tensors& in, bool) const {
  Tensor y = in.at(0);
  for (const auto& m : maps_for(*this, y.sizes())) y = apply_map(y, m);
  return y;
}

Tensors Resize::backward(const Tensors& in, const Tensor&, const Tensor& g) const {
  const Tensor& x = in.at(0);
  const auto maps = maps_for(*this, x.sizes());
  std::vector<std::vector<int64_t>> shapes{x.sizes().vec()};  // the input of each map
  for (const auto& m : maps) {
    shapes.push_back(shapes.back());
    shapes.back()[static_cast<size_t>(m.axis)] = m.out;
  }
  Tensor gx = g;
  for (size_t i = maps.size(); i-- > 0;) gx = transpose_map(gx, maps[i], shapes[i]);
  return {gx};
}

std::string Resize::describe() const {
  std::ostringstream o;
  o << (mode == Mode::Nearest ? "nearest (" + nearest + ")" : std::string("linear")) << ", " << coordinates;
  for (const auto& a : axes) {
    o << ", axis " << a.axis;
    if (a.size > 0) o << " to " << a.size;
    else o << " x" << a.scale;
  }
  return o.str();
}

}  // namespace sanity

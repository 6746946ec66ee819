// heatmap.cpp's functions in the lean build (SANITY_WITH_OPENCV=OFF): PNG heatmaps need OpenCV's
// colormaps and encoder, so they refuse; the maps themselves are written as .npy either way.
#include "attribution/heatmap.h"

#include "core/build_info.h"

namespace sanity {

const char* const kHeatmapWithoutOpenCV = "write .npy maps here (sanity explain --no-png) and draw them with a full build";

torch::Tensor render_heatmap(const torch::Tensor&, const HeatmapOptions&, const torch::Tensor&) {
  refuse_without_opencv("heatmap PNG", kHeatmapWithoutOpenCV);
}

void write_png(const std::string&, const torch::Tensor&) { refuse_without_opencv("heatmap PNG", kHeatmapWithoutOpenCV); }

}  // namespace sanity

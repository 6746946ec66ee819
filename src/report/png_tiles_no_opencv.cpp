// png_tiles.cpp's functions in the lean build (SANITY_WITH_OPENCV=OFF): the saliency grids' tiles are
// encoded with OpenCV. report.cpp leaves the grids out of a lean build's report; a direct call refuses.
#include "core/build_info.h"
#include "report/png_tiles.h"

namespace sanity::report {

const char* const kGridWithoutOpenCV = "report the study with a full build to draw its saliency grids";

std::string png_tile(const torch::Tensor&, bool, int) { refuse_without_opencv("saliency grid PNG", kGridWithoutOpenCV); }

std::string colorbar_png() { refuse_without_opencv("saliency grid PNG", kGridWithoutOpenCV); }

}  // namespace sanity::report

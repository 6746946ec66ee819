#include "core/build_info.h"

#include "core/error.h"

// CMake defines SANITY_WITH_OPENCV (0 or 1) for this file alone, so that the option does not change
// the flags, and the precompiled header, of every other source.
#ifndef SANITY_WITH_OPENCV
#error "SANITY_WITH_OPENCV must be defined (0 or 1) by CMakeLists.txt for this file"
#endif

namespace sanity {

bool sanity_built_with_opencv() { return SANITY_WITH_OPENCV != 0; }

void refuse_without_opencv(const std::string& what, const std::string& instead) {
  throw InputError(what + ": this sanity was built without OpenCV (SANITY_WITH_OPENCV=OFF, the lean GPU build); " +
                   instead);
}

void require_opencv(const std::string& what, const std::string& instead) {
  if (!sanity_built_with_opencv()) refuse_without_opencv(what, instead);
}

std::string opencv_build_line() {
  if (sanity_built_with_opencv())
    return "OpenCV: in the build (heatmap PNGs, report saliency grids, image folders, hog(impl=opencv))";
  return "OpenCV: not in the build (SANITY_WITH_OPENCV=OFF, the lean GPU build): no heatmap PNGs, report saliency "
         "grids, image folders or hog(impl=opencv)";
}

}  // namespace sanity

#pragma once
// What this build of sanity holds beyond its core. OpenCV is optional (CMake option SANITY_WITH_OPENCV,
// default ON): the lean build without it (scripts/gpu.sh, for GPU machines with no network and none of
// Debian's OpenCV packages) computes everything, but cannot draw or decode images. Each entry point
// that needs OpenCV then refuses with require_opencv's one line, before any work where it can.
#include <string>

namespace sanity {

// Whether OpenCV was linked in: heatmap PNGs, report saliency grids, image folders, hog(impl=opencv).
bool sanity_built_with_opencv();

// Throws InputError, one line (the lean build's stubs, *_no_opencv.cpp, call it):
//   "<what>: this sanity was built without OpenCV (SANITY_WITH_OPENCV=OFF, the lean GPU build); <instead>"
[[noreturn]] void refuse_without_opencv(const std::string& what, const std::string& instead);

// Nothing in a build with OpenCV; refuse_without_opencv in a lean one. For refusing before any work.
void require_opencv(const std::string& what, const std::string& instead);

// "OpenCV: in the build (...)" or "OpenCV: not in the build (...)", for `sanity info`.
std::string opencv_build_line();

}  // namespace sanity

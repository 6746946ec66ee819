#pragma once
// The modified-backprop family's registration, one function per source file; the registry calls
// register_modified_backprop_methods (registry.h), which calls these.
#include "attribution/registry.h"

namespace sanity {

void register_lrp_methods(MethodRegistry& r);      // lrp_methods.cpp: LRP presets, DTD, Excitation BP
void register_deeplift_method(MethodRegistry& r);  // deeplift.cpp
void register_rectgrad_method(MethodRegistry& r);  // rectgrad.cpp
void register_pattern_methods(MethodRegistry& r);  // pattern_methods.cpp

}  // namespace sanity

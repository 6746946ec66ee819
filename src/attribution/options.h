#pragma once
// Option helpers shared by the method families: checked reads of MethodSpec options and the
// canonical text of numbers, so that spec() records every default the same way everywhere.
#include <cstdint>
#include <string>
#include <vector>

#include "attribution/spec.h"

namespace sanity {

// Shortest text that reads back as the same double ("0.15", "50", "1e-06").
std::string format_number(double v);

// One of `valid` (first entry is the default when the option is absent); throws InputError
// naming the method, the option and the valid values otherwise.
std::string get_choice(const MethodSpec& spec, const std::string& key, const std::vector<std::string>& valid);

// An integer >= min_value; throws InputError naming the method and the option otherwise.
int64_t get_int_at_least(const MethodSpec& spec, const std::string& key, int64_t fallback, int64_t min_value);

// A finite number >= min_value.
double get_double_at_least(const MethodSpec& spec, const std::string& key, double fallback, double min_value);

}  // namespace sanity

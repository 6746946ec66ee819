#pragma once
// Declared options of everything a registry builds (methods, LRP rules, composites, metrics,
// checks): key, type, default, help and the valid values. The registry checks a spec against them
// before any factory runs, fills in the defaults, and writes numbers one way, so that
//   integrated_gradients(steps=050)  and  integrated_gradients  both build and record
//   integrated_gradients(baseline=zero, rule=linspace, steps=50).
// `sanity list`, --help, docs/REGISTRY.md and the "valid options: ..." errors all come from here.
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/spec.h"

namespace sanity {

enum class OptionType {
  Integer,  // whole number within [min, max]
  Number,   // finite number within [min, max], or one of `words` ("auto")
  Choice,   // one of `words`
  Text,     // any text (a layer name, a file)
};

struct Option {
  std::string key;
  OptionType type = OptionType::Text;
  std::string fallback;  // the default as written in a spec; empty: none (absent means what `help` says)
  std::string help;      // one line
  std::vector<std::string> words;  // Choice: the valid values; Number: words accepted besides numbers
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  // Extra validation of a well-typed value; returns "" or what is wrong ("must be a fraction in (0, 1]").
  std::function<std::string(const std::string& value)> check;
};

// Builders, for declarations that read like a table.
Option integer_option(std::string key, int64_t fallback, std::string help, int64_t min = 1,
                      int64_t max = std::numeric_limits<int32_t>::max());
Option number_option(std::string key, double fallback, std::string help, double min = -std::numeric_limits<double>::infinity(),
                     double max = std::numeric_limits<double>::infinity());
// A number, or one of `words` (the first word is the default): zbox(low=auto), deeplift(reference=zero).
Option number_or_word_option(std::string key, std::vector<std::string> words, std::string help);
Option choice_option(std::string key, std::vector<std::string> choices, std::string help);  // first: default
Option text_option(std::string key, std::string fallback, std::string help);
// An option without a default: absent means what `help` says (integrated_gradients' blur_sigma).
Option optional(Option o);

// Shortest text that reads back as the same double ("0.15", "50", "1e-06").
std::string format_number(double v);

// Checks `given` against `options` and returns it with every default filled in and numbers in
// their canonical text. `what` names the owner in errors ("method integrated_gradients"): unknown
// keys list the valid ones, values say what was expected. Wrapped specs are left as they are.
Spec resolve_options(const Spec& given, const std::vector<Option>& options, const std::string& what);

// "steps=50", "baseline=zero|uniform|blur", "blur_sigma" (no default): for listings.
std::string option_synopsis(const Option& o);
// The type in words: "integer >= 1", "number", "zero|uniform|blur", "text".
std::string option_type_text(const Option& o);

}  // namespace sanity

#include "api/study.h"

namespace sanity::api {
namespace {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& s : parse_method_list(text)) out.push_back(s.str());
  return out;
}

}  // namespace

void apply_check_lists(CheckConfig& c, const CheckLists& lists) {
  c.methods = split_list(lists.methods);
  c.checks = split_list(lists.checks);
  if (!lists.layers.empty()) c.layers = split_list(lists.layers);
  c.reinit.distribution = parse_reinit_distribution(lists.init);
  c.reinit.include_bias = !lists.keep_bias;
  c.reinit.seed = c.data.testbed.seed;
}

}  // namespace sanity::api

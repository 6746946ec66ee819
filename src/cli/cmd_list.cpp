// sanity list: every method, LRP rule, LRP composite, metric and check with its options and defaults,
// from the registries (api/listing.h).
#include "api/listing.h"
#include "cli/commands.h"

namespace sanity::cli {

Command make_list_command() {
  struct Args {
    std::string kind;
    bool markdown = false;
  };
  auto a = std::make_shared<Args>();
  Command c;
  c.add = [a](CLI::App& app) {
    auto* s = app.add_subcommand("list", "List every method, LRP rule, LRP composite, metric and check with its "
                                         "options and defaults");
    s->add_option("kind", a->kind, "methods, rules, composites, metrics or checks (default: all); settings: the settings tables");
    s->add_flag("--markdown", a->markdown, "markdown tables (docs/REGISTRY.md; settings: docs/SETTINGS.md)");
    return s;
  };
  c.execute = [a] {
    std::printf("%s", (a->markdown ? api::listing_markdown(a->kind) : api::listing(a->kind)).c_str());
    return 0;
  };
  return c;
}

}  // namespace sanity::cli

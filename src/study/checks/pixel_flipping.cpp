// Faithfulness of the trained model's maps as a check (faithfulness/): pixel flipping (MoRF/LeRF,
// AOPC) and insertion/deletion, one unit per method at stage -1, under the configuration's protocol
// (CheckConfig::faithfulness, part of the run's identity).
#include "faithfulness/record.h"
#include "study/checks/check.h"
#include "study/checks/context.h"

namespace sanity {
namespace {

class PixelFlipping : public Check {
 public:
  using Check::Check;
  std::vector<Stage> stages(const CheckContext& c) const override {
    return {{-1, "faithfulness " + c.config().faithfulness.to_json().dump(), {}}};
  }
  bool keeps_maps() const override { return false; }

 protected:
  bool has_stage_unit() const override { return false; }
  // The trained model's maps (cached like every check's originals), for the trained model's targets.
  Tensor measure(CheckContext& c, const Stage&, const PreparedMethod& m,
                 std::vector<Measurement>& rows) const override {
    const FaithfulnessResult r = evaluate_faithfulness(c.trained(), c.images(), c.original(m), m.method->map_kind(),
                                                       c.trained_targets(), c.ids(), c.config().faithfulness,
                                                       c.batch_size(), c.seed());
    rows = faithfulness_rows(r, c.ids());
    return {};
  }
};

}  // namespace

void register_pixel_flipping_check(CheckRegistry& r) {
  CheckInfo info{{kFaithfulnessCheck, "pixel flipping (MoRF/LeRF, AOPC) and insertion/deletion of the trained model's "
                                      "maps; protocol: the faithfulness settings (docs/FAITHFULNESS.md)",
                  {}}};
  info.make = [](const Spec& s) { return std::make_shared<PixelFlipping>(s); };
  info.config_identity = [](const CheckConfig& c, nlohmann::json& j) { j["faithfulness"] = c.faithfulness.to_json(); };
  info.report.figure = CheckReport::Figure::Faithfulness;
  r.add(std::move(info));
}

}  // namespace sanity

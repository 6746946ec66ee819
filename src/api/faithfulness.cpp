#include "api/faithfulness.h"

#include <chrono>

#include "attribution/explain_batch.h"
#include "core/progress.h"
#include "models/train.h"

namespace sanity::api {

FaithfulnessRun faithfulness(const Graph& model, const Tensor& images, const Tensor& ids, const FaithfulnessRequest& r,
                             const std::function<void(const MethodFaithfulness&)>& sink) {
  r.options.validate();
  const std::vector<MethodPtr> methods = make_methods(r.methods);
  model.check_input(images, r.data_name);
  const Tensor x = images.to(model.device());
  FaithfulnessRun run;
  const Tensor logits = predict_logits(model, x, r.batch_size);
  require_finite_outputs(logits, r.data_name);
  run.targets = logits.argmax(1).cpu();
  ExplainOptions explain{r.batch_size, r.seed};
  explain.precision = r.precision;
  if (r.fit) {
    explain.fit_data = r.fit->data.size() > 0 ? &r.fit->data : nullptr;
    explain.cache_dir = r.fit->cache_dir;
  }
  MethodScores table;
  for (const MethodPtr& method : methods) {
    interruption_point();
    MethodFaithfulness m;
    m.spec = method->spec().str();
    m.kind = method->map_kind();
    m.by_magnitude = orders_by_magnitude(r.options, m.kind);
    const auto start = std::chrono::steady_clock::now();
    const Tensor maps = explain_all(*method, model, x, run.targets, ids, explain);
    m.result = evaluate_faithfulness(model, x, maps, m.kind, run.targets, ids, r.options, r.batch_size, r.seed);
    m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    m.means = mean_scores(m.result);
    m.targets = run.targets;
    table[m.spec] = m.means;
    sink(m);
  }
  run.ranking = rank_methods(table, faithfulness_measures());
  return run;
}

}  // namespace sanity::api

#include "study/check_tasks.h"

#include <map>

#include "distributed/bytes.h"
#include "study/checks/context.h"

namespace sanity {

namespace {

using distributed::ByteReader;
using distributed::ByteWriter;

const Check& find_check(const std::vector<CheckPtr>& checks, const std::string& name) {
  for (const auto& c : checks)
    if (c->name() == name) return *c;
  throw std::logic_error("no check " + name + " in this run");
}

void write_tensor(ByteWriter& w, const Tensor& t) {
  w.u64(t.defined() ? 1 : 0);
  if (!t.defined()) return;
  const Tensor c = t.detach().to(torch::kCPU).contiguous();
  w.i64(static_cast<int64_t>(c.scalar_type())).u64(static_cast<uint64_t>(c.dim()));
  for (int64_t d : c.sizes()) w.i64(d);
  w.u64(c.nbytes()).raw(c.data_ptr(), c.nbytes());
}

Tensor read_tensor(ByteReader& r) {
  if (r.u64() == 0) return {};
  const auto type = static_cast<torch::ScalarType>(r.i64());
  std::vector<int64_t> sizes(r.u64());
  for (auto& d : sizes) d = r.i64();
  Tensor t = torch::empty(sizes, torch::TensorOptions().dtype(type));
  if (r.u64() != t.nbytes()) throw std::runtime_error("a map between ranks has the wrong size");
  r.raw(t.data_ptr(), t.nbytes());
  return t;
}

}  // namespace

TaskPlan plan_tasks(const std::vector<CheckPtr>& checks, CheckContext& c, const distributed::Shard& shard) {
  TaskPlan plan;
  for (const auto& check : checks) {
    std::map<std::pair<int64_t, std::string>, size_t> groups;  // (stage, group) -> task
    for (const UnitKey& u : check->units(c)) {
      const std::string shared = u.method.empty() ? "" : c.method(u.method).method->shared_work();
      const std::string group = shared.empty() ? u.method : shared;
      if (!shard.owns(check->name() + "/" + std::to_string(u.stage) + "/" + group)) continue;
      if (c.store().is_done({c.run(), check->name(), u.stage, u.method})) {
        plan.units_skipped += !u.method.empty();
        continue;
      }
      plan.units_todo += !u.method.empty();
      const auto [it, added] = groups.try_emplace({u.stage, group}, plan.tasks.size());
      if (added) plan.tasks.push_back({check->name(), u.stage, {}});
      plan.tasks[it->second].methods.push_back(u.method);
    }
  }
  return plan;
}

std::vector<UnitOutput> compute_task(const std::vector<CheckPtr>& checks, CheckContext& c, const CheckTask& task) {
  const Check& check = find_check(checks, task.check);
  std::vector<UnitOutput> out;
  for (const std::string& m : task.methods) out.push_back(check.compute(c, {task.stage, m}));
  return out;
}

int64_t commit_task(const std::vector<CheckPtr>& checks, CheckContext& c, const CheckTask& task,
                    const std::vector<UnitOutput>& outputs) {
  const Check& check = find_check(checks, task.check);
  int64_t committed = 0;
  for (size_t i = 0; i < task.methods.size(); ++i) {
    const std::string& method = task.methods[i];
    const UnitOutput& o = outputs.at(i);
    for (const auto& [stage, label] : o.labels) c.store().label_stage(c.run(), task.check, stage, label);
    // The maps before the marker: a unit marked done always has its maps (verify_saved_maps).
    if (!method.empty() && check.keeps_maps()) c.save_grid_maps(task.check, task.stage, c.method(method), o.maps);
    for (const auto& [stage, rows] : o.units) c.store().record_unit({c.run(), task.check, stage, method}, rows);
    committed += !method.empty();
  }
  return committed;
}

std::string describe(const CheckTask& task) {
  std::string s = task.check + " stage " + std::to_string(task.stage) + ":";
  for (size_t i = 0; i < task.methods.size(); ++i)
    s += (i ? ", " : " ") + (task.methods[i].empty() ? std::string("stage quantities") : task.methods[i]);
  return s;
}

std::string encode_task(const CheckTask& task) {
  ByteWriter w;
  w.str(task.check).i64(task.stage).u64(task.methods.size());
  for (const auto& m : task.methods) w.str(m);
  return w.take();
}

CheckTask decode_task(const std::string& bytes) {
  ByteReader r(bytes);
  CheckTask t;
  t.check = r.str();
  t.stage = r.i64();
  t.methods.resize(r.u64());
  for (auto& m : t.methods) m = r.str();
  return t;
}

std::string encode_outputs(const std::vector<UnitOutput>& outputs) {
  ByteWriter w;
  w.u64(outputs.size());
  for (const UnitOutput& o : outputs) {
    w.u64(o.labels.size());
    for (const auto& [stage, label] : o.labels) w.i64(stage).str(label);
    w.u64(o.units.size());
    for (const auto& [stage, rows] : o.units) {
      w.i64(stage).u64(rows.size());
      for (const Measurement& m : rows) w.str(m.metric).f64(m.value).i64(m.image).i64(m.step).str(m.layer);
    }
    write_tensor(w, o.maps);
  }
  return w.take();
}

std::vector<UnitOutput> decode_outputs(const std::string& bytes) {
  ByteReader r(bytes);
  std::vector<UnitOutput> outputs(r.u64());
  for (UnitOutput& o : outputs) {
    o.labels.resize(r.u64());
    for (auto& [stage, label] : o.labels) {
      stage = r.i64();
      label = r.str();
    }
    o.units.resize(r.u64());
    for (auto& [stage, rows] : o.units) {
      stage = r.i64();
      rows.resize(r.u64());
      for (Measurement& m : rows) {
        m.metric = r.str();
        m.value = r.f64();
        m.image = r.i64();
        m.step = r.i64();
        m.layer = r.str();
      }
    }
    o.maps = read_tensor(r);
  }
  if (!r.done()) throw std::runtime_error("a result between ranks has trailing bytes (a different build?)");
  return outputs;
}

}  // namespace sanity

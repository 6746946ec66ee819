#pragma once
// The work of one `sanity check` run as tasks: the units the store does not hold yet (of this shard,
// when the study is split), grouped so that units sharing work (SmoothGrad and VarGrad of one noise
// pass) are computed together; computing a task, which any process of a distributed run can do; and
// committing its outputs, which only the process that writes the study does (check_runner.h). Tasks
// and outputs travel between processes as bytes (encode_*, decode_*): values bit for bit.
#include <string>
#include <vector>

#include "distributed/shard.h"
#include "study/checks/check.h"

namespace sanity {

struct CheckTask {
  std::string check;
  int64_t stage = 0;
  std::vector<std::string> methods;  // '' = the stage's own quantities
};

struct TaskPlan {
  std::vector<CheckTask> tasks;
  // Method units (what the progress bar and the summary count; stage quantities are not counted).
  int64_t units_todo = 0, units_skipped = 0;
};

// Tasks in the checks' order. A unit (or group of units sharing work) belongs to the shard that owns
// "check/stage/group" (distributed/shard.h), so the split depends on neither the order nor what is done.
TaskPlan plan_tasks(const std::vector<CheckPtr>& checks, CheckContext& c, const distributed::Shard& shard);

// One output per method of the task, in its order.
std::vector<UnitOutput> compute_task(const std::vector<CheckPtr>& checks, CheckContext& c, const CheckTask& task);
// Stage labels, grid maps, then each unit's rows with its completion marker. Returns the method units
// committed.
int64_t commit_task(const std::vector<CheckPtr>& checks, CheckContext& c, const CheckTask& task,
                    const std::vector<UnitOutput>& outputs);

// "cascading stage 2: smoothgrad(gradient, n=50, sigma=0.15), vargrad(...)"
std::string describe(const CheckTask& task);

std::string encode_task(const CheckTask& task);
CheckTask decode_task(const std::string& bytes);
std::string encode_outputs(const std::vector<UnitOutput>& outputs);
std::vector<UnitOutput> decode_outputs(const std::string& bytes);

}  // namespace sanity

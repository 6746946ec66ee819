#pragma once
// The building blocks every gradient-type method shares: input checks, chunking of rows into
// batches, and one backward sweep from the target logit down to the input (models/backprop.h).
#include <functional>
#include <string>

#include "attribution/method.h"
#include "models/backprop.h"

namespace sanity {

// Throws InputError unless x is [N, C, H, W] as the model expects and targets is [N] integer.
void check_attribution_inputs(const AttributionContext& ctx, const Tensor& x, const Tensor& targets,
                              const std::string& method);

// The ids of the images in x: ctx.image_ids, or 0..N-1 when the caller gave none.
Tensor image_ids_or_range(const AttributionContext& ctx, int64_t n);

// Calls fn(start, length) for consecutive chunks of at most `batch` of `rows` rows.
void for_each_chunk(int64_t rows, int64_t batch, const std::function<void(int64_t start, int64_t length)>& fn);

// One-hot seeds at the logits for the target classes; InputError if a class is out of range.
Tensor target_seed(const Tensor& logits, const Tensor& targets);

// The signal arriving at the input when one_hot(targets) is sent back from the logits: the gradient
// when `rules` is null, Guided Backprop etc. with rules. One forward and one sweep for all rows.
Tensor input_signal(const Graph& model, const Tensor& x, const Tensor& targets, const RuleSet* rules = nullptr);

// input_signal over rows in chunks of batch_size (bounded memory for large inputs).
Tensor input_signal_batched(const Graph& model, const Tensor& x, const Tensor& targets, int64_t batch_size,
                            const RuleSet* rules = nullptr);

// The target logit S_c(x) for every row, in chunks of batch_size.
Tensor target_logits(const Graph& model, const Tensor& x, const Tensor& targets, int64_t batch_size);

}  // namespace sanity

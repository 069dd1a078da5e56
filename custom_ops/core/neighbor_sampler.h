// Neighbor sampling over a CsrGraph: fixed fanout (k per row, padded) and full
// neighbor lists (ragged, optionally capped), with an optional temporal filter.
//
// Randomness: row r of a call draws only from RowRandom(philox, r), so the
// output depends on the seed and the inputs alone, never on threading.
#ifndef TFGLE_CORE_NEIGHBOR_SAMPLER_H_
#define TFGLE_CORE_NEIGHBOR_SAMPLER_H_

#include <cstdint>
#include <string>

#include "custom_ops/core/csr_graph.h"
#include "custom_ops/core/executor.h"
#include "custom_ops/core/philox.h"
#include "custom_ops/core/sampling_index.h"
#include "custom_ops/core/status.h"

namespace tfgle {

enum class NeighborStrategy {
  kRandom,                   // uniform, with replacement
  kRandomWithoutReplacement, // distinct edges (Floyd's algorithm, O(k)); all when degree <= k
  kEdgeWeight,               // ∝ edge weight, with replacement (alias tables, O(1) per draw)
  kTopK,                     // the first k in the row's order (weight or timestamp descending)
  kInDegree,                 // ∝ the neighbor's in-degree, with replacement
};
// Names as the ops spell them: "random", "random_without_replacement",
// "edge_weight", "topk", "in_degree".
Status ParseNeighborStrategy(const std::string& name, NeighborStrategy* out);

// How rows with fewer than k samples are completed (the mask marks padding).
enum class Padding {
  kDefault,   // default_id, edge id -1
  kCircular,  // repeat the row's samples cyclically (rows without any: default_id)
};
Status ParsePadding(const std::string& name, Padding* out);

struct NeighborSamplerOptions {
  NeighborStrategy strategy = NeighborStrategy::kRandom;
  int64_t fanout = 1;
  Padding padding = Padding::kDefault;
  int64_t default_id = -1;
};

struct NeighborRequest {
  const int64_t* ids = nullptr;  // [num_rows] source node indices
  int64_t num_rows = 0;
  const char* ids_name = "ids";  // names the input in error messages
  // [num_rows] or null: rows with row_valid[r] == 0 are all padding and their
  // id is not looked at (padding entries of a previous hop).
  const uint8_t* row_valid = nullptr;
  // Temporal filter, or null: row r only uses edges with
  // timestamp < before[r / rows_per_time].
  const int64_t* before = nullptr;
  int64_t rows_per_time = 1;
};

// Caller-owned buffers of num_rows * fanout entries.
struct NeighborOutput {
  int64_t* neighbors = nullptr;
  int64_t* edge_ids = nullptr; // null: edge ids are not wanted
  bool* mask = nullptr;        // true: a sample; false: padding
  uint8_t* filled = nullptr;   // optional: 1 where the entry holds a node (samples and
                               // circular repeats), 0 where it holds default_id
};

// Samples `fanout` neighbors of every row. Validates the options and ids.
Status SampleNeighbors(const CsrGraph& graph, SamplingIndex* index,
                       const NeighborSamplerOptions& options, const NeighborRequest& request,
                       const Philox& philox, const Executor& executor,
                       const NeighborOutput& output);

struct FullNeighborRequest {
  const int64_t* ids = nullptr;  // [num_rows] source node indices
  int64_t num_rows = 0;
  const char* ids_name = "ids";
  const int64_t* before = nullptr;  // [num_rows] or null (as NeighborRequest::before)
  int64_t max_neighbors = -1;       // < 0: no cap; else a uniform random subset of
                                    // that many, kept in row order
};

// Validates the request and writes row_splits [num_rows + 1] of the result.
Status CountFullNeighbors(const CsrGraph& graph, SamplingIndex* index,
                          const FullNeighborRequest& request, const Executor& executor,
                          int64_t* row_splits);
// Writes the neighbors and edge ids (row_splits from CountFullNeighbors).
Status FillFullNeighbors(const CsrGraph& graph, SamplingIndex* index,
                         const FullNeighborRequest& request, const Philox& philox,
                         const Executor& executor, const int64_t* row_splits,
                         int64_t* neighbors, int64_t* edge_ids);

}  // namespace tfgle

#endif  // TFGLE_CORE_NEIGHBOR_SAMPLER_H_

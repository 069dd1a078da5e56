// Random walks over CSR tables: uniform (DeepWalk), node2vec's second-order
// bias, and meta-path walks that cycle through several tables.
//
// node2vec (Grover & Leskovec 2016): a walk that came from t to v moves to a
// neighbor x of v with probability ∝ alpha(t, x), where alpha = 1/p if x == t
// (return), 1 if x is a neighbor of t (stay close), 1/q otherwise (move out).
// The walker does NOT precompute per-edge alias tables (their memory grows with
// the sum of squared degrees); as KnightKing (Yang et al., SOSP 2019) and
// PyG's torch-cluster do, it rejection-samples: propose x uniformly among v's
// neighbors, accept with probability alpha(t, x) / max(1/p, 1, 1/q), else
// propose again. Proposals that are accepted or rejected whatever alpha is
// (the draw is below min(1, 1/q) or above max(1, 1/q)) skip the membership
// test; the others ask "is x a neighbor of t" of the table's NeighborSet
// (sampling_index.h: a hash set per row of more than 16 neighbors, a scan of
// shorter rows; built once per table, at most 8 bytes per edge of those rows
// plus 8 bytes per source node, and shared with negative sampling).
//
// Randomness: walk w draws only from RowRandom(philox, w), in step order, so
// walks depend on the seed and the starts alone, never on threading.
#ifndef TFGLE_CORE_RANDOM_WALK_H_
#define TFGLE_CORE_RANDOM_WALK_H_

#include <cstdint>
#include <vector>

#include "custom_ops/core/csr_graph.h"
#include "custom_ops/core/executor.h"
#include "custom_ops/core/philox.h"
#include "custom_ops/core/sampling_index.h"
#include "custom_ops/core/status.h"

namespace tfgle {

// The largest max(1/p, 1, 1/q) / min(1/p, 1, 1/q) a walk accepts. Every
// proposal is accepted with probability at least its inverse, so this bounds
// the expected number of proposals per step (p = 0.01, q = 100 is allowed).
constexpr double kMaxWalkBiasRatio = 1e4;

struct RandomWalkOptions {
  int64_t length = 1;  // steps per walk (>= 1); a walk holds length + 1 nodes
  double p = 1.0;      // return parameter (> 0, finite)
  double q = 1.0;      // in-out parameter (> 0, finite)

  // Whether node2vec's bias applies (p or q is not 1).
  bool biased() const { return p != 1.0 || q != 1.0; }
};

// Checks the options for walks over `num_tables` tables: length >= 1 (and
// small enough that length + 1 does not overflow), p and q finite and > 0,
// within kMaxWalkBiasRatio, and a bias only with one table.
Status CheckWalkOptions(const RandomWalkOptions& options, int64_t num_tables);

// One table of a walk: its topology and its sampling index (for the
// membership tests of biased walks).
struct WalkTable {
  const CsrGraph* graph = nullptr;
  SamplingIndex* index = nullptr;
};

// Walks `options.length` steps from each of `starts[0, num_walks)`. Step s
// (1-based) follows tables[(s - 1) % tables.size()]: one table walks one edge
// type; several walk a meta-path cyclically (consecutive tables must chain:
// a table's destination nodes are the next one's source nodes). Biased walks
// (p or q != 1) need exactly one table.
//
// `walks` [num_walks, length + 1] (row-major, caller-owned) gets the start in
// column 0 and the node reached after step s in column s. A walk that reaches
// a node without out-neighbors ends there: its remaining columns are -1.
//
// Validates the options, the chain, the starts (each in [0, num_src of
// tables[0])) and the output size before writing anything.
Status SampleRandomWalks(const std::vector<WalkTable>& tables, const RandomWalkOptions& options,
                         const int64_t* starts, int64_t num_walks, const Philox& philox,
                         const Executor& executor, int64_t* walks);

}  // namespace tfgle

#endif  // TFGLE_CORE_RANDOM_WALK_H_

// Compressed sparse row topology of one edge type: src index -> dst indices.
#ifndef TFGLE_CORE_CSR_GRAPH_H_
#define TFGLE_CORE_CSR_GRAPH_H_

#include <cstdint>
#include <vector>

#include "custom_ops/core/executor.h"
#include "custom_ops/core/status.h"

namespace tfgle {

// The edges to build from, as dense node indices. Optional columns are null.
struct EdgeList {
  const int64_t* src = nullptr;
  const int64_t* dst = nullptr;
  int64_t num_edges = 0;
  const int64_t* edge_ids = nullptr;    // null: the row number is the edge id
  const float* weights = nullptr;       // null: unweighted
  const int64_t* timestamps = nullptr;  // null: untimed
  int64_t num_src = 0;                  // src indices lie in [0, num_src)
  int64_t num_dst = 0;                  // dst indices lie in [0, num_dst)
  // Undirected within one node type: every edge (s, d) with s != d also adds
  // (d, s) carrying the same edge id, weight and timestamp.
  bool symmetric = false;
};

// How neighbors are ordered within a row. Ties keep input order, so the build
// is deterministic whatever the thread count.
enum class NeighborOrder { kInput, kWeightDescending, kTimestampDescending };

struct CsrGraph {
  int64_t num_src = 0;
  int64_t num_dst = 0;
  std::vector<int64_t> indptr;      // [num_src + 1]
  std::vector<int64_t> indices;     // [num_edges] dst index of each entry
  std::vector<int64_t> edge_ids;    // [num_edges]
  std::vector<float> weights;       // [num_edges] or empty
  std::vector<int64_t> timestamps;  // [num_edges] or empty
  std::vector<int64_t> in_degree;   // [num_dst]
  // Whether the edge type has weights / timestamps (also when it has no edges).
  bool has_weights = false;
  bool has_timestamps = false;
  // How rows are ordered, and whether each edge also adds its reverse (as
  // built; Append keeps both).
  NeighborOrder order = NeighborOrder::kInput;
  bool symmetric = false;

  int64_t num_edges() const { return static_cast<int64_t>(indices.size()); }
  int64_t OutDegree(int64_t v) const { return indptr[v + 1] - indptr[v]; }
  bool weighted() const { return has_weights; }
  bool timed() const { return has_timestamps; }
  int64_t ByteSize() const;
  // A 64-bit hash of the whole topology (sizes, rows, edge ids, weights,
  // timestamps): equal graphs hash equal, a changed graph almost surely not.
  uint64_t Fingerprint() const;

  // Validates `edges` (index ranges; weights 0 or finite, > 0 and not
  // subnormal, see weights.h) and builds the CSR with a parallel, stable
  // counting sort.
  static Status Build(const EdgeList& edges, NeighborOrder order, const Executor& executor,
                      CsrGraph* out);

  // Fills `out` (another graph, whose memory is reused when large enough)
  // with this graph plus `edges`. edges.num_src / num_dst are the new sizes,
  // at least this graph's (new rows start empty); edges.symmetric is ignored
  // (this graph's applies: a symmetric graph also adds the reverse of every new
  // non-loop edge). Edge ids are required; weights and timestamps exactly when
  // this graph has them. The edges are validated as by Build.
  //
  // Every row keeps its entries in their order, and its new entries join it
  // in the graph's order: input order appends them after the old ones; weight
  // or timestamp order merges them in (descending; among equal keys the old
  // entries come first, then the new ones in input order, reverses after
  // forward entries). So appending to a graph built from edge list A gives the
  // graph built from A followed by the appended edges, except for the tie
  // order of symmetric graphs' reverse entries.
  //
  // Cost: the new edges are sorted into a CSR of their own (O(k log k + V));
  // then one parallel pass copies every old row, with one memcpy per column
  // for each run of rows without new entries, and merges the rows that have
  // some: O(E + V) memory traffic, never a sort of the old entries.
  Status Append(const EdgeList& edges, const Executor& executor, CsrGraph* out) const;
  // The checks of Append that need no pass over the edges: sizes and columns.
  Status CheckAppend(const EdgeList& edges) const;

  // Fills `out` (as Append) with this graph without the entries whose
  // timestamp is < `timestamp`; rows keep their order. Needs a timed graph.
  // `removed` (optional) gets the number of entries dropped. O(E + V).
  Status RemoveBefore(int64_t timestamp, const Executor& executor, CsrGraph* out,
                      int64_t* removed = nullptr) const;
};

}  // namespace tfgle

#endif  // TFGLE_CORE_CSR_GRAPH_H_

// Tables that take updates while they are read: immutable versions, swapped.
//
// A reader takes the current version once (a shared pointer) and uses it for
// the whole of its work, so it sees one consistent table however many updates
// are published meanwhile; the version lives until its last reader drops it.
// An update builds the next version beside the current one (updates run one
// at a time) and publishes it with a pointer swap. Readers never wait for an
// update, only for the swap.
#ifndef TFGLE_CORE_VERSIONED_H_
#define TFGLE_CORE_VERSIONED_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>

#include "custom_ops/core/csr_graph.h"
#include "custom_ops/core/executor.h"
#include "custom_ops/core/id_map.h"
#include "custom_ops/core/sampling_index.h"
#include "custom_ops/core/status.h"

namespace tfgle {

// The published versions of a table of type T, numbered from 0 (the first).
template <typename T>
class Versioned {
 public:
  // The current version (null before the first), and its number.
  std::shared_ptr<const T> Current(int64_t* number = nullptr) const {
    std::lock_guard<std::mutex> lock(mu_);
    if (number != nullptr) *number = number_;
    return current_;
  }

  // Runs make(current, &next) (current: null before the first version) with
  // no other update running, and publishes `next` if make succeeds and sets
  // it (leaving it null publishes nothing). `number` (optional) gets the
  // number of the version current afterwards.
  template <typename MakeFn>
  Status Update(MakeFn make, int64_t* number = nullptr) {
    std::lock_guard<std::mutex> update_lock(update_mu_);
    std::shared_ptr<const T> current = Current();
    std::shared_ptr<const T> next;
    TFGLE_RETURN_IF_ERROR(make(current.get(), &next));
    std::lock_guard<std::mutex> lock(mu_);
    if (next != nullptr) {
      current_.swap(next);
      if (next != nullptr) ++number_;  // (the first version is number 0)
    }
    if (number != nullptr) *number = number_;
    return Status::Ok();
    // (The previous version is released after mu_, unless readers still hold it.)
  }

 private:
  mutable std::mutex mu_;  // guards current_ and number_ (held for a pointer copy only)
  std::mutex update_mu_;   // one update at a time
  std::shared_ptr<const T> current_;
  int64_t number_ = 0;
};

// One version of a CSR table: the graph and the sampling index over it
// (built lazily, for this version only).
class CsrSnapshot {
 public:
  // `pages_advised`: see SamplingIndex.
  explicit CsrSnapshot(std::unique_ptr<CsrGraph> graph, bool pages_advised = false)
      : graph_(std::move(graph)), index_(graph_.get(), pages_advised) {}
  explicit CsrSnapshot(CsrGraph graph)
      : CsrSnapshot(std::make_unique<CsrGraph>(std::move(graph))) {}
  CsrSnapshot(const CsrSnapshot&) = delete;
  CsrSnapshot& operator=(const CsrSnapshot&) = delete;

  const CsrGraph& graph() const { return *graph_; }
  SamplingIndex* index() const { return &index_; }
  int64_t ByteSize() const { return graph_->ByteSize() + index_.ByteSize(); }

  // Takes the graph out of a snapshot about to be deleted (to reuse its memory).
  std::unique_ptr<CsrGraph> ReleaseGraph() { return std::move(graph_); }

 private:
  std::unique_ptr<CsrGraph> graph_;
  mutable SamplingIndex index_;  // thread-safe lazy tables; destroyed before graph_
};

// A CSR table that takes appended edges and expires old ones.
class LiveCsr {
 public:
  // Builds the first version (CsrGraph::Build); FailedPrecondition if there is one.
  Status Init(const EdgeList& edges, NeighborOrder order, const Executor& executor);
  // Publishes the current graph plus `edges` (CsrGraph::Append); a negative
  // edges.num_src / num_dst keeps the current size. Appending no edges
  // without growing publishes nothing. `number` (optional) gets the number of
  // the version current afterwards.
  Status Append(const EdgeList& edges, const Executor& executor, int64_t* number = nullptr);
  // Publishes the current graph without its entries of timestamp < `timestamp`
  // (CsrGraph::RemoveBefore); publishes nothing when none is that old.
  Status RemoveBefore(int64_t timestamp, const Executor& executor, int64_t* number = nullptr);

  std::shared_ptr<const CsrSnapshot> Current(int64_t* number = nullptr) const {
    return versions_.Current(number);
  }
  // Bytes of the current version and of the spare memory kept for the next update.
  int64_t ByteSize() const;

 private:
  // The memory of the version before the current one, once no reader holds
  // it: the next update writes into it instead of allocating (and faulting
  // in) new arrays. Shared with the versions' deleters, which may outlive us.
  struct Spare {
    std::mutex mu;
    std::unique_ptr<CsrGraph> graph;
  };
  // A version of `graph` that gives its memory to spare_ when deleted.
  std::shared_ptr<const CsrSnapshot> Publishable(std::unique_ptr<CsrGraph> graph,
                                                 bool pages_advised) const;
  // The spare memory (or an empty graph), and back when an update failed.
  std::unique_ptr<CsrGraph> TakeSpare();
  void KeepSpare(std::unique_ptr<CsrGraph> graph);

  Versioned<CsrSnapshot> versions_;
  std::shared_ptr<Spare> spare_ = std::make_shared<Spare>();
};

// An id map that grows.
class LiveIdMap {
 public:
  Status Init(const int64_t* ids, int64_t n, const Executor& executor);
  // Publishes the map with `ids` added (IdMap::Append); `size` (optional)
  // gets the size of the map it published.
  Status Append(const int64_t* ids, int64_t n, const Executor& executor,
                int64_t* size = nullptr);
  std::shared_ptr<const IdMap> Current(int64_t* number = nullptr) const {
    return versions_.Current(number);
  }

 private:
  Versioned<IdMap> versions_;
};

}  // namespace tfgle

#endif  // TFGLE_CORE_VERSIONED_H_

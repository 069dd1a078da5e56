#include "custom_ops/core/versioned.h"

namespace tfgle {

std::shared_ptr<const CsrSnapshot> LiveCsr::Publishable(std::unique_ptr<CsrGraph> graph,
                                                        bool pages_advised) const {
  std::weak_ptr<Spare> spare = spare_;
  return std::shared_ptr<CsrSnapshot>(
      new CsrSnapshot(std::move(graph), pages_advised), [spare](CsrSnapshot* snapshot) {
        std::unique_ptr<CsrGraph> graph = snapshot->ReleaseGraph();
        delete snapshot;
        if (std::shared_ptr<Spare> keeper = spare.lock()) {
          std::lock_guard<std::mutex> lock(keeper->mu);
          keeper->graph.swap(graph);
        }
        // `graph` (the older spare, or this one if the table is gone) is freed here.
      });
}

void LiveCsr::KeepSpare(std::unique_ptr<CsrGraph> graph) {
  std::lock_guard<std::mutex> lock(spare_->mu);
  if (spare_->graph == nullptr) spare_->graph = std::move(graph);
}

std::unique_ptr<CsrGraph> LiveCsr::TakeSpare() {
  std::unique_ptr<CsrGraph> graph;
  {
    std::lock_guard<std::mutex> lock(spare_->mu);
    graph.swap(spare_->graph);
  }
  return graph != nullptr ? std::move(graph) : std::make_unique<CsrGraph>();
}

int64_t LiveCsr::ByteSize() const {
  std::shared_ptr<const CsrSnapshot> current = Current();
  int64_t bytes = current != nullptr ? current->ByteSize() : 0;
  std::lock_guard<std::mutex> lock(spare_->mu);
  if (spare_->graph != nullptr) bytes += spare_->graph->ByteSize();
  return bytes;
}

Status LiveCsr::Init(const EdgeList& edges, NeighborOrder order, const Executor& executor) {
  return versions_.Update(
      [&](const CsrSnapshot* current, std::shared_ptr<const CsrSnapshot>* next) {
        if (current != nullptr) return Status::FailedPrecondition("the table is already built");
        auto graph = std::make_unique<CsrGraph>();
        TFGLE_RETURN_IF_ERROR(CsrGraph::Build(edges, order, executor, graph.get()));
        *next = Publishable(std::move(graph), /*pages_advised=*/false);
        return Status::Ok();
      });
}

Status LiveCsr::Append(const EdgeList& edges, const Executor& executor, int64_t* number) {
  return versions_.Update(
      [&](const CsrSnapshot* current, std::shared_ptr<const CsrSnapshot>* next) {
        if (current == nullptr) return Status::FailedPrecondition("the table is not built");
        const CsrGraph& g = current->graph();
        EdgeList added = edges;
        if (added.num_src < 0) added.num_src = g.num_src;
        if (added.num_dst < 0) added.num_dst = g.num_dst;
        if (added.num_edges == 0 && added.num_src == g.num_src && added.num_dst == g.num_dst) {
          return g.CheckAppend(added);  // nothing changes
        }
        std::unique_ptr<CsrGraph> graph = TakeSpare();
        const Status status = g.Append(added, executor, graph.get());
        if (!status.ok()) {
          KeepSpare(std::move(graph));  // for the next update
          return status;
        }
        *next = Publishable(std::move(graph), /*pages_advised=*/true);
        return Status::Ok();
      },
      number);
}

Status LiveCsr::RemoveBefore(int64_t timestamp, const Executor& executor, int64_t* number) {
  return versions_.Update(
      [&](const CsrSnapshot* current, std::shared_ptr<const CsrSnapshot>* next) {
        if (current == nullptr) return Status::FailedPrecondition("the table is not built");
        std::unique_ptr<CsrGraph> graph = TakeSpare();
        int64_t removed = 0;
        const Status status =
            current->graph().RemoveBefore(timestamp, executor, graph.get(), &removed);
        if (!status.ok() || removed == 0) {
          KeepSpare(std::move(graph));
          return status;
        }
        *next = Publishable(std::move(graph), /*pages_advised=*/true);
        return Status::Ok();
      },
      number);
}

Status LiveIdMap::Init(const int64_t* ids, int64_t n, const Executor& executor) {
  return versions_.Update([&](const IdMap* current, std::shared_ptr<const IdMap>* next) {
    if (current != nullptr) return Status::FailedPrecondition("the id map is already built");
    auto map = std::make_shared<IdMap>();
    TFGLE_RETURN_IF_ERROR(map->Build(ids, n, executor));
    *next = std::move(map);
    return Status::Ok();
  });
}

Status LiveIdMap::Append(const int64_t* ids, int64_t n, const Executor& executor,
                         int64_t* size) {
  return versions_.Update([&](const IdMap* current, std::shared_ptr<const IdMap>* next) {
    if (current == nullptr) return Status::FailedPrecondition("the id map is not built");
    if (size != nullptr) *size = current->size() + n;
    if (n == 0) return Status::Ok();
    auto map = std::make_shared<IdMap>(*current);  // a failed append leaves `current` as is
    TFGLE_RETURN_IF_ERROR(map->Append(ids, n, executor));
    *next = std::move(map);
    return Status::Ok();
  });
}

}  // namespace tfgle

"""PartitionedGraph: a graph's topology split by node over parameter servers.

Node i of a type is owned by partition i mod P (P = number of devices; the
"mod" hash partitioning of GLE's partitioner and of tf.nn.embedding_lookup),
where it is local row i div P. For every edge type, partition p holds, on its
device, the CSR rows of the source nodes it owns; the rows keep every
neighbor (destinations are global indices), in the unpartitioned table's order.

Sampling splits the nodes of a batch by owner (tf.dynamic_partition), runs the
sampling op of each part on the device of its partition, and stitches the
results back in the batch's order (tf.dynamic_stitch). Rows are sampled by the
same kernels from the same neighbor lists, so every row's distribution is that
of the unpartitioned graph (not the same draws: a row's random stream depends
on its position in the op's input). Negative sampling draws from the WHOLE
graph: candidates range over every destination node, a source's true
neighbors (all in its owner's rows) are excluded, and degree-weighted
negatives use the global in-degrees, not the partition's.

A PartitionedGraph stands in for its Graph wherever tfgle samples: GSL
queries (`pg.V(...)`, `pg.E(...)`), EgoGraphDataset, LinkEgoGraphDataset and
tfgle.ops.sample_neighbors/sample_fanouts/sample_negatives. Everything else
(id maps, features, labels, splits) is the base graph's, held where the
pipeline runs: only the topology is partitioned.

Example (ParameterServerStrategy; on the chief):
  strategy = tfgle.distribute.parameter_server_strategy()
  graph, info = tfgle.datasets.load_citation(data_dir)
  pg = tfgle.distribute.PartitionedGraph(graph, tfgle.distribute.ps_devices(strategy))
  coordinator = tf.distribute.experimental.coordinator.ClusterCoordinator(strategy)
  def dataset_fn():
    return tfgle.data.EgoGraphDataset(pg, "train", ["cites", "cites"], [10, 5], 32,
                                      shuffle="random", seed=tfgle.distribute.worker_seed())
  per_worker = coordinator.create_per_worker_dataset(dataset_fn)
"""
from __future__ import annotations

import weakref
from typing import Optional, Sequence

import numpy as np
import tensorflow as tf

from tfgle.ops import sampling
from tfgle.ops._library import ops
from tfgle.ops.sampling import NodeDistribution, SampledNegatives, SampledNeighbors
# The argument checks of tfgle.ops.sampling, shared so that errors read the same.
from tfgle.ops.sampling import _category_column as category_column
from tfgle.ops.sampling import _ids as int64_vector
from tfgle.ops.sampling import _int64 as int64_tensor
from tfgle.ops.sampling import _seed as seed_tensor
from tfgle.ops.tables import CsrTable

# Neighbor strategies that read only a row of the table (the partition has
# every row it is asked for). "in_degree" weighs neighbors by their in-degree
# over the whole graph, which no partition knows.
_ROW_LOCAL_STRATEGIES = ("random", "random_without_replacement", "edge_weight", "topk")


def ps_devices(strategy_or_resolver) -> list[str]:
  """The CPU devices of the parameter servers, in task order.

  Args:
    strategy_or_resolver: a ParameterServerStrategy (its coordinator is
      connected to the cluster, whose devices are listed) or a cluster resolver.

  Example:
    ps_devices(strategy)   # ["/job:ps/replica:0/task:0/device:CPU:0", ...]

  Raises:
    ValueError: no parameter servers.
  """
  if hasattr(strategy_or_resolver, "cluster_spec"):
    spec = strategy_or_resolver.cluster_spec().as_dict()
    devices = [f"/job:ps/replica:0/task:{i}/device:CPU:0"
               for i in range(len(spec.get("ps", [])))]
    where = spec
  else:
    # (ParameterServerStrategy exposes no cluster resolver; its connected cluster's
    # devices are the context's.)
    devices = sorted((d.name for d in tf.config.list_logical_devices("CPU")
                      if d.name.startswith("/job:ps/")),
                     key=lambda name: int(name.split("/task:")[1].split("/")[0]))
    where = strategy_or_resolver
  if not devices:
    raise ValueError(f"no parameter servers in {where!r}")
  return devices


class _Partition:
  """The tables of one partition (one device), keyed by (edge type, reverse)."""

  def __init__(self, device: str):
    self.device = device
    self.tables: dict[tuple[str, bool], CsrTable] = {}
    self.distributions: dict[tuple, NodeDistribution] = {}


class _PartitionView:
  """Graph-like view of one partition for tfgle.ops.sampling: csr() is the partition's."""

  def __init__(self, pgraph: "PartitionedGraph", partition: _Partition):
    self._pgraph = pgraph
    self._partition = partition

  def csr(self, edge_type, reverse: bool = False) -> CsrTable:
    return self._pgraph.table(self._partition, edge_type, reverse)

  def __getattr__(self, name):
    return getattr(self._pgraph.graph, name)


class PartitionedCsr:
  """The partitioned topology of one edge type, seen as one table (for GSL E() sources).

  Edge positions 0..num_edges-1 enumerate partition 0's edges, then partition
  1's, and so on.
  """

  def __init__(self, pgraph: "PartitionedGraph", edge_type: str, reverse: bool):
    self._pgraph = pgraph
    self._edge_type = edge_type
    self._reverse = reverse
    tables = [pgraph.table(p, edge_type, reverse) for p in pgraph.partitions]
    counts = [t.num_edges for t in tables]
    self.num_edges = int(sum(counts))
    self._offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    self.num_src = int(sum(t.num_src for t in tables))
    self.num_dst = tables[0].num_dst
    self.weighted = tables[0].weighted
    self.timed = tables[0].timed

  def edges_at(self, positions):
    """(src indices, dst indices, edge ids) of the edges at positions [0, num_edges)."""
    positions = int64_vector(positions, "positions")
    offsets = tf.constant(self._offsets)
    check = tf.debugging.Assert(
        tf.reduce_all((positions >= 0) & (positions < self.num_edges)),
        [f"positions must be in [0, {self.num_edges})"])
    with tf.control_dependencies([check]):
      owner = tf.searchsorted(offsets[1:], positions, side="right", out_type=tf.int32)
    local = positions - tf.gather(offsets, owner)
    num = len(self._pgraph.partitions)

    def run(p, part, local_positions):
      src, dst, eids = self._pgraph.table(part, self._edge_type, self._reverse).edges_at(
          local_positions)
      return src * num + p, dst, eids
    return self._pgraph.scatter_gather(owner, [local], run)

  @property
  def resource_handle(self):
    raise NotImplementedError(
        "a PartitionedGraph's topology is spread over several tables; this operation needs "
        "the whole table (sample_neighbors, sample_fanouts, sample_negatives and "
        "GSL E() sources work on a PartitionedGraph)")


class PartitionedGraph:
  """A tfgle.Graph whose topology is partitioned by node over devices.

  Args:
    graph: a built tfgle.Graph (kept: its id maps, features and labels serve
      the pipelines).
    devices: one device per partition, e.g. ps_devices(strategy); partition
      p's tables are created there.
    edge_types: the edge types to partition (default: all). Reverse tables
      (in-edges) are partitioned on first use.

  Raises:
    ValueError: no devices, or an unknown edge type.
  """

  # Tells tfgle.ops.sampling to delegate to this object's sampling methods.
  samples_partitioned = True

  def __init__(self, graph, devices: Sequence[str], *, edge_types=None):
    if isinstance(devices, str) or not devices:
      raise ValueError(f"devices must be a non-empty list of device names, got {devices!r}")
    self.graph = graph
    self.devices = [str(d) for d in devices]
    self.partitions = [_Partition(d) for d in self.devices]
    self._views = [_PartitionView(self, p) for p in self.partitions]
    self._csrs: dict[tuple[str, bool], PartitionedCsr] = {}
    self._remote_distributions: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
    names = [e.name for e in graph.edge_types] if edge_types is None else [
        graph.edge_type(e).name for e in edge_types]
    for name in names:
      for partition in self.partitions:
        self.table(partition, name, False)

  @property
  def num_partitions(self) -> int:
    return len(self.partitions)

  def __getattr__(self, name):
    # Everything but the topology is the base graph's.
    if name.startswith("__") or name in ("graph", "partitions"):
      raise AttributeError(name)
    return getattr(self.graph, name)

  def __repr__(self):
    return f"tfgle.distribute.PartitionedGraph({self.graph!r} over {self.devices})"

  # ------------------------------------------------------------ partitioning

  def owner(self, indices) -> tf.Tensor:
    """int32 partition of each dense node index (index mod num_partitions)."""
    return tf.cast(tf.math.floormod(indices, self.num_partitions), tf.int32)

  def table(self, partition: _Partition, edge_type, reverse: bool) -> CsrTable:
    name = self.graph.edge_type(edge_type).name
    key = (name, bool(reverse))
    if key not in partition.tables:
      self._build(name, bool(reverse))
    return partition.tables[key]

  def _build(self, name: str, reverse: bool):
    """Creates the tables of one edge type (direction) on every partition's device."""
    csr = self.graph.csr(name, reverse=reverse)
    num = self.num_partitions
    with tf.init_scope():  # built eagerly, even when first needed while tracing
      nbrs, eids, weights, times = csr.neighbors(tf.range(csr.num_src, dtype=tf.int64))
      # (RaggedTensor.value_rowids tiles rows x the longest row: too big for hubs.)
      degrees = np.diff(nbrs.row_splits.numpy())
      rows = np.repeat(np.arange(csr.num_src, dtype=np.int64), degrees)
      columns = {"dst": nbrs.flat_values.numpy(), "edge_ids": eids.flat_values.numpy()}
      if weights is not None:
        columns["weights"] = weights.flat_values.numpy()
      if times is not None:
        columns["timestamps"] = times.flat_values.numpy()
      owner = rows % num
      for p, partition in enumerate(self.partitions):
        keep = np.flatnonzero(owner == p)
        num_local = max(0, -(-(csr.num_src - p) // num))   # ceil((num_src - p) / num)
        with tf.device(partition.device):
          # Rows arrive in the base table's neighbor order, which "input" keeps.
          partition.tables[(name, reverse)] = CsrTable(
              rows[keep] // num, columns["dst"][keep], num_local, csr.num_dst,
              edge_ids=columns["edge_ids"][keep],
              weights=columns["weights"][keep] if "weights" in columns else None,
              timestamps=columns["timestamps"][keep] if "timestamps" in columns else None,
              order="input")

  def csr(self, edge_type, reverse: bool = False) -> PartitionedCsr:
    """The partitioned topology of an edge type (num_edges, edges_at)."""
    key = (self.graph.edge_type(edge_type).name, bool(reverse))
    if key not in self._csrs:
      self._csrs[key] = PartitionedCsr(self, *key)
    return self._csrs[key]

  def topology_bytes(self, edge_types=None) -> list[int]:
    """Bytes of topology each partition holds, measured by its tables on their devices.

    Args:
      edge_types: the edge types to count (default: every table built so far).
    """
    keys = None if edge_types is None else {
        (self.graph.edge_type(e).name, r) for e in edge_types for r in (False, True)}
    totals = []
    for partition in self.partitions:
      total = 0
      for key, table in partition.tables.items():
        if keys is None or key in keys:
          with tf.device(partition.device):
            total += int(ops.tfgle_table_memory(table.resource_handle))
      totals.append(total)
    return totals

  # ------------------------------------------------------------ GSL sources

  def V(self, node_type: str, mask=None):  # pylint: disable=invalid-name
    """A GSL query over vertices of `node_type`, sampled on the partitions."""
    from tfgle.gsl.query import Query  # pylint: disable=g-import-not-at-top
    return Query.vertices(self, node_type, mask)

  def E(self, edge_type, reverse: bool = False):  # pylint: disable=invalid-name
    """A GSL query over the edges of `edge_type`, sampled on the partitions."""
    from tfgle.gsl.query import Query  # pylint: disable=g-import-not-at-top
    return Query.edges(self, edge_type, reverse)

  # ------------------------------------------------------------ sampling

  def scatter_gather(self, owner, inputs, run):
    """Splits `inputs` rows by `owner`, runs `run(p, partition, *parts)` on each
    partition's device and stitches the outputs back into row order."""
    n = tf.shape(owner)[0]
    positions = tf.dynamic_partition(tf.range(n), owner, self.num_partitions)
    parts = [tf.dynamic_partition(x, owner, self.num_partitions) for x in inputs]
    outputs = []
    for p, partition in enumerate(self.partitions):
      with tf.device(partition.device):
        outputs.append(run(p, partition, *[part[p] for part in parts]))
    return tuple(tf.dynamic_stitch(positions, [out[i] for out in outputs])
                 for i in range(len(outputs[0])))

  def _local(self, ids, num_src: int, name: str = "ids"):
    """(owner, local row) of dense indices, checked against [0, num_src)."""
    ids = int64_vector(ids, name)
    check = tf.debugging.Assert(tf.reduce_all((ids >= 0) & (ids < num_src)),
                                [f"{name} must be dense node indices in [0, {num_src})"])
    with tf.control_dependencies([check]):
      return self.owner(ids), tf.math.floordiv(ids, self.num_partitions)

  def _partition_seed(self, seed, p: int):
    return tf.random.experimental.stateless_fold_in(seed_tensor(seed), p)

  def sample_neighbors(self, edge_type, ids, fanout: int, *, strategy: str = "random", seed,
                       padding: str = "default", default_id: int = -1, before=None,
                       reverse: bool = False) -> SampledNeighbors:
    """tfgle.ops.sample_neighbors on the partitions (same arguments and results).

    Raises:
      ValueError: strategy "in_degree" (it needs global in-degrees), or any
        error of tfgle.ops.sample_neighbors.
    """
    if strategy in sampling.NEIGHBOR_STRATEGIES and strategy not in _ROW_LOCAL_STRATEGIES:
      raise ValueError(f"strategy {strategy!r} is not supported on a PartitionedGraph (no "
                       f"partition knows the whole graph's in-degrees); allowed: "
                       f"{', '.join(_ROW_LOCAL_STRATEGIES)}")
    csr = self.csr(edge_type, reverse)
    owner, local = self._local(ids, csr.num_src)
    inputs = [local]
    if before is not None:
      before = int64_tensor(before, "before")
      inputs.append(tf.broadcast_to(before, tf.shape(local)))

    def run(p, partition, local_ids, *rest):
      out = sampling.sample_neighbors(
          self._views[p], edge_type, local_ids, fanout, strategy=strategy,
          seed=self._partition_seed(seed, p), padding=padding, default_id=default_id,
          before=rest[0] if rest else None, reverse=reverse)
      del partition
      return tuple(out)
    return SampledNeighbors(*self.scatter_gather(owner, inputs, run))

  def sample_fanouts(self, meta_path, ids, fanouts: Sequence[int], *,
                     strategy="random", seed, padding: str = "default", default_id: int = -1,
                     before=None) -> list[SampledNeighbors]:
    """tfgle.ops.sample_fanouts, hop by hop on the partitions (same results' layout)."""
    meta_path, strategies = sampling.hop_plan(self.graph, meta_path, fanouts, strategy)
    current = int64_vector(ids)
    valid = tf.ones_like(current, tf.bool)
    hop_before = None if before is None else tf.broadcast_to(
        int64_tensor(before, "before"), tf.shape(current))
    hops = []
    for i, (edge_type, fanout, hop_strategy) in enumerate(zip(meta_path, fanouts, strategies)):
      out = self.sample_neighbors(
          edge_type, tf.where(valid, current, tf.zeros_like(current)), fanout,
          strategy=hop_strategy, seed=tf.random.experimental.stateless_fold_in(
              seed_tensor(seed), i),
          padding=padding, default_id=default_id, before=hop_before)
      row_valid = valid[:, tf.newaxis]
      mask = out.mask & row_valid
      edge_ids = tf.where(row_valid, out.edge_ids, tf.constant(-1, tf.int64))
      nbrs = tf.where(row_valid, out.ids, tf.constant(default_id, tf.int64))
      hops.append(SampledNeighbors(nbrs, edge_ids, mask))
      # Default padding gets padding children; circular repeats are real nodes.
      valid = tf.reshape(edge_ids >= 0, [-1])
      current = tf.reshape(nbrs, [-1])
      if hop_before is not None:
        hop_before = tf.repeat(hop_before, fanout)
    return hops

  def sample_negatives(self, edge_type, ids, num: int, *, strategy: str = "random", seed,
                       exponent: float = 0.75, max_trials: int = 16,
                       distribution: Optional[NodeDistribution] = None,
                       attr: Optional[str] = None, targets=None, reverse: bool = False,
                       target_categories=None) -> SampledNegatives:
    """tfgle.ops.sample_negatives over the whole graph (same arguments and results).

    Each source is handled by its owner, which holds all its true neighbors;
    candidates range over every destination node; "in_degree" weighs them by
    their in-degree in the whole graph.
    """
    csr = self.csr(edge_type, reverse)
    owner, local = self._local(ids, csr.num_src)
    et = self.graph.edge_type(edge_type)
    dst_type = et.src if reverse else et.dst
    if strategy == "conditional" and target_categories is None and targets is not None:
      # The targets' categories are read here, where the pipeline holds the
      # node attributes, and travel with the rows.
      column = (distribution.categories if distribution is not None and
                distribution.categories is not None
                else category_column(self.graph, dst_type, attr)
                if attr is not None else None)
      if column is not None:
        target_categories = tf.gather(column, int64_vector(targets, "targets"))
        targets = None
    inputs = [local]
    if target_categories is not None:
      inputs.append(tf.broadcast_to(int64_vector(target_categories, "target_categories"),
                                    tf.shape(local)))
    if targets is not None:
      inputs.append(tf.broadcast_to(int64_vector(targets, "targets"), tf.shape(local)))

    def run(p, partition, local_ids, *rest):
      kwargs = dict(exponent=exponent, max_trials=max_trials, reverse=reverse, attr=attr)
      rest = list(rest)
      if target_categories is not None:
        kwargs["target_categories"] = rest.pop(0)
      if targets is not None:
        kwargs["targets"] = rest.pop(0)
      part_strategy = strategy
      if strategy == "in_degree":
        part_strategy = "node_weight"
        kwargs["distribution"] = self._in_degree_distribution(partition, edge_type, reverse,
                                                              exponent)
      elif distribution is not None:
        kwargs["distribution"] = self._on_device(partition, distribution)
      elif strategy in ("node_weight", "conditional"):
        kwargs["distribution"] = self._graph_distribution(partition, dst_type, strategy, attr)
      out = sampling.sample_negatives(self._views[p], edge_type, local_ids, num,
                                      strategy=part_strategy,
                                      seed=self._partition_seed(seed, p), **kwargs)
      return tuple(out)
    return SampledNegatives(*self.scatter_gather(owner, inputs, run))

  # ------------------------------------------------------------ distributions

  def _in_degree_distribution(self, partition, edge_type, reverse: bool,
                              exponent: float) -> NodeDistribution:
    """in-degree ** exponent of every destination node over the whole graph, on one partition."""
    key = ("in_degree", self.graph.edge_type(edge_type).name, bool(reverse), float(exponent))
    if key not in partition.distributions:
      with tf.init_scope():
        csr = self.graph.csr(edge_type, reverse=reverse)
        degree = csr.degree(tf.range(csr.num_dst, dtype=tf.int64), "in").numpy()
        weights = np.where(degree > 0, degree.astype(np.float64) ** exponent, 0.0)
        with tf.device(partition.device):
          partition.distributions[key] = NodeDistribution(
              csr.num_dst, weights=weights.astype(np.float32))
    return partition.distributions[key]

  def _graph_distribution(self, partition, dst_type, strategy, attr) -> NodeDistribution:
    """The node-weight or attribute-category distribution of dst_type on one partition."""
    key = (strategy, dst_type, attr)
    if key not in partition.distributions:
      with tf.init_scope(), tf.device(partition.device):
        if strategy == "node_weight":
          partition.distributions[key] = NodeDistribution(
              self.graph.num_nodes(dst_type), weights=self.graph.node_weights(dst_type))
        else:
          if attr is None:
            raise ValueError("strategy 'conditional' needs attr= (a categorical attribute of "
                             f"node type {dst_type!r}) or distribution=")
          partition.distributions[key] = NodeDistribution(
              self.graph.num_nodes(dst_type),
              categories=category_column(self.graph, dst_type, attr))
    return partition.distributions[key]

  def _on_device(self, partition, distribution: NodeDistribution) -> NodeDistribution:
    """A copy of `distribution` on the partition's device (made once)."""
    copies = self._remote_distributions.setdefault(distribution, {})
    if partition.device not in copies:
      with tf.init_scope(), tf.device(partition.device):
        copies[partition.device] = NodeDistribution(
            distribution.num_nodes, weights=distribution.weights,
            categories=distribution.categories)
    return copies[partition.device]

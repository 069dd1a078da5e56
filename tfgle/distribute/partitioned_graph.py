"""PartitionedGraph: a graph's topology and node data split by node over parameter servers.

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

Node data (node_data=True, the default) is partitioned the same way:
partition p holds the rows it owns of every node feature (dense, string, or
multi-valued ragged), of the labels and of the dense index -> external id
column; the external id -> dense index map is split by id (partition id mod
P holds an id map of its ids, to global dense indices). All of it is
resource-backed state on the partition's device (non-trainable variables, id
map tables; see tfgle.distribute.partitioned_nodes), read by the same
scatter/gather: the Sampler's gather_features, gather_labels, gather_ids and
lookup_indices, through which GSL and the datasets read node data. So the
dataset functions that the workers run capture resource handles, not the
data (a traced EgoGraph dataset function is a few tens of KB, whatever the
graph's size).

A PartitionedGraph is a `tfgle.graph.Sampler`: it stands in for its graph's
own sampler wherever tfgle samples (GSL queries `pg.V(...)`, `pg.E(...)`, the
EgoGraph and SubGraph datasets). It is a snapshot: later updates of the base
graph do not reach the partitions. What stays with the base graph
(`pg.graph`), where the pipeline runs or on the chief: metadata (node and edge
types, attribute specs, splits: the seeds of a split are captured by the
dataset), edge features, node weights and the categories of conditional
negatives (distributions for negative sampling are copied to every
partition). The chief's base graph keeps its own arrays after partitioning
(it read them to fill the partitions): drop it (and anything else holding
its tensors) to free that memory; the partitions do not depend on it.

Scale-out: how the partitions map onto N machines.
  One partition per parameter server task (ps_devices(strategy)); with M ps
  tasks on M machines, each machine holds 1/M of the topology (CSR rows of
  the nodes it owns), of every node feature, label and id, and of the id
  maps, so the graph that fits is M times one machine's capacity, less the
  runtime's own memory (an idle TensorFlow server process reserves about
  2.4 GB of address space and ~0.6 GB resident). Workers hold no graph data:
  each sampled batch is scattered to the owners, which sample and gather
  locally, and stitched back on the worker (traffic per step: the batch's
  node ids out, their neighbors and feature rows back). The chief builds
  the graph once and sends every partition its share at start-up (in 4 MB
  chunks, so a server's peak stays near its share); on a real
  cluster the chief must therefore hold the whole graph once, or build it
  from a source it reads by parts. A capacity check: `python -m
  tfgle.distribute.launch --ps M --ps_memory_limit BYTES -- BINARY` runs
  every server under an address-space limit (tests/distribute/
  test_ps_capacity.py: 2 servers each capped at an idle server's peak +
  0.85 x a 330 MB graph train it; 1 server under the same cap fails).

Example (ParameterServerStrategy; on the chief):
  strategy = tfgle.distribute.parameter_server_strategy()
  graph, info = tfgle.datasets.load_citation(data_dir)
  pg = tfgle.distribute.PartitionedGraph(graph, tfgle.distribute.ps_devices(strategy))
  coordinator = tf.distribute.experimental.coordinator.ClusterCoordinator(strategy)
  def dataset_fn():
    return tfgle.data.ego_graph_dataset(pg, "train", ["cites", "cites"], [10, 5], 32,
                                      shuffle="random", seed=tfgle.distribute.worker_seed())
  per_worker = coordinator.create_per_worker_dataset(dataset_fn)
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import tensorflow as tf

from tfgle.distribute import partitioned_nodes
from tfgle.graph.sampler import Sampler, feature_names
from tfgle.ops import sampling
from tfgle.ops._library import ops
from tfgle.ops.random_walk import RandomWalks
from tfgle.ops.sampling import (FullNeighbors, NodeDistribution, SampledNegatives,
                                SampledNeighbors, int64_tensor, int64_vector, seed_tensor)
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
  """What one partition (one device) holds.

  tables: CSR tables keyed by (edge type name, reverse).
  columns: node data keyed by (node type, "feature", name), (node type,
    "label") and (node type, "id"): the rows of the nodes this partition owns.
  id_maps: node type -> the part of its id map of the ids this partition owns.
  """

  def __init__(self, device: str):
    self.device = device
    self.tables: dict[tuple[str, bool], CsrTable] = {}
    self.columns: dict[tuple, partitioned_nodes.Column] = {}
    self.id_maps: dict[str, partitioned_nodes.IdMapPart] = {}


class PartitionedGraph(Sampler):
  """A Sampler of a tfgle.Graph whose topology is partitioned by node over devices.

  Args:
    graph: a built tfgle.Graph (kept: its metadata, splits and edge features
      serve the pipelines; with node_data=False also its node data).
    devices: one device per partition, e.g. ps_devices(strategy); partition
      p's tables are created there.
    edge_types: the edge types to partition (default: all). Reverse tables
      (in-edges) are partitioned on first use.
    node_data: also partition every node type's features, labels, external
      ids and id map (default); False leaves them to the base graph, read
      where the pipeline runs.

  Raises:
    ValueError: no devices, an unknown edge type, or node_data not a bool.
  """

  def __init__(self, graph, devices: Sequence[str], *, edge_types=None, node_data: bool = True):
    super().__init__()
    if isinstance(devices, str) or not devices:
      raise ValueError(f"devices must be a non-empty list of device names, got {devices!r}")
    if not isinstance(node_data, bool):
      raise ValueError(f"node_data must be True or False, got {node_data!r}")
    self._graph = graph
    self.devices = [str(d) for d in devices]
    self.partitions = [_Partition(d) for d in self.devices]
    self.node_data = node_data
    self._feature_specs: dict[str, dict[str, bool]] = {}   # node type -> {name: ragged}
    self._num_nodes: dict[str, int] = {}   # node types whose data is partitioned
    names = [e.name for e in graph.edge_types] if edge_types is None else [
        graph.edge_type(e).name for e in edge_types]
    for name in names:
      for partition in self.partitions:
        self.table(partition, name, False)
    if node_data:
      for node_type in graph.node_types:
        self._build_nodes(node_type)

  @property
  def graph(self):
    return self._graph

  @property
  def num_partitions(self) -> int:
    return len(self.partitions)

  def __repr__(self):
    return f"tfgle.distribute.PartitionedGraph({self._graph!r} over {self.devices})"

  # ------------------------------------------------------------ partitioning

  def owner(self, indices) -> tf.Tensor:
    """int32 partition of each dense node index (index mod num_partitions)."""
    return tf.cast(tf.math.floormod(indices, self.num_partitions), tf.int32)

  def table(self, partition: _Partition, edge_type, reverse: bool) -> CsrTable:
    """The CsrTable of `edge_type` (reverse: in-edges) that `partition` holds."""
    name = self._graph.edge_type(edge_type).name
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

  def _build_nodes(self, node_type: str):
    """Puts the rows each partition owns of `node_type`'s per-node tensors on its device,
    and its id map split by id."""
    graph, num = self._graph, self.num_partitions
    with tf.init_scope():  # built eagerly
      features = graph.feature_tensors(node_type)
      tensors = {("feature", name): tensor for name, tensor in features.items()}
      try:
        tensors[("label",)] = graph.labels(node_type)
      except ValueError:  # no labels
        pass
      ids = graph.node_ids(node_type)
      tensors[("id",)] = ids
      for p, partition in enumerate(self.partitions):
        for key, tensor in tensors.items():
          partition.columns[(node_type, *key)] = partitioned_nodes.owned_rows(
              tensor, p, num, partition.device, "_".join((node_type, *key)))
      parts = partitioned_nodes.id_map_parts(ids.numpy(), self.devices, f"{node_type}_id_map")
      for partition, part in zip(self.partitions, parts):
        partition.id_maps[node_type] = part
    self._num_nodes[node_type] = int(ids.shape[0])
    self._feature_specs[node_type] = {
        name: isinstance(tensor, tf.RaggedTensor) for name, tensor in features.items()}

  def node_data_bytes(self) -> list[int]:
    """Bytes of node data each partition holds: feature, label and id rows, and id maps.

    Numbers are exact; a string element counts 32 bytes (its header, not its
    characters). Id maps are measured by their tables on their devices.
    """
    totals = []
    for partition in self.partitions:
      total = sum(column.nbytes() for column in partition.columns.values())
      for part in partition.id_maps.values():
        total += partitioned_nodes.Column(part.dense).nbytes()
        with tf.device(partition.device):
          total += int(ops.tfgle_table_memory(part.table.resource_handle))
      totals.append(total)
    return totals

  # ------------------------------------------------------------ node data

  def _partitioned(self, node_type: str) -> bool:
    """Whether `node_type`'s data is on the partitions (a ValueError for an unknown type)."""
    if node_type in self._num_nodes:
      return True
    self._graph.num_nodes(node_type)   # unknown node types fail here, named
    return False

  def _gather_columns(self, node_type: str, indices, keys) -> list:
    """The rows at dense `indices` (any shape) of `node_type`'s columns `keys`, as tf.gather
    of the base tensors would give them."""
    indices = tf.convert_to_tensor(indices)
    if not indices.dtype.is_integer:
      raise TypeError(f"indices must be integers, got dtype {indices.dtype.name}")
    flat = tf.reshape(tf.cast(indices, tf.int64), [-1])
    num_nodes = self._num_nodes[node_type]
    check = tf.debugging.Assert(
        tf.reduce_all((flat >= 0) & (flat < num_nodes)),
        [f"indices must be dense node indices of node type {node_type!r} in [0, {num_nodes})"])
    with tf.control_dependencies([check]):
      local = tf.math.floordiv(flat, self.num_partitions)
    positions, (parts,) = self._scatter(self.owner(flat), [local])
    results = []
    for key in keys:
      columns = [partition.columns[(node_type, *key)] for partition in self.partitions]
      gathered = []
      for partition, column, part in zip(self.partitions, columns, parts):
        with tf.device(partition.device):
          gathered.append(column.gather(part))
      if columns[0].ragged:
        rows = partitioned_nodes.stitch_ragged(positions, gathered)
        if indices.shape.rank != 1:   # tf.gather's nesting of ragged rows
          rows = tf.gather(rows, tf.reshape(tf.range(tf.size(flat)), tf.shape(indices)))
      else:
        rows = tf.dynamic_stitch(positions, gathered)
        rows = tf.reshape(rows, tf.concat([tf.shape(indices), tf.shape(rows)[1:]], 0))
        rows.set_shape(indices.shape.concatenate(columns[0].values.shape[1:]))
      results.append(rows)
    return results

  def gather_features(self, node_type, indices, names=None):
    """Sampler.gather_features, each row read from its owner (node_data) or the base graph."""
    if not self._partitioned(node_type):
      return super().gather_features(node_type, indices, names)
    names = feature_names(self._feature_specs[node_type], f"node type {node_type!r}", names)
    return dict(zip(names, self._gather_columns(node_type, indices,
                                                [("feature", name) for name in names])))

  def gather_labels(self, node_type, indices):
    """Sampler.gather_labels, each label read from its owner (node_data) or the base graph."""
    if not self._partitioned(node_type) or (
        (node_type, "label") not in self.partitions[0].columns):
      return super().gather_labels(node_type, indices)  # (or its error: no labels)
    return self._gather_columns(node_type, indices, [("label",)])[0]

  def gather_ids(self, node_type, indices):
    """Sampler.gather_ids, each id read from its owner (node_data) or the base graph."""
    if not self._partitioned(node_type):
      return super().gather_ids(node_type, indices)
    if isinstance(indices, tf.RaggedTensor):
      return indices.with_flat_values(self.gather_ids(node_type, indices.flat_values))
    return self._gather_columns(node_type, indices, [("id",)])[0]

  def lookup_indices(self, node_type, ids, allow_missing=False):
    """Sampler.lookup_indices: each id looked up by partition id mod P (node_data), or the
    base graph's id map.

    Unknown ids raise tf.errors.InvalidArgumentError with the local lookup's
    message ("ids[i] = x is not a known id of this node type (n ids)"), or
    map to -1 with allow_missing.
    """
    if not self._partitioned(node_type):
      return super().lookup_indices(node_type, ids, allow_missing)
    ids = tf.convert_to_tensor(ids)
    if not ids.dtype.is_integer and ids.shape.num_elements() != 0:
      raise TypeError(f"ids must be integers, got dtype {ids.dtype.name}")
    flat = tf.reshape(tf.cast(ids, tf.int64), [-1])
    owner = tf.cast(tf.math.floormod(flat, self.num_partitions), tf.int32)
    dense, = self.scatter_gather(
        owner, [flat], lambda p, part: (self.partitions[p].id_maps[node_type].lookup(part),))
    if not allow_missing:
      size = tf.size(flat, out_type=tf.int64)
      first = tf.reduce_min(tf.concat([tf.where(dense < 0)[:, 0], [size]], 0))
      message = tf.strings.format(
          "ids[{}] = {} is not a known id of this node type ({} ids)",
          (first, tf.gather(tf.concat([flat, [0]], 0), first), self._num_nodes[node_type]))
      check = tf.debugging.Assert(tf.equal(first, size), [message])
      with tf.control_dependencies([check]):
        dense = tf.identity(dense)
    return tf.reshape(dense, tf.shape(ids))

  # ------------------------------------------------------------ sampling

  def scatter_gather(self, owner, inputs, run):
    """Splits `inputs` rows by `owner`, runs `run(p, *parts)` on each partition's
    device and stitches the outputs back into row order."""
    positions, parts = self._scatter(owner, inputs)
    outputs = []
    for p, partition in enumerate(self.partitions):
      with tf.device(partition.device):
        outputs.append(run(p, *[part[p] for part in parts]))
    return tuple(tf.dynamic_stitch(positions, [out[i] for out in outputs])
                 for i in range(len(outputs[0])))

  def _scatter(self, owner, inputs):
    positions = tf.dynamic_partition(tf.range(tf.shape(owner)[0]), owner, self.num_partitions)
    return positions, [tf.dynamic_partition(x, owner, self.num_partitions) for x in inputs]

  def _rows(self, edge_type, ids, reverse: bool, before):
    """(table name, owner, [local rows, before?]) of a batch of dense indices."""
    name = self._graph.edge_type(edge_type).name
    num_src = self._graph.csr(name, reverse=reverse).num_src
    ids = int64_vector(ids)
    check = tf.debugging.Assert(tf.reduce_all((ids >= 0) & (ids < num_src)),
                                [f"ids must be dense node indices in [0, {num_src})"])
    with tf.control_dependencies([check]):
      inputs = [tf.math.floordiv(ids, self.num_partitions)]
      owner = self.owner(ids)
    if before is not None:
      inputs.append(tf.broadcast_to(int64_tensor(before, "before"), tf.shape(ids)))
    return name, owner, inputs

  def _partition_seed(self, seed, p: int):
    return tf.random.experimental.stateless_fold_in(seed_tensor(seed), p)

  def sample_neighbors(self, edge_type, ids, fanout, *, strategy="random", seed,
                       padding="default", default_id=-1, before=None, edge_ids=True,
                       reverse=False):
    """Sampler.sample_neighbors on the partitions.

    Raises:
      ValueError: strategy "in_degree" (it needs global in-degrees), or any
        error of tfgle.ops.sample_neighbors.
    """
    if strategy in sampling.NEIGHBOR_STRATEGIES and strategy not in _ROW_LOCAL_STRATEGIES:
      raise ValueError(f"strategy {strategy!r} is not supported on a PartitionedGraph (no "
                       f"partition knows the whole graph's in-degrees); allowed: "
                       f"{', '.join(_ROW_LOCAL_STRATEGIES)}")
    sampling.check_bool(edge_ids, "edge_ids")
    name, owner, inputs = self._rows(edge_type, ids, reverse, before)

    def run(p, local_ids, *rest):
      out = sampling.sample_neighbors(
          self.table(self.partitions[p], name, reverse), local_ids, fanout, strategy=strategy,
          seed=self._partition_seed(seed, p), padding=padding, default_id=default_id,
          before=rest[0] if rest else None, edge_ids=edge_ids)
      return tuple(t for t in out if t is not None)
    out = self.scatter_gather(owner, inputs, run)
    return SampledNeighbors(*out) if edge_ids else SampledNeighbors(out[0], None, out[1])

  def sample_fanouts(self, meta_path, ids, fanouts, *, strategy="random", seed,
                     padding="default", default_id=-1, before=None, edge_ids=True):
    """Sampler.sample_fanouts, hop by hop on the partitions (same results' layout)."""
    types = self.meta_path(meta_path, fanouts)
    strategies = sampling.hop_strategies(fanouts, strategy, len(types))
    sampling.check_bool(edge_ids, "edge_ids")
    current = int64_vector(ids)
    valid = tf.ones_like(current, tf.bool)
    hop_before = None if before is None else tf.broadcast_to(
        int64_tensor(before, "before"), tf.shape(current))
    hops = []
    for i, (edge_type, fanout, hop_strategy) in enumerate(zip(types, fanouts, strategies)):
      out = self.sample_neighbors(
          edge_type.name, tf.where(valid, current, tf.zeros_like(current)), fanout,
          strategy=hop_strategy, seed=tf.random.experimental.stateless_fold_in(
              seed_tensor(seed), i),
          padding=padding, default_id=default_id, before=hop_before)
      row_valid = valid[:, tf.newaxis]
      mask = out.mask & row_valid
      hop_edge_ids = tf.where(row_valid, out.edge_ids, tf.constant(-1, tf.int64))
      nbrs = tf.where(row_valid, out.ids, tf.constant(default_id, tf.int64))
      hops.append(SampledNeighbors(nbrs, hop_edge_ids if edge_ids else None, mask))
      # Default padding gets padding children; circular repeats are real nodes.
      valid = tf.reshape(hop_edge_ids >= 0, [-1])
      current = tf.reshape(nbrs, [-1])
      if hop_before is not None:
        hop_before = tf.repeat(hop_before, fanout)
    return hops

  def sample_full_neighbors(self, edge_type, ids, *, max_neighbors=None, seed=None,
                            before=None, reverse=False):
    """Sampler.sample_full_neighbors: each row from its owner, stitched back in order."""
    name, owner, inputs = self._rows(edge_type, ids, reverse, before)
    positions, parts = self._scatter(owner, inputs)
    results = []
    for p, partition in enumerate(self.partitions):
      with tf.device(partition.device):
        results.append(sampling.sample_full_neighbors(
            self.table(partition, name, reverse), parts[0][p], max_neighbors=max_neighbors,
            seed=None if seed is None else self._partition_seed(seed, p),
            before=parts[1][p] if len(parts) > 1 else None))
    return FullNeighbors(partitioned_nodes.stitch_ragged(positions, [r.ids for r in results]),
                         partitioned_nodes.stitch_ragged(positions,
                                                         [r.edge_ids for r in results]))

  def sample_negatives(self, edge_type, ids, num, *, strategy="random", seed, exponent=0.75,
                       max_trials=16, distribution=None, attr=None, targets=None,
                       target_categories=None, reverse=False):
    """Sampler.sample_negatives over the whole graph.

    Each source is handled by its owner, which holds all its true neighbors;
    candidates range over every destination node; "in_degree" weighs them by
    their in-degree in the whole graph. The targets' categories are read
    here, where the pipeline holds the node attributes, and travel with the
    rows.
    """
    name, owner, inputs = self._rows(edge_type, ids, reverse, None)
    if strategy != "in_degree":
      distribution, target_categories = self.negative_inputs(
          edge_type, strategy, distribution=distribution, attr=attr, targets=targets,
          target_categories=target_categories, reverse=reverse)
    if target_categories is not None:
      inputs.append(tf.broadcast_to(int64_vector(target_categories, "target_categories"),
                                    tf.shape(inputs[0])))

    def run(p, local_ids, *rest):
      part_strategy, part_distribution = strategy, None
      if strategy == "in_degree":
        part_strategy = "node_weight"
        part_distribution = self._in_degree_distribution(p, name, reverse, exponent)
      elif distribution is not None:
        part_distribution = self.cached(
            ("copy", distribution, p), lambda: self._copy(distribution, p))
      out = sampling.sample_negatives(
          self.table(self.partitions[p], name, reverse), local_ids, num,
          strategy=part_strategy, seed=self._partition_seed(seed, p), exponent=exponent,
          max_trials=max_trials, distribution=part_distribution,
          target_categories=rest[0] if rest else None)
      return tuple(out)
    return SampledNegatives(*self.scatter_gather(owner, inputs, run))

  def sample_random_walks(self, edge_types, starts, length, *, p=1.0, q=1.0, seed):
    """Sampler.sample_random_walks, step by step on the partitions.

    Every step moves all walks at once: a uniform step is sample_neighbors
    with fanout 1 on the current nodes' owners. A node2vec-biased step reads
    the whole neighbor lists of the current node (from its owner) and of the
    previous one (from its owner), weighs each candidate by its exact bias
    (1/p, 1 or 1/q) and draws one; so it costs O(degree) per walk and step
    (the local op's rejection sampling needs both rows in one place). The
    walks follow the same distribution as the local op's, not the same draws.
    """
    types = self.walk_path(edge_types, length, p, q)
    biased = float(np.float32(p)) != 1 or float(np.float32(q)) != 1
    starts = int64_vector(starts, "starts")
    num_src = self._graph.csr(types[0].name).num_src
    check = tf.debugging.Assert(tf.reduce_all((starts >= 0) & (starts < num_src)),
                                [f"starts must be dense node indices in [0, {num_src})"])
    with tf.control_dependencies([check]):
      current = tf.identity(starts)
    seed = seed_tensor(seed)
    live = tf.ones_like(current, tf.bool)
    previous = None
    columns = [current]
    for step in range(1, length + 1):
      edge_type = types[(step - 1) % len(types)].name
      step_seed = tf.random.experimental.stateless_fold_in(seed, step)
      safe = tf.where(live, current, tf.zeros_like(current))
      if biased and step >= 2:
        nxt, found = self._biased_step(edge_type, previous, safe, p, q, step_seed)
      else:
        out = self.sample_neighbors(edge_type, safe, 1, seed=step_seed, edge_ids=False)
        nxt, found = out.ids[:, 0], out.mask[:, 0]
      live = live & found
      previous, current = safe, tf.where(live, nxt, tf.constant(-1, tf.int64))
      columns.append(current)
    ids = tf.stack(columns, axis=1)
    return RandomWalks(ids, ids >= 0)

  def _biased_step(self, edge_type, previous, current, p, q, seed):
    """One node2vec step from `current` for walks that came from `previous`.

    Returns (next node [B], found [B]: False where `current` has no neighbors).
    """
    here = self.sample_full_neighbors(edge_type, current).ids
    before = self.sample_full_neighbors(edge_type, previous).ids
    num_nodes = self._graph.csr(edge_type).num_dst
    # Is each candidate x (a neighbor of current) a neighbor of previous? Rows
    # become disjoint key ranges (row * num_nodes + node) to search at once.
    row_keys = lambda ragged: (ragged.value_rowids() * num_nodes + ragged.flat_values)
    known = tf.sort(row_keys(before))
    candidates = row_keys(here)
    where = tf.searchsorted(known, candidates, out_type=tf.int64)
    member = tf.gather(tf.concat([known, [-1]], 0), where) == candidates
    rows = here.value_rowids()
    back = here.flat_values == tf.gather(previous, rows)
    weight = lambda value: tf.constant(value, tf.float64)
    alpha = tf.where(back, weight(1 / p), tf.where(member, weight(1), weight(1 / q)))
    # One draw per row, ∝ alpha, by inverse CDF over all rows' candidates at once.
    cumulative = tf.cumsum(alpha)
    splits = here.row_splits
    ends = tf.gather(tf.concat([[0.0], cumulative], 0), splits)
    low, high = ends[:-1], ends[1:]
    u = tf.random.stateless_uniform(tf.shape(low), seed=seed, dtype=tf.float64)
    pick = tf.searchsorted(cumulative, low + u * (high - low), side="right", out_type=tf.int64)
    found = here.row_lengths() > 0
    # (Floating-point rounding could step past a row's end: stay in the row.)
    pick = tf.minimum(tf.maximum(pick, splits[:-1]), tf.maximum(splits[1:] - 1, 0))
    values = tf.concat([here.flat_values, [-1]], 0)
    return tf.where(found, tf.gather(values, pick), tf.constant(-1, tf.int64)), found

  def num_edge_positions(self, edge_type, reverse=False):
    return sum(self.table(p, edge_type, reverse).num_edges for p in self.partitions)

  def edges_at(self, edge_type, positions, reverse=False):
    """Edges by position: 0..num_edges-1 enumerate partition 0's edges, then 1's, and so on."""
    tables = [self.table(p, edge_type, reverse) for p in self.partitions]
    offsets = tf.constant(np.cumsum([0] + [t.num_edges for t in tables]), tf.int64)
    positions = int64_vector(positions, "positions")
    check = tf.debugging.Assert(
        tf.reduce_all((positions >= 0) & (positions < offsets[-1])),
        [f"positions must be in [0, {int(offsets[-1])})"])
    with tf.control_dependencies([check]):
      owner = tf.searchsorted(offsets[1:], positions, side="right", out_type=tf.int32)
    local = positions - tf.gather(offsets, owner)
    num = self.num_partitions

    def run(p, local_positions):
      src, dst, eids = tables[p].edges_at(local_positions)
      return src * num + p, dst, eids
    return self.scatter_gather(owner, [local], run)

  # ------------------------------------------------------------ distributions

  def _in_degree_distribution(self, p: int, name: str, reverse: bool,
                              exponent: float) -> NodeDistribution:
    """in-degree ** exponent of every destination node over the whole graph, on partition p."""
    def build():
      csr = self._graph.csr(name, reverse=reverse)
      degree = csr.degree(tf.range(csr.num_dst, dtype=tf.int64), "in").numpy()
      weights = np.where(degree > 0, degree.astype(np.float64) ** exponent, 0.0)
      with tf.device(self.devices[p]):
        return NodeDistribution(csr.num_dst, weights=weights.astype(np.float32))
    return self.cached(("in_degree", name, bool(reverse), float(exponent), p), build)

  def _copy(self, distribution: NodeDistribution, p: int) -> NodeDistribution:
    """A copy of `distribution` on partition p's device."""
    with tf.device(self.devices[p]):
      return NodeDistribution(distribution.num_nodes, weights=distribution.weights,
                              categories=distribution.categories)

"""Lowers a GSL query DAG into a tf.data pipeline of TensorFlow ops.

The pipeline is: seed traversal (tfgle.gsl.traversal) -> one `map` that runs
every step of the DAG with tfgle's sampling ops -> prefetch. Nothing runs in
Python per batch, so tf.data parallelism, tf.distribute and checkpointing
apply. Each step's randomness is keyed by the batch's sampling seed folded with
the step's index, so a batch is a pure function of (base seed, epoch, batch
position): identical under any `num_parallel_calls`.

Every step samples through the query's `tfgle.graph.Sampler` (the local graph,
a partitioned graph, ...). Chains of `outV(...).sample(k).by(s)` steps with one
strategy are fused into a single multi-hop sampling call (no op launch per hop).
A by("full") step pads its neighbor lists to the batch's longest one.

Time bounds (`before`) are computed per element of the step being sampled
from: an int fills them, an alias broadcasts its step's times ("time": a V()
source's given times, an E() source's or sampled edges' timestamps looked up
by edge id, an endpoint's edge's) over the axes added since. A fused chain
passes one bound per seed, which the op applies to every hop.

Element layout, per aliased step:
  vertex steps: {"ids": int64 [B, k1, ...] external ids (-1 where padded; a
                 random_walk step adds an axis of length + 1),
                 "index": int64 dense indices (0 where padded), "mask": bool,
                 <node feature>: feature values of each vertex, ["label"],
                 ["edges": {<edge feature>: the values of the edge each sampled
                 vertex was reached by, zero (empty, "") where padded}]}
  edge steps:   {"src_ids", "dst_ids", "edge_ids", "mask", "weight"?, <edge features>}
  steps with before() also: {"timestamp": int64, the sampled edge's time,
                 "time_delta": int64, the bound minus it} (0 where padded)
"""
from __future__ import annotations

from typing import Optional

import tensorflow as tf

from tfgle.gsl import traversal
from tfgle.gsl.query import EDGE, VERTEX, Step, _Dag
from tfgle.ops.conditional_negatives import NegativeCondition
from tfgle.ops.sampling import SampledNeighbors


def lower(dag: _Dag, *, features, labels: bool, num_parallel_calls: Optional[int],
          prefetch: Optional[int], deterministic: bool, seed,
          shard: Optional[tuple] = None,
          position: Optional[tuple] = None, edge_features=None) -> tf.data.Dataset:
  """The tf.data.Dataset of a validated query DAG (see Query.values)."""
  sampler, graph = dag.sampler, dag.graph
  source = dag.steps[0]
  seed_indices = None  # V() with times: batches are positions in the seeds
  if source.op == "V":
    population = _seed_population(sampler, source)
    if source.times is not None:
      seed_indices, population = population, len(source.times)
  else:
    population = sampler.num_edge_positions(source.edge_type.name)
  seeds = traversal.seed_batches(population, source.batch_size, order=source.order,
                                 drop_remainder=source.drop_remainder, seed=seed,
                                 shard=shard, position=position)
  chains = _fusable_chains(dag)
  aliases = dag.aliases()
  timed = _timed_steps(dag)
  want_features = _feature_selection(graph, aliases, features)
  want_edges = _edge_feature_selection(graph, aliases, edge_features, want_features)

  def sample_batch(batch, batch_seed):
    results: dict[int, dict[str, tf.Tensor]] = {}
    for step in dag.steps:
      if step.index in results:  # produced by a fused chain
        continue
      step_seed = tf.random.experimental.stateless_fold_in(batch_seed, step.index)
      if step.parent is None:
        results[step.index] = _source(sampler, step, batch, seed_indices, step.index in timed)
      elif step.index in chains:
        chain = chains[step.index]
        parent = results[step.parent.index]
        bound = _bound(chain[0], parent, results, aliases)
        for hop, out in zip(chain, _fused(sampler, chain, parent, bound, timed, step_seed)):
          results[hop.index] = out
      else:
        results[step.index] = _step(sampler, step, results, aliases, timed, step_seed)
      if step.filter is not None:
        target = results[aliases[step.filter].index]
        out = results[step.index]
        keep = out["index"] != _broadcast_to(target["index"], out["index"])
        out["mask"] = out["mask"] & keep
    return {alias: _materialize(sampler, step, results[step.index],
                                want_features.get(alias, ()), labels, want_edges.get(alias, ()))
            for alias, step in aliases.items()}

  dataset = seeds.map(sample_batch,
                      num_parallel_calls=num_parallel_calls or tf.data.AUTOTUNE,
                      deterministic=deterministic)
  # The graph tables are resources, which tf.data counts as external state:
  # iterators checkpoint their position only, and tfgle.data.IteratorCheckpoint
  # guards restores with the graph's fingerprint instead.
  options = tf.data.Options()
  options.experimental_external_state_policy = (
      tf.data.experimental.ExternalStatePolicy.IGNORE)
  return dataset.prefetch(prefetch or tf.data.AUTOTUNE).with_options(options)


def _seed_population(sampler, source: Step):
  """Dense indices of the seeds of a V() source."""
  graph = sampler.graph
  node_type, mask = source.node_type, source.mask
  if mask is None:
    return graph.num_nodes(node_type)
  if isinstance(mask, str):
    return graph.split_indices(node_type, mask)
  return sampler.lookup_indices(node_type, mask)


def _feature_selection(graph, aliases, features) -> dict[str, tuple]:
  selected = {}
  for alias, step in aliases.items():
    if step.kind == VERTEX:
      available = list(graph.node_attrs(step.node_type))
    else:
      available = list(graph.edge_attrs(step.edge_type.name))
    if features is True:
      selected[alias] = tuple(available)
    elif isinstance(features, dict):
      names = tuple(features.get(alias, ()))
      unknown = [n for n in names if n not in available]
      if unknown:
        raise ValueError(f"values(features=...): alias {alias!r} ({step.describe()}) has no "
                         f"features {unknown}; it has {available}")
      selected[alias] = names
    elif features is not False:
      raise ValueError(f"values(features=...) must be True, False or a dict alias -> names, "
                       f"got {features!r}")
  return selected


def _edge_feature_selection(graph, aliases, edge_features, want_features) -> dict[str, tuple]:
  """values(edge_features=...): alias -> the edge attributes of its sampled edges."""
  if edge_features is None:
    return {}
  if not isinstance(edge_features, dict):
    raise ValueError(f"values(edge_features=...) must be None or a dict alias -> edge feature "
                     f"names, got {edge_features!r}")
  selected = {}
  for alias, names in edge_features.items():
    if alias not in aliases:
      raise ValueError(f"values(edge_features=...): no step has alias {alias!r}; aliases: "
                       f"{sorted(aliases)}")
    step = aliases[alias]
    if step.kind != VERTEX or not step.samples_neighbors:
      raise ValueError(f"values(edge_features=...): alias {alias!r} ({step.describe()}) does "
                       "not sample vertices along edges; edge features apply to outV/inV "
                       "sampling steps from vertices")
    if isinstance(names, str) or not all(isinstance(n, str) for n in names):
      raise ValueError(f"values(edge_features=...): alias {alias!r} needs a list of edge "
                       f"feature names, got {names!r}")
    available = list(graph.edge_attrs(step.edge_type.name))
    unknown = [n for n in names if n not in available]
    if unknown:
      raise ValueError(f"values(edge_features=...): alias {alias!r} ({step.describe()}) has no "
                       f"edge features {unknown}; edge type {step.edge_type.name!r} has "
                       f"{available}")
    if names and "edges" in want_features.get(alias, ()):
      raise ValueError(f"values(edge_features=...): alias {alias!r} gathers a node feature "
                       "named 'edges', the entry that holds its edge features; leave that node "
                       "feature out")
    if names:
      selected[alias] = tuple(names)
  return selected


# ------------------------------------------------------------------ steps


def _source(sampler, step: Step, batch, seed_indices, timed: bool) -> dict:
  if step.op == "V":
    out = {"mask": tf.ones_like(batch, tf.bool)}
    if step.times is None:
      return dict(out, index=batch)
    # `batch` holds positions in the seeds: their indices and their times.
    index = batch if isinstance(seed_indices, int) else tf.gather(seed_indices, batch)
    return dict(out, index=index, time=tf.gather(tf.constant(step.times), batch))
  src, dst, edge_ids = sampler.edges_at(step.edge_type.name, batch)
  if step.reverse:
    src, dst = dst, src
  out = {"src_index": src, "dst_index": dst, "edge_ids": edge_ids,
         "mask": tf.ones_like(batch, tf.bool), "edge_type": step.edge_type}
  if timed:
    out["time"] = sampler.edge_timestamps(step.edge_type.name, edge_ids)
  return out


def _timed_steps(dag: _Dag) -> set[int]:
  """The steps whose elements' times a before(alias) reads (endpoints read their edges')."""
  aliases = dag.aliases()
  timed = set()
  for step in dag.steps:
    if isinstance(step.before, str):
      target = aliases[step.before]
      timed.add(target.index)
      while target.endpoint:
        target = target.parent
        timed.add(target.index)
  return timed


def _bound(step: Step, parent, results, aliases):
  """The time bound of each element of `parent` that `step` samples from, or None."""
  if step.before is None:
    return None
  if isinstance(step.before, str):
    return _broadcast_to(results[aliases[step.before].index]["time"], parent["index"])
  return tf.fill(tf.shape(parent["index"]), tf.constant(step.before, tf.int64))


def _with_times(sampler, step: Step, out: dict, edge_ids, bound, timed) -> dict:
  """`out` with the sampled edges' "timestamp" and the "bound" of each sample, as needed."""
  if bound is None and step.index not in timed:
    return out
  stamps = sampler.edge_timestamps(step.edge_type.name, tf.maximum(edge_ids, 0))
  out["timestamp"] = tf.where(out["mask"], stamps, tf.constant(0, tf.int64))
  out["time"] = out["timestamp"]
  if bound is not None:
    out["bound"] = bound
  return out


def _step(sampler, step: Step, results, aliases, timed, seed) -> dict:
  parent = results[step.parent.index]
  if step.endpoint:  # an endpoint of the parent edges, no sampling
    take_src = not step.reverse
    out = {"index": parent["src_index"] if take_src else parent["dst_index"],
           "mask": parent["mask"]}
    if "time" in parent:
      out["time"] = parent["time"]
    return out
  if step.negative:
    return _negatives(sampler, step, results, aliases, parent, seed)
  if step.op == "random_walk":
    return _random_walk(sampler, step, parent, seed)
  index = parent["index"]
  bound = _bound(step, parent, results, aliases)
  flat_bound = None if bound is None else tf.reshape(bound, [-1])
  if step.strategy == "full":
    sampled, count = _full(sampler, step, tf.reshape(index, [-1]), seed, flat_bound)
  else:
    sampled, count = sampler.sample_neighbors(
        step.edge_type.name, tf.reshape(index, [-1]), step.count, strategy=step.strategy,
        seed=seed, reverse=step.reverse, before=flat_bound), step.count
  shape = tf.concat([tf.shape(index), [count]], 0)
  mask = tf.reshape(sampled.mask, shape) & parent["mask"][..., tf.newaxis]
  nbrs = tf.where(mask, tf.reshape(sampled.ids, shape), tf.constant(0, tf.int64))
  edge_ids = tf.where(mask, tf.reshape(sampled.edge_ids, shape), tf.constant(-1, tf.int64))
  if step.kind == VERTEX:
    return _with_times(sampler, step, {"index": nbrs, "mask": mask, "edge_ids": edge_ids},
                       edge_ids, bound, timed)
  src = tf.where(mask, _broadcast_to(index, nbrs), tf.constant(0, tf.int64))
  if step.reverse:  # in-edges: the sampled node is the edge's source
    src, nbrs = nbrs, src
  out = {"src_index": src, "dst_index": nbrs, "edge_ids": edge_ids, "mask": mask,
         "edge_type": step.edge_type}
  return _with_times(sampler, step, out, edge_ids, bound, timed)


def _full(sampler, step: Step, flat_index, seed, before=None):
  """by("full"): the (capped) neighbor lists, padded to the longest, and that length."""
  full = sampler.sample_full_neighbors(step.edge_type.name, flat_index,
                                       max_neighbors=step.count, seed=seed, before=before,
                                       reverse=step.reverse)
  ids = full.ids.to_tensor(0)
  longest = tf.shape(ids)[1]
  mask = tf.sequence_mask(full.ids.row_lengths(), longest)
  return SampledNeighbors(ids, full.edge_ids.to_tensor(-1), mask), longest


def _negatives(sampler, step: Step, results, aliases, parent, seed) -> dict:
  index = parent["index"]
  flat = tf.reshape(index, [-1])
  shape = tf.concat([tf.shape(index), [step.count]], 0)
  if step.op == "Neg":  # uniform over the node type, no exclusion
    negatives = tf.random.stateless_uniform(
        shape, seed=seed, maxval=sampler.graph.num_nodes(step.node_type), dtype=tf.int64)
    return {"index": negatives, "mask": tf.broadcast_to(parent["mask"][..., tf.newaxis],
                                                        shape)}
  kwargs = {}
  condition = None
  if step.where is not None:
    target_alias, condition = step.where
    target = results[aliases[target_alias].index]
    kwargs = {"targets": tf.reshape(_broadcast_to(target["index"], index), [-1])}
    if isinstance(condition, str):
      kwargs["attr"] = condition
    else:
      kwargs["target_mask"] = tf.reshape(_broadcast_to(target["mask"], index), [-1])
  if isinstance(condition, NegativeCondition):
    base = "random" if step.strategy == "conditional" else step.strategy
    sampled = sampler.sample_conditional_negatives(
        step.edge_type.name, flat, step.count, condition=condition, strategy=base, seed=seed,
        reverse=step.reverse, **kwargs)
  else:
    sampled = sampler.sample_negatives(step.edge_type.name, flat, step.count,
                                       strategy=step.strategy, seed=seed, reverse=step.reverse,
                                       **kwargs)
  mask = tf.reshape(sampled.mask, shape) & parent["mask"][..., tf.newaxis]
  return {"index": tf.where(mask, tf.reshape(sampled.ids, shape), tf.constant(0, tf.int64)),
          "mask": mask}


def _random_walk(sampler, step: Step, parent, seed) -> dict:
  """random_walk(): a walk from every parent vertex, [..., length + 1]."""
  index = parent["index"]
  walks = sampler.sample_random_walks([t.name for t in step.walk_edge_types],
                                      tf.reshape(index, [-1]), step.walk_length, p=step.p,
                                      q=step.q, seed=seed)
  shape = tf.concat([tf.shape(index), [step.walk_length + 1]], 0)
  mask = tf.reshape(walks.mask, shape) & parent["mask"][..., tf.newaxis]
  return {"index": tf.where(mask, tf.reshape(walks.ids, shape), tf.constant(0, tf.int64)),
          "mask": mask}


def _fusable_chains(dag: _Dag) -> dict[int, list[Step]]:
  """Maximal chains of vertex outV-sampling steps with one strategy, keyed by first step."""
  def fusable(step):
    return (step.op == "outV" and step.parent is not None and step.parent.kind == VERTEX
            and step.strategy not in (None, "", "full") and step.filter is None)
  chains = {}
  in_chain = set()
  for step in dag.steps:
    if not fusable(step) or step.index in in_chain:
      continue
    chain = [step]
    while True:
      # One bound per seed for every hop: the chain's steps share their before().
      children = [s for s in dag.steps if s.parent is chain[-1] and fusable(s)
                  and s.strategy == step.strategy and s.before == step.before]
      if not children:
        break
      chain.append(children[0])
    if len(chain) > 1:
      chains[step.index] = chain
      in_chain.update(s.index for s in chain)
  return chains


def _fused(sampler, chain: list[Step], parent, bound, timed, seed) -> list[dict]:
  index = parent["index"]
  hops = sampler.sample_fanouts(
      [s.edge_type.name for s in chain], tf.reshape(index, [-1]),
      [s.count for s in chain], strategy=chain[0].strategy, seed=seed,
      before=None if bound is None else tf.reshape(bound, [-1]))
  outs = []
  shape = tf.shape(index)
  mask = parent["mask"]
  for step, (nbrs, edge_ids, hop_mask) in zip(chain, hops):
    shape = tf.concat([shape, [step.count]], 0)
    mask = tf.reshape(hop_mask, shape) & mask[..., tf.newaxis]
    nbrs = tf.reshape(nbrs, shape)
    edge_ids = tf.where(mask, tf.reshape(edge_ids, shape), tf.constant(-1, tf.int64))
    out = {"index": tf.where(mask, nbrs, tf.zeros_like(nbrs)), "mask": mask,
           "edge_ids": edge_ids}
    outs.append(_with_times(sampler, step, out, edge_ids, bound, timed))
  return outs


# ------------------------------------------------------------------ output


def _broadcast_to(target, like):
  """`target` [..] broadcast over the extra trailing dims of `like` [.., k, ...]."""
  extra = like.shape.rank - target.shape.rank
  for _ in range(extra):
    target = target[..., tf.newaxis]
  return tf.broadcast_to(target, tf.shape(like))


def _materialize(sampler, step: Step, out: dict, feature_names, labels: bool,
                 edge_names=()) -> dict:
  graph = sampler.graph
  mask = out["mask"]
  if step.kind == VERTEX:
    index = out["index"]
    ids = sampler.gather_ids(step.node_type, index)
    result = {"ids": tf.where(mask, ids, tf.constant(-1, tf.int64)), "index": index,
              "mask": mask}
    if feature_names:
      result.update(sampler.gather_features(step.node_type, index, feature_names))
    if labels:
      result["label"] = sampler.gather_labels(step.node_type, index)
    if edge_names:
      values = graph.edge_features(step.edge_type.name, tf.maximum(out["edge_ids"], 0),
                                   edge_names)
      result["edges"] = {name: _zero_padding(v, mask) for name, v in values.items()}
    return _time_outputs(step, out, result)
  et = out["edge_type"]
  result = {"src_ids": tf.where(mask, sampler.gather_ids(et.src, out["src_index"]), -1),
            "dst_ids": tf.where(mask, sampler.gather_ids(et.dst, out["dst_index"]), -1),
            "edge_ids": out["edge_ids"], "mask": mask}
  if feature_names:
    safe_ids = tf.maximum(out["edge_ids"], 0)
    result.update(graph.edge_features(et.name, safe_ids, feature_names))
  return _time_outputs(step, out, result)


def _zero_padding(values, mask):
  """`values` [..., (L), (D)] with the entries where mask [...] is False zeroed (ragged
  multi-values emptied; strings "")."""
  if isinstance(values, tf.RaggedTensor):  # [..., None]: keep the values of unmasked rows
    rows = values.merge_dims(0, mask.shape.rank - 1) if mask.shape.rank > 1 else values
    keep = tf.gather(tf.reshape(mask, [-1]), rows.value_rowids())
    return tf.ragged.boolean_mask(values, values.with_flat_values(keep))
  keep = mask
  for _ in range(values.shape.rank - mask.shape.rank):
    keep = keep[..., tf.newaxis]
  return tf.where(tf.broadcast_to(keep, tf.shape(values)), values, tf.zeros_like(values))


def _time_outputs(step: Step, out: dict, result: dict) -> dict:
  """A before() step's "timestamp" and "time_delta" (0 where padded, filter() included)."""
  if step.before is None:
    return result
  mask, zero = out["mask"], tf.constant(0, tf.int64)
  stamps = tf.where(mask, out["timestamp"], zero)
  result["timestamp"] = stamps
  result["time_delta"] = tf.where(mask, _broadcast_to(out["bound"], stamps) - stamps, zero)
  return result

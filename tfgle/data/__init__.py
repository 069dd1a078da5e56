"""Batch structures and their datasets: EgoGraph (dense per hop), SubGraph (edge_index),
homogeneous or heterogeneous, and graph batches (whole small graphs of a collection, with a
graph index).

Imports tfgle.graph (samplers) and tfgle.gsl (queries); models and training build on it.
"""
from tfgle.data.checkpoint import IteratorCheckpoint
from tfgle.data.ego_graph import EgoSpec
from tfgle.data.ego_graph import ego_graph_dataset
from tfgle.data.ego_graph import ego_spec
from tfgle.data.ego_graph import hop_name
from tfgle.data.ego_graph import link_ego_graph_dataset
from tfgle.data.full_graph import full_graph
from tfgle.data.full_graph import full_graph_dataset
from tfgle.data.hetero_subgraph import HeteroSpec
from tfgle.data.hetero_subgraph import hetero_graph_tensor
from tfgle.data.hetero_subgraph import hetero_spec
from tfgle.data.hetero_subgraph import hetero_subgraph_dataset
from tfgle.data.hetero_subgraph import induced_hetero_subgraph
from tfgle.data.graph_batch import graph_batch_dataset
from tfgle.data.subgraph import induced_subgraph
from tfgle.data.subgraph import subgraph_dataset
from tfgle.data.subgraph import to_graph_tensor
from tfgle.data.link_split import EdgeSplit
from tfgle.data.link_split import split_edges
from tfgle.data.skip_gram import skip_gram_dataset
from tfgle.data.triples import triple_dataset

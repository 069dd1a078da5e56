"""Batch structures: EgoGraph (dense per hop) and SubGraph (edge_index) datasets."""
from tfgle.data.checkpoint import IteratorCheckpoint
from tfgle.data.ego_graph import EgoGraphDataset
from tfgle.data.ego_graph import EgoSpec
from tfgle.data.ego_graph import LinkEgoGraphDataset
from tfgle.data.ego_graph import ego_spec
from tfgle.data.ego_graph import hop_name
from tfgle.data.subgraph import SubGraphDataset
from tfgle.data.subgraph import induced_subgraph
from tfgle.data.subgraph import to_graph_tensor

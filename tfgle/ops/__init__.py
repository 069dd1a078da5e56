"""Wrappers of tfgle's custom TensorFlow ops on in-graph tables (never call the generated ops).

The bottom layer: imports TensorFlow and the op library only; they take tables and tensors.
"""
from tfgle.ops.tables import CsrTable
from tfgle.ops.tables import IdMapTable
from tfgle.ops.sampling import FullNeighbors
from tfgle.ops.gather import gather_rows
from tfgle.ops.sampling import NodeDistribution
from tfgle.ops.sampling import SampledNegatives
from tfgle.ops.sampling import SampledNeighbors
from tfgle.ops.sampling import sample_fanouts
from tfgle.ops.sampling import sample_full_neighbors
from tfgle.ops.sampling import sample_negatives
from tfgle.ops.sampling import sample_neighbors
from tfgle.ops.random_walk import RandomWalks
from tfgle.ops.random_walk import sample_random_walks

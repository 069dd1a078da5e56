"""GSL, the Graph Sampling Language: fluent queries lowered to tf.data pipelines.

Queries sample through a tfgle.graph.Sampler they are given; imports tfgle.ops only.
"""
from tfgle.gsl.query import NEGATIVE_STRATEGIES
from tfgle.gsl.query import NEIGHBOR_STRATEGIES
from tfgle.gsl.query import Query
from tfgle.gsl.traversal import seed_batches

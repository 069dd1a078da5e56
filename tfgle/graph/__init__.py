"""Graphs: table schema and readers, the builder, the built graph and its Sampler, and
collections of many small graphs (`GraphCollection`, `read_graph_collection`).

Imports tfgle.ops (in-graph tables, sampling ops) and tfgle.gsl (queries); nothing above them.
"""
from tfgle.graph.graph import Graph
from tfgle.graph.graph import as_sampler
from tfgle.graph.graph_collection import GraphCollection
from tfgle.graph.graph_collection import read_graph_collection
from tfgle.graph.sampler import LocalSampler
from tfgle.graph.sampler import Sampler
from tfgle.graph.schema import CategoricalAttr
from tfgle.graph.schema import Decoder
from tfgle.graph.schema import FloatAttr
from tfgle.graph.schema import IntAttr
from tfgle.graph.schema import StringAttr
from tfgle.graph.schema import TextAttr
from tfgle.graph.stores import EdgeType
from tfgle.graph.stores import Neighbors

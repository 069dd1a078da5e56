"""Graph schema, table loading and the built graph with its in-graph tables."""
from tfgle.graph.graph import EdgeType
from tfgle.graph.graph import Graph
from tfgle.graph.graph import Neighbors
from tfgle.graph.schema import CategoricalAttr
from tfgle.graph.schema import Decoder
from tfgle.graph.schema import FloatAttr
from tfgle.graph.schema import IntAttr
from tfgle.graph.schema import StringAttr

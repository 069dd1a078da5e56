"""Ready-made graphs: loaders of public data sets, their downloaders, synthetic generators
(one big graph, or a collection of small graphs labeled by their structure).

Imports tfgle.graph (it returns built Graphs); nothing that trains.
"""
from tfgle.datasets.citation import load_citation
from tfgle.datasets.download import download_movielens
from tfgle.datasets.download import download_planetoid
from tfgle.datasets.movielens import load_movielens
from tfgle.datasets.synthetic import synthetic
from tfgle.datasets.synthetic_graphs import synthetic_graph_collection

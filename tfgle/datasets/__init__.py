"""Ready-made graphs: loaders of public data sets and KG triples, downloaders, synthetic
generators (one big graph, a knowledge graph, or a collection of small graphs labeled by their
structure).

Imports tfgle.graph (it returns built Graphs); nothing that trains.
"""
from tfgle.datasets.citation import load_citation
from tfgle.datasets.download import download_movielens
from tfgle.datasets.download import download_planetoid
from tfgle.datasets.movielens import load_movielens
from tfgle.datasets.synthetic import synthetic
from tfgle.datasets.knowledge_graph import KnowledgeGraph
from tfgle.datasets.knowledge_graph import load_triples
from tfgle.datasets.knowledge_graph import synthetic_knowledge_graph
from tfgle.datasets.synthetic_graphs import synthetic_graph_collection

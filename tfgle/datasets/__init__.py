"""Ready-made graphs: loaders of public data sets and a synthetic generator."""
from tfgle.datasets.citation import load_citation
from tfgle.datasets.download import download_movielens
from tfgle.datasets.download import download_planetoid

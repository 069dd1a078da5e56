"""Ready-made graphs: loaders of public data sets and a synthetic generator."""
from tfgle.datasets.citation import load_citation

"""Ready-made graphs: loaders of public data sets and a synthetic generator."""

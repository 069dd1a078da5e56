"""tfgle's model zoo, installed as the package `tfgle.models`."""
from tfgle.models.ego_bipartite_sage import EgoBipartiteSAGE

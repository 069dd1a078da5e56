"""tfgle's model zoo, installed as the package `tfgle.models`."""

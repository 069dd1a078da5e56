"""The public API changes only on purpose: compare it with tests/public_api.txt.

After an intended change, regenerate the list with
  python tests/test_public_api.py > tests/public_api.txt
"""
import importlib
import os
import types

MODULES = ("tfgle", "tfgle.data", "tfgle.datasets", "tfgle.distribute", "tfgle.export",
           "tfgle.features", "tfgle.graph", "tfgle.gsl", "tfgle.layers", "tfgle.losses", "tfgle.metrics",
           "tfgle.models", "tfgle.ops")
API_FILE = os.path.join(os.path.dirname(__file__), "public_api.txt")


def public_api() -> list[str]:
  lines = []
  for name in MODULES:
    module = importlib.import_module(name)
    for attr in sorted(dir(module)):
      value = getattr(module, attr)
      if attr.startswith("_") or attr in ("annotations",):
        continue
      # The public modules are MODULES; other module attributes are layout (or
      # np/tf imports), and which submodules are attributes depends on import order.
      if isinstance(value, types.ModuleType):
        continue
      lines.append(f"{name}.{attr}")
  return lines


def test_public_api_matches_the_checked_in_list():
  with open(API_FILE) as f:
    expected = [line.strip() for line in f if line.strip()]
  actual = public_api()
  added = sorted(set(actual) - set(expected))
  removed = sorted(set(expected) - set(actual))
  assert not added and not removed, (
      f"public API changed: added {added}, removed {removed}; if intended, regenerate "
      f"{API_FILE} (see this file's docstring)")


if __name__ == "__main__":
  print("\n".join(public_api()))

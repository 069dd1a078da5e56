"""Each tfgle package imports only the packages below it (as its __init__ docstring says).

A package that reaches up (tfgle.ops importing tfgle.graph, tfgle.gsl importing
tfgle.graph, ...) makes an import cycle waiting to happen; this test fails on it.
"""
import ast
import os

import pytest

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tfgle")

# package -> the tfgle packages (and top-level modules) it may import.
ALLOWED = {
    "ops": set(),
    "gsl": {"ops"},
    "graph": {"ops", "gsl"},
    "data": {"ops", "gsl", "graph"},
    "features": {"graph"},
    "layers": set(),
    "datasets": {"ops", "graph"},
    "distribute": {"ops", "gsl", "graph", "data"},
    "export": {"ops", "graph", "data", "features"},
}


def _tfgle_imports(path: str) -> set[str]:
  with open(path) as f:
    tree = ast.parse(f.read(), path)
  found = set()
  for node in ast.walk(tree):
    names = []
    if isinstance(node, ast.Import):
      names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
      names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    for name in names:
      parts = name.split(".")
      if parts[0] == "tfgle" and len(parts) > 1 and not parts[1].startswith("_"):
        found.add(parts[1])
  return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_the_layers_below(package):
  directory = os.path.join(ROOT, package)
  assert os.path.isdir(directory), f"no package tfgle.{package}"
  reaching_up = {}
  for name in sorted(os.listdir(directory)):
    if name.endswith(".py"):
      extra = _tfgle_imports(os.path.join(directory, name)) - ALLOWED[package] - {package}
      if extra:
        reaching_up[name] = sorted(extra)
  assert not reaching_up, (f"tfgle.{package} may import only {sorted(ALLOWED[package])}, "
                           f"but imports: {reaching_up}")


def test_the_check_sees_imports():
  # The checker itself must find tfgle imports, or the test above could never fail.
  assert {"ops", "gsl"} <= _tfgle_imports(os.path.join(ROOT, "graph", "sampler.py"))

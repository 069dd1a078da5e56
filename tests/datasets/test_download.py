"""Tests of the data set downloads against a local HTTP server (no other network)."""
import functools
import hashlib
import http.server
import os
import pickle
import shutil
import socket
import tempfile
import threading
import zipfile
from unittest import mock

import numpy as np
import tensorflow as tf

import tfgle
from tfgle.datasets import download
from tests.conftest import require_dataset
from tests.datasets.test_planetoid import _RunsCommand, read_edges, read_nodes

ML_100K_FILES = ("README", "u.data", "u.genre", "u.info", "u.item", "u.occupation", "u.user",
                 "ua.base", "ua.test")


class _Handler(http.server.SimpleHTTPRequestHandler):
  """Serves `directory`, records request paths, and truncates files under /truncated/."""

  def __init__(self, *args, requests, **kwargs):
    self._requests = requests
    super().__init__(*args, **kwargs)

  def do_GET(self):  # pylint: disable=invalid-name
    self._requests.append(self.path)
    if self.path.startswith("/truncated/"):
      self.send_response(200)
      self.send_header("Content-Length", "1000")
      self.end_headers()
      self.wfile.write(b"only a few bytes")
      self.wfile.flush()
      self.close_connection = True
      return
    super().do_GET()

  def log_message(self, *args):  # keep test output quiet
    pass


class LocalServer:
  """A threaded HTTP server on 127.0.0.1 (port chosen by the OS) serving `directory`."""

  def __init__(self, directory):
    self.requests = []
    handler = functools.partial(_Handler, directory=directory, requests=self.requests)
    self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
    self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
    self._thread.start()

  def close(self):
    self._server.shutdown()
    self._server.server_close()
    self._thread.join()


def closed_port_url():
  """A URL on 127.0.0.1 where nothing listens."""
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
  return f"http://127.0.0.1:{port}"


def sha256_of(path):
  with open(path, "rb") as f:
    return hashlib.sha256(f.read()).hexdigest()


def files_under(root):
  return sorted(os.path.relpath(os.path.join(d, f), root)
                for d, _, names in os.walk(root) for f in names)


class DownloadTestCase(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    # No test may reach a host other than the local server.
    connect = socket.create_connection

    def local_only(address, *args, **kwargs):
      if address[0] != "127.0.0.1":
        raise AssertionError(f"a test tried to connect to {address}")
      return connect(address, *args, **kwargs)

    patcher = mock.patch.object(socket, "create_connection", local_only)
    patcher.start()
    self.addCleanup(patcher.stop)
    self.served = self.new_dir()
    self.server = LocalServer(self.served)
    self.addCleanup(self.server.close)

  def new_dir(self):
    return tempfile.mkdtemp(dir=self.get_temp_dir())

  def serve_planetoid(self, folder, replace=None):
    """Serves the shared raw Cora files under /<folder>/, some replaced by other bytes."""
    raw = require_dataset("planetoid")
    os.makedirs(os.path.join(self.served, folder))
    for name in os.listdir(raw):
      content = (replace or {}).get(name)
      if content is None:
        shutil.copy(os.path.join(raw, name), os.path.join(self.served, folder, name))
      else:
        with open(os.path.join(self.served, folder, name), "wb") as f:
          f.write(content)
    return f"{self.server.url}/{folder}"


class DownloadPlanetoidTest(DownloadTestCase):

  def test_cora_equals_the_shared_tables_and_loads(self):
    cora = require_dataset("cora")
    root = self.new_dir()
    out = download.download_planetoid("cora", root, base_url=self.serve_planetoid("planetoid"))
    self.assertEqual(out, os.path.join(root, "cora"))
    self.assertEqual(read_nodes(os.path.join(out, "nodes.tsv")),
                     read_nodes(os.path.join(cora, "nodes.tsv")))
    self.assertEqual(set(read_edges(os.path.join(out, "edges.tsv"))),
                     set(read_edges(os.path.join(cora, "edges.tsv"))))
    npz, want = np.load(os.path.join(out, "cora.npz")), np.load(os.path.join(cora, "cora.npz"))
    for key in want.files:
      self.assertAllEqual(npz[key], want[key])
    raw_files = [f"raw/ind.cora.{p}" for p in
                 ("allx", "ally", "graph", "test.index", "tx", "ty", "x", "y")]
    self.assertEqual(files_under(out), sorted(raw_files + ["cora.npz", "edges.tsv", "nodes.tsv"]))
    for name, digest in download.PLANETOID_SHA256["cora"].items():
      self.assertEqual(sha256_of(os.path.join(out, "raw", name)), digest)
    self.assertCountEqual(self.server.requests,
                          [f"/planetoid/{name}" for name in download.PLANETOID_SHA256["cora"]])
    _, info = tfgle.datasets.load_citation(out)
    self.assertEqual(info.name, "cora")
    self.assertEqual((info.num_nodes, info.num_edges, info.num_classes), (2708, 10556, 7))
    self.assertEqual(info.splits, {"train": 140, "val": 500, "test": 1000})

  def test_pinned_cora_checksums_are_those_of_the_shared_files(self):
    raw = require_dataset("planetoid")
    self.assertCountEqual(download.PLANETOID_SHA256["cora"], os.listdir(raw))
    for name, digest in download.PLANETOID_SHA256["cora"].items():
      self.assertEqual(sha256_of(os.path.join(raw, name)), digest, name)

  def test_cached_data_needs_no_network(self):
    root = self.new_dir()
    out = download.download_planetoid("Cora", root, base_url=self.serve_planetoid("planetoid"))
    self.assertLen(self.server.requests, 8)
    self.assertEqual(download.download_planetoid("cora", root, base_url=closed_port_url()), out)
    # Without the tables, the cached raw files are converted again, still offline.
    os.remove(os.path.join(out, "nodes.tsv"))
    self.assertEqual(download.download_planetoid("cora", root, base_url=closed_port_url()), out)
    self.assertEqual(read_nodes(os.path.join(out, "nodes.tsv")),
                     read_nodes(os.path.join(require_dataset("cora"), "nodes.tsv")))
    # A cached raw file that lost its checksum is fetched again.
    with open(os.path.join(out, "raw", "ind.cora.y"), "ab") as f:
      f.write(b"junk")
    os.remove(os.path.join(out, "nodes.tsv"))
    download.download_planetoid("cora", root, base_url=self.server.url + "/planetoid")
    self.assertEqual(self.server.requests[8:], ["/planetoid/ind.cora.y"])
    self.assertEqual(sha256_of(os.path.join(out, "raw", "ind.cora.y")),
                     download.PLANETOID_SHA256["cora"]["ind.cora.y"])

  def test_checksum_mismatch_deletes_the_file(self):
    graph = os.path.join(require_dataset("planetoid"), "ind.cora.graph")
    with open(graph, "rb") as f:
      tampered = f.read() + b"\n"
    base_url = self.serve_planetoid("tampered", {"ind.cora.graph": tampered})
    root = self.new_dir()
    expected = download.PLANETOID_SHA256["cora"]["ind.cora.graph"]
    got = hashlib.sha256(tampered).hexdigest()
    with self.assertRaisesRegex(
        download.ChecksumError,
        f"checksum mismatch for ind.cora.graph downloaded from {base_url}/ind.cora.graph: "
        f"expected SHA-256 {expected}, got {got} \\({len(tampered)} bytes\\); the file was "
        "deleted"):
      download.download_planetoid("cora", root, base_url=base_url)
    files = files_under(root)
    self.assertNotIn("cora/raw/ind.cora.graph", files)
    self.assertFalse([f for f in files if f.endswith(".part")], files)
    self.assertNotIn("cora/nodes.tsv", files)

  def test_sha256_override(self):
    base_url = self.serve_planetoid("planetoid")
    with self.assertRaisesRegex(download.ChecksumError, "checksum mismatch for ind.cora.x .*"
                                f"expected SHA-256 {'0' * 64}, got "):
      download.download_planetoid("cora", self.new_dir(), base_url=base_url,
                                  sha256={"ind.cora.x": "0" * 64})
    with self.assertRaisesRegex(ValueError, r"sha256 names unknown files \['ind.cora.z'\]; the "
                                "files are .*'ind.cora.allx'"):
      download.download_planetoid("cora", self.new_dir(), base_url=base_url,
                                  sha256={"ind.cora.z": "0" * 64})
    with self.assertRaisesRegex(ValueError, r"sha256\['ind.cora.x'\] must be a SHA-256 hex "
                                "digest \\(64 hex digits\\), got 'abc'"):
      download.download_planetoid("cora", self.new_dir(), base_url=base_url,
                                  sha256={"ind.cora.x": "abc"})
    with self.assertRaisesRegex(ValueError, "sha256 must map file names to SHA-256 hex digests"):
      download.download_planetoid("cora", self.new_dir(), base_url=base_url, sha256="0" * 64)

  def test_malicious_pickle_is_not_executed(self):
    marker = os.path.join(self.new_dir(), "ran")
    evil = pickle.dumps(_RunsCommand(f"touch {marker}"), protocol=2)
    base_url = self.serve_planetoid("evil", {"ind.cora.x": evil})
    root = self.new_dir()
    with self.assertRaisesRegex(
        pickle.UnpicklingError,
        f"ind.cora.x: global '{os.system.__module__}.system' is not allowed in a Planetoid file"):
      download.download_planetoid("cora", root, base_url=base_url,
                                  sha256={"ind.cora.x": hashlib.sha256(evil).hexdigest()})
    self.assertFalse(os.path.exists(marker))
    self.assertNotIn("cora/nodes.tsv", files_under(root))

  def test_http_error(self):
    root = self.new_dir()
    with self.assertRaisesRegex(download.DownloadError, f"downloading {self.server.url}/missing/"
                                "ind.cora.x failed: HTTP 404 File not found"):
      download.download_planetoid("cora", root, base_url=self.server.url + "/missing")
    self.assertEqual(files_under(root), [])

  def test_network_failure(self):
    root = self.new_dir()
    url = closed_port_url()
    with self.assertRaisesRegex(download.DownloadError,
                                f"downloading {url}/ind.cora.x failed: .*refused"):
      download.download_planetoid("cora", root, base_url=url)
    self.assertEqual(files_under(root), [])

  def test_truncated_transfer(self):
    root = self.new_dir()
    with self.assertRaisesRegex(download.DownloadError, f"downloading {self.server.url}/"
                                "truncated/ind.cora.x failed: the server announced 1000 "
                                "bytes but sent 16"):
      download.download_planetoid("cora", root, base_url=self.server.url + "/truncated")
    self.assertEqual(files_under(root), [])

  def test_only_the_local_server_is_reachable(self):
    with self.assertRaisesRegex(AssertionError, "a test tried to connect to"):
      download.download_planetoid("cora", self.new_dir(), base_url="http://192.0.2.1/data")

  def test_file_url(self):
    raw = require_dataset("planetoid")
    out = download.download_planetoid("cora", self.new_dir(), base_url=f"file://{raw}")
    self.assertEqual(read_nodes(os.path.join(out, "nodes.tsv")),
                     read_nodes(os.path.join(require_dataset("cora"), "nodes.tsv")))

  def test_bad_arguments(self):
    with self.assertRaisesRegex(ValueError, r"name must be one of \['citeseer', 'cora', "
                                r"'pubmed'\], got 'imdb'"):
      download.download_planetoid("imdb", self.new_dir())
    with self.assertRaisesRegex(ValueError, "name must be one of .*got None"):
      download.download_planetoid(None, self.new_dir())
    with self.assertRaisesRegex(ValueError, "base_url must be an http, https, file URL, got "
                                "'ftp://example.org/data'"):
      download.download_planetoid("cora", self.new_dir(), base_url="ftp://example.org/data")

  def test_every_data_set_has_eight_pinned_digests(self):
    for name, digests in download.PLANETOID_SHA256.items():
      self.assertCountEqual(digests, tfgle.datasets.planetoid.raw_file_names(name))
      for digest in digests.values():
        self.assertRegex(digest, "^[0-9a-f]{64}$")


class DownloadMovieLensTest(DownloadTestCase):

  def build_zip(self, folder, entries=None):
    """Serves /<folder>/ml-100k.zip: the shared ml-100k files under ml-100k/, or `entries`."""
    os.makedirs(os.path.join(self.served, folder))
    path = os.path.join(self.served, folder, "ml-100k.zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
      if entries is None:
        source = require_dataset("ml-100k")
        archive.writestr("ml-100k/", b"")
        for name in ML_100K_FILES:
          archive.write(os.path.join(source, name), f"ml-100k/{name}")
      else:
        for name, content in entries.items():
          archive.writestr(zipfile.ZipInfo(name), content)
    return f"{self.server.url}/{folder}", sha256_of(path)

  def test_ml_100k_extracts_the_files(self):
    source = require_dataset("ml-100k")
    base_url, digest = self.build_zip("movielens")
    root = self.new_dir()
    out = download.download_movielens("ml-100k", root, base_url=base_url, sha256=digest)
    self.assertEqual(out, os.path.join(root, "ml-100k"))
    self.assertCountEqual(os.listdir(out), ML_100K_FILES)
    for name in ML_100K_FILES:
      with open(os.path.join(out, name), "rb") as got, open(os.path.join(source, name), "rb") as f:
        self.assertEqual(got.read(), f.read(), name)
    self.assertEqual(files_under(root), sorted(["ml-100k.zip"] + [f"ml-100k/{name}" for name in
                                                                  ML_100K_FILES]))
    self.assertEqual(self.server.requests, ["/movielens/ml-100k.zip"])
    # Cached: no network.
    self.assertEqual(download.download_movielens("ml-100k", root, base_url=closed_port_url()),
                     out)
    self.assertLen(self.server.requests, 1)

  def test_ml_100k_loads_with_load_movielens(self):
    if not hasattr(tfgle.datasets, "load_movielens"):
      self.skipTest("tfgle.datasets.load_movielens is not in this tree")
    base_url, digest = self.build_zip("movielens")
    out = download.download_movielens("ml-100k", self.new_dir(), base_url=base_url,
                                      sha256=digest)
    graph, _ = tfgle.datasets.load_movielens(out)
    self.assertEqual(graph.num_nodes("user"), 943)
    self.assertEqual(graph.num_nodes("item"), 1682)

  def test_pinned_checksum_rejects_another_zip(self):
    base_url, digest = self.build_zip("movielens")
    root = self.new_dir()
    with self.assertRaisesRegex(
        download.ChecksumError,
        f"checksum mismatch for ml-100k.zip downloaded from {base_url}/ml-100k.zip: expected "
        f"SHA-256 {download.MOVIELENS_SHA256['ml-100k']}, got {digest}"):
      download.download_movielens("ml-100k", root, base_url=base_url)
    self.assertEqual(files_under(root), [])

  def test_path_traversal_is_refused(self):
    outside = self.new_dir()
    for folder, name in (("dotdot", f"ml-100k/../../{os.path.basename(outside)}/evil.txt"),
                         ("absolute", f"{outside}/evil.txt"),
                         ("backslash", "ml-100k\\..\\..\\evil.txt")):
      base_url, digest = self.build_zip(folder, {"ml-100k/u.data": b"1\t1\t5\t0\n", name: b"x"})
      root = os.path.join(self.new_dir(), "root")
      with self.assertRaisesRegex(ValueError, f"ml-100k.zip: unsafe archive entry "
                                  f"'{name.replace(chr(92), chr(92) * 4)}': absolute paths and "
                                  "'..' are not allowed"):
        download.download_movielens("ml-100k", root, base_url=base_url, sha256=digest)
      self.assertEqual(files_under(root), ["ml-100k.zip"])
      self.assertEqual(os.listdir(outside), [])

  def test_archive_without_the_variant_folder(self):
    base_url, digest = self.build_zip("flat", {"u.data": b"1\t1\t5\t0\n"})
    root = self.new_dir()
    with self.assertRaisesRegex(ValueError, r"ml-100k.zip: the archive has no folder 'ml-100k/'; "
                                r"its entries start with \['u.data'\]"):
      download.download_movielens("ml-100k", root, base_url=base_url, sha256=digest)
    self.assertEqual(files_under(root), ["ml-100k.zip"])

  def test_not_a_zip(self):
    os.makedirs(os.path.join(self.served, "junk"))
    with open(os.path.join(self.served, "junk", "ml-100k.zip"), "wb") as f:
      f.write(b"not a zip")
    with self.assertRaises(zipfile.BadZipFile):
      download.download_movielens("ml-100k", self.new_dir(), base_url=self.server.url + "/junk",
                                  sha256=hashlib.sha256(b"not a zip").hexdigest())

  def test_bad_arguments(self):
    with self.assertRaisesRegex(ValueError, r"variant must be one of \['ml-100k', "
                                r"'ml-latest-small'\], got 'ml-1m'"):
      download.download_movielens("ml-1m", self.new_dir())
    with self.assertRaisesRegex(ValueError, "sha256 must be a SHA-256 hex digest .*got 'xyz'"):
      download.download_movielens("ml-100k", self.new_dir(), sha256="xyz")
    with self.assertRaisesRegex(ValueError, "base_url must be an http, https, file URL"):
      download.download_movielens("ml-100k", self.new_dir(), base_url="/local/path")

  def test_http_error(self):
    root = self.new_dir()
    with self.assertRaisesRegex(download.DownloadError, "ml-latest-small.zip failed: HTTP 404"):
      download.download_movielens("ml-latest-small", root, base_url=self.server.url)
    self.assertEqual(files_under(root), [])


if __name__ == "__main__":
  tf.test.main()

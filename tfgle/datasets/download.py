"""Downloads of public data sets from their official locations, verified by SHA-256.

- `download_planetoid`: Cora, Citeseer and PubMed as distributed by the
  Planetoid authors (the `ind.<name>.*` files of github.com/kimiyoung/planetoid,
  the location PyTorch Geometric uses), converted into the citation-table
  layout that `tfgle.datasets.load_citation` reads.
- `download_movielens`: MovieLens zips from GroupLens (files.grouplens.org),
  extracted for `tfgle.datasets.load_movielens`.

Every file is streamed to a temporary name next to its destination, hashed,
and renamed into place only when its SHA-256 equals the pinned one; otherwise
it is deleted and `ChecksumError` names the file and both digests. Once a data
set is in `root` no network access happens: the cached result is returned.

Pinned checksums and where they come from:
- Planetoid Cora: computed from the raw Cora files in the project's shared
  data sets (which convert exactly into the published Cora tables).
- Planetoid Citeseer and PubMed: the SHA-256 digests published by two
  independent projects (both pin the kimiyoung/planetoid files; their Cora
  digests equal ours). They have not been checked against a local copy here.
- MovieLens ml-100k and ml-latest-small: the digests in tensorflow-datasets'
  url_checksums/movielens.txt (also its sizes: 4,924,029 and 978,202 bytes).

Example:
  cora_dir = tfgle.datasets.download_planetoid("cora", "~/tfgle_data")
  graph, info = tfgle.datasets.load_citation(cora_dir)
  ml_dir = tfgle.datasets.download_movielens("ml-100k", "~/tfgle_data")
  graph, info = tfgle.datasets.load_movielens(ml_dir, ratings_file="ua.base")
"""
from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from typing import Mapping, Optional

from tfgle.datasets import planetoid

PLANETOID_URL = "https://github.com/kimiyoung/planetoid/raw/master/data"
MOVIELENS_URL = "https://files.grouplens.org/datasets/movielens"

# SHA-256 of each raw Planetoid file (see the module docstring for sources).
PLANETOID_SHA256 = {
    "cora": {
        "ind.cora.x": "23cfa55d91c6f624233f5eb7b6e3f141f1bd2b2ae39608a63cf5d084bb27baab",
        "ind.cora.y": "94465c14eb53e04ca262198dcbb2521ee8af60fb3f3d546cd6ca24a511b0e7d1",
        "ind.cora.tx": "b9afbaa4a400df991f6f02ef677e1e44da55ffc04801fd02f9e673987829226a",
        "ind.cora.ty": "41f5ac76596a1699cc33f53084a2419e92961c42bb75f36fc38e616d348532ad",
        "ind.cora.allx": "9419ba2f26f5c35243db64aba110e0f35a04851609e0dc5433450676ca6b8543",
        "ind.cora.ally": "2b998f5cc7fedc86e7f97ca2498f47a1ffc1462c29e2d578b23bf3f62b6e7d71",
        "ind.cora.graph": "58f13302f39dde8852dad6fe6d15b89b077b6d7f837626bce671ef80344b383d",
        "ind.cora.test.index":
            "297ce89af2b51a6a194181c7dbe1796c6a1cf9cd9349a88383b1b1e227867875",
    },
    "citeseer": {
        "ind.citeseer.x": "d20de19150741e555de0ed037195630fc194114ebc7fd72ced62810148aa22f6",
        "ind.citeseer.y": "8ba87e515d8e3ee3cf52f6d2c5b86aa73f11ecad825a808455209ec26cd54924",
        "ind.citeseer.tx": "539a8906a2da97628d212f2fdd668c109a8b3f0d36574b59e5d3fd5b5303da21",
        "ind.citeseer.ty": "55e5bd1ba1e733a04598753ad1a8d57957f4b8f89e74519f41f4f4938767e4ce",
        "ind.citeseer.allx": "2ac30345d95c9ec933a817ee0bdd6a5f077f8c184a20e696910192d534414668",
        "ind.citeseer.ally": "f704b2d986dde6c2669934de1f3ae5696a6cf9455c0f6b2646a2d135ea0a1c95",
        "ind.citeseer.graph": "d79a4ef9d3e7169aee8946145f6b7306e35bc79bffad26346cfb94e10e9912a7",
        "ind.citeseer.test.index":
            "2af990671580b6b2df5d158d1038f8292e30c9cd821b5453f399659b25b723d4",
    },
    "pubmed": {
        "ind.pubmed.x": "fbe9cb5c47200d1b7769a26e579be3b7130b556831f9d850e77c4c74f2599b33",
        "ind.pubmed.y": "e6c807633307a07ed659249006536a147c7999c797f11a2560752990181b41b3",
        "ind.pubmed.tx": "4eb5f5d0f30f26497eb0ac6ac9719d09c67e284f1ed0385c93f3ef27a671da3d",
        "ind.pubmed.ty": "ee2e0d4819d9fbcc403689c3bf2e49face401b605932f093bc58ab6461130fdd",
        "ind.pubmed.allx": "508e538e2abdccdd54c4d3e9f49d638b4af7107d85845f66ddea5a5152658b7e",
        "ind.pubmed.ally": "0c37bbe3b5014ec365e9d393cf4791925e5ed94fb194305d74f064a8d7b50f0e",
        "ind.pubmed.graph": "5b89f0036ca22909471f1e6558eb42fa06e0c730a577bde5b058b40638f81dc9",
        "ind.pubmed.test.index":
            "b101d421688bbaecbd82e8a18f1e282378d6830f3a37666f28ebc47f844341b5",
    },
}

# SHA-256 of the GroupLens zip of each MovieLens variant.
MOVIELENS_SHA256 = {
    "ml-100k": "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
    "ml-latest-small": "696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436",
}

_CHUNK = 1 << 20
_SCHEMES = ("http", "https", "file")


class DownloadError(OSError):
  """A download failed: no network, an HTTP error, or a truncated transfer."""


class ChecksumError(DownloadError):
  """A downloaded file's SHA-256 is not the expected one (the file was deleted)."""


def download_planetoid(name: str, root: str, *, base_url: str = PLANETOID_URL,
                       sha256: Optional[Mapping[str, str]] = None,
                       timeout: float = 60.0) -> str:
  """Downloads a Planetoid data set and converts it into citation tables.

  The raw files are cached in `<root>/<name>/raw/`, the converted tables
  (`nodes.tsv`, `edges.tsv`, `<name>.npz`; see
  `tfgle.datasets.planetoid.write_citation_tables`) written to `<root>/<name>/`.
  When the tables exist, nothing is downloaded or read; raw files already in
  the cache with the expected checksum are not downloaded again.

  Example:
    cora_dir = download_planetoid("cora", "~/tfgle_data")
    graph, info = tfgle.datasets.load_citation(cora_dir)
    info.splits   # {"train": 140, "val": 500, "test": 1000}

  Args:
    name: "cora", "citeseer" or "pubmed" (case-insensitive).
    root: the cache directory (created when missing; `~` is expanded).
    base_url: where the `ind.<name>.*` files are (http, https or file URL), for
      example a mirror; each file is fetched from `<base_url>/<file name>`.
    sha256: file name -> SHA-256 hex digest, overriding the pinned digests of
      those files (for a mirror that serves other bytes).
    timeout: seconds to wait for the server on each connection and read.

  Returns:
    The directory with the converted tables, `<root>/<name>`, ready for
    `tfgle.datasets.load_citation`.

  Raises:
    ValueError: an unknown `name`, a bad `base_url` scheme or unknown file
      names in `sha256`; or raw files that do not fit together.
    DownloadError: the network or the server failed.
    ChecksumError: a downloaded file has another SHA-256 (it was deleted).
    pickle.UnpicklingError: a raw file names a global other than the numpy and
      scipy types the Planetoid files hold (nothing from it is executed).
  """
  key = _choose(name, PLANETOID_SHA256, "name")
  checksums = dict(PLANETOID_SHA256[key])
  checksums.update(_check_overrides(sha256, checksums))
  _check_url(base_url)
  out_dir = os.path.join(os.path.expanduser(os.fspath(root)), key)
  if all(os.path.isfile(os.path.join(out_dir, f)) for f in planetoid.converted_files(key)):
    return out_dir
  raw_dir = os.path.join(out_dir, "raw")
  for file_name in planetoid.raw_file_names(key):
    _fetch_cached(_join_url(base_url, file_name), os.path.join(raw_dir, file_name),
                  checksums[file_name], timeout)
  planetoid.write_citation_tables(planetoid.read_planetoid(raw_dir, key), out_dir)
  return out_dir


def download_movielens(variant: str, root: str, *, base_url: str = MOVIELENS_URL,
                       sha256: Optional[str] = None, timeout: float = 60.0) -> str:
  """Downloads and extracts a MovieLens zip from GroupLens.

  The zip is cached as `<root>/<variant>.zip` and extracted to
  `<root>/<variant>/` (the zip's own top-level directory). Extraction refuses
  entries with absolute paths or `..` components; it happens in a temporary
  directory that is renamed into place when complete. When `<root>/<variant>`
  exists, nothing is downloaded or read.

  Example:
    ml_dir = download_movielens("ml-100k", "~/tfgle_data")
    graph, info = tfgle.datasets.load_movielens(ml_dir, ratings_file="ua.base")

  Args:
    variant: "ml-100k" or "ml-latest-small".
    root: the cache directory (created when missing; `~` is expanded).
    base_url: where `<variant>.zip` is (http, https or file URL).
    sha256: the SHA-256 hex digest of the zip, overriding the pinned one (for
      a mirror or a locally built zip).
    timeout: seconds to wait for the server on each connection and read.

  Returns:
    The extracted directory `<root>/<variant>`.

  Raises:
    ValueError: an unknown `variant`, a bad `base_url` or `sha256`, an archive
      entry with an unsafe path, or an archive without a `<variant>/` folder.
    DownloadError: the network or the server failed.
    ChecksumError: the downloaded zip has another SHA-256 (it was deleted).
    zipfile.BadZipFile: the file is not a zip archive.
  """
  key = _choose(variant, MOVIELENS_SHA256, "variant")
  expected = MOVIELENS_SHA256[key] if sha256 is None else _check_digest(sha256, "sha256")
  _check_url(base_url)
  root = os.path.expanduser(os.fspath(root))
  data_dir = os.path.join(root, key)
  if os.path.isdir(data_dir):
    return data_dir
  zip_path = os.path.join(root, f"{key}.zip")
  _fetch_cached(_join_url(base_url, f"{key}.zip"), zip_path, expected, timeout)
  _extract_zip(zip_path, root, key)
  return data_dir


def sha256_file(path: str) -> str:
  """The SHA-256 hex digest of the file at `path`."""
  digest = hashlib.sha256()
  with open(path, "rb") as f:
    while chunk := f.read(_CHUNK):
      digest.update(chunk)
  return digest.hexdigest()


def fetch(url: str, path: str, *, sha256: str, timeout: float = 60.0) -> None:
  """Downloads `url` to `path` if its SHA-256 is `sha256`.

  The bytes go to a temporary file next to `path`, renamed to `path` only
  after the checksum matched; on any failure the temporary file is removed
  and `path` is left as it was.

  Raises:
    DownloadError: the network or the server failed, or fewer bytes arrived
      than the server announced.
    ChecksumError: the bytes have another SHA-256.
  """
  directory = os.path.dirname(os.path.abspath(path))
  os.makedirs(directory, exist_ok=True)
  tmp = os.path.join(directory, f".{os.path.basename(path)}.{uuid.uuid4().hex}.part")
  try:
    digest, size, announced = hashlib.sha256(), 0, None
    with open(tmp, "xb") as out:
      try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
          announced = response.headers.get("Content-Length")
          while chunk := response.read(_CHUNK):
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
      except urllib.error.HTTPError as e:
        raise DownloadError(f"downloading {url} failed: HTTP {e.code} {e.reason}") from e
      except urllib.error.URLError as e:
        raise DownloadError(f"downloading {url} failed: {e.reason}") from e
      except (http.client.HTTPException, TimeoutError, ConnectionError) as e:
        raise DownloadError(f"downloading {url} failed: {type(e).__name__}: {e}") from e
    if announced is not None and announced.isdigit() and int(announced) != size:
      raise DownloadError(f"downloading {url} failed: the server announced {announced} bytes "
                          f"but sent {size}")
    got = digest.hexdigest()
    if got != sha256:
      raise ChecksumError(
          f"checksum mismatch for {os.path.basename(path)} downloaded from {url}: expected "
          f"SHA-256 {sha256}, got {got} ({size} bytes); the file was deleted")
    os.replace(tmp, path)
  finally:
    _remove_quietly(tmp)


def _fetch_cached(url, path, sha256, timeout):
  """`fetch` unless `path` already holds a file with the expected SHA-256."""
  if os.path.isfile(path):
    if sha256_file(path) == sha256:
      return
    os.remove(path)  # stale or tampered with: fetch it again
  fetch(url, path, sha256=sha256, timeout=timeout)


def _extract_zip(zip_path, root, top):
  """Extracts `zip_path` safely and moves its `top` folder to `<root>/<top>`."""
  with zipfile.ZipFile(zip_path) as archive:
    members = []
    for info in archive.infolist():
      name = info.filename
      parts = name.replace("\\", "/").split("/")
      if name.startswith(("/", "\\")) or ":" in parts[0] or ".." in parts:
        raise ValueError(f"{zip_path}: unsafe archive entry {name!r}: absolute paths and '..' "
                         "are not allowed")
      members.append((info, [part for part in parts if part not in ("", ".")]))
    tmp_dir = os.path.join(root, f".{top}.{uuid.uuid4().hex}.extract")
    os.makedirs(tmp_dir)
    try:
      for info, parts in members:
        if not parts:
          continue
        dest = os.path.join(tmp_dir, *parts)
        if info.is_dir():
          os.makedirs(dest, exist_ok=True)
          continue
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with archive.open(info) as src, open(dest, "xb") as dst:
          shutil.copyfileobj(src, dst, _CHUNK)
      extracted = os.path.join(tmp_dir, top)
      if not os.path.isdir(extracted):
        raise ValueError(f"{zip_path}: the archive has no folder {top + '/'!r}; "
                         f"its entries start with {sorted({p[0] for _, p in members if p})}")
      try:
        os.replace(extracted, os.path.join(root, top))
      except OSError:
        if not os.path.isdir(os.path.join(root, top)):
          raise
        # Another process extracted the same archive first: keep its copy.
    finally:
      shutil.rmtree(tmp_dir, ignore_errors=True)


def _choose(name, table, what):
  key = name.lower() if isinstance(name, str) else name
  if key not in table:
    raise ValueError(f"{what} must be one of {sorted(table)}, got {name!r}")
  return key


def _check_digest(value, what):
  if not (isinstance(value, str) and len(value) == 64
          and all(c in "0123456789abcdef" for c in value.lower())):
    raise ValueError(f"{what} must be a SHA-256 hex digest (64 hex digits), got {value!r}")
  return value.lower()


def _check_overrides(sha256, checksums):
  if sha256 is None:
    return {}
  if not isinstance(sha256, Mapping):
    raise ValueError(f"sha256 must map file names to SHA-256 hex digests, got {sha256!r}")
  unknown = sorted(set(sha256) - set(checksums))
  if unknown:
    raise ValueError(f"sha256 names unknown files {unknown}; the files are {sorted(checksums)}")
  return {name: _check_digest(value, f"sha256[{name!r}]") for name, value in sha256.items()}


def _check_url(base_url):
  scheme = urllib.parse.urlsplit(base_url).scheme if isinstance(base_url, str) else None
  if scheme not in _SCHEMES:
    raise ValueError(f"base_url must be an {', '.join(_SCHEMES)} URL, got {base_url!r}")


def _join_url(base_url, file_name):
  return f"{base_url.rstrip('/')}/{urllib.parse.quote(file_name)}"


def _remove_quietly(path):
  try:
    os.remove(path)
  except FileNotFoundError:
    pass

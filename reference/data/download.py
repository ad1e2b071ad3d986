"""Checksum-verified downloads into a cache folder, verified again on every load.

Every file a data set needs is listed in :data:`FILES` with its address and a checksum:

* ``sha256``: of the file's *uncompressed* content (for MNIST, whose published SHA-256 are of
  the raw IDX files: a re-compressed copy with the same content verifies too);
* ``md5``: of the file as downloaded (Fashion-MNIST and CIFAR-10, as torchvision lists them).

The cache folder is, in this order: the ``data_dir`` argument (``--data-dir``), the environment
variable ``NNOTT_DATA_DIR``, or ``~/.cache/nnott``. A file already present is never downloaded
again; it is verified instead, and a file that fails its checksum is reported with its path and
kept, unless the caller asks to remove it (``redownload=True``, ``--redownload``).
"""
from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
import urllib.request
from pathlib import Path

__all__ = ["FILES", "ChecksumError", "cache_dir", "file_digest", "verify", "fetch"]

_MNIST = "https://ossci-datasets.s3.amazonaws.com/mnist/"
_FASHION = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"

#: data set -> file name -> {"url", and "sha256" (uncompressed content) or "md5" (the file)}
FILES: dict[str, dict[str, dict[str, str]]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": {"url": _MNIST + "train-images-idx3-ubyte.gz",
                                       "sha256": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"},
        "train-labels-idx1-ubyte.gz": {"url": _MNIST + "train-labels-idx1-ubyte.gz",
                                       "sha256": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"},
        "t10k-images-idx3-ubyte.gz": {"url": _MNIST + "t10k-images-idx3-ubyte.gz",
                                      "sha256": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"},
        "t10k-labels-idx1-ubyte.gz": {"url": _MNIST + "t10k-labels-idx1-ubyte.gz",
                                      "sha256": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"},
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": {"url": _FASHION + "train-images-idx3-ubyte.gz",
                                       "md5": "8d4fb7e6c68d591d4c3dfef9ec88bf0d"},
        "train-labels-idx1-ubyte.gz": {"url": _FASHION + "train-labels-idx1-ubyte.gz",
                                       "md5": "25c81989df183df01b3e8a0aad5dffbe"},
        "t10k-images-idx3-ubyte.gz": {"url": _FASHION + "t10k-images-idx3-ubyte.gz",
                                      "md5": "bef4ecab320f06d8554ea6380940ec79"},
        "t10k-labels-idx1-ubyte.gz": {"url": _FASHION + "t10k-labels-idx1-ubyte.gz",
                                      "md5": "bb300cfdad3c16e7a12a480ee83cd310"},
    },
    "cifar10": {
        "cifar-10-python.tar.gz": {"url": "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                                   "md5": "c58f30108f718f92721af3b95e74349a"},
    },
}


class ChecksumError(ValueError):
    """A file in the cache whose checksum is wrong (``.path`` names it)."""

    def __init__(self, path: Path, kind: str, expected: str, got: str, removed: bool = False) -> None:
        self.path = Path(path)
        what = "it was removed" if removed else ("it was kept: delete it, or pass --redownload "
                                                 "(redownload=True) to remove it and fetch it again")
        super().__init__(f"{path}: corrupt or incomplete file ({kind} {got}, expected {expected}); {what}")


def cache_dir(data_dir: str | Path | None = None) -> Path:
    """``data_dir``, else ``$NNOTT_DATA_DIR``, else ``~/.cache/nnott`` (not created here)."""
    if data_dir:
        return Path(data_dir).expanduser()
    env = os.environ.get("NNOTT_DATA_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "nnott"


def file_digest(path: str | Path, kind: str) -> str:
    """The hex digest of ``path``: ``"md5"`` of its bytes, ``"sha256"`` of its content after gunzip."""
    h = hashlib.new(kind)
    opener = gzip.open if kind == "sha256" and Path(path).read_bytes()[:2] == b"\x1f\x8b" else open
    try:
        with opener(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except (OSError, EOFError):   # a damaged gzip stream: it cannot match
        return "unreadable"
    return h.hexdigest()


def verify(path: str | Path, spec: dict[str, str], *, remove: bool = False) -> Path:
    """Check ``path`` against ``spec``'s checksum, with :func:`file_digest`.

    Args:
        path: the file. spec: ``{"sha256": hex}`` (of the uncompressed content) or ``{"md5": hex}`` (of the file).
        remove: delete the file when it does not match (only then: a student's file is never
            removed unasked).

    Returns:
        ``path`` (a ``Path``) when the digest matches.

    Raises:
        ChecksumError: ``ChecksumError(path, kind, expected, got, removed=remove)`` when it does not.
    """
    path = Path(path)
    kind = "sha256" if "sha256" in spec else "md5"
    ### BEGIN SOLUTION
    got = file_digest(path, kind)
    if got != spec[kind]:
        if remove:
            path.unlink()
        raise ChecksumError(path, kind, spec[kind], got, removed=remove)
    return path
    ### END SOLUTION


def fetch(dataset: str, name: str, data_dir: str | Path | None = None, *, redownload: bool = False,
          download: bool = True) -> Path:
    """The verified path of ``name`` of ``dataset`` in the cache, downloading it if it is missing.

    The file lives in ``<cache>/<dataset>/<name>``; a copy without the ``.gz`` (already
    uncompressed) is accepted too. ``redownload`` removes a file that fails its checksum and fetches
    it again; without it a corrupt file raises :class:`ChecksumError` and stays where it is.
    """
    spec = FILES[dataset][name]
    folder = cache_dir(data_dir) / dataset
    candidates = [folder / name] + ([folder / name[:-3]] if name.endswith(".gz") and "sha256" in spec else [])
    for path in candidates:
        if path.is_file():
            try:
                return verify(path, spec, remove=redownload)
            except ChecksumError:
                if not redownload:
                    raise
    if not download:
        raise FileNotFoundError(f"{folder / name} is missing (and downloading is off)")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    os.close(fd)
    try:
        try:
            with urllib.request.urlopen(spec["url"], timeout=60) as r, open(tmp, "wb") as f:
                shutil.copyfileobj(r, f)
        except OSError as exc:
            raise ConnectionError(f"could not download {spec['url']} into {folder} ({exc}); without a network, "
                                  "use --data digits (bundled with scikit-learn), or put the file there yourself") from exc
        verify(tmp, spec, remove=True)
        os.replace(tmp, folder / name)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return folder / name

"""Task 10.3: IDX files (MNIST, Fashion-MNIST), CIFAR-10 batches, checksums and the mini-batch loader,
on small files this test writes itself."""
import gzip
import hashlib
import pickle

import numpy as np
import pytest

pytestmark = pytest.mark.task("10.3")


def idx_bytes(a, code):
    a = np.asarray(a)
    dt = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[code]
    return bytes([0, 0, code, a.ndim]) + np.asarray(a.shape, dtype=">u4").tobytes() + a.astype(dt).tobytes()


@pytest.mark.parametrize("shape", [(5, 28, 28), (7,), (3, 4, 5), (1, 1, 1)])
def test_parse_idx_mnist_like(impl, rng, shape):
    a = rng.integers(0, 256, shape).astype(np.uint8)
    raw = idx_bytes(a, 0x08)
    try:
        got = impl.data.idx.parse_idx(raw)
    except ValueError as exc:
        raise AssertionError(f"parse_idx raised ValueError({exc}) on a valid file of shape {shape}\n  hint: the header's "
                             "sizes are big-endian uint32 (dtype '>u4'), 4 bytes each after the 4-byte magic") from None
    assert isinstance(got, np.ndarray) and got.shape == shape, (
        f"parse_idx gave shape {getattr(got, 'shape', None)}, expected {shape}"
        + ("\n  hint: the sizes are big-endian uint32 (dtype '>u4')" if getattr(got, "size", 0) != a.size else ""))
    assert got.dtype == np.uint8 and np.array_equal(got, a), "parse_idx: wrong values (is the header 4 + 4*ndim bytes?)"


@pytest.mark.parametrize("code,dtype", [(0x09, np.int8), (0x0B, np.int16), (0x0C, np.int32), (0x0D, np.float32),
                                        (0x0E, np.float64)])
def test_parse_idx_big_endian_types(impl, rng, code, dtype):
    a = (rng.standard_normal((3, 4)) * 100).astype(dtype)
    got = impl.data.idx.parse_idx(idx_bytes(a, code))
    assert got.dtype == np.dtype(dtype), f"type code {code:#04x}: dtype {got.dtype}, expected {np.dtype(dtype)} (native order)"
    assert np.array_equal(got, a), (f"type code {code:#04x}: wrong values\n  hint: IDX data are big-endian: "
                                    "read them with a '>' dtype, then convert to the native order")


def test_parse_idx_rejects_bad_files(impl, rng):
    a = rng.integers(0, 256, (4, 3, 3)).astype(np.uint8)
    raw = idx_bytes(a, 0x08)
    with pytest.raises(ValueError, match="byte|size|trunc"):
        impl.data.idx.parse_idx(raw[:-5])
    with pytest.raises(ValueError, match="0x07"):
        impl.data.idx.parse_idx(raw[:2] + b"\x07" + raw[3:])
    with pytest.raises(ValueError):
        impl.data.idx.parse_idx(b"\x01\x02" + raw[2:])
    with pytest.raises(ValueError):   # each of the two leading bytes must be zero, the first as well
        impl.data.idx.parse_idx(b"\x01" + raw[1:])


def test_read_idx_gzip_or_not(impl, rng, tmp_path):
    a = rng.integers(0, 256, (6, 28, 28)).astype(np.uint8)
    (tmp_path / "x-idx3-ubyte").write_bytes(idx_bytes(a, 0x08))
    (tmp_path / "x-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(a, 0x08)))
    for name in ("x-idx3-ubyte", "x-idx3-ubyte.gz"):
        got = impl.data.idx.read_idx(tmp_path / name)
        assert np.array_equal(got, a), f"read_idx({name}) gave wrong values"


def cifar_batch(rng, n):
    imgs = rng.integers(0, 256, (n, 3, 32, 32)).astype(np.uint8)
    labels = rng.integers(0, 10, n)
    return imgs, labels, {b"batch_label": b"test", b"labels": labels.tolist(), b"data": imgs.reshape(n, 3072),
                          b"filenames": [b"x.png"] * n}


@pytest.mark.parametrize("n", [1, 5])
def test_load_cifar_batch(impl, rng, tmp_path, n):
    imgs, labels, batch = cifar_batch(rng, n)
    (tmp_path / "data_batch_1").write_bytes(pickle.dumps(batch, protocol=2))
    x, y = impl.data.cifar.load_batch(tmp_path / "data_batch_1")
    assert x.shape == (n, 3, 32, 32), f"load_batch gave x of shape {x.shape}, expected ({n}, 3, 32, 32)"
    if not np.array_equal(x, imgs):
        hint = ""
        if np.array_equal(x, imgs.reshape(n, 3072).reshape(n, 32, 32, 3).transpose(0, 3, 1, 2)):
            hint = "\n  hint: each row is 1024 red values, then 1024 green, then 1024 blue: reshape to (N, 3, 32, 32) directly"
        raise AssertionError("load_batch: wrong pixel values" + hint)
    assert x.dtype == np.uint8 and np.asarray(y).dtype == np.int64 and np.array_equal(y, labels), \
        f"labels {np.asarray(y)[:5]} (dtype {np.asarray(y).dtype}), expected {labels[:5]} (int64)"


def test_load_cifar_batch_rejects_other_files(impl, tmp_path):
    (tmp_path / "b").write_bytes(pickle.dumps({b"data": np.zeros((2, 10), np.uint8), b"labels": [0, 1]}))
    with pytest.raises(ValueError, match="b"):
        impl.data.cifar.load_batch(tmp_path / "b")
    (tmp_path / "c").write_bytes(b"not a pickle")
    with pytest.raises(ValueError, match="c"):
        impl.data.cifar.load_batch(tmp_path / "c")


def test_verify_checksums(impl, rng, tmp_path):
    dl = impl.data.download
    content = idx_bytes(rng.integers(0, 256, (3, 4)).astype(np.uint8), 0x08)
    path = tmp_path / "f.gz"
    path.write_bytes(gzip.compress(content))
    good = {"sha256": hashlib.sha256(content).hexdigest()}
    assert dl.verify(path, good) == path
    assert dl.verify(path, {"md5": hashlib.md5(path.read_bytes()).hexdigest()}) == path
    bad = {"sha256": "0" * 64}
    with pytest.raises(dl.ChecksumError, match="f.gz"):
        dl.verify(path, bad)
    assert path.exists(), "a corrupt file was removed without being asked (remove=False)"
    with pytest.raises(dl.ChecksumError):
        dl.verify(path, bad, remove=True)
    assert not path.exists(), "verify(..., remove=True) kept the corrupt file"


def test_mnist_from_the_cache_is_verified(impl, rng, tmp_path, monkeypatch):
    dl = impl.data.download
    folder = tmp_path / "mnist"
    folder.mkdir()
    imgs = rng.integers(0, 256, (4, 28, 28)).astype(np.uint8)
    labels = rng.integers(0, 10, 4).astype(np.uint8)
    files = {"t10k-images-idx3-ubyte.gz": idx_bytes(imgs, 0x08), "t10k-labels-idx1-ubyte.gz": idx_bytes(labels, 0x08)}
    for name, raw in files.items():
        (folder / name).write_bytes(gzip.compress(raw))
        monkeypatch.setitem(dl.FILES["mnist"], name, {"url": "http://invalid/", "sha256": hashlib.sha256(raw).hexdigest()})
    x, y = impl.data.mnist.load_mnist("test", tmp_path, download=False)
    assert x.shape == (4, 1, 28, 28) and x.dtype == np.float32 and np.allclose(x[:, 0] * 255, imgs)
    assert np.array_equal(y, labels)
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(files["t10k-labels-idx1-ubyte.gz"][:-1]))
    with pytest.raises(dl.ChecksumError, match="t10k-labels"):
        impl.data.mnist.load_mnist("test", tmp_path, download=False)
    assert (folder / "t10k-labels-idx1-ubyte.gz").exists(), "the corrupt file must stay until the student asks"


@pytest.mark.parametrize("n,b,drop", [(10, 3, False), (10, 3, True), (8, 4, False), (1, 5, False), (7, 7, True)])
def test_loader_batches(impl, rng, n, b, drop):
    x, y = rng.standard_normal((n, 2, 3)), np.arange(n)
    seed = int(rng.integers(2 ** 31))
    loader = impl.data.loader.DataLoader(x, y, b, shuffle=True, drop_last=drop, rng=np.random.default_rng(seed))
    replay = np.random.default_rng(seed)
    for epoch in range(2):
        perm = replay.permutation(n)
        got = list(loader)
        exp = [perm[k:k + b] for k in range(0, n, b) if not (drop and k + b > n)]
        assert len(got) == len(exp) == len(loader), (
            f"epoch {epoch}: {len(got)} batches, expected {len(exp)} (len(loader) = {len(loader)})"
            + ("" if drop else "\n  hint: keep the last, smaller batch unless drop_last"))
        for (xb, yb), idx in zip(got, exp):
            assert np.array_equal(yb, idx), (
                f"epoch {epoch}: batch labels {np.asarray(yb).tolist()}, expected {idx.tolist()} from "
                "perm = rng.permutation(N), drawn once at the start of every epoch"
                + ("\n  hint: a new permutation every epoch (shuffle)" if epoch and np.array_equal(yb, np.sort(yb)) else ""))
            assert np.array_equal(xb, x[idx]), "the images do not follow their labels"


def test_loader_without_shuffle_keeps_order(impl, rng):
    x, y = rng.standard_normal((5, 2)), np.arange(5)
    got = [np.asarray(yb).tolist() for _, yb in impl.data.loader.DataLoader(x, y, 2)]
    assert got == [[0, 1], [2, 3], [4]], got

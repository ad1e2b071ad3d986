"""Task 10.3 (hidden): more IDX shapes and types, CIFAR batches, checksums and loaders against the reference."""
import gzip
import hashlib
import pickle

import numpy as np
import pytest

pytestmark = pytest.mark.task("10.3")


@pytest.mark.parametrize("shape", [(0,), (2, 0, 3), (300,), (2, 3, 4, 5), (1, 70000 // 700, 7)])
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float64])
def test_parse_idx_against_reference(impl, ref, rng, tmp_path, shape, dtype):
    a = (rng.standard_normal(shape) * 50).astype(dtype)
    raw = ref.data.idx.write_idx(tmp_path / "a.idx", a).read_bytes()
    got = impl.data.idx.parse_idx(raw)
    exp = ref.data.idx.parse_idx(raw)
    assert got.shape == exp.shape and got.dtype == exp.dtype and np.array_equal(got, exp), \
        f"parse_idx on {shape} {np.dtype(dtype)}: shape {got.shape}, dtype {got.dtype}"
    assert got.flags.writeable, "parse_idx must return a new (writeable) array, not a read-only view of the bytes"


def test_gzip_detected_from_content(impl, ref, rng, tmp_path):
    a = rng.integers(0, 256, (3, 5)).astype(np.uint8)
    ref.data.idx.write_idx(tmp_path / "plain.gz", a, compress=False)   # named .gz, not compressed
    ref.data.idx.write_idx(tmp_path / "packed", a, compress=True)      # compressed, no .gz
    for n in ("plain.gz", "packed"):
        assert np.array_equal(impl.data.idx.read_idx(tmp_path / n), a), n


def test_several_cifar_batches(impl, rng, tmp_path):
    for i, n in enumerate((3, 8)):
        data = rng.integers(0, 256, (n, 3072)).astype(np.uint8)
        labels = rng.integers(0, 10, n).tolist()
        (tmp_path / f"b{i}").write_bytes(pickle.dumps({b"data": data, b"labels": labels}))
        x, y = impl.data.cifar.load_batch(tmp_path / f"b{i}")
        assert np.array_equal(x[:, 1, 2, 3], data[:, 1024 + 2 * 32 + 3]), "x[n, c, i, j] = data[n, 1024c + 32i + j]"
        assert np.array_equal(y, labels)


def test_verify_md5_and_sha256_of_plain_files(impl, rng, tmp_path):
    raw = rng.integers(0, 256, 1000).astype(np.uint8).tobytes()
    p = tmp_path / "plain.bin"
    p.write_bytes(raw)
    dl = impl.data.download
    assert dl.verify(p, {"sha256": hashlib.sha256(raw).hexdigest()}) == p
    q = tmp_path / "packed.gz"
    q.write_bytes(gzip.compress(raw)[:-10])   # a cut gzip stream
    with pytest.raises(dl.ChecksumError, match="packed.gz"):
        dl.verify(q, {"sha256": hashlib.sha256(raw).hexdigest()})
    assert q.exists()


@pytest.mark.parametrize("n,b", [(17, 4), (3, 10), (64, 16)])
def test_loader_against_reference_over_epochs(impl, ref, rng, n, b):
    x, y = rng.standard_normal((n, 3)), np.arange(n)
    mine = impl.data.loader.DataLoader(x, y, b, shuffle=True, rng=np.random.default_rng(5))
    theirs = ref.data.loader.DataLoader(x, y, b, shuffle=True, rng=np.random.default_rng(5))
    for _ in range(4):
        got, exp = list(mine), list(theirs)
        assert len(got) == len(exp)
        for (xa, ya), (xb, yb) in zip(got, exp):
            assert np.array_equal(ya, yb) and np.array_equal(xa, xb)
    assert mine.rng.bit_generator.state == theirs.rng.bit_generator.state, \
        "the loader drew more (or less) than one permutation per epoch"

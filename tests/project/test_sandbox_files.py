"""A test's tmp_path mirrored into the worker (issue 15): files cross as data, never shared, and
nothing the worker sends can write outside tmp_path, follow a link, or name a file it cannot reach."""
from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import pytest

from grader.instructor.sandbox import files as F
from grader.instructor.sandbox import protocol as P
from grader.instructor.sandbox.proxy import Connection


def test_changes_cross_both_ways_and_are_not_sent_back(tmp_path):
    judge, worker = tmp_path / "judge", tmp_path / "worker"
    judge.mkdir()
    (judge / "a.idx").write_bytes(b"\x00\x00\x08\x01abc")
    (judge / "sub").mkdir()
    (judge / "sub" / "b.gz").write_bytes(b"zz")
    mirror = F.Mirror(str(judge), str(worker))
    root, sent, removed = mirror.outgoing()
    assert root == str(worker) and removed == ()
    assert dict(sent) == {"a.idx": b"\x00\x00\x08\x01abc", "sub": None, "sub/b.gz": b"zz"}
    known = F.apply(root, sent, removed)                      # the worker writes its copy
    assert (worker / "sub" / "b.gz").read_bytes() == b"zz"
    assert mirror.outgoing()[1:] == ((), ()), "nothing changed: nothing is sent again"
    (worker / "ck.npz").write_bytes(b"checkpoint")          # student code writes a file, removes one
    os.remove(worker / "a.idx")
    changed, gone, _ = F.changes(str(worker), known)
    mirror.incoming((changed, gone))
    assert (judge / "ck.npz").read_bytes() == b"checkpoint" and not (judge / "a.idx").exists()
    assert mirror.outgoing()[1:] == ((), ()), "what the worker wrote is not echoed back to it"


@pytest.mark.parametrize("name", ["../escape", "/etc/passwd", "a/../../b", "", "a//b", "./a", "a\\b", "a\0b"])
def test_names_that_leave_the_folder_are_refused(tmp_path, name):
    with pytest.raises(ValueError):
        F.apply(str(tmp_path), ((name, b"x"),), ())
    with pytest.raises(ValueError):
        F.apply(str(tmp_path), (), (name,))
    assert list(tmp_path.iterdir()) == []


def test_links_on_the_judges_side_are_never_followed(tmp_path):
    outside = tmp_path / "course.py"
    outside.write_text("precious")
    root = tmp_path / "tmp_path"
    root.mkdir()
    (root / "ck.npz").symlink_to(outside)                   # a link where the worker sends a file
    (root / "d").symlink_to(tmp_path, target_is_directory=True)   # a link where it names a folder
    with pytest.raises(ValueError):
        F.apply(str(root), (("ck.npz", b"overwritten"),), ())
    with pytest.raises(ValueError):
        F.apply(str(root), (("d/course.py", b"overwritten"),), ())
    F.apply(str(root), (), ("ck.npz",))                     # removing a link's target: refused quietly
    assert outside.read_text() == "precious" and (root / "ck.npz").is_symlink()
    assert "ck.npz" not in F.scan(str(root)) and "d" not in F.scan(str(root)), "links are not mirrored"


def test_too_much_content_is_refused(tmp_path):
    big = (("a", b"x" * (F.MAX_BYTES // 2 + 1)), ("b", b"y" * (F.MAX_BYTES // 2 + 1)))
    with pytest.raises(ValueError, match="too much"):
        F.apply(str(tmp_path), big, ())


def test_paths_are_translated_and_one_outside_comes_back_unopenable(tmp_path):
    conn = Connection(None, -1, -1, tmp_path / "pkg", "/nnott/pkg", lambda: 0.0)
    conn.mirror = F.Mirror(str(tmp_path), "/tmp/tmp_path/t0")
    sent = conn.ref(tmp_path / "data" / "a.idx")
    assert sent is not None and sent.kind == "path" and sent.label == "/tmp/tmp_path/t0/data/a.idx"
    back = conn.deref(P.Ref("path", 0, "/tmp/tmp_path/t0/run.ck"))
    assert type(back) is not PurePosixPath and back == tmp_path / "run.ck"
    for name in ("/work/course/reference/nn/linear.py", "/tmp/tmp_path/t0/../../etc/passwd", "/tmp/tmp_path/t01/x"):
        got = conn.deref(P.Ref("path", 0, name))
        assert type(got) is PurePosixPath and not isinstance(got, Path) and not hasattr(got, "write_bytes"), name

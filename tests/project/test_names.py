"""The one resolver: covered names to files, not-started messages, and uploads placed by path."""
from pathlib import Path

import pytest

from grader import manifest
from grader.names import Covered, library_files, parse, place_uploads
from grader.paths import REFERENCE, STARTER
from grader.scoring import not_started_reason

KNOWN = ["__init__.py", "backend.py", "nn/__init__.py", "nn/linear.py", "nn/norm.py", "data/norm.py",
         "scalar/neuron.py", "scalar/layer.py"]


def test_parse_and_derived_names():
    c = parse("scalar/neuron.py::Neuron.forward")
    assert c == Covered("scalar/neuron.py", "Neuron.forward")
    assert (c.module, c.dotted, c.owner) == ("scalar.neuron", "scalar.neuron.Neuron.forward", "Neuron")
    assert c.where("starter") == "Neuron.forward (starter/scalar/neuron.py)"
    assert parse("nn/blocks/__init__.py::f").module == "nn.blocks"
    assert c.file_in(Path("/x/starter")) == Path("/x/starter/scalar/neuron.py")


@pytest.mark.parametrize("spec", ["neuron.Neuron.forward", "scalar/neuron::Neuron", "scalar/neuron.py:Neuron",
                                  "scalar/neuron.py::", "../x.py::f", "a b.py::f"])
def test_parse_refuses_what_could_be_misread(spec):
    with pytest.raises(ValueError, match="is not 'path/file.py::Qualified.name'"):
        parse(spec)


def test_a_bare_upload_lands_on_its_one_file():
    placed, problems = place_uploads(["neuron.py", "linear.py"], KNOWN)
    assert placed == {"neuron.py": "scalar/neuron.py", "linear.py": "nn/linear.py"} and not problems


def test_uploads_with_the_same_base_name_are_placed_by_their_path():
    placed, problems = place_uploads(["starter/nn/norm.py", "submission/data/norm.py"], KNOWN)
    assert placed == {"starter/nn/norm.py": "nn/norm.py", "submission/data/norm.py": "data/norm.py"}
    assert not problems


def test_an_ambiguous_upload_is_never_guessed():
    placed, problems = place_uploads(["norm.py", "linear.py"], KNOWN)
    assert placed == {"linear.py": "nn/linear.py"}
    assert len(problems) == 1 and "nn/norm.py" in problems[0].message and "data/norm.py" in problems[0].message


def test_two_uploads_on_one_file_are_reported():
    placed, problems = place_uploads(["linear.py", "nn/linear.py"], KNOWN)
    assert not placed and "both land on nn/linear.py" in problems[0].message


def test_an_unknown_file_is_named():
    placed, problems = place_uploads(["mylayer.py"], KNOWN)
    assert not placed and "no file of the library" in problems[0].message


def test_every_covered_name_and_not_started_message_names_real_files():
    """``make test`` on the stubs tells a student where to work: every file it names exists."""
    starter_files = set(library_files(STARTER))
    for a in manifest.all_assignments():
        for t in a.tasks:
            for c in t.covers:
                assert c.path in starter_files, f"{a.slug} task {t.id}: {c} names a file starter/ does not have"
                assert c.file_in(REFERENCE).is_file()
            msg = not_started_reason(t, [], "starter")
            for path in t.files:
                assert f"starter/{path}" in msg
            for f in t.uses_reference:
                assert (REFERENCE / f).is_file(), f"{a.slug} task {t.id}: uses_reference names {f}, not in reference/"


def test_the_not_started_message_of_02_4_names_scalar_neuron():
    t = manifest.resolve("02").task("02.4")
    assert not_started_reason(t, [], "starter") == \
        "not started: fill in Neuron.forward, Neuron.backward (starter/scalar/neuron.py)"

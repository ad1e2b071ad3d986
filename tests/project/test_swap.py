"""Grading a task alone: the prerequisites a manifest names in uses_reference come from the reference."""
import numpy as np

from grader.impl import GUARD, Impl, reference_closure


def test_the_closure_brings_what_the_swapped_files_import():
    files = reference_closure(["nn/linear.py"])
    assert files == ["backend.py", "module.py", "nn/linear.py"]


def test_a_swapped_file_runs_the_reference_and_the_rest_stays_the_students(reference_copy):
    sub = reference_copy(edits={
        "nn/relu.py": [("return get_array_module(x).maximum(x, 0)", "return x * 0  # wrong")],
        "nn/linear.py": [("self.W.grad += g2.T @ x2", "self.W.grad += 2 * g2.T @ x2  # wrong")],
    }) / "starter"
    own = Impl(sub)
    swapped = Impl(sub, uses_reference=["nn/relu.py"])
    x = np.array([[-1.0, 2.0]])
    assert own.nn.relu.ReLU().forward(x).tolist() == [[0.0, 0.0]]          # the student's mistake
    assert swapped.nn.relu.ReLU().forward(x).tolist() == [[0.0, 2.0]]      # judged on the reference's ReLU
    assert swapped.alias != own.alias and swapped.alias.split(".")[0] in GUARD.prefixes
    layer = swapped.nn.linear.Linear(2, 1, rng=np.random.default_rng(0))
    layer.forward(x)
    layer.backward(np.ones((1, 1)))
    assert np.allclose(layer.W.grad, 2 * x)                                 # linear.py is still the student's


def test_the_reference_itself_is_never_swapped():
    from grader.paths import REFERENCE
    assert Impl(REFERENCE, alias="reference", uses_reference=["nn/relu.py"]).swapped == ()

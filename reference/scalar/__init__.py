"""The loop-based scalar tier: a neuron, a layer and a network on plain Python floats.

Nothing here uses arrays for the arithmetic: every weighted sum is a Python
loop and every gradient is written out by hand, weight by weight, with the
chain rule. It is slow on purpose, so that each number can be printed and
checked (``python -m starter.scalar.train --trace``).

Modules: ``neuron`` (``Param``, ``Neuron``), ``layer`` (``Layer``),
``network`` (``Network``, ``mse``, ``sgd_step``, ``train_step``) and
``train`` (the command-line trainer). They are imported on demand.
"""

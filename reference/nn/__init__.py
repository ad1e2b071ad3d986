"""Layers and losses on arrays, each with a hand-written backward (like ``torch.nn``).

Every layer follows the contract of :mod:`..module`: ``forward`` caches what
``backward`` needs; ``backward`` adds parameter gradients into ``.grad`` and
returns the gradient of its input. Modules are imported on demand:

* 03: ``linear``, ``relu``, ``two_layer``, ``gradient_check``
* 04: ``activations``, ``softmax``, ``cross_entropy``
* 05: ``init``, ``batchnorm``, ``layernorm``;  06: ``dropout``
* 08: ``im2col``, ``conv``, ``pool``, ``depthwise``, ``flatten``
"""

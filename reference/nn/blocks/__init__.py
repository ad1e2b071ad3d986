"""The building blocks of modern convolutional networks (assignment 09).

Each block is a ``Module`` wired from the library's layers (``Conv2d``, ``BatchNorm2d``,
``DepthwiseConv2d``, ``LayerNorm2d``, activations, ``GlobalAvgPool2d``, ``Linear``):

* ``basic_block.BasicBlock``: ResNet's two 3x3 convolutions with an identity or projection shortcut;
* ``squeeze_excite.SqueezeExcite``: channel attention, a sigmoid gate per channel;
* ``mbconv.MBConv``: the inverted residual of MobileNetV2 / EfficientNet;
* ``convnext_block.ConvNeXtBlock``: 7x7 depthwise, LayerNorm, a 4x MLP with GELU, layer scale.

The forward pass of a block calls its layers in order and keeps nothing but what they keep;
the backward pass calls their ``backward`` in reverse and, where the data flow forks (a
residual, a gate), adds the gradients of the branches.
"""

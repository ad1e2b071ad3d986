"""Seven classic and modern architectures, wired from the library's own layers and blocks (assignment 10).

``lenet.LeNet5``, ``baseline_cnn.BaselineCNN``, ``alexnet.AlexNet``, ``vgg.VGG16``,
``resnet.ResNet18``, ``efficientnet.EfficientNetLite0``, ``convnext.ConvNeXtTiny``.

Every model takes ``num_classes``, ``in_channels`` and ``image_size`` (the side of a square
input), plus keyword-only ``rng`` and ``dtype``, and maps ``(N, in_channels, image_size,
image_size)`` to logits ``(N, num_classes)``. ``forward`` runs the layers in order;
``backward(grad_logits)`` runs their ``backward`` in reverse, adds every parameter gradient and
returns ``dL/dx``.

Input sizes. ``num_classes=1000, in_channels=3, image_size=224`` builds the ImageNet models
with exactly the published parameter counts. Below 64 pixels (MNIST's 28, CIFAR's 32) the
models whose ImageNet stem would shrink the image to nothing switch to a small-input stem,
each documented in its file: AlexNet, ResNet18 and ConvNeXt-Tiny change their first layer,
VGG16 leaves out a pooling that would have nothing left to pool, and the fully connected
heads of LeNet-5, BaselineCNN, AlexNet and VGG16 take the flattened size that the image
leads to (torchvision pads to a fixed size with an adaptive pooling instead; at 224 both agree).

``state_dict()`` keys (the given ``Module.state_dict``): the attribute names, with ``W``/``b``
as ``weight``/``bias`` and a norm's ``gamma``/``beta`` as ``weight``/``bias``. They are
torchvision's keys for AlexNet, VGG16 and ResNet18 (``features.0.weight``,
``layer1.0.conv1.weight``, ``fc.bias``), the original ConvNeXt code's for ConvNeXt-Tiny
(``downsample_layers.0.0.weight``, ``stages.2.4.pwconv1.weight``, ``head.weight``), and this
library's own for the rest (each file lists them).
"""

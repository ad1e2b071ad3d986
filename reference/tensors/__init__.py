"""Assignment 01: shape thinking. Broadcasting rules, batched affine maps, distances, memory layout.

Modules (imported on demand): ``broadcasting``, ``batched_linear``, ``distances``, ``layout``.
"""

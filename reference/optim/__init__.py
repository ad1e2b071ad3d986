"""Optimisers, gradient clipping and learning-rate schedules (like ``torch.optim``).

Modules (imported on demand): ``optimizer`` (the given base class), ``sgd``, ``adam``,
``lookahead``, ``clip``, ``schedules`` (assignment 07) and ``weight_decay`` (06).
"""

"""Data: augmentation and splits (assignment 06), data sets and loaders (assignment 10).

Like ``torch.utils.data``; modules are imported on demand.
"""

"""Training: early stopping (assignment 06), the trainer and checkpoints (assignment 10).

Modules are imported on demand.
"""

"""NNOTT Lab: a small deep-learning library written with NumPy (or CuPy).

Each module holds one concept. Modules are imported on demand
(``from starter import linear``), so a mistake in one file never stops the
others from loading.
"""

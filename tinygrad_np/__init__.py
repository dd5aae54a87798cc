"""tinygrad_np: a NumPy deep-learning framework with every forward and backward in plain sight."""

__version__ = "0.1.0"

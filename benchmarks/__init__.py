"""Benchmarks: tinygrad_np side by side with references in one run."""

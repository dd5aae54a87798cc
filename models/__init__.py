"""Model definitions built on tinygrad_np."""

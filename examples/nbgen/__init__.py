"""The cells of the example notebooks, as (kind, source) pairs; examples/make_notebooks.py writes them."""

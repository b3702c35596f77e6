"""Across documents: the stance of evidence towards a claim, and claims grouped by proposition."""

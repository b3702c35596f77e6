"""Turning inputs (files, archives, URLs) into raw documents."""

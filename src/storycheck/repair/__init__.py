"""Repair: undo what happened to a text on its way to us (boilerplate, spinning, bad encoding)."""

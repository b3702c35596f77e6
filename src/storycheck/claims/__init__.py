"""Claims, quotes, entities and dated events extracted from each document's repaired text."""

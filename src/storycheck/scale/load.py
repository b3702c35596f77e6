"""One story out of a ``scale`` output folder, back into the single-machine pipeline.

Only pyarrow is needed here, not Spark: the ``records`` table keeps each document's raw record,
so a story is re-read exactly as ``analyze`` would have read it and then finished by the same
cross-document stages (claim groups, verify, report).
"""

from __future__ import annotations

import json
from pathlib import Path

from storycheck.errors import StorycheckError
from storycheck.records import RawInput


def story_records(folder: Path, story: str) -> list[RawInput]:
    """The raw records of ``story`` in a ``scale`` output folder, in input order."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    table_dir = folder / "records"
    if not table_dir.is_dir():
        raise StorycheckError(f"{folder}: no records table here; run `storycheck scale` first")
    table = ds.dataset(table_dir, format="parquet").to_table(filter=pc.field("story") == story)
    if table.num_rows == 0:
        raise StorycheckError(f"{folder}: no story {story!r} (see the stories table)")
    rows = sorted(table.to_pylist(), key=lambda r: r["where"])
    return [
        RawInput(r["where"], r["uri"], bytes(r["data"]), r["format"], json.loads(r["fields"]))
        for r in rows
    ]

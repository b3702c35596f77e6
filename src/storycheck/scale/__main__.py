"""``spark-submit`` entry point: the same job as ``storycheck scale``, with the master (and the
cluster's resources) left to ``spark-submit``.

    job=$(python -c 'import storycheck.scale.__main__ as m; print(m.__file__)')
    spark-submit --master yarn "$job" INPUT... --out hdfs:///crawl-out
"""

from __future__ import annotations

import argparse

from storycheck.scale.job import run


def main() -> None:
    parser = argparse.ArgumentParser(prog="storycheck.scale", description=__doc__.split("\n")[0])
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("--out", required=True)
    parser.add_argument("--master", default=None, help="only when not run by spark-submit")
    parser.add_argument("--no-claims", action="store_true", help="skip the claims stage")
    args = parser.parse_args()
    skip = frozenset({"claims"} if args.no_claims else ())
    summary = run(args.inputs, args.out, master=args.master, skip=skip)
    print(f"{summary.documents} documents, {summary.errors} errors, {summary.derivations} "
          f"derivations, {summary.stories} stories: {args.out}")  # fmt: skip


if __name__ == "__main__":
    main()

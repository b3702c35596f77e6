"""Crawl-sized runs on Apache Spark (``storycheck scale``); needs the ``[spark]`` extra."""

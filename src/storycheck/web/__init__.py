"""The local web UI and JSON API over a story folder (``storycheck serve DIR``)."""

from storycheck.web.app import LOOPBACK_HOSTS, create_app

__all__ = ["LOOPBACK_HOSTS", "create_app"]

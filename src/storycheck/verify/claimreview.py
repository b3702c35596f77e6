"""schema.org ClaimReview JSON-LD for a verdict, as fact-checkers publish it.

Search engines and fact-check aggregators read this markup; the story's documents that the
evidence comes from are the claim's appearances. A verdict is a textual rating
(``alternateName``) with a 1-5 value where one is meaningful, as the schema suggests.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from storycheck.verify.verdict import Verdict

# (ratingValue, alternateName): 5 is true, 1 false; conflicting evidence sits in the middle.
RATINGS: dict[str, tuple[int | None, str]] = {
    "supported": (5, "Supported by the sources"),
    "refuted": (1, "Refuted by the sources"),
    "conflicting": (3, "Sources conflict"),
    "not_enough_evidence": (None, "Not enough evidence"),
}


def claim_review(
    verdict: Verdict, documents: dict[str, dict[str, Any]], reviewer: str
) -> dict[str, Any]:
    """ClaimReview for ``verdict``; ``documents`` maps ids to {uri, title, published}."""
    value, name = RATINGS[verdict.verdict]
    rating: dict[str, Any] = {"@type": "Rating", "alternateName": name}
    if value is not None:
        rating |= {"ratingValue": value, "bestRating": 5, "worstRating": 1}
    appearances = []
    for doc_id in dict.fromkeys(e.document for e in verdict.evidence):
        doc = documents.get(doc_id, {})
        work: dict[str, Any] = {"@type": "CreativeWork", "identifier": doc_id}
        for key, field in (("url", "uri"), ("headline", "title"), ("datePublished", "published")):
            if doc.get(field):
                work[key] = doc[field]
        appearances.append(work)
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "claimReviewed": verdict.claim,
        "datePublished": datetime.now(UTC).strftime("%Y-%m-%d"),
        "author": {"@type": "Organization", "name": reviewer},
        "reviewRating": rating,
        "itemReviewed": {"@type": "Claim", "appearance": appearances},
    }

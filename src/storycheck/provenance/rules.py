"""Every threshold of the provenance judgements, in one place, with what set it.

Values were calibrated on the synthetic benchmark built by ``bench/provenance_corpus.py`` from
the bbc-news articles (see docs/provenance.md for the figures), and checked on the demo story.
"""

from __future__ import annotations

# Candidates ----------------------------------------------------------------------------------
# A 3-gram shared by up to this many documents pairs them all; one shared by more (a story
# copied hundreds of times, or boilerplate such as "said in a statement") pairs each document
# only with the HUB_SOURCES earliest, which keeps the work linear. Boilerplate pairs then fail
# alignment (one matching sentence at most).
ALL_PAIRS_DOCS = 50
HUB_SOURCES = 5
# A pair is aligned only when it shares this many 3-grams, and they make up this share of the
# smaller document's 3-grams. Raw spun copies keep about 30% of their original's 3-grams;
# unrelated articles on the same topic share about 1%.
MIN_SHARED_SHINGLES = 6
MIN_SHINGLE_CONTAINMENT = 0.05

# Sentence alignment --------------------------------------------------------------------------
# Two sentences match when this share of the shorter one's word bigrams is shared. Spun
# sentences keep about 45% of their bigrams, unrelated sentences about 5%.
SENTENCE_MATCH = 0.25
# Sentences with fewer words than this are too generic to count as evidence of reuse.
MIN_SENTENCE_WORDS = 5

# Pair decisions ------------------------------------------------------------------------------
# A derivation needs this many matched sentences.
MIN_MATCHED_SENTENCES = 2
# A target this much covered by its source is a copy of some kind; below, it may quote it.
COPY_COVERAGE = 0.75
# A quotation repeats words verbatim: runs of at least this many identical words. Independent
# reports of one event share phrases of up to about nine words (demo story, 01 and 02).
QUOTE_MIN_RUN = 12
# ...in at least this many sentences; one is enough when the text names the source's outlet.
# Two reports quoting one official text share a single long run (bbc-news politics/142, 082).
QUOTE_MIN_SENTENCES = 2
# Verbatim: matched sentences this identical (token sequence ratio) and in this order.
VERBATIM_IDENTITY = 0.97
VERBATIM_ORDER = 0.95
# Spun: order kept but words swapped, so identity falls well below a light edit's.
SPUN_MAX_IDENTITY = 0.88
SPUN_MIN_ORDER = 0.9
# ...and words swapped in place: share of changed words that were substitutions. Copies spun by
# storycheck's spinner score 0.7-0.9, a hand-written paraphrase 0.3 (tests/test_provenance.py).
SPUN_MIN_SUBSTITUTION = 0.6

# Paraphrase rewrites (embeddings) ------------------------------------------------------------
# Documents whose leads (title and first sentences) are this close are aligned by embeddings,
# each with at most LEAD_NEIGHBOURS of its closest (a story copied hundreds of times would
# otherwise make every pair a neighbour).
LEAD_NEIGHBOUR = 0.8
LEAD_NEIGHBOURS = 5
# Paraphrase neighbours must be published within this many days of each other (or both be
# undated): rewrites follow their source within days, and the window lets a crawl be searched
# in date blocks. Two weeks is above the benchmark's longest delay (ten days).
NEIGHBOUR_DAYS = 14
# Two sentences are paraphrases at this cosine (all-MiniLM-L6-v2): hand-written paraphrases in
# tests/test_provenance.py score 0.77-0.94, the closest pair of independent reports 0.73.
PARAPHRASE_SIMILARITY = 0.75
# A paraphrase rewrite accounts for this much of its target, in roughly the source's order.
PARAPHRASE_COVERAGE = 0.8
PARAPHRASE_ORDER = 0.7
# Sentences in a lead embedding.
LEAD_SENTENCES = 3

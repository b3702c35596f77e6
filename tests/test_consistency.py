"""The consistency layer compares numbers, dates, names and negation exactly."""

from __future__ import annotations

import pytest

from storycheck.crosscheck.consistency import Check, check, topic_overlap


@pytest.mark.parametrize(
    ("claim", "evidence", "finding"),
    [
        # numbers, after normalisation
        ("About 1,200 residents were evacuated from the valley.",
         "About 2,100 residents were evacuated from the valley.", "conflict"),
        ("About 1,200 residents were evacuated from the valley.",
         "Roughly 1,180 residents were evacuated from the valley overnight.", "agree"),
        ("Nine men were convicted after the trial in Leeds.",
         "9 men were convicted after the trial in Leeds.", "agree"),
        ("More than 800 historic cases were reviewed by the panel.",
         "Fewer than 500 historic cases were reviewed by the panel.", "conflict"),
        ("Repairs were costed at £4.5 million by the engineers.",
         "Repairs were costed at £4.5m by the engineers.", "agree"),
        # dates and periods
        ("The council reviewed the scheme in 2010.",
         "The council reviewed the scheme between 2008 and 2013.", "agree"),
        ("The council reviewed the scheme in 2010.",
         "The council reviewed the scheme in 2015.", "conflict"),
        ("The inspection was carried out in May 2023.",
         "The inspection was carried out in 2023.", "agree"),
        # tokenised text ("12 , 1875"): the day still counts, not the bare year
        ("Ada Quill was born on June 12 , 1875 .",
         "Ada Quill ( born 12 October 1875 ) was an English engraver .", "conflict"),
        # negation and swapped names
        ("The minister did not order a review of the dam.",
         "The minister ordered a review of the dam.", "conflict"),
        ("Keogh ordered the independent review of the dam.",
         "Penhallow ordered the independent review of the dam.", "conflict"),
        # different topics: nothing is compared, whatever the values
        ("About 1,200 residents were evacuated from the valley.",
         "The bakery in the square sold 2,100 loaves last week.", "none"),
        ("The council reviewed the scheme in 2010.",
         "Rainfall was the highest since records began in 1871.", "none"),
    ],
)  # fmt: skip
def test_check(claim: str, evidence: str, finding: str) -> None:
    assert check(claim, evidence).finding == finding


def test_conflicts_say_why() -> None:
    found = check("The review was ordered in 2010.", "The review was ordered in 2015.")
    assert found.reasons == ("dates differ",)


def test_topic_overlap_ignores_numbers_and_word_endings() -> None:
    assert topic_overlap("Residents were evacuated in 2026.", "Evacuation of residents, 2025") == 1
    assert topic_overlap("Residents were evacuated.", "The bakery opened early.") == 0
    assert topic_overlap("", "anything") == 0


@pytest.mark.parametrize(
    ("claim", "evidence"),
    [
        # the same person, named in full on one side only
        ("Marta Keogh ordered the independent review of the dam.",
         "Keogh ordered the independent review of the dam last week."),
        # the same name spelt with and without its accent
        ("Renée Okafor chaired the flood inquiry.",
         "Renee Okafor chaired the flood inquiry in Hull."),
        # a name the evidence adds in another place of the sentence is not a replacement
        ("Brannock Mill produced the county's first steel.",
         "Built by Scottish engineers, the mill produced the county's first steel."),
        # a name is mentioned by its possessive, and inside a name with an apostrophe
        ("Hartwell's council approved the flood plan.",
         "Hartwell's council approved the flood plan."),
        ("O'Donnell chaired the flood inquiry.", "O'Donnell chaired the flood inquiry in March."),
    ],
)  # fmt: skip
def test_names_that_are_not_swapped(claim: str, evidence: str) -> None:
    assert check(claim, evidence).finding != "conflict"


def test_a_swapped_name_stands_in_the_same_place() -> None:
    found = check(
        "The inquiry into the flooding was chaired by Okafor in March.",
        "The inquiry into the flooding was chaired by Penhallow in March.",
    )
    assert found.finding == "conflict"
    assert "names differ: Okafor / Penhallow" in found.reasons


@pytest.mark.parametrize(
    ("claim", "evidence", "finding"),
    [
        # a "not" in another clause of the evidence says nothing about the restated one
        ("The council approved the flood plan.",
         "Aldridge did not attend, and the council approved the flood plan.", "none"),
        ("Officials did not comment, and the council approved the flood plan.",
         "The council approved the flood plan on Tuesday.", "none"),
        # the clause that restates the claim is the one compared
        ("The council approved the flood plan.",
         "Aldridge attended, but the council did not approve the flood plan.", "conflict"),
        # of two clauses sharing the same words, the one with nothing else is the restatement:
        # a quote with a "not" in one clause does not contradict itself
        ("\"It's not about the weather, it's about us,\" said Aldridge.",
         "\"It's not about the weather, it's about us,\" said Aldridge.", "none"),
        # "not until" says when a thing happened, not that it did not
        ("The first charges over the dam were brought in 2019.",
         "It wasn't until 2019 that the first charges over the dam were brought.", "agree"),
        ("The first charges over the dam were brought in 2015.",
         "It wasn't until 2019 that the first charges over the dam were brought.", "conflict"),
        ("No charges over the dam were brought.",
         "It wasn't until 2019 that the first charges over the dam were brought.", "conflict"),
    ],
)  # fmt: skip
def test_negation_is_compared_clause_by_clause(claim: str, evidence: str, finding: str) -> None:
    assert check(claim, evidence).finding == finding


@pytest.mark.parametrize(
    ("claim", "evidence", "finding"),
    [
        # a denial of the wider thing denies the narrower one the claim names
        ("The police officers were charged over the collapse.",
         "No officer has faced charges over the collapse.", "conflict"),
        ("The county council approved the flood plan.",
         "The council did not approve the flood plan.", "conflict"),
        # a thing narrowed on both sides is another thing: no contradiction
        ("Kelham is not a coastal town.", "Kelham is a small market town.", "none"),
        ("The police officers were charged over the collapse.",
         "No fire officer has faced charges over the collapse.", "none"),
        # "No." before a number is no negation
        ("The No. 9 crane collapsed at the port.",
         "The No. 9 crane collapsed at the port on Tuesday.", "none"),
    ],
)  # fmt: skip
def test_a_denial_reaches_the_narrower_thing(claim: str, evidence: str, finding: str) -> None:
    assert check(claim, evidence).finding == finding


@pytest.mark.parametrize(
    ("claim", "evidence", "finding"),
    [
        # two trials in two towns, no name shared: their counts and years are not compared
        ("Nine men were convicted of fraud in Harrowfield in 2019.",
         "In 2021, eleven men were convicted of fraud in Kestleby.", "none"),
        # the same town: the counts are
        ("Nine men were convicted of fraud in Harrowfield in 2019.",
         "In 2019, eleven men were convicted of fraud in Harrowfield.", "conflict"),
        # one shared name keeps one subject, though each report names other places too
        ("About 1,200 residents of the Ashdown valley were evacuated after the Corran dam failed.",
         "About 2,100 residents were evacuated from Millbeck after the Corran dam failed.",
         "conflict"),
        # a rate and a total are different measures; two rates are the same one
        ("Police have reopened more than 800 historic cases of child sexual abuse.",
         "Two cases of child sexual abuse are reported to police every day.", "none"),
        ("About 20 cases of child sexual abuse are reported to police every day.",
         "Two cases of child sexual abuse are reported to police every day.", "conflict"),
        # a date is compared with the other's date of the same thing, not with any of its dates
        ("The 2019 Okafor review was written by Professor Renee Okafor.",
         "The review, led by Professor Renee Okafor, found that floods had hit the valley "
         "every winter between 2005 and 2016.", "none"),
        ("The Okafor review of the valley floods was published in 2019.",
         "The Okafor review of the valley floods was published in 2021.", "conflict"),
        # a looser bound in the evidence does not back a tighter one in the claim
        ("No listed company may be more than 95% owned by its ten largest shareholders.",
         "No listed company may be more than 80% owned by its ten largest shareholders.", "none"),
        ("No listed company may be more than 80% owned by its ten largest shareholders.",
         "No listed company may be more than 95% owned by its ten largest shareholders.", "agree"),
        # month names are dates, not subjects
        ("Officials reopened the bridge in March 2024.",
         "Officials reopened the bridge in June 2024.", "conflict"),
    ],
)  # fmt: skip
def test_values_are_compared_only_between_statements_of_one_measure(
    claim: str, evidence: str, finding: str
) -> None:
    assert check(claim, evidence).finding == finding


@pytest.mark.parametrize(
    ("claim", "evidence", "finding"),
    [
        # the same subject, the opposite verb, in any inflection or spelling
        ("Ministers praised the regulator's report on the Corran dam.",
         "Ministers sharply criticised the regulator's report on the Corran dam.", "conflict"),
        ("Exports of Halden cheese rose by 4% last year.",
         "Exports of Halden cheese fell by 4% last year.", "conflict"),
        ("Dr Okafor was acquitted of fraud at Leeds Crown Court.",
         "Dr Okafor was convicted of fraud at Leeds Crown Court.", "conflict"),
        # a pair WordNet does not list, added by hand
        ("Hartwell council approved the flood plan for the Corran dam.",
         "Hartwell council rejected the flood plan for the Corran dam.", "conflict"),
        # a name in apposition is the subject's too; "dismissed" an appeal is added by hand
        ("Amara Osei approved the Halden council's appeal.",
         "Amara Osei, the Halden Coroner, dismissed the council's appeal on Friday.", "conflict"),
        ("Amara Osei upheld the Halden council's appeal.",
         "The Halden Coroner, Amara Osei, dismissed the council's appeal.", "conflict"),
        # a place before the subject is no apposition
        ("Halden approved the council's appeal.",
         "In Halden, Osei dismissed the council's appeal.", "none"),
        # one match seen from each side: two subjects
        ("Chelsea lost the final at Wembley.", "Arsenal won the final at Wembley.", "none"),
        # the evidence states both, so it contradicts neither
        ("Shares in Halden Foods rose on Monday.",
         "Shares in Halden Foods rose on Monday while its bonds fell.", "none"),
        # a denied verb agrees with its opposite
        ("The Halden council did not win the appeal.",
         "The Halden council lost the appeal.", "none"),
        # converses tell one event from each side, and are left out
        ("Tesco sold the Halden site to Aldi.", "Aldi bought the Halden site from Tesco.", "none"),
        # a capitalised "Rose" inside a sentence is a name, not a verb
        ("Exports of Halden cheese fell, said Rose Keogh.",
         "Exports of Halden cheese fell, said Rose Keogh on Monday.", "none"),
    ],
)  # fmt: skip
def test_opposite_verbs(claim: str, evidence: str, finding: str) -> None:
    assert check(claim, evidence).finding == finding


def test_opposite_verbs_say_which() -> None:
    found = check("Exports of Halden cheese rose.", "Exports of Halden cheese fell sharply.")
    assert found.reasons == ("opposite verbs: rise / fall",)


def test_a_figure_with_a_unit_meets_the_evidence_figures_of_that_unit() -> None:
    # "over 43 months" must not agree with the bare 7,613 of the evidence
    found = check(
        "The number waiting over 43 months fell from 7,613 to 6,630.",
        "The number waiting over 12 months fell from 7,613 to 6,630.",
    )
    assert "numbers agree" not in found.reasons
    # a bare figure still meets a counted one
    assert check("Police said 9 were convicted.", "Police said nine men were convicted.") == (
        Check("agree", ("numbers agree",))
    )


def test_an_evidence_figure_that_agrees_with_one_claim_figure_contradicts_no_other() -> None:
    # the evidence's 200m is Okafor's, which the claim states rightly; it says nothing of Keogh's
    found = check(
        "Keogh, the 100m silver medallist, and the 200m champion Okafor were suspended.",
        "Okafor, who won 200m gold in Sydney, and Keogh were suspended in December.",
    )
    assert found.finding != "conflict"
    assert check(
        "Keogh, the 100m silver medallist, and the 200m champion Okafor were suspended.",
        "Keogh, the 400m silver medallist, and the 200m champion Okafor were suspended.",
    ) == Check("conflict", ("numbers differ",))


def test_a_claim_figure_accounts_for_one_evidence_figure_only() -> None:
    # "below 10%" agrees with the evidence's "6-7%" as well as with its own restatement; the
    # growth figure must still be compared with "6-7%"
    claim = "Growth has averaged 25-28% in three years, while inflation fell below 10% this year."
    evidence = "Growth has averaged 6-7% in three years, while inflation fell below 10% this year."
    assert check(claim, evidence) == Check("conflict", ("numbers differ",))
    assert check(evidence, evidence).finding == "agree"

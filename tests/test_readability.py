"""`katern check --readability`: long sentences, long words and a Flesch-Douma score, as advice."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from conftest import REPO, record_front, write_record
from katern.cli import cli
from katern.readability import (
    B1_SCORE,
    MAX_SENTENCE_WORDS,
    interpret,
    paragraphs,
    quote,
    split_sentences,
    syllables,
)

SLUG = "zwolle-think-op-school"

PLAIN = (
    "Ouders komen hier met hun vragen. Ze praten met een vaste coach. De coach luistert goed. "
    "Samen zoeken ze wat het kind nodig heeft. Vaak is dat een klein ding. Een vast ritme helpt al. "
    "Of een uur per week rust. Zo blijft de hulp dicht bij huis. De school doet ook mee. "
    "Zo weet iedereen wat er speelt."
)

HARD = (
    "De gemeenteambtenaren constateerden gedurende de implementatieperiode een substantiële toename van "
    "administratieve verantwoordingsverplichtingen voor maatschappelijke organisaties. Bovendien bemoeilijkten "
    "gecompliceerde financieringsconstructies de interdisciplinaire samenwerking tussen specialistische "
    "jeugdhulpverleners en welzijnsorganisaties aanzienlijk. Desalniettemin formuleerden beleidsmedewerkers "
    "vervolgens ambitieuze doelstellingen betreffende preventieve ondersteuningsarrangementen en "
    "laagdrempelige voorzieningen. Uiteindelijk resulteerde de gemeenschappelijke evaluatie in "
    "aanbevelingen betreffende organisatorische vernieuwingen."
)

# 25 words in one sentence.
LONG_SENTENCE = (
    "Marieke Snel werkt al jaren als coach bij de gemeente en zij ziet elke week hoe ouders met veel vragen "
    "over school en werk komen."
)


def run(root: Path | str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--project", str(root), "check", "--readability", *args])


def line_of(path: Path, needle: str) -> int:
    """Return the line of the file on which `needle` first appears."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def record_lines(result: Result, path: Path) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith(f"{path}:")]


# --- the command ------------------------------------------------------------------------------------


def test_long_sentence_is_reported_with_file_line_and_paragraph(scratch_project):
    second = (
        "Dat merkt zij ook aan de lange rijen ouders die op woensdag bij het loket in de hal van het oude "
        "gemeentehuis staan te wachten."
    )
    body = f"## Begin\n\nKorte zin. Nog een zin.\n\n{LONG_SENTENCE}\n{second}\n\nEen kort slot."
    path = write_record(scratch_project, SLUG, record_front(SLUG), body=body)
    result = run(scratch_project)
    assert result.exit_code == 0, result.output
    first_line = line_of(path, "Marieke Snel")
    assert (
        f"{path}:{first_line}: field 'body': warning: sentence of 25 words (B1: at most {MAX_SENTENCE_WORDS}) "
        "in paragraph 2: 'Marieke Snel werkt al jaren als coach bij de gemeente en…'" in result.stderr
    )
    # A sentence further on in the paragraph names the paragraph by its first words, on its own line.
    assert f"{path}:{line_of(path, 'Dat merkt zij')}: field 'body': warning: sentence of 25 words" in result.stderr
    assert "in paragraph 2 ('Marieke Snel werkt al…'): 'Dat merkt zij ook aan de lange rijen" in result.stderr
    assert "Korte zin" not in result.stderr and "Een kort slot" not in result.stderr


def test_long_sentences_in_the_front_matter_name_field_and_line(scratch_project):
    front = yaml.safe_dump(record_front(SLUG), allow_unicode=True, sort_keys=False)
    front += f"lead: >-\n  Een korte zin vooraf.\n  {LONG_SENTENCE[:60]}\n  {LONG_SENTENCE[60:]}\n"
    front += f'tips:\n  - "Bel de school."\n  - "{LONG_SENTENCE}"\n'
    front += f"boxes:\n  - title: Zo werkt het\n    body: |\n      Kort.\n\n      {LONG_SENTENCE}\n"
    front += f'reaction:\n  quote: "{LONG_SENTENCE}"\n  name: Marieke Snel\n'
    path = write_record(scratch_project, SLUG, front, body=PLAIN)
    result = run(scratch_project)
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="utf-8").splitlines()
    lead = text.index(f"  {LONG_SENTENCE[:60]}") + 1
    tip = text.index(f'  - "{LONG_SENTENCE}"') + 1
    box = text.index(f"      {LONG_SENTENCE}") + 1
    reaction = text.index(f'  quote: "{LONG_SENTENCE}"') + 1
    stderr = result.stderr
    assert f"{path}:{lead}: field 'lead': warning: sentence of 25 words (B1: at most 20) in the lead:" in stderr
    assert f"{path}:{tip}: field 'tips[2]': warning: sentence of 25 words (B1: at most 20) in tip 2:" in stderr
    assert f"{path}:{box}: field 'boxes[1].body': warning: sentence of 25 words" in stderr
    assert "in box 1 ('Zo werkt het'):" in stderr
    assert f"{path}:{reaction}: field 'reaction.quote': warning: sentence of 25 words" in stderr
    assert "in the reaction quote:" in stderr


def test_short_plain_text_is_not_reported(scratch_project):
    path = write_record(scratch_project, SLUG, record_front(SLUG), body=f"## Thuis\n\n{PLAIN}")
    result = run(scratch_project)
    assert result.exit_code == 0, result.output
    assert record_lines(result, path) == []
    assert "readability: 4 record(s), 0 scoring below 60; 0 sentence(s) over 20 words, 0 long word(s)" in (
        result.output
    )


def test_long_words_are_reported_and_names_addresses_and_numbers_are_not(scratch_project):
    body = (
        "De gemeenteambtenaren praten met ouders. Ze werken bij het Jeugdgezondheidszorgcentrum in de stad. "
        "Lees meer op https://www.voorbeeld.nl/informatievoorzieningen of www.informatievoorzieningen.nl. "
        "Mail naar informatievoorziening@voorbeeld.nl of bel 0800-12345678901234. "
        "Er kwamen 1.000.000.000.000 mensen. De GGD-Jeugdgezondheidszorg helpt. "
        "Dat gebeurt in huis-aan-huisbladen."
    )
    path = write_record(scratch_project, SLUG, record_front(SLUG), body=body)
    result = run(scratch_project)
    assert result.exit_code == 0, result.output
    words = [line for line in record_lines(result, path) if "long word" in line]
    assert words == [
        f"{path}:{line_of(path, 'gemeenteambtenaren')}: field 'body': warning: long word 'gemeenteambtenaren', "
        "7 syllables, 18 letters, in paragraph 1 ('De gemeenteambtenaren praten met…'). "
        "Is there a shorter, more common word? If not, explain it."
    ]


def test_long_word_at_the_start_of_a_sentence_is_a_word_not_a_name(scratch_project):
    body = "Ervaringsdeskundigheid helpt ouders. Ouders vragen om ervaringsdeskundigheid."
    path = write_record(scratch_project, SLUG, record_front(SLUG), body=body)
    result = run(scratch_project)
    (word,) = [line for line in record_lines(result, path) if "long word" in line]
    # Shown as written inside a sentence, counted once per appearance.
    assert "long word 'ervaringsdeskundigheid', 7 syllables, 22 letters" in word
    assert "2 times in this record" in word


def test_score_appears_with_its_meaning(scratch_project):
    path = write_record(scratch_project, SLUG, record_front(SLUG), body=HARD)
    result = run(scratch_project)
    assert result.exit_code == 0, result.output
    (score,) = [line for line in record_lines(result, path) if "readability score" in line]
    assert score.startswith(f"{path}: warning: readability score ")
    assert "(Flesch-Douma): very difficult; B1 text usually scores 60 or more." in score
    assert "words per sentence" in score and "syllables per word" in score


def test_findings_per_record_are_capped_and_the_rest_counted(scratch_project):
    long_words = [
        "gemeenteambtenaren",
        "implementatieperiode",
        "verantwoordingsverplichtingen",
        "financieringsconstructies",
        "interdisciplinaire",
        "jeugdhulpverleners",
        "welzijnsorganisaties",
        "ondersteuningsarrangementen",
        "beleidsmedewerkers",
        "laagdrempelige",
        "organisaties",  # 5 syllables, 12 letters: the shortest two are left out
        "activiteiten",
    ]
    body = "\n\n".join([LONG_SENTENCE] * 7 + [f"Het woord {w} is lang." for w in long_words])
    path = write_record(scratch_project, SLUG, record_front(SLUG), body=body)
    result = run(scratch_project)
    lines = record_lines(result, path)
    assert sum("sentence of 25 words" in line for line in lines) == 5
    assert sum("long word '" in line for line in lines) == 10
    assert (
        f"{path}: warning: and 2 more sentence(s) over 20 words and 2 more long word(s) in this record, not shown."
        in result.stderr
    )
    # The shortest long words are the ones left out.
    assert "'organisaties'" not in result.stderr and "'activiteiten'" not in result.stderr


def test_readability_never_fails_check_even_with_strict(scratch_project):
    write_record(scratch_project, SLUG, record_front(SLUG), body=f"{HARD}\n\n{LONG_SENTENCE}")
    lenient = run(scratch_project)
    strict = run(scratch_project, "--strict")
    for result in (lenient, strict):
        assert result.exit_code == 0, result.output
        assert ": warning: sentence of 25 words" in result.stderr
        assert "4 records, 3 factors, 2 publications: 0 error(s), 0 warning(s)" in result.output
        assert result.stderr.strip().splitlines()[-1].startswith("readability: 4 record(s), 1 scoring below 60")


def test_normal_warnings_still_fail_strict(scratch_project):
    path = write_record(scratch_project, SLUG, record_front(SLUG, draft=True), body=LONG_SENTENCE)
    result = run(scratch_project, "--strict")
    assert result.exit_code == 1
    assert f"{path}: field 'draft': warning:" in result.stderr
    assert "0 error(s), 1 warning(s)" in result.stderr
    assert ": warning: sentence of 25 words" in result.stderr  # still printed before failing
    assert run(scratch_project).exit_code == 0


def test_errors_still_fail_and_readability_still_reads_the_good_records(scratch_project):
    write_record(scratch_project, SLUG, record_front(SLUG, kind="praktijkverhal"), body=LONG_SENTENCE)
    good = write_record(scratch_project, "oss-maatwerkfabriek", record_front("oss-maatwerkfabriek"), body=HARD)
    result = run(scratch_project)
    assert result.exit_code == 1
    assert "Did you mean 'praktijkverhaal'?" in result.stderr
    assert f"{good}: warning: readability score" in result.stderr


def test_a_publication_with_readability_strict_fails_on_long_sentences(scratch_project):
    pub = scratch_project / "content" / "publications" / "van-nul-tot-later.yaml"
    pub.write_text(pub.read_text(encoding="utf-8") + "readability: strict\n", encoding="utf-8")
    path = write_record(scratch_project, SLUG, record_front(SLUG), body=f"{HARD}\n\n{LONG_SENTENCE}")
    other = write_record(scratch_project, "de-marne-jeugdsoos", record_front("de-marne-jeugdsoos"), body=LONG_SENTENCE)
    result = run(scratch_project)
    assert result.exit_code == 1
    assert f"{path}:{line_of(path, 'Marieke Snel')}: field 'body': error: sentence of 25 words" in result.stderr
    assert f"{path}: warning: readability score" in result.stderr  # the score and long words stay advice
    assert f"{other}:{line_of(other, 'Marieke Snel')}: field 'body': warning: sentence of 25 words" in result.stderr
    assert "1 error(s) from readability: strict" in result.stderr


def test_readability_with_pdfs_is_a_usage_error(scratch_project):
    result = run(scratch_project, "--pdf", str(scratch_project / "x.pdf"))
    assert result.exit_code == 2
    assert "--readability reads the records, not PDFs" in result.output


def test_check_without_readability_says_nothing_about_it(scratch_project):
    write_record(scratch_project, SLUG, record_front(SLUG), body=HARD)
    result = CliRunner().invoke(cli, ["--project", str(scratch_project), "check"])
    assert result.exit_code == 0
    assert "readability" not in result.output and "B1" not in result.output


def test_the_real_content_runs():
    started = time.perf_counter()
    result = run(REPO)
    seconds = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    summary = result.output.strip().splitlines()[-1]
    assert summary.startswith("readability: ") and "record(s)" in summary, summary
    assert "Traceback" not in result.output
    print(f"check --readability on the real content: {seconds:.2f} s; {summary}")


# --- the pieces -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dit is o.a. een test. Nog een zin.", ["Dit is o.a. een test.", "Nog een zin."]),
        ("J. de Vries zegt: “Het werkt.” Daarna gaat hij.", ["J. de Vries zegt: “Het werkt.”", "Daarna gaat hij."]),
        (
            "Er kwamen 1.000 ouders. Zie www.voorbeeld.nl voor meer.",
            ["Er kwamen 1.000 ouders.", "Zie www.voorbeeld.nl voor meer."],
        ),
        ("Wat nu? ja, dat is de vraag! En dan…", ["Wat nu? ja, dat is de vraag!", "En dan…"]),
        ("Kies uit:\nthuis\nop school", ["Kies uit:", "thuis", "op school"]),
    ],
)
def test_split_sentences(text, expected):
    assert [sentence for _offset, sentence in split_sentences(text)] == expected


def test_paragraphs_leave_out_markup_that_is_not_running_text():
    text = (
        "## Kop\n\nEerste *alinea* met [een link](https://voorbeeld.nl).\nNog een regel.\n\n"
        "- punt een\n- punt twee\n\n| a | b |\n\n```\ncode\n```\n\n> Een citaat.\n\n---"
    )
    found = [[(index, line) for index, line, _item in lines] for lines in paragraphs(text)]
    assert found == [
        [(2, "Eerste alinea met een link."), (3, "Nog een regel.")],
        [(5, "punt een"), (6, "punt twee")],
        [(14, "Een citaat.")],
    ]


def test_syllables_use_the_dutch_hyphenation_dictionary():
    assert syllables("gemeenteambtenaren") == 7  # ge-meen-te-amb-te-na-ren
    assert syllables("samenwerking") == 4
    assert syllables("Opvoedpunt") == 3


@pytest.mark.parametrize(
    ("score", "meaning"),
    [(95, "very easy"), (85, "easy"), (75, "fairly easy"), (B1_SCORE, "normal"), (50, "fairly difficult"),
     (40, "difficult"), (10, "very difficult"), (-20, "very difficult")],
)  # fmt: skip
def test_interpret_follows_doumas_table(score, meaning):
    assert interpret(score) == meaning


def test_quote_cuts_at_a_word():
    text = "Dat inwoners van Leeuwarden het Opvoedpunt inmiddels goed weten te vinden, is mede te danken aan"
    quoted = quote(text)
    assert len(quoted) <= 60 and quoted.endswith("…")
    assert text.startswith(quoted[:-1])
    assert quote("Kort.") == "Kort."

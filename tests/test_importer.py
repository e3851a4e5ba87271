"""Tests for katern.importers: cutting seed texts into draft records."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from conftest import REPO, record_front, write_record
from katern.cli import cli
from katern.errors import SeedImportError
from katern.importers import IMPORTERS, KNOWN_FORMATS, Draft, import_seed, parse_seed
from katern.importers.enrich import named_themes, place_municipalities
from katern.project import load_project
from katern.tables import load_municipalities, load_themes

SEEDS = REPO / "seeds"
NOORD = "integraal-werken-noord-2018-10-08.txt"
ZUID = "integraal-werken-zuid-2018-10-01.txt"
MIDDEN = "integraal-werken-midden-2018-09-24.txt"
BROCHURE = "vws-van-nul-tot-later-2017.txt"
ARTICLES = "alles-is-gezondheid-artikelen-2018-2024.txt"

OOST = """\
Integraal werken

Integraal werken

Oost-Nederland

12 maart 2019

Onder de loep

Enschede – Buurtkracht verbindt de wijk

In Enschede helpen bewoners elkaar. De gemeente ondersteunt dat met een klein budget.

“We zien dat het werkt”, zegt projectleider Anna de Vries. Ze wil het project uitbreiden
naar andere wijken.

Tips:

   - Begin klein en leer onderweg.
 * Betrek bewoners vanaf het begin.
  1. Vier de successen.

Reactie

‘Een voorbeeld voor anderen’

“Dit project laat zien wat bewoners zelf kunnen. Meer gemeenten zouden dit moeten doen.”

Jan Jansen (wethouder Hengelo)

In het kort

Deventer | Samen eten in de buurt

Elke week eten buurtbewoners samen in het buurthuis.

Zo ontstaan nieuwe contacten.

Tip

Zorg voor een vaste dag en tijd.

In het kort

Zutphen - Fietsen naar school

Kinderen fietsen in groepjes naar school, onder begeleiding van ouders.

Tips
• Plan een veilige route.
    • Vraag ouders om mee te fietsen.
"""


def parse_file(name: str):
    """Parse one of the real seeds."""
    return parse_seed((SEEDS / name).read_text(encoding="utf-8"), name)


def front_matter(path: Path) -> tuple[dict, str]:
    """Split a record file into its front matter and body."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    front, body = text[4:].split("\n---\n\n", 1)
    return yaml.safe_load(front), body


# --- newsletters ----------------------------------------------------------------------


def test_noord_has_five_short_items_with_tips():
    result = parse_file(NOORD)
    assert result.format == "newsletter"
    assert len(result.drafts) == 5
    for draft in result.drafts:
        assert draft.fields["kind"] == "in-het-kort"
        assert draft.fields["date"] == dt.date(2018, 10, 8)
        assert draft.fields["tips"]
        assert draft.fields["lead"]
        assert draft.fields["draft"] is True
        assert draft.fields["sources"] == [
            {"title": "Integraal werken — Noord-Nederland", "seed": NOORD, "edition": "8 oktober 2018"}
        ]
    assert [d.fields["place"] for d in result.drafts] == [
        "Leeuwarden",
        "Amersfoort",
        "Groningen",
        "Leeuwarden",
        "Zwolle",
    ]
    assert [len(d.fields["tips"]) for d in result.drafts] == [3, 2, 3, 3, 2]
    assert result.drafts[0].fields["title"] == "Opvoedvragen? Even naar het Opvoedpunt!"
    assert "Navigatie" not in result.drafts[-1].body
    assert result.unplaced == []


def test_zuid_has_three_onder_de_loep_with_reaction_and_four_short_items():
    drafts = parse_file(ZUID).drafts
    assert [d.fields["kind"] for d in drafts] == ["onder-de-loep"] * 3 + ["in-het-kort"] * 4
    assert all("reaction" in d.fields for d in drafts[:3])
    assert not any("reaction" in d.fields for d in drafts[3:])
    assert drafts[0].fields["reaction"] == {
        "title": "‘Mooi dat het zo laagdrempelig is’",
        "quote": drafts[0].fields["reaction"]["quote"],
        "name": "Mirjam Beelen",
        "role": "gezondheidsmakelaar GGD Limburg-Noord",
    }
    assert drafts[0].fields["reaction"]["quote"].startswith("Mooi aan dit project")
    assert not drafts[0].fields["reaction"]["quote"].endswith("”")
    assert drafts[1].fields["place"] == "Huizen, Laren, Blaricum, Eemnes"
    assert "place" not in drafts[2].fields
    assert drafts[2].fields["title"] == "Doen wat nodig is, niet wat de regels willen"
    assert drafts[2].fields["reaction"]["role"] == "Beleidsadviseur Wmo, gemeente Venlo"
    assert drafts[4].fields["place"] == "Noord-Brabant"
    assert drafts[4].fields["title"] == "Camping Kafka"
    assert drafts[6].fields["place"] == "Meierij en Bommelerwaard"
    assert "\n1. Iedereen een dak boven z’n hoofd" in drafts[6].body
    assert "\n5. Iedereen een fijne leefomgeving." in drafts[6].body
    assert all(d.fields["date"] == dt.date(2018, 10, 1) for d in drafts)


def test_midden_has_one_onder_de_loep_and_single_tips():
    drafts = parse_file(MIDDEN).drafts
    assert len(drafts) == 6
    first = drafts[0]
    assert first.fields["kind"] == "onder-de-loep"
    assert first.fields["place"] == "Hillegom/Lisse/Teylingen"
    assert first.fields["title"] == "‘Ontschotter’ haalt complexe zaken uit de knoop"
    assert first.fields["reaction"]["name"] == "Marvin Hendrikse"
    assert [d.fields["kind"] for d in drafts[1:]] == ["in-het-kort"] * 5
    by_place = {d.fields["place"]: d for d in drafts}
    assert by_place["Waddinxveen"].fields["tips"] == [
        "Medewerkers moeten gericht zijn op probleemoplossing en de vaardigheid hebben vanuit de "
        "mens te kijken in plaats van het aanbod."
    ]
    assert len(by_place["Rotterdam"].fields["tips"]) == 1
    assert first.fields["sources"][0]["title"] == "Integraal werken — Midden-Nederland"
    assert first.fields["date"] == dt.date(2018, 9, 24)


def test_unseen_newsletter_with_crlf_dashes_and_loose_bullets():
    result = parse_seed(OOST.replace("\n", "\r\n"), "integraal-werken-oost-2019-03-12.txt")
    assert result.format == "newsletter"
    assert len(result.drafts) == 3
    loep, eten, fietsen = result.drafts

    assert loep.fields["kind"] == "onder-de-loep"
    assert loep.fields["place"] == "Enschede"
    assert loep.fields["title"] == "Buurtkracht verbindt de wijk"
    assert loep.fields["date"] == dt.date(2019, 3, 12)
    assert loep.fields["lead"].startswith("In Enschede helpen bewoners elkaar.")
    assert "Ze wil het project uitbreiden naar andere wijken." in loep.body
    assert loep.fields["tips"] == [
        "Begin klein en leer onderweg.",
        "Betrek bewoners vanaf het begin.",
        "Vier de successen.",
    ]
    assert loep.fields["reaction"] == {
        "title": "‘Een voorbeeld voor anderen’",
        "quote": "Dit project laat zien wat bewoners zelf kunnen. Meer gemeenten zouden dit moeten doen.",
        "name": "Jan Jansen",
        "role": "wethouder Hengelo",
    }
    assert loep.fields["sources"] == [
        {
            "title": "Integraal werken — Oost-Nederland",
            "seed": "integraal-werken-oost-2019-03-12.txt",
            "edition": "12 maart 2019",
        }
    ]
    assert loep.slug == "enschede-buurtkracht-verbindt-de-wijk"

    assert (eten.fields["kind"], eten.fields["place"]) == ("in-het-kort", "Deventer")
    assert eten.fields["title"] == "Samen eten in de buurt"
    assert eten.fields["tips"] == ["Zorg voor een vaste dag en tijd."]
    assert eten.body == "Zo ontstaan nieuwe contacten."

    assert fietsen.fields["place"] == "Zutphen"
    assert fietsen.fields["title"] == "Fietsen naar school"
    assert fietsen.fields["tips"] == ["Plan een veilige route.", "Vraag ouders om mee te fietsen."]
    assert "lead" not in fietsen.fields
    assert fietsen.body.startswith("Kinderen fietsen in groepjes")
    assert result.unplaced == []


def test_newsletter_head_without_place_and_debris_after_navigation():
    text = (
        "Nieuwsbrief\n\nWest-Nederland\n\n5 juni 2020\n\nIn het kort\n\n"
        "Samen sterker - een nieuwe aanpak\n\nEen alinea over de aanpak.\n\n"
        "Tips\n\n- Doe het samen.\n\nNavigatie\n\nHome\n\nContact\n"
    )
    result = parse_seed(text, "nieuwsbrief.txt")
    (draft,) = result.drafts
    assert "place" not in draft.fields
    assert draft.fields["title"] == "Samen sterker - een nieuwe aanpak"
    assert draft.fields["sources"][0]["title"] == "Nieuwsbrief — West-Nederland"
    assert result.unplaced == [(19, "Home"), (21, "Contact")]


def test_slug_collisions_get_a_number():
    item = "In het kort\n\nBreda | Samen verder\n\nEen alinea.\n\n"
    result = parse_seed("Integraal werken\n\n1 mei 2020\n\n" + item * 3, "x.txt")
    assert [d.slug for d in result.drafts] == ["breda-samen-verder", "breda-samen-verder-2", "breda-samen-verder-3"]


# --- brochure -------------------------------------------------------------------------


def test_brochure_has_fifteen_stories():
    result = parse_file(BROCHURE)
    assert result.format == "brochure"
    drafts = result.drafts
    assert len(drafts) == 15
    assert drafts[0].fields["place"] == "Zwolle"
    assert drafts[-1].fields["place"] == "Diemen"
    assert all(d.fields["kind"] == "praktijkverhaal" for d in drafts)
    assert all(d.fields["date"] == dt.date(2017, 9, 1) for d in drafts)
    assert all(d.fields["lead"] and d.body for d in drafts)
    assert all(
        d.fields["sources"] == [{"title": "Van nul tot later als ik groot ben", "seed": BROCHURE}] for d in drafts
    )
    assert "De Marne" in [d.fields["place"] for d in drafts]
    assert "Oss" in [d.fields["place"] for d in drafts]


def test_brochure_fields_of_zwolle_huizen_and_leiden():
    by_place = {d.fields["place"]: d for d in parse_file(BROCHURE).drafts}
    zwolle = by_place["Zwolle"]
    assert zwolle.fields["title"] == "‘THINK op school’ verbindt onderwijs en zorg"
    assert zwolle.fields["links"] == [{"label": "www.thinkopschool.nl", "url": "https://www.thinkopschool.nl"}]
    assert zwolle.fields["quotes"][0] == (
        "Kinderen leren op school wel Nederlands, Engels en Duits, maar niet hoe ze vriendschappen sluiten en "
        "keuzes maken."
    )
    assert zwolle.body.startswith("## Sociaal-emotionele vaardigheden\n\nMarieke Snel")
    assert "wordt het echt op maat" in zwolle.body  # joined across the page break
    assert "*" not in zwolle.body + zwolle.fields["title"]

    huizen = by_place["Huizen"]
    (box,) = huizen.fields["boxes"]
    assert box["title"] == "Tip van de gemeente Huizen"
    assert box["body"].startswith("Onderschat de menselijke factor niet!")
    assert "Judith Govers" in box["body"]

    assert len(by_place["Leiden"].fields["tips"]) == 3
    assert by_place["Oss"].fields["title"] == "Maatwerkfabriek Oss"
    assert by_place["Kerkrade"].fields["title"] == "Preventie op de kaart: Social Brokers van Kerkrade"
    assert {"label": "de Facebookpagina van Kids & Koffie"} in by_place["Sliedrecht"].fields["links"]


def test_brochure_leaves_factors_spread_and_colophon_unplaced():
    result = parse_file(BROCHURE)
    unplaced = dict(result.unplaced)
    assert unplaced[411] == "Werkende factoren"
    assert unplaced[415] == "Alle gemeenten"
    assert "Colofon" in unplaced.values()
    assert all("Werkende factoren" not in d.body and "Colofon" not in d.body for d in result.drafts)
    assert 794 not in unplaced  # the date line is used


def test_small_brochure_of_unknown_places():
    text = (
        "*Gezond in de regio*\n\nEen voorwoord van de redactie.\n\nDe fietsbieb\nvoor iedereen\n\nASSEN\n\n"
        "In Assen lenen kinderen een fiets. Dat werkt goed.\n\nHoe het begon\n\n"
        "Het begon met een oude schuur\n\nvol fietsen.\n\n"
        "“Elk kind verdient een fiets.”\n\nKijk voor meer informatie op www.fietsbieb.nl\n\n"
        "Een wijkcentrum\n\n'S-HERTOGENBOSCH\n\nEen tweede verhaal.\n\nEn nog een alinea.\n\n"
        "Colofon\n\nTekst: Redactie\n\nmaart 2021\n"
    )
    result = parse_seed(text, "regio.txt")
    assert result.format == "brochure"
    assen, bosch = result.drafts
    assert assen.fields["title"] == "De fietsbieb voor iedereen"
    assert assen.fields["place"] == "Assen"
    assert assen.fields["date"] == dt.date(2021, 3, 1)
    assert assen.fields["quotes"] == ["Elk kind verdient een fiets."]
    assert assen.fields["links"] == [{"label": "www.fietsbieb.nl", "url": "https://www.fietsbieb.nl"}]
    assert assen.body == "## Hoe het begon\n\nHet begon met een oude schuur vol fietsen."
    assert assen.fields["sources"] == [{"title": "Gezond in de regio", "seed": "regio.txt"}]
    assert bosch.fields["place"] == "'s-Hertogenbosch"
    assert bosch.slug == "s-hertogenbosch-wijkcentrum"
    assert bosch.body == "En nog een alinea."
    colophon = text.splitlines().index("Colofon") + 1
    assert result.unplaced == [
        (3, "Een voorwoord van de redactie."),
        (colophon, "Colofon"),
        (colophon + 2, "Tekst: Redactie"),
    ]


# --- articles -------------------------------------------------------------------------


def test_articles_has_eight_with_an_interview_first():
    result = parse_file(ARTICLES)
    assert result.format == "articles"
    drafts = result.drafts
    assert len(drafts) == 8
    first = drafts[0]
    assert first.fields["kind"] == "interview"
    assert first.fields["date"] == dt.date(2024, 1, 9)
    assert first.fields["sources"] == [{"title": "Alles is Gezondheid", "seed": ARTICLES, "edition": "9 januari 2024"}]
    assert [link["label"] for link in first.fields["links"]] == [
        "Netwerkadviseur & regiocoördinator",
        "Publiek-private samenwerkingen",
        "Netwerkregie: Omarm de eenvoud",
    ]
    assert "## Leren van elkaar" in first.body
    assert "Relevante links" not in first.body
    assert [d.fields["kind"] for d in drafts[1:]] == ["artikel"] * 7
    assert drafts[-1].fields["date"] == dt.date(2018, 8, 21)
    gouda = next(d for d in drafts if "Gouda" in d.fields["title"])
    assert len(gouda.fields["quotes"]) == 2
    assert [link["label"] for link in gouda.fields["links"]][1:] == [
        "Handreiking Sociaal Makelaar",
        "Video pledgeondertekening",
    ]
    assert dict(result.unplaced)[295].startswith("Deze praktische handreiking")


# --- import_seed ----------------------------------------------------------------------


@pytest.mark.parametrize("name", [NOORD, ZUID, MIDDEN, BROCHURE, ARTICLES])
def test_import_writes_records_that_round_trip(tmp_path, name):
    into = tmp_path / "records"
    report = import_seed(SEEDS / name, into)
    drafts = parse_file(name).drafts
    assert report.skipped == []
    assert report.written == [into / f"{d.slug}.md" for d in drafts]
    for draft, path in zip(drafts, report.written, strict=True):
        fields, body = front_matter(path)
        assert fields == draft.fields
        assert body.strip()
        assert body == draft.body + "\n"
        assert path.read_text(encoding="utf-8") == draft.to_markdown()


def test_import_never_overwrites_without_force(tmp_path):
    first = parse_file(NOORD).drafts[0]
    existing = tmp_path / f"{first.slug}.md"
    existing.write_text("curated by hand\n", encoding="utf-8")

    report = import_seed(SEEDS / NOORD, tmp_path)
    assert report.skipped == [existing]
    assert existing not in report.written
    assert len(report.written) == 4
    assert existing.read_text(encoding="utf-8") == "curated by hand\n"

    forced = import_seed(SEEDS / NOORD, tmp_path, force=True)
    assert forced.skipped == []
    assert existing in forced.written
    assert existing.read_text(encoding="utf-8") == first.to_markdown()


def test_import_reports_format_and_unplaced_lines(tmp_path):
    report = import_seed(SEEDS / BROCHURE, tmp_path)
    assert report.format == "brochure"
    assert (411, "Werkende factoren") in report.unplaced
    assert report.unplaced == sorted(report.unplaced)


@pytest.mark.parametrize("text", ["", "\n\n  \n", "Een gewone tekst.\n\nZonder verhalen erin.\n"])
def test_import_refuses_text_without_stories(tmp_path, text):
    seed = tmp_path / "leeg.txt"
    seed.write_text(text, encoding="utf-8")
    with pytest.raises(SeedImportError) as caught:
        import_seed(seed, tmp_path / "records")
    message = caught.value.format_message()
    assert str(seed) in message
    assert "newsletter" in message and "brochure" in message and "articles" in message
    assert not (tmp_path / "records").exists()


def test_import_refuses_missing_and_non_utf8_files(tmp_path):
    missing = tmp_path / "nergens.txt"
    with pytest.raises(SeedImportError) as caught:
        import_seed(missing, tmp_path)
    assert str(missing) in caught.value.format_message()

    latin = tmp_path / "latin1.txt"
    latin.write_bytes("In het kort\n\nBreda | Caf\xe9\n".encode("latin-1"))
    with pytest.raises(SeedImportError, match="UTF-8") as caught:
        import_seed(latin, tmp_path)
    assert caught.value.path == latin


def test_draft_to_markdown_layout():
    draft = Draft(slug="x", fields={"title": "T", "kind": "artikel", "date": dt.date(2020, 1, 2)}, body="Tekst.")
    assert draft.to_markdown() == "---\ntitle: T\nkind: artikel\ndate: 2020-01-02\n---\n\nTekst.\n"


# --- the registry of formats ----------------------------------------------------------


def test_one_importer_per_format_each_detecting_its_own_seeds():
    assert [importer.name for importer in IMPORTERS] == ["newsletter", "articles", "brochure"]
    assert all(importer.description.split()[0] == importer.name for importer in IMPORTERS)
    assert all(importer.description in KNOWN_FORMATS for importer in IMPORTERS)
    for name, expected in [(NOORD, "newsletter"), (ZUID, "newsletter"), (MIDDEN, "newsletter")]:
        scores = {i.name: i.detect((SEEDS / name).read_text(encoding="utf-8")) for i in IMPORTERS}
        assert max(scores, key=lambda n: scores[n]) == expected, scores
    for name, expected in [(ARTICLES, "articles"), (BROCHURE, "brochure")]:
        text = (SEEDS / name).read_text(encoding="utf-8")
        scores = {i.name: i.detect(text) for i in IMPORTERS}
        assert max(scores, key=lambda n: scores[n]) == expected, scores
    assert [importer.detect(OOST) for importer in IMPORTERS] == [2, 0, 0]


def test_detection_looks_only_at_the_first_lines():
    text = "Regel\n\n" * 5000 + "In het kort\n\nBreda | Samen verder\n\nEen alinea.\n"
    assert all(importer.detect(text) == 0 for importer in IMPORTERS)
    # ... and when no format is detected, every importer is tried in turn
    result = parse_seed(text, "laat.txt")
    assert result.format == "newsletter"
    assert [d.slug for d in result.drafts] == ["breda-samen-verder"]


def test_without_tables_no_municipalities_province_or_themes_are_guessed():
    for name in (NOORD, MIDDEN, BROCHURE):
        for draft in parse_file(name).drafts:
            assert not {"municipalities", "province", "themes"} & set(draft.fields)


# --- municipalities, province and themes from the project's tables --------------------

TABLE = {
    "Hillegom": "Zuid-Holland",
    "Lisse": "Zuid-Holland",
    "Teylingen": "Zuid-Holland",
    "Aa en Hunze": "Drenthe",
    "Assen": "Drenthe",
    "'s-Hertogenbosch": "Noord-Brabant",
    "Huizen": "Noord-Holland",
    "Eemnes": "Utrecht",
}


@pytest.mark.parametrize(
    ("place", "expected"),
    [
        ("Hillegom/Lisse/Teylingen", ["Hillegom", "Lisse", "Teylingen"]),
        ("Hillegom, Lisse en Teylingen", ["Hillegom", "Lisse", "Teylingen"]),
        ("Aa en Hunze", ["Aa en Hunze"]),
        ("Aa en Hunze/Assen", ["Aa en Hunze", "Assen"]),
        ("’s-hertogenbosch", ["'s-Hertogenbosch"]),
        ("Hillegom/Haarlem", []),  # every part must be a municipality
        ("Meierij en Bommelerwaard", []),
        ("Noord-Brabant", []),
    ],
)
def test_place_municipalities(place, expected):
    assert place_municipalities(place, TABLE) == expected


def test_themes_are_named_whole_words_at_most_three():
    themes = {
        "jeugd": "Jeugd",
        "wonen": "Wonen",
        "integraal-werken": "Integraal werken",
        "ggz": "GGZ",
        "sport": "Sport",
    }
    draft = Draft(
        slug="x",
        fields={"title": "Jeugdhulp dicht bij huis", "lead": "Integraal werken in de wijk."},
        body="De jeugd en de GGZ. Wonen, sporten en jeugdzorg. Wonen is duur. Integraal-werken helpt. GGZ-zorg.",
    )
    # 'Jeugdhulp', 'jeugdzorg', 'sporten' and 'GGZ-zorg' are no whole words; once in the body is not enough
    assert named_themes(draft, themes) == ["integraal-werken", "wonen"]
    draft.body += " Jeugd, jeugd. GGZ."
    assert named_themes(draft, themes) == ["integraal-werken", "jeugd", "wonen"]


@pytest.fixture
def real_tables(scratch_project: Path) -> Path:
    """The scratch project with the real municipalities and themes tables."""
    for name in ("municipalities.csv", "themes.yaml"):
        (scratch_project / "content" / name).write_bytes((REPO / "content" / name).read_bytes())
    return scratch_project


def run(root: Path, *args: str) -> Result:
    """Run `katern --project ROOT ARGS...`."""
    return CliRunner().invoke(cli, ["--project", str(root), *args])


def test_real_newsletter_drafts_get_municipalities_province_and_themes(real_tables):
    result = run(real_tables, "import", str(SEEDS / NOORD))
    assert result.exit_code == 0, result.output
    records = load_project(real_tables).records
    drafts = [records[d.slug] for d in parse_file(NOORD).drafts]
    assert [(d.place, d.municipalities, d.province) for d in drafts] == [
        ("Leeuwarden", ["Leeuwarden"], "Fryslân"),
        ("Amersfoort", ["Amersfoort"], "Utrecht"),
        ("Groningen", ["Groningen"], "Groningen"),
        ("Leeuwarden", ["Leeuwarden"], "Fryslân"),
        ("Zwolle", ["Zwolle"], "Overijssel"),
    ]
    themes = load_themes(REPO / "content" / "themes.yaml", [])
    assert all(len(d.themes) <= 3 and set(d.themes) <= set(themes) for d in drafts)
    assert drafts[3].themes == ["energie"]  # "Energie besparen als armoedebestrijding"
    assert "gezondheid" in drafts[2].themes  # "Selwerd ontwerpt zich gezond": Gezondheid en leefstijl
    text = (real_tables / "content" / "records" / f"{drafts[0].slug}.md").read_text(encoding="utf-8")
    assert "place: Leeuwarden\nmunicipalities:\n- Leeuwarden\nprovince: Fryslân\ndate: 2018-10-08\n" in text


def test_real_tables_split_places_and_keep_a_province_edition(real_tables):
    table = load_municipalities(REPO / "content" / "municipalities.csv", [])
    themes = load_themes(REPO / "content" / "themes.yaml", [])
    midden = parse_seed((SEEDS / MIDDEN).read_text(encoding="utf-8"), MIDDEN, table, themes).drafts
    assert midden[0].fields["municipalities"] == ["Hillegom", "Lisse", "Teylingen"]
    assert midden[0].fields["province"] == "Zuid-Holland"
    by_place = {
        d.fields.get("place"): d.fields
        for d in parse_seed((SEEDS / ZUID).read_text(encoding="utf-8"), ZUID, table, themes).drafts
    }
    huizen = by_place["Huizen, Laren, Blaricum, Eemnes"]
    assert huizen["municipalities"] == ["Huizen", "Laren", "Blaricum", "Eemnes"]
    assert "province" not in huizen  # Noord-Holland and Utrecht
    assert by_place["Noord-Brabant"]["province"] == "Noord-Brabant"
    assert "municipalities" not in by_place["Noord-Brabant"]
    assert "municipalities" not in by_place["Meierij en Bommelerwaard"]
    brochure = {
        d.fields["place"]: d.fields
        for d in parse_seed((SEEDS / BROCHURE).read_text(encoding="utf-8"), BROCHURE, table, themes).drafts
    }
    assert brochure["De Marne"]["municipalities"] == ["De Marne"]
    assert brochure["Oss"]["province"] == "Noord-Brabant"


# --- the seed goes into seeds/ --------------------------------------------------------


def draft_warnings_only(root: Path) -> list:
    """Return the problems of a project, asserting that each is a draft warning."""
    project = load_project(root)
    others = [str(p) for p in project.problems if p.field != "draft" or p.is_error]
    assert others == []
    return project.problems


def test_a_seed_from_elsewhere_is_copied_into_seeds(real_tables, tmp_path):
    outside = tmp_path / "downloads" / NOORD
    outside.parent.mkdir()
    outside.write_bytes((SEEDS / NOORD).read_bytes())
    seeds = real_tables / "seeds"
    assert not (seeds / NOORD).exists()

    result = run(real_tables, "import", str(outside))
    assert result.exit_code == 0, result.output
    assert f"copied {outside} to {seeds / NOORD}" in result.output
    assert (seeds / NOORD).read_bytes() == outside.read_bytes()
    assert len(draft_warnings_only(real_tables)) == 5

    check = run(real_tables, "check")
    assert check.exit_code == 0, check.output
    assert "is not in seeds/" not in check.output
    assert "0 error(s), 5 warning(s)" in check.output
    strict = run(real_tables, "check", "--strict")
    assert strict.exit_code == 1  # the drafts are left to curate

    # importing the same text again reuses the copy
    again = run(real_tables, "import", str(outside), "--force")
    assert again.exit_code == 0, again.output
    assert f"{seeds / NOORD} holds the same text" in again.output
    assert sorted(p.name for p in seeds.iterdir()) == sorted(["one-seed.txt", NOORD])


def test_a_seed_already_in_seeds_is_used_in_place(scratch_project):
    seed = scratch_project / "seeds" / NOORD
    seed.write_bytes((SEEDS / NOORD).read_bytes())
    report = import_seed(seed, scratch_project / "content" / "records", seeds_dir=scratch_project / "seeds")
    assert (report.seed, report.seed_copied) == (seed, False)
    assert len(report.written) == 5
    draft_warnings_only(scratch_project)


def test_a_different_seed_of_the_same_name_is_never_overwritten(scratch_project, tmp_path):
    kept = scratch_project / "seeds" / NOORD
    kept.write_text("Een andere tekst met dezelfde naam.\n", encoding="utf-8")
    outside = tmp_path / NOORD
    outside.write_bytes((SEEDS / NOORD).read_bytes())
    records = sorted((scratch_project / "content" / "records").iterdir())

    with pytest.raises(SeedImportError) as caught:
        import_seed(outside, scratch_project / "content" / "records", seeds_dir=scratch_project / "seeds")
    message = caught.value.format_message()
    assert str(outside) in message and str(kept) in message
    assert "never overwrites" in message and "rename" in message

    result = run(scratch_project, "import", str(outside))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert str(kept) in result.output and str(outside) in result.output
    assert kept.read_text(encoding="utf-8") == "Een andere tekst met dezelfde naam.\n"
    assert sorted((scratch_project / "content" / "records").iterdir()) == records


def test_a_text_without_stories_is_not_copied(scratch_project, tmp_path):
    empty = tmp_path / "leeg.txt"
    empty.write_text("Een gewone tekst.\n", encoding="utf-8")
    result = run(scratch_project, "import", str(empty))
    assert result.exit_code == 1
    assert not (scratch_project / "seeds" / "leeg.txt").exists()


# --- check --strict: a published record needs its municipalities ---------------------

NO_MUNICIPALITIES = "has no municipalities, so province and region queries cannot find it."


def test_a_published_record_without_municipalities_fails_strict(scratch_project):
    path = write_record(
        scratch_project,
        "oss-zonder-gemeente",
        record_front("oss-maatwerkfabriek", municipalities=None, province=None, factors=None),
    )
    check = run(scratch_project, "check")
    assert check.exit_code == 0, check.output
    strict = run(scratch_project, "check", "--strict")
    assert strict.exit_code == 1
    assert (
        f"{path}: field 'municipalities': warning: {NO_MUNICIPALITIES} "
        "Add the municipalities it concerns (see content/municipalities.csv)."
    ) in strict.output
    assert "0 error(s), 1 warning(s)" in strict.output


@pytest.mark.parametrize(
    "changes",
    [
        {"place": "Noord-Brabant", "province": "Noord-Brabant"},  # a province-wide item, on purpose
        {"place": None, "province": None},  # about no place: a national article
        {"province": None, "draft": True},  # a draft says so itself
    ],
)
def test_records_without_municipalities_on_purpose_pass(scratch_project, changes):
    front = record_front("oss-maatwerkfabriek", municipalities=None, factors=None, **changes)
    path = write_record(scratch_project, "zonder-gemeente", front)
    problems = [p for p in load_project(scratch_project).problems if p.path == path]
    assert not [p for p in problems if NO_MUNICIPALITIES in p.message]

"""The accessibility report of one publication: evidence to archive with an accessibility statement.

`render_report` turns a `Verification` (validators.py) into two files, as bytes, for the build to
write next to the PDF: `NAME.accessibility.html`, for people, and `NAME.accessibility.json`, for
archives and tools. Both give the automated results per Matterhorn checkpoint (which validator,
which version, which rules, pass or fail) and the checks a person must still make, each with a
short "how to check". The labels and the checklist are in Dutch for a Dutch publication and in
English otherwise; the validators' messages and katern's explanations of them are English (marked
as such in the HTML, so a screen reader switches voice).

Both files are deterministic: the same PDF and publication give the same bytes. They hold no
clock time (only the publication's date, as passed in), no absolute paths, and JSON keys are
sorted. The HTML is self-contained (no scripts, no external files) and accessible itself: a
language, one h1, headings in order, tables with captions and header cells, status in words.

`format_text` gives the same result as plain text for `katern check --pdf`.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import textwrap
from typing import Any

from katern import __version__
from katern.labels import format_date
from katern.validators import CHECKPOINT_NAMES, ERROR, INFO, WARNING, Verification, checkpoint_label

REPORT_FILES = {"html": "{name}.accessibility.html", "json": "{name}.accessibility.json"}
REPORT_FORMAT = 1  # bump when the JSON layout changes

LABELS: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Toegankelijkheidsverslag",
        "intro": (
            "Dit verslag legt vast hoe de PDF hieronder op toegankelijkheid is gecontroleerd: welke punten "
            "twee onafhankelijke validatoren automatisch hebben getoetst (volgens PDF/UA-1 en het "
            "Matterhorn-protocol) en welke punten een mens nog moet nagaan. Bewaar het bij de "
            "toegankelijkheidsverklaring van de publicatie."
        ),
        "file": "PDF-bestand",
        "sha256": "Controlegetal (SHA-256) van het bestand",
        "date": "Datum van de publicatie",
        "pages": "Pagina's",
        "language": "Taal",
        "made_with": "Gemaakt met",
        "outcome": "Uitkomst",
        "pass": (
            "De PDF voldoet aan alle automatisch controleerbare punten: beide validatoren en de eigen "
            "controles van katern vinden geen fouten en geen waarschuwingen. Dat bewijst nog niet dat de PDF "
            "toegankelijk is: een mens moet de punten onder ‘Handmatige controles’ nog nagaan."
        ),
        "fail": (
            "De PDF voldoet nog niet: er zijn {count} problemen gevonden (zie ‘Bevindingen’). "
            "Los ze op en bouw de PDF opnieuw voordat u hem publiceert."
        ),
        "fail_one": (
            "De PDF voldoet nog niet: er is 1 probleem gevonden (zie ‘Bevindingen’). "
            "Los het op en bouw de PDF opnieuw voordat u hem publiceert."
        ),
        "print_only": (
            "Dit is een boekje om te printen en te vouwen, niet om op een scherm te lezen. Het is niet "
            "gecontroleerd; controleer de gewone PDF van de publicatie."
        ),
        "validators": "Validatoren",
        "validator": "Validator",
        "version": "Versie",
        "tests": "Toetst op",
        "result": "Resultaat",
        "details": "Details",
        "checkpoints": "Automatische controles per Matterhorn-checkpoint",
        "checkpoints_intro": (
            "Het Matterhorn-protocol 1.1 deelt alle eisen van PDF/UA-1 in 31 checkpoints in. Per checkpoint "
            "staat hier wat de validatoren en katern zelf hebben getoetst, met de nummers van hun regels. "
            "‘Handmatig’ betekent dat geen programma dit kan beoordelen; zie ‘Handmatige controles’."
        ),
        "checkpoint": "Checkpoint",
        "subject": "Onderwerp",
        "rules": "Getoetste regels",
        "no_rules": "geen automatische regels",
        "findings": "Bevindingen",
        "no_findings": "Geen: de validatoren en katern vonden niets.",
        "severity": "Ernst",
        "explanation": "Wat het betekent en wat te doen",
        "found_by": "Gevonden door (met de melding van de validator)",
        "page": "pagina",
        "times": "keer",
        "own": "Eigen controles van katern",
        "own_intro": "Wat de validatoren niet toetsen, controleert katern zelf.",
        "passed": "in orde",
        "failed": "niet in orde",
        "manual": "Handmatige controles",
        "manual_intro": (
            "Deze punten kan geen programma beoordelen. Controleer ze voor publicatie, en vul in wie dat "
            "deed en wanneer. Neem de uitkomst op in de toegankelijkheidsverklaring."
        ),
        "check": "Controle",
        "how": "Hoe controleren",
        "references": "WCAG / Matterhorn",
        "wcag": "WCAG",
        "done": "Gecontroleerd door, datum",
        "not_tied": "Niet aan een checkpoint gekoppeld",
        "error": "fout",
        "warning": "waarschuwing",
        "info": "opmerking",
        "footer": (
            "Dit verslag is gemaakt door katern {version}. De validatoren zijn page-validation (PDF/UA-1) en "
            "outloud (PDF/UA-1 en WCAG 2.2); hun meldingen en de uitleg daarbij zijn in het Engels."
        ),
    },
    "en": {
        "title": "Accessibility report",
        "intro": (
            "This report records how the PDF below was checked for accessibility: which points two "
            "independent validators checked automatically (against PDF/UA-1 and the Matterhorn Protocol) "
            "and which points a person must still check. Keep it with the publication's accessibility "
            "statement."
        ),
        "file": "PDF file",
        "sha256": "Checksum (SHA-256) of the file",
        "date": "Date of the publication",
        "pages": "Pages",
        "language": "Language",
        "made_with": "Made with",
        "outcome": "Outcome",
        "pass": (
            "The PDF passes every point that can be checked automatically: both validators and katern's own "
            "checks find no errors and no warnings. That does not yet prove the PDF accessible: a person "
            "must still check the points under ‘Manual checks’."
        ),
        "fail": (
            "The PDF does not pass yet: {count} problems were found (see ‘Findings’). Fix them and "
            "rebuild the PDF before you publish it."
        ),
        "fail_one": (
            "The PDF does not pass yet: 1 problem was found (see ‘Findings’). Fix it and rebuild "
            "the PDF before you publish it."
        ),
        "print_only": (
            "This is a booklet to print and fold, not to read on screen. It was not checked; check the "
            "publication's ordinary PDF instead."
        ),
        "validators": "Validators",
        "validator": "Validator",
        "version": "Version",
        "tests": "Checks against",
        "result": "Result",
        "details": "Details",
        "checkpoints": "Automated checks per Matterhorn checkpoint",
        "checkpoints_intro": (
            "The Matterhorn Protocol 1.1 sorts every requirement of PDF/UA-1 into 31 checkpoints. For each "
            "checkpoint this shows what the validators and katern itself checked, with their rule ids. "
            "‘Check by hand’ means no program can judge it; see ‘Manual checks’."
        ),
        "checkpoint": "Checkpoint",
        "subject": "Subject",
        "rules": "Rules checked",
        "no_rules": "no automated rules",
        "findings": "Findings",
        "no_findings": "None: the validators and katern found nothing.",
        "severity": "Severity",
        "explanation": "What it means and what to do",
        "found_by": "Found by (with the validator's message)",
        "page": "page",
        "times": "times",
        "own": "katern's own checks",
        "own_intro": "What the validators do not check, katern checks itself.",
        "passed": "passed",
        "failed": "failed",
        "manual": "Manual checks",
        "manual_intro": (
            "No program can judge these points. Check them before publishing, and fill in who did so and "
            "when. Put the outcome in the accessibility statement."
        ),
        "check": "Check",
        "how": "How to check",
        "references": "WCAG / Matterhorn",
        "wcag": "WCAG",
        "done": "Checked by, date",
        "not_tied": "Not tied to a checkpoint",
        "error": "error",
        "warning": "warning",
        "info": "note",
        "footer": (
            "This report was made by katern {version}. The validators are page-validation (PDF/UA-1) and "
            "outloud (PDF/UA-1 and WCAG 2.2)."
        ),
    },
}

STATUS_LABELS = {
    "nl": {
        "pass": "voldoet",
        "fail": "voldoet niet",
        "warning": "waarschuwing",
        "manual": "handmatig",
        "not-applicable": "niet van toepassing",
        "not-tested": "niet getest",
        "not-run": "niet uitgevoerd",
        "review": "nakijken",
        "print-only": "alleen voor print",
        "info": "opmerking",
    },
    "en": {
        "pass": "pass",
        "fail": "fail",
        "warning": "warning",
        "manual": "check by hand",
        "not-applicable": "not applicable",
        "not-tested": "not tested",
        "not-run": "not run",
        "review": "review",
        "print-only": "print only",
        "info": "note",
    },
}

CHECKPOINT_NAMES_NL = {
    "01": "Echte inhoud getagd",
    "02": "Koppeling van eigen tags (role mapping)",
    "03": "Flikkeren",
    "04": "Kleur en contrast",
    "05": "Geluid",
    "06": "Metadata",
    "07": "Documentinstellingen",
    "08": "Controle van OCR",
    "09": "Passende tags",
    "10": "Tekens naar tekst",
    "11": "Opgegeven taal",
    "12": "Rekbare tekens",
    "13": "Afbeeldingen",
    "14": "Koppen",
    "15": "Tabellen",
    "16": "Lijsten",
    "17": "Wiskundige formules",
    "18": "Kop- en voetteksten",
    "19": "Voetnoten en verwijzingen",
    "20": "Optionele inhoud (lagen)",
    "21": "Ingesloten bestanden",
    "22": "Artikeldraden",
    "23": "Digitale handtekeningen",
    "24": "Niet-interactieve formulieren",
    "25": "XFA-formulieren",
    "26": "Beveiliging",
    "27": "Navigatie",
    "28": "Annotaties (links)",
    "29": "Acties",
    "30": "XObjecten",
    "31": "Lettertypen",
}

# The checks a person must make, with how. `checkpoints` are Matterhorn checkpoints, `wcag` WCAG 2.2.
CHECKLIST: list[dict[str, Any]] = [
    {
        "id": "reading-order",
        "wcag": ["1.3.2"],
        "checkpoints": ["09"],
        "nl": (
            "Leesvolgorde",
            "Open de PDF met een schermlezer (bijvoorbeeld NVDA met Adobe Acrobat Reader, beide gratis) of "
            "gebruik ‘Hardop voorlezen’ in Acrobat Reader. Luister ten minste naar het omslag, één "
            "verhaalpagina en het colofon. De tekst moet komen in de volgorde waarin een mens leest: kop, "
            "intro, tekst; kaders, citaten en tips na de tekst waar ze bij horen en niet midden in een zin; "
            "kopregels en paginanummers worden niet voorgelezen.",
        ),
        "en": (
            "Reading order",
            "Open the PDF with a screen reader (for example NVDA with Adobe Acrobat Reader, both free) or use "
            "‘Read Out Loud’ in Acrobat Reader. Listen to at least the cover, one story page and the "
            "colophon. The text must come in the order a person reads it: heading, lead, text; boxes, quotes "
            "and tips after the text they belong to, not in the middle of a sentence; running heads and page "
            "numbers are not read out.",
        ),
    },
    {
        "id": "tags-fit",
        "wcag": ["1.3.1"],
        "checkpoints": ["09"],
        "nl": (
            "Tags passen bij de inhoud",
            "Bekijk de tags met de gratis PAC-checker (PDF Accessibility Checker, ‘voorbeeld "
            "schermlezer’) of het Tags-paneel van Acrobat Pro. Koppen zijn als kop getagd, opsommingen als "
            "lijst, citaten als citaat; geen tekst is als afbeelding getagd.",
        ),
        "en": (
            "Tags fit the content",
            "Look at the tags with the free PAC checker (PDF Accessibility Checker, ‘screen reader "
            "preview’) or the Tags panel of Acrobat Pro. Headings are tagged as headings, lists as lists, "
            "quotes as quotes; no text is tagged as an image.",
        ),
    },
    {
        "id": "alt-text",
        "wcag": ["1.1.1"],
        "checkpoints": ["13"],
        "nl": (
            "Zinvolle alternatieve tekst bij afbeeldingen",
            "Lees bij elke afbeelding de alternatieve tekst (in het record: ‘alt’ onder ‘images’, of "
            "de tekst tussen [ ] in ![...](...); in de PDF: het voorbeeld schermlezer van PAC). Die zegt in "
            "een of twee zinnen wat er te zien is en waarom het er staat, zoals u het aan de telefoon zou "
            "beschrijven; niet ‘foto’ of een bestandsnaam. Zijn er geen afbeeldingen, noteer dan "
            "‘geen afbeeldingen’.",
        ),
        "en": (
            "Meaningful alternative text for images",
            "For every image, read its alternative text (in the record: ‘alt’ under ‘images’, or "
            "the text between [ ] in ![...](...); in the PDF: PAC's screen reader preview). It says in a "
            "sentence or two what the image shows and why it is there, as you would describe it on the "
            "phone; not ‘photo’ or a file name. If there are no images, write ‘no images’.",
        ),
    },
    {
        "id": "colour",
        "wcag": ["1.4.1", "1.3.3"],
        "checkpoints": ["04"],
        "nl": (
            "Kleur is niet de enige drager van betekenis",
            "Bekijk elke pagina in zwart-wit (print in grijstinten, of zet het scherm op grijstinten). "
            "Niets mag alleen aan de kleur te begrijpen zijn, zoals een oranje woord dat iets betekent of "
            "een grafiek waarvan de lijnen alleen in kleur verschillen. De tekst verwijst niet alleen naar "
            "kleur, vorm of plaats (‘zie het kader rechts’).",
        ),
        "en": (
            "Colour is not the only carrier of meaning",
            "Look at every page in black and white (print it in greyscale, or set the screen to greyscale). "
            "Nothing may be understandable by its colour alone, such as an orange word that means something "
            "or a chart whose lines differ only in colour. The text does not refer only to colour, shape or "
            "position (‘see the box on the right’).",
        ),
    },
    {
        "id": "contrast",
        "wcag": ["1.4.3", "1.4.11"],
        "checkpoints": ["04"],
        "nl": (
            "Contrast van tekst en afbeeldingen",
            "De kleuren van katern zelf halen 4,5:1. Controleer wat katern niet kan meten: tekst in "
            "afbeeldingen (foto's met woorden, logo's, grafieken) en kleuren die in een stijlblad zijn "
            "aangepast. Meet met de gratis Colour Contrast Analyser (TPGi): ten minste 4,5:1 voor gewone "
            "tekst, 3:1 voor grote tekst en voor lijnen en vlakken in grafieken.",
        ),
        "en": (
            "Contrast of text and images",
            "katern's own colours reach 4.5:1. Check what katern cannot measure: text in images (photos with "
            "words, logos, charts) and colours changed in a style sheet. Measure with the free Colour "
            "Contrast Analyser (TPGi): at least 4.5:1 for normal text, 3:1 for large text and for the lines "
            "and areas of charts.",
        ),
    },
    {
        "id": "link-text",
        "wcag": ["2.4.4"],
        "checkpoints": ["28"],
        "nl": (
            "Linkteksten zijn begrijpelijk",
            "Lees elke link met de zin eromheen (NVDA toont alle links met NVDA+F7). Elke link zegt waar hij "
            "heen gaat: ‘de website van het Opvoedpunt’, niet ‘klik hier’ of ‘meer’. Een "
            "geprint webadres is goed als de zin zegt wat het is. Klik elke link aan: opent hij de juiste "
            "pagina?",
        ),
        "en": (
            "Link texts are meaningful",
            "Read every link with its sentence (NVDA lists all links with NVDA+F7). Each link says where it "
            "goes: ‘the Opvoedpunt website’, not ‘click here’ or ‘more’. A printed web "
            "address is fine when the sentence says what it is. Click every link: does it open the right "
            "page?",
        ),
    },
    {
        "id": "language-of-parts",
        "wcag": ["3.1.2"],
        "checkpoints": ["11"],
        "nl": (
            "Taal van onderdelen",
            "Zoek passages in een andere taal dan die van de publicatie (een Engels citaat, een Engelse "
            "projectnaam). Een korte naam of term is geen probleem. katern kan een passage nog niet als "
            "andere taal markeren, dus een schermlezer leest haar met de stem van de publicatie: houd zulke "
            "passages kort, of vertaal ze.",
        ),
        "en": (
            "Language of parts",
            "Look for passages in a language other than the publication's (an English quote, a project name "
            "in Dutch). A short name or term is no problem. katern cannot yet mark a passage as another "
            "language, so a screen reader reads it with the publication's voice: keep such passages short, "
            "or translate them.",
        ),
    },
    {
        "id": "headings-and-title",
        "wcag": ["2.4.2", "2.4.6"],
        "checkpoints": ["14"],
        "nl": (
            "Titel en koppen beschrijven de inhoud",
            "Open de PDF: de titelbalk toont de titel van de publicatie. Open het paneel met bladwijzers: "
            "samen lezen ze als een zinnige inhoudsopgave, en elke kop zegt waar het stuk eronder over gaat.",
        ),
        "en": (
            "Title and headings describe the content",
            "Open the PDF: the title bar shows the publication's title. Open the bookmarks panel: together "
            "they read as a sensible table of contents, and each heading says what its section is about.",
        ),
    },
    {
        "id": "images-of-text",
        "wcag": ["1.4.5"],
        "checkpoints": ["13"],
        "nl": (
            "Geen tekst als afbeelding",
            "Controleer dat geen afbeelding tekst bevat die niet ook als tekst in de publicatie staat (een "
            "gescande brief, een affiche met het programma, een grafiek zonder de cijfers in de tekst). Zet "
            "die tekst anders ook in het record, of in de alternatieve tekst als hij kort is.",
        ),
        "en": (
            "No images of text",
            "Check that no image holds text that is not also in the publication as text (a scanned letter, a "
            "poster with the programme, a chart without its figures in the text). If one does, put the text "
            "in the record too, or in the alternative text when it is short.",
        ),
    },
]

# Matterhorn checkpoints that need a person but that the checklist above does not cover, when a
# validator marks them "manual" for this PDF.
EXTRA_MANUAL: dict[str, dict[str, tuple[str, str]]] = {
    "12": {
        "nl": (
            "Rekbare tekens",
            "Alleen van belang als een record formules of lange haken en lijnen gebruikt die uit tekens zijn "
            "opgebouwd: controleer dan dat een schermlezer ze zinnig voorleest. Anders: noteer ‘niet "
            "van toepassing’.",
        ),
        "en": (
            "Stretchable characters",
            "Only relevant when a record uses formulas or long brackets and rules built from characters: then "
            "check that a screen reader reads them sensibly. Otherwise: write ‘not applicable’.",
        ),
    },
    "24": {
        "nl": (
            "Formulieren om op papier in te vullen",
            "Alleen van belang als een pagina bedoeld is om geprint en ingevuld te worden: controleer dan dat "
            "een schermlezer elk veld met zijn label voorleest. De layouts van katern hebben zulke formulieren "
            "niet: noteer anders ‘niet van toepassing’.",
        ),
        "en": (
            "Forms to fill in on paper",
            "Only relevant when a page is meant to be printed and filled in: then check that a screen reader "
            "reads every field with its label. katern's layouts have no such forms: otherwise write ‘not "
            "applicable’.",
        ),
    },
}


def report_language(language: str) -> str:
    """The language of the report's labels: Dutch for a Dutch publication, English otherwise."""
    return "nl" if (language or "").lower().split("-")[0] == "nl" else "en"


def manual_checks(result: Verification, language: str = "en") -> list[dict[str, Any]]:
    """The checks a person must still make for this PDF, in the report language."""
    lang = report_language(language)
    items = [
        {
            "id": item["id"],
            "title": item[lang][0],
            "how": item[lang][1],
            "wcag": item["wcag"],
            "checkpoints": item["checkpoints"],
        }
        for item in CHECKLIST
    ]
    covered = {c for item in CHECKLIST for c in item["checkpoints"]}
    for checkpoint in result.checkpoints:
        if checkpoint.status != "manual" or checkpoint.id in covered:
            continue
        title, how = EXTRA_MANUAL.get(checkpoint.id, {}).get(lang) or (
            checkpoint.name,
            checkpoint.note or "",
        )
        items.append(
            {
                "id": f"matterhorn-{checkpoint.id}",
                "title": title,
                "how": how,
                "wcag": [],
                "checkpoints": [checkpoint.id],
            }
        )
    return items


def report_data(result: Verification, *, name: str, title: str, language: str, date: dt.date) -> dict[str, Any]:
    """Everything the report says, as JSON-ready data."""
    lang = report_language(language)
    day = date.date() if isinstance(date, dt.datetime) else date
    return {
        "format": {"name": "katern accessibility report", "version": REPORT_FORMAT, "language": lang},
        "katern": __version__,
        "publication": {"name": name, "title": title, "language": language, "date": day.isoformat()},
        **result.to_dict(),
        "problems": sum(issue.severity != INFO for issue in result.issues()),  # as many as `issues`, less notes
        "manual_checks": manual_checks(result, lang),
    }


def render_json(data: dict[str, Any]) -> bytes:
    """The JSON report: sorted keys, two-space indent, UTF-8, one final newline."""
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def render_report(result: Verification, *, name: str, title: str, language: str, date: dt.date) -> dict[str, bytes]:
    """Return {file name: bytes} of the HTML and JSON reports of publication `name`."""
    data = report_data(result, name=name, title=title, language=language, date=date)
    return {
        REPORT_FILES["html"].format(name=name): render_html(data),
        REPORT_FILES["json"].format(name=name): render_json(data),
    }


def report_for(pub: Any, result: Verification) -> dict[str, bytes]:
    """`render_report` for a Publication (its name, title, language and date)."""
    return render_report(result, name=pub.name, title=pub.title, language=pub.language, date=pub.date)


# --- HTML ---------------------------------------------------------------------------------------

CSS = """
body { font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1a1a1a; background: #fff;
  margin: 0; }
main { max-width: 62rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 .5rem; overflow-wrap: break-word; hyphens: auto; }
h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; border-bottom: 2px solid #e17000; padding-bottom: .2rem; }
.wide { overflow-x: auto; margin: .5rem 0 1rem; }
.wide:focus { outline: 2px solid #1a1a1a; outline-offset: 2px; }
table { border-collapse: collapse; width: 100%; min-width: 40rem; font-size: .95rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%);
  white-space: nowrap; }
th, td { border: 1px solid #767676; padding: .35rem .5rem; text-align: left; vertical-align: top; }
thead th { background: #f3f3f3; }
dl { display: grid; grid-template-columns: minmax(0, max-content) minmax(0, 1fr); gap: .2rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
ul { margin: 0; padding-left: 1.2rem; }
.status { font-weight: 600; }
.verdict { font-size: 1.1rem; font-weight: 600; padding: .6rem .8rem; border: 2px solid #1a1a1a; }
code { font-size: .9em; overflow-wrap: anywhere; }
footer { margin-top: 2rem; font-size: .9rem; color: #4a4a4a; }
@media (max-width: 40rem) { dl { display: block; } dd { margin-bottom: .5rem; } }
@media print { main { max-width: none; } .wide { overflow: visible; } table { min-width: 0; }
  h2 { break-after: avoid; } tr { break-inside: avoid; } }
"""


def render_html(data: dict[str, Any]) -> bytes:
    """The HTML report: one self-contained, accessible page.

    Order: what was checked, the outcome, the findings and the manual checks (what staff act on),
    then the evidence: the validators, katern's own checks and the table of all 31 checkpoints.
    """
    lang = data["format"]["language"]
    t = LABELS[lang]
    e = html.escape
    pub = data["publication"]
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}">',
        '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(t['title'])}: {e(pub['title'])}</title>",
        f"<style>{CSS}</style></head>",
        "<body><main>",
        f"<h1>{e(t['title'])}: {e(pub['title'])}</h1>",
        f"<p>{e(t['intro'])}</p>",
        *_facts(data, t, lang),
        *_outcome(data, t),
        *_findings(data, t, lang),
        *_manual(data, t),
        *_validators(data, t, lang),
        *_own(data, t, lang),
        *_checkpoint_table(data, t, lang),
        f"<footer><p>{e(t['footer'].format(version=data['katern']))}</p></footer>",
        "</main></body></html>",
        "",
    ]
    return "\n".join(parts).encode("utf-8")


def _english(lang: str) -> str:
    """The attribute for text that is English inside a report that is not (validator messages)."""
    return ' lang="en"' if lang != "en" else ""


def _table_head(t: dict[str, str], caption: str, columns: tuple[str, ...], key: str) -> list[str]:
    """Open a table in a region that scrolls sideways on a narrow screen (and can be scrolled by keyboard)."""
    cells = "".join(f'<th scope="col">{html.escape(t[c])}</th>' for c in columns)
    return [
        f'<div class="wide" role="region" tabindex="0" aria-labelledby="table-{key}">',
        f'<table><caption id="table-{key}" class="visually-hidden">{html.escape(caption)}</caption>',
        f"<thead><tr>{cells}</tr></thead><tbody>",
    ]


TABLE_END = "</tbody></table></div>"


def _facts(data: dict[str, Any], t: dict[str, str], lang: str) -> list[str]:
    e = html.escape
    pub = data["publication"]
    day = dt.date.fromisoformat(pub["date"])
    versions = "".join(f", {v['name']} {v['version']}" for v in data["validators"])
    rows = [
        (t["file"], f"<code>{e(data['file'])}</code>"),
        (t["sha256"], f"<code>{e(data['sha256'])}</code>"),
        (t["date"], e(format_date(day, lang))),
        (t["language"], e(pub["language"])),
        *([(t["pages"], str(data["pages"]))] if data.get("pages") is not None else []),
        (t["made_with"], f"katern {e(data['katern'])}{e(versions)}"),
    ]
    return ["<dl>", *(f"<dt>{e(term)}</dt><dd>{value}</dd>" for term, value in rows), "</dl>"]


def _outcome(data: dict[str, Any], t: dict[str, str]) -> list[str]:
    problems, verdict = data["problems"], data["verdict"]
    if verdict in ("print-only", "pass"):
        sentence = t["print_only" if verdict == "print-only" else "pass"]
    else:
        sentence = t["fail_one" if problems == 1 else "fail"].format(count=problems)
    return [f"<h2>{html.escape(t['outcome'])}</h2>", f'<p class="verdict">{html.escape(sentence)}</p>']


def _findings(data: dict[str, Any], t: dict[str, str], lang: str) -> list[str]:
    """One row per problem; a problem both validators found names both."""
    e = html.escape
    english = _english(lang)
    parts = [f"<h2>{e(t['findings'])}</h2>"]
    if not data["issues"]:
        return [*parts, f"<p>{e(t['no_findings'])}</p>"]
    parts += _table_head(t, t["findings"], ("checkpoint", "severity", "explanation", "found_by", "wcag"), "findings")
    for issue in data["issues"]:
        found_by = []
        for source in issue["found_by"]:
            where = []
            if source["count"] is not None:
                where.append(f"{source['count']} {t['times']}")
            if source["page"] is not None:
                where.append(f"{t['page']} {source['page']}")
            said = e(source["message"]) + (f" (“{e(source['evidence'])}”)" if source.get("evidence") else "")
            found_by.append(
                f"<li>{e(source['validator'])} <code>{e(source['rule'])}</code>"
                + (f" ({e(', '.join(where))})" if where else "")
                + f": <span{english}>{said}</span></li>"
            )
        parts.append(
            f'<tr><th scope="row">{e(_checkpoint_heading(issue["checkpoint"], lang, t))}</th>'
            f'<td class="status">{e(t.get(issue["severity"], issue["severity"]))}</td>'
            f"<td{english}>{e(issue['explanation'])}</td><td><ul>{''.join(found_by)}</ul></td>"
            f"<td>{e(', '.join(issue['wcag']))}</td></tr>"
        )
    return [*parts, TABLE_END]


def _manual(data: dict[str, Any], t: dict[str, str]) -> list[str]:
    e = html.escape
    parts = [f"<h2>{e(t['manual'])}</h2>", f"<p>{e(t['manual_intro'])}</p>"]
    parts += _table_head(t, t["manual"], ("check", "how", "references", "done"), "manual")
    for item in data["manual_checks"]:
        refs = ", ".join([*(f"WCAG {c}" for c in item["wcag"]), *(f"Matterhorn {c}" for c in item["checkpoints"])])
        parts.append(
            f'<tr><th scope="row">{e(item["title"])}</th><td>{e(item["how"])}</td><td>{e(refs)}</td><td></td></tr>'
        )
    return [*parts, TABLE_END]


def _validators(data: dict[str, Any], t: dict[str, str], lang: str) -> list[str]:
    if not data["validators"]:
        return []
    e = html.escape
    status = STATUS_LABELS[lang]
    parts = [f"<h2>{e(t['validators'])}</h2>"]
    parts += _table_head(t, t["validators"], ("validator", "version", "tests", "result", "details"), "validators")
    for run in data["validators"]:
        if run["verdict"] == "not-run":
            details = run["error"] or ""
        elif run["rules_total"] is not None:
            details = f"{run['rules_failed']} / {run['rules_total']} rules failed"
        else:
            details = f"{run['errors']} error(s), {run['warnings']} warning(s)"
        parts.append(
            f'<tr><th scope="row">{e(run["name"])}</th><td>{e(run["version"])}</td><td>{e(run["profile"])}</td>'
            f'<td class="status">{e(status.get(run["verdict"], run["verdict"]))}</td>'
            f"<td{_english(lang)}>{e(details)}</td></tr>"
        )
    return [*parts, TABLE_END]


def _own(data: dict[str, Any], t: dict[str, str], lang: str) -> list[str]:
    if not data["own_checks"]:
        return []
    e = html.escape
    parts = [f"<h2>{e(t['own'])}</h2>", f"<p>{e(t['own_intro'])}</p>", "<ul>"]
    for check in data["own_checks"]:
        word = t["passed"] if check["passed"] else t["failed"]
        detail = f"<span{_english(lang)}>{e(check['detail'])}</span>"
        parts.append(f"<li><strong>{e(check['name'])}</strong>: {e(word)} ({detail})</li>")
    return [*parts, "</ul>"]


def _checkpoint_table(data: dict[str, Any], t: dict[str, str], lang: str) -> list[str]:
    if not data["checkpoints"]:
        return []
    e = html.escape
    status = STATUS_LABELS[lang]
    parts = [f"<h2>{e(t['checkpoints'])}</h2>", f"<p>{e(t['checkpoints_intro'])}</p>"]
    parts += _table_head(t, t["checkpoints"], ("checkpoint", "subject", "result", "rules"), "checkpoints")
    for checkpoint in data["checkpoints"]:
        parts.append(
            f'<tr><th scope="row">{e(checkpoint["id"])}</th>'
            f"<td>{e(_checkpoint_name(checkpoint['id'], lang))}</td>"
            f'<td class="status">{e(status.get(checkpoint["status"], checkpoint["status"]))}</td>'
            f"<td>{_rules_cell(checkpoint['checked_by'], status, t)}</td></tr>"
        )
    return [*parts, TABLE_END]


def _checkpoint_heading(checkpoint: str | None, lang: str, t: dict[str, str]) -> str:
    """'28 Annotaties (links)', or the label for findings without a checkpoint."""
    return f"{checkpoint} {_checkpoint_name(checkpoint, lang)}" if checkpoint else t["not_tied"]


def _checkpoint_name(checkpoint: str, lang: str) -> str:
    if lang == "nl":
        return CHECKPOINT_NAMES_NL.get(checkpoint, CHECKPOINT_NAMES.get(checkpoint, ""))
    return CHECKPOINT_NAMES.get(checkpoint, "")


def _rules_cell(checked_by: list[dict], status: dict[str, str], t: dict[str, str]) -> str:
    """One line per validator: 'outloud 0.2.1: pass: DOC-001, DOC-002; not applicable: TAG-001'."""
    if not checked_by:
        return html.escape(t["no_rules"])
    lines = []
    for validator in checked_by:
        outcomes: dict[str, list[str]] = {}
        for rule in validator["rules"]:
            outcomes.setdefault(rule["outcome"], []).append(rule["rule"])
        groups = "; ".join(
            f"{html.escape(status.get(outcome, outcome))}: " + ", ".join(f"<code>{html.escape(r)}</code>" for r in ids)
            for outcome, ids in outcomes.items()
        )
        lines.append(f"<li>{html.escape(validator['validator'])} {html.escape(validator['version'])}: {groups}</li>")
    return "<ul>" + "".join(lines) + "</ul>"


# --- plain text, for `katern check --pdf` ------------------------------------------------------------


def format_text(result: Verification, verbose: bool = False, width: int = 100) -> list[str]:
    """The result as lines for the terminal: verdict, validators, problems per checkpoint, own checks."""
    issues = [i for i in result.issues() if verbose or i.severity != INFO]
    errors = sum(i.severity == ERROR for i in issues)
    warnings = sum(i.severity == WARNING for i in issues)
    if result.passed:
        head = f"{result.path}: pass"
    else:
        head = f"{result.path}: FAIL ({errors} error(s), {warnings} warning(s))"
    lines = [head]
    lines += [f"  {run.summary()}" for run in result.runs]
    current: object = object()
    for issue in issues:
        if issue.checkpoint != current:
            current = issue.checkpoint
            status = next((c.status for c in result.checkpoints if c.id == issue.checkpoint), None)
            lines.append(f"  {checkpoint_label(issue.checkpoint)}" + (f": {status}" if status else ""))
        lead = f"    {issue.severity}: "
        lines += textwrap.wrap(
            issue.explanation, width, initial_indent=lead, subsequent_indent=" " * len(lead), break_on_hyphens=False
        )
        wcag = sorted({c for f in issue.findings for c in f.wcag})
        refs = (f"WCAG {', '.join(wcag)}; " if wcag else "") + issue.sources()
        lines += textwrap.wrap(
            f"[{refs}]",
            width,
            initial_indent=" " * len(lead),
            subsequent_indent=" " * (len(lead) + 1),
            break_on_hyphens=False,
        )
        if verbose:
            for finding in issue.findings:
                said = f"{finding.validator} {finding.rule} says: {finding.message}"
                if finding.evidence:
                    said += f" (evidence: {finding.evidence!r})"
                lines += textwrap.wrap(
                    said, width, initial_indent=" " * len(lead), subsequent_indent=" " * (len(lead) + 2)
                )
    if result.own_checks:
        lines.append("  katern's own checks:")
        for check in result.own_checks:
            lines += textwrap.wrap(
                f"[{'x' if check.passed else ' '}] {check.name}: {check.detail}",
                width,
                initial_indent="    ",
                subsequent_indent="        ",
            )
    passed = result.passed_checkpoints()
    if passed:
        lines += textwrap.wrap(
            "passed automatically: Matterhorn " + ", ".join(passed),
            width,
            initial_indent="  ",
            subsequent_indent="    ",
        )
    report = result.path.with_name(REPORT_FILES["html"].format(name=result.path.stem))
    where = str(report) if report.is_file() else "the accessibility report katern build writes next to the PDF"
    lines += textwrap.wrap(
        f"a person must still check {len(manual_checks(result))} points (reading order, alt text, colour, "
        f"contrast, link texts, ...): see {where}",
        width,
        initial_indent="  ",
        subsequent_indent="    ",
        break_on_hyphens=False,
    )
    return lines

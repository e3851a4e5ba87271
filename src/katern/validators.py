"""Accessibility proven by two independent validators: page-validation (PDF/UA-1) and outloud.

`verify_pdf` runs both on one PDF, together with katern's own remaining checks (accessibility.py),
and returns one `Verification`: every finding with the validator that made it, its rule, severity,
Matterhorn checkpoint(s), WCAG criteria, page and count, the validator's own message and a
plain-English explanation a communications officer can act on; and for each of the 31 Matterhorn
checkpoints whether it was checked automatically and passed.

Where the checkpoints and WCAG criteria come from: outloud's rule catalogue
(`outloud/rules/catalogue.yaml`, read through `outloud.registry.load_catalogue`) maps every outloud
rule to its Matterhorn checkpoint and WCAG 2.2 criteria; katern writes no such mapping itself.
page-validation reports only its own rule ids (PDFUA1-...), so each of its 104 PDF/UA-1 rules is
paired below with the outloud rule that tests the same ISO 14289-1 requirement, and takes that
rule's checkpoint and criteria from the catalogue. A page-validation rule without a counterpart
in outloud is reported without a checkpoint rather than with a guessed one.

A print-only booklet (imposition.py marks it) is recognised and not validated: it is not meant
to be read on screen, and its source PDF is the one to check.
"""

from __future__ import annotations

import hashlib
import io
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import outloud
import page
from outloud.criteria import MATTERHORN, MATTERHORN_MANUAL
from outloud.registry import load_catalogue
from pypdf import PdfReader

from katern import __version__
from katern.accessibility import OWN_CHECKS, Check, check_pdf, quiet_pypdf
from katern.errors import BuildError
from katern.imposition import PRINT_ONLY_KEY, PRINT_ONLY_VALUE

PAGE = "page-validation"
OUTLOUD = "outloud"
KATERN = "katern"
PAGE_PROFILE = "ua1"
ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITY_RANK = {ERROR: 0, WARNING: 1, INFO: 2}
# Checkpoint statuses, worst first: as outloud names them, plus "not-tested" when no validator ran.
STATUSES = ("fail", "warning", "not-tested", "manual", "pass", "not-applicable")

# page-validation rule -> (outloud rule, same test). "Same test": both test the same requirement,
# so they report the same problem and share an explanation. Otherwise the outloud rule is the one
# for the same clause and subject (tables, lists, fonts, language), used only for the checkpoint
# and WCAG criteria of the catalogue. Rules missing here have no counterpart in outloud.
# fmt: off
PAGE_RULES: dict[str, tuple[str, bool]] = {
    "PDFUA1-TAGGED-DOCUMENT-001": ("DOC-001", True),
    "PDFUA1-STRUCT-TREE-ROOT-001": ("DOC-002", True),
    "PDFUA1-SUSPECTS-001": ("DOC-003", True),
    "PDFUA1-CONTENT-TAGGING-001": ("TAG-001", True),
    "PDFUA1-ARTIFACT-NESTED-001": ("TAG-004", True),
    "PDFUA1-TAGGED-CONTENT-INSIDE-ARTIFACT-001": ("TAG-004", True),
    "PDFUA1-STRUCT-ELEMENT-PARENT-001": ("TAG-023", True),
    "PDFUA1-STRUCT-TREE-ROLE-MAP-001": ("TAG-010", True),
    "PDFUA1-STRUCT-TREE-ROLE-MAP-CYCLE-001": ("TAG-011", True),
    "PDFUA1-STRUCT-TREE-ROLE-MAP-STANDARD-001": ("TAG-012", True),
    "PDFUA1-ID-SCHEMA-001": ("DOC-012", True),
    "PDFUA1-ID-PART-001": ("DOC-012", True),
    "PDFUA1-ID-PART-PREFIX-001": ("DOC-012", True),
    "PDFUA1-ID-AMD-PREFIX-001": ("DOC-012", False),
    "PDFUA1-ID-CORR-PREFIX-001": ("DOC-012", False),
    "PDFUA1-METADATA-STRUCTURE-001": ("DOC-012", False),
    "PDFUA1-METADATA-TITLE-001": ("DOC-010", True),
    "PDFUA1-VIEWER-PREFERENCES-001": ("DOC-011", True),
    "PDFUA1-LANGUAGE-TAG-001": ("DOC-013", True),
    "PDFUA1-METADATA-LANGUAGE-001": ("DOC-013", False),
    "PDFUA1-TEXT-LANGUAGE-001": ("DOC-013", False),
    "PDFUA1-ACTUAL-TEXT-LANGUAGE-001": ("DOC-013", False),
    "PDFUA1-ALT-TEXT-LANGUAGE-001": ("DOC-013", False),
    "PDFUA1-E-TEXT-LANGUAGE-001": ("DOC-013", False),
    "PDFUA1-SPAN-ACTUAL-TEXT-LANGUAGE-001": ("DOC-013", False),
    "PDFUA1-SPAN-ALT-TEXT-LANGUAGE-001": ("DOC-013", False),
    "PDFUA1-SPAN-E-TEXT-LANGUAGE-001": ("DOC-013", False),
    "PDFUA1-OUTLINE-LANGUAGE-001": ("DOC-013", False),
    "PDFUA1-ANNOTATION-CONTENTS-LANGUAGE-001": ("DOC-013", False),
    "PDFUA1-FORM-FIELD-TU-LANGUAGE-001": ("DOC-013", False),
    "PDFUA1-ENCRYPTION-P-001": ("DOC-020", True),
    "PDFUA1-DYNAMIC-XFA-001": ("DOC-021", True),
    "PDFUA1-OPTIONAL-CONTENT-NAME-001": ("DOC-030", True),
    "PDFUA1-OPTIONAL-CONTENT-AS-001": ("DOC-030", True),
    "PDFUA1-FILE-SPEC-F-AND-UF-001": ("DOC-031", True),
    "PDFUA1-FIGURE-ALTERNATIVE-TEXT-001": ("FIG-001", True),
    "PDFUA1-FORMULA-ALTERNATIVE-TEXT-001": ("MATH-001", True),
    "PDFUA1-NOTE-ID-001": ("NOTE-001", True),
    "PDFUA1-NOTE-ID-UNIQUE-001": ("NOTE-004", True),
    "PDFUA1-HEADING-NESTING-001": ("HDG-001", True),
    "PDFUA1-HEADING-STRUCTURE-001": ("HDG-003", True),
    "PDFUA1-HEADING-CHILD-COUNT-001": ("HDG-005", True),
    "PDFUA1-LINK-LINK-TAG-001": ("LNK-001", True),
    "PDFUA1-LINK-CONTENTS-001": ("LNK-002", True),
    "PDFUA1-ANNOTATION-CONTENTS-ALT-001": ("LNK-002", True),
    "PDFUA1-ANNOTATION-ANNOT-TAG-001": ("LNK-006", True),
    "PDFUA1-PAGE-TABS-001": ("LNK-005", True),
    "PDFUA1-WIDGET-FORM-TAG-001": ("FRM-003", True),
    "PDFUA1-FORM-FIELD-TU-ALT-001": ("FRM-001", True),
    "PDFUA1-FORM-CHILDREN-001": ("FRM-003", False),
    "PDFUA1-FORM-STRUCTURE-001": ("FRM-003", False),
    "PDFUA1-FORM-REFERENCE-001": ("FRM-003", False),
    "PDFUA1-FONT-EMBEDDING-001": ("TXT-001", True),
    "PDFUA1-FONT-UNICODE-MAPPING-001": ("TXT-002", True),
    "PDFUA1-FONT-UNICODE-VALUE-001": ("TXT-006", True),
    "PDFUA1-NOTDEF-GLYPH-001": ("TXT-005", True),
    "PDFUA1-CIDTOGIDMAP-001": ("TXT-007", True),
    "PDFUA1-CID-SUBSET-CIDSET-001": ("TXT-007", False),
    "PDFUA1-CMAP-EMBEDDING-001": ("TXT-007", False),
    "PDFUA1-CMAP-REFERENCE-001": ("TXT-007", False),
    "PDFUA1-CMAP-WMODE-001": ("TXT-007", False),
    "PDFUA1-FONT-GLYPH-PRESENCE-001": ("TXT-007", False),
    "PDFUA1-FONT-GLYPH-WIDTH-001": ("TXT-007", False),
    "PDFUA1-FONT-TYPE1-CHARSET-001": ("TXT-007", False),
    "PDFUA1-TRUETYPE-NONSYMBOLIC-CMAP-001": ("TXT-007", False),
    "PDFUA1-TRUETYPE-NONSYMBOLIC-ENCODING-001": ("TXT-007", False),
    "PDFUA1-TRUETYPE-SYMBOLIC-CMAP-001": ("TXT-007", False),
    "PDFUA1-TRUETYPE-SYMBOLIC-ENCODING-001": ("TXT-007", False),
    "PDFUA1-TYPE0-CID-SYSTEM-INFO-001": ("TXT-007", False),
    "PDFUA1-TABLE-HEADERS-SCOPE-001": ("TBL-002", True),
    "PDFUA1-TABLE-HEADERS-UNDEFINED-001": ("TBL-002", False),
    "PDFUA1-TR-PARENT-001": ("TBL-003", True),
    "PDFUA1-TH-PARENT-001": ("TBL-003", True),
    "PDFUA1-TD-PARENT-001": ("TBL-003", True),
    "PDFUA1-TABLE-COLUMN-ROWSPAN-001": ("TBL-004", True),
    "PDFUA1-TABLE-ROW-COLUMNSPAN-001": ("TBL-004", True),
    "PDFUA1-TABLE-CELL-INTERSECTION-001": ("TBL-004", True),
    "PDFUA1-TABLE-KIDS-001": ("TBL-005", True),
    "PDFUA1-TABLE-CAPTION-COUNT-001": ("TBL-005", True),
    "PDFUA1-TABLE-CAPTION-POSITION-001": ("TBL-005", True),
    "PDFUA1-TABLE-THEAD-COUNT-001": ("TBL-005", True),
    "PDFUA1-TABLE-TFOOT-COUNT-001": ("TBL-005", True),
    "PDFUA1-TABLE-THEAD-TBODY-001": ("TBL-005", False),
    "PDFUA1-TABLE-TFOOT-TBODY-001": ("TBL-005", False),
    "PDFUA1-THEAD-PARENT-001": ("TBL-005", False),
    "PDFUA1-TBODY-PARENT-001": ("TBL-005", False),
    "PDFUA1-TFOOT-PARENT-001": ("TBL-005", False),
    "PDFUA1-TR-KIDS-001": ("TBL-005", False),
    "PDFUA1-THEAD-KIDS-001": ("TBL-005", False),
    "PDFUA1-TBODY-KIDS-001": ("TBL-005", False),
    "PDFUA1-TFOOT-KIDS-001": ("TBL-005", False),
    "PDFUA1-LI-PARENT-001": ("LST-001", True),
    "PDFUA1-L-KIDS-001": ("LST-003", True),
    "PDFUA1-L-CAPTION-001": ("LST-003", False),
    "PDFUA1-LI-KIDS-001": ("LST-002", False),
    "PDFUA1-LBODY-PARENT-001": ("LST-002", False),
}
# fmt: on
# Without a counterpart in outloud (reported without a checkpoint): PDFUA1-HEADER-001,
# PDFUA1-PRINTER-MARK-ARTIFACT-001, PDFUA1-TRAPNET-ANNOTATION-001, PDFUA1-MEDIA-CLIP-CT-001,
# PDFUA1-MEDIA-CLIP-ALT-001, PDFUA1-TOC-KIDS-001, PDFUA1-TOC-CAPTION-001, PDFUA1-TOCI-PARENT-001.

REBUILD = (
    "Rebuild it with the current katern and do not edit it in another program; if it stays, report it to "
    "katern's maintainer."
)

# Plain-English explanations for the rules katern's PDFs can hit, keyed by outloud rule (a
# page-validation rule that makes the same test uses the same text): what it means for a reader,
# then what to do.
EXPLANATIONS: dict[str, str] = {
    "DOC-001": "The PDF is not marked as tagged, so screen readers ignore its structure (headings, "
    "paragraphs, reading order). " + REBUILD,
    "DOC-002": "The PDF has no tags at all: screen readers get one long run of text without headings, "
    "lists or reading order. A PDF saved with 'print to PDF' or edited in another program loses its tags. " + REBUILD,
    "DOC-003": "The PDF says its own tags may be wrong, so readers cannot trust them. " + REBUILD,
    "DOC-010": "The document has no title in its metadata, so a screen reader announces the file name. "
    "Give the publication a title (field 'title' in its publication file) and rebuild.",
    "DOC-011": "PDF viewers show the file name in the window title instead of the document's title. " + REBUILD,
    "DOC-012": "The PDF does not declare that it follows PDF/UA, the standard for accessible PDF, so "
    "checkers and readers do not treat it as an accessible PDF. " + REBUILD,
    "DOC-013": "The language of the document is not set, so a screen reader may read Dutch text with an "
    "English voice (or the other way round). Set 'language' in the publication file (nl or en) and "
    "rebuild.",
    "DOC-014": "The language code is not a valid one such as 'nl' or 'en'. Set 'language' in the "
    "publication file and rebuild.",
    "DOC-015": "The title in the document properties and the title in the metadata differ. " + REBUILD,
    "DOC-020": "The PDF is protected in a way that locks out screen readers. Do not add a password or "
    "copy protection to the PDF.",
    "DOC-040": "The title looks like a file name rather than a title a person would use. Give the "
    "publication a proper title in its publication file.",
    "TAG-001": "Some text or images on the page are not tagged, so screen readers skip them or read them "
    "out of order. " + REBUILD,
    "TAG-002": "Real text is marked as decoration, so every screen reader skips it (the text is quoted with "
    "the finding). " + REBUILD,
    "TAG-003": "Some words printed on the page are not in any tag, so a screen reader never reads them "
    "out. Find the text (quoted with the finding) and check it is normal text in a record. " + REBUILD,
    "TAG-004": "Tagged text and decoration are mixed up inside each other, which confuses screen readers. " + REBUILD,
    "TAG-010": "The PDF uses tag names of its own without saying which standard tag they stand for, so "
    "screen readers may not understand them. " + REBUILD,
    "TAG-011": "The PDF's list of tag names goes round in a circle, so screen readers cannot tell what "
    "the tags are. " + REBUILD,
    "TAG-012": "The PDF redefines standard tag names, which makes screen readers misread them. " + REBUILD,
    "TAG-020": "There is an empty tag in the PDF (a tag with nothing in it). Most readers skip it, but "
    "some announce an empty item. It does not block reading. " + REBUILD,
    "TAG-021": "A tag points to a page that does not exist. " + REBUILD,
    "TAG-022": "The same piece of text is claimed by two tags, so a screen reader may read it twice. " + REBUILD,
    "TAG-023": "The tag tree of the PDF is damaged (tags without a parent), so screen readers may not find "
    "parts of the text. " + REBUILD,
    "TAG-030": "A picture as large as the page lies over the text. Check that the text is read and the "
    "picture is not in the way. " + REBUILD,
    "TAG-031": "An alternative text replaces real text, so a screen reader reads the alternative and not "
    "the text. " + REBUILD,
    "TAG-032": "A replacement text does not match the text printed on the page. " + REBUILD,
    "TXT-001": "A font is not embedded in the PDF, so the text may show in another font, or not at all, "
    "on another computer. Use the fonts katern installs; a style sheet must not ask for a font that is "
    "not installed as a file.",
    "TXT-002": "Some characters cannot be turned back into text, so a screen reader reads nonsense or "
    "nothing, and searching and copying fail. This usually comes from a symbol or icon font: replace "
    "the symbol with a word, or with an image that has alt text.",
    "TXT-003": "Some characters map to no letter, so a screen reader skips them. Look for symbols or "
    "unusual characters in the text and replace them with normal letters.",
    "TXT-004": "Some characters are read as a different letter from the one printed. Look for special "
    "letters or ligatures in the text, or send this report to katern's maintainer.",
    "TXT-005": "A character is missing from the font and shows as an empty box. Look in the text for "
    "unusual characters (emoji, special symbols) and replace them.",
    "TXT-006": "Some characters are read as an invalid character. Look for symbols or unusual characters "
    "in the text and replace them.",
    "TXT-007": "A font in the PDF is not built the way PDF/UA requires. " + REBUILD,
    "TXT-011": "Text inside a reusable graphic is not tagged, so screen readers skip it. " + REBUILD,
    "HDG-001": "A heading level is skipped (for example a level-3 heading straight after a level-1 "
    "heading). Screen reader users move through a document by its headings and think something is "
    "missing. In the records, use ## under #, and ### only under ##.",
    "HDG-002": "The first heading of the document is not a main (level-1) heading. The title of the "
    "publication should come first, as the level-1 heading. Check the layout and the first record.",
    "HDG-003": "Numbered and unnumbered headings are mixed. " + REBUILD,
    "HDG-005": "A section has more than one main heading. " + REBUILD,
    "HDG-010": "A heading does not read like a heading (for example only a number or a symbol). Give "
    "the heading real words in the record.",
    "HDG-011": "A whole paragraph is tagged as a heading. In the record, keep headings to a short line "
    "and put the text after it in a normal paragraph.",
    "HDG-012": "A long document has no headings, so screen reader users cannot jump through it. Give the "
    "text subheadings (## in the records).",
    "TBL-001": "A table has no header cells, so a screen reader cannot say which column a value is in. "
    "In the record, give the table a header row.",
    "TBL-002": "The header cells of a table do not say whether they head a row or a column. " + REBUILD,
    "TBL-003": "A table cell is not inside a table row. " + REBUILD,
    "TBL-004": "A table has rows of different lengths. In the record, give every row the same number of "
    "cells (an empty cell is fine).",
    "TBL-005": "A table is not built the way a table should be (rows, header, body). " + REBUILD,
    "LST-001": "A list item is not inside a list, so a screen reader does not say it is a list or how "
    "many items it has. " + REBUILD,
    "LST-002": "A list item has no body. " + REBUILD,
    "LST-003": "A list holds something that is not a list item. " + REBUILD,
    "LST-004": "A sub-list is placed beside its item instead of inside it. " + REBUILD,
    "FIG-001": "An image has no alternative text, so a screen reader user does not know what it shows. "
    "Give every image an alt text in the record: the 'alt' of an entry under 'images', or the text "
    "between [ ] in ![...](images/file.jpg). Then rebuild.",
    "FIG-002": "An image has an empty alternative text. Write in the record what the image shows and why "
    "it is there ('alt' under 'images', or the text between [ ] in ![...](...)).",
    "FIG-010": "An image's alternative text is a placeholder ('image', 'foto', a file name). Write what "
    "the image shows, as you would describe it over the phone.",
    "FIG-011": "An image's alternative text repeats its caption. Describe the image itself in the alt "
    "text; the caption is read anyway.",
    "FIG-012": "An image's alternative text is not made of words. Rewrite it as a short sentence.",
    "LNK-001": "Links are not tagged as links, so a screen reader does not say they are links and a "
    "keyboard user cannot move from link to link. " + REBUILD,
    "LNK-002": "A link or note has no description for screen readers. " + REBUILD,
    "LNK-003": "A link has no text, so a screen reader cannot say where it goes. Give the link visible "
    "text in the record: [where it goes](https://...).",
    "LNK-004": "Links are marked as not printable, so the PDF behaves differently on paper and on screen "
    "and some assistive technology ignores them. " + REBUILD,
    "LNK-005": "On pages with links, the order of moving through them with the keyboard is not set, so "
    "it may jump around. " + REBUILD,
    "LNK-006": "A link or note is not in the tags, so screen readers do not find it in the reading order. " + REBUILD,
    "LNK-010": "A web or e-mail address is printed as text but cannot be clicked (the address is quoted with "
    "the finding). In the record, write it as a link: <https://...> or [text](https://...).",
    "ORD-001": "The page is drawn in a different order from the order a screen reader reads it. Listen "
    "to that page with a screen reader (see the manual checks) and check the order makes sense.",
    "PAG-001": "Running heads or footers (the title and page number on every page) are read out as if "
    "they were text, on every page. " + REBUILD,
    "MATH-001": "A formula has no alternative text. Write the formula out in words in the record.",
    "NOTE-001": "A footnote has no identifier, so a screen reader cannot connect it to its reference. " + REBUILD,
    "NOTE-004": "Two footnotes have the same identifier. " + REBUILD,
}

# Explanations for page-validation rules that have no same-test counterpart in outloud.
PAGE_EXPLANATIONS: dict[str, str] = {
    "PDFUA1-METADATA-STRUCTURE-001": "The PDF has no proper metadata (the part that holds its title and "
    "the PDF/UA declaration). " + REBUILD,
    "PDFUA1-HEADER-001": "The file does not start the way a PDF must. " + REBUILD,
    "PDFUA1-PRINTER-MARK-ARTIFACT-001": "Printer's marks (crop marks) are not marked as decoration. " + REBUILD,
    "PDFUA1-TOC-KIDS-001": "A table of contents is not built as one. " + REBUILD,
    "PDFUA1-TOCI-PARENT-001": "An entry of a table of contents is not inside the table of contents. " + REBUILD,
    "PDFUA1-TOC-CAPTION-001": "A table of contents has a misplaced caption. " + REBUILD,
}

# When a rule has no explanation of its own: one for its checkpoint, then a generic one.
CHECKPOINT_EXPLANATIONS: dict[str, str] = {
    "01": "Some content is not tagged correctly, so screen readers may skip it or read it out of order. " + REBUILD,
    "02": "The PDF uses tag names screen readers may not understand. " + REBUILD,
    "06": "The PDF's metadata (title, PDF/UA declaration) is incomplete. " + REBUILD,
    "11": "The language of (part of) the text cannot be determined, so a screen reader may use the wrong "
    "voice. Set 'language' in the publication file and rebuild.",
    "13": "An image is not described for screen readers. Check the alt texts in the records.",
    "14": "The headings are not nested correctly. In the records, use ## under #, and ### only under ##.",
    "15": "A table is not built the way a table should be. " + REBUILD,
    "16": "A list is not built the way a list should be. " + REBUILD,
    "19": "A footnote or reference is not built correctly. " + REBUILD,
    "28": "A link or other annotation is not built the way PDF/UA requires. " + REBUILD,
    "31": "A font in the PDF is not built the way PDF/UA requires, so some characters may show or be read "
    "wrongly. " + REBUILD,
}
GENERIC_EXPLANATION = "The PDF breaks a technical rule of PDF/UA. It is not something to fix in the text. " + REBUILD
CRASHED = (
    "The validator stopped with an error during this check, so this point is not proven. Send this "
    "report to whoever maintains katern."
)
NOT_RUN = (
    "The validator could not check the file at all (the message says why), so nothing is proven. The file "
    "may be damaged: rebuild it. If that does not help, send this report to whoever maintains katern."
)
OWN_EXPLANATIONS = {
    "bookmarks": "The PDF has no bookmarks, so readers cannot jump to a section from the side panel of "
    "their PDF viewer. katern makes bookmarks from the headings: give the text headings (# and ## in the "
    "records) and rebuild.",
}
EXPLANATIONS["NAV-001"] = OWN_EXPLANATIONS["bookmarks"]  # the same problem and fix: one entry when both find it

PAGE_NUMBER = re.compile(r"\bpage (\d+)\b")
CHECKPOINT_NAMES = dict(MATTERHORN)


@dataclass(frozen=True)
class Finding:
    """One problem a validator (or katern's own check) found."""

    validator: str  # "page-validation", "outloud" or "katern"
    rule: str  # the validator's rule id, e.g. "LNK-001" or "PDFUA1-LINK-LINK-TAG-001"
    severity: str  # "error" or "warning" ("info" for outloud's notes, which fail nothing)
    checkpoints: tuple[str, ...]  # Matterhorn Protocol 1.1 checkpoints, e.g. ("28",); empty if none
    wcag: tuple[str, ...]  # WCAG 2.2 success criteria, e.g. ("1.3.1", "2.4.4")
    page: int | None  # 1-based page where the validator says, else None
    count: int | None  # how often, where the validator says, else None
    message: str  # the validator's own message
    explanation: str  # plain English: what it means and what to do
    evidence: str | None = None  # the text or value the validator saw, if it says

    def to_dict(self) -> dict[str, Any]:
        return {
            "validator": self.validator,
            "rule": self.rule,
            "severity": self.severity,
            "checkpoints": list(self.checkpoints),
            "wcag": list(self.wcag),
            "page": self.page,
            "count": self.count,
            "message": self.message,
            "explanation": self.explanation,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class RuleOutcome:
    """One rule that tests a checkpoint, and what it found: pass, fail, warning, not-applicable, not-run."""

    validator: str
    rule: str
    outcome: str


@dataclass(frozen=True)
class Checkpoint:
    """One Matterhorn checkpoint and how the automated checks judged it."""

    id: str  # "01" to "31"
    name: str  # the Matterhorn Protocol's name, e.g. "Annotations"
    status: str  # one of STATUSES
    rules: tuple[RuleOutcome, ...]  # the rules of each validator that test it
    note: str | None = None  # for "manual": what a person has to look at (outloud's wording)

    def to_dict(self) -> dict[str, Any]:
        versions = {**validator_versions(), KATERN: __version__}
        checked_by: dict[str, list[dict[str, str]]] = {}
        for outcome in self.rules:
            checked_by.setdefault(outcome.validator, []).append({"rule": outcome.rule, "outcome": outcome.outcome})
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "note": self.note,
            "checked_by": [
                {"validator": name, "version": versions.get(name, ""), "rules": rules}
                for name, rules in checked_by.items()
            ],
        }


@dataclass(frozen=True)
class ValidatorRun:
    """What one validator said about the whole file."""

    name: str
    version: str
    profile: str  # what it validates against
    verdict: str  # "pass", "review" (warnings only), "fail", or "not-run" when it could not check the file
    rules_total: int | None = None
    rules_failed: int | None = None
    errors: int = 0  # error-level findings, counted as the validator counts them
    warnings: int = 0
    error: str | None = None  # why it could not check the file, or None

    def summary(self) -> str:
        """One line: what the validator found."""
        if self.verdict == "not-run":
            return f"{self.name} {self.version}: could not check the file: {self.error}"
        if self.rules_total is not None:
            found = f"{self.rules_failed} of {self.rules_total} rules failed"
        else:
            found = f"{self.errors} error(s), {self.warnings} warning(s)"
        return f"{self.name} {self.version} ({self.profile}): {self.verdict}, {found}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "profile": self.profile,
            "verdict": self.verdict,
            "rules_total": self.rules_total,
            "rules_failed": self.rules_failed,
            "errors": self.errors,
            "warnings": self.warnings,
            "error": self.error,
        }


@dataclass(frozen=True)
class Issue:
    """Findings under one checkpoint with the same explanation: one problem, often found by both validators."""

    checkpoint: str | None  # the first Matterhorn checkpoint, or None
    severity: str
    explanation: str
    findings: tuple[Finding, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "checkpoint": self.checkpoint,
            "severity": self.severity,
            "explanation": self.explanation,
            "wcag": sorted({c for f in self.findings for c in f.wcag}),
            "found_by": [
                {
                    "validator": f.validator,
                    "rule": f.rule,
                    "count": f.count,
                    "page": f.page,
                    "message": f.message,
                    "evidence": f.evidence,
                }
                for f in self.findings
            ],
        }

    def sources(self) -> str:
        """Say who found it: 'outloud LNK-001 10x, page 1; page-validation PDFUA1-LINK-LINK-TAG-001 10x'."""
        parts = []
        for finding in self.findings:
            text = f"{finding.validator} {finding.rule}"
            if finding.count is not None:
                text += f" {finding.count}x"
            if finding.page is not None:
                text += f", page {finding.page}"
            if finding.evidence:
                evidence = " ".join(finding.evidence.split())
                text += f": “{evidence[:57] + '...' if len(evidence) > 60 else evidence}”"
            parts.append(text)
        return "; ".join(parts)


@dataclass(frozen=True)
class Verification:
    """Both validators' and katern's own verdict on one PDF."""

    path: Path  # the file as named to the user
    sha256: str  # of the bytes checked, so a report can be tied to the exact file
    pages: int | None
    print_only: bool  # an imposed booklet: not validated, see `verify_pdf`
    runs: tuple[ValidatorRun, ...] = ()
    findings: tuple[Finding, ...] = ()
    checkpoints: tuple[Checkpoint, ...] = ()
    own_checks: tuple[Check, ...] = ()

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def passed(self) -> bool:
        """True when nothing is wrong: no error, no warning, every own check passes (or print-only)."""
        return self.print_only or not (self.errors or self.warnings)

    @property
    def verdict(self) -> str:
        return "print-only" if self.print_only else "pass" if self.passed else "fail"

    def passed_checkpoints(self) -> list[str]:
        """The Matterhorn checkpoints that were checked automatically and passed."""
        return [c.id for c in self.checkpoints if c.status == "pass"]

    def issues(self) -> list[Issue]:
        """The findings folded into problems (one per explanation), in checkpoint order, errors before warnings."""
        groups: dict[tuple[str | None, str], list[Finding]] = {}
        for finding in self.findings:
            first = finding.checkpoints[0] if finding.checkpoints else None
            groups.setdefault((first, finding.explanation), []).append(finding)
        issues = [
            Issue(
                checkpoint,
                min((f.severity for f in found), key=SEVERITY_RANK.__getitem__),
                found[0].explanation,
                tuple(sorted(found, key=lambda f: (f.validator != OUTLOUD, f.validator, f.rule))),
            )
            for (checkpoint, _explanation), found in groups.items()
        ]
        return sorted(issues, key=lambda i: (i.checkpoint is None, i.checkpoint or "", SEVERITY_RANK[i.severity]))

    def summary(self, limit: int = 5) -> str:
        """One line naming the problems, for an error message."""
        if self.passed:
            return f"{self.path.name} passes both validators and katern's own checks"
        problems = [i for i in self.issues() if i.severity != INFO]
        shown = "; ".join(
            f"{checkpoint_label(i.checkpoint)}: {i.explanation.split('. ')[0].rstrip('.')} ({i.sources()})"
            for i in problems[:limit]
        )
        more = f"; and {len(problems) - limit} more (run katern check --pdf)" if len(problems) > limit else ""
        return f"{len(problems)} accessibility problem(s): {shown}{more}"

    def to_dict(self) -> dict[str, Any]:
        """Everything, as JSON-ready data with no absolute paths and no timings: the same PDF gives the same data."""
        return {
            "file": self.path.name,
            "sha256": self.sha256,
            "pages": self.pages,
            "verdict": self.verdict,
            "validators": [run.to_dict() for run in self.runs],
            "checkpoints": [c.to_dict() for c in self.checkpoints],
            "passed_checkpoints": self.passed_checkpoints(),
            "findings": [f.to_dict() for f in self.findings],
            "issues": [i.to_dict() for i in self.issues()],
            "own_checks": [
                {"name": c.name, "passed": c.passed, "detail": c.detail, **_own_refs(c.name)} for c in self.own_checks
            ],
        }


def checkpoint_label(checkpoint: str | None) -> str:
    """'Matterhorn 28 Annotations', or a label for findings without a checkpoint."""
    if checkpoint is None:
        return "Not tied to a Matterhorn checkpoint"
    return f"Matterhorn {checkpoint} {CHECKPOINT_NAMES.get(checkpoint, '')}".rstrip()


def validator_versions() -> dict[str, str]:
    """The installed version of each validator."""
    return {PAGE: page.__version__, OUTLOUD: outloud.__version__}


def verify_pdf(pdf: Path | str | bytes, name: Path | str | None = None) -> Verification:
    """Run page-validation, outloud and katern's own checks on a PDF file or on PDF bytes.

    `name` names the file in messages (for bytes, also in the result). Raises BuildError when the
    file cannot be read as a PDF at all (missing, damaged, not a PDF, encrypted). A validator that
    cannot check the file, or a rule that crashes, is a failed check in the result, never an
    exception. A print-only booklet is recognised and returned with `print_only` set, unvalidated.
    """
    if isinstance(pdf, bytes | bytearray | memoryview):
        data, path = bytes(pdf), None
        label = Path(name) if name is not None else Path("document.pdf")
    else:
        path = Path(pdf)
        label = Path(name) if name is not None else path
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise BuildError(f"cannot read the file: {exc.strerror or exc}", path=label) from exc
    own = tuple(check_pdf(label, data))  # raises BuildError for a file that is not a readable PDF
    digest = hashlib.sha256(data).hexdigest()
    pages, print_only = _inspect(data)
    if print_only:
        return Verification(label, digest, pages, print_only=True)
    page_run, page_findings, page_failed = _run_page(data)
    outloud_run, outloud_findings, rows = _run_outloud(data, path)
    own_findings = [_own_finding(check) for check in own if not check.passed]
    findings = sorted(
        [*page_findings, *outloud_findings, *own_findings],
        key=lambda f: (f.checkpoints or ("99",), SEVERITY_RANK[f.severity], f.validator, f.rule, f.page or 0),
    )
    checkpoints = _checkpoints(rows, page_failed if page_run.verdict != "not-run" else None, own, findings)
    return Verification(
        label,
        digest,
        pages,
        print_only=False,
        runs=(page_run, outloud_run),
        findings=tuple(findings),
        checkpoints=checkpoints,
        own_checks=own,
    )


def is_print_only(data: bytes) -> bool:
    """Tell whether PDF bytes are a booklet katern marked print-only (see imposition.py)."""
    return _inspect(data)[1]


def _inspect(data: bytes) -> tuple[int | None, bool]:
    """Return the page count (None if unknown) and whether the PDF is marked print-only."""
    try:
        with quiet_pypdf():
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                reader.decrypt("")
            info = reader.metadata or {}
            marker = info.get(PRINT_ONLY_KEY)
            print_only = marker is not None and str(marker.get_object()).strip() == PRINT_ONLY_VALUE
            return len(reader.pages), print_only
    except Exception:
        return None, False


# --- page-validation ---------------------------------------------------------------------------


def _run_page(data: bytes) -> tuple[ValidatorRun, list[Finding], set[str]]:
    """Validate against PDF/UA-1 with page-validation; return the run, its findings and failed rule ids."""
    version = page.__version__
    try:
        report = page.validate_pdf_bytes(data, profile=PAGE_PROFILE)
        failures = list(report.failures)
        total, failed_rules, failed_checks = report.rules.total, report.rules.failed, report.checks.failed
    except Exception as exc:  # ParseError, SafetyLimitError, ...: the file is not checked, which is a failure
        message = f"{type(exc).__name__}: {exc}"
        run = ValidatorRun(PAGE, version, "PDF/UA-1", "not-run", error=message)
        return run, [_not_run(PAGE, message)], set()
    by_rule: dict[str, list[Any]] = {}
    for failure in failures:
        by_rule.setdefault(failure.rule_id, []).append(failure)
    findings = []
    for rule, hits in by_rule.items():
        # page-validation lists a failed rule once and counts failed checks only in total: the count
        # is known when one rule failed, or when the rule is listed more than once.
        count = max(failed_checks, len(hits)) if len(by_rule) == 1 else len(hits) if len(hits) > 1 else None
        peer, same = PAGE_RULES.get(rule, (None, False))
        checkpoints, wcag = _references(peer)
        numbers = [int(m.group(1)) for h in hits if (m := PAGE_NUMBER.search(h.message))]
        findings.append(
            Finding(
                PAGE,
                rule,
                ERROR,  # page-validation has no warnings: every failed rule breaks PDF/UA-1
                checkpoints,
                wcag,
                min(numbers) if numbers else None,
                count,
                hits[0].message,
                _page_explanation(rule, peer, same),
            )
        )
    run = ValidatorRun(
        PAGE,
        version,
        "PDF/UA-1",
        "pass" if not failures else "fail",
        rules_total=total,
        rules_failed=failed_rules,
        errors=failed_checks,
    )
    return run, findings, set(by_rule)


def _page_explanation(rule: str, peer: str | None, same: bool) -> str:
    if rule in PAGE_EXPLANATIONS:
        return PAGE_EXPLANATIONS[rule]
    if peer and same and peer in EXPLANATIONS:
        return EXPLANATIONS[peer]
    return _fallback(_references(peer)[0])


# --- outloud -----------------------------------------------------------------------------------


def _run_outloud(data: bytes, path: Path | None) -> tuple[ValidatorRun, list[Finding], dict[str, dict]]:
    """Check with outloud (which reads a file: bytes go to a temporary one, removed afterwards)."""
    version = outloud.__version__
    try:
        if path is not None:
            result = outloud.check(str(path))
        else:
            with tempfile.TemporaryDirectory(prefix="katern-outloud-") as folder:
                target = Path(folder) / "document.pdf"
                target.write_bytes(data)
                result = outloud.check(str(target))
    except Exception as exc:  # outloud says it never raises; if it does, nothing was checked
        result = None
        error = f"{type(exc).__name__}: {exc}"
    else:
        error = result.error
    if result is None or error:
        run = ValidatorRun(OUTLOUD, version, "PDF/UA-1 and WCAG 2.2", "not-run", error=error)
        return run, [_not_run(OUTLOUD, error or "unknown error")], {}
    findings = []
    for hit in result.sorted_findings():
        checkpoints, wcag = _references(hit.rule)
        findings.append(
            Finding(
                OUTLOUD,
                hit.rule,
                hit.severity if hit.severity in SEVERITY_RANK else WARNING,
                checkpoints,
                wcag,
                hit.page,
                hit.count,
                hit.message,
                EXPLANATIONS.get(hit.rule) or _fallback(checkpoints),
                evidence=hit.evidence,
            )
        )
    crashed = [run for run in result.runs if run.status == "crashed"]
    for run in crashed:  # a rule that crashed proved nothing: a failure of the check
        checkpoints, wcag = _references(run.rule)
        findings.append(
            Finding(
                OUTLOUD,
                run.rule,
                ERROR,
                checkpoints,
                wcag,
                None,
                None,
                f"the check crashed: {run.reason}",
                CRASHED,
            )
        )
    verdict = "fail" if (result.errors or crashed) else "review" if result.warnings else "pass"
    run = ValidatorRun(
        OUTLOUD,
        version,
        "PDF/UA-1 and WCAG 2.2",
        verdict,
        errors=result.errors + len(crashed),
        warnings=result.warnings,
    )
    rows = {row["id"]: row for row in result.criteria.get("pdfua1", [])}
    return run, findings, rows


# --- putting it together -----------------------------------------------------------------------


def _references(rule: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the Matterhorn checkpoints and WCAG criteria of an outloud rule, from its catalogue."""
    meta = load_catalogue().get(rule) if rule else None
    if meta is None:
        return (), ()
    return ((meta.matterhorn,) if meta.matterhorn else ()), tuple(meta.wcag or ())


def _fallback(checkpoints: tuple[str, ...]) -> str:
    return next((CHECKPOINT_EXPLANATIONS[c] for c in checkpoints if c in CHECKPOINT_EXPLANATIONS), GENERIC_EXPLANATION)


def _not_run(validator: str, message: str) -> Finding:
    return Finding(validator, "not-run", ERROR, (), (), None, None, message, NOT_RUN)


def _own_refs(name: str) -> dict[str, list[str]]:
    refs = OWN_CHECKS.get(name, {})
    return {"checkpoints": list(refs.get("checkpoints", ())), "wcag": list(refs.get("wcag", ()))}


def _own_finding(check: Check) -> Finding:
    refs = _own_refs(check.name)
    return Finding(
        KATERN,
        check.name,
        ERROR,
        tuple(refs["checkpoints"]),
        tuple(refs["wcag"]),
        None,
        None,
        check.detail,
        OWN_EXPLANATIONS.get(check.name, check.detail),
    )


def _checkpoints(
    rows: dict[str, dict], page_failed: set[str] | None, own: tuple[Check, ...], findings: list[Finding]
) -> tuple[Checkpoint, ...]:
    """Judge every Matterhorn checkpoint from outloud's roll-up, page-validation's rules and katern's checks."""
    page_rules: dict[str, list[str]] = {}
    for rule, (peer, _same) in PAGE_RULES.items():
        for checkpoint in _references(peer)[0]:
            page_rules.setdefault(checkpoint, []).append(rule)
    result = []
    for checkpoint, name in MATTERHORN:
        row = rows.get(checkpoint)
        rules: list[RuleOutcome] = []
        if row is not None:
            rules += [RuleOutcome(OUTLOUD, r["id"], r["outcome"]) for r in [*row["rules"], *row["semantic"]]]
        if page_failed is not None:
            rules += [
                RuleOutcome(PAGE, rule, "fail" if rule in page_failed else "pass")
                for rule in sorted(page_rules.get(checkpoint, []))
            ]
        rules += [
            RuleOutcome(KATERN, check.name, "pass" if check.passed else "fail")
            for check in own
            if checkpoint in OWN_CHECKS.get(check.name, {}).get("checkpoints", ())
        ]
        severities = {f.severity for f in findings if checkpoint in f.checkpoints}
        note = None
        if ERROR in severities:
            status = "fail"
        elif WARNING in severities:
            status = "warning"
        elif row is None:
            status = "not-tested"
        else:
            status = row["status"] if row["status"] in STATUSES else "not-tested"
            if status == "pass" and row.get("semantic_only") and checkpoint in MATTERHORN_MANUAL:
                status = "manual"  # outloud's heuristics found nothing, but the protocol asks a person
        if status in ("manual", "warning") and checkpoint in MATTERHORN_MANUAL:
            note = MATTERHORN_MANUAL[checkpoint]
        elif status == "manual" and row is not None:
            note = row.get("note")
        result.append(Checkpoint(checkpoint, name, status, tuple(rules), note))
    return tuple(result)

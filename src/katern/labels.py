"""Layout labels and date formatting in the publication's language."""

from __future__ import annotations

import datetime as dt

LABELS = {
    "nl": {
        "contents": "Inhoud",
        "foreword": "Voorwoord",
        "tips": "Tips",
        "tip": "Tip",
        "reaction": "Reactie",
        "more_info": "Kijk voor meer informatie op",
        "contact": "Contact",
        "factors": "Werkende factoren",
        "factors_intro": "Wat werkt? Deze factoren kwamen in de praktijkverhalen steeds terug.",
        "all_municipalities": "Alle gemeenten",
        "colophon": "Colofon",
        "published_by": "Dit is een uitgave van",
        "onder-de-loep": "Onder de loep",
        "in-het-kort": "In het kort",
        "praktijkverhaal": "Praktijkverhalen",
        "artikel": "Artikelen",
        "interview": "Interviews",
        "page": "pagina",
        "sources": "Bron",
        "skip": "Naar de inhoud",
        "back_to_contents": "Terug naar de inhoud",
        "edition": "Editie",
    },
    "en": {
        "contents": "Contents",
        "foreword": "Foreword",
        "tips": "Tips",
        "tip": "Tip",
        "reaction": "Response",
        "more_info": "More information at",
        "contact": "Contact",
        "factors": "Working factors",
        "factors_intro": "What works? These factors came back in the stories again and again.",
        "all_municipalities": "All municipalities",
        "colophon": "Colophon",
        "published_by": "Published by",
        "onder-de-loep": "Close-up",
        "in-het-kort": "In brief",
        "praktijkverhaal": "Practice stories",
        "artikel": "Articles",
        "interview": "Interviews",
        "page": "page",
        "sources": "Source",
        "skip": "Skip to contents",
        "back_to_contents": "Back to contents",
        "edition": "Edition",
    },
}

MONTHS = {
    "nl": [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}


def format_date(date: dt.date, language: str = "nl", style: str = "day") -> str:
    """Write a date the way the publication's language does: '8 oktober 2018' or 'september 2017'."""
    month = MONTHS.get(language, MONTHS["nl"])[date.month - 1]
    if style == "month":
        return f"{month} {date.year}"
    return f"{date.day} {month} {date.year}"

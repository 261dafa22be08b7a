"""Recognises automatic replies (out of office, "automatic reply") and the return date in them.

Pure: text in, verdict out. A reply that is recognised as automatic may pause a campaign
instead of ending it (the user's choice), so the rules are deliberately conservative: treating
an auto-reply as a real reply ends a campaign one message early (the safe mistake); treating a
real reply as automatic would send a follow-up to someone who answered, which must never happen.
So a message counts as automatic only on a strong sign:

- the subject starts the way mail programs mark an automatic reply ("Automatic reply:",
  "Out of Office:", "Abwesend:", "Réponse automatique :", …); or
- the body reads like an absence notice: it says the writer is away **and** carries a notice's
  formula (no access to mail, mail not forwarded, contact a colleague, will answer on return),
  and it does not engage with the message (no "interested", "call me", "let's talk", …).

The return date is the first date after an "until / back on / bis / jusqu'au / hasta / tot /
fino al / até" in the text, in English, German, French, Spanish, Dutch, Italian or Portuguese,
as the next such date on or after the day the reply was sent.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class AutoReplyAction(StrEnum):
    """What an automatic reply does to a campaign: the user's choice."""

    STOP = "STOP"  # like any reply (the default: the safe mistake)
    PAUSE = "PAUSE"  # pause until the return date in it; stop when it names none


class AutoReplyKind(StrEnum):
    OUT_OF_OFFICE = "OUT_OF_OFFICE"  # away, usually with a return date
    AUTOMATIC = "AUTOMATIC"  # another automatic answer (a ticket receipt, "no longer here")


@dataclass(frozen=True)
class AutoReply:
    kind: AutoReplyKind
    returns_on: date | None  # the first day the writer says they are back, if they say
    sign: str  # which rule recognised it, for the campaign's event and for tests


# Subjects mail programs give automatic replies, folded to lower case without accents.
_SUBJECT_SIGNS = (
    "automatic reply",
    "auto reply",
    "autoreply",
    "auto-reply",
    "auto:",
    "out of office",
    "out of the office",
    "ooo:",
    "abwesend",
    "abwesenheitsnotiz",
    "automatische antwort",
    "reponse automatique",
    "absence du bureau",
    "respuesta automatica",
    "fuera de la oficina",
    "risposta automatica",
    "fuori sede",
    "fuori ufficio",
    "automatisch antwoord",
    "afwezig",
    "resposta automatica",
    "ausente",
    "fora do escritorio",
)

# "I am away": the writer is not at work.
_AWAY = re.compile(
    r"\b("
    r"out of (the )?office|on (annual |parental |sick |maternity |paternity )?leave"
    r"|on (vacation|holiday|holidays|a business trip)|away from (the office|my desk|work)"
    r"|currently away|i am away|i'm away|i will be away|i'll be away"
    r"|nicht im (buro|haus)|abwesend|im urlaub"
    r"|absente?\b|en conges?|en vacances"
    r"|fuera de la oficina|de vacaciones|ausente"
    r"|afwezig|op vakantie|met verlof"
    r"|fuori (sede|ufficio)|in ferie|assente"
    r"|fora do escritorio|de ferias"
    r")",
)
# The formula of an absence notice, which a person answering by hand does not write.
_NOTICE = re.compile(
    r"("
    r"limited (access to|acces to) (e-?mail|email|my e-?mail)|no access to (e-?mail|email)"
    r"|will (not )?be (checking|reading) (my )?e-?mail|not be forwarded|will not be read"
    r"|(respond|reply|get back to you|answer) (to your (e-?mail|message) )?(upon|on|when|after) "
    r"(my )?return|as soon as (possible|i can) (upon|after) (my )?return"
    r"|for (urgent|immediate) (matters|requests|assistance|questions)|in urgent cases"
    r"|please contact|alternatively contact|you can reach|in my absence"
    r"|this is an automatic|automatically generated|automatic reply|auto-?reply"
    r"|in dringenden fallen|wenden sie sich|keinen zugriff|nach meiner ruckkehr"
    r"|en cas d'urgence|a mon retour|je n'aurai pas acces|des mon retour"
    r"|en caso de urgencia|a mi regreso|sin acceso al correo|a mi vuelta"
    r"|in dringende gevallen|na mijn terugkeer|geen toegang tot"
    r"|per urgenze|al mio rientro|al mio ritorno|senza accesso"
    r"|em caso de urgencia|no meu regresso|no meu retorno|sem acesso"
    r")",
)
# Words of a person answering the message: any one makes it a real reply.
_ENGAGED = re.compile(
    r"\b("
    r"interested|interesting|sounds good|happy to|glad to|would love|love to|let's|lets talk"
    r"|call me|give me a call|ring me|my number|schedule|calendly|book a|set up a"
    r"|thanks for (reaching|your message|contacting|thinking|getting in touch)"
    r"|thank you for (reaching|your message|contacting|thinking|getting in touch)"
    r"|not interested|no thanks|no thank you|unsubscribe|remove me|stop (contacting|emailing)"
    r"|tell me more|more details|which company|what company|the salary|the role|this role"
    r"|interessiert|gerne|ruf mich|interesse|interessant"
    r"|interesa|me encantaria|llamame"
    r"|geinteresseerd|bel me|graag"
    r"|interessato|mi interessa|volentieri|chiamami"
    r"|interessado|ligue-me|adoraria"
    r")\b",
)

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan", "januar", "janvier", "enero", "januari", "gennaio", "janeiro"),
            ("february", "feb", "februar", "fevrier", "febrero", "februari", "febbraio",
             "fevereiro"),
            ("march", "mar", "marz", "mars", "marzo", "maart", "marco"),
            ("april", "apr", "avril", "abril", "aprile"),
            ("may", "mai", "mayo", "mei", "maggio", "maio"),
            ("june", "jun", "juni", "juin", "junio", "giugno", "junho"),
            ("july", "jul", "juli", "juillet", "julio", "luglio", "julho"),
            ("august", "aug", "aout", "agosto", "augustus"),
            ("september", "sep", "sept", "septembre", "septiembre", "settembre", "setembro"),
            ("october", "oct", "okt", "oktober", "octobre", "octubre", "ottobre", "outubro"),
            ("november", "nov", "novembre", "noviembre", "novembro"),
            ("december", "dec", "dez", "dezember", "decembre", "diciembre", "dicembre",
             "dezembro"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
# Words after which a return date follows.
_UNTIL = (
    r"(?<![\w'])(until|till|til|through|thru|returning( on)?|return(ing)? to the office on"
    r"|back (on|in the office on|at work on)|back|bis( zum| einschliesslich)?|ab dem|zuruck am"
    r"|wieder am|jusqu'au|jusqu'a|de retour le|retour le|hasta el|hasta|de vuelta el|tot en met"
    r"|tot|terug op|fino al|fino a|rientro il|di ritorno il|ate ao dia|ate|de volta a"
    r"|regresso a)(?!\w)"
)
_FILLER = (
    r"(\s+(the|le|el|il|de|der|den|dem|on|am|o|\w+day|\w+tag|\w+di|\w+dag"
    r"|lunes|martes|miercoles|jueves|viernes|sabado|domingo|\w+-feira),?)*"
)
_DAY_MONTH = re.compile(
    rf"{_UNTIL}{_FILLER}\s+(?P<day>\d{{1,2}})(st|nd|rd|th|er|\.|º)?(\s+de)?\s+"
    rf"(?P<month>{_MONTH})(?![a-z])\.?(\s+(de\s+)?(?P<year>\d{{4}}))?"
)
_MONTH_DAY = re.compile(
    rf"{_UNTIL}{_FILLER}\s+(?P<month>{_MONTH})(?![a-z])\.?\s+(?P<day>\d{{1,2}})(st|nd|rd|th)?"
    rf"(,?\s+(?P<year>\d{{4}}))?"
)
_ISO = re.compile(rf"{_UNTIL}{_FILLER}\s+(?P<year>\d{{4}})-(?P<month>\d{{2}})-(?P<day>\d{{2}})")
# 12.05.2026, 12/05/2026, 12.05.: day first, as everywhere but the US (a US date with a day
# over 12 reads as month/day).
_NUMERIC = re.compile(
    rf"{_UNTIL}{_FILLER}\s+(?P<a>\d{{1,2}})[./](?P<b>\d{{1,2}})\.?([./](?P<year>\d{{2,4}}))?"
)


def classify(subject: str | None, body: str | None, *, sent_at: datetime) -> AutoReply | None:
    """The verdict on one inbound message: None for a reply a person wrote."""
    subject_text = _fold(subject or "")
    body_text = _fold(body or "")
    kind: AutoReplyKind | None = None
    sign = ""
    if any(subject_text.startswith(s) or f" {s}" in subject_text for s in _SUBJECT_SIGNS):
        kind, sign = _kind_of(subject_text + " " + body_text), "subject"
    elif _AWAY.search(body_text) and _NOTICE.search(body_text):
        if _ENGAGED.search(body_text):
            return None
        kind, sign = AutoReplyKind.OUT_OF_OFFICE, "absence notice"
    if kind is None:
        return None
    return AutoReply(kind=kind, returns_on=return_date(body_text, sent_at.date()), sign=sign)


def resume_at(returns_on: date, zone: ZoneInfo) -> datetime:
    """When a campaign paused by an out-of-office reply resumes: the return day's start in
    the user's time zone (the send window, if any, then decides the hour)."""
    return datetime.combine(returns_on, time(0), zone)


def return_date(text: str, sent_on: date) -> date | None:
    """The first return date in `text`, as the next such date on or after `sent_on`."""
    folded = _fold(text)
    found: list[tuple[int, date]] = []
    for pattern in (_DAY_MONTH, _MONTH_DAY, _ISO):
        for match in pattern.finditer(folded):
            month = match["month"]
            month_number = int(month) if month.isdigit() else _MONTHS[month]
            day = _safe_date(match["year"], month_number, int(match["day"]), sent_on)
            if day is not None:
                found.append((match.start(), day))
    for match in _NUMERIC.finditer(folded):
        first, second = int(match["a"]), int(match["b"])
        day_first = _safe_date(match["year"], second, first, sent_on)
        day = day_first or _safe_date(match["year"], first, second, sent_on)
        if day is not None:
            found.append((match.start(), day))
    return min(found)[1] if found else None


def _kind_of(text: str) -> AutoReplyKind:
    return AutoReplyKind.OUT_OF_OFFICE if _AWAY.search(text) else AutoReplyKind.AUTOMATIC


def _safe_date(year: str | None, month: int, day: int, sent_on: date) -> date | None:
    """The date, with the year inferred as the next occurrence on or after `sent_on`."""
    if year is not None:
        full = int(year) + (2000 if len(year) == 2 else 0)
        try:
            return date(full, month, day)
        except ValueError:
            return None
    for candidate_year in (sent_on.year, sent_on.year + 1):
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:
            continue
        # A date a few days back is still this year's ("back on Monday 3 May", sent on the 4th).
        if candidate >= sent_on - timedelta(days=3):
            return candidate
    return None


def _fold(text: str) -> str:
    """Lower case, accents removed, typographic apostrophes straightened, spaces folded."""
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", plain.lower()).strip()

"""Automatic replies are recognised, with their return date, in several languages; replies a
person wrote are never taken for one, even when they mention being away.

The corpus is made of the texts mail programs and people really send (Outlook's and Gmail's
default subjects, the usual notice formulas), with names and addresses made up."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from campaigns.auto_reply import AutoReplyKind, classify, return_date

SENT = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)  # a Monday

AUTO_REPLIES: list[tuple[str, str | None, str, date | None]] = [
    (
        "outlook-en",
        "Automatic reply: Open to new opportunities?",
        "Thank you for your email. I am out of the office until 12 May with limited access to "
        "email. For urgent matters please contact jane.doe@example.com.",
        date(2026, 5, 12),
    ),
    (
        "gmail-vacation-en",
        "Out of Office: Re: Open to new opportunities?",
        "Hi, I'm on vacation and will be back on Monday, May 18th. I will respond to your "
        "message when I return.",
        date(2026, 5, 18),
    ),
    (
        "no-subject-sign-en",
        "Re: Open to new opportunities?",
        "I am currently out of the office on annual leave, returning on 2026-05-20. Emails "
        "will not be forwarded. In my absence, please contact our front desk.",
        date(2026, 5, 20),
    ),
    (
        "de",
        "Abwesenheitsnotiz: Open to new opportunities?",
        "Vielen Dank für Ihre Nachricht. Ich bin bis zum 15. Mai nicht im Büro und habe keinen "
        "Zugriff auf meine E-Mails. In dringenden Fällen wenden Sie sich bitte an Frau Müller.",
        date(2026, 5, 15),
    ),
    (
        "de-automatische",
        "Automatische Antwort: Open to new opportunities?",
        "Ich bin im Urlaub und ab dem 25.05.2026 wieder erreichbar.",
        date(2026, 5, 25),
    ),
    (
        "fr",
        "Réponse automatique : Open to new opportunities?",
        "Bonjour, je suis absente jusqu'au 22 mai inclus. Je n'aurai pas accès à mes e-mails. "
        "En cas d'urgence, merci de contacter le secrétariat.",
        date(2026, 5, 22),
    ),
    (
        "es",
        "Respuesta automática: Open to new opportunities?",
        "Estoy fuera de la oficina hasta el lunes 18 de mayo, sin acceso al correo. Responderé "
        "a mi regreso.",
        date(2026, 5, 18),
    ),
    (
        "nl",
        "Automatisch antwoord: Open to new opportunities?",
        "Ik ben afwezig tot en met 8 juni en heb geen toegang tot mijn e-mail. Na mijn "
        "terugkeer reageer ik zo snel mogelijk.",
        date(2026, 6, 8),
    ),
    (
        "it",
        "Risposta automatica: Open to new opportunities?",
        "Sono fuori ufficio fino al 3 giugno senza accesso alla posta. Per urgenze contattare "
        "l'ufficio.",
        date(2026, 6, 3),
    ),
    (
        "pt",
        "Resposta automática: Open to new opportunities?",
        "Estou de férias até 10 de junho, sem acesso ao e-mail. Responderei no meu regresso.",
        date(2026, 6, 10),
    ),
    (
        "no-date-en",
        "Auto-Reply: Open to new opportunities?",
        "This is an automatic reply. I am away from the office and will reply on my return.",
        None,
    ),
    (
        "next-year",
        "Out of office",
        "I'm on parental leave until January 8. Please contact my team in my absence.",
        date(2027, 1, 8),
    ),
]

# Replies a person wrote: none may be taken for an automatic one.
REAL_REPLIES: list[tuple[str, str | None, str]] = [
    ("interested", "Re: Open to new opportunities?", "Yes, I'm interested! When can we talk?"),
    (
        "away-but-interested",
        "Re: Open to new opportunities?",
        "Thanks for reaching out. I'm on vacation until 12 May, but happy to talk when I'm "
        "back. Please contact me then.",
    ),
    (
        "away-call-me",
        None,
        "I'm out of the office this week, please contact me on my mobile, call me tomorrow.",
    ),
    ("not-interested", "Re: Open to new opportunities?", "No thanks, not interested."),
    ("linkedin-short", None, "Hi Andreas, sure — what is the role?"),
    (
        "mentions-automatic",
        "Re: Open to new opportunities?",
        "Was your first message an automatic reply? It read like one. Tell me more.",
    ),
    (
        "de-interessiert",
        "AW: Open to new opportunities?",
        "Ich bin bis zum 15. Mai im Urlaub, aber die Stelle klingt interessant. Rufen Sie mich "
        "gerne danach an.",
    ),
    (
        "fr-interesse",
        "RE: Open to new opportunities?",
        "Je suis en congés jusqu'au 22 mai mais le poste m'intéresse, contactez-moi à mon "
        "retour. Je suis interessé.",
    ),
    ("update", "Re: Open to new opportunities?", "Quick update 12.05: I accepted another offer."),
]


@pytest.mark.parametrize(
    ("subject", "body", "returns_on"),
    [case[1:] for case in AUTO_REPLIES],
    ids=[case[0] for case in AUTO_REPLIES],
)
def test_automatic_replies_are_recognised_with_their_return_date(
    subject: str, body: str, returns_on: date | None
) -> None:
    verdict = classify(subject, body, sent_at=SENT)
    assert verdict is not None
    assert verdict.returns_on == returns_on


@pytest.mark.parametrize(
    ("subject", "body"),
    [case[1:] for case in REAL_REPLIES],
    ids=[case[0] for case in REAL_REPLIES],
)
def test_replies_a_person_wrote_are_never_taken_for_automatic(
    subject: str | None, body: str
) -> None:
    assert classify(subject, body, sent_at=SENT) is None


def test_an_absence_notice_is_out_of_office_and_a_receipt_is_automatic() -> None:
    away = classify("Automatic reply: Hi", "I am out of the office.", sent_at=SENT)
    receipt = classify(
        "Automatic reply: Hi", "We received your message; ticket 4411.", sent_at=SENT
    )
    assert away is not None and away.kind is AutoReplyKind.OUT_OF_OFFICE
    assert receipt is not None and receipt.kind is AutoReplyKind.AUTOMATIC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("back on 3 May", date(2026, 5, 3)),  # a day before the reply: still this year
        ("until 20 April", date(2027, 4, 20)),  # long past: next year's
        ("until 31 February", None),
        ("until 13/05", date(2026, 5, 13)),
        ("until 05/13", date(2026, 5, 13)),  # a US date: the day cannot be the month
        ("out until the 4th", None),  # a day without its month is not guessed
        ("please update 12.05.", None),  # no return word
    ],
)
def test_return_dates_are_read_as_the_next_such_day(text: str, expected: date | None) -> None:
    assert return_date(text, SENT.date()) == expected

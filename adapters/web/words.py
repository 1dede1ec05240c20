"""What a participant reads: the words, Dutch at B1 level and English, and how amounts
and days are written in them."""

from __future__ import annotations

from datetime import date

from huishoudboekje.domain.money import Money
from huishoudboekje.projections.wording import MONTHS, euros  # the supplement's sentences need them too

# -- words ----------------------------------------------------------------------------------

WEEKDAYS = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
LABELS = {  # agreement ids and categories as a person says them
    "nl": {"huur": "Huur", "energie": "Energie", "water": "Water", "stadsverwarming": "Stadsverwarming",
           "zorgverzekering": "Zorgverzekering", "gemeentelijke-belastingen": "Gemeentelijke belastingen",
           "belastingen": "Gemeentelijke belastingen", "bijstand": "Bijstand", "toeslag": "Toeslag",
           "zorgtoeslag": "Zorgtoeslag", "huurtoeslag": "Huurtoeslag",
           "kindgebonden-budget": "Kindgebonden budget", "loon": "Loon", "salaris": "Salaris",
           "uitkering": "Uitkering", "kinderbijslag": "Kinderbijslag", "alimentatie": "Alimentatie",
           "overig": "Overig"},
    "en": {"huur": "Rent", "energie": "Energy", "water": "Water", "stadsverwarming": "District heating",
           "zorgverzekering": "Health insurance", "gemeentelijke-belastingen": "Municipal taxes",
           "belastingen": "Municipal taxes", "bijstand": "Social assistance", "toeslag": "Allowance",
           "zorgtoeslag": "Healthcare allowance", "huurtoeslag": "Housing allowance",
           "kindgebonden-budget": "Child budget", "loon": "Wages", "salaris": "Salary",
           "uitkering": "Benefit", "kinderbijslag": "Child benefit", "alimentatie": "Alimony",
           "overig": "Other"},
}

MESSAGES: dict[str, dict[str, str]] = {
    "nl": {
        "brand": "Huishoudboekje",
        "title": "Uw leefgeld",
        "skip": "Naar de inhoud",
        "switch": "English",
        "switch_lang": "en",
        "hello": "Hallo {name}",
        "hero_to_come": "Nog te krijgen deze maand",
        "hero_paid": "Dit is uw leefgeld voor deze maand",
        "hero_upcoming": "Uw volgende leefgeld is ongeveer",
        "upcoming_detail": "Op die dag ziet u hier het precieze bedrag.",
        "hero_none": "Uw leefgeld voor deze maand",
        "next": "Volgend leefgeld: {day}",
        "next_amount": "U krijgt dan {amount}.",
        "next_expected": "Wij verwachten dan ongeveer {amount}.",
        "already": "U kreeg deze maand al {amount}.",
        "paid_on": "Op uw rekening gezet op {day}.",
        "sent_on": "Wij gaven de bank op {day} opdracht dit te betalen. De bank heeft het nog niet bevestigd.",
        "on_its_way": "Onderweg naar uw rekening: {amount}. De bank heeft het nog niet bevestigd.",
        "none_left": "Deze maand bleef er na de vaste lasten geen geld over voor leefgeld.",
        "updated": "Bijgewerkt op {day}",
        "updated_never": "Er zijn nog geen bankgegevens verwerkt.",
        "parts": "Uw leefgeld per week",
        "part_paid": "Betaald op {day}",
        "part_sent": "Opdracht gegeven aan de bank. De bank heeft het nog niet bevestigd.",
        "part_coming": "Gepland",
        "part_returned": "Teruggekomen: het lukte niet. Neem contact op met uw wijkteam.",
        "came_in": "Wat er binnenkwam",
        "came_in_none": "Er is nog geen geld binnengekomen.",
        "expected": "Wat we nog verwachten",
        "in_received": "Binnengekomen op {day}",
        "in_more": "Binnengekomen op {day}. Dat is meer dan de {expected} die we verwachtten.",
        "in_less": "Binnengekomen op {day}. Dat is minder dan de {expected} die we verwachtten.",
        "in_expected": "Verwacht op {day}",
        "in_late": "Nog niet binnen. Het werd verwacht op {day}.",
        "in_missing": "Niet binnengekomen. Het werd verwacht op {day}.",
        "in_withheld": " Er wordt elke keer {amount} ingehouden voor {by}.",
        "in_withheld_plain": " Er wordt elke keer {amount} ingehouden.",
        "deducted": "Wat er van uw geld af ging",
        "dk_verrekening": "Verrekening",
        "dk_beslag": "Beslag",
        "dk_bankkosten": "Bankkosten",
        "dk_overig": "Afgeschreven",
        "charges": "Wat wij voor u betalen",
        "charges_none": "Deze maand hoeven wij niets voor u te betalen.",
        "ch_paid": "Betaald op {day}",
        "ch_paid_plain": "Betaald",
        "ch_sent": "Opdracht gegeven aan de bank, voor {day}. De bank heeft het nog niet bevestigd.",
        "ch_will": "Gepland op {day}",
        "ch_before": "Gepland: wij betalen dit vóór {day}",
        "ch_pending": "Gepland: wij betalen dit zodra het kan",
        "ch_returned": "Teruggekomen: de bank kon dit niet betalen. Neem contact op met uw wijkteam.",
        "story_label": "Deze maand",
        "stale": "Let op: wij hebben sinds {day} geen nieuwe gegevens van de bank. Wat hier staat, kan dus anders zijn.",
        "voorschot_means": "Een voorschot is geld dat de gemeente voor u betaalt als er te weinig binnenkomt. U betaalt het later terug.",
        "m_late": "Uw {income} kwam op {day}.",
        "m_from_both": " Daarvan is {repaid} voorschot terugbetaald en {leefgeld} leefgeld aangevuld.",
        "m_from_repaid": " Daarvan is {repaid} voorschot terugbetaald.",
        "m_from_leefgeld": " Daarvan is {leefgeld} leefgeld aangevuld.",
        "m_from_bills": " Daarmee zijn uw rekeningen betaald.",
        "m_missing": "Uw {income} was er op {day} nog niet.",
        "m_came_after": "Uw {income} was er op {pay} nog niet; het kwam op {day}.",
        "m_short": "Op {day} was er te weinig geld voor alle vaste lasten.",
        "m_advanced": " De gemeente gaf {amount} voorschot om uw vaste lasten en leefgeld te betalen.",
        "m_advanced_bills": " De gemeente gaf {amount} voorschot om uw vaste lasten te betalen.",
        "m_owed": "U moet nog {amount} voorschot terugbetalen. Dat gaat vanzelf van uw volgende inkomen.",
        "m_next": " Uw volgende leefgeld komt op {day}: ongeveer {amount}.",
        "ch_arrears": "Nog niet betaald: er was niet genoeg geld. Wij betalen dit zodra het kan.",
        "saving": "Wij sparen voor u",
        "saving_intro": "Sommige rekeningen komen niet elke maand. Daar zetten wij elke maand een deel voor opzij.",
        "saved": "{amount} gespaard",
        "owed_title": "Voorschot van de gemeente",
        "owed": "U moet nog {amount} voorschot terugbetalen aan de gemeente. Dat gaat vanzelf.",
        "owed_minimum": "Door het terugbetalen krijgt u nooit minder dan {amount} leefgeld.",
        "shortfall": "Let op: volgende maand komt er misschien te weinig geld binnen voor alle vaste lasten.",
        "questions": "Heeft u vragen? Neem contact op met {team}.",
        "questions_plain": "Heeft u vragen? Neem contact op met uw wijkteam.",
        "contact_title": "Vragen? Neem contact op",
        "contact_coach": "Uw coach",
        "contact_phone": "Bellen",
        "contact_hours": "Bereikbaar",
        "contact_email": "E-mail",
        "print_title": "Overzicht om te printen",
        "print_month": "Overzicht van {month}",
        "back": "Terug naar uw leefgeld",
        "nf_title": "Deze link werkt niet",
        "nf_text": "Misschien is de link verlopen of gestopt. Of er ging iets mis bij het overnemen.",
        "nf_ask": "Vraag uw wijkteam om een nieuwe link.",
        "many_title": "Even wachten",
        "many_text": "Er is te vaak een verkeerde link geprobeerd. Wacht een minuut en probeer het opnieuw.",
        "wait_title": "Even geduld",
        "wait_text": "Uw gegevens worden nu klaargezet. Probeer het over een paar minuten opnieuw.",
        "bad_title": "Deze pagina bestaat niet",
        "bad_text": "Controleer de datum of maand in de link.",
        "error_title": "Er ging iets mis",
        "error_text": "Probeer het later nog eens. Lukt het dan nog niet? Neem contact op met uw wijkteam.",
        "root_title": "Uw persoonlijke link",
        "root_text": "Gebruik de link die u van uw wijkteam kreeg. Die link is alleen voor u.",
        "amount_label": "Bedrag",
    },
    "en": {
        "brand": "Huishoudboekje",
        "title": "Your leefgeld",
        "skip": "Skip to content",
        "switch": "Nederlands",
        "switch_lang": "nl",
        "hello": "Hello {name}",
        "hero_to_come": "Still to come this month",
        "hero_paid": "This is your leefgeld (money to live on) for this month",
        "hero_upcoming": "Your next leefgeld (money to live on) is about",
        "upcoming_detail": "On that day you will see the exact amount here.",
        "hero_none": "Your leefgeld (money to live on) for this month",
        "next": "Next leefgeld: {day}",
        "next_amount": "You will get {amount}.",
        "next_expected": "We expect about {amount}.",
        "already": "You already got {amount} this month.",
        "paid_on": "Paid into your account on {day}.",
        "sent_on": "We asked the bank on {day} to pay this. The bank has not confirmed it yet.",
        "on_its_way": "On its way to your account: {amount}. The bank has not confirmed it yet.",
        "none_left": "This month no money was left for leefgeld after the fixed bills.",
        "updated": "Updated on {day}",
        "updated_never": "No bank information has been processed yet.",
        "parts": "Your leefgeld per week",
        "part_paid": "Paid on {day}",
        "part_sent": "Sent to the bank. The bank has not confirmed it yet.",
        "part_coming": "Planned",
        "part_returned": "Came back: this did not work. Please contact your neighbourhood team.",
        "came_in": "What came in",
        "came_in_none": "No money has come in yet.",
        "expected": "What we still expect",
        "in_received": "Received on {day}",
        "in_more": "Received on {day}. This is more than the {expected} we expected.",
        "in_less": "Received on {day}. This is less than the {expected} we expected.",
        "in_expected": "Expected on {day}",
        "in_late": "Not in yet. It was expected on {day}.",
        "in_missing": "Did not come in. It was expected on {day}.",
        "in_withheld": " {amount} is kept back each time for {by}.",
        "in_withheld_plain": " {amount} is kept back each time.",
        "deducted": "What was taken from your money",
        "dk_verrekening": "Set-off",
        "dk_beslag": "Garnishment",
        "dk_bankkosten": "Bank costs",
        "dk_overig": "Taken from your money",
        "charges": "What we pay for you",
        "charges_none": "We do not need to pay anything for you this month.",
        "ch_paid": "Paid on {day}",
        "ch_paid_plain": "Paid",
        "ch_sent": "Sent to the bank, for {day}. The bank has not confirmed it yet.",
        "ch_will": "Planned for {day}",
        "ch_before": "Planned: we will pay this before {day}",
        "ch_pending": "Planned: we will pay this as soon as we can",
        "ch_returned": "Came back: the bank could not pay this. Please contact your neighbourhood team.",
        "story_label": "This month",
        "stale": "Please note: we have had no new information from the bank since {day}. What you see here may have changed.",
        "voorschot_means": "An advance (voorschot) is money the municipality pays for you when too little comes in. You pay it back later.",
        "m_late": "Your {income} came in on {day}.",
        "m_from_both": " From it, {repaid} of the advance was paid back and your leefgeld was topped up with {leefgeld}.",
        "m_from_repaid": " From it, {repaid} of the advance was paid back.",
        "m_from_leefgeld": " From it, your leefgeld was topped up with {leefgeld}.",
        "m_from_bills": " With it, your bills were paid.",
        "m_missing": "Your {income} had not come in on {day}.",
        "m_came_after": "Your {income} had not come in on {pay}; it came on {day}.",
        "m_short": "On {day} there was not enough money for all fixed bills.",
        "m_advanced": " The municipality gave an advance of {amount} to pay your fixed bills and leefgeld.",
        "m_advanced_bills": " The municipality gave an advance of {amount} to pay your fixed bills.",
        "m_owed": "You still have to pay back {amount} of the advance. This happens automatically from your next income.",
        "m_next": " Your next leefgeld comes on {day}: about {amount}.",
        "ch_arrears": "Not paid yet: there was not enough money. We will pay it as soon as we can.",
        "saving": "We save for you",
        "saving_intro": "Some bills do not come every month. We put part of the money aside every month.",
        "saved": "{amount} saved",
        "owed_title": "Advance from the municipality",
        "owed": "You still have to pay back {amount} of the advance to the municipality. This happens automatically.",
        "owed_minimum": "Paying it back never leaves you with less than {amount} leefgeld.",
        "shortfall": "Please note: next month there may not be enough money coming in for all fixed bills.",
        "questions": "Any questions? Please contact {team}.",
        "questions_plain": "Any questions? Please contact your neighbourhood team.",
        "contact_title": "Questions? Get in touch",
        "contact_coach": "Your coach",
        "contact_phone": "Phone",
        "contact_hours": "Open",
        "contact_email": "E-mail",
        "print_title": "Overview to print",
        "print_month": "Overview of {month}",
        "back": "Back to your leefgeld",
        "nf_title": "This link does not work",
        "nf_text": "The link may have expired or been stopped. Or something went wrong when it was copied.",
        "nf_ask": "Ask your neighbourhood team for a new link.",
        "many_title": "Please wait",
        "many_text": "A wrong link was tried too often. Wait a minute and try again.",
        "wait_title": "Please be patient",
        "wait_text": "Your information is being prepared. Please try again in a few minutes.",
        "bad_title": "This page does not exist",
        "bad_text": "Please check the date or month in the link.",
        "error_title": "Something went wrong",
        "error_text": "Please try again later. If it still does not work, please contact your neighbourhood team.",
        "root_title": "Your personal link",
        "root_text": "Use the link you got from your neighbourhood team. That link is only for you.",
        "amount_label": "Amount",
    },
}


# -- formatting -------------------------------------------------------------------------------


def money(amount: Money | str, lang: str) -> str:
    """€ 1.234,56 in Dutch, €1,234.56 in English."""
    return euros(amount, lang)


def day_words(day: date | str, lang: str, *, weekday: bool = True, year: bool | None = None,
              today: date | None = None) -> str:
    """'maandag 8 december' / 'Monday 8 December'; the year only when asked or not this year."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    show_year = year if year is not None else (today is not None and day.year != today.year)
    text = f"{day.day} {MONTHS[lang][day.month - 1]}"
    if show_year:
        text += f" {day.year}"
    if weekday:
        text = f"{WEEKDAYS[lang][day.weekday()]} {text}"
    return text


def month_words(first: date, lang: str) -> str:
    return f"{MONTHS[lang][first.month - 1]} {first.year}"


def label(agreement: str, category: str, lang: str) -> str:
    labels = LABELS[lang]
    key = agreement.lower().replace("_", "-")
    if key in labels:
        return labels[key]
    return labels.get(category, category.replace("-", " ").capitalize())

"""What staff read in the staff web app: Dutch by default, English on request; signals and
the household's history as sentences ("12 nov 2026 · Anna Jansen · huur verhoogd naar
€ 735,00 vanaf 1 juli 2027")."""

from __future__ import annotations

from datetime import date
from typing import Any

from huishoudboekje.projections.wording import MONTHS, euros

MESSAGES: dict[str, dict[str, str]] = {
    "nl": {
        "brand": "Huishoudboekje · medewerkers", "skip": "Naar de inhoud", "switch": "English",
        "nav": "Hoofdmenu", "nav_work": "Werkvoorraad", "nav_households": "Huishoudens",
        "nav_signals": "Signalen", "nav_statements": "Bankafschriften", "sign_out": "Uitloggen",
        "signed_in_as": "Ingelogd als {name} ({role})",
        "signin_title": "Inloggen", "email": "E-mailadres", "password": "Wachtwoord",
        "code": "Code uit uw authenticator-app (6 cijfers)", "signin": "Inloggen",
        "signin_failed": "Inloggen lukte niet: het e-mailadres, het wachtwoord of de code klopt niet.",
        "signin_many": "Te veel mislukte pogingen. Wacht een minuut en probeer het opnieuw.",
        "signed_out": "U bent uitgelogd.", "expired": "Uw sessie is verlopen. Log opnieuw in.",
        "csrf_failed": "Dit formulier is verlopen of hoort niet bij uw sessie. Er is niets gewijzigd; "
                       "probeer het opnieuw.",
        "oidc_signin": "Inloggen via {name}", "oidc_or": "Of met wachtwoord en code",
        "oidc_done_title": "Ingelogd", "oidc_done": "Verder naar de werkvoorraad",
        "oidc_done_back": "Verder naar de pagina die u opende",
        "oidc_down": "{name} is nu niet bereikbaar. U bent niet ingelogd; probeer het later opnieuw.",
        "oidc_denied": "U heeft bij {name} geen toestemming gegeven. U bent niet ingelogd.",
        "oidc_error": "{name} kon het inloggen niet afronden. U bent niet ingelogd; probeer het opnieuw.",
        "oidc_state": "Dit inloggen via {name} is verlopen of niet in deze browser begonnen. "
                      "U bent niet ingelogd; probeer het opnieuw.",
        "oidc_invalid": "Het antwoord van {name} kon niet worden gecontroleerd. U bent niet ingelogd.",
        "oidc_mfa": "{name} meldt geen tweede factor (zoals een code of app) bij dit inloggen. "
                    "U bent niet ingelogd; log bij {name} in met twee factoren.",
        "oidc_no_email": "{name} gaf geen bevestigd e-mailadres door. U bent niet ingelogd.",
        "oidc_unknown": "Er is geen medewerkersaccount met uw e-mailadres bij {name}. U bent niet "
                        "ingelogd; vraag uw beheerder om een account.",
        "oidc_disabled": "Uw medewerkersaccount is uitgeschakeld. U bent niet ingelogd; vraag uw beheerder.",
        "oidc_password_off": "Inloggen met wachtwoord en code staat uit. Log in via {name}.",
        "work_title": "Werkvoorraad", "work_intro": "Wat vandaag aandacht vraagt, het dringendste eerst.",
        "work_empty": "Er ligt niets op u te wachten.",
        "work_unmatched": "{n} bijschrijving(en) of afschrijving(en) konden niet automatisch worden geboekt.",
        "work_file": "Betaalbestand van {day} ({count} betalingen, {amount}) wacht op vrijgave.",
        "work_below": "{dossier}: het leefgeld viel onder het minimum.",
        "households_title": "Huishoudens", "search": "Zoek op dossier, naam, IBAN of postcode", "search_button": "Zoeken",
        "no_households": "Geen huishoudens gevonden.", "dossier": "Dossier", "team": "Team",
        "status": "Status", "buffer": "Voorschot (buffer) open", "arrears": "Achterstanden",
        "left_title": "Deze maand", "left_leefgeld": "Leefgeld deze maand", "left_scheduled": "Nog te betalen",
        "reserves": "Reserveringen", "no_reserves": "Geen reserveringen.",
        "consent": "Toestemming", "consent_none": "Nog niet vastgelegd: leg vast wanneer en hoe de deelnemer instemde.",
        "consent_given": "Gegeven op {day} ({way}).", "consent_withdrawn": "Gegeven op {day} ({way}), ingetrokken op {withdrawn}.",
        "way.signed-form": "getekend formulier", "way.in-person": "in een gesprek", "way.digital": "digitaal",
        "way.by-phone": "telefonisch", "way.other": "op een andere manier",
        "forecast": "Volgende betaaldag {day}: verwacht leefgeld {amount}.",
        "kind_unmatched": "Niet geboekt", "kind_file": "Betaalbestand",
        "forecast_short": "Verwacht tekort: {amount}.",
        "agreements": "Afspraken", "income": "Inkomen", "charge": "Vaste last", "from_to": "van/aan",
        "ended_on": "beëindigd op {day}", "signals_title": "Signalen", "no_signals": "Geen signalen.",
        "history": "Geschiedenis", "participants": "Deelnemers", "pay_day": "Betaaldag",
        "debts_title": "Schulden en regelingen", "no_debts": "Geen schulden bekend.",
        "debt_line": "{creditor} ({kind}): {remaining} open van {amount}, sinds {since}",
        "debt_engine": "achterstand van een vaste last", "debt_closed": "afgesloten", "debt_frozen": "bevroren tot {day}",
        "arrangement_line": "Regeling {monthly} per maand vanaf {start}: {paid} termijn(en) betaald, {missed} gemist",
        "arrangement_ended": "afgerond",
        "referral_line": "Verwezen naar schuldhulpverlening: {organisation}, {day}",
        "moratorium_line": "Moratorium van {start} tot en met {until}: {reason}",
        "self_paid_line": "Betaalt zelf vanaf {day}: {creditor} ({amount})",
        "filter": "Filteren", "rule": "Soort", "all": "Alle", "open": "open", "acknowledged": "opgepakt",
        "resolved": "opgelost", "note": "Notitie", "acknowledge": "Oppakken", "resolve": "Oplossen",
        "changed": "Signaal bijgewerkt.", "note_too_long": "Notitie: hooguit 500 tekens. Er is niets gewijzigd.",
        "unknown_signal": "Signaal: dit signaal bestaat niet (meer). Er is niets gewijzigd.",
        "not_allowed": "U mag dit niet wijzigen. Er is niets gewijzigd.",
        "nf_title": "Niet gevonden", "nf_text": "Deze pagina of dit huishouden bestaat niet.",
        "forbidden_title": "Geen toegang", "forbidden_text": "Uw rol geeft geen toegang tot deze pagina.",
        "severity": "Urgentie", "raised": "gemeld op {day}", "by_system": "systeem",
        "critical": "kritiek", "high": "hoog", "medium": "middel", "low": "laag",
    },
    "en": {
        "brand": "Huishoudboekje · staff", "skip": "Skip to content", "switch": "Nederlands",
        "nav": "Main menu", "nav_work": "Worklist", "nav_households": "Households", "nav_signals": "Signals",
        "nav_statements": "Bank statements",
        "sign_out": "Sign out", "signed_in_as": "Signed in as {name} ({role})",
        "signin_title": "Sign in", "email": "E-mail address", "password": "Password",
        "code": "Code from your authenticator app (6 digits)", "signin": "Sign in",
        "signin_failed": "Signing in failed: the e-mail address, the password or the code is wrong.",
        "signin_many": "Too many failed attempts. Wait a minute and try again.",
        "signed_out": "You are signed out.", "expired": "Your session expired. Please sign in again.",
        "csrf_failed": "This form expired or is not of your session. Nothing was changed; please try again.",
        "oidc_signin": "Sign in with {name}", "oidc_or": "Or with password and code",
        "oidc_done_title": "Signed in", "oidc_done": "Continue to the worklist",
        "oidc_done_back": "Continue to the page you opened",
        "oidc_down": "{name} cannot be reached now. You are not signed in; try again later.",
        "oidc_denied": "You did not give {name} your consent. You are not signed in.",
        "oidc_error": "{name} could not complete the sign-in. You are not signed in; please try again.",
        "oidc_state": "This sign-in with {name} expired or was not started in this browser. "
                      "You are not signed in; please try again.",
        "oidc_invalid": "The answer from {name} could not be verified. You are not signed in.",
        "oidc_mfa": "{name} reports no second factor (such as a code or app) for this sign-in. "
                    "You are not signed in; sign in at {name} with two factors.",
        "oidc_no_email": "{name} passed on no confirmed e-mail address. You are not signed in.",
        "oidc_unknown": "There is no staff account with your e-mail address at {name}. You are not "
                        "signed in; ask your administrator for an account.",
        "oidc_disabled": "Your staff account is disabled. You are not signed in; ask your administrator.",
        "oidc_password_off": "Signing in with password and code is switched off. Sign in with {name}.",
        "work_title": "Worklist", "work_intro": "What needs a person today, most urgent first.",
        "work_empty": "Nothing is waiting for you.",
        "work_unmatched": "{n} transaction(s) could not be booked automatically.",
        "work_file": "Payment file of {day} ({count} payments, {amount}) waits for release.",
        "work_below": "{dossier}: leefgeld fell below the minimum.",
        "households_title": "Households", "search": "Search by dossier, name, IBAN or postcode", "search_button": "Search",
        "no_households": "No households found.", "dossier": "Dossier", "team": "Team", "status": "Status",
        "buffer": "Advance (buffer) owed", "arrears": "Arrears", "left_title": "This month",
        "left_leefgeld": "Leefgeld this month", "left_scheduled": "Still to pay", "reserves": "Reserves",
        "no_reserves": "No reserves.",
        "consent": "Consent", "consent_none": "Not recorded yet: record when and how the participant agreed.",
        "consent_given": "Given on {day} ({way}).", "consent_withdrawn": "Given on {day} ({way}), withdrawn on {withdrawn}.",
        "way.signed-form": "signed form", "way.in-person": "in person", "way.digital": "digitally",
        "way.by-phone": "by phone", "way.other": "another way", "forecast": "Next pay date {day}: expected leefgeld {amount}.",
        "kind_unmatched": "Not booked", "kind_file": "Payment file",
        "forecast_short": "Expected shortfall: {amount}.", "agreements": "Agreements", "income": "Income",
        "charge": "Fixed charge", "from_to": "from/to", "ended_on": "ended on {day}",
        "signals_title": "Signals", "no_signals": "No signals.", "history": "History",
        "debts_title": "Debts and arrangements", "no_debts": "No debts known.",
        "debt_line": "{creditor} ({kind}): {remaining} outstanding of {amount}, since {since}",
        "debt_engine": "arrears of a fixed charge", "debt_closed": "closed", "debt_frozen": "frozen until {day}",
        "arrangement_line": "Arrangement {monthly} a month from {start}: {paid} term(s) paid, {missed} missed",
        "arrangement_ended": "completed",
        "referral_line": "Referred to debt counselling: {organisation}, {day}",
        "moratorium_line": "Moratorium from {start} to {until}: {reason}",
        "self_paid_line": "Pays themselves from {day}: {creditor} ({amount})",
        "participants": "Participants", "pay_day": "Pay day", "filter": "Filter", "rule": "Kind",
        "all": "All", "open": "open", "acknowledged": "acknowledged", "resolved": "resolved", "note": "Note",
        "acknowledge": "Acknowledge", "resolve": "Resolve", "changed": "Signal updated.",
        "note_too_long": "Note: at most 500 characters. Nothing was changed.",
        "unknown_signal": "Signal: this signal does not exist (any more). Nothing was changed.",
        "not_allowed": "You may not change this. Nothing was changed.",
        "nf_title": "Not found", "nf_text": "This page or household does not exist.",
        "forbidden_title": "No access", "forbidden_text": "Your role gives no access to this page.",
        "severity": "Urgency", "raised": "raised on {day}", "by_system": "system",
        "critical": "critical", "high": "high", "medium": "medium", "low": "low",
    },
}

RULE_NAMES = {
    "income-late": "Inkomen te laat", "income-deviates": "Inkomen wijkt af", "shortfall-ahead": "Tekort verwacht",
    "buffer-drawn": "Voorschot gebruikt", "buffer-not-repaid": "Voorschot niet terugbetaald",
    "arrears": "Achterstand", "payment-returned": "Betaling teruggekomen",
    "paid-amount-differs": "Ander bedrag betaald", "structural-deficit": "Structureel tekort",
    "external": "Melding van schuldeiser", "echo-refused": "Onbekende terugboeking",
    "booking-corrected": "Boeking teruggedraaid", "payments-held": "Betalingen tegengehouden",
    "leefgeld-held": "Leefgeld vastgehouden", "leefgeld-below-minimum": "Leefgeld onder minimum",
    "deduction-booked": "Inhouding geboekt", "term-missed": "Termijn gemist",
    "moratorium-ending": "Moratorium loopt af", "payment-file-unreleased": "Betaalbestand niet vrijgegeven",
    "eviction-planned": "Ontruiming gepland", "eviction-unmatched": "Ontruiming zonder huishouden",
}
RULE_NAMES_EN = {
    "income-late": "Income late", "income-deviates": "Income differs", "shortfall-ahead": "Shortfall expected",
    "buffer-drawn": "Advance used", "buffer-not-repaid": "Advance not repaid",
    "arrears": "Arrears", "payment-returned": "Payment returned",
    "paid-amount-differs": "Other amount paid", "structural-deficit": "Structural deficit",
    "external": "Report from a creditor", "echo-refused": "Unknown return",
    "booking-corrected": "Booking reversed", "payments-held": "Payments held",
    "leefgeld-held": "Leefgeld held", "leefgeld-below-minimum": "Leefgeld below minimum",
    "deduction-booked": "Deduction booked", "term-missed": "Term missed",
    "moratorium-ending": "Moratorium ending", "payment-file-unreleased": "Payment file not released",
    "eviction-planned": "Eviction planned", "eviction-unmatched": "Eviction without a household",
}

_SENTENCES = {  # rule: Dutch sentence; {amount}, {agreement}, {period}, {who} and details' keys
    "income-late": "{agreement} van {who} ({amount}), verwacht op {expected_on}, is niet binnengekomen.",
    "income-deviates": "{agreement} van {who} kwam binnen met een ander bedrag dan verwacht ({amount}).",
    "shortfall-ahead": "Voor de betaaldag van {period} is er naar verwachting {amount} te weinig.",
    "buffer-drawn": "Op de betaaldag van {period} schoot de buffer {amount} voor.",
    "buffer-not-repaid": "Het voorschot van {amount} is nog niet terugbetaald.",
    "arrears": "{agreement}: een betaling van {amount} voor {period} kon niet worden gedaan (achterstand).",
    "payment-returned": "De betaling voor {agreement} ({amount}) is teruggekomen.",
    "paid-amount-differs": "Voor {agreement} is een ander bedrag betaald ({amount}).",
    "structural-deficit": "De inkomsten dekken de vaste lasten structureel niet (tekort {amount}).",
    "external": "Een schuldeiser meldt een achterstand voor {agreement} van {amount}.",
    "echo-refused": "Een bijschrijving met ons kenmerk past niet bij de betaling ({amount}).",
    "booking-corrected": "Een boeking is teruggedraaid nadat ze was uitbetaald: {amount} terug te vorderen.",
    "payments-held": "De betalingen van dit huishouden zijn tegengehouden op {period}.",
    "leefgeld-held": "Leefgeld van {amount} boven het plafond wacht op vrijgave door twee personen.",
    "leefgeld-below-minimum": "Op de betaaldag van {period} was het leefgeld lager dan het minimum ({amount}).",
    "deduction-booked": "Er is {amount} ingehouden of verrekend op het geld van het huishouden.",
    "term-missed": "Een termijn van de betalingsregeling ({amount}) kon niet worden betaald.",
    "moratorium-ending": "Het moratorium loopt binnen 30 dagen af ({period}).",
    "payment-file-unreleased": "Een betaalbestand van {amount} is nog niet vrijgegeven (uitvoering {period}).",
    "eviction-planned": "Een schuldeiser meldt een geplande ontruiming ({amount}).",
    "eviction-unmatched": "Een melding van een geplande ontruiming ({amount}) past bij geen huishouden.",
}
_SENTENCES_EN = {
    "income-late": "{agreement} from {who} ({amount}), expected on {expected_on}, has not come in.",
    "income-deviates": "{agreement} from {who} came in with another amount than expected ({amount}).",
    "shortfall-ahead": "For the pay date of {period} there is expected to be {amount} too little.",
    "buffer-drawn": "On the pay date of {period} the buffer advanced {amount}.",
    "buffer-not-repaid": "The advance of {amount} has not been repaid yet.",
    "arrears": "{agreement}: a payment of {amount} for {period} could not be made (arrears).",
    "payment-returned": "The payment for {agreement} ({amount}) came back.",
    "paid-amount-differs": "Another amount was paid for {agreement} ({amount}).",
    "structural-deficit": "The incomes structurally do not cover the fixed charges (shortfall {amount}).",
    "external": "A creditor reports arrears for {agreement} of {amount}.",
    "echo-refused": "A credit with our reference does not fit the payment ({amount}).",
    "booking-corrected": "A booking was reversed after it had been paid out: {amount} to reclaim.",
    "payments-held": "This household's payments were held on {period}.",
    "leefgeld-held": "Leefgeld of {amount} above the ceiling waits for release by two people.",
    "leefgeld-below-minimum": "On the pay date of {period} the leefgeld was below the minimum ({amount}).",
    "deduction-booked": "{amount} was withheld or set off from the household's money.",
    "term-missed": "A term of the payment arrangement ({amount}) could not be paid.",
    "moratorium-ending": "The moratorium ends within 30 days ({period}).",
    "payment-file-unreleased": "A payment file of {amount} has not been released yet (execution {period}).",
    "eviction-planned": "A creditor reports a planned eviction ({amount}).",
    "eviction-unmatched": "A report of a planned eviction ({amount}) fits no household.",
}
SENTENCES = {"nl": _SENTENCES, "en": _SENTENCES_EN}


ROLE_NAMES = {"staff": "medewerker", "teamlead": "teamleider", "auditor": "auditor", "finance": "financiën",
              "job": "taak", "privacy": "privacyfunctionaris"}
STATUS_NAMES = {"active": "actief", "ended": "beëindigd"}
NAMES_OF = {  # per language: the names templates read (`rule_names`, `role_names`, `status_names`)
    "nl": {"rule_names": RULE_NAMES, "role_names": ROLE_NAMES, "status_names": STATUS_NAMES},
    "en": {"rule_names": RULE_NAMES_EN, "status_names": {"active": "active", "ended": "ended"},
           "role_names": {"staff": "staff", "teamlead": "team lead", "auditor": "auditor", "finance": "finance",
                          "job": "job"}},
}
_UNKNOWN = {"nl": ("de afspraak", "de betaler", "Signaal", "systeem"),
            "en": ("the agreement", "the payer", "Signal", "system")}


def rule_names(lang: str) -> dict[str, str]:
    return NAMES_OF["en" if lang == "en" else "nl"]["rule_names"]


def short_day(day: date | str | None, lang: str = "nl") -> str:
    """12 nov 2026 (12 Nov 2026 in English)."""
    if not day:
        return ""
    d = date.fromisoformat(day) if isinstance(day, str) else day
    month = MONTHS["en" if lang == "en" else "nl"][d.month - 1][:3]
    return f"{d.day} {month} {d.year}"


def long_day(day: date | str | None, lang: str = "nl") -> str:
    """1 juli 2027 (1 July 2027 in English)."""
    if not day:
        return ""
    d = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{d.day} {MONTHS['en' if lang == 'en' else 'nl'][d.month - 1]} {d.year}"


def _day_or_text(value: Any, lang: str) -> str:
    text = str(value)
    try:
        return long_day(text[:10], lang) if len(text) >= 10 and text[4] == "-" else text
    except ValueError:
        return text


def signal_sentence(signal: dict[str, Any], lang: str = "nl") -> str:
    """A signal as a sentence (Dutch, or English) with its amount and dates."""
    lang = "en" if lang == "en" else "nl"
    agreement, payer, word, _ = _UNKNOWN[lang]
    details = {k: _day_or_text(v, lang) for k, v in (signal.get("details") or {}).items()}
    values = {**details, "amount": euros(signal.get("amount") or "0.00", lang),
              "agreement": (signal.get("agreement") or agreement).replace("-", " ").capitalize(),
              "period": _day_or_text(signal.get("period") or "", lang),
              "who": details.get("counterparty", payer)}
    values.setdefault("expected_on", values["period"])
    template = SENTENCES[lang].get(signal.get("rule", ""), word + " {rule}: {amount}.")
    try:
        return template.format(rule=signal.get("rule"), **values)
    except (KeyError, IndexError):
        return f"{rule_names(lang).get(signal.get('rule', ''), signal.get('rule'))}: {values['amount']}."


def actor_name(actor: str | None, lang: str = "nl") -> str:
    """'staff:Anna Jansen' → 'Anna Jansen'; nobody → 'systeem' ('system')."""
    if not actor:
        return _UNKNOWN["en" if lang == "en" else "nl"][3]
    return actor.split(":", 1)[1] if ":" in actor else actor

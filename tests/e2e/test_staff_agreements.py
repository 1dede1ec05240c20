"""Afspraken wijzigen on the staff web app (/medewerker/huishoudens/{dossier}/afspraken):
a coach changes an amount from a date, ends an agreement or moves the pay day, sees the
consequence first (writing nothing), saves exactly that, and finds it in the history
with their name; a wrong field is named in Dutch and writes nothing."""

from __future__ import annotations

import json
from datetime import date
from html import unescape

import pytest
from fastapi.testclient import TestClient

from adapters.api.app import create_app
from tests.e2e.staff_web import ACCOUNTS, OTHER, OWN, csrf, hhb, prepare, sign_in
from tests.factories import MANAGED

PAGE = f"/medewerker/huishoudens/{OWN}/afspraken"
NEXT_YEAR = date.today().year + 1
RISE = f"{NEXT_YEAR}-07-01"  # a rent rise well after the next pay date


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("agreements")
    db = f"sqlite:///{tmp / 'events.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
        patch.setenv("HHB_VAR_DIR", str(tmp / "var"))
        secrets = prepare(db, tmp)
    return db, secrets


@pytest.fixture
def app(store, monkeypatch):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    return create_app(db_url=store[0])


def client_of(app, store, role: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    email = ACCOUNTS[role][1]
    assert sign_in(client, email, store[1][email]).status_code == 303
    return client


def events(app) -> int:
    return app.state.context.engine.event_count()


def amount_change(client, agreement: str = "huur", amount: str = "735,00", day: str = RISE, **more: str):
    token = csrf(client.get(PAGE).text)
    return client.post(PAGE, data={"csrf": token, "actie": "bedrag", "stap": "controleren", "bedrag_afspraak": agreement,
                                   "bedrag": amount, "bedrag_vanaf": day, **more})


def hidden(html: str) -> dict[str, str]:
    """The preview's form, as the browser would post it."""
    import re

    form = html[html.index('<form method="post" action="/medewerker/huishoudens'):]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form[:form.index("</form>")]))


def test_the_preview_says_what_changes_and_writes_nothing(app, store):
    client = client_of(app, store, "staff")
    household = client.get(f"/medewerker/huishoudens/{OWN}").text
    assert "Afspraken wijzigen" in household
    before = events(app)
    preview = amount_change(client)
    assert preview.status_code == 200, preview.text
    assert f"Huur wordt €\u00a0735,00 vanaf 1 juli {NEXT_YEAR}." in preview.text
    assert "Tot nu toe €\u00a0598,60 op die datum: €\u00a0136,40 meer per termijn." in preview.text
    assert "Volgende betaaldag " in preview.text and "leefgeld €" in preview.text
    assert ">Opslaan</button>" in preview.text and ">Terug</button>" in preview.text
    assert events(app) == before
    english = client.post(f"{PAGE}?lang=en", data={**hidden(preview.text), "stap": "controleren"})
    assert f"Rent becomes €735.00 from 1 July {NEXT_YEAR}." in english.text and ">Save</button>" in english.text
    back = client.post(PAGE, data={**hidden(preview.text), "stap": "terug"})
    assert back.status_code == 200 and 'value="735,00"' in back.text  # back to the form, as typed
    assert events(app) == before


def test_saving_writes_the_previewed_change_once_with_the_signed_in_person(app, store):
    db = store[0]
    client = client_of(app, store, "staff")
    preview = amount_change(client, agreement="energie", amount="104,50")
    before = events(app)
    saved = client.post(PAGE, data={**hidden(preview.text), "stap": "opslaan"})
    assert saved.status_code == 303 and saved.headers["location"] == f"/medewerker/huishoudens/{OWN}?melding=afspraak"
    assert events(app) == before + 1
    last = json.loads(hhb(db, "history", OWN, "--json"))["events"][-1]
    assert last["event"] == "AgreementAmountChanged" and last["actor"] == "staff:Anna Jansen"
    assert last["business_date"] == RISE
    page = client.get(saved.headers["location"]).text
    sentence = f"energie verhoogd naar €\u00a0104,50 vanaf 1 juli {NEXT_YEAR}"
    assert f"Opgeslagen: {sentence}." in page
    assert f"Anna Jansen</span> · {sentence}" in page  # the history, with date and actor


def test_a_stale_preview_is_refused_and_shown_again(app, store):
    db = store[0]
    client = client_of(app, store, "staff")
    preview = amount_change(client, agreement="zorgverzekering", amount="150,00")
    hhb(db, "change-amount", OWN, "energie", "110.00", "--from", f"{NEXT_YEAR}-09-01", "--actor", "Bram de Boer")
    before = events(app)
    stale = client.post(PAGE, data={**hidden(preview.text), "stap": "opslaan"})
    assert stale.status_code == 409 and "Het huishouden is gewijzigd sinds u het gevolg bekeek" in stale.text
    assert "Zorgverzekering wordt €\u00a0150,00" in stale.text
    assert events(app) == before
    again = client.post(PAGE, data={**hidden(stale.text), "stap": "opslaan"})  # the new preview's version
    assert again.status_code == 303 and events(app) == before + 1


def test_ending_an_agreement_and_the_pay_day_show_their_consequence(app, store):
    client = client_of(app, store, "teamlead")
    token = csrf(client.get(PAGE).text)
    end = client.post(PAGE, data={"csrf": token, "actie": "einde", "stap": "controleren",
                                  "einde_afspraak": "energie", "einde_op": f"{NEXT_YEAR}-12-31"})
    assert end.status_code == 200 and f"Energie eindigt op 31 december {NEXT_YEAR}." in end.text
    before = events(app)
    pay_day = client.post(PAGE, data={"csrf": token, "actie": "betaaldag", "stap": "controleren",
                                      "betaaldag": "15", "betaaldag_vanaf": "2026-12-20"})
    assert pay_day.status_code == 200, pay_day.text
    assert "De betaaldag wordt de 15e van de maand, vanaf 20 december 2026." in pay_day.text
    # moved later than 31 December: the charges due on 1 January are paid late, on 15 January
    assert "Volgende betaaldag 15 januari 2027 in plaats van 31 december 2026" in pay_day.text
    assert "worden die dag te laat betaald" in pay_day.text
    assert "Huur: €\u00a0598,60, verschuldigd op 1 januari 2027" in pay_day.text
    assert events(app) == before
    saved = client.post(PAGE, data={**hidden(pay_day.text), "stap": "opslaan"})
    assert saved.status_code == 303 and events(app) == before + 1
    last = json.loads(hhb(store[0], "history", OWN, "--json"))["events"][-1]
    assert last["event"] == "PayDayChanged" and last["actor"] == "teamlead:Bram de Boer"
    assert "betaaldag gewijzigd naar de 15e vanaf 20 december 2026" in client.get(saved.headers["location"]).text


def test_ending_an_agreement_whose_next_period_was_paid_already_says_to_ask_the_money_back(app, store):
    household = app.state.context.engine.household(OWN)
    agreement, period, amount = max((a, p, m) for _, a, p, m in household.instructions.paid_charges()
                                    if a == "huur")
    end = date.fromordinal(period.toordinal() - 3)
    client = client_of(app, store, "teamlead")
    preview = client.post(PAGE, data={"csrf": csrf(client.get(PAGE).text), "actie": "einde", "stap": "controleren",
                                      "einde_afspraak": agreement, "einde_op": end.isoformat()})
    text = unescape(preview.text).replace("\u00a0", " ")
    assert preview.status_code == 200
    assert f"verschuldigd was (€ {str(amount).replace('.', ',')}) is al betaald of opgedragen" in text
    assert "vraag de schuldeiser het terug te storten" in text
    later = client.post(PAGE, data={"csrf": csrf(client.get(PAGE).text), "actie": "einde", "stap": "controleren",
                                    "einde_afspraak": agreement, "einde_op": period.isoformat()})
    assert "terug te storten" not in later.text  # ending on the period's own day leaves it paid for


@pytest.mark.parametrize("fields, expected", [
    ({"bedrag": "735"}, "Nieuw bedrag in euro's: vul een bedrag in euro's in met twee decimalen"),
    ({"bedrag": "-5,00"}, "Nieuw bedrag in euro's: vul een bedrag in euro's in met twee decimalen"),
    ({"bedrag": "0,00"}, "Nieuw bedrag in euro's: het bedrag moet meer dan € 0,00 zijn"),
    ({"bedrag_afspraak": "gas"}, "Afspraak: kies een afspraak van dit huishouden"),
    ({"bedrag_vanaf": "morgen"}, "Vanaf: vul een datum in"),
    ({"bedrag_vanaf": "1999-07-01"}, "Vanaf: de datum moet tussen 1 januari 2000 en 31 december 2099 liggen"),
    ({"bedrag_vanaf": "2026-10-01"}, "Vanaf: dit kan niet volgens de regels (de datum ligt vóór de start"),
])
def test_each_error_names_its_field_in_dutch_and_writes_nothing(app, store, fields, expected):
    client = client_of(app, store, "staff")
    before = events(app)
    values = {"agreement": fields.get("bedrag_afspraak", "huur"), "amount": fields.get("bedrag", "735,00"),
              "day": fields.get("bedrag_vanaf", RISE)}
    for step in ("controleren", "opslaan"):
        answer = amount_change(client, **values, stap=step)
        assert answer.status_code == 400, answer.text
        assert expected in unescape(answer.text) and "Er is niets opgeslagen" in answer.text
        field = next(iter(fields))
        assert f'id="{field}-fout"' in answer.text and 'aria-invalid="true"' in answer.text
    assert events(app) == before


def test_a_pay_day_the_rules_refuse_is_named(app, store):
    client = client_of(app, store, "staff")
    token = csrf(client.get(PAGE).text)
    before = events(app)
    for day, text in (("29", "Nieuwe betaaldag: kies een dag van 1 tot en met 28"),
                      ("zondag", "Nieuwe betaaldag: kies een dag van 1 tot en met 28")):
        answer = client.post(PAGE, data={"csrf": token, "actie": "betaaldag", "stap": "controleren",
                                         "betaaldag": day, "betaaldag_vanaf": RISE})
        assert answer.status_code == 400 and text in answer.text
    past = client.post(PAGE, data={"csrf": token, "actie": "betaaldag", "stap": "controleren", "betaaldag": "5",
                                   "betaaldag_vanaf": "2026-11-15"})  # the last pay date ran on 1 December
    assert past.status_code == 400 and "Vanaf: dit kan niet volgens de regels (de datum ligt niet ná de laatste" \
        in past.text
    assert events(app) == before


def test_another_team_auditor_and_finance_change_nothing(app, store):
    before = events(app)
    other = client_of(app, store, "other-staff")
    assert other.get(PAGE).status_code == 404
    token = csrf(other.get(f"/medewerker/huishoudens/{OTHER}/afspraken").text)
    assert other.post(PAGE, data={"csrf": token, "actie": "bedrag", "stap": "opslaan", "bedrag_afspraak": "huur",
                                  "bedrag": "1,00", "bedrag_vanaf": RISE, "versie": "1"}).status_code == 404
    for role in ("auditor", "finance"):
        client = client_of(app, store, role)
        assert client.get(PAGE).status_code == 403
        token = csrf(client.get("/medewerker/").text)
        assert client.post(PAGE, data={"csrf": token, "actie": "bedrag", "stap": "opslaan",
                                       "bedrag_afspraak": "huur", "bedrag": "1,00",
                                       "bedrag_vanaf": RISE}).status_code == 403
    auditor = client_of(app, store, "auditor")
    assert "Afspraken wijzigen" not in auditor.get(f"/medewerker/huishoudens/{OWN}").text
    assert events(app) == before


def test_without_its_csrf_token_nothing_is_saved(app, store):
    client, teamlead = client_of(app, store, "staff"), client_of(app, store, "teamlead")
    preview = amount_change(client, amount="799,00")
    before = events(app)
    theirs = csrf(teamlead.get(PAGE).text)
    for token in ("", theirs):
        answer = client.post(PAGE, data={**hidden(preview.text), "csrf": token, "stap": "opslaan"})
        assert answer.status_code == 400 and "Er is niets gewijzigd" in answer.text
    assert events(app) == before


def test_ending_an_agreement_is_saved_and_told_in_the_history(app, store):
    client = client_of(app, store, "staff")
    token = csrf(client.get(PAGE).text)
    early = client.post(PAGE, data={"csrf": token, "actie": "einde", "stap": "controleren",
                                    "einde_afspraak": "huur", "einde_op": "2026-10-31"})
    assert early.status_code == 400
    assert "Laatste dag: dit kan niet volgens de regels (de datum ligt vóór de start van de afspraak)" in early.text
    assert 'id="einde_op-fout"' in early.text
    before = events(app)
    preview = client.post(PAGE, data={"csrf": token, "actie": "einde", "stap": "controleren",
                                      "einde_afspraak": "huur", "einde_op": f"{NEXT_YEAR + 1}-03-31"})
    assert f"Huur eindigt op 31 maart {NEXT_YEAR + 1}." in preview.text and events(app) == before
    saved = client.post(PAGE, data={**hidden(preview.text), "stap": "opslaan"})
    assert saved.status_code == 303 and events(app) == before + 1
    page = client.get(saved.headers["location"]).text
    assert f"Anna Jansen</span> · huur beëindigd op 31 maart {NEXT_YEAR + 1}" in page
    again = client.post(PAGE, data={**hidden(preview.text), "stap": "controleren"})
    assert "Dit verandert niets" in again.text and ">Opslaan</button>" not in again.text

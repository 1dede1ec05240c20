"""The staff web app's access matrix: every route under /medewerker × every role (and
signed out) × own team / another team, read from the FastAPI app itself.

A route nobody classified fails `test_every_route_is_classified`: add one line to RULES.
Routes under /medewerker/huishoudens/{dossier}/ are covered by the HOUSEHOLD rule (own
team only; auditors may read; finance nothing) unless a line before it says otherwise.

What each cell expects:
  signed out                 GET and POST go to the sign-in page; nothing changes
  a role that may            GET 200 (for staff and teamleads: with nothing of another
                             team's household on it); POST (its SAMPLE, or an empty form) passes the gate —
                             with a SAMPLE it changes the store (one more event or more)
  a role that may not        403 and nothing changes
  a team role, other team    404 (as an unknown household) and nothing changes
And every POST, posted without its CSRF token or with another session's, changes nothing.

A POST route gets its form from SAMPLES (one line: a form that changes the store) and its
path's {names} from PARAMS; without a sample only its gate is tried (who gets through),
so a new form's line in SAMPLES is what makes its "changes nothing" mean something.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable

import pytest
from fastapi.testclient import TestClient

from adapters.api.app import create_app
from huishoudboekje.domain.household import household_id
from huishoudboekje.domain.roles import ROLES
from tests.e2e.staff_web import ACCOUNTS, OTHER, OWN, csrf, hhb, prepare, sign_in
from tests.factories import MANAGED, Tx, camt053

BASE = "/medewerker"
# The roles that sign in to the web app; the others (job, participant, the privacy officer,
# who erases on the command line) are refused at the sign-in: test_a_role_without_pages_cannot_sign_in.
WEB_ROLES = ("staff", "teamlead", "auditor", "finance")
NO_PAGES = tuple(sorted(set(ROLES) - set(WEB_ROLES) - {"job", "participant"}))
SIGNED_OUT = "signed-out"
WHO = (*WEB_ROLES, SIGNED_OUT)
ALL = frozenset(WEB_ROLES)
TEAM = frozenset({"staff", "teamlead"})
READERS = TEAM | {"auditor"}
NOBODY: frozenset[str] = frozenset()
PUBLIC = "public"  # no sign-in asked (the sign-in page, stylesheets)


@dataclass(frozen=True)
class Rule:
    """Who may GET and POST a route; `team`: scoped to a household (its {dossier}, or the
    one the form names: PARAMS and SAMPLES give the own and the other team's)."""
    get: frozenset[str] | str
    post: frozenset[str] | str
    team: bool = False
    signed_out: int = 303  # to the sign-in page; 401: a JSON endpoint a page's script calls


#  path pattern (a trailing * covers everything under it) → who may GET, who may POST, team-scoped
RULES: list[tuple[str, Rule]] = [
    (f"{BASE}", Rule(PUBLIC, NOBODY)),  # 308 to /medewerker/
    (f"{BASE}/static/*", Rule(PUBLIC, NOBODY)),
    (f"{BASE}/inloggen", Rule(PUBLIC, PUBLIC)),  # its own double-submit token: test_staff_web.py
    (f"{BASE}/inloggen/*", Rule(PUBLIC, PUBLIC)),  # OpenID Connect: test_staff_oidc.py
    (f"{BASE}/uitloggen", Rule(NOBODY, ALL)),
    (f"{BASE}/", Rule(ALL, NOBODY)),
    (f"{BASE}/signalen", Rule(READERS | {"finance"}, NOBODY)),
    (f"{BASE}/signalen/opvolgen", Rule(NOBODY, TEAM | {"finance"}, team=True)),  # a household's signal
    (f"{BASE}/huishoudens", Rule(READERS, NOBODY)),
    (f"{BASE}/huishoudens/nieuw", Rule(TEAM, TEAM)),
    (f"{BASE}/huishoudens/nieuw/*", Rule(TEAM, TEAM, signed_out=401)),  # the field check, JSON
    (f"{BASE}/nieuw-huishouden/*", Rule(TEAM, TEAM)),
    (f"{BASE}/huishoudens/{{dossier}}", Rule(READERS, NOBODY, team=True)),
    (f"{BASE}/huishoudens/{{dossier}}/afspraken", Rule(TEAM, TEAM, team=True)),  # a form that changes: not auditors
    (f"{BASE}/huishoudens/{{dossier}}/link/intrekken", Rule(TEAM, TEAM, team=True)),  # the confirm step
    (f"{BASE}/huishoudens/{{dossier}}/*", Rule(READERS, TEAM, team=True)),  # HOUSEHOLD: a household's pages
    (f"{BASE}/schuldeisers", Rule(ALL, frozenset({"teamlead"}))),
    (f"{BASE}/bankafschriften", Rule(READERS, NOBODY)),
    (f"{BASE}/bankafschriften/inlezen", Rule(NOBODY, TEAM)),
    (f"{BASE}/bankafschriften/*", Rule(NOBODY, TEAM, team=True)),  # booked onto, or already on, a household
    (f"{BASE}/betaalbestanden", Rule(frozenset({"finance", "auditor"}), NOBODY)),
    (f"{BASE}/betaalbestanden/{{name}}", Rule(frozenset({"finance", "auditor"}), frozenset({"finance"}))),
    (f"{BASE}/rapportage", Rule(frozenset({"teamlead", "auditor"}), NOBODY)),
    (f"{BASE}/rapportage.csv", Rule(frozenset({"teamlead", "auditor"}), NOBODY)),
]


def rule_of(path: str) -> Rule | None:
    """The first line of RULES that names this path, exactly or by its prefix/*."""
    for pattern, rule in RULES:
        if pattern == path or (pattern.endswith("/*") and path.startswith(pattern[:-1])):
            return rule
    return None


def _flat(routes) -> list:
    """The app's routes, routers included (FastAPI ≥ 0.165 keeps an included router whole)."""
    out = []
    for route in routes:
        if hasattr(route, "effective_route_contexts"):
            out.extend(route.effective_route_contexts())
        else:
            out.append(route)
    return out


def staff_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every route under /medewerker the app serves."""
    found = set()
    for route in _flat(app.routes):
        path = getattr(route, "path", None) or ""
        if path == BASE or path.startswith(BASE + "/"):
            for method in getattr(route, "methods", None) or ():
                if method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                    found.add((method, path))
    return sorted(found, key=lambda m: (m[1], m[0]))


# ---------------------------------------------------------------- the store

@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The prepared store (two teams, the personas, a night run, an account per role),
    with one unmatched credit and one booked one; copied for a test that changes it."""
    tmp = tmp_path_factory.mktemp("matrix")
    path = tmp / "events.sqlite"
    db = f"sqlite:///{path}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
        patch.setenv("HHB_VAR_DIR", str(tmp / "var"))
        secrets = prepare(db, tmp)
        (tmp / "creditors.yaml").write_text(
            "- {name: Eneco, ibans: [NL91ABNA0417164300], category: energie}\n", encoding="utf-8")
        hhb(db, "creditors", "import", str(tmp / "creditors.yaml"), "--actor", "beheer")
        app = create_app(db_url=db)
        staff = signed_in_client(app, secrets, "staff")
        credits = [Tx("1120.00", date(2026, 11, 30), "NL14BNGH0285001234", "Gemeente Utrecht", "Uitkering"),
                   Tx("45.67", date(2026, 11, 27), "NL91ABNA0417164300", "Onbekend", "Terugbetaling"),
                   Tx("900.00", date(2026, 11, 25), "NL83ABNA0248101010", "Uitzendbureau Flex BV",
                      "Salaris K. Jansen")]  # booked by the import onto the other team's household
        page = staff.get(f"{BASE}/bankafschriften").text
        answer = staff.post(f"{BASE}/bankafschriften/inlezen", data={"csrf": csrf(page)},
                            files={"file": ("matrix.xml", camt053(credits), "application/xml")})
        assert answer.status_code == 200, answer.text
        queue = {t["description"]: t["transaction"] for t in json.loads(hhb(db, "unmatched", "--json"))}
        booked = staff.post(f"{BASE}/bankafschriften/{queue['Uitkering']}/boeken", data={
            "candidate": f"{OWN}/bijstand", "csrf": csrf(staff.get(f"{BASE}/bankafschriften").text)})
        assert booked.status_code == 303, booked.text
        theirs = [e["details"] for e in json.loads(hhb(db, "history", OTHER, "--json"))["events"]
                  if e["event"] == "IncomeBooked" and "amount=900.00" in e["details"]]
        links = {scope: json.loads(hhb(db, "tokens", "link", dossier, "--actor", "beheer"))["id"]
                 for scope, dossier in (("own", OWN), ("other", OTHER))}
        engine = app.state.context.engine
        versions = {scope: str(engine.get_or_none(household_id(dossier)).version)
                    for scope, dossier in (("own", OWN), ("other", OTHER))}
        files = app.state.context.services.payment_files(("pending",))
        signals = json.loads(hhb(db, "signals", "--json"))
    return {"tmp": tmp, "path": path, "secrets": secrets, "unmatched": queue["Terugbetaling"],
            "booked": queue["Uitkering"], "file": files[0]["name"],
            "links": links, "versions": versions,
            "theirs": re.search(r"transaction_id=([^,]+)", theirs[0]).group(1),
            "signal": {"own": next(s["id"] for s in signals if s["dossier"] == OWN and s["status"] == "open"),
                       "other": next(s["id"] for s in signals if s["dossier"] == OTHER and s["status"] == "open"),
                       "control": next(s["id"] for s in signals if not s["dossier"] and s["status"] == "open")}}


def signed_in_client(app, secrets: dict[str, str], role: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    if role != SIGNED_OUT:
        assert role in ACCOUNTS, f"add an account of the role {role} to ACCOUNTS in tests/e2e/staff_web.py"
        email = ACCOUNTS[role][1]
        answer = sign_in(client, email, secrets[email])
        assert answer.status_code == 303 and answer.headers["location"] == f"{BASE}/", answer.text
    return client


@pytest.fixture(scope="module")
def shared(world):
    """One app on the shared store and a signed-in client per role: for what changes nothing."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
        patch.setenv("HHB_VAR_DIR", str(world["tmp"] / "var"))
        app = create_app(db_url=f"sqlite:///{world['path']}")
        yield app, {who: signed_in_client(app, world["secrets"], who) for who in WHO}


@pytest.fixture
def fresh(world, tmp_path, monkeypatch):
    """An app on a copy of the store, for a test whose change must show."""
    source, target = sqlite3.connect(world["path"]), sqlite3.connect(tmp_path / "events.sqlite")
    try:
        source.backup(target)  # the write-ahead log's pages too
    finally:
        source.close()
        target.close()
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(world["tmp"] / "var"))
    return create_app(db_url=f"sqlite:///{tmp_path / 'events.sqlite'}")


def events(app) -> int:
    return app.state.context.engine.event_count()


# ---------------------------------------------------------------- what to post

Form = tuple[dict[str, str], dict[str, Any] | None]


def _onboard(world, role, scope) -> Form:
    n = WEB_ROLES.index(role) if role in WEB_ROLES else 9
    return {"step": "save", "dossier": f"HHB-2027-09{n}{'1' if scope == 'own' else '2'}", "start": "2027-01-01",
            "pay_day": "1", "buffer_limit": "1000,00", "minimum_leefgeld": "250,00",
            "participant_name": "Sanne de Wit", "participant_iban": "NL02ABNA0123456789",
            "income0_name": "Gemeente Rotterdam", "income0_iban": "NL14BNGH0285001234",
            "income0_category": "bijstand", "income0_amount": "1.320,50", "income0_day": "28",
            "charge0_creditor": "NL91ABNA0417164300", "charge0_amount": "120,00", "charge0_day": "15"}, None


def _follow(world, role, scope) -> Form:
    signal = world["signal"]["control" if role == "finance" else scope]
    return {"signal": signal, "action": "resolve" if role == "finance" else "acknowledge", "note": "matrix"}, None


SAMPLES: dict[str, Callable[[dict, str, str], Form]] = {  # route path → a form that changes something
    f"{BASE}/huishoudens/nieuw": _onboard,
    f"{BASE}/signalen/opvolgen": _follow,
    f"{BASE}/schuldeisers": lambda w, r, s: ({"name": "Vitens", "ibans": "NL20INGB0001234567",
                                              "category": "water"}, None),
    f"{BASE}/bankafschriften/inlezen": lambda w, r, s: ({}, {"file": ("s.xml", camt053(
        [Tx("12.34", date(2026, 11, 26), "NL91ABNA0417164300", "Onbekend", "Matrix")], statement_id="M1"),
        "application/xml")}),
    f"{BASE}/bankafschriften/{{transaction}}/boeken": lambda w, r, s: ({
        "candidate": f"{OWN if s == 'own' else OTHER}/bijstand", "reason": "matrix"}, None),
    f"{BASE}/bankafschriften/{{transaction}}/negeren": lambda w, r, s: ({"reason": "matrix"}, None),
    f"{BASE}/bankafschriften/{{transaction}}/terugdraaien": lambda w, r, s: ({"reason": "matrix"}, None),
    f"{BASE}/betaalbestanden/{{name}}": lambda w, r, s: ({"action": "hold", "reason": "matrix"}, None),
    f"{BASE}/huishoudens/{{dossier}}/afspraken": lambda w, r, s: ({
        "actie": "bedrag", "stap": "opslaan", "bedrag_afspraak": "huur", "bedrag": "760,00",
        "bedrag_vanaf": f"{date.today().year + 1}-07-01", "versie": w["versions"][s]}, None),
    f"{BASE}/huishoudens/{{dossier}}/link": lambda w, r, s: ({"days": "30"}, None),
    f"{BASE}/huishoudens/{{dossier}}/link/intrekken": lambda w, r, s: ({"id": w["links"][s]}, None),
}
PARAMS: dict[str, Callable[[dict, str, str], str]] = {  # a path's {name} → its value (world, path, scope)
    "dossier": lambda w, path, scope: OWN if scope == "own" else OTHER,
    "name": lambda w, path, scope: w["file"],
    "transaction": lambda w, path, scope: (w["theirs"] if scope == "other" and not path.endswith("boeken") else
                                           w["booked"] if path.endswith("terugdraaien") else w["unmatched"]),
}


QUERIES: dict[str, Callable[[dict, str], str]] = {  # route path → its query (world, scope)
    f"{BASE}/huishoudens/{{dossier}}/link/intrekken": lambda w, scope: f"?id={w['links'][scope]}",
}


def url_of(world, path: str, scope: str) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1).split(":")[0]
        assert name in PARAMS, f"{path}: say in PARAMS of {__file__} what to put for {{{name}}}"
        return PARAMS[name](world, path, scope)
    query = QUERIES[path](world, scope) if path in QUERIES else ""
    return re.sub(r"\{([^}]+)\}", value, path) + query


def form_of(world, client, path: str, role: str, scope: str, token: str | None = "own") -> Form:
    data, files = SAMPLES[path](world, role, scope) if path in SAMPLES else ({}, None)
    if token == "own":
        token = _token(client)
    return {**data, "csrf": token or ""}, files


def _token(client) -> str:
    page = client.get(f"{BASE}/")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    return found.group(1) if found else ""


def cells() -> list[tuple[str, str, str, str]]:
    """(method, path, who, scope) of every cell; scope 'other' only for team-scoped routes."""
    app = create_app(db_url="sqlite:///:memory:")
    out = []
    for method, path in staff_routes(app):
        rule = rule_of(path)
        for who in WHO:
            for scope in ("own", "other") if rule is not None and rule.team else ("own",):
                out.append((method, path, who, scope))
    return out


def expected(method: str, path: str, who: str, scope: str) -> str:
    """'public', 'sign-in', 'allowed', '403' or '404'."""
    rule = rule_of(path)
    allowed = rule.get if method == "GET" else rule.post
    if allowed == PUBLIC:
        return "public"
    if who == SIGNED_OUT:
        return "sign-in"
    if who not in allowed:
        return "403"
    if rule.team and scope == "other" and who in TEAM:
        return "404"
    return "allowed"


# ---------------------------------------------------------------- the tests

@pytest.mark.parametrize("role", NO_PAGES)
def test_a_role_without_pages_cannot_sign_in(world, role):
    """The privacy officer has an account (for `hhb erase --actor`) but no pages: the sign-in
    with the right password and code is refused like a wrong one."""
    assert role in ACCOUNTS, f"add an account of the role {role} to ACCOUNTS in tests/e2e/staff_web.py"
    client = TestClient(create_app(db_url=f"sqlite:///{world['path']}"), follow_redirects=False)
    email = ACCOUNTS[role][1]
    answer = sign_in(client, email, world["secrets"][email])
    assert answer.status_code != 303 and "Inloggen lukte niet" in answer.text
    assert client.get(f"{BASE}/", follow_redirects=False).status_code == 303  # still to the sign-in page


def test_every_route_is_classified():
    app = create_app(db_url="sqlite:///:memory:")
    routes = staff_routes(app)
    assert len(routes) >= 20, routes  # the app's routes were found at all
    missing = sorted({path for _, path in routes if rule_of(path) is None})
    assert not missing, (f"staff routes nobody classified: {missing}; add a line for each to RULES in "
                         f"{Path(__file__).relative_to(Path(__file__).parents[2])}")
    named = {role for _, r in RULES for who in (r.get, r.post) if who != PUBLIC for role in who}
    unknown = sorted(named - set(WEB_ROLES))
    assert not unknown, f"RULES name roles the app does not have: {unknown}"


CELLS = cells()
UNCHANGING = [c for c in CELLS if not (c[0] == "POST" and expected(*c) == "allowed")]  # those: test_allowed_post


@pytest.mark.parametrize(("method", "path", "who", "scope"), UNCHANGING,
                         ids=[f"{m} {p} {w} {s}" for m, p, w, s in UNCHANGING])
def test_cell(world, shared, method, path, who, scope):
    app, clients = shared
    client = clients[who]
    want = expected(method, path, who, scope)
    url = url_of(world, path, scope)
    if want == "public":
        answer = client.request(method, url) if method == "GET" else None
        if answer is not None:
            assert answer.status_code in (200, 303, 308), (url, who, answer.status_code)
        return
    before = events(app)
    if method == "GET":
        answer = client.get(url)
    else:
        data, files = form_of(world, client, path, who, scope)
        answer = client.post(url, data=data, files=files)
    code = answer.status_code
    if want == "sign-in" and rule_of(path).signed_out == 401:
        assert code == 401, (url, code)
    elif want == "sign-in":
        assert code == 303 and answer.headers["location"].startswith(f"{BASE}/inloggen"), (url, code)
    elif want == "allowed":
        assert code == 200, (url, who, code, answer.text[:500])
        if who in TEAM:  # nothing of another team's household on any page
            for theirs in (OTHER, "Kevin Jansen", "NL84KNAB0001234561"):
                assert theirs not in answer.text, f"{url} shows {who} of Wijkteam Noord {theirs!r}"
    else:
        assert code == int(want), (url, who, scope, code, answer.text[:500])
    if want == "404" and method == "GET":  # as an unknown household: the same page
        assert "<h1>Niet gevonden</h1>" in answer.text
    assert events(app) == before, f"{method} {url} as {who} changed the store"


POSTS = [(p, w, s) for m, p, w, s in CELLS if m == "POST" and expected(m, p, w, s) == "allowed"]


@pytest.mark.parametrize(("path", "who", "scope"), POSTS, ids=[f"{p} {w} {s}" for p, w, s in POSTS])
def test_allowed_post(world, fresh, path, who, scope):
    client = signed_in_client(fresh, world["secrets"], who)
    url = url_of(world, path, scope)
    data, files = form_of(world, client, path, who, scope)
    before = events(fresh)
    answer = client.post(url, data=data, files=files)
    assert answer.status_code not in (401, 403, 404), (url, who, answer.status_code, re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", answer.text))[-700:])
    if path == f"{BASE}/uitloggen":
        assert client.get(f"{BASE}/").status_code == 303, "signed out, the session must no longer work"
    elif path in SAMPLES:
        assert answer.status_code in (200, 303), (url, who, answer.status_code, answer.text[:800])
        assert events(fresh) > before, f"POST {url} as {who}: its sample changed nothing"


POST_ROUTES = sorted({p for m, p, w, s in CELLS if m == "POST" and expected(m, p, w, s) != "public"})


@pytest.mark.parametrize("path", POST_ROUTES)
def test_a_post_without_its_token_or_with_another_sessions_changes_nothing(world, fresh, path):
    rule = rule_of(path)
    who = sorted(rule.post)[0] if rule.post else "staff"
    client = signed_in_client(fresh, world["secrets"], who)
    stranger = signed_in_client(fresh, world["secrets"], "auditor" if who != "auditor" else "staff")
    theirs = _token(stranger)
    mine_elsewhere = _token(signed_in_client(fresh, world["secrets"], who))  # the same person, another session
    url = url_of(world, path, "own")
    for token in (None, "", theirs, mine_elsewhere, "nep-token"):
        data, files = form_of(world, client, path, who, "own", token=token or "")
        if token is None:
            data.pop("csrf")
        before = events(fresh)
        answer = client.post(url, data=data, files=files)
        assert answer.status_code in (200, 303, 400, 403), (url, token, answer.status_code)
        assert events(fresh) == before, f"POST {url} with token {token!r} changed the store"
        assert client.get(f"{BASE}/").status_code == 200, f"POST {url} with token {token!r} signed {who} out"
    # the same form with its own token does change something: the refusal above was the token's
    data, files = form_of(world, client, path, who, "own")
    answer = client.post(url, data=data, files=files)
    if path == f"{BASE}/uitloggen":
        assert client.get(f"{BASE}/").status_code == 303
    elif path in SAMPLES:
        assert events(fresh) > before, (url, answer.status_code, answer.text[:800])


@pytest.mark.parametrize("url", [f"{BASE}/rapportage?team=Wijkteam+Zuid", f"{BASE}/rapportage.csv?team=Wijkteam+Zuid",
                                 f"{BASE}/huishoudens?q={OTHER}", f"{BASE}/huishoudens?q=Kevin",
                                 f"{BASE}/signalen?dossier={OTHER}", f"{BASE}/huishoudens/{OTHER}/overzicht?month=2026-11"])
def test_a_query_does_not_widen_what_a_team_sees(shared, url):
    _, clients = shared
    answer = clients["teamlead"].get(url)
    assert answer.status_code in (200, 403, 404), (url, answer.status_code)
    text = answer.text
    for asked in re.findall(r"=([^&]+)", url.partition("?")[2]):  # the page may say what was asked
        text = text.replace(asked.replace("+", " "), "")
    for theirs in (OTHER, "Kevin Jansen", "Wijkteam Zuid"):
        assert answer.status_code != 200 or theirs not in text, (url, theirs)
    if "team=" in url:
        assert answer.status_code == 403


@pytest.mark.parametrize("tail", ["", "/overzicht"])
def test_another_teams_household_answers_as_an_unknown_one(shared, tail):
    _, clients = shared
    theirs = clients["staff"].get(f"{BASE}/huishoudens/{OTHER}{tail}")
    unknown = clients["staff"].get(f"{BASE}/huishoudens/HHB-2099-9999{tail}")
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.text == unknown.text

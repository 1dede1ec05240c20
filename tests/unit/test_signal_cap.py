"""The cap on signals per team per month (domain/signal_cap.py): which ones it holds back."""

from huishoudboekje.domain.signal_cap import held_back


def signal(ident, severity, raised_on, team="Wijkteam Noord"):
    return {"id": ident, "severity": severity, "raised_on": raised_on, "team": team}


def test_the_cap_holds_back_the_lowest_priorities_of_a_teams_month():
    month = [signal("a", "low", "2027-01-03"), signal("b", "high", "2027-01-20"),
             signal("c", "medium", "2027-01-02"), signal("d", "high", "2027-01-05")]
    assert held_back(month, 2) == {"a", "c"}
    assert held_back(month, 3) == {"a"}
    assert held_back(month, 4) == set()
    assert held_back(month, None) == set()


def test_equal_priorities_are_held_by_date_then_id_the_same_way_every_time():
    month = [signal("x2", "high", "2027-01-09"), signal("x1", "high", "2027-01-09"), signal("y", "high", "2027-01-01")]
    assert held_back(month, 2) == {"x2"}
    assert held_back(list(reversed(month)), 2) == {"x2"}
    assert held_back(month, 1) == {"x1", "x2"}


def test_critical_signals_always_show_and_take_their_place_under_the_cap():
    month = [signal("k1", "critical", "2027-01-30"), signal("k2", "critical", "2027-01-31"),
             signal("k3", "critical", "2027-01-31"), signal("h", "high", "2027-01-01")]
    assert held_back(month, 2) == {"h"}


def test_each_team_and_each_month_has_a_cap_of_its_own_and_the_engines_signals_none():
    rows = [signal("n1", "low", "2027-01-01"), signal("n2", "low", "2027-02-01"),
            signal("z1", "low", "2027-01-01", team="Wijkteam Zuid"), signal("n3", "medium", "2027-01-09"),
            signal("control", "low", "2027-01-01", team=None)]
    assert held_back(rows, 1) == {"n1"}

"""Settings that cannot mislead: every HHB_ name is a setting (or the test suite's own),
and every problem is one plain sentence naming the variable, its value and what it expects."""

from __future__ import annotations

import pytest

from huishoudboekje.config import Settings, SettingsError


def refusal(monkeypatch, **variables: str) -> str:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        Settings()
    return str(caught.value)


@pytest.mark.parametrize("variable, message", [
    ("HHB_MANAGED_ACOUNTS", "HHB_MANAGED_ACOUNTS is not a setting (did you mean HHB_MANAGED_ACCOUNTS?)"),
    ("HHB_SMPT_URL", "HHB_SMPT_URL is not a setting (did you mean HHB_SMTP_URL?)"),
    ("HHB_DATABSE_URL", "HHB_DATABSE_URL is not a setting (did you mean HHB_DATABASE_URL?)"),
    ("HHB_TIMEZON", "HHB_TIMEZON is not a setting (did you mean HHB_TIMEZONE?)"),
    ("HHB_REQUIRE_POSTGRES", "HHB_REQUIRE_POSTGRES is not a setting (the settings are listed in the README; "
                             "the test suite's own variables begin with HHB_TEST_)"),
])
def test_an_unknown_variable_is_refused_naming_the_nearest_setting(monkeypatch, variable, message):
    assert refusal(monkeypatch, **{variable: "NL39BNGH0285009999"}) == message


def test_the_test_suites_own_variables_are_not_settings_and_not_refused(monkeypatch):
    monkeypatch.setenv("HHB_TEST_ANYTHING", "1")
    assert Settings().default_account == "NL39BNGH0285009999"


def test_an_unknown_name_in_the_env_file_is_refused_too(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("HHB_MANAGED_ACOUNTS=NL91ABNA0417164300\n")
    monkeypatch.chdir(tmp_path)
    assert refusal(monkeypatch) == ("HHB_MANAGED_ACOUNTS (in .env) is not a setting "
                                    "(did you mean HHB_MANAGED_ACCOUNTS?)")


@pytest.mark.parametrize("variable, value, message", [
    ("HHB_PORT", "eighty", "HHB_PORT: 'eighty' is not a whole number"),
    ("HHB_DB_WRITE_TIMEOUT", "0", "HHB_DB_WRITE_TIMEOUT: '0' is not a number of at least 1"),
    ("HHB_INCOME_MAX_FACTOR", "lots", "HHB_INCOME_MAX_FACTOR: 'lots' is not a number such as 2.5"),
    ("HHB_MANAGED_ACCOUNTS", "NL39BNGH0285009998",
     "HHB_MANAGED_ACCOUNTS: 'NL39BNGH0285009998' is not a valid IBAN (checksum failed)"),
    ("HHB_MANAGED_ACCOUNTS", ",", "HHB_MANAGED_ACCOUNTS: ',' names no account; name at least one IBAN"),
    ("HHB_PAIN_VERSION", "pain.001.001.99", "HHB_PAIN_VERSION: 'pain.001.001.99' is not pain.001.001.09 "
                                            "or pain.001.001.03"),
    ("HHB_VAR_DIR", "", "HHB_VAR_DIR: '' names no folder; name one, or leave it unset for ./var"),
    ("HHB_LOG_FORMAT", "xml", "HHB_LOG_FORMAT: 'xml' is not text or json"),
])
def test_a_bad_value_is_one_plain_sentence_without_the_librarys_words(monkeypatch, variable, value, message):
    text = refusal(monkeypatch, **{variable: value})
    assert text == message
    assert "pydantic" not in text and "http" not in text and "validation error" not in text


def test_every_problem_is_named_at_once(monkeypatch):
    text = refusal(monkeypatch, HHB_PORT="x", HHB_MANAGED_ACOUNTS="NL39BNGH0285009999")
    assert text.splitlines() == ["HHB_MANAGED_ACOUNTS is not a setting (did you mean HHB_MANAGED_ACCOUNTS?)",
                                 "HHB_PORT: 'x' is not a whole number"]


def test_a_secret_is_not_repeated_in_the_message(monkeypatch):
    monkeypatch.setenv("HHB_SMS_GATEWAY_TOKEN", "s3cret")
    with pytest.raises(SettingsError) as caught:
        Settings(sms_gateway_token=12345)  # not text
    assert "s3cret" not in str(caught.value) and "12345" not in str(caught.value)


@pytest.mark.parametrize("variables, message", [
    ({"HHB_OIDC_ISSUER": "http://login.gemeente.nl", "HHB_OIDC_CLIENT_ID": "hhb"},
     "HHB_OIDC_ISSUER: 'http://login.gemeente.nl' is not https://: only a provider on this machine "
     "(localhost) may be reached without it"),
    ({"HHB_OIDC_ISSUER": "login.gemeente.nl", "HHB_OIDC_CLIENT_ID": "hhb"},
     "HHB_OIDC_ISSUER: 'login.gemeente.nl' is not an https:// address such as "
     "https://login.gemeente.nl/realms/medewerkers"),
    ({"HHB_OIDC_ISSUER": "https://login.gemeente.nl"},
     "HHB_OIDC_CLIENT_ID: not set, but HHB_OIDC_ISSUER is; set both (the client id this app has at the "
     "provider), or neither"),
    ({"HHB_OIDC_CLIENT_ID": "hhb"}, "HHB_OIDC_ISSUER: not set, but HHB_OIDC_CLIENT_ID is; set both, or neither"),
    ({"HHB_OIDC_ISSUER": "https://login.gemeente.nl", "HHB_OIDC_CLIENT_ID": "hhb", "HHB_OIDC_REQUIRE_MFA": "misschien"},
     "HHB_OIDC_REQUIRE_MFA: 'misschien' is not true or false"),
])
def test_the_openid_connect_settings_are_checked(monkeypatch, variables, message):
    assert refusal(monkeypatch, **variables) == message


def test_the_openid_connect_settings_as_given(monkeypatch):
    monkeypatch.setenv("HHB_OIDC_ISSUER", "https://login.gemeente.nl/realms/medewerkers/")
    monkeypatch.setenv("HHB_OIDC_CLIENT_ID", "huishoudboekje")
    monkeypatch.setenv("HHB_OIDC_MFA_ACR", "urn:gemeente:loa:hoog, 2")
    settings = Settings()
    assert settings.oidc_issuer == "https://login.gemeente.nl/realms/medewerkers/"  # exactly as the provider names itself
    assert settings.oidc_require_mfa is True and settings.oidc_mfa_acr == ["urn:gemeente:loa:hoog", "2"]


def test_oidc_only_needs_a_provider(monkeypatch):
    assert refusal(monkeypatch, HHB_OIDC_ONLY="true") == (
        "HHB_OIDC_ONLY: true, but no provider is set (HHB_OIDC_ISSUER): nobody could sign in")

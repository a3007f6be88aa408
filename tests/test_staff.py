"""Staff sign-in for the clinician side (issue 25, item 5): required in production, brute force
limited per network, and what a code holder who is not signed in can and cannot open; the
maximum age of codes and the end of version-1 codes."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest

from screening.core.errors import ConfigError
from screening.web.config import DEFAULTS
from screening.web.extensions import limiter
from screening.web.staff import main as make_hash
from screening.web.staff_session import SIGNED_OUT_KEY, VALID_FROM_KEY, _signed_out_here
from screening.web.state import settings_of
from tests.helpers import built_app, result_code_form
from tools.old_codes import encode_v1
from tools.testkit import STAFF_PASSWORD, STAFF_PASSWORD_HASH, TEST_SECRET, answers_form

# Item 10 answered "Yes, quite often": the answer the attack run read back from a code.
FLAGGED = dict.fromkeys(range(1, 10), 1) | {10: 0}
ITEM_10_ANSWER = "Yes, quite often"


@pytest.fixture
def staff_app(make_app):
    return make_app(STAFF_PASSWORD_HASH=STAFF_PASSWORD_HASH)


def fresh_code(app, answers=FLAGGED, hours_ago: float = 0) -> dict[str, str]:
    moment = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=hours_ago)
    return result_code_form(app, answers, completed_at=moment)


def sign_in(client, password: str = STAFF_PASSWORD, address: str = "127.0.0.1"):
    return client.post(
        "/staff/sign-in", data={"password": password}, environ_base={"REMOTE_ADDR": address}
    )


# Start-up: required in production, optional in development and tests.


def test_production_refuses_to_start_without_a_staff_password(tmp_path, monkeypatch):
    monkeypatch.delenv("SCREENING_STAFF_PASSWORD_HASH")
    monkeypatch.setenv("SCREENING_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SCREENING_SECRET_KEY", "k")
    monkeypatch.setenv("SCREENING_EPDS_PERMISSION", "p")
    with pytest.raises(ConfigError, match=r"STAFF_PASSWORD_HASH is not set.*python -m screening"):
        built_app()
    monkeypatch.setenv("SCREENING_STAFF_PASSWORD_HASH", STAFF_PASSWORD)  # the password itself
    with pytest.raises(ConfigError, match="is not a password hash"):
        built_app()
    monkeypatch.setenv("SCREENING_STAFF_PASSWORD_HASH", STAFF_PASSWORD_HASH)
    assert settings_of(built_app()).staff.password_hash == STAFF_PASSWORD_HASH


def test_development_and_tests_may_leave_the_clinician_side_open(tmp_path, monkeypatch):
    monkeypatch.delenv("SCREENING_STAFF_PASSWORD_HASH")
    monkeypatch.setenv("SCREENING_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SCREENING_DEVELOPMENT", "1")
    assert built_app().test_client().get("/intake").status_code == 200
    testing = built_app({"TESTING": True, "SECRET_KEY": TEST_SECRET, "HTTPS": False})
    assert 'name="code"' in testing.test_client().get("/intake").text


def test_the_hash_tool_prints_a_scrypt_hash_of_a_password_typed_twice(monkeypatch, capsys):
    typed = iter(["a long staff password", "a long staff password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    assert make_hash() == 0
    printed = capsys.readouterr().out.strip()
    assert printed.startswith("scrypt:") and "a long staff password" not in printed
    app = built_app(
        {
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET,
            "WTF_CSRF_ENABLED": False,
            "STAFF_PASSWORD_HASH": printed,
        }
    )
    response = sign_in(app.test_client(), "a long staff password")
    assert response.status_code == 303, response.text
    short = iter(["short"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(short))
    assert make_hash() == 1


# The clinician side behind the sign-in.


def test_a_code_holder_who_is_not_signed_in_gets_no_clinician_view(staff_app, epds):
    """The attack run's POST /intake from an unrelated address returned the verbatim item-10
    answer, the pregnancy answer and the total."""
    client = staff_app.test_client()
    code = fresh_code(staff_app)
    page = client.get("/intake")
    assert page.status_code == 200
    assert 'id="password"' in page.text and 'name="code"' not in page.text
    for path, data in [
        ("/intake", {"code": code["result_code"]}),
        ("/intake/series.pdf", {"code": code["result_code"]}),
        ("/result.fhir.json", code),
    ]:
        refused = client.post(path, data=data)
        assert refused.status_code == 403, path
        assert "Please sign in first" in refused.text
        assert ITEM_10_ANSWER not in refused.text and "For the clinician" not in refused.text
        assert refused.headers["Cache-Control"].startswith("no-store")


def test_signed_in_staff_see_the_clinician_side_and_can_sign_out(staff_app):
    client = staff_app.test_client()
    code = fresh_code(staff_app, hours_ago=24 * 30)  # a month ago: only staff may open it
    wrong = sign_in(client, "not the password")
    assert wrong.status_code == 403 and "That password is not right" in wrong.text
    assert client.post("/intake", data={"code": code["result_code"]}).status_code == 403
    signed_in = sign_in(client)
    assert signed_in.status_code == 303 and signed_in.headers["Location"].endswith("/intake")
    restored = client.post("/intake", data={"code": code["result_code"]})
    assert restored.status_code == 200 and "For the clinician" in restored.text
    assert ITEM_10_ANSWER in restored.text
    assert 'action="/staff/sign-out"' in client.get("/intake").text
    assert client.post("/result.fhir.json", data=code).status_code == 200
    assert client.post("/result.pdf", data=code).status_code == 200
    assert client.post("/staff/sign-out").status_code == 303
    assert client.post("/intake", data={"code": code["result_code"]}).status_code == 403


def copy_of(client, app):
    """Another browser holding a copy of ``client``'s cookies (copied off a shared computer)."""
    copy = app.test_client()
    copy._cookies = dict(client._cookies)
    return copy


def test_a_copied_sign_in_cookie_is_refused_after_sign_out(staff_app):
    client = staff_app.test_client()
    assert sign_in(client).status_code == 303
    copy = copy_of(client, staff_app)
    assert 'id="password"' not in copy.get("/intake").text  # the copy is signed in too
    assert client.post("/staff/sign-out").status_code == 303
    # The cookie alone still carries a valid, signed grant: only the server knows it ended.
    assert 'id="password"' in copy.get("/intake").text
    code = fresh_code(staff_app, hours_ago=24 * 30)
    assert copy.post("/intake", data={"code": code["result_code"]}).status_code == 403
    assert copy.post("/result.fhir.json", data=code).status_code == 403
    # Signing in again gives a new sign-in, which the old one's sign-out does not end.
    assert sign_in(client).status_code == 303
    assert 'id="password"' not in client.get("/intake").text


def test_a_sign_out_while_the_store_is_away_is_kept_by_this_process(make_app, caplog):
    app = make_app(
        STAFF_PASSWORD_HASH=STAFF_PASSWORD_HASH,
        RATELIMIT_STORAGE_URI="redis+unix:///nonexistent/redis.sock",
    )
    client = app.test_client()
    assert sign_in(client).status_code == 303
    copy = copy_of(client, app)
    assert 'id="password"' not in copy.get("/intake").text  # staff work on without the store
    assert client.post("/staff/sign-out").status_code == 303
    assert 'id="password"' in copy.get("/intake").text
    assert "staff sign-out kept in this process only" in caplog.text


def test_a_store_restart_ends_every_sign_in_rather_than_reopening_signed_out_ones(staff_app):
    """Redis restarted without persistence forgets every sign-out: a signed-out copy of a
    cookie must not open the clinician side again, so every sign-in from before it ends."""
    client = staff_app.test_client()
    assert sign_in(client).status_code == 303
    copy = copy_of(client, staff_app)
    other = staff_app.test_client()
    assert sign_in(other).status_code == 303
    assert client.post("/staff/sign-out").status_code == 303
    assert 'id="password"' in copy.get("/intake").text
    limiter.storage.reset()  # the store restarted empty
    assert 'id="password"' in copy.get("/intake").text
    assert 'id="password"' in other.get("/intake").text  # an extra sign-out, never less
    # A sign-in after the restart is not ended by the first check after it.
    assert sign_in(client).status_code == 303
    assert 'id="password"' not in client.get("/intake").text
    assert 'id="password"' not in client.get("/intake").text


def test_two_workers_setting_the_valid_from_time_at_once_cost_only_a_sign_out(staff_app):
    """incr() adds: two workers that found it missing at once leave the sum of their times."""
    store = limiter.storage
    client = staff_app.test_client()
    assert sign_in(client).status_code == 303
    now = int(time.time() * 1000)
    store.incr(VALID_FROM_KEY, 60, amount=now)  # a second worker's time added on top
    assert store.get(VALID_FROM_KEY) > 2 * now - 10_000
    assert 'id="password"' in client.get("/intake").text  # ended, and the time set again
    assert 0 < store.get(VALID_FROM_KEY) <= time.time() * 1000
    assert sign_in(client).status_code == 303
    assert 'id="password"' not in client.get("/intake").text


def stalled(monkeypatch, store):
    """The store times out on every call, as a stalled Redis does."""
    error = store.base_exceptions
    error = error[0] if isinstance(error, tuple) else error

    def stall(*args, **kwargs):
        raise error("stalled")

    for name in ("get", "incr", "clear"):
        monkeypatch.setattr(store, name, stall)


def test_a_sign_out_made_during_a_stall_reaches_the_store_when_it_answers(staff_app, monkeypatch):
    client = staff_app.test_client()
    assert sign_in(client).status_code == 303
    copy = copy_of(client, staff_app)
    colleague = staff_app.test_client()
    assert sign_in(colleague).status_code == 303
    store = limiter.storage
    with monkeypatch.context() as stall:
        stalled(stall, store)
        assert client.post("/staff/sign-out").status_code == 303
        assert 'id="password"' in copy.get("/intake").text  # this process keeps it
    assert _signed_out_here
    (sign_in_id,) = _signed_out_here
    assert store.get(SIGNED_OUT_KEY + sign_in_id) == 0
    assert 'id="password"' not in colleague.get("/intake").text  # a call the store answers
    assert store.get(SIGNED_OUT_KEY + sign_in_id) == 1
    assert not _signed_out_here  # forgotten here: every worker now finds it in the store
    assert 'id="password"' in copy.get("/intake").text


def test_a_new_staff_password_ends_every_sign_in(make_app):
    first = make_app(STAFF_PASSWORD_HASH=STAFF_PASSWORD_HASH)
    client = first.test_client()
    assert sign_in(client).status_code == 303
    assert client.get("/intake").text.count('id="password"') == 0
    other = make_app(STAFF_PASSWORD_HASH="scrypt:32768:8:1$other$" + "ab" * 32)
    with other.test_client() as same_browser:
        same_browser._cookies = client._cookies  # the same browser, after the change
        assert 'id="password"' in same_browser.get("/intake").text


def test_a_sign_in_ends_after_its_hours(staff_app, monkeypatch):
    client = staff_app.test_client()
    assert sign_in(client).status_code == 303
    hours = settings_of(staff_app).staff.sign_in_hours
    later = datetime.now(UTC).timestamp() + hours * 3600 + 1
    monkeypatch.setattr("screening.web.staff_session.time.time", lambda: later)
    assert 'id="password"' in client.get("/intake").text


def test_sign_in_attempts_are_limited_per_network(make_app):
    """Guessing the password from many addresses of one /24 or /64 counts as one client."""
    app = make_app(STAFF_PASSWORD_HASH=STAFF_PASSWORD_HASH, STAFF_SIGN_IN_RATE_LIMIT="3 per hour")
    client = app.test_client()
    wrong = [sign_in(client, "guess", f"203.0.113.{n}").status_code for n in range(1, 4)]
    assert wrong == [403, 403, 403]
    assert sign_in(client, STAFF_PASSWORD, "203.0.113.99").status_code == 429
    assert sign_in(app.test_client(), STAFF_PASSWORD, "198.51.100.1").status_code == 303


def test_an_ipv6_subscribers_whole_56_counts_as_one_client(make_app):
    """A /56 holds 256 /64s, each the subscriber's to pick: hopping between them gains nothing."""
    app = make_app(STAFF_PASSWORD_HASH=STAFF_PASSWORD_HASH, STAFF_SIGN_IN_RATE_LIMIT="3 per hour")
    client = app.test_client()
    wrong = [sign_in(client, "guess", f"2001:db8:1:{n:x}::1").status_code for n in (0, 1, 0xFF)]
    assert wrong == [403, 403, 403]
    assert sign_in(client, STAFF_PASSWORD, "2001:db8:1:80::5").status_code == 429
    assert sign_in(app.test_client(), STAFF_PASSWORD, "2001:db8:1:100::1").status_code == 303


def test_failed_sign_ins_from_every_network_together_are_capped_with_a_log_line(make_app, caplog):
    """Guessing from many networks at once: past STAFF_SIGN_IN_GLOBAL_LIMIT wrong passwords
    in all, every sign-in waits, and the operator reads why; right passwords do not count."""
    app = make_app(
        STAFF_PASSWORD_HASH=STAFF_PASSWORD_HASH,
        STAFF_SIGN_IN_RATE_LIMIT="100 per minute",
        STAFF_SIGN_IN_GLOBAL_LIMIT="3 per hour",
    )
    rights = [
        sign_in(app.test_client(), STAFF_PASSWORD, f"192.0.2.{n}").status_code for n in (1, 2, 3, 4)
    ]
    assert rights == [303] * 4
    wrong = [sign_in(app.test_client(), "guess", f"203.0.{n}.1").status_code for n in range(3)]
    assert wrong == [403, 403, 403]
    caplog.set_level("WARNING")
    assert sign_in(app.test_client(), STAFF_PASSWORD, "198.51.100.1").status_code == 429
    assert any("STAFF_SIGN_IN_GLOBAL_LIMIT" in record.getMessage() for record in caplog.records)


def test_a_browser_that_signed_in_before_is_not_locked_out_by_guessers_elsewhere(make_app):
    """Guessers on many networks (six /24s, or the 256 /56s of one IPv6 /48) fill the cap on
    wrong passwords; a clinic computer that signed in before carries a device cookie and still
    signs in, while a browser without one waits as before."""
    app = make_app(
        STAFF_PASSWORD_HASH=STAFF_PASSWORD_HASH,
        STAFF_SIGN_IN_RATE_LIMIT="5 per hour",
        STAFF_SIGN_IN_GLOBAL_LIMIT="6 per hour",
    )
    clinic = app.test_client()
    first = sign_in(clinic, address="192.0.2.10")
    assert first.status_code == 303
    [device] = [c for c in first.headers.getlist("Set-Cookie") if c.startswith("staff_device=")]
    assert "HttpOnly" in device and "Path=/staff" in device and "SameSite=Lax" in device
    assert clinic.post("/staff/sign-out").status_code == 303
    guesses = [sign_in(app.test_client(), "guess", f"2001:db8:7:{n:x}00::1") for n in range(6)]
    assert [guess.status_code for guess in guesses] == [403] * 6
    assert sign_in(app.test_client(), STAFF_PASSWORD, "198.51.100.1").status_code == 429
    assert sign_in(clinic, address="192.0.2.10").status_code == 303
    assert 'name="code"' in clinic.get("/intake").text


def test_a_trusted_devices_attempts_count_against_its_own_limit(make_app):
    app = make_app(STAFF_PASSWORD_HASH=STAFF_PASSWORD_HASH, STAFF_SIGN_IN_RATE_LIMIT="3 per hour")
    device = app.test_client()
    assert sign_in(device, address="203.0.113.5").status_code == 303
    wrong = [sign_in(device, "typo", "203.0.113.5").status_code for _ in range(3)]
    assert wrong == [403, 403, 403]
    assert sign_in(device, "typo", "198.51.100.9").status_code == 429  # its own limit, anywhere
    # ... which its network's limit did not share: another browser there has all of its own.
    assert sign_in(app.test_client(), "typo", "203.0.113.6").status_code == 403


@pytest.mark.parametrize("cookie", ["forged", "other key"])
def test_a_device_cookie_that_does_not_verify_keeps_the_shared_limits(make_app, cookie):
    app = make_app(
        STAFF_PASSWORD_HASH=STAFF_PASSWORD_HASH,
        STAFF_SIGN_IN_RATE_LIMIT="100 per hour",
        STAFF_SIGN_IN_GLOBAL_LIMIT="2 per hour",
    )
    other = make_app(STAFF_PASSWORD_HASH=STAFF_PASSWORD_HASH, SECRET_KEY="another-secret")
    holder = other.test_client()
    assert sign_in(holder).status_code == 303
    value = {"forged": "InNvbWUgZGV2aWNlIg.aaaaaa.bbbbbb"}.get(
        cookie, holder.get_cookie("staff_device", path="/staff").value
    )
    assert [sign_in(app.test_client(), "guess", f"203.0.{n}.1").status_code for n in (1, 2)] == [
        403,
        403,
    ]
    client = app.test_client()
    client.set_cookie("staff_device", value, path="/staff")
    assert sign_in(client, address="198.51.100.1").status_code == 429


# What the patient's own pages may still re-post without a sign-in.


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/result.pdf", {}),
        ("/language", {"lang": "uk", "page": "result"}),
        ("/reminder.ics", {}),
    ],
)
def test_the_patients_pages_post_their_code_only_while_the_result_page_lives(
    staff_app, path, extra
):
    """The result page's forms live 4 hours: within them its PDF, language switch and reminder
    work without a sign-in; a code from longer ago (photographed, forwarded) opens for staff
    only, so holding it no longer gives the answers."""
    client = staff_app.test_client()
    assert client.post(path, data=fresh_code(staff_app, hours_ago=3.9) | extra).status_code == 200
    old = fresh_code(staff_app, hours_ago=4.1) | extra
    refused = client.post(path, data=old)
    assert refused.status_code == 400
    assert ITEM_10_ANSWER not in refused.text
    assert "103" in refused.text  # the refusal still gives the emergency numbers
    assert sign_in(client).status_code == 303
    assert client.post(path, data=old).status_code == 200


def test_the_patients_result_and_pdf_need_no_sign_in(staff_app, epds):
    client = staff_app.test_client()
    page = client.post("/", data=answers_form(FLAGGED))
    assert page.status_code == 200 and "Your screening result" in page.text
    assert client.post("/result.pdf", data=fresh_code(staff_app)).status_code == 200


# The maximum age of codes, and the end of version 1.


def test_codes_have_a_maximum_age_of_a_year_by_default(make_app):
    assert DEFAULTS["RESULT_CODE_MAX_AGE_DAYS"] == 365
    app = make_app(RESULT_CODE_MAX_AGE_DAYS=DEFAULTS["RESULT_CODE_MAX_AGE_DAYS"])
    client = app.test_client()
    recent = fresh_code(app, hours_ago=364 * 24)["result_code"]
    old = fresh_code(app, hours_ago=366 * 24)["result_code"]
    assert client.post("/intake", data={"code": recent}).status_code == 200
    refused = client.post("/intake", data={"code": old})
    assert refused.status_code == 400 and "more than 365 days old" in refused.text


def test_version_1_codes_end_on_their_last_day(make_app, epds):
    app = built_app({"TESTING": True, "SECRET_KEY": TEST_SECRET})
    assert settings_of(app).codes.v1_until == date(2027, 2, 28)
    today = datetime.now(UTC).date()
    for last_day, status in [(today, 200), (today - timedelta(days=1), 400)]:
        app = make_app(RESULT_CODE_V1_UNTIL=last_day.isoformat())
        state = app.extensions["screening"]
        code = encode_v1(
            epds, FLAGGED, datetime.now(UTC).replace(second=0, microsecond=0),
            state.result_code_key,
        )  # fmt: skip
        response = app.test_client().post("/intake", data={"code": code})
        assert response.status_code == status, last_day
        if status == 400:
            assert "older format (16 symbols) are no longer accepted" in response.text
    with pytest.raises(ConfigError, match="RESULT_CODE_V1_UNTIL must be a date"):
        make_app(RESULT_CODE_V1_UNTIL="next spring")

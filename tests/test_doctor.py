"""`postwright doctor`: every account's credentials, present, accepted, and when they expire.

Most tests give a platform a stand-in `verify` (dataclasses.replace into a patched PLATFORMS), so they
depend on no publisher; one runs the real Instagram verify against the local Graph API fake. The
publish step's use of doctor (.github/scripts/publish.sh run with DOCTOR=true) is tested at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from werkzeug import Response

from postwright import doctor as doctor_module
from postwright.cli import doctor
from postwright.config import load_config
from postwright.credentials import CredentialsError
from postwright.platforms import PLATFORMS
from postwright.platforms.contract import Connection, CredentialCheck, TransientError
from postwright.project import Project
from tests.contract import CANARY
from tests.fakes import s3 as s3_fake
from tests.fakes.meta import fake_for

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / ".github" / "scripts" / "publish.sh"

SECRET = f"masto-token-{CANARY}"
GRAPH_SOURCE = "developers.facebook.com/docs/graph-api/changelog/versions"

API_CONFIG = """\
brand:
  name: Test Brand
  timezone: Europe/Madrid
  platforms: [mastodon, bluesky]
accounts:
  masto:
    platform: mastodon
    deliver: api
    credentials: {access_token: PW_DOCTOR_MASTO}
    settings: {instance: https://second.example}
  sky:
    platform: bluesky
platforms:
  mastodon:
    settings: {instance: https://first.example, visibility: public}
"""


def run(project: Project, *args: str):
    return CliRunner().invoke(doctor, list(args), obj=project)


def api_project(make_project, config: str = API_CONFIG) -> Project:
    return make_project(f"-- config.yml --\n{config}")


@pytest.fixture
def verify(monkeypatch):
    """Give mastodon a stand-in publisher and this verify: set `.answer` to what it returns
    (a CredentialCheck, or an exception to raise); `.connections` records what it was handed."""

    class Stand:
        answer: object = CredentialCheck(True, "valid (posting as @brand)")
        connections: list[Connection] = []

        def __call__(self, connection: Connection) -> CredentialCheck:
            self.connections.append(connection)
            connection.secrets["access_token"]  # a real verify reads its secret
            if isinstance(self.answer, BaseException):
                raise self.answer
            return self.answer(connection) if callable(self.answer) else self.answer

    stand = Stand()
    stand.connections = []
    platform = replace(PLATFORMS["mastodon"], publisher=lambda connection: None, verify=stand)
    monkeypatch.setattr(doctor_module, "PLATFORMS", {**PLATFORMS, "mastodon": platform})
    monkeypatch.setenv("PW_DOCTOR_MASTO", SECRET)
    return stand


def accounts(result) -> dict[str, dict]:
    return {item["account"]: item for item in json.loads(result.stdout)}


def test_the_command_offers_exactly_the_formats_doctor_writes():
    """cli.py names them without importing doctor.py, so a test keeps the two lists one."""
    offered = next(param for param in doctor.params if param.name == "output_format").type.choices
    assert tuple(offered) == tuple(doctor_module.FORMATS)


def test_outbox_accounts_need_no_credentials(make_project):
    result = run(make_project())
    assert result.exit_code == 0, result.output
    assert result.stdout.count("delivers to the local outbox, no credentials needed") == 2
    assert result.stderr.strip() == "doctor: 2 accounts: 2 ok"


def test_a_valid_token_far_from_expiry_is_ok(make_project, verify):
    expires = datetime.now(UTC) + timedelta(days=60)
    verify.answer = CredentialCheck(True, "valid (posting as @brand)", expires)
    result = run(api_project(make_project), "--format", "json")
    assert result.exit_code == 0, result.output
    found = accounts(result)["masto"]
    assert found["status"] == "ok" and found["deliver"] == "api" and found["missing"] == []
    assert found["detail"] == f"valid (posting as @brand); expires {expires:%Y-%m-%d %H:%M} UTC"
    assert datetime.fromisoformat(found["expires_at"]) == expires
    assert accounts(result)["sky"]["status"] == "ok"


def test_a_token_expiring_within_two_weeks_is_a_github_warning_and_exit_0(make_project, verify):
    verify.answer = CredentialCheck(
        True, "valid (posting as @brand)", datetime.now(UTC) + timedelta(days=5, hours=1)
    )
    result = run(api_project(make_project), "--format", "github")
    assert result.exit_code == 0, result.output
    (warning,) = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert warning.startswith(
        "::warning title=postwright doctor%3A masto (mastodon)::valid (posting as @brand)"
    )
    assert "the token expires in 5 days" in warning and "renew it" in warning
    assert "ok: sky (bluesky): delivers to the local outbox" in result.stdout
    assert "1 ok, 1 warning" in result.stderr


def test_an_expired_token_is_an_error(make_project, verify):
    verify.answer = CredentialCheck(True, "valid", datetime.now(UTC) - timedelta(days=1))
    result = run(api_project(make_project))
    assert result.exit_code == 1
    assert "error" in result.stdout and "the token expired on" in result.stdout


def test_a_rejected_token_is_an_error_and_exit_1(make_project, verify):
    verify.answer = CredentialCheck(False, "token rejected: 401 The access token is invalid")
    result = run(api_project(make_project), "--format", "github")
    assert result.exit_code == 1
    assert "::error title=postwright doctor%3A masto (mastodon)::token rejected: 401" in result.stdout


def test_a_missing_variable_is_named_and_the_platform_is_not_asked(make_project, verify, monkeypatch):
    monkeypatch.delenv("PW_DOCTOR_MASTO")
    result = run(api_project(make_project), "--format", "json")
    assert result.exit_code == 1
    found = accounts(result)["masto"]
    assert found["status"] == "error" and found["missing"] == ["PW_DOCTOR_MASTO"]
    assert "environment variable PW_DOCTOR_MASTO is not set" in found["detail"]
    assert verify.connections == []


def test_a_credential_not_named_in_config_is_an_error(make_project, verify):
    config = API_CONFIG.replace("    credentials: {access_token: PW_DOCTOR_MASTO}\n", "")
    result = run(api_project(make_project, config))
    assert result.exit_code == 1
    assert "Mastodon needs credentials.access_token to publish" in result.stdout
    assert "(PW044)" in result.stdout


def test_offline_checks_presence_only(make_project, verify):
    verify.answer = AssertionError("--offline must not ask the platform")
    result = run(api_project(make_project), "--offline")
    assert result.exit_code == 0, result.output
    assert "credentials are set (not checked with the platform: --offline)" in result.stdout
    assert verify.connections == []


def test_the_connection_is_built_as_the_publish_step_builds_it(make_project, verify):
    run(api_project(make_project))
    (connection,) = verify.connections
    assert connection.account == "masto" and connection.platform == "mastodon"
    assert dict(connection.settings) == {"instance": "https://second.example", "visibility": "public"}
    assert connection.secrets.names == {"access_token": "PW_DOCTOR_MASTO"}


def test_a_platform_that_cannot_be_asked_or_cannot_publish(make_project, verify, monkeypatch):
    platforms = dict(doctor_module.PLATFORMS)
    monkeypatch.setattr(
        doctor_module, "PLATFORMS", {**platforms, "mastodon": replace(platforms["mastodon"], verify=None)}
    )
    result = run(api_project(make_project))
    assert result.exit_code == 0 and "Mastodon cannot be asked without posting" in result.stdout
    monkeypatch.setattr(
        doctor_module, "PLATFORMS", {**platforms, "mastodon": replace(platforms["mastodon"], publisher=None)}
    )
    result = run(api_project(make_project))
    assert result.exit_code == 1 and "cannot send to the Mastodon API yet" in result.stdout


@pytest.mark.parametrize(
    ("answer", "status", "words"),
    [
        (
            TransientError("GET /api/v1/accounts/verify_credentials: timed out (ReadTimeout)"),
            "warning",
            "could not check with Mastodon: GET /api/v1/accounts/verify_credentials: timed out",
        ),
        (
            CredentialsError("account masto: settings.instance is required for mastodon"),
            "error",
            "settings.instance is required",
        ),
        (RuntimeError("a bug"), "error", "checking failed unexpectedly: RuntimeError: a bug"),
    ],
)
def test_a_verify_that_fails_is_reported_and_the_other_accounts_still_are(
    make_project, verify, answer, status, words
):
    verify.answer = answer
    result = run(api_project(make_project), "--format", "json")
    found = accounts(result)
    assert found["masto"]["status"] == status and words in found["masto"]["detail"]
    assert found["sky"]["status"] == "ok"
    assert result.exit_code == (1 if status == "error" else 0)


@pytest.mark.parametrize("output_format", ["human", "github", "json"])
def test_a_secret_never_appears_even_when_a_verify_leaks_it(make_project, verify, output_format):
    def leaky(connection: Connection) -> CredentialCheck:
        return CredentialCheck(False, f"token {connection.secrets['access_token']} rejected")

    verify.answer = leaky
    result = run(api_project(make_project), "--format", output_format)
    assert CANARY not in result.output and "[secret]" in result.stdout
    verify.answer = CredentialsError(f"401 for token {SECRET}")
    result = run(api_project(make_project), "--format", output_format)
    assert CANARY not in result.output and "[secret]" in result.stdout


def test_no_config_is_a_clear_stop(tmp_path):
    result = run(Project(tmp_path))
    assert result.exit_code == 2  # a usage error: the wrong folder, not broken content
    assert f"no config.yml in {tmp_path}" in result.stderr


# -- end to end: Instagram's verify against the local Graph API ---------------------------------------


def instagram_project(make_project, fake) -> Project:
    config = textwrap.dedent(f"""\
        brand:
          name: Test Brand
          timezone: Europe/Madrid
          platforms: [instagram]
        accounts:
          insta:
            platform: instagram
            deliver: api
            credentials: {{access_token: PW_DOCTOR_IG}}
            settings:
              user_id: "{fake.api["user"]}"
              api_url: {fake.api_url}
              media_base_url: {fake.media_base_url}
        """)
    return make_project(f"-- config.yml --\n{config}")


def test_instagram_end_to_end_warns_before_its_token_expires(make_project, httpserver, monkeypatch):
    fake = fake_for(httpserver, "instagram")
    expires = datetime.now(UTC) + timedelta(days=10, hours=1)
    fake.expires_at = int(expires.timestamp())
    monkeypatch.setenv("PW_DOCTOR_IG", fake.token)
    result = run(instagram_project(make_project, fake), "--format", "github")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "::warning title=postwright doctor%3A insta (instagram)::valid (posting as @windwardkites)"
    )
    assert "the token expires in 10 days" in result.stdout
    assert CANARY not in result.output
    asked = [(method, path) for method, path, _ in fake.calls]
    assert asked == [("GET", fake.api["user"]), ("GET", "debug_token")]
    assert fake.violations == []


def test_instagram_end_to_end_an_expired_session_is_an_error(make_project, httpserver, monkeypatch):
    fake = fake_for(httpserver, "instagram")
    fake.token_expired = True
    monkeypatch.setenv("PW_DOCTOR_IG", fake.token)
    result = run(instagram_project(make_project, fake), "--format", "json")
    assert result.exit_code == 1
    (found,) = json.loads(result.stdout)
    assert (
        found["status"] == "error"
        and "Session has expired" in found["detail"]
        and "[code 190/463]" in found["detail"]
    )
    assert CANARY not in result.output


# -- the API version each account sends ------------------------------------------------------------------

VERSIONED_CONFIG = """\
brand:
  name: Test Brand
  timezone: Europe/Madrid
  platforms: [facebook, instagram, threads, linkedin, discord]
accounts:
  fb: {platform: facebook, deliver: api, credentials: {access_token: PW_V}, settings: {page_id: "1"}}
  ig:
    platform: instagram
    deliver: api
    credentials: {access_token: PW_V}
    settings: {user_id: "1", media_base_url: "https://example.com/publish"}
  th: {platform: threads, deliver: api, credentials: {access_token: PW_V}, settings: {user_id: "1"}}
  li:
    platform: linkedin
    deliver: api
    credentials: {access_token: PW_V}
    settings: {author: "urn:li:organization:1"}
  dc: {platform: discord, deliver: api, credentials: {webhook_url: PW_V}}
"""


def versions_at(make_project, moment: datetime, config: str = VERSIONED_CONFIG) -> dict[str, tuple[str, str]]:
    """What doctor --offline says of each account at `moment`: status and detail."""
    loaded, problems = load_config(make_project(f"-- config.yml --\n{config}"))
    assert loaded is not None, problems
    found = doctor_module.examine(loaded, offline=True, now=moment, environ={"PW_V": "set"})
    return {item.account: (item.status, item.detail) for item in found}


def test_a_pinned_api_version_is_a_warning_90_days_before_its_end_and_an_error_after(make_project):
    """Graph API v25.0 ends 2028-07-29 (Meta's changelog); LinkedIn-Version 202610 a year on, counted
    from 2027-10-01; Threads v1.0 and Discord v10 have no published end."""
    graph = "Graph API v25.0 ends on 2028-07-29, in 90 days"
    change = "update postwright, or set settings.graph_version to a newer version"
    found = versions_at(make_project, datetime(2028, 4, 30, 12, tzinfo=UTC))
    assert found["fb"][0] == "warning" and graph in found["fb"][1] and change in found["fb"][1]
    assert found["ig"][0] == "warning" and found["ig"][1].endswith(
        f"{graph} ({GRAPH_SOURCE}): update postwright"
    )
    assert found["li"][0] == "error" and "LinkedIn-Version 202610 ended on 2027-10-01" in found["li"][1]
    assert (
        found["th"] == found["dc"] == ("ok", "credentials are set (not checked with the platform: --offline)")
    )
    earlier = versions_at(make_project, datetime(2028, 4, 29, 12, tzinfo=UTC))
    assert earlier["fb"][0] == earlier["ig"][0] == "ok" and "Graph API" not in earlier["fb"][1]
    after = versions_at(make_project, datetime(2028, 7, 29, tzinfo=UTC))
    assert after["fb"][0] == "error" and "Graph API v25.0 ended on 2028-07-29" in after["fb"][1]


def test_no_pinned_api_version_ends_within_90_days_of_today(make_project):
    """Today (2026-12-07) every pin is good for more than 90 days: Instagram is off Graph v21.0, which
    ends on 2027-01-21."""
    found = versions_at(make_project, datetime(2026, 12, 7, tzinfo=UTC))
    assert {status for status, _ in found.values()} == {"ok"}, found


def test_a_version_chosen_in_settings_is_judged_by_its_own_end(make_project):
    config = VERSIONED_CONFIG.replace(
        'settings: {page_id: "1"}', 'settings: {page_id: "1", graph_version: v21.0}'
    )
    config = config.replace(
        'author: "urn:li:organization:1"', 'author: "urn:li:organization:1", linkedin_version: "202510"'
    )
    found = versions_at(make_project, datetime(2026, 9, 15, tzinfo=UTC), config)
    assert found["li"] == (
        "warning",
        "credentials are set (not checked with the platform: --offline); LinkedIn-Version 202510 ends on "
        "2026-10-01, in 16 days (learn.microsoft.com/linkedin/marketing/versioning): set "
        "settings.linkedin_version to a newer version",
    )
    assert found["fb"][0] == "ok"  # v21.0 ends 2027-01-21: 128 days on
    found = versions_at(make_project, datetime(2026, 12, 7, tzinfo=UTC), config)
    assert found["fb"][0] == "warning" and "Graph API v21.0 ends on 2027-01-21, in 45 days" in found["fb"][1]


# -- the publish step runs doctor first ------------------------------------------------------------------


def publish_step(
    tmp_path: Path, doctor_exit: int = 0, **env: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """publish.sh run with a stand-in postwright that records each call and fails doctor as told."""
    fake = tmp_path / "fake-postwright"
    fake.write_text(
        "#!/bin/sh\n"
        f"echo \"$@\" >> '{tmp_path / 'calls'}'\n"
        'if [ "$1" = doctor ]; then\n'
        f"  echo '::warning title=postwright doctor::soon'; exit {doctor_exit}\n"
        "fi\n"
        "exit 0\n"
    )
    fake.chmod(0o755)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "DOCTOR", "PUBLISH_"))}
    result = subprocess.run(
        ["bash", str(SCRIPT), "run"],
        cwd=tmp_path,
        env={**clean, "POSTWRIGHT": str(fake), **env},
        capture_output=True,
        text=True,
    )
    calls = (tmp_path / "calls").read_text().splitlines() if (tmp_path / "calls").exists() else []
    return result, calls


def test_the_publish_step_runs_doctor_offline_first_and_publishes_whatever_it_found(tmp_path):
    output, summary = tmp_path / "output", tmp_path / "summary.md"
    result, calls = publish_step(
        tmp_path,
        doctor_exit=1,
        DOCTOR="true",
        DOCTOR_HOUR="24",  # an hour that never comes: offline
        GITHUB_OUTPUT=str(output),
        GITHUB_STEP_SUMMARY=str(summary),
    )
    assert result.returncode == 0, result.stderr
    assert calls == ["doctor --format github --offline", "publish"]
    assert "::warning title=postwright doctor::soon" in result.stdout
    assert output.read_text() == "exit-code=0\n"  # publish's exit code, not doctor's
    assert "**postwright doctor:** some accounts' credentials are missing or rejected" in summary.read_text()


def test_a_manual_run_asks_the_platforms(tmp_path):
    _, calls = publish_step(tmp_path, DOCTOR="true", DOCTOR_HOUR="24", GITHUB_EVENT_NAME="workflow_dispatch")
    assert calls == ["doctor --format github", "publish"]


def test_without_doctor_the_step_only_publishes(tmp_path):
    _, calls = publish_step(tmp_path)
    assert calls == ["publish"]


def test_a_postwright_without_doctor_does_not_stop_publishing(tmp_path):
    result, calls = publish_step(
        tmp_path, doctor_exit=2, DOCTOR="true", GITHUB_STEP_SUMMARY=str(tmp_path / "s")
    )
    assert result.returncode == 0 and calls[-1] == "publish"
    assert "postwright doctor exited 2" in result.stderr


# -- media.host against moto's S3 server on 127.0.0.1 (tests/fakes/s3.py) ------------------------------


@pytest.fixture(scope="module")
def s3_server():
    with s3_fake.running() as server:
        yield server


@pytest.fixture
def s3(s3_server, monkeypatch) -> s3_fake.S3Server:
    return s3_fake.prepared(s3_server, monkeypatch)


def hosted_project(make_project, s3: s3_fake.S3Server, **extra: str) -> Project:
    config = "brand: {name: B, timezone: UTC}\naccounts:\n  out: {platform: mastodon}\n"
    return make_project(f"-- config.yml --\n{config}{s3_fake.media_host_yaml(s3, **extra)}")


def host_line(result) -> dict:
    return accounts(result)["media.host"]


def test_media_host_reachable_and_listable_is_ok_and_prints_no_key(make_project, s3):
    result = run(hosted_project(make_project, s3), "--format", "json")

    assert result.exit_code == 0, result.output
    line = host_line(result)
    assert line["status"] == "ok" and line["platform"] == "s3"
    assert (
        line["detail"]
        == f"bucket '{s3_fake.BUCKET}' at {s3.url} answers, and the keys may list 'postwright/'"
    )
    # one request, writing nothing: ListObjectsV2 of at most one key under the prefix
    assert [(method, path) for method, path, _ in s3.requests] == [("GET", f"/{s3_fake.BUCKET}")]
    assert s3_fake.SECRET not in result.output and s3_fake.KEY_ID not in result.output
    assert result.stderr.strip() == "doctor: 1 account and media.host: 2 ok"


def test_media_host_keys_not_set_are_named_and_the_store_is_not_asked(make_project, s3, monkeypatch):
    monkeypatch.delenv("PW_S3_SECRET")

    result = run(hosted_project(make_project, s3), "--format", "github")

    assert result.exit_code == 1
    assert (
        "::error title=postwright doctor%3A media.host (s3)::environment variable PW_S3_SECRET is not set"
        in (result.stdout)
    )
    assert s3.requests == []


def test_media_host_offline_checks_only_that_the_keys_are_set(make_project, s3):
    result = run(hosted_project(make_project, s3), "--offline")

    assert result.exit_code == 0 and "media.host" in result.stdout and "--offline" in result.stdout
    assert s3.requests == []


def test_media_host_a_missing_bucket_is_an_error_saying_so(make_project, s3):
    result = run(hosted_project(make_project, s3, bucket="no-such-bucket"), "--format", "json")

    assert result.exit_code == 1
    line = host_line(result)
    assert line["status"] == "error" and "the bucket does not exist (NoSuchBucket" in line["detail"]


def test_media_host_keys_that_may_not_list_are_an_error_with_the_fix(make_project, s3):
    def denied(request):  # S3's answer to a request the keys are not allowed (ErrorResponses: AccessDenied)
        body = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
        return Response(body, 403, content_type="application/xml")

    s3.refuse = denied
    result = run(hosted_project(make_project, s3), "--format", "json")

    assert result.exit_code == 1
    detail = host_line(result)["detail"]
    assert "the keys may not list 'postwright/'" in detail and "read, write, list and delete" in detail


def test_media_host_unreachable_is_a_warning_not_an_error(make_project, s3):
    down = s3_fake.S3Server()  # never started: its port refuses connections
    down.server.server_close()
    project = hosted_project(make_project, down)

    result = run(project, "--format", "json")

    assert result.exit_code == 0  # nothing known to be wrong with the settings
    line = host_line(result)
    assert line["status"] == "warning" and "the store cannot be reached" in line["detail"]

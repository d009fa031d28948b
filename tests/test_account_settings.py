"""Settings and credentials checked against what each platform declares (issue 15): `check` reports a
misspelt, unknown or missing one at its line with a did-you-mean, `doctor --offline` agrees, and the
example brand with every account on `deliver: api` passes both and reaches a local server."""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from werkzeug.wrappers import Request, Response

from postwright import cli as cli_module
from postwright.cli import cli
from postwright.config import load_config
from postwright.credentials import CredentialsError, Secrets
from postwright.platforms import PLATFORMS
from postwright.platforms.contract import Connection
from postwright.platforms.x.publisher import XPublisher
from tests.conftest import REPO
from tests.fakes.http_platform import json_response, local_server

BASE = """\
brand:
  name: Test Brand
  timezone: Europe/Madrid
accounts:
"""


def config_with(accounts: str, tail: str = "") -> str:
    return BASE + accounts + tail


def found(make_project, text: str) -> list[tuple[str, int, str]]:
    config, problems = load_config(make_project(f"-- config.yml --\n{text}"))
    assert config is not None  # the brand still builds; check fails on the errors
    return [(problem.code, problem.span.line, problem.message) for problem in problems]


@pytest.mark.parametrize(
    ("account", "line", "code", "wanted"),
    [
        ("  tg:\n    platform: telegram\n    settings:\n      chat: '@brand'\n", 8, "PW040", "chat_id"),
        ("  pin:\n    platform: pinterest\n    settings:\n      board: kites\n", 8, "PW040", "board_id"),
        (
            "  ig:\n    platform: instagram\n    settings:\n      business_account_id: '178414'\n",
            8,
            "PW040",
            "user_id",
        ),
        (
            "  fb:\n    platform: facebook\n    credentials:\n      page_token: FB_TOKEN\n",
            8,
            "PW043",
            "access_token",
        ),
        ("  m:\n    platform: mastodon\n    settings:\n      visiblity: public\n", 8, "PW040", "visibility"),
        (
            "  x:\n    platform: x\n    credentials:\n      access_secret: X_S\n",
            8,
            "PW043",
            "access_token_secret",
        ),
    ],
)
def test_a_misspelt_name_fails_check_at_its_line_with_a_suggestion(make_project, account, line, code, wanted):
    ((found_code, found_line, message),) = found(make_project, config_with(account))
    assert (found_code, found_line) == (code, line)
    assert f"did you mean '{wanted}'?" in message


def test_an_unknown_shared_setting_is_reported_under_platforms(make_project):
    text = config_with(
        "  tg:\n    platform: telegram\n",
        "platforms:\n  telegram:\n    settings:\n      disable_notification: true\n",
    )
    assert found(make_project, text) == [
        ("PW040", 10, "Telegram has no setting 'disable_notification' (did you mean 'silent'?)")
    ]


def test_an_api_account_lacking_a_required_setting_or_credential_fails_an_outbox_one_does_not(make_project):
    account = "  tg:\n    platform: telegram\n    deliver: {deliver}\n    settings:\n      silent: true\n"
    assert found(make_project, config_with(account.format(deliver="outbox"))) == []
    problems = found(make_project, config_with(account.format(deliver="api")))
    assert [(code, line) for code, line, _ in problems] == [("PW041", 8), ("PW044", 5)]
    assert "settings.chat_id" in problems[0][2] and "credentials.bot_token" in problems[1][2]


def test_a_shared_setting_counts_for_every_account_on_the_platform(make_project):
    text = config_with(
        "  ig:\n    platform: instagram\n    deliver: api\n    credentials: {access_token: IG}\n"
        "    settings: {user_id: '1784'}\n",
        "platforms:\n  instagram:\n    settings: {media_base_url: https://media.example}\n",
    )
    assert found(make_project, text) == []
    assert [code for code, *_ in found(make_project, text.replace("media_base_url", "media_url"))] == [
        "PW040",
        "PW041",
    ]


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        ("visibility: everyone", "'everyone' is not one of public, unlisted, private, direct"),
        ("check_instance_limits: 'yes'", "write true or false"),
        ("lookup_depth: true", "write a whole number"),
        ("instance: mastodon.example", "'mastodon.example' is not a URL; write it whole, with https://"),
        ("instance: 'https://'", "'https://' is not a URL"),
        ("instance: ftp://mastodon.example", "'ftp://mastodon.example' is not a URL"),
    ],
)
def test_a_setting_of_the_wrong_type_or_value_is_reported_at_its_value(make_project, setting, words):
    text = config_with(f"  m:\n    platform: mastodon\n    settings:\n      {setting}\n")
    ((code, line, message),) = found(make_project, text)
    assert (code, line) == ("PW042", 8) and words in message


URL_SETTINGS = [  # named like a URL, documented as one, or a server's address
    (name, setting)
    for name, platform in PLATFORMS.items()
    for setting in platform.settings
    if setting.name.endswith("_url") or "URL" in setting.doc or setting.name in ("instance", "service")
]


@pytest.mark.parametrize(
    ("platform", "declared"), URL_SETTINGS, ids=[f"{p}.{s.name}" for p, s in URL_SETTINGS]
)
def test_every_url_setting_is_checked_as_a_url(make_project, platform, declared):
    """A URL setting without its scheme passes YAML and fails every run (httpx: UnsupportedProtocol);
    check reports it."""
    setting = declared.name
    assert declared.url
    text = config_with(f"  a:\n    platform: {platform}\n    settings:\n      {setting}: host.example\n")
    assert [(code, line) for code, line, _ in found(make_project, text)] == [("PW042", 8)]
    good = text.replace("host.example", "http://127.0.0.1:8080/api")
    assert [code for code, *_ in found(make_project, good)] == []


# -- X: the names choose the auth mode ------------------------------------------------------------------

OAUTH1 = {"consumer_key": "CK", "consumer_secret": "CS", "access_token": "AT", "access_token_secret": "ATS"}


@pytest.mark.parametrize(
    "names",
    [
        {"access_token": "AT", "access_token_secret": "ATS"},  # OAuth 1.0a without its consumer key
        {"consumer_key": "CK", "access_token": "AT"},
        {"consumer_key": "CK", "consumer_secret": "CS"},
    ],
)
def test_an_incomplete_or_mixed_x_set_is_a_check_error_and_never_a_bearer_token(make_project, names):
    credentials = "".join(f"      {name}: {variable}\n" for name, variable in names.items())
    text = config_with(f"  x:\n    platform: x\n    deliver: api\n    credentials:\n{credentials}")
    ((code, line, message),) = found(make_project, text)
    assert (code, line) == ("PW045", 8) and "OAuth 1.0a" in message
    with pytest.raises(CredentialsError, match="choose no way to sign in"):
        XPublisher(x_connection(names))


def test_x_names_that_are_the_portal_s_words_never_send_the_access_token_as_bearer(make_project):
    """api_key, api_secret and access_secret (the example brand had them) are not the declared names: the
    access token among them must not be mistaken for an OAuth 2.0 user token."""
    names = {"api_key": "K", "api_secret": "S", "access_token": "AT", "access_secret": "AS"}
    with pytest.raises(CredentialsError, match="choose no way to sign in"):
        XPublisher(x_connection(names))


def test_x_modes_are_chosen_by_the_names(make_project):
    assert type(XPublisher(x_connection(OAUTH1)).auth).__name__ == "_OAuth1"
    assert type(XPublisher(x_connection({"access_token": "AT"})).auth).__name__ == "_Bearer"
    for names in (OAUTH1, {"access_token": "AT"}):
        credentials = "".join(f"      {name}: {variable}\n" for name, variable in names.items())
        text = config_with(f"  x:\n    platform: x\n    deliver: api\n    credentials:\n{credentials}")
        assert found(make_project, text) == []


def x_connection(names: dict[str, str]) -> Connection:
    environ = {variable: f"value-{variable}" for variable in names.values()}
    return Connection(account="x", platform="x", settings={}, secrets=Secrets("x", names, environ=environ))


# -- doctor agrees with check -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "account",
    [
        "  a:\n    platform: telegram\n    deliver: api\n    credentials: {bot_token: T}\n"
        "    settings: {chat: '@c'}\n",
        "  a:\n    platform: facebook\n    deliver: api\n    credentials: {page_token: T}\n"
        "    settings: {page_id: '1'}\n",
        "  a:\n    platform: x\n    deliver: api\n    credentials: {access_token: T, access_token_secret: S}"
        "\n",
        "  a:\n    platform: pinterest\n    credentials: {access_token: T}\n    settings: {board: b}\n",
        "  a:\n    platform: telegram\n    deliver: api\n    credentials: {bot_token: T}\n"
        "    settings: {chat_id: '@c'}\n",
    ],
)
def test_doctor_offline_agrees_with_check(make_project, monkeypatch, account):
    monkeypatch.setenv("T", "dummy-token")
    monkeypatch.setenv("S", "dummy-secret")
    project = make_project(f"-- config.yml --\n{config_with(account)}")
    _, problems = load_config(project)
    doctor = CliRunner().invoke(cli_module.doctor, ["--offline", "--format", "json"], obj=project)
    (health,) = json.loads(doctor.stdout)
    assert (health["status"] == "error") == bool(problems)
    assert all(f"({problem.code})" in health["detail"] for problem in problems)
    assert doctor.exit_code == (1 if problems else 0)


# -- the names a publisher reads are the names it declares --------------------------------------------


def _read_names(source: str) -> tuple[set[str], set[str]]:
    """Every literal name a module reads: .setting("x") / .required("x"), and secrets["x"] / .get("x") /
    "x" in secrets.names."""
    settings: set[str] = set()
    credentials: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                if node.func.attr in ("setting", "required"):
                    settings.add(first.value)
                elif node.func.attr == "get" and "secrets" in ast.unparse(node.func.value):
                    credentials.add(first.value)
        if isinstance(node, ast.Subscript) and "secrets" in ast.unparse(node.value) and _is_text(node.slice):
            credentials.add(node.slice.value)
        if isinstance(node, ast.Compare) and "secrets.names" in ast.unparse(node) and _is_text(node.left):
            credentials.add(node.left.value)
    return settings, credentials


def test_a_publisher_reads_settings_through_the_declaration():
    connection = Connection(account="tg", platform="telegram", settings={}, secrets=Secrets("tg", {}))
    assert connection.setting("silent") is False and connection.setting("link_preview") is True  # declared
    assert connection.setting("api_url", "https://elsewhere.example") == "https://elsewhere.example"
    with pytest.raises(KeyError, match="telegram declares no setting 'chat'"):
        connection.setting("chat")
    with pytest.raises(KeyError, match="telegram declares no setting 'channel'"):
        connection.required("channel")


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


@pytest.mark.parametrize("name", sorted(PLATFORMS))
def test_every_name_a_publisher_reads_is_declared(name):
    module = REPO / "postwright" / "platforms" / name / "publisher.py"
    settings, credentials = _read_names(module.read_text())
    if name == "threads":  # Threads runs Instagram's ContainerPublisher
        settings |= _read_names((REPO / "postwright/platforms/instagram/publisher.py").read_text())[0]
    platform = PLATFORMS[name]
    assert settings <= {setting.name for setting in platform.settings}
    assert credentials <= {credential.name for credential in platform.credentials}
    assert settings or credentials  # the walk found what the module reads
    if platform.api_version and platform.api_version.setting:  # the setting that sends another version
        assert platform.api_version.setting in {setting.name for setting in platform.settings}


@pytest.mark.parametrize("name", sorted(PLATFORMS))
def test_docs_platforms_lists_every_declared_setting_and_credential(name):
    platform = PLATFORMS[name]
    title = "Facebook Pages" if name == "facebook" else platform.title
    (row,) = [
        line
        for line in (REPO / "docs/platforms.md").read_text().splitlines()
        if line.startswith(f"| {title} |")
    ]
    settings, credentials = row.split(" | ")[1:3]
    for setting in platform.settings:
        assert re.search(rf"\b{setting.name}\b", settings), setting.name
        assert (f"**{setting.name}**" in settings) == setting.required, setting.name
    for credential in platform.credentials:
        assert re.search(rf"\b{credential.name}\b", credentials), credential.name


# -- the example brand on deliver: api ---------------------------------------------------------------


def _example_on_api(root: Path, server_url: str) -> dict[str, str]:
    """The example brand copied to `root` with every account on `deliver: api`, its URL settings pointed
    at the local server; returns the environment with a dummy secret in every variable it names."""
    for folder in ("content", "templates", "assets"):
        shutil.copytree(REPO / folder, root / folder)
    data = yaml.safe_load((REPO / "config.yml").read_text(encoding="utf-8"))
    url_settings = {
        "x": {"api_url": server_url},
        "bluesky": {"service": server_url},
        "mastodon": {"instance": server_url},
        "linkedin": {"api_url": server_url, "oauth_url": server_url},
        "facebook": {"api_url": server_url},
        "instagram": {"api_url": server_url},
        "threads": {"api_url": server_url},
        "telegram": {"api_url": server_url},
        "pinterest": {"api_url": server_url},
        "tiktok": {"api_url": server_url},
        "discord": {},
    }
    environ = {}
    for account in data["accounts"].values():
        account["deliver"] = "api"
        account["settings"] = {**account.get("settings", {}), **url_settings[account["platform"]]}
        for variable in account["credentials"].values():
            environ[variable] = f"dummy-{variable.lower()}"
            if account["platform"] == "discord":
                environ[variable] = f"{server_url}/api/webhooks/4417/dummy-{variable.lower()}"
    (root / "config.yml").write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return environ


_WEBHOOK = r"/api(/v\d+)?/webhooks/4417/"  # Discord's webhook path, with or without an API version


def _answer(request: Request) -> Response:
    """What each platform's credential check reads, in its documented shape (only the fields read)."""
    path = request.path
    if "/bot" in path and path.endswith("/getMe"):
        return json_response({"ok": True, "result": {"id": 1, "is_bot": True, "username": "windward_bot"}})
    if "/bot" in path and path.endswith("/getChat"):
        chat = request.get_json()["chat_id"]
        return json_response(
            {"ok": True, "result": {"id": -100, "username": chat.lstrip("@"), "type": "channel"}}
        )
    answers = {
        "/2/users/me": {"data": {"id": "1", "username": "windwardkites"}},
        "/xrpc/com.atproto.server.createSession": {
            "accessJwt": "a.b.c",
            "refreshJwt": "d.e.f",
            "handle": "windward.example",
            "did": "did:plc:windward",
        },
        "/xrpc/com.atproto.server.getSession": {"handle": "windward.example", "did": "did:plc:windward"},
        "/api/v1/accounts/verify_credentials": {"id": "1", "acct": "windward", "username": "windward"},
        "/oauth/v2/introspectToken": {"active": True, "scope": "w_organization_social"},
        "/v2/userinfo": {"sub": "1", "name": "Windward Kite Works"},
        "/v5/user_account": {"username": "windwardkites", "account_type": "BUSINESS"},
        "/v2/post/publish/creator_info/query/": {
            "data": {"creator_username": "windwardkites", "privacy_level_options": ["SELF_ONLY"]},
            "error": {"code": "ok", "message": "", "log_id": "1"},
        },
    }
    for prefix, body in answers.items():
        if path.startswith(prefix):
            return json_response(body)
    if re.match(_WEBHOOK, path):
        return json_response({"id": "4417", "name": "Windward", "channel_id": "1", "guild_id": "2"})
    if path.endswith("/debug_token"):
        return json_response({"data": {"is_valid": True, "expires_at": 0}})
    if path.endswith("/me") or re.fullmatch(r"/\d+", path):  # Graph: the Page, or the Instagram user
        return json_response({"id": path.strip("/"), "name": "Windward", "username": "windwardkites"})
    return json_response({"error": {"message": f"no such endpoint {path}"}}, status=404)


def test_the_example_brand_on_deliver_api_passes_check_and_doctor_and_reaches_its_server(
    tmp_path, monkeypatch
):
    with local_server() as server:
        calls: list[Request] = []

        def record(request: Request) -> Response:
            calls.append(request)
            return _answer(request)

        server.expect_request(re.compile(".*")).respond_with_handler(record)
        environ = _example_on_api(tmp_path, server.url_for("").rstrip("/"))
        for variable, value in environ.items():
            monkeypatch.setenv(variable, value)

        checked = CliRunner().invoke(cli, ["-C", str(tmp_path), "check"])
        assert checked.exit_code == 0, checked.output
        offline = CliRunner().invoke(cli, ["-C", str(tmp_path), "doctor", "--offline", "--format", "json"])
        assert offline.exit_code == 0, offline.output
        assert {item["status"] for item in json.loads(offline.stdout)} == {"ok"}
        assert calls == []  # --offline asks no one

        online = CliRunner().invoke(cli, ["-C", str(tmp_path), "doctor", "--format", "json"])
        found = json.loads(online.stdout)
        assert [item for item in found if item["status"] != "ok"] == []
        assert len(found) == len(yaml.safe_load((REPO / "config.yml").read_text())["accounts"])
        paths = [request.path for request in calls]
        chats = {request.get_json()["chat_id"] for request in calls if request.path.endswith("/getChat")}
    assert chats == {"@windward_ru", "@windward_fa"}  # settings.chat_id reached Telegram
    assert {"/17841400000000417", "/17841400000000981"} <= set(paths)  # settings.user_id reached Instagram
    assert any(re.match(_WEBHOOK, path) for path in paths)  # credentials.webhook_url reached Discord

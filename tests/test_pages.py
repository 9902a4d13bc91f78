"""The HTML pages, parsed: language, catalogue, scripts (CSP-clean), controls for presenters only, QR code."""

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from app.i18n import CATALOGUE, LANGS, bundle, pick_lang
from app.main import create_app
from app.paths import STATIC_DIR, TEMPLATES_DIR
from app.settings import Settings

PAGES = ["/", "/runs/abc123", "/groups/g1", "/sweep", "/lessons/vanishing-gradient"]


class Page(HTMLParser):
    """Every element as (tag, attrs), and the text inside each <script>."""

    def __init__(self, html: str):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._script: dict | None = None
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag == "script":
            self._script = attrs
            self.scripts.append((attrs, ""))

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        else:
            self.text.append(data)

    def find(self, tag=None, **attrs) -> list[dict]:
        return [
            a
            for t, a in self.elements
            if (tag is None or t == tag) and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def html_lang(self) -> str:
        return self.find("html")[0]["lang"]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("pages"), record=False)
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as c:
        yield c


def get_page(client, path: str, **headers) -> Page:
    resp = client.get(path, headers=headers)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/html")
    return Page(resp.text)


@pytest.mark.parametrize("path", PAGES)
def test_scripts_are_files_or_json_data(client, path):
    """CSP script-src 'self': no inline script, no inline handler, nothing from another host."""
    page = get_page(client, path)
    for attrs, text in page.scripts:
        if attrs.get("type") == "application/json":
            json.loads(text)
        else:
            assert attrs["src"].startswith("/static/") and not text.strip(), attrs
    for tag, attrs in page.elements:
        assert not [k for k in attrs if k.startswith("on")], (tag, attrs)
        for key in ("src", "href", "action"):
            value = attrs.get(key)
            if value is not None:
                assert value.startswith(("/", "?", "#")), (tag, key, value)


@pytest.mark.parametrize("path", PAGES)
def test_page_carries_both_languages_of_the_one_catalogue(client, path):
    page = get_page(client, path)
    (block,) = [text for attrs, text in page.scripts if attrs.get("id") == "i18n-catalogue"]
    assert json.loads(block) == bundle()
    for _, attrs in page.elements:  # every element naming a key names one that exists
        for key in (attrs.get("data-i18n"), attrs.get("data-i18n-title")):
            assert key is None or key in CATALOGUE, key


@pytest.mark.parametrize(
    ("query", "accept", "lang"),
    [
        ("", None, "en"),
        ("?lang=ko", None, "ko"),
        ("?lang=en", "ko-KR,ko;q=0.9", "en"),
        ("", "ko-KR,ko;q=0.9", "ko"),
        ("?lang=xx", None, "en"),
    ],
)
def test_language_follows_query_then_accept_language(client, query, accept, lang):
    headers = {"accept-language": accept} if accept else {}
    page = get_page(client, "/" + query, **headers)
    assert page.html_lang() == lang
    shown = " ".join(page.text)
    assert CATALOGUE["home.gallery"][lang] in shown
    assert CATALOGUE["term.vanishing"][lang] in shown


def test_korean_page_uses_the_lecture_terms(client):
    shown = " ".join(get_page(client, "/?lang=ko").text)
    for term in ("기울기 사라짐", "활성화 함수", "연쇄 법칙"):
        assert term in shown


@pytest.mark.parametrize("path", ["/runs/abc123", "/groups/g1"])
def test_controls_for_the_presenter_none_for_the_viewer_link(client, path):
    presenter = get_page(client, path)
    assert len(presenter.find(data_role="controls")) == 1
    for role in ("play-toggle", "step-once", "reset", "speed"):
        assert presenter.find(data_role=role), role
    viewer = get_page(client, path + "?view=1")
    assert viewer.find(data_role="controls") == []
    assert viewer.find(data_role="play-toggle") == []
    assert "readonly" in viewer.find("body")[0]["class"].split()


def test_viewer_home_has_no_builder(client):
    assert get_page(client, "/").find(data_role="builder")
    assert get_page(client, "/?view=1").find(data_role="builder") == []


def test_view_ids_and_projector_flag(client):
    assert get_page(client, "/runs/abc123").find("main")[0]["data-run-id"] == "abc123"
    assert get_page(client, "/groups/g1").find("main")[0]["data-group-id"] == "g1"
    assert "projector" in get_page(client, "/groups/g1?projector=1").find("body")[0]["class"].split()
    assert "projector" not in get_page(client, "/groups/g1").find("body")[0]["class"].split()


def test_every_chart_card_has_its_plot_and_png_export(client):
    page = get_page(client, "/runs/abc123")
    names = {a["data-chart"] for a in page.find() if "data-chart" in a}
    assert {
        "gradflow",
        "heatmap",
        "lines",
        "loss",
        "update",
        "health",
        "hist",
        "boundary",
        "chainrule",
    } <= names
    for name in names - {"chainrule"}:
        assert page.find(id=f"chart-{name}"), name
        assert page.find(data_export_png=name), name


def test_qr_code_of_this_servers_viewer_link(client):
    resp = client.get("/qr.svg", params={"u": "http://127.0.0.1:8000/groups/g1?view=1"})
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(resp.content)
    assert root.tag.endswith("svg") and root.find(".//{http://www.w3.org/2000/svg}path") is not None


@pytest.mark.parametrize(
    "u",
    [
        "http://evil.example/?view=1",
        "javascript:alert(1)",
        "ftp://127.0.0.1/",
        "http://127.0.0.1/" + "a" * 400,
    ],
)
def test_qr_code_refuses_other_links(client, u):
    resp = client.get("/qr.svg", params={"u": u})
    assert resp.status_code == 422
    assert "u" in json.dumps(resp.json()["detail"])


def test_catalogue_is_complete_in_both_languages():
    assert LANGS == ("en", "ko")
    for key, texts in CATALOGUE.items():
        assert set(texts) == set(LANGS), key
        assert all(t.strip() for t in texts.values()), key
        # The same {placeholders} in both languages.
        assert set(re.findall(r"\{(\w+)\}", texts["en"])) == set(re.findall(r"\{(\w+)\}", texts["ko"])), key


def test_every_key_the_front_end_names_is_in_the_catalogue():
    """Keys in t("...") calls, data-i18n attributes of templates, and `verdict.${kind}`-style families."""
    used: set[str] = set()
    for path in list(STATIC_DIR.rglob("*.js")) + list(TEMPLATES_DIR.rglob("*.html")):
        if "vendor" in path.parts:
            continue
        text = path.read_text()
        used.update(re.findall(r"""\bt\(\s*["']([\w.]+)["']""", text))
        used.update(k for k in re.findall(r'data-i18n(?:-title)?="([\w.]+)"', text))
    missing = sorted(k for k in used if k not in CATALOGUE)
    assert not missing, missing
    for family, members in {
        "verdict.short": ("waiting", "vanishing", "healthy", "exploding", "diverged", "failed"),
        "status": ("created", "running", "paused", "finished", "stopped", "diverged", "failed"),
        "conn": ("connecting", "live", "reconnecting", "closed"),
    }.items():
        for m in members:
            assert f"{family}.{m}" in CATALOGUE


def test_every_key_of_the_catalogue_is_shown_somewhere():
    """A string nobody shows is dead weight for translators: every key is named in a template, a JS module or the
    server's Python (as itself, or as a family built from a prefix: `conn.${state}`, f"handout.{key}",
    `key ~ ".explain"`)."""
    app_dir = TEMPLATES_DIR.parent / "app"
    sources = [*STATIC_DIR.rglob("*.js"), *TEMPLATES_DIR.rglob("*.html"), *app_dir.rglob("*.j2")]
    sources += [p for p in app_dir.rglob("*.py") if "i18n" not in p.parts]
    text = "\n".join(p.read_text() for p in sources if "vendor" not in p.parts)

    def shown(key: str) -> bool:
        if key in text:
            return True
        parts = key.split(".")
        prefixes = (".".join(parts[:i]) + "." for i in range(1, len(parts)))
        # a prefix followed by what completes it at run time: ${...}, {...}, or a closing quote and a join
        if any(re.search(re.escape(p) + r"""(\$\{|\{|["'`]\s*[+~,])""", text) for p in prefixes):
            return True
        # a named key with a suffix joined on: t(key + ".explain") beside the literal "term.vanishing"
        stem, suffix = key.rsplit(".", 1)
        return (
            stem in text and re.search(r"""(\+\s*["'`]|\}\})""" + re.escape("." + suffix), text) is not None
        )

    unused = sorted(k for k in CATALOGUE if not shown(k))
    assert not unused, unused


def test_every_module_import_resolves():
    """Native ES modules, no bundler: every relative import names a file that exists."""
    js = STATIC_DIR / "js"
    for path in js.rglob("*.js"):
        for spec in re.findall(r"""(?:import|from)\s*(?:\(\s*)?["'](\.{1,2}/[^"']+)["']""", path.read_text()):
            assert (path.parent / spec).resolve().is_file(), f"{path}: {spec}"


def test_schema_fields_have_labels_in_both_languages():
    from app.ml.config import RunConfig

    for name in RunConfig.model_json_schema()["properties"]:
        assert f"field.{name}" in CATALOGUE, name


def test_pick_lang():
    assert pick_lang("ko") == "ko"
    assert pick_lang(None, "de-DE,ko;q=0.5") == "ko"
    assert pick_lang("fr", "fr") == "en"

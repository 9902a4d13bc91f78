"""GET /api/registry and the copy every page embeds: one vocabulary from the Python registries to the browser."""

import json
import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from app.i18n import CATALOGUE
from app.main import create_app
from app.ml.activations import ACTIVATIONS
from app.ml.inits import INITS
from app.ml.presets import PRESETS
from app.paths import STATIC_DIR
from app.settings import Settings

HANGUL = re.compile(r"[가-힣]")


class RegistryBlock(HTMLParser):
    """The text of <script id="registry">."""

    def __init__(self, html: str):
        super().__init__()
        self.inside = False
        self.text = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.inside = tag == "script" and dict(attrs).get("id") == "registry"

    def handle_endtag(self, tag):
        self.inside = False

    def handle_data(self, data):
        if self.inside:
            self.text += data


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("registry"), record=False)
    with TestClient(create_app(settings)) as c:
        yield c


def test_every_activation_and_init_comes_with_its_labels_bound_and_explanation(client):
    body = client.get("/api/registry").json()
    assert list(body["activations"]) == list(ACTIVATIONS)
    assert list(body["inits"]) == list(INITS)
    for key, info in body["activations"].items():
        act = ACTIVATIONS[key]
        assert info["deriv_bound"] == act.deriv_bound and info["formula"] == act.formula
        assert info["recommended_init"] in INITS and info["kind"] == act.kind
        assert info["label"]["en"] and info["label"]["ko"]
    assert body["activations"]["sigmoid"]["deriv_bound"] == 0.25
    assert body["activations"]["sigmoid"]["label"]["ko"] == "시그모이드"
    assert body["activations"]["relu"]["deriv_bound"] == body["activations"]["tanh"]["deriv_bound"] == 1.0
    assert body["activations"]["relu"]["recommended_init"].startswith("kaiming")
    assert body["activations"]["tanh"]["recommended_init"].startswith("xavier")
    for key, info in body["inits"].items():
        assert info["explain"]["en"] and HANGUL.search(info["explain"]["ko"]), (
            key
        )  # one line in each language
        assert info["label"]["en"] and info["label"]["ko"] and info["variance"]


@pytest.mark.parametrize("path", ["/", "/runs/abc", "/groups/g1", "/sweep"])
def test_every_page_embeds_the_same_registry_as_the_api(client, path):
    embedded = json.loads(RegistryBlock(client.get(path).text).text)
    assert embedded == client.get("/api/registry").json()


def test_the_front_end_holds_no_second_copy_of_labels_or_bounds():
    assert not [k for k in CATALOGUE if k.startswith("act.")]  # labels come from the registry only
    checked = 0
    for path in STATIC_DIR.joinpath("js").rglob("*.js"):
        if "vendor" in path.parts:
            continue
        code = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S)
        code = re.sub(r"^\s*//[^\n]*|\s//[^\n]*", "", code, flags=re.M)  # comments may quote 0.25
        assert not re.search(r"BOUND\w*\s*=\s*[\d.]", code), path  # no a′ bound of its own
        assert "SIGMOID" not in code and not re.search(r"guide\([^)]*0\.25", code), path
        assert "identity" not in code, path  # an activation the registry never had
        checked += "derivBound(" in code
    assert checked >= 2  # the chain rule and the a′ chart read each run's bound from the registry


def test_preset_titles_read_in_their_own_language():
    for preset in PRESETS.values():
        ko = preset.title["ko"]
        assert " vs " not in ko and "_" not in ko, ko  # no English fragments or registry keys in Korean
        assert "_" not in preset.title["en"], preset.title["en"]  # labels, not keys

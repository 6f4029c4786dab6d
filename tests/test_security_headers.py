"""Headers (§8): the app shell's content security policy, and API answers that are never stored."""

from __future__ import annotations

import pytest

from server import create_app
from server.config import OSM_TILES


def policy(response) -> dict[str, list[str]]:
    directives = response.headers["Content-Security-Policy"].split(";")
    return {d.split()[0]: d.split()[1:] for d in (d.strip() for d in directives) if d}


@pytest.fixture
def shell(tmp_path):
    """The app shell of a server with these map tiles (no database needed to serve it)."""

    def make(tiles: str):
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}", "MAP_TILES": tiles})
        return app.test_client()

    return make


@pytest.mark.parametrize("path", ["/", "/households/new", "/index.html"])
def test_the_app_shell_runs_only_its_own_scripts_and_is_never_framed(shell, path):
    response = shell(OSM_TILES).get(path)
    assert response.status_code == 200
    rules = policy(response)
    assert rules["default-src"] == ["'self'"]
    assert "script-src" not in rules, "scripts fall back to 'self': no inline script"
    assert rules["frame-ancestors"] == ["'none'"]
    assert rules["object-src"] == ["'none'"]
    assert "https://tile.openstreetmap.org" in rules["img-src"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    ("tiles", "origin"),
    [
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        ("https://maps.example.vn:8443/tiles/{z}/{x}/{y}.png", "https://maps.example.vn:8443"),
    ],
)
def test_images_may_come_from_the_configured_tile_server(shell, tiles, origin):
    assert origin in policy(shell(tiles).get("/"))["img-src"]


def test_without_a_tile_server_images_come_only_from_the_app(shell):
    assert policy(shell("").get("/"))["img-src"] == ["'self'", "data:", "blob:"]


def test_an_empty_map_tiles_setting_means_no_base_layer(monkeypatch, tmp_path):
    monkeypatch.setenv("DOORSTEP_MAP_TILES", "")
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"})
    assert app.config["MAP_TILES"] == ""


@pytest.mark.parametrize("tiles", ["javascript:alert(1)", "https://tiles.example.org/"])
def test_a_map_tiles_setting_that_is_no_tile_template_is_refused(monkeypatch, tmp_path, tiles):
    monkeypatch.setenv("DOORSTEP_MAP_TILES", tiles)
    with pytest.raises(ValueError, match="DOORSTEP_MAP_TILES"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"})


def test_the_app_learns_the_tile_template(field):
    assert field.get("/settings").get_json() == {"map_tiles": OSM_TILES}


def test_api_answers_with_residents_data_are_never_stored(admin, field, household, build):
    visit = field.push_one(build.op("visits", build.id(), build.visit(household["id"])))
    answers = [
        field.get("/sync/pull"),
        field.post("/sync/push", {"ops": []}),
        admin.get("/records/households"),
        admin.get(f"/records/households/{household['id']}"),
        admin.get(f"/records/visits/{visit['id']}/history"),
        admin.get("/users"),
        admin.get("/audit"),
        admin.get("/conflicts"),
        field.get("/records/households/not-a-record"),
        field.get("/me"),
    ]
    for response in answers:
        assert response.headers["Cache-Control"] == "no-store", response.request.path
        assert response.headers["X-Content-Type-Options"] == "nosniff"

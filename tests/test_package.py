"""The package installs anywhere: a wheel built from this checkout, installed into a fresh
virtual environment, builds and serves the graph it ships from an empty folder."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

import pytest
from conftest import ROOT, free_port, wait_for


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """`kg` of a wheel installed into a new venv (with its dependencies, from the index)."""
    root = tmp_path_factory.mktemp("package")
    wheels = root / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("kg-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [venv / "bin" / "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
        check=True,
        capture_output=True,
    )
    empty = root / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
    env.pop("VIRTUAL_ENV", None)
    return {"kg": str(venv / "bin" / "kg"), "cwd": empty, "env": env}


def kg(installed: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [installed["kg"], *args],
        cwd=installed["cwd"],
        env=installed["env"],
        capture_output=True,
        text=True,
        **kwargs,
    )


def test_info_names_the_shipped_folders_and_the_working_folder(installed):
    out = kg(installed, "info", check=True).stdout
    assert "installed as   a package" in out
    assert "site-packages/kg/resources/ontology" in out
    assert "site-packages/kg/resources/queries" in out
    assert f"{installed['cwd']}/var/store" in out
    assert str(ROOT) not in out  # nothing of the checkout


def test_build_and_serve_from_an_empty_folder(installed):
    built = kg(installed, "build", "--quiet", timeout=300)
    assert built.returncode == 0, built.stderr
    assert (installed["cwd"] / "var" / "store").is_symlink()
    assert (installed["cwd"] / "var" / "output" / "scad.owl").is_file()
    port = free_port()
    server = subprocess.Popen(
        [installed["kg"], "serve", "--port", str(port)],
        cwd=installed["cwd"],
        env=installed["env"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(url + "/sparql?query=ASK%7B%7D", timeout=30)
        with urllib.request.urlopen(url + "/sparql?query=ASK%7B%3Fs%20a%20%3Fc%7D") as reply:
            assert reply.read().endswith(b"true}")
        with urllib.request.urlopen(url + "/queries/search?q=lupus&format=csv") as reply:
            assert b"https://w3id.org/scad/sle" in reply.read()
        with urllib.request.urlopen(url + "/static/vendor/yasgui/yasgui.min.js") as reply:
            assert len(reply.read()) > 100_000  # the page's YASGUI came in the wheel
    finally:
        server.terminate()
        server.wait(timeout=20)

"""Build hook: a wheel carries the graph's sources and the canned queries as package data.

`ontology/` and `queries/` stay at the top of the project (where curators edit them); when a
wheel is built they are copied into `kg/resources/`, where kg.config finds them in an installed
package. An editable install reads them from the checkout instead, so nothing is copied then.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("ontology", "queries")


class BuildWithResources(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        root = Path(__file__).resolve().parent
        for name in SHIPPED:
            target = Path(self.build_lib) / "kg" / "resources" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(root / name, target, ignore=shutil.ignore_patterns("*~", ".*"))


setup(cmdclass={"build_py": BuildWithResources})

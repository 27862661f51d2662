"""Package discovery, the one part pyproject.toml cannot say: every agent package is found
automatically; the top-level config/ directory (systemd units, logind drop-in, Windows task,
example configurations, fleet files) is added as the data package agent.shipped, each of its
subdirectories as a data package of its own, and docs/ as agent.shipped.docs (the units'
Documentation= names an installed copy). Listing every data directory as a package keeps
setuptools from warning that it would be ignored. Everything else is in pyproject.toml."""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent
SHIPPED = [
    "agent.shipped",
    *(
        f"agent.shipped.{entry.name}"
        for entry in sorted((HERE / "config").iterdir())
        if entry.is_dir()
    ),
    "agent.shipped.docs",
]

setup(
    packages=[
        *find_packages(include=["agent", "agent.*"]),
        "agent.simulator.static",
        "agent.session.reader",
        *SHIPPED,
    ],
    package_dir={"agent.shipped": "config", "agent.shipped.docs": "docs"},
)

"""Package discovery, the one part pyproject.toml cannot say: every agent package is found
automatically, and the top-level config/ directory (systemd units, logind drop-in, Windows
task, example configurations) is added as the data package agent.shipped. Everything else is
in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["agent", "agent.*"]), "agent.shipped"],
    package_dir={"agent.shipped": "config"},
)

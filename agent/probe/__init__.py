"""The offline probe: read a profile's stored keys, without a browser, to see if it is linked."""

from agent.probe.probe import LEGACY_KEYS, SESSION_KEYS, probe_profile, probe_user_data_dir
from agent.probe.profiles import find_profiles
from agent.urls import REAL_CLIENT_ORIGIN, origin_of

__all__ = [
    "LEGACY_KEYS",
    "REAL_CLIENT_ORIGIN",
    "SESSION_KEYS",
    "find_profiles",
    "origin_of",
    "probe_profile",
    "probe_user_data_dir",
]

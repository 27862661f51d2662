"""X11 idle time from the MIT-SCREEN-SAVER extension (libXss), through ctypes.

The only module that touches libX11 / libXss. Debian package: libxss1. Works under Xvfb.
Caveat: Xlib's default I/O error handler exits the process when the X server goes away; the
display normally outlives the daemon (the user unit stops with the graphical session).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

from agent.errors import PlatformUnavailable


class _ScreenSaverInfo(ctypes.Structure):
    _fields_ = [
        ("window", ctypes.c_ulong),
        ("state", ctypes.c_int),
        ("kind", ctypes.c_int),
        ("til_or_since", ctypes.c_ulong),
        ("idle", ctypes.c_ulong),
        ("event_mask", ctypes.c_ulong),
    ]


def _load(short_name: str, package: str) -> ctypes.CDLL:
    """Given a library's short name, return it loaded. Raise PlatformUnavailable if missing."""
    path = ctypes.util.find_library(short_name)
    if path is None:
        raise PlatformUnavailable(f"lib{short_name} was not found (install {package})")
    try:
        return ctypes.CDLL(path)
    except OSError as exc:
        raise PlatformUnavailable(f"lib{short_name} could not be loaded: {exc}") from exc


def _declare(xlib: ctypes.CDLL, xss: ctypes.CDLL) -> None:
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    xlib.XDefaultRootWindow.restype = ctypes.c_ulong
    xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    xlib.XFree.argtypes = [ctypes.c_void_p]
    xss.XScreenSaverQueryExtension.argtypes = [
        ctypes.c_void_p,
        ctypes.POINTER(ctypes.c_int),
        ctypes.POINTER(ctypes.c_int),
    ]
    xss.XScreenSaverAllocInfo.restype = ctypes.POINTER(_ScreenSaverInfo)
    xss.XScreenSaverQueryInfo.argtypes = [
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.POINTER(_ScreenSaverInfo),
    ]


class X11IdleSource:
    """Milliseconds since the last keyboard or pointer input on one X display."""

    name = "x11"

    def __init__(self, display: str | None = None) -> None:
        """Given a display name (default $DISPLAY), open it.

        Raise PlatformUnavailable if no display is named, libX11 or libXss is missing, the
        display cannot be opened, or the server lacks the MIT-SCREEN-SAVER extension.
        """
        self.display_name = display if display is not None else os.environ.get("DISPLAY", "")
        if not self.display_name:
            raise PlatformUnavailable("X11 idle needs a display: DISPLAY is not set")
        self._xlib = _load("X11", "libx11-6")
        self._xss = _load("Xss", "libxss1")
        _declare(self._xlib, self._xss)
        self._display = self._xlib.XOpenDisplay(self.display_name.encode())
        if not self._display:
            raise PlatformUnavailable(f"cannot open X display {self.display_name!r}")
        event_base, error_base = ctypes.c_int(), ctypes.c_int()
        if not self._xss.XScreenSaverQueryExtension(
            self._display, ctypes.byref(event_base), ctypes.byref(error_base)
        ):
            self.close()
            raise PlatformUnavailable(
                f"X display {self.display_name!r} lacks the MIT-SCREEN-SAVER extension"
            )
        self._root = self._xlib.XDefaultRootWindow(self._display)
        self._info = self._xss.XScreenSaverAllocInfo()

    def idle_milliseconds(self) -> int | None:
        """Return milliseconds since the last input, or None if the display is closed."""
        if not self._display:
            return None
        if not self._xss.XScreenSaverQueryInfo(self._display, self._root, self._info):
            return None
        return int(self._info.contents.idle)

    async def idle_seconds(self) -> float | None:
        """Return seconds since the last input (one X round-trip), or None if unknown."""
        milliseconds = self.idle_milliseconds()
        return None if milliseconds is None else milliseconds / 1000.0

    def close(self) -> None:
        """Free the query buffer and close the display. Closing twice is harmless."""
        info = getattr(self, "_info", None)
        if info:
            self._xlib.XFree(info)
            self._info = None
        if self._display:
            self._xlib.XCloseDisplay(self._display)
            self._display = None

    def __repr__(self) -> str:
        return f"X11IdleSource({self.display_name!r})"

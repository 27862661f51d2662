"""Windows logoff and shutdown: a hidden window answering WM_QUERYENDSESSION / WM_ENDSESSION.

The only module that creates windows. Windows asks every top-level window before a logoff or
shutdown (a message-only window is not asked), so the watcher owns a hidden top-level window
on a thread of its own and pumps its messages there:

- WM_QUERYENDSESSION: ShutdownBlockReasonCreate ("Logging out of WhatsApp Web"), ask the
  daemon to stop (its final logout starts at once, on the asyncio loop), answer TRUE.
- WM_ENDSESSION (the session really ends): wait, at most the shutdown deadline plus a grace,
  until the daemon's logouts are done (``finished()``), ShutdownBlockReasonDestroy, answer 0.
  Windows ends the process once this message returns, so the wait is what keeps it alive.

Every Win32 call goes through the ``user32``/``kernel32`` objects given to the watcher: the
DLLs on Windows, fakes in the tests. What the fakes cannot show (the real shutdown UI, the
timing Windows allows before it kills a hung process) is not verified off Windows.
"""

from __future__ import annotations

import asyncio
import ctypes
import sys
import threading
from typing import Any

from loguru import logger

from agent.errors import PlatformUnavailable
from agent.outcome import Trigger

WM_CLOSE = 0x0010
WM_QUERYENDSESSION = 0x0011
WM_ENDSESSION = 0x0016
WM_DESTROY = 0x0002
ENDSESSION_LOGOFF = 0x80000000
BLOCK_REASON = "Logging out of WhatsApp Web"
CLASS_NAME = "kioskguardSessionEnd"
END_GRACE_S = 2.0

_callback_factory: Any = getattr(ctypes, "WINFUNCTYPE", ctypes.CFUNCTYPE)
WNDPROC = _callback_factory(
    ctypes.c_ssize_t, ctypes.c_void_p, ctypes.c_uint, ctypes.c_size_t, ctypes.c_ssize_t
)


class WNDCLASSEXW(ctypes.Structure):
    _fields_ = [
        ("cbSize", ctypes.c_uint),
        ("style", ctypes.c_uint),
        ("lpfnWndProc", WNDPROC),
        ("cbClsExtra", ctypes.c_int),
        ("cbWndExtra", ctypes.c_int),
        ("hInstance", ctypes.c_void_p),
        ("hIcon", ctypes.c_void_p),
        ("hCursor", ctypes.c_void_p),
        ("hbrBackground", ctypes.c_void_p),
        ("lpszMenuName", ctypes.c_wchar_p),
        ("lpszClassName", ctypes.c_wchar_p),
        ("hIconSm", ctypes.c_void_p),
    ]


class MSG(ctypes.Structure):
    _fields_ = [
        ("hwnd", ctypes.c_void_p),
        ("message", ctypes.c_uint),
        ("wParam", ctypes.c_size_t),
        ("lParam", ctypes.c_ssize_t),
        ("time", ctypes.c_uint),
        ("pt_x", ctypes.c_long),
        ("pt_y", ctypes.c_long),
    ]


def _native_dlls() -> tuple[Any, Any]:
    """Return (user32, kernel32). Raise PlatformUnavailable off Windows."""
    if sys.platform != "win32":
        raise PlatformUnavailable(f"session-end messages need Windows, not {sys.platform}")
    user32 = ctypes.WinDLL("user32", use_last_error=True)  # type: ignore[attr-defined,unused-ignore]
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined,unused-ignore]
    handle, pointer, uint = ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint
    signatures: dict[str, tuple[Any, list[Any]]] = {  # 64-bit handles need explicit types
        "DefWindowProcW": (ctypes.c_ssize_t, [handle, uint, ctypes.c_size_t, ctypes.c_ssize_t]),
        "RegisterClassExW": (ctypes.c_ushort, [pointer]),
        "CreateWindowExW": (
            handle,
            [uint, ctypes.c_wchar_p, ctypes.c_wchar_p, uint]
            + [ctypes.c_int] * 4
            + [handle, handle, handle, pointer],
        ),
        "GetMessageW": (ctypes.c_int, [pointer, handle, uint, uint]),
        "TranslateMessage": (ctypes.c_int, [pointer]),
        "DispatchMessageW": (ctypes.c_ssize_t, [pointer]),
        "PostMessageW": (ctypes.c_int, [handle, uint, ctypes.c_size_t, ctypes.c_ssize_t]),
        "DestroyWindow": (ctypes.c_int, [handle]),
        "PostQuitMessage": (None, [ctypes.c_int]),
        "ShutdownBlockReasonCreate": (ctypes.c_int, [handle, ctypes.c_wchar_p]),
        "ShutdownBlockReasonDestroy": (ctypes.c_int, [handle]),
    }
    for name, (result, arguments) in signatures.items():
        function = getattr(user32, name)
        function.restype, function.argtypes = result, arguments
    kernel32.GetModuleHandleW.restype = handle
    kernel32.GetModuleHandleW.argtypes = [ctypes.c_wchar_p]
    return user32, kernel32


class SessionEndWatcher:
    """A hidden window on its own thread that turns logoff/shutdown into a daemon stop."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        daemon: Any,
        wait_s: float,
        user32: Any,
        kernel32: Any,
    ) -> None:
        self.loop = loop
        self.daemon = daemon
        self.wait_s = wait_s
        self.user32 = user32
        self.kernel32 = kernel32
        self.hwnd: int | None = None
        self.blocking = False
        self._finished = threading.Event()
        self._created = threading.Event()
        self._error: str | None = None
        self._procedure = WNDPROC(self._window_procedure)  # kept alive as long as the window
        self._thread = threading.Thread(target=self._pump, name="kioskguard-session", daemon=True)

    @classmethod
    def start(
        cls,
        loop: asyncio.AbstractEventLoop,
        daemon: Any,
        *,
        user32: Any = None,
        kernel32: Any = None,
    ) -> SessionEndWatcher:
        """Create the hidden window and start pumping its messages; return the watcher.

        The wait at WM_ENDSESSION is the daemon's logout.shutdown_deadline_s plus a grace.
        Raise PlatformUnavailable if this is not Windows (and no DLLs are given) or the window
        cannot be created.
        """
        if user32 is None or kernel32 is None:
            user32, kernel32 = _native_dlls()
        wait_s = float(daemon.settings.logout.shutdown_deadline_s) + END_GRACE_S
        watcher = cls(loop, daemon, wait_s, user32, kernel32)
        watcher._thread.start()
        watcher._created.wait(10.0)
        if watcher._error is not None or watcher.hwnd is None:
            raise PlatformUnavailable(watcher._error or "the hidden window was not created")
        logger.debug("Windows session end: watching (hidden window {})", watcher.hwnd)
        return watcher

    def finished(self) -> None:
        """Say that the daemon's final logouts are done (WM_ENDSESSION may return)."""
        self._finished.set()

    def stop(self) -> None:
        """Release a pending WM_ENDSESSION, close the window and end its thread."""
        self.finished()
        if self.hwnd is not None and self._thread.is_alive():
            self.user32.PostMessageW(self.hwnd, WM_CLOSE, 0, 0)
            self._thread.join(5.0)

    # -- the window thread ----------------------------------------------------------------

    def _pump(self) -> None:
        try:
            instance = self.kernel32.GetModuleHandleW(None)
            window_class = WNDCLASSEXW(
                cbSize=ctypes.sizeof(WNDCLASSEXW),
                lpfnWndProc=self._procedure,
                hInstance=instance,
                lpszClassName=CLASS_NAME,
            )
            if not self.user32.RegisterClassExW(ctypes.byref(window_class)):
                raise OSError("RegisterClassExW failed")
            # A top-level window that is never shown: WS_OVERLAPPED (0), no WS_VISIBLE.
            hwnd = self.user32.CreateWindowExW(
                0, CLASS_NAME, "kioskguard", 0, 0, 0, 0, 0, None, None, instance, None
            )
            if not hwnd:
                raise OSError("CreateWindowExW failed")
            self.hwnd = int(hwnd)
        except OSError as exc:
            self._error = f"cannot create the hidden window: {exc}"
            self._created.set()
            return
        self._created.set()
        message = MSG()
        while self.user32.GetMessageW(ctypes.byref(message), None, 0, 0) > 0:
            self.user32.TranslateMessage(ctypes.byref(message))
            self.user32.DispatchMessageW(ctypes.byref(message))

    def _window_procedure(self, hwnd: int, message: int, wparam: int, lparam: int) -> int:
        try:
            answer = self.handle(message, wparam, lparam)
        except Exception as exc:  # never let an exception cross into Windows' dispatcher
            logger.opt(exception=exc).error("session-end window procedure failed")
            answer = None
        if answer is not None:
            return answer
        return int(self.user32.DefWindowProcW(hwnd, message, wparam, lparam))

    def handle(self, message: int, wparam: int, lparam: int) -> int | None:
        """Given a window message, act on it; return its answer, None for the default."""
        if message == WM_QUERYENDSESSION:
            trigger = Trigger.LOGOFF if lparam & ENDSESSION_LOGOFF else Trigger.SHUTDOWN
            if not self.blocking:
                self.blocking = bool(self.user32.ShutdownBlockReasonCreate(self.hwnd, BLOCK_REASON))
            logger.info("Windows asks to end the session ({}): logging out", trigger.value)
            self.loop.call_soon_threadsafe(self.daemon.request_stop, trigger)
            return 1
        if message == WM_ENDSESSION:
            if wparam:  # the session ends now: hold the process until the logout is done
                if not self._finished.wait(self.wait_s):
                    logger.warning("session end: the logout did not finish in {:g} s", self.wait_s)
            elif self.blocking:
                logger.info("the session end was cancelled")
            self._release_block()
            return 0
        if message == WM_CLOSE:
            self._release_block()
            self.user32.DestroyWindow(self.hwnd)
            return 0
        if message == WM_DESTROY:
            self.user32.PostQuitMessage(0)
            return 0
        return None

    def _release_block(self) -> None:
        if self.blocking:
            self.user32.ShutdownBlockReasonDestroy(self.hwnd)
            self.blocking = False

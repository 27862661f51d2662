"""Fake user32/kernel32 for the Windows session-end window: a message queue and a call log.

GetMessageW blocks on the queue; DispatchMessageW calls the registered window procedure
through its ctypes callback, as Windows would; every other call is recorded in ``calls``.
"""

from __future__ import annotations

import ctypes
import queue
from typing import Any

from agent.platform.windows_session import MSG, WM_DESTROY, WNDCLASSEXW

HWND = 0x1234
_QUIT = -1


class FakeUser32:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.answers: list[tuple[int, int]] = []  # (message, what the window procedure answered)
        self.messages: queue.Queue[tuple[int, int, int]] = queue.Queue()
        self.procedure: Any = None

    def post(self, message: int, wparam: int = 0, lparam: int = 0) -> None:
        """Send a message to the window, as Windows does at logoff or shutdown."""
        self.messages.put((message, wparam, lparam))

    def RegisterClassExW(self, reference: Any) -> int:
        window_class = ctypes.cast(reference, ctypes.POINTER(WNDCLASSEXW)).contents
        self.procedure = window_class.lpfnWndProc
        self.calls.append(("RegisterClassExW", window_class.lpszClassName))
        return 1

    def CreateWindowExW(self, *arguments: Any) -> int:
        self.calls.append(("CreateWindowExW", arguments[1], arguments[3]))
        return HWND

    def GetMessageW(self, reference: Any, *_: Any) -> int:
        message, wparam, lparam = self.messages.get()
        if message == _QUIT:
            return 0
        target = ctypes.cast(reference, ctypes.POINTER(MSG)).contents
        target.hwnd, target.message, target.wParam, target.lParam = HWND, message, wparam, lparam
        return 1

    def TranslateMessage(self, reference: Any) -> int:
        return 0

    def DispatchMessageW(self, reference: Any) -> int:
        message = ctypes.cast(reference, ctypes.POINTER(MSG)).contents
        answer = int(self.procedure(message.hwnd, message.message, message.wParam, message.lParam))
        self.answers.append((message.message, answer))
        return answer

    def DefWindowProcW(self, *arguments: Any) -> int:
        self.calls.append(("DefWindowProcW", arguments[1]))
        return 0

    def PostMessageW(self, hwnd: int, message: int, wparam: int, lparam: int) -> int:
        self.post(message, wparam, lparam)
        return 1

    def DestroyWindow(self, hwnd: int) -> int:
        self.calls.append(("DestroyWindow", hwnd))
        self.post(WM_DESTROY)
        return 1

    def PostQuitMessage(self, code: int) -> None:
        self.calls.append(("PostQuitMessage", code))
        self.post(_QUIT)

    def ShutdownBlockReasonCreate(self, hwnd: int, reason: str) -> int:
        self.calls.append(("ShutdownBlockReasonCreate", hwnd, reason))
        return 1

    def ShutdownBlockReasonDestroy(self, hwnd: int) -> int:
        self.calls.append(("ShutdownBlockReasonDestroy", hwnd))
        return 1


class FakeKernel32:
    def GetModuleHandleW(self, name: Any) -> int:
        return 0x400000

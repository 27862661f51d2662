"""The agent's own countdown banner in the client's tab, and page input as an idle signal."""

from __future__ import annotations

from agent.errors import DriverError
from agent.session.labels import WARNING_TEXTS
from agent.session.pagestate import PageLike

_COUNTDOWN = """
async ({seconds, texts}) => {
  const lang = document.documentElement.lang || navigator.language || "en";
  const text = texts[lang] || texts[lang.split("-")[0]] || texts.en;
  document.getElementById("kioskguard-warning")?.remove();
  const banner = document.createElement("div");
  banner.id = "kioskguard-warning";
  banner.setAttribute("role", "alert");
  banner.style.cssText = "position:fixed;top:0;left:0;right:0;z-index:2147483647;padding:18px;" +
    "background:#ffd54f;color:#111;font:600 20px/1.4 sans-serif;text-align:center;" +
    "box-shadow:0 2px 8px rgba(0,0,0,.3)";
  document.body.appendChild(banner);
  return await new Promise((resolve) => {
    let left = seconds;
    const render = () => { banner.textContent = text.replace("{seconds}", String(left)); };
    const events = ["pointerdown", "keydown", "wheel", "touchstart", "mousemove", "pointermove"];
    const onInput = (event) => {
      // Chromium sends synthetic moves when layout changes under a still cursor: ignore those.
      if (event.type.endsWith("move") && !event.movementX && !event.movementY) return;
      finish("cancelled");
    };
    const tick = () => { left -= 1; if (left <= 0) finish("completed"); else render(); };
    const timer = setInterval(tick, 1000);
    function finish(result) {
      clearInterval(timer);
      for (const name of events) removeEventListener(name, onInput, true);
      banner.remove();
      resolve(result);
    }
    for (const name of events) addEventListener(name, onInput, true);
    render();
  });
}
"""

_INPUT_IDLE = """
() => {
  if (window.__kioskguardLastInput === undefined) {
    window.__kioskguardLastInput = null;
    const record = (event) => {
      if (event.type.endsWith("move") && !event.movementX && !event.movementY) return;
      window.__kioskguardLastInput = Date.now();
    };
    for (const name of ["pointerdown", "keydown", "wheel", "touchstart", "mousemove"]) {
      addEventListener(name, record, true);
    }
    window.__kioskguardWatchingSince = Date.now();
    return null;
  }
  const since = window.__kioskguardLastInput ?? window.__kioskguardWatchingSince;
  return (Date.now() - since) / 1000;
}
"""


async def show_countdown(tab: PageLike, seconds: int) -> str:
    """Show the countdown banner; return "completed", "cancelled", or "unavailable"."""
    try:
        result = await tab.evaluate(_COUNTDOWN, {"seconds": seconds, "texts": WARNING_TEXTS})
    except DriverError:
        return "unavailable"
    return result if result in ("completed", "cancelled") else "unavailable"


async def input_idle_seconds(tab: PageLike) -> float | None:
    """Return seconds since the last input in the tab (None the first time: watching starts)."""
    try:
        value = await tab.evaluate(_INPUT_IDLE)
    except DriverError:
        return None
    return float(value) if isinstance(value, int | float) else None

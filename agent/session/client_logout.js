// The client's own logout: Socket.logout() (what its confirm button calls), then a bounded wait
// for its Cmd "logout" event. Every module is optional; the answer says what was there. The page
// may reload before the answer comes back (the caller then reads the new page).
// Argument: {waitMs}. Returns {available, called, cmd, event, reason}.
async (arg) => {
  const out = { available: false, called: false, cmd: false, event: false, reason: "" };
  const require = typeof window.require === "function" ? window.require : null;
  if (!require) { out.reason = "no require"; return out; }
  let socket = null;
  try { socket = require("WAWebSocketModel").Socket; } catch (error) {
    out.reason = "WAWebSocketModel: " + String(error && error.message || error).slice(0, 120);
    return out;
  }
  if (!socket || typeof socket.logout !== "function") {
    out.reason = "no Socket.logout";
    return out;
  }
  out.available = true;
  let cmd = null;
  try { cmd = require("WAWebCmd").Cmd; } catch { cmd = null; }
  let fired = () => undefined;
  const event = new Promise((resolve) => { fired = resolve; });
  if (cmd && (typeof cmd.once === "function" || typeof cmd.on === "function")) {
    try {
      (typeof cmd.once === "function" ? cmd.once : cmd.on).call(cmd, "logout", () => fired(true));
      out.cmd = true;
    } catch { out.cmd = false; }
  }
  try {
    const answer = socket.logout();
    if (answer && typeof answer.then === "function") answer.catch(() => undefined);
    out.called = true;
  } catch (error) {
    out.reason = "Socket.logout threw: " + String(error && error.message || error).slice(0, 120);
    return out;
  }
  if (out.cmd) {
    const timeout = new Promise((resolve) => setTimeout(() => resolve(false), arg.waitMs));
    out.event = await Promise.race([event, timeout]);
  }
  return out;
}

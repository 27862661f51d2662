// The screen shown: QR, chats, loading, another session or conflict.
const rendered = () =>
  Boolean(document.body && fold(document.body.innerText)) &&
  all('button, [role="button"], [tabindex], svg').filter(outsideConversation).length > 0;
const qr =
  first("div[data-ref] canvas") ||
  all("canvas[aria-label]").find((canvas) => has("qr", fold(canvas.getAttribute("aria-label")))) ||
  (!chatList &&
    all("canvas").find((canvas) => {
      const rect = canvas.getBoundingClientRect();
      return rect.width >= 120 && Math.abs(rect.width - rect.height) < 8;
    })) ||
  null;
const progress = first("progress") || first('[role="progressbar"]');
const socket = client.socket;
const socketSays = !socket ? null
  : ["UNPAIRED", "UNPAIRED_IDLE"].includes(socket) ? "qr"
  : ["OPENING", "PAIRING", "CONNECTING", "RESUMING", "SYNCING", "LOGGING_OUT"].includes(socket) ? "loading"
  : ["CONNECTED", "NORMAL"].includes(socket) ? "chats"
  : socket === "CONFLICT" ? "conflict"
  : null;

if (qr) {
  result.state = new URLSearchParams(location.search).has("post_logout") ? "logged_out" : "qr";
} else if (chatList || first("#side") || first('[data-navbar-item="true"]')) {
  result.state = "chats";
  const region = side || document.body;
  if (has("offline", fold(region.innerText)) || first('[data-icon="alert-computer"]', region)) {
    result.state = "offline";
    result.offline = true;
  }
} else if (progress) {
  result.state = "loading";
} else {
  const keys = arg.linkedKeys || [];
  let linked = false;
  try {
    linked = keys.length > 0 && keys.every((key) => localStorage.getItem(key) !== null);
  } catch { /* storage not readable: not linked as far as the reader knows */ }
  const bodyText = fold(document.body ? document.body.innerText : "");
  const landing = all('button, [role="button"]')
    .filter(outsideConversation)
    .filter((button) => !button.parentElement.closest('button, [role="button"]'));
  const named = landing.map((button) => ({ button, name: nameOf(button) }));
  // A Use here button whose text says the client is already connecting is not clicked again.
  const connecting = named.some(({ button }) => has("connecting", fold(button.innerText)));
  const useHere = connecting ? null :
    named.find(({ name }) => has("use_here", name))?.button ||
    (landing.length >= 2 && landing.length <= 3 ? landing[landing.length - 1] : null);
  if (useHere) {
    const conflictLogout = named.find(
      ({ button, name }) => button !== useHere && matches("logout", name, client.logout ? [client.logout] : []).length > 0 && !isDecoy(name),
    )?.button;
    const conflict = has("conflict", bodyText) || Boolean(conflictLogout) || socket === "CONFLICT";
    result.state = conflict ? "conflict" : "another_session";
    result.use_here = mark(useHere, "use-here");
    if (conflictLogout) result.conflict_logout = mark(conflictLogout, "conflict-logout");
  } else if (socketSays) {
    result.state = socketSays;
  } else if (linked && rendered()) {
    // Structure: the session keys are stored, no QR, no progress, no landing, and the app has
    // rendered controls: a chats screen the words did not name. Only openers with evidence
    // (names, icons, header position) are clicked on it.
    result.state = "chats";
  }
}

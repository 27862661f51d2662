// Reads the client's page in one round trip and marks the controls the agent may click.
// Argument: {labels: {concept: [strings]}, logoutText: string|null, expectConfirm: bool}.
// Returns a plain object (see agent/session/pagestate.py). Marked elements carry
// data-kioskguard="<name>" so the agent clicks them with real input events.
// Order of evidence: ids, roles, icons and structure first; words only to pick among them;
// data-testid as an extra hint, never alone.
(arg) => {
  const labels = arg.labels;
  const norm = (text) => (text || "").replace(/\s+/g, " ").trim().toLowerCase();
  const wanted = (concept) => new Set((labels[concept] || []).map(norm));
  const has = (concept, text) => wanted(concept).has(norm(text));
  const contains = (concept, text) => {
    const haystack = norm(text);
    return [...wanted(concept)].some((needle) => needle && haystack.includes(needle));
  };
  const visible = (element) => {
    if (!element || !element.isConnected) return false;
    if (element.checkVisibility) {
      return element.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
    }
    return element.getClientRects().length > 0;
  };
  const all = (selector, root = document) =>
    [...root.querySelectorAll(selector)].filter(visible);
  const first = (selector, root = document) => all(selector, root)[0] || null;
  const label = (element) =>
    norm(element.getAttribute("aria-label") || element.getAttribute("title") || element.innerText ||
      element.textContent);
  const clickable = (element) =>
    element.closest('button, [role="button"], [role="menuitem"], [role="listitem"], li, a') ||
    element;
  const reddish = (element) => {
    const match = getComputedStyle(element).color.match(/\d+/g);
    if (!match) return false;
    const [red, green, blue] = match.map(Number);
    return red > 150 && green < 110 && blue < 110;
  };
  for (const element of document.querySelectorAll("[data-kioskguard]")) {
    element.removeAttribute("data-kioskguard");
  }
  // Where a real click on the element lands, when that is certain now: inside the viewport, the
  // element itself on top at its centre, enabled, and nothing around it animating. Otherwise
  // null, and the agent lets Playwright scroll and wait until the element can take the click.
  const points = {};
  const pointOf = (element) => {
    const rect = element.getBoundingClientRect();
    if (rect.width < 1 || rect.height < 1) return null;
    const x = rect.left + rect.width / 2;
    const y = rect.top + rect.height / 2;
    if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) return null;
    const hit = document.elementFromPoint(x, y);
    if (!hit || !(hit === element || element.contains(hit))) return null;
    if (element.disabled || element.getAttribute("aria-disabled") === "true") return null;
    const moving = document.getAnimations().some((animation) => {
      const target = animation.effect && animation.effect.target;
      return animation.playState === "running" && target && target.contains(element);
    });
    return moving ? null : { x, y };
  };
  const mark = (element, name) => {
    element.setAttribute("data-kioskguard", name);
    const point = pointOf(element);
    if (point) points[name] = point;
    return name;
  };
  // A change counter the agent waits on between readings instead of polling on a timer. Our own
  // marks do not count as changes. Installed once per document; a navigation drops it.
  if (!window.__kioskguardWatch) {
    const watch = { seq: 0, waiters: [] };
    new MutationObserver((records) => {
      if (records.every((r) => r.type === "attributes" && r.attributeName === "data-kioskguard")) {
        return;
      }
      watch.seq += 1;
      watch.waiters.splice(0).forEach((wake) => wake());
    }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
    Object.defineProperty(window, "__kioskguardWatch", { value: watch });
  }
  const result = {
    seq: window.__kioskguardWatch.seq,
    points,
    state: "unknown",
    url: location.href,
    lang: document.documentElement.lang || null,
    offline: false,
    dialog: null,
    menu_open: false,
    logout_item: null,
    opener: null,
    use_here: null,
    conflict_logout: null,
    banner_close: null,
    evidence: [],
  };
  const main = document.querySelector("#main");
  const outsideMain = (element) => !main || !main.contains(element);

  // Dialogs first: they sit above every screen and intercept clicks.
  const dialog = first('[role="dialog"], [aria-modal="true"], [data-animate-modal-popup]');
  if (dialog) {
    const buttons = all('button, [role="button"]', dialog);
    const dialogText = dialog.innerText || "";
    const isConfirm =
      dialog.matches('[data-testid="confirm-popup"]') ||
      contains("confirm_title", dialogText) ||
      (arg.logoutText && buttons.some((button) => norm(button.innerText) === arg.logoutText)) ||
      buttons.some((button) => has("logout", button.innerText)) ||
      arg.expectConfirm;
    if (isConfirm) {
      let confirm =
        buttons.find((button) => button.matches('[data-testid="popup-controls-ok"]')) ||
        (arg.logoutText && buttons.find((button) => norm(button.innerText) === arg.logoutText)) ||
        buttons.find((button) => has("logout", button.innerText)) ||
        null;
      let how = confirm ? "label" : "structure";
      if (!confirm) {
        const others = buttons.filter(
          (button) =>
            !button.matches('[data-testid="popup-controls-cancel"], [data-testid="popup-controls-extra"]') &&
            !has("cancel", button.innerText) &&
            !has("lock_app", button.innerText),
        );
        confirm = others[others.length - 1] || null;
      }
      result.dialog = { kind: "confirm", confirm: confirm ? mark(confirm, "confirm") : null, how };
    } else {
      const close =
        buttons.find((button) => has("close", label(button))) ||
        (first('[data-icon="x"], [data-icon="close"]', dialog) &&
          clickable(first('[data-icon="x"], [data-icon="close"]', dialog))) ||
        buttons[buttons.length - 1] ||
        null;
      result.dialog = { kind: "modal", dismiss: close ? mark(close, "dismiss") : null };
    }
    result.evidence.push(`dialog:${result.dialog.kind}`);
  }

  const qr = first("div[data-ref] canvas") || first('canvas[aria-label*="QR" i]');
  const side = first("#side") || first("#pane-side") ||
    first('[aria-label="Chat list"], [aria-label="Lista de chats"], [aria-label="Lista de conversas"]');
  const progress = first("#app progress") || first("progress");
  const bodyText = document.body ? document.body.innerText || "" : "";

  if (qr) {
    result.state = new URLSearchParams(location.search).has("post_logout") ? "logged_out" : "qr";
    result.evidence.push("qr:canvas");
  } else if (side) {
    result.state = "chats";
    result.evidence.push(`chats:${side.id || "aria"}`);
    if (contains("offline", side.innerText) || first('[data-icon="alert-computer"]', side)) {
      result.state = "offline";
      result.offline = true;
    }
  } else if (progress) {
    result.state = "loading";
    result.evidence.push("progress");
  } else {
    const landingButtons = all('button, [role="button"]').filter(outsideMain);
    const useHere =
      landingButtons.find((button) => has("use_here", button.innerText)) ||
      (landingButtons.length >= 2 && landingButtons.length <= 3
        ? landingButtons[landingButtons.length - 1]
        : null);
    if (useHere) {
      const conflictLogout = landingButtons.find((button) => has("logout", button.innerText));
      const conflict = contains("conflict", bodyText) || Boolean(conflictLogout);
      result.state = conflict ? "conflict" : "another_session";
      result.use_here = mark(useHere, "use-here");
      if (conflictLogout) result.conflict_logout = mark(conflictLogout, "conflict-logout");
      result.evidence.push(contains("another_session", bodyText) || conflict ? "landing:text" : "landing:structure");
    }
  }

  if (result.state === "chats" || result.state === "offline") {
    // The logout item of an open menu or settings list.
    const candidates = all(
      '[data-testid="mi-logout menu-item"], [data-testid="li-logout"], #logout, ' +
        '[role="application"] li, [role="menu"] [role="menuitem"], [role="menu"] li, ' +
        '[role="menuitem"], [role="listitem"], li[role="button"], div[role="button"]',
    ).filter(outsideMain);
    const menu = first('[role="application"], [role="menu"]');
    result.menu_open = Boolean(menu) || Boolean(first("#logout"));
    let item = candidates.find((element) =>
      element.matches('[data-testid="mi-logout menu-item"], [data-testid="li-logout"], #logout'));
    let how = item ? "id" : "";
    if (!item) {
      item = candidates.find((element) => has("logout", element.innerText));
      how = item ? "label" : "";
    }
    if (!item && menu) {
      const items = all('li, [role="menuitem"], [role="button"]', menu);
      item = items.reverse().find(reddish) || null;
      how = item ? "structure:menu" : "";
    }
    if (!item) {
      const dangerous = candidates.filter((element) => element.innerText && reddish(element));
      item = dangerous[dangerous.length - 1] || null;
      how = item ? "structure:destructive" : "";
    }
    if (item) {
      item = clickable(item);
      result.logout_item = { target: mark(item, "logout-item"), text: norm(item.innerText), how };
    }
    // What opens it: the chat list's three-dot menu, else the rail's settings.
    const menuIcon = first('#side [data-icon="menu"]') ||
      all('[data-icon="menu"]').filter(outsideMain)[0];
    const settingsIcon = first('[data-icon="settings-refreshed"], [data-icon="settings"]') ||
      all('button, [role="button"]').filter(outsideMain).find((button) => has("settings", label(button))) ||
      all("svg title").find((title) => has("settings", title.textContent));
    if (menuIcon) {
      result.opener = { target: mark(clickable(menuIcon), "opener"), how: "menu" };
    } else if (settingsIcon) {
      result.opener = { target: mark(clickable(settingsIcon), "opener"), how: "settings" };
    }
    // A dismissible banner in the chat list (notifications, offline): never inside the list itself.
    const pane = document.querySelector("#pane-side");
    const bannerClose = all('#side [data-icon="x"], #side [data-icon="close"]').find(
      (icon) => !pane || !pane.contains(icon),
    );
    if (bannerClose) result.banner_close = mark(clickable(bannerClose), "banner-close");
  }
  return result;
}

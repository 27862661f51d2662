// Reads the client's page in one round trip and marks the controls the agent may click.
// Argument: {labels: {concept: [strings]}, pageLabels: {concept: [strings]}, logoutText,
// expectConfirm, baseline: "take"|"use"}. Returns a plain object (agent/session/pagestate.py).
// Marked elements carry data-kioskguard="<name>" so the agent clicks them with real input; the
// marks and the change counter stay until the agent leaves the page (pagestate.leave_page).
//
// Evidence rules (docs/reader.md): each kind is optional. Structure finds the candidates (what
// appeared after the opener was clicked, an open menu, the dialog that appeared); names (aria-
// label, title, text, nested labels; folded, containment), icons (data-icon, svg <title>), ids
// and destructive colour only choose among them. Decoys (other destructive items) are never
// chosen. When nothing singles out one control the reading says so (ambiguity) instead of
// guessing.
(arg) => {
  const labels = arg.labels || {};
  const pageLabels = arg.pageLabels || {};
  const PSEUDO = {
    "ħ": "h", "ŀ": "l", "ł": "l", "ŧ": "t", "ƈ": "c", "ƀ": "b", "đ": "d", "ø": "o", "ı": "i",
    "ɠ": "g", "ƒ": "f", "ɨ": "i", "ȼ": "c", "ɍ": "r", "ɏ": "y", "ȥ": "z", "ß": "ss", "æ": "ae",
    "œ": "oe", "ð": "d", "ʂ": "s", "ƚ": "l", "ɗ": "d", "ɓ": "b", "ƙ": "k", "ƥ": "p",
    "ɲ": "n", "ɱ": "m", "ʋ": "v", "ⱳ": "w", "ɦ": "h", "ɉ": "j", "ŉ": "n", "ĸ": "k", "ŋ": "n",
    "þ": "p",
  };
  const fold = (text) =>
    String(text || "")
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^\u0000-\u007f]/g, (ch) => PSEUDO[ch] || ch)
      .replace(/[\s\u00a0\u200b-\u200f\u202a-\u202e]+/g, " ")
      .trim();
  // Scripts written without spaces between words: containment without word boundaries.
  const unspaced = /[\u0e00-\u0e7f\u3000-\u9fff\uf900-\ufaff\uff00-\uffef]/;
  const letter = /[\p{L}\p{N}]/u;
  const containsWord = (haystack, needle) => {
    if (!needle || !haystack) return false;
    if (unspaced.test(needle)) return haystack.includes(needle);
    let from = 0;
    for (;;) {
      const at = haystack.indexOf(needle, from);
      if (at < 0) return false;
      const before = haystack[at - 1];
      const after = haystack[at + needle.length];
      if ((!before || !letter.test(before)) && (!after || !letter.test(after))) return true;
      from = at + 1;
    }
  };
  const foldedCache = {};
  const words = (concept) => {
    if (!foldedCache[concept]) {
      foldedCache[concept] = [...new Set((labels[concept] || []).map(fold).filter(Boolean))];
    }
    return foldedCache[concept];
  };
  const pageWords = new Set(Object.values(pageLabels).flat().map(fold));
  // The client's own words, read at run time (optional: any failure just leaves them out).
  const client = { logout: null, socket: null };
  const require = typeof window.require === "function" ? window.require : null;
  if (require) {
    try {
      const strings = require("WAWebSettingsFBT");
      const title = strings && typeof strings.logoutTitle === "function" && strings.logoutTitle();
      if (title !== null && title !== undefined && fold(String(title))) client.logout = fold(String(title));
    } catch (error) { /* module missing or renamed */ }
    try {
      const socket = require("WAWebSocketModel").Socket;
      if (socket && socket.state !== undefined && socket.state !== null) client.socket = String(socket.state);
    } catch (error) { /* module missing or renamed */ }
  }
  const logoutWords = () => (client.logout ? [client.logout, ...words("logout")] : words("logout"));
  // Which words of a concept a folded name holds: [] when none.
  const matches = (concept, name, extra) => {
    const list = extra ? [...extra, ...words(concept)] : words(concept);
    return list.filter((needle) => containsWord(name, needle));
  };
  const has = (concept, name) => matches(concept, name).length > 0;

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
  // Accessible name: aria-label, title, aria-labelledby, rendered text, nested labels.
  const nameOf = (element) => {
    const parts = [element.getAttribute("aria-label"), element.getAttribute("title")];
    const labelledBy = element.getAttribute("aria-labelledby");
    if (labelledBy) {
      for (const id of labelledBy.split(/\s+/)) {
        const target = document.getElementById(id);
        if (target) parts.push(target.textContent);
      }
    }
    parts.push(element.innerText);
    for (const inner of [...element.querySelectorAll("[aria-label], [title]")].slice(0, 6)) {
      if (inner.closest("svg")) continue;
      parts.push(inner.getAttribute("aria-label"), inner.getAttribute("title"));
    }
    return [...new Set(parts.map(fold).filter(Boolean))].join(" | ");
  };
  // Icon names: data-icon on the element or inside it, svg <title> texts inside it.
  const iconsOf = (element) => {
    const names = [];
    if (element.getAttribute("data-icon")) names.push(element.getAttribute("data-icon"));
    for (const inner of [...element.querySelectorAll("[data-icon]")].slice(0, 6)) {
      names.push(inner.getAttribute("data-icon"));
    }
    for (const title of [...element.querySelectorAll("svg title")].slice(0, 6)) {
      names.push(title.textContent);
    }
    return names.map(fold);
  };
  const FAMILIES = {
    menu: /(^|[-_ ])(menu|more|kebab|overflow)([-_ ]|$)/,
    settings: /(^|[-_ ])(settings?|cog|gear)([-_ ]|$)/,
    logout: /(^|[-_ ])(logout|log-out|exit|signout|sign-out)([-_ ]|$)/,
    close: /(^|[-_ ])(x|close|dismiss)([-_ ]|$)/,
  };
  const iconIs = (family, element) => iconsOf(element).some((name) => FAMILIES[family].test(name));
  const rgb = (value) => {
    const match = (value || "").match(/[\d.]+/g);
    if (!match || match.length < 3) return null;
    const [red, green, blue, alpha] = match.map(Number);
    return alpha === 0 ? null : [red, green, blue];
  };
  const isRed = (value) => {
    const colour = rgb(value);
    // the client's "critical" red in light (#ea0038) and dark (#f15c6d) themes; not orange
    return Boolean(colour) && colour[0] > 150 && colour[1] < 130 && colour[2] < 140 &&
      colour[0] - Math.max(colour[1], colour[2]) > 80;
  };
  // Destructive style: a red text, icon or background on the element or its descendants.
  const destructive = (element) => {
    for (const node of [element, ...[...element.querySelectorAll("*")].slice(0, 40)]) {
      const style = getComputedStyle(node);
      if (isRed(style.color) && (node === element || node.textContent.trim() || node.closest("svg"))) return true;
      if (isRed(style.backgroundColor)) return true;
      if (node instanceof SVGElement && (isRed(style.fill) || isRed(style.stroke))) return true;
    }
    return false;
  };
  const INTERACTIVE =
    'button, a[href], [role="button"], [role="menuitem"], [role="menuitemradio"], ' +
    '[role="option"], [role="listitem"], [role="link"], [role="tab"], li, [tabindex]';
  const pointer = (element) => getComputedStyle(element).cursor === "pointer";
  const isTarget = (element) =>
    element.matches(INTERACTIVE) ||
    (pointer(element) && !(element.parentElement && pointer(element.parentElement)));
  const clickable = (element) => {
    const interactive = element.closest(INTERACTIVE);
    if (interactive) return interactive;
    let top = null;
    for (let node = element; node && node !== document.body; node = node.parentElement) {
      if (pointer(node)) top = node;
      else if (top) break;
    }
    return top || element;
  };
  const IDS = '#logout, [data-testid="li-logout"], [data-testid="mi-logout menu-item"]';

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
    const watch = { seq: 0, waiters: [], baseline: null, observer: null };
    watch.observer = new MutationObserver((records) => {
      if (records.every((r) => r.type === "attributes" && r.attributeName === "data-kioskguard")) {
        return;
      }
      watch.seq += 1;
      watch.waiters.splice(0).forEach((wake) => wake());
    });
    watch.observer.observe(document, {
      subtree: true, childList: true, attributes: true, characterData: true,
    });
    // configurable: the agent deletes it when it is done with the page (pagestate.LEAVE_SCRIPT)
    Object.defineProperty(window, "__kioskguardWatch", { value: watch, configurable: true });
  }
  const watch = window.__kioskguardWatch;
  // Structure: the elements present before the opener was clicked; what is not among them
  // appeared since.
  let baseline = "taken";
  let before = null;
  if (arg.baseline === "use" && watch.baseline) {
    before = watch.baseline;
    baseline = "used";
  } else {
    if (arg.baseline === "use") baseline = "missing";
    // visible elements only: a menu kept in the page but hidden until opened counts as new
    watch.baseline = new WeakSet([...document.querySelectorAll("body *")].filter(visible));
  }
  const isNew = (element) => Boolean(before) && !before.has(element);

  const result = {
    seq: watch.seq,
    points,
    state: "unknown",
    url: location.href,
    lang: (document.documentElement && document.documentElement.lang) || null,
    offline: false,
    dialog: null,
    new_items: 0,
    logout_item: null,
    opener: null,
    openers: [],
    use_here: null,
    conflict_logout: null,
    banner_close: null,
    ambiguity: null,
    baseline,
    socket: client.socket,
  };
  const chatList =
    first("#pane-side") ||
    all('[role="grid"], [role="list"], [aria-label], [title]').find((element) =>
      [element.getAttribute("aria-label"), element.getAttribute("title")].some(
        (label) => label && has("chat_list", fold(label)),
      ),
    ) ||
    all('[role="grid"]').find((grid) => grid.querySelector('[role="row"]')) ||
    // rows that can be selected, whatever their roles: the list of chats
    all("[aria-rowcount]")[0] ||
    [...new Set(all("[aria-selected]").map((row) => row.parentElement))].find(
      (list) => list && [...list.children].filter((row) => row.hasAttribute("aria-selected")).length >= 2,
    ) ||
    null;
  const side = first("#side") || (chatList && chatList.closest("#side")) || chatList;
  // The open conversation: #main, else the region around the message composer that does not
  // hold the chat list. Nothing in it is ever a logout control.
  let conversation = document.querySelector("#main");
  if (!conversation) {
    const composer = first('footer [contenteditable="true"], [contenteditable="true"][data-tab="10"]');
    if (composer && chatList) {
      let node = composer;
      while (node.parentElement && !node.parentElement.contains(chatList)) node = node.parentElement;
      conversation = node;
    }
  }
  const outsideConversation = (element) => !conversation || !conversation.contains(element);
  const isDecoy = (name) =>
    has("decoy", name) && !name.split(" | ").some((part) => logoutWords().includes(part));

  // Dialogs first: they sit above every screen and intercept clicks.
  const dialogs = all('[role="dialog"], [role="alertdialog"], [aria-modal="true"], [data-animate-modal-popup], dialog[open]');
  const dialog = dialogs.find((element) => !dialogs.some((other) => other !== element && other.contains(element))) || null;
  if (dialog) {
    const inner = all("*", dialog).filter(isTarget);
    const buttons = inner.filter((button) => !inner.some((other) => other !== button && other.contains(button)));
    const named = buttons.map((button) => ({ button, name: nameOf(button) }));
    const remembered = arg.logoutText ? fold(arg.logoutText) : null;
    const isLogoutButton = ({ name }) =>
      matches("logout", name, client.logout ? [client.logout] : []).length > 0 ||
      (remembered && (name === remembered || containsWord(name, remembered)));
    const dialogText = fold(dialog.innerText);
    const isConfirm =
      dialog.matches('[data-testid="confirm-popup"]') ||
      Boolean(dialog.querySelector('[data-testid="popup-controls-ok"]')) ||
      has("confirm_title", dialogText) ||
      named.some(isLogoutButton) ||
      arg.expectConfirm;
    if (isConfirm) {
      const others = named.filter(
        ({ button, name }) =>
          !button.matches('[data-testid="popup-controls-cancel"], [data-testid="popup-controls-extra"]') &&
          !has("cancel", name) && !has("lock_app", name) && !iconIs("close", button) &&
          !(isDecoy(name) && !isLogoutButton({ name })),
      );
      let confirm = null;
      let how = "";
      const byId = others.find(({ button }) => button.matches('[data-testid="popup-controls-ok"]'));
      const byWords = others.filter(isLogoutButton);
      const red = others.filter(({ button }) => destructive(button));
      if (byId) [confirm, how] = [byId.button, "id"];
      else if (byWords.length === 1) [confirm, how] = [byWords[0].button, "words"];
      else if (byWords.length > 1 && byWords.filter(({ button }) => destructive(button)).length === 1) {
        [confirm, how] = [byWords.find(({ button }) => destructive(button)).button, "words+destructive"];
      } else if (red.length === 1) [confirm, how] = [red[0].button, "destructive"];
      else if (others.length === 1 && arg.expectConfirm) [confirm, how] = [others[0].button, "structure:only"];
      else if (others.length > 1 && arg.expectConfirm && !byWords.length && !red.length) {
        [confirm, how] = [others[others.length - 1].button, "structure:last"];
      }
      if (!confirm) result.ambiguity = `confirm: ${others.length} buttons, none singled out`;
      result.dialog = { kind: "confirm", confirm: confirm ? mark(confirm, "confirm") : null, how };
    } else {
      // A modal's dismiss control is singled out by evidence, never by position: close/OK
      // words, a close icon, the dialog's only button, the one primary-styled button. A button
      // that reads like a way elsewhere ("Learn more", "Update") or a destructive one never is.
      const safe = named.filter(({ name }) => !isDecoy(name) && !has("not_dismiss", name));
      const filled = (button) => {
        if (destructive(button)) return false;
        const colour = rgb(getComputedStyle(button).backgroundColor);
        // a coloured fill (the client's green), not a grey or white default
        return Boolean(colour) && Math.max(...colour) - Math.min(...colour) > 40;
      };
      const byWords = safe.filter(({ name }) => has("close", name));
      const byIcon = safe.filter(({ button }) => iconIs("close", button));
      const primary = named.filter(({ button }) => filled(button));
      let close = null;
      let how = "";
      // several buttons that all read as dismiss ("x" Close and OK): each closes it; prefer
      // the one whose icon agrees, else the first
      const wordsAndIcon = byWords.filter(({ button }) => iconIs("close", button));
      if (byWords.length === 1) [close, how] = [byWords[0].button, "words"];
      else if (wordsAndIcon.length >= 1) [close, how] = [wordsAndIcon[0].button, "words+icon"];
      else if (byWords.length > 1) [close, how] = [byWords[0].button, "words"];
      else if (byIcon.length === 1) [close, how] = [byIcon[0].button, "icon"];
      else if (named.length === 1 && safe.length === 1) [close, how] = [safe[0].button, "structure:only"];
      else if (primary.length === 1 && safe.includes(primary[0])) [close, how] = [primary[0].button, "primary"];
      if (!close) result.ambiguity = `modal: ${named.length} buttons, no dismiss singled out`;
      result.dialog = { kind: "modal", dismiss: close ? mark(close, "dismiss") : null, how };
    }
  }

  // The app has rendered something a person can use: text and at least one control.
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
    } catch (error) { /* storage not readable: not linked as far as the reader knows */ }
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

  if (result.state === "chats" || result.state === "offline") {
    const inDialog = (element) => dialogs.some((d) => d.contains(element));
    // Candidates for the logout item: what appeared since the opener was clicked, items of an
    // open menu, or an element carrying the item's id.
    const fresh = before
      ? [...document.querySelectorAll("body *")].filter((element) => isNew(element) && visible(element))
      : [];
    // An element with its own name (title, aria-label) inside what appeared is an item even
    // without role, tabindex or pointer (icon-only menu items named only by title).
    // (a named wrapper around real controls is not an item: its controls are)
    const ownName = (element) =>
      !(element instanceof SVGElement) && !element.querySelector(INTERACTIVE) &&
      Boolean(fold(element.getAttribute("title")) || fold(element.getAttribute("aria-label")));
    let pool = fresh.filter((element) => isTarget(element) || ownName(element));
    // A list whose rows carry no click evidence: the rows of the new element with most rows.
    let list = null;
    let rows = 0;
    for (const element of fresh) {
      const count = [...element.children].filter((child) => visible(child) && (child.innerText || "").trim()).length;
      if (count >= 3 && count >= rows) [list, rows] = [element, count];
    }
    if (list) pool.push(...[...list.children].filter((child) => visible(child) && (child.innerText || "").trim()));
    // (a menu never holds the chat list: a whole app marked role=application is no menu)
    const menus = all('[role="menu"], [role="application"], [role="listbox"]')
      .filter(outsideConversation)
      .filter((menu) => !(chatList && menu.contains(chatList)));
    for (const menu of menus) pool.push(...all('[role="menuitem"], [role="option"], li, button, [role="button"]', menu));
    pool.push(...all(IDS));
    pool = [...new Set(pool)].filter(
      (element) => outsideConversation(element) && !inDialog(element) &&
        !(chatList && chatList.contains(element)),
    );
    // Keep the outermost control of each item; a wrapper holding several items is a list.
    const wrappers = new Set(pool.filter((element) => pool.filter((other) => other !== element && element.contains(other)).length >= 2));
    pool = pool.filter((element) => !wrappers.has(element));
    pool = pool.filter((element) => !pool.some((other) => other !== element && other.contains(element)));
    result.new_items = fresh.length ? pool.length : 0;
    const scored = pool.map((element) => {
      const name = nameOf(element);
      const evidence = [];
      let score = 0;
      if (element.matches(IDS) || element.querySelector(IDS)) { score += 3; evidence.push("id"); }
      if (client.logout && containsWord(name, client.logout)) { score += 3; evidence.push("words:client"); }
      const tableWords = matches("logout", name);
      if (tableWords.length) {
        score += 2 + (tableWords.some((word) => pageWords.has(word)) ? 1 : 0);
        evidence.push("words");
      }
      if (iconIs("logout", element)) { score += 2; evidence.push("icon"); }
      const red = destructive(element);
      if (red) { score += 1; evidence.push("destructive"); }
      const exact = name.split(" | ").some((part) => logoutWords().includes(part));
      return { element, name, evidence, score, red, exact, decoy: isDecoy(name) };
    });
    const safe = scored.filter((entry) => !entry.decoy);
    const strong = safe.filter((entry) => entry.score >= 2);
    let pick = null;
    if (strong.length) {
      const best = Math.max(...strong.map((entry) => entry.score));
      let top = strong.filter((entry) => entry.score === best);
      if (top.length > 1 && top.filter((entry) => entry.exact).length === 1) top = top.filter((entry) => entry.exact);
      if (top.length === 1) pick = top[0];
      else result.ambiguity = `logout item: ${top.length} candidates with the same evidence (${top[0].evidence.join("+")})`;
    } else if (safe.some((entry) => entry.red)) {
      // Colour alone never picks an item: a red item nothing else names may be an account or
      // chat deletion in a language without a table (the red team's "Funga akaunti yako").
      const red = safe.filter((entry) => entry.red);
      result.ambiguity = `logout item: ${red.length} destructive candidate(s) and no name, icon or id to confirm one`;
    } else if (fresh.length && pool.length) {
      result.ambiguity = `logout item: none of ${pool.length} new items carries evidence`;
    }
    if (pick) {
      const target = clickable(pick.element);
      result.logout_item = {
        target: mark(target, "logout-item"),
        text: pick.name.split(" | ")[0],
        how: pick.evidence.join("+"),
      };
    }
    // What opens it: the chat list's menu ("more") button, else the settings entry.
    const controls = all('button, [role="button"], [tabindex], [data-icon], svg')
      .filter(outsideConversation)
      .filter((element) => !inDialog(element) && !pool.includes(element))
      .filter((element) => !(chatList && chatList.contains(element)))
      .map(clickable);
    const targets = [...new Set(controls)].filter((element) => element !== document.body && element !== document.documentElement);
    const choose = (family, concept) => {
      const found = targets
        .map((element) => {
          const name = nameOf(element);
          const evidence = [];
          if (iconIs(family, element)) evidence.push(`icon:${family}`);
          if (has(concept, name)) evidence.push("words");
          if (family === "menu" && element.getAttribute("aria-haspopup") && evidence.length) evidence.push("haspopup");
          if (family === "settings" && element.getAttribute("data-navbar-item") && evidence.length) evidence.push("rail");
          return { element, evidence, decoy: isDecoy(name) };
        })
        .filter((entry) => entry.evidence.length && !entry.decoy)
        // an element whose only evidence is a descendant already listed is the same control
        .filter((entry, index, list) => !list.some((other) => other !== entry && entry.element.contains(other.element)));
      if (!found.length) return null;
      const best = Math.max(...found.map((entry) => entry.evidence.length));
      const top = found.filter((entry) => entry.evidence.length === best);
      // Several equal candidates: the one in the chat list's own header (before the list).
      if (top.length > 1 && side) {
        const own = top.filter((entry) => side.contains(entry.element) || (side.parentElement && side.parentElement.contains(entry.element)));
        if (own.length === 1) return own[0];
      }
      if (top.length > 1) {
        return null;
      }
      return top[0];
    };
    for (const [family, concept] of [["menu", "menu"], ["settings", "settings"]]) {
      const found = choose(family, concept);
      if (found) {
        const name = mark(found.element, `opener-${family}`);
        result.openers.push({ target: name, how: family, evidence: found.evidence.join("+") });
      }
    }
    if (!result.openers.length) {
      // Structure: the header's last unnamed icon control (where the client keeps its menu),
      // before the chat list in its container, else inside a <header> or the top band.
      const container = chatList ? chatList.parentElement && chatList.parentElement.parentElement : null;
      const inHeader = (element) => {
        if (container) {
          return container.contains(element) &&
            Boolean(element.compareDocumentPosition(chatList) & Node.DOCUMENT_POSITION_FOLLOWING);
        }
        return Boolean(element.closest("header")) || element.getBoundingClientRect().bottom <= 80;
      };
      const icons = targets.filter(
        (element) => isTarget(element) && !(element instanceof SVGElement) &&
          Boolean(element.querySelector("svg, [data-icon]")) &&
          !fold(element.innerText) && !isDecoy(nameOf(element)) && !has("close", nameOf(element)) &&
          inHeader(element),
      ).filter((element, _, list) => !list.some((other) => other !== element && element.contains(other)));
      if (icons.length && icons.length <= 4) {
        const name = mark(icons[icons.length - 1], "opener-menu");
        result.openers.push({ target: name, how: "menu", evidence: "structure:header" });
      }
    }
    result.opener = result.openers[0] || null;
    // A dismissible banner in the chat list (notifications, offline): never inside the list itself.
    const pane = document.querySelector("#pane-side");
    const bannerClose = all('#side [data-icon="x"], #side [data-icon="close"]').find(
      (icon) => !pane || !pane.contains(icon),
    );
    if (bannerClose) result.banner_close = mark(clickable(bannerClose), "banner-close");
  }
  return result;
}

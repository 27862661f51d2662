"use strict";
// The simulated WhatsApp Web client. Screens: startup, qr, chats, another_session, conflict,
// logout. Every visible string and aria-label comes from the server's table for the locale.
// The markup follows state.config.generation (chats.js); every screen goes through present()
// (mutate.js) before it is shown; the client's own modules are in client.js.
const OVERRIDES_KEY = "kioskguard-simulator-overrides";
const QR_SIZE = 264;
const QR_BORDER = 2;
const UNPAIR_TIMEOUT_MS = 3000;

const state = {
  config: null, strings: null, socket: null, screen: "startup", qr: null, hasSession: false,
  startupDone: false, afterStartup: null, openChatId: null, panel: "chats",
  whatsNewClosed: false, bannerClosed: false, toastShown: false, sent: {},
};

const t = (key) => state.strings[key];
const generation = () => state.config.generation;
const isWds = () => generation() === "wds-2026";
const isClassic = () => generation().startsWith("classic");
// classic-2021 renders its test ids; the later builds strip them (testids=true puts them back).
const testid = (value) => (generation() === "classic-2021" || state.config.testids ? value : null);
// wds-2026 renders no ids at all.
const idOf = (value) => (isWds() ? null : value);
const sleep = (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds));

function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) {
      // Kept so that the mutator can move a control's handlers to a new element type.
      element.addEventListener(name.slice(2), value);
      (element.simHandlers = element.simHandlers || []).push([name.slice(2), value]);
    }
    else if (name === "class") element.className = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

function button(label, iconName, onclick, extra) {
  return h("div", { role: "button", tabindex: "0", "aria-label": label, title: label,
    class: "icon-button", onclick, ...(extra || {}) }, iconName ? icon(iconName) : null);
}

function setApp(...children) {
  const app = document.getElementById("app");
  const shown = children.filter((child) => child).map((child) => present(child, state.screen));
  app.replaceChildren(...shown);
}

// ---- query-string overrides, kept for the tab in sessionStorage ----
function overridesQuery() {
  const params = new URLSearchParams(location.search);
  params.delete("post_logout");
  if ([...params.keys()].length > 0) sessionStorage.setItem(OVERRIDES_KEY, params.toString());
  return sessionStorage.getItem(OVERRIDES_KEY) || "";
}

// ---- screens ----
function showStartup() {
  state.screen = "startup";
  setSocketState("OPENING");
  const progress = h("progress", { value: "0", max: "100" });
  const timer = setInterval(() => {
    if (state.screen !== "startup") return clearInterval(timer);
    progress.value = Math.min(95, progress.value + 7);
  }, 60);
  setApp(h("div", { class: "startup" },
    h("div", { class: "startup-logo" }, icon("wa-logo")), progress,
    h("div", { class: "startup-title" }, state.strings ? t("app_name") : "WhatsApp"),
    state.strings ? h("div", { class: "startup-note" }, icon("lock"), t("encrypted")) : null));
}

function showError(message) {
  state.screen = "error";
  setSocketState("UNLAUNCHED");
  setApp(h("div", { class: "startup" }, h("div", { class: "error-text", role: "alert" }, message)));
}

function drawQr(canvas, rows) {
  const context = canvas.getContext("2d");
  const modules = rows.length + 2 * QR_BORDER;
  const scale = Math.floor(QR_SIZE / modules);
  const offset = Math.floor((QR_SIZE - scale * rows.length) / 2);
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, QR_SIZE, QR_SIZE);
  context.fillStyle = "#122e31";
  rows.forEach((row, y) => {
    for (let x = 0; x < row.length; x += 1) {
      if (row[x] === "1") context.fillRect(offset + x * scale, offset + y * scale, scale, scale);
    }
  });
}

function qrBlock() {
  setSocketState(state.qr ? "UNPAIRED" : "UNPAIRED_IDLE");
  if (!state.qr) return h("div", { class: "qr-wrapper" }, h("div", { class: "spinner" }));
  // Before August 2024 the canvas said "Scan me!".
  const label = isClassic() ? t("qr_label_old") : t("qr_label");
  const canvas = h("canvas", { "aria-label": label, role: "img", width: QR_SIZE,
    height: QR_SIZE });
  drawQr(canvas, state.qr.rows);
  return h("div", { class: "qr-wrapper" },
    h("div", { "data-ref": state.qr.ref, "data-testid": testid("qrcode") }, canvas));
}

function showQr() {
  state.screen = "qr";
  SimClient.Conn.ref = state.qr ? state.qr.ref : null;
  const steps = ["qr_step_1", "qr_step_2", "qr_step_3", "qr_step_4"];
  setApp(h("div", { class: "landing-wrapper" },
    h("div", { class: "landing-header" }, icon("wa-logo"), h("span", {}, t("app_name"))),
    h("div", { class: "landing-window" },
      h("div", { class: "landing-main" },
        h("h1", {}, t("qr_title")),
        h("ol", {}, steps.map((key) => h("li", {}, t(key)))),
        h("label", { class: "stay-logged-in" },
          h("input", { type: "checkbox", checked: true, name: "rememberMe" }),
          h("span", {}, t("stay_logged_in")))),
      qrBlock())));
}

function updateQr() {
  const wrapper = document.querySelector(".qr-wrapper");
  if (wrapper) wrapper.replaceWith(present(qrBlock(), "qr"));
}

function showLogout() {
  state.screen = "logout";
  setSocketState("LOGGING_OUT");
  setApp(h("div", { class: "startup" },
    h("div", { class: "startup-logo" }, icon("wa-logo")), h("progress", {}),
    h("div", { class: "startup-title" }, t("logging_out"))));
}

function showInterstitial(screen) {
  state.screen = screen;
  // CONFLICT: another computer holds the session; UNLAUNCHED: another window of this browser does.
  setSocketState(screen === "conflict" ? "CONFLICT" : "UNLAUNCHED");
  const useHere = h("button", { type: "button", class: "btn primary",
    "data-testid": testid("popup-controls-takeover"), onclick: () => showChats() },
  h("div", {}, t("use_here")));
  const other = screen === "conflict"
    ? h("button", { type: "button", class: "btn secondary", "data-testid": testid("popup-controls-logout"),
      onclick: () => logout() }, h("div", {}, t("log_out")))
    : h("button", { type: "button", class: "btn secondary", "data-testid": testid("popup-controls-close"),
      onclick: () => window.close() }, h("div", {}, t("close")));
  setApp(h("div", { class: "interstitial" },
    h("div", { class: "interstitial-popup" },
      h("div", { class: "interstitial-text" }, t(screen)),
      h("div", { class: "controls" }, other, useHere))));
}

function showSession() {
  const forced = state.config.force_screen;
  if (forced) showInterstitial(forced);
  else showChats();
}

// One tab per profile: a tab that opens the chats sends the others to ANOTHER_SESSION.
const TAB_ID = Math.random().toString(36).slice(2);
const tabs = "BroadcastChannel" in self ? new BroadcastChannel("kioskguard-simulator-tabs") : null;
if (tabs) {
  tabs.onmessage = (event) => {
    if (event.data.type === "use_here" && event.data.tab !== TAB_ID && state.screen === "chats") {
      showInterstitial("another_session");
    }
  };
}

function claimTab() {
  if (tabs) tabs.postMessage({ type: "use_here", tab: TAB_ID });
}

// Run ``action`` once the startup screen has been shown for its time (startup_delay_ms while a
// session is restored, qr_delay_ms on the way to the QR screen).
function whenStarted(action) {
  if (state.startupDone) action();
  else state.afterStartup = action;
}

// ---- config, the live channel, and the session's lifecycle ----
function applyConfig(message) {
  const previous = state.config;
  state.config = message.config;
  state.strings = message.strings;
  document.documentElement.lang = state.config.locale;
  installClientApi(state.config.client_api);
  if (!previous) return;
  const looks = ["generation", "locale", "testids", "notification_banner", "offline_banner",
    "covering_banner",
    "whats_new_modal", "mutate", "strip_controls"];
  const changed = looks.some((name) => previous[name] !== state.config[name]);
  if (changed && state.screen === "chats") showChats();
  if (changed && state.screen === "qr") showQr();
}

function connect(query, session) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}/ws?${query}`);
  state.socket = socket;
  socket.onopen = () => socket.send(JSON.stringify({ type: "hello",
    device_id: session ? session.deviceId : null, secret: session ? session.secret : null }));
  socket.onmessage = (event) => onMessage(JSON.parse(event.data));
  socket.onclose = () => { if (state.socket === socket) state.socket = null; };
}

async function onMessage(message) {
  if (message.type === "config") applyConfig(message);
  else if (message.type === "qr") {
    state.qr = { ref: message.ref, rows: message.rows };
    SimClient.Conn.ref = message.ref;
    if (state.screen === "qr") updateQr();
  } else if (message.type === "resumed") {
    if (message.linked) {
      SimClient.Conn.ref = null;
      registerServiceWorker();
      whenStarted(showSession);
    } else {
      // The phone logged this device out while the browser was closed.
      state.hasSession = false;
      await clearSession(state.config.keys_survive_logout);
      whenStarted(showQr);
    }
  } else if (message.type === "linked") {
    state.hasSession = true;
    state.qr = null;
    SimClient.Conn.ref = null;
    setSocketState("PAIRING");
    await writeSession(message.device, state.config.locale);
    showChats();
  } else if (message.type === "logged_out") {
    if (state.screen === "logout") return;
    state.hasSession = false;
    state.openChatId = null;
    await clearSession(state.config.keys_survive_logout);
    SimClient.Cmd.trigger("logout");
    state.qr = null;
    showQr();
    if (state.socket) state.socket.send(JSON.stringify({ type: "hello", device_id: null, secret: null }));
  }
}

// The real logout: LOGOUT screen, unpair bounded at 3 s, wipe, Cmd "logout", reload to the QR
// screen. The confirm button and require("WAWebSocketModel").Socket.logout() both run it.
let loggingOut = null;
function logout() {
  if (!loggingOut) loggingOut = runLogout();
  return loggingOut;
}

async function runLogout() {
  showLogout();
  const session = storedSession();
  if (session) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), UNPAIR_TIMEOUT_MS);
    try {
      await fetch("/api/client/unpair", { method: "POST", signal: controller.signal,
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ device_id: session.deviceId, secret: session.secret,
          drop_unpair: state.config.drop_unpair }) });
    } catch (error) {
      // Timed out or refused: the logout is local only; the phone keeps listing the device.
    } finally {
      clearTimeout(timer);
    }
  }
  await clearSession(state.config.keys_survive_logout);
  if (state.socket) state.socket.close();
  SimClient.Cmd.trigger("logout");
  location.replace("/?post_logout=1");
}

async function boot() {
  showStartup();
  const started = performance.now();
  const query = overridesQuery();
  let message;
  try {
    const response = await fetch(`/api/client/config?${query}`);
    message = await response.json();
    if (!response.ok) return showError(message.error);
  } catch (error) {
    return showError(String(error));
  }
  applyConfig(message);
  showStartup();
  const session = storedSession();
  state.hasSession = session !== null;
  if (!session) state.afterStartup = showQr;
  connect(query, session);
  // Restoring and syncing a stored session takes time; with nothing stored the QR comes next.
  const delay = session ? state.config.startup_delay_ms : state.config.qr_delay_ms;
  await sleep(Math.max(0, delay - (performance.now() - started)));
  state.startupDone = true;
  if (state.afterStartup && state.screen === "startup") state.afterStartup();
}

boot();

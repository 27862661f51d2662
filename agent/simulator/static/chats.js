"use strict";
// The MAIN screen: chat list, conversation, the two layouts' logout paths, interference.

function closeFloating() {
  for (const element of document.querySelectorAll(".dropdown")) element.remove();
}

// Marks the mutator and strip_controls read (JS properties, never attributes in the DOM).
function control(element, kind) {
  element.simControl = kind; // "opener", "logout_item", "confirm"
  return element;
}

// One menu item in the generation's markup. item: {key, action, danger, testid}.
function menuItem(item) {
  const label = t(item.key);
  const onclick = (event) => { event.stopPropagation(); closeFloating(); item.action(); };
  const classes = item.danger ? "menu-item danger" : "menu-item";
  let element;
  if (generation() === "classic-2021") {
    element = h("li", { tabindex: "-1", class: classes, onclick,
      "data-testid": testid(item.testid || `mi-${item.key.replace(/_/g, "-")} menu-item`) },
    h("div", { role: "button", "aria-label": label, class: "menu-item-label" }, label));
  } else if (isWds()) {
    element = h("button", { type: "button", role: "menuitem", "aria-label": label,
      class: `${classes} reset-button`, onclick, "data-testid": testid(item.testid) },
    h("span", {}, label));
  } else {
    element = h("li", { role: "button", tabindex: "0", class: classes, onclick,
      "data-animate-dropdown-item": "true", "data-testid": testid(item.testid) },
    h("div", { "aria-label": label, class: "menu-item-label" }, label));
  }
  element.simDanger = Boolean(item.danger);
  return item.key === "log_out" ? control(element, "logout_item") : element;
}

// Open a dropdown of items under ``anchor`` after menu_delay_ms (like the real, slow menus).
async function openDropdown(anchor, items, key) {
  closeFloating();
  await sleep(state.config.menu_delay_ms);
  const list = isWds()
    ? h("div", { class: "menu-list" }, items.map(menuItem))
    : h("ul", {}, items.map(menuItem));
  list.simList = true;
  list.simDecoy = (decoyKey) => menuItem({ key: decoyKey, danger: true,
    action: () => reportDecoy(decoyKey, key) });
  const dropdown = isWds()
    ? h("div", { class: "dropdown" }, list)
    : h("div", { role: "application", class: "dropdown" }, list);
  anchor.parentElement.append(present(dropdown, key));
}

function chatListMenu(event) {
  event.stopPropagation();
  const noop = () => undefined;
  const items = [
    { key: "new_group", action: noop },
    { key: "starred", action: noop },
    { key: "select_chats", action: noop },
  ];
  if (!isWds()) items.push({ key: "settings", action: () => openSettings() });
  items.push({ key: "log_out", action: () => confirmLogout(), danger: true,
    testid: "mi-logout menu-item" });
  openDropdown(event.currentTarget, items, "menu");
}

function conversationMenu(event) {
  event.stopPropagation();
  openDropdown(event.currentTarget, [
    { key: "select_chat", action: () => undefined },
    { key: "close", action: () => openChat(null) },
  ], "conversation-menu");
}

// The chat-list header's menu opener: [data-icon="menu"], or in wds-2026 a button whose svg
// title is wds-ic-more.
function menuOpener() {
  if (isWds()) {
    return control(h("button", { type: "button", class: "icon-button reset-button",
      "aria-label": t("menu"), title: t("menu"), onclick: chatListMenu }, icon("menu")), "opener");
  }
  return control(button(t("menu"), "menu", chatListMenu,
    { "data-testid": testid("menu-bar-menu") }), "opener");
}

function sideHeader() {
  if (isClassic()) {
    return h("header", { class: "side-header" },
      h("div", { class: "avatar", role: "button", tabindex: "0", "aria-label": t("profile"),
        title: t("profile") }, icon("default-user")),
      h("div", { class: "header-icons" },
        h("div", { class: "menu-anchor" }, button(t("new_chat"), "chat")),
        h("div", { class: "menu-anchor" }, menuOpener())));
  }
  if (isWds()) {
    return h("header", { class: "side-header" },
      h("h1", { class: "side-title" }, t("chats")),
      h("div", { class: "header-icons" },
        h("button", { type: "button", class: "icon-button reset-button", "aria-label": t("new_chat"),
          title: t("new_chat") }, icon("new-chat-outline")),
        h("div", { class: "menu-anchor" }, menuOpener())));
  }
  return h("header", { class: "side-header" },
    h("h1", { class: "side-title" }, t("chats")),
    h("div", { class: "header-icons" }, button(t("new_chat"), "new-chat-outline")));
}

// The navigation rail (rail-2024, wds-2026), in a header.
function rail() {
  if (isWds()) return wdsRail();
  const item = (key, iconName, panel) => {
    const element = button(t(key), iconName, () => selectPanel(panel),
      { "aria-pressed": String(state.panel === panel), class: "icon-button rail-button" });
    element.simPanel = panel;
    return panel === "settings" ? control(element, "opener") : element;
  };
  const metaAi = h("div", { role: "button", tabindex: "0", "aria-label": t("meta_ai"),
    title: t("meta_ai"), class: "icon-button rail-button" }, titledIcon("Meta AI"));
  return h("header", { class: "rail" },
    h("div", { class: "rail-top" }, item("chats", "chats-filled", "chats"),
      item("status", "status-refreshed", "status"),
      item("channels", "newsletter-outline", "channels"),
      item("communities", "community-refreshed", "communities"), metaAi),
    h("div", { class: "rail-bottom" }, item("settings", "settings-refreshed", "settings"),
      h("div", { role: "button", tabindex: "0", "aria-label": t("profile"), title: t("profile"),
        class: "icon-button rail-button avatar" }, icon("default-user"))));
}

// wds-2026: <button aria-label=TITLE aria-pressed data-navbar-item="true"> with svg titles only.
function wdsRail() {
  let index = 0;
  const item = (key, iconName, panel) => {
    const element = h("button", { type: "button", class: "icon-button rail-button reset-button",
      "aria-label": t(key), "aria-pressed": String(state.panel === panel),
      "data-navbar-item": "true", "data-navbar-item-index": String(index++),
      onclick: () => selectPanel(panel) }, iconName ? icon(iconName) : titledIcon("wds-ic-meta-ai"));
    element.simPanel = panel;
    return panel === "settings" ? control(element, "opener") : element;
  };
  return h("header", { class: "rail" },
    h("div", { class: "rail-top" }, item("chats", "chats-filled", "chats"),
      item("status", "status-refreshed", "status"),
      item("channels", "newsletter-outline", "channels"),
      item("communities", "community-refreshed", "communities"),
      item("meta_ai", null, "meta_ai")),
    h("div", { class: "rail-bottom" }, item("settings", "settings-refreshed", "settings"),
      h("button", { type: "button", class: "icon-button rail-button avatar reset-button",
        "aria-label": t("profile"), "data-navbar-item": "true",
        "data-navbar-item-index": String(index++) }, icon("default-user"))));
}

async function selectPanel(panel) {
  state.panel = panel;
  for (const railButton of document.querySelectorAll(".rail-button[aria-pressed]")) {
    railButton.setAttribute("aria-pressed", String(railButton.simPanel === panel));
  }
  for (const drawer of document.querySelectorAll(".drawer")) drawer.remove();
  if (panel === "settings") await openSettings();
}

// One settings row. wds-2026: <button aria-label=TITLE> with a title and a subtitle.
function settingsRow(key, iconName, extra) {
  const options = extra || {};
  let element;
  if (isWds()) {
    const subtitle = options.subtitle ? h("div", { class: "row-subtitle" }, t(options.subtitle)) : null;
    element = h("button", { type: "button", class: `settings-row reset-button${options.danger ? " critical" : ""}`,
      "aria-label": t(key), onclick: options.onclick },
    icon(iconName), h("div", { class: "row-text" }, h("div", { class: "row-title" }, t(key)), subtitle));
  } else {
    element = h("div", { role: "button", tabindex: "0",
      class: `settings-row${options.danger ? " danger" : ""}`, id: options.id ? idOf(options.id) : null,
      "data-testid": options.testid ? testid(options.testid) : null, onclick: options.onclick },
    icon(iconName), h("div", {}, t(key)));
  }
  element.simDanger = Boolean(options.danger);
  return key === "log_out" ? control(element, "logout_item") : element;
}

async function openSettings() {
  for (const drawer of document.querySelectorAll(".drawer")) drawer.remove();
  await sleep(state.config.menu_delay_ms);
  const list = h("div", { class: "settings-list" },
    settingsRow("account", "key", { subtitle: "account_sub" }),
    settingsRow("privacy", "lock", { subtitle: "privacy_sub" }),
    settingsRow("chats", "chats-outline", { subtitle: "chats_sub" }),
    settingsRow("notifications", "bell", { subtitle: "notifications_sub" }),
    settingsRow("shortcuts", "keyboard"), settingsRow("help", "help"),
    settingsRow("log_out", "exit", { id: "logout", danger: true, testid: "li-logout",
      onclick: () => confirmLogout() }));
  list.simList = true;
  list.simDecoy = (decoyKey) => settingsRow(decoyKey,
    ["block", "report"].includes(decoyKey) ? decoyKey : "delete", { danger: true, onclick: () => reportDecoy(decoyKey, "settings") });
  const drawer = h("div", { class: "drawer", "aria-label": t("settings") },
    h("header", { class: "side-header" }, h("h1", { class: "side-title" }, t("settings"))), list);
  const column = document.querySelector(".side-column");
  if (column) column.append(present(drawer, "settings"));
}

// A dialog button in the generation's markup: <button>, or in classic-2021 div[role=button].
function dialogButton(label, classes, id, onclick) {
  if (generation() === "classic-2021") {
    return h("div", { role: "button", tabindex: "0", class: `btn ${classes}`, "data-testid": testid(id),
      onclick }, h("div", {}, label));
  }
  return h("button", { type: "button", class: `btn ${classes}`, "data-testid": testid(id), onclick },
    h("div", {}, label));
}

function confirmLogout() {
  const variant = state.config.confirm_variant;
  const body = { plain: "confirm_body", still_sending: "confirm_still_sending",
    app_lock: "confirm_app_lock" }[variant];
  const close = () => overlay.remove();
  const buttons = [dialogButton(t("cancel"), "secondary", "popup-controls-cancel", close)];
  if (variant === "app_lock") {
    buttons.push(dialogButton(t("lock_app"), "secondary", "popup-controls-extra",
      () => { close(); toast(t("app_locked")); }));
  }
  buttons.push(control(dialogButton(t("log_out"), "danger", "popup-controls-ok", () => logout()),
    "confirm"));
  const content = [h("h1", { class: "popup-title" }, t("confirm_title")),
    h("div", { class: "popup-body" }, t(body)),
    h("div", { class: "controls" }, buttons)];
  // wds-2026: div[role=dialog][aria-modal] > div[data-animate-modal-popup]; before, one element.
  const overlay = isWds()
    ? h("div", { class: "overlay", role: "dialog", "aria-modal": "true" },
      h("div", { class: "popup", "data-animate-modal-popup": "true" }, content))
    : h("div", { class: "overlay" },
      h("div", { role: "dialog", "aria-modal": "true", class: "popup",
        "data-testid": testid("confirm-popup"), "data-animate-modal-popup": "true" }, content));
  document.getElementById("app").append(present(overlay, "confirm"));
}

function toast(message) {
  const element = h("div", { class: "toast", role: "status" }, message);
  document.getElementById("app").append(element);
  setTimeout(() => element.remove(), 3000);
}

// The notification banner as the real client lays it out when the window is narrow: in #side,
// above the chat list, over the header and its menu button: nothing under it takes a click
// until its close button is clicked.
function coveringBanner() {
  if (!state.config.covering_banner || state.bannerClosed) return null;
  const banner = h("div", { class: "banner notify covering" }, icon("alert-notification"),
    h("div", { class: "banner-text" }, h("div", {}, t("notify_title")),
      h("div", { class: "banner-action", role: "button", tabindex: "0" }, t("notify_action"))),
    button(t("close"), "x", () => { state.bannerClosed = true; banner.remove(); }));
  return banner;
}

// A status toast over the chat list's header, gone by itself after covering_toast_ms (shown
// once per page load, as the client's "Turning on notifications" toasts are).
function coveringToast(column) {
  const ms = state.config.covering_toast_ms;
  if (!ms || state.toastShown) return;
  state.toastShown = true;
  const element = h("div", { class: "toast covering", role: "status" }, t("notify_title"));
  column.append(element);
  setTimeout(() => element.remove(), ms);
}

function banners() {
  const list = [];
  if (state.config.notification_banner && !state.bannerClosed) {
    const banner = h("div", { class: "banner notify" }, icon("alert-notification"),
      h("div", { class: "banner-text" }, h("div", {}, t("notify_title")),
        h("div", { class: "banner-action", role: "button", tabindex: "0" }, t("notify_action"))),
      button(t("close"), "x", () => { state.bannerClosed = true; banner.remove(); }));
    list.push(banner);
  }
  if (state.config.offline_banner) {
    list.push(h("div", { class: "banner offline" }, icon("alert-computer"),
      h("div", { class: "banner-text" }, h("div", {}, t("offline_title")),
        h("div", {}, t("offline_body")))));
  }
  return list;
}

function chatRow(chat) {
  const messages = chat.messages.concat(state.sent[chat.id] || []);
  const last = messages[messages.length - 1];
  return h("div", { role: "row", tabindex: "-1", class: "chat-row",
    "aria-selected": String(state.openChatId === chat.id), onclick: () => openChat(chat.id) },
  h("div", { role: "gridcell", class: "chat-cell" },
    h("div", { class: "avatar" }, icon("default-user")),
    h("div", { class: "chat-text" },
      h("div", { class: "chat-top" }, h("span", { title: chat.name, dir: "auto" }, chat.name),
        h("span", { class: "chat-time" }, chat.time)),
      h("span", { class: "chat-last", dir: "auto" }, last ? last.text : ""))));
}

function chatList(filter) {
  const wanted = (filter || "").toLowerCase();
  const chats = CHATS.filter((chat) => chat.name.toLowerCase().includes(wanted));
  return h("div", { role: "grid", "aria-label": t("chat_list"), "aria-rowcount": chats.length,
    class: "chat-list" }, chats.map(chatRow));
}

function searchBox() {
  const box = h("div", { contenteditable: "true", role: "textbox", "aria-label": t("search"),
    title: t("search"), "data-tab": "3", class: "search-input" });
  box.addEventListener("input", () => {
    const list = document.querySelector(".chat-list");
    if (list) list.replaceWith(chatList(box.textContent));
  });
  return h("div", { class: "search" }, icon("search"), box);
}

function conversation(chat) {
  const messages = chat.messages.concat(state.sent[chat.id] || []);
  const composer = h("div", { contenteditable: "true", role: "textbox", "data-tab": "10",
    "aria-label": t("type_message"), title: t("type_message"), class: "composer" });
  const send = () => {
    const text = composer.textContent.trim();
    if (!text) return;
    (state.sent[chat.id] = state.sent[chat.id] || []).push({ from: "me", text });
    composer.textContent = "";
    document.querySelector(".messages").append(bubble({ from: "me", text }));
    const list = document.querySelector(".chat-list");
    if (list) list.replaceWith(chatList(""));
  };
  composer.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); send(); }
  });
  return h("div", { id: idOf("main"), class: "main-panel" },
    h("header", { class: "main-header" },
      h("div", { class: "avatar" }, icon("default-user")),
      h("span", { class: "main-title", title: chat.name }, chat.name),
      h("div", { class: "header-icons" }, button(t("search"), "search"),
        h("div", { class: "menu-anchor" }, button(t("menu"), "menu", conversationMenu)))),
    h("div", { class: "messages" }, messages.map(bubble)),
    h("footer", {}, h("div", { class: "composer-wrap" }, composer),
      button(t("send"), "send", send)));
}

function bubble(message) {
  return h("div", { role: "row", class: `message message-${message.from === "me" ? "out" : "in"}` },
    h("span", { dir: "auto", class: "selectable-text" }, message.text));
}

function openChat(chatId) {
  state.openChatId = chatId;
  const chat = CHATS.find((item) => item.id === chatId);
  const current = document.querySelector(".main-panel") || document.querySelector(".intro");
  if (current) current.replaceWith(present(chat ? conversation(chat) : intro(), "main"));
  for (const row of document.querySelectorAll(".chat-row")) row.setAttribute("aria-selected", "false");
}

function intro() {
  return h("div", { class: "intro" }, icon("wa-logo"), h("h1", {}, t("app_name")),
    h("div", {}, t("select_chat")), h("div", { class: "intro-note" }, icon("lock"), t("encrypted")));
}

function whatsNewModal() {
  if (!state.config.whats_new_modal || state.whatsNewClosed) return null;
  const close = () => { state.whatsNewClosed = true; modal.remove(); };
  const modal = h("div", { class: "overlay whats-new-overlay" },
    h("div", { role: "dialog", "aria-modal": "true", class: "popup", "aria-label": t("whats_new_title") },
      h("div", { class: "popup-head" }, h("h1", { class: "popup-title" }, t("whats_new_title")),
        button(t("close"), "x", close)),
      h("div", { class: "popup-body" }, t("whats_new_body")),
      h("div", { class: "controls" }, h("button", { type: "button", class: "btn primary",
        onclick: close }, h("div", {}, t("ok"))))));
  return modal;
}

function showChats() {
  if (state.screen !== "chats") claimTab();
  state.screen = "chats";
  setSocketState("CONNECTED");
  SimClient.Conn.ref = null;
  const layout = state.config.layout;
  const chat = CHATS.find((item) => item.id === state.openChatId);
  const side = h("div", { id: idOf("side"), class: "side" }, coveringBanner(), sideHeader(),
    searchBox(), h("div", { id: idOf("pane-side"), class: "pane-side" }, banners(), chatList("")));
  const column = h("div", { class: "side-column" }, side);
  coveringToast(column);
  setApp(h("div", { class: `app-wrapper layout-${layout} gen-${generation()}`, onclick: closeFloating },
    layout === "rail" ? rail() : null,
    column,
    chat ? conversation(chat) : intro()), whatsNewModal());
  if (layout === "rail" && state.panel === "settings") openSettings();
}

"use strict";
// The MAIN screen: chat list, conversation, the two layouts' logout paths, interference.

function closeFloating() {
  for (const element of document.querySelectorAll(".dropdown")) element.remove();
}

// Open a dropdown of items under ``anchor`` after menu_delay_ms (like the real, slow menus).
async function openDropdown(anchor, items) {
  closeFloating();
  await sleep(state.config.menu_delay_ms);
  const list = h("ul", {}, items.map((item) => h("li", {
    role: "button", tabindex: "-1", class: item.danger ? "menu-item danger" : "menu-item",
    "data-testid": item.testid ? testid(item.testid) : null,
    onclick: (event) => { event.stopPropagation(); closeFloating(); item.action(); },
  }, h("div", {}, item.label))));
  const dropdown = h("div", { role: "application", class: "dropdown" }, list);
  anchor.parentElement.append(dropdown);
}

function chatListMenu(event) {
  event.stopPropagation();
  const noop = () => undefined;
  openDropdown(event.currentTarget, [
    { label: t("new_group"), action: noop },
    { label: t("starred"), action: noop },
    { label: t("select_chats"), action: noop },
    { label: t("settings"), action: () => openSettings() },
    { label: t("log_out"), action: () => confirmLogout(), danger: true,
      testid: "mi-logout menu-item" },
  ]);
}

function conversationMenu(event) {
  event.stopPropagation();
  openDropdown(event.currentTarget, [
    { label: t("select_chat"), action: () => undefined },
    { label: t("close"), action: () => openChat(null) },
  ]);
}

function classicHeader() {
  return h("header", { class: "side-header" },
    h("div", { class: "avatar", role: "button", tabindex: "0", "aria-label": t("profile"),
      title: t("profile") }, icon("default-user")),
    h("div", { class: "header-icons" },
      h("div", { class: "menu-anchor" }, button(t("new_chat"), "chat")),
      h("div", { class: "menu-anchor" }, button(t("menu"), "menu", chatListMenu))));
}

function railHeader() {
  return h("header", { class: "side-header" },
    h("h1", { class: "side-title" }, t("chats")),
    h("div", { class: "header-icons" }, button(t("new_chat"), "new-chat-outline")));
}

function rail() {
  const item = (key, iconName, panel) => button(t(key), iconName, () => selectPanel(panel),
    { "aria-pressed": String(state.panel === panel), class: "icon-button rail-button" });
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

async function selectPanel(panel) {
  state.panel = panel;
  for (const railButton of document.querySelectorAll(".rail-button[aria-pressed]")) {
    railButton.setAttribute("aria-pressed", "false");
  }
  const pressed = [...document.querySelectorAll(".rail-button")].find(
    (element) => element.title === t(panel));
  if (pressed) pressed.setAttribute("aria-pressed", "true");
  for (const drawer of document.querySelectorAll(".drawer")) drawer.remove();
  if (panel === "settings") await openSettings();
}

async function openSettings() {
  for (const drawer of document.querySelectorAll(".drawer")) drawer.remove();
  await sleep(state.config.menu_delay_ms);
  const row = (key, iconName, extra) => h("div", { role: "button", tabindex: "0",
    class: "settings-row", ...(extra || {}) }, icon(iconName), h("div", {}, t(key)));
  const drawer = h("div", { class: "drawer", "aria-label": t("settings") },
    h("header", { class: "side-header" }, h("h1", { class: "side-title" }, t("settings"))),
    h("div", { class: "settings-list" },
      row("account", "key"), row("privacy", "lock"), row("chats", "chats-outline"),
      row("notifications", "bell"), row("shortcuts", "keyboard"), row("help", "help"),
      row("log_out", "exit", { id: "logout", class: "settings-row danger",
        "data-testid": testid("li-logout"), onclick: () => confirmLogout() })));
  const side = document.getElementById("side");
  if (side) side.parentElement.append(drawer);
}

function confirmLogout() {
  const variant = state.config.confirm_variant;
  const body = { plain: "confirm_body", still_sending: "confirm_still_sending",
    app_lock: "confirm_app_lock" }[variant];
  const close = () => overlay.remove();
  const buttons = [h("button", { type: "button", class: "btn secondary",
    "data-testid": testid("popup-controls-cancel"), onclick: close }, h("div", {}, t("cancel")))];
  if (variant === "app_lock") {
    buttons.push(h("button", { type: "button", class: "btn secondary",
      "data-testid": testid("popup-controls-extra"),
      onclick: () => { close(); toast(t("app_locked")); } }, h("div", {}, t("lock_app"))));
  }
  buttons.push(h("button", { type: "button", class: "btn danger",
    "data-testid": testid("popup-controls-ok"), onclick: () => logout() },
  h("div", {}, t("log_out"))));
  const overlay = h("div", { class: "overlay" },
    h("div", { role: "dialog", "aria-modal": "true", class: "popup",
      "data-testid": testid("confirm-popup"), "data-animate-modal-popup": "true" },
    h("h1", { class: "popup-title" }, t("confirm_title")),
    h("div", { class: "popup-body" }, t(body)),
    h("div", { class: "controls" }, buttons)));
  document.getElementById("app").append(overlay);
}

function toast(message) {
  const element = h("div", { class: "toast", role: "status" }, message);
  document.getElementById("app").append(element);
  setTimeout(() => element.remove(), 3000);
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
  return h("div", { id: "main" },
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
  const current = document.getElementById("main") || document.querySelector(".intro");
  if (current) current.replaceWith(chat ? conversation(chat) : intro());
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
  const layout = state.config.layout;
  const chat = CHATS.find((item) => item.id === state.openChatId);
  const side = h("div", { id: "side" }, layout === "rail" ? railHeader() : classicHeader(),
    searchBox(), h("div", { id: "pane-side" }, banners(), chatList("")));
  setApp(h("div", { class: `app-wrapper layout-${layout}`, onclick: closeFloating },
    layout === "rail" ? rail() : null,
    h("div", { class: "side-column" }, side),
    chat ? conversation(chat) : intro()), whatsNewModal());
  if (layout === "rail" && state.panel === "settings") openSettings();
}

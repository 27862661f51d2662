"use strict";
// Icons as the real client marks them: <span data-icon="NAME"><svg><title>NAME</title>...</svg></span>.
const ICON_PATHS = {
  "chat": "M12 3C7 3 3 6.6 3 11c0 2.2 1 4.2 2.7 5.6L5 21l4.3-2.2c.9.2 1.8.3 2.7.3 5 0 9-3.6 9-8s-4-8-9-8z",
  "chats-filled": "M12 3C7 3 3 6.6 3 11c0 2.2 1 4.2 2.7 5.6L5 21l4.3-2.2c.9.2 1.8.3 2.7.3 5 0 9-3.6 9-8s-4-8-9-8z",
  "new-chat-outline": "M12 3C7 3 3 6.6 3 11c0 2.2 1 4.2 2.7 5.6L5 21l4.3-2.2c.9.2 1.8.3 2.7.3 5 0 9-3.6 9-8s-4-8-9-8zm-1 4h2v3h3v2h-3v3h-2v-3H8v-2h3V7z",
  "menu": "M12 7a2 2 0 1 0-.001-4.001A2 2 0 0 0 12 7zm0 2a2 2 0 1 0-.001 4.001A2 2 0 0 0 12 9zm0 6a2 2 0 1 0-.001 4.001A2 2 0 0 0 12 15z",
  "search": "M15.5 14h-.8l-.3-.3A6.5 6.5 0 1 0 14 15.5l.3.3v.8l5 5 1.5-1.5-5-5zm-6 0a4.5 4.5 0 1 1 0-9 4.5 4.5 0 0 1 0 9z",
  "send": "M2 21l21-9L2 3v7l15 2-15 2v7z",
  "x": "M19 6.4 17.6 5 12 10.6 6.4 5 5 6.4 10.6 12 5 17.6 6.4 19 12 13.4 17.6 19 19 17.6 13.4 12z",
  "status-refreshed": "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 3a7 7 0 1 1 0 14 7 7 0 0 1 0-14z",
  "newsletter-outline": "M4 4h16v12H5.2L4 17.2V4zm2 2v8h12V6H6z",
  "community-refreshed": "M8 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zm8 0a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM2 19c0-3 3-5 6-5s6 2 6 5H2zm12 0c0-1.4-.5-2.7-1.4-3.7.9-.8 2.1-1.3 3.4-1.3 3 0 6 2 6 5h-8z",
  "settings-refreshed": "M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8zm9 3h-2.1a7 7 0 0 0-1-2.4l1.5-1.5-1.5-1.5-1.5 1.5a7 7 0 0 0-2.4-1V3h-2v2.1a7 7 0 0 0-2.4 1L6.1 4.6 4.6 6.1l1.5 1.5a7 7 0 0 0-1 2.4H3v2h2.1a7 7 0 0 0 1 2.4l-1.5 1.5 1.5 1.5 1.5-1.5a7 7 0 0 0 2.4 1V21h2v-2.1a7 7 0 0 0 2.4-1l1.5 1.5 1.5-1.5-1.5-1.5a7 7 0 0 0 1-2.4H21v-2z",
  "default-user": "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm0 2c-4 0-8 2-8 5v1h16v-1c0-3-4-5-8-5z",
  "exit": "M16 17v-3H9v-4h7V7l5 5-5 5zM14 2a2 2 0 0 1 2 2v2h-2V4H5v16h9v-2h2v2a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2h9z",
  "key": "M7 14a2 2 0 1 1 0-4 2 2 0 0 1 0 4zm5.6-4A6 6 0 1 0 12.6 14H16v3h3v-3h2v-4h-8.4z",
  "lock": "M18 8h-1V6A5 5 0 0 0 7 6v2H6a2 2 0 0 0-2 2v10a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V10a2 2 0 0 0-2-2zM9 6a3 3 0 0 1 6 0v2H9V6z",
  "bell": "M12 22a2 2 0 0 0 2-2h-4a2 2 0 0 0 2 2zm6-6V11c0-3.1-1.6-5.6-4.5-6.3V4a1.5 1.5 0 0 0-3 0v.7C7.6 5.4 6 7.9 6 11v5l-2 2v1h16v-1l-2-2z",
  "keyboard": "M20 5H4a2 2 0 0 0-2 2v10a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2zM11 8h2v2h-2V8zm0 3h2v2h-2v-2zM8 8h2v2H8V8zm0 3h2v2H8v-2zM7 13H5v-2h2v2zm0-3H5V8h2v2zm9 7H8v-2h8v2zm0-4h-2v-2h2v2zm0-3h-2V8h2v2zm3 3h-2v-2h2v2zm0-3h-2V8h2v2z",
  "help": "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 17h-2v-2h2v2zm2.1-7.8-.9.9c-.7.7-1.2 1.3-1.2 2.9h-2v-.5c0-1.1.4-2.1 1.2-2.8l1.2-1.3a2 2 0 1 0-3.4-1.4H8a4 4 0 1 1 7.1 2.2z",
  "chats-outline": "M5 4h14a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H8l-4 4V5a1 1 0 0 1 1-1z",
  "alert-notification": "M12 22a2 2 0 0 0 2-2h-4a2 2 0 0 0 2 2zm6-6V11c0-3.1-1.6-5.6-4.5-6.3V4a1.5 1.5 0 0 0-3 0v.7C7.6 5.4 6 7.9 6 11v5l-2 2v1h16v-1l-2-2z",
  "alert-computer": "M20 18a2 2 0 0 0 2-2V6a2 2 0 0 0-2-2H4a2 2 0 0 0-2 2v10a2 2 0 0 0 2 2H0v2h24v-2h-4zM11 7h2v5h-2V7zm0 6h2v2h-2v-2z",
  "lock-app": "M18 8h-1V6A5 5 0 0 0 7 6v2H6a2 2 0 0 0-2 2v10a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V10a2 2 0 0 0-2-2zM9 6a3 3 0 0 1 6 0v2H9V6z",
  "wa-logo": "M12 2a10 10 0 0 0-8.6 15.1L2 22l5-1.3A10 10 0 1 0 12 2zm5.2 14.1c-.2.6-1.3 1.2-1.8 1.2-.5.1-1 .1-3.3-.8-2.8-1.1-4.5-4-4.7-4.2-.1-.2-1.1-1.5-1.1-2.8s.7-2 1-2.3c.2-.3.5-.3.7-.3h.5c.2 0 .4 0 .6.5l.8 2c.1.1.1.3 0 .5l-.3.5-.4.4c-.1.2-.3.3-.1.6.2.3.7 1.2 1.6 2 1.1 1 2 1.3 2.3 1.4.3.2.4.1.6-.1l.8-1c.2-.3.4-.2.6-.1l2 .9c.3.2.5.2.5.4.1.1.1.7-.1 1.2z",
};
const FALLBACK_PATH = "M12 4a8 8 0 1 0 0 16 8 8 0 0 0 0-16z";
const SVG_NS = "http://www.w3.org/2000/svg";

function svgWithTitle(title, path) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("height", "24");
  svg.setAttribute("width", "24");
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  const titleElement = document.createElementNS(SVG_NS, "title");
  titleElement.textContent = title;
  const pathElement = document.createElementNS(SVG_NS, "path");
  pathElement.setAttribute("fill", "currentColor");
  pathElement.setAttribute("d", path);
  svg.append(titleElement, pathElement);
  return svg;
}

// The design-system (wds-2026) names of the icons: svg <title> only, no data-icon.
const WDS_ICONS = {
  "chat": "wds-ic-new-chat", "new-chat-outline": "wds-ic-new-chat", "chats-filled": "wds-ic-chats",
  "status-refreshed": "wds-ic-status", "newsletter-outline": "wds-ic-channels",
  "community-refreshed": "wds-ic-communities", "settings-refreshed": "wds-ic-settings",
  "menu": "wds-ic-more", "exit": "ic-logout", "x": "wds-ic-close",
};
ICON_PATHS["delete"] = "M6 19a2 2 0 0 0 2 2h8a2 2 0 0 0 2-2V7H6v12zM19 4h-3.5l-1-1h-5l-1 1H5v2h14V4z";
ICON_PATHS["block"] = "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zM4 12a8 8 0 0 1 12.9-6.3L5.7 16.9A7.9 7.9 0 0 1 4 12zm8 8a7.9 7.9 0 0 1-4.9-1.7L18.3 7.1A8 8 0 0 1 12 20z";
ICON_PATHS["report"] = "M14.4 6 14 4H5v17h2v-7h5.6l.4 2h7V6z";

// A named icon as the page's generation marks it: <span data-icon="name" aria-hidden="true">
// <svg><title>name</title>...</svg></span>, or in wds-2026 only <svg><title>wds-ic-...</title>.
function icon(name) {
  const generation = typeof state !== "undefined" && state.config ? state.config.generation : null;
  if (generation === "wds-2026") {
    const title = WDS_ICONS[name] || `wds-ic-${name}`;
    const span = document.createElement("span");
    span.setAttribute("aria-hidden", "true");
    span.append(svgWithTitle(title, ICON_PATHS[name] || FALLBACK_PATH));
    return span;
  }
  const span = document.createElement("span");
  span.setAttribute("data-icon", name);
  span.setAttribute("aria-hidden", "true");
  span.append(svgWithTitle(name, ICON_PATHS[name] || FALLBACK_PATH));
  return span;
}

// An icon that names nothing: an svg without a title (strip_controls).
function blankIcon(name) {
  const span = document.createElement("span");
  const svg = svgWithTitle("", ICON_PATHS[name] || FALLBACK_PATH);
  svg.querySelector("title").remove();
  span.append(svg);
  return span;
}

// Newer icons carry only <svg><title>: no data-icon at all (the Meta AI button).
function titledIcon(title) {
  const span = document.createElement("span");
  span.setAttribute("aria-hidden", "true");
  span.append(svgWithTitle(title, FALLBACK_PATH));
  return span;
}

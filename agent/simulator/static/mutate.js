"use strict";
// Every rendered screen, menu, drawer and dialog passes through present() before it is shown:
// strip_controls first, then the seeded mutator (config.mutate). Both read marks the builders
// leave as JS properties (never in the DOM): simControl ("opener", "logout_item", "confirm"),
// simDanger (a destructive item), simList (a menu or settings list), simDecoy (makes a decoy
// item for that list), simHandlers (the element's event handlers, to move them).
function present(root, key) {
  if (!state.config) return root;
  if (state.config.strip_controls) stripControls(root);
  if (state.config.mutate !== null && state.config.mutate !== undefined) {
    mutateTree(root, state.config.mutate, key);
  }
  return root;
}

function elementsOf(root) {
  return [root, ...root.querySelectorAll("*")];
}

function copyHandlers(from, to) {
  for (const [type, handler] of from.simHandlers || []) {
    to.addEventListener(type, handler);
    (to.simHandlers = to.simHandlers || []).push([type, handler]);
  }
}

// ---- strip_controls: the opener, the Log out item and the confirm button keep only their
// handler and an unlabelled icon: a plain div, no name, no text, no role, no colour, no icon name.
function stripControls(root) {
  for (const element of elementsOf(root)) {
    if (!element.simControl || element.simStripped) continue;
    const plain = document.createElement("div");
    plain.className = "x1c2k3";
    const svg = element.querySelector("svg");
    if (svg) {
      const image = svg.cloneNode(true);
      for (const title of image.querySelectorAll("title")) title.remove();
      plain.append(image);
    } else {
      plain.append(blankIcon("exit")); // a text-only item becomes an unlabelled icon
    }
    copyHandlers(element, plain);
    plain.simStripped = true;
    plain.simControl = element.simControl;
    if (element === root) continue; // never the case: controls sit inside a screen
    element.replaceWith(plain);
  }
}

// ---- the seeded mutator ----
function hash32(text) {
  let value = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    value ^= text.charCodeAt(index);
    value = Math.imul(value, 0x01000193) >>> 0;
  }
  return value;
}

// mulberry32: a small, well-mixed PRNG; the same (seed, key) gives the same sequence.
function seededRandom(seed, key) {
  let a = hash32(`${seed}:${key}`);
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

// Which kinds of drift a seed applies (the same on every screen of the page).
function driftOf(seed) {
  const random = seededRandom(seed, "drift");
  const drift = {
    ids: random() < 0.6, roles: random() < 0.5, testids: random() < 0.7, icons: random() < 0.5,
    swap: random() < 0.6, colour: random() < 0.5, reorder: random() < 0.6, decoys: random() < 0.7,
  };
  if (!Object.values(drift).some(Boolean)) drift.decoys = true;
  return drift;
}

const DECOY_KEYS = ["delete_chat", "clear_chat", "delete_account", "block", "report"];

function reportDecoy(key, where) {
  fetch("/api/client/decoy", { method: "POST", keepalive: true,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ key, label: t(key), where }) }).catch(() => undefined);
}

function isControlLike(element) {
  const clickable = (element.simHandlers || []).some(([type]) => type === "click");
  const role = element.getAttribute("role");
  return clickable && !element.simStripped &&
    (["BUTTON", "LI"].includes(element.tagName) || role === "button" || role === "menuitem");
}

// The element that shows an item's text (its deepest element with text).
function textHolder(element) {
  const leaves = [...element.querySelectorAll("*")].filter(
    (child) => child.children.length === 0 && child.textContent.trim() && !child.closest("svg"));
  return leaves[0] || null;
}

function swapType(element, tag) {
  const swapped = document.createElement(tag);
  for (const attribute of element.attributes) {
    if (attribute.name === "type" && tag !== "button") continue;
    swapped.setAttribute(attribute.name, attribute.value);
  }
  if (tag === "button") swapped.setAttribute("type", "button");
  else {
    swapped.setAttribute("tabindex", "0");
    swapped.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); swapped.click(); }
    });
  }
  swapped.classList.add("swapped", "reset-button");
  swapped.append(...element.childNodes);
  copyHandlers(element, swapped);
  for (const name of ["simControl", "simDanger", "simPanel", "simList", "simDecoy"]) {
    if (element[name] !== undefined) swapped[name] = element[name];
  }
  element.replaceWith(swapped);
  return swapped;
}

function mutateTree(root, seed, key) {
  const drift = driftOf(seed);
  const random = seededRandom(seed, key);
  const often = () => random() < 0.85;
  const lists = elementsOf(root).filter((element) => element.simList);
  if (drift.decoys) {
    for (const list of lists) {
      if (!list.simDecoy) continue;
      const count = 1 + Math.floor(random() * 2);
      for (let index = 0; index < count; index += 1) {
        const decoyKey = DECOY_KEYS[Math.floor(random() * DECOY_KEYS.length)];
        const decoy = list.simDecoy(decoyKey);
        const items = [...list.children];
        list.insertBefore(decoy, items[Math.floor(random() * (items.length + 1))] || null);
      }
    }
  }
  if (drift.reorder) {
    for (const list of lists) {
      const items = [...list.children];
      for (let index = items.length - 1; index > 0; index -= 1) {
        const other = Math.floor(random() * (index + 1));
        [items[index], items[other]] = [items[other], items[index]];
      }
      list.append(...items);
    }
  }
  for (const element of elementsOf(root)) {
    if (element.simStripped) continue;
    if (drift.ids && element !== root && element.id && often()) element.removeAttribute("id");
    if (drift.roles && element.hasAttribute("role") && often()) element.removeAttribute("role");
    if (drift.testids && element.hasAttribute("data-testid") && often()) {
      element.removeAttribute("data-testid");
    }
    if (drift.icons && element.hasAttribute("data-icon") && often()) {
      element.removeAttribute("data-icon");
    }
    if (drift.colour && element.simDanger) {
      const holder = textHolder(element);
      if (holder) {
        element.classList.remove("danger", "critical");
        holder.classList.add("danger-text");
      }
    }
  }
  if (drift.swap) {
    for (const element of elementsOf(root).filter(isControlLike)) {
      if (element === root || random() < 0.3) continue;
      const tag = ["div", "li", "button"][Math.floor(random() * 3)];
      if (tag !== element.tagName.toLowerCase()) swapType(element, tag);
    }
  }
}

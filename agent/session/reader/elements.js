// Elements: visibility, accessible names, icons, destructive colour, click targets.
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

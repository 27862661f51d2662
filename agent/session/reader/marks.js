// Marks and structure: the marks on controls, where a click lands, the change counter, and
// the baseline of elements that tells what appeared since the opener was clicked.
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

// Openers: the menu or settings control that opens the Log out item, and the banner's close.
const readOpeners = (pool) => {
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
  // A dismissible banner in the chat list (notifications, offline): never inside the list itself.
  const pane = document.querySelector("#pane-side");
  const bannerClose = all('#side [data-icon="x"], #side [data-icon="close"]').find(
    (icon) => !pane || !pane.contains(icon),
  );
  if (bannerClose) result.banner_close = mark(clickable(bannerClose), "banner-close");
};

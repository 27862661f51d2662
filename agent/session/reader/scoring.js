// Candidate scoring: the Log out item among what the opener opened (docs/reader.md).
const readLogoutItem = () => {
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
  return pool;
};

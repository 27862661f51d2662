// The reading's result, and the page's regions: the chat list, its side pane, the open
// conversation (never a source of controls).
const result = {
  seq: watch.seq,
  points,
  state: "unknown",
  lang: (document.documentElement && document.documentElement.lang) || null,
  offline: false,
  dialog: null,
  new_items: 0,
  logout_item: null,
  openers: [],
  use_here: null,
  conflict_logout: null,
  banner_close: null,
  ambiguity: null,
  baseline,
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

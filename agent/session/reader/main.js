// The reading: dialogs and the screen are read above; on the chats, the Log out item and the
// openers. The wrapper returns result.
if (result.state === "chats" || result.state === "offline") {
  const pool = readLogoutItem();
  readOpeners(pool);
}

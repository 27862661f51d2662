"use strict";
// What the real client keeps for a linked session, and how its logout removes it.
const SESSION_KEYS = ["last-wid-md", "WANoiseInfo", "WAWebEncKeySalt", "WANoiseInfoIv", "WALid",
  "WALangPref"];
const DATABASES = {
  "wawc": ["user"],
  "wawc_db_enc": ["keys"],
  "model-storage": ["chat", "message"],
  "signal-storage": ["identity-store", "session-store"],
};

function randomBase64(length) {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return btoa(String.fromCharCode(...bytes));
}

function withTimeout(promise, milliseconds) {
  return Promise.race([promise, new Promise((resolve) => setTimeout(resolve, milliseconds))]);
}

// The stored session as WhatsApp tests for it (last-wid-md AND WANoiseInfo), or null.
function storedSession() {
  const wid = localStorage.getItem("last-wid-md");
  const noise = localStorage.getItem("WANoiseInfo");
  if (wid === null || noise === null) return null;
  try {
    const info = JSON.parse(noise);
    return { deviceId: info.deviceId, secret: info.secret };
  } catch (error) {
    return { deviceId: -1, secret: "" };
  }
}

function putRecords(name, stores, records) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, 1);
    request.onupgradeneeded = () => {
      for (const store of stores) request.result.createObjectStore(store, { keyPath: "id" });
    };
    request.onerror = () => reject(request.error);
    request.onsuccess = () => {
      const database = request.result;
      const transaction = database.transaction(stores, "readwrite");
      for (const store of stores) {
        for (const record of records[store] || []) transaction.objectStore(store).put(record);
      }
      transaction.oncomplete = () => { database.close(); resolve(); };
      transaction.onerror = () => { database.close(); reject(transaction.error); };
    };
  });
}

function databaseRecords(device) {
  return {
    "wawc": { "user": [{ id: "me", wid: device.wid, lid: device.lid }] },
    "wawc_db_enc": { "keys": [{ id: "enc-key", salt: randomBase64(32), wrapped: randomBase64(48) }] },
    "model-storage": {
      "chat": CHATS.map((chat) => ({ id: chat.id, name: chat.name, t: chat.time })),
      "message": CHATS.flatMap((chat) => chat.messages.map((message, index) => ({
        id: `${chat.id}-${index}`, chat: chat.id, fromMe: message.from === "me", body: message.text }))),
    },
    "signal-storage": {
      "identity-store": [{ id: device.wid, identityKey: randomBase64(33) }],
      "session-store": [{ id: `${device.wid}.0`, session: randomBase64(64) }],
    },
  };
}

let serviceWorkerReady = Promise.resolve();

function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  serviceWorkerReady = navigator.serviceWorker.register("/sw.js", { scope: "/" })
    .then(() => withTimeout(navigator.serviceWorker.ready, 3000))
    .catch(() => undefined);
}

async function writeSession(device, locale) {
  localStorage.setItem("last-wid-md", JSON.stringify(device.wid));
  localStorage.setItem("WANoiseInfo", JSON.stringify({
    deviceId: device.id, secret: device.secret,
    staticKeyPair: { pubKey: randomBase64(32), privKey: randomBase64(32) } }));
  localStorage.setItem("WAWebEncKeySalt", JSON.stringify(randomBase64(32)));
  localStorage.setItem("WANoiseInfoIv", JSON.stringify(randomBase64(16)));
  localStorage.setItem("WALid", JSON.stringify(device.lid));
  localStorage.setItem("WALangPref", JSON.stringify(locale));
  const records = databaseRecords(device);
  await Promise.all(Object.entries(DATABASES).map(
    ([name, stores]) => putRecords(name, stores, records[name])));
  registerServiceWorker();
}

function deleteDatabase(name) {
  return withTimeout(new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = request.onerror = () => resolve();
  }), 2000);
}

// Remove the session like the real logout: keys, databases, service worker, caches.
async function clearSession(keepKeys) {
  if (!keepKeys) for (const key of SESSION_KEYS) localStorage.removeItem(key);
  await Promise.all(Object.keys(DATABASES).map(deleteDatabase));
  await withTimeout(serviceWorkerReady, 3000);
  // Every step is bounded: a service worker or cache call that never settles must not keep the
  // page on "Logging out..." (a stranger's trial saw that once, intermittently).
  if ("serviceWorker" in navigator) {
    await withTimeout(
      navigator.serviceWorker
        .getRegistrations()
        .then((registrations) => Promise.all(registrations.map((r) => r.unregister()))),
      3000,
    );
  }
  if (self.caches) {
    await withTimeout(
      caches.keys().then((names) => Promise.all(names.map((name) => caches.delete(name)))),
      3000,
    );
  }
}

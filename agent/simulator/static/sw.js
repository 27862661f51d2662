"use strict";
// The simulator's service worker: like the real one, it keeps media in Cache Storage.
const MEDIA_CACHE = "wa-media-cache-v1";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(MEDIA_CACHE).then((cache) => cache.put(
    "/media/placeholder.txt", new Response("cached media placeholder",
      { headers: { "Content-Type": "text/plain" } }))).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

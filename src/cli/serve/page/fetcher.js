// A dedicated worker that makes the page's calls to the service. Refusals
// are answers, not failures (400 with the error object, 401 for a missing
// key): running the calls here keeps the page's own console for real
// problems, while DevTools still shows every call in its Network panel.
const controllers = new Map();

self.onmessage = async ({ data }) => {
  if (data.abort !== undefined) {
    controllers.get(data.abort)?.abort();
    return;
  }
  const { id, url, method, headers, body } = data;
  const controller = new AbortController();
  controllers.set(id, controller);
  try {
    const response = await fetch(url, { method, headers, body, signal: controller.signal, credentials: "same-origin" });
    const text = await response.text();
    self.postMessage({ id, status: response.status, text });
  } catch (err) {
    self.postMessage({ id, status: 0, text: "", aborted: err?.name === "AbortError" });
  } finally {
    controllers.delete(id);
  }
};

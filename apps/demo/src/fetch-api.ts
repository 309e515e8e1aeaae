/** Most times a request the API shed (`503 service_overloaded`) is sent again. */
const MAX_ATTEMPTS = 5;
/** Longest wait between two attempts, whatever `Retry-After` says, ms. */
const MAX_WAIT_MS = 5000;

/**
 * `fetch` for the demos' calls to the API, as a well-behaved client does it: a request the
 * API shed under load (`503 service_overloaded`, refused before any handling, so safe to send
 * again whatever its method) is sent again after its `Retry-After`, a few times. Any other
 * answer is returned as it is.
 */
export async function fetchApi(url: string, init: RequestInit): Promise<{ status: number; ok: boolean; text: string }> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(url, init);
    const text = await res.text();
    if (res.status !== 503 || attempt >= MAX_ATTEMPTS || !text.includes('"service_overloaded"')) return { status: res.status, ok: res.ok, text };
    const seconds = Number(res.headers.get('retry-after'));
    await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_WAIT_MS, Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000)));
  }
}

// The code under test: a partner's poller, with Engine's host written in.
async function fetchLeadEvents(token, timestamp) {
  const url = `https://api.engine.tech/supplyAnalytics/leadEvents?timestamp=${encodeURIComponent(timestamp)}`;
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    if (response.status === 503 && attempt < 3) continue; // Engine asks clients to retry
    if (!response.ok) throw new Error(`Engine answered ${response.status}`);
    return response.json();
  }
}

module.exports = { fetchLeadEvents };

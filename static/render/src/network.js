// What could reach the network around the harness's CSP (connect-src governs none of it): WebRTC,
// whose ICE gathering sends STUN/TURN over UDP and TCP and looks up the STUN host's name, and the
// Presentation API, which looks for screens on the local network. Art needs neither.
const NETWORK_INTERFACES = /^(webkit)?RTC|^Presentation/;

// Taken away before the post's code runs, and the code cannot get them back: this window holds the
// only constructors it can reach. A frame it makes is another opaque origin (cross-origin to this
// one) and runs no script of its own (the CSP trusts no nonce, only our scripts' hashes), and it
// may not start workers (worker-src 'none'). In Chromium the harness's Connection-Allowlist header
// blocks all of it at the network layer in any case; this is what other browsers get.
export function takeAwayNetwork() {
  for (const name of Object.getOwnPropertyNames(window)) {
    if (NETWORK_INTERFACES.test(name)) delete window[name];
  }
  delete Navigator.prototype.presentation;
}

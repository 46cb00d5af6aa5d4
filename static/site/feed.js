// The feed's RenderPreview: images first; a live, sandboxed render only where a card has no image
// (or its image failed), only while the card is on screen, and never more than `cap` at once.
import { control, renderMessage } from './render-messages.js';

const grid = document.querySelector('.grid[data-live-cap]');
if (grid) start(grid);

function start(grid) {
  const cap = Number(grid.dataset.liveCap) || 6;
  // A post that is not ready by then (e.g. it loops forever) is stopped and its frame removed.
  const loadTimeoutMs = Number(grid.dataset.loadTimeout) || 10000;
  const UNMOUNT_AFTER_MS = 1500; // an off-screen frame stays paused this long, in case it scrolls back
  const cards = [...grid.querySelectorAll('.card[data-render-src]')].map((element) => ({
    element,
    media: element.querySelector('.card-media'),
    img: element.querySelector('.card-media img'),
    status: element.querySelector('.card-status'),
    title: element.querySelector('.card-title')?.textContent.trim() ?? '',
    needsLive: !element.querySelector('.card-media img'),
    visible: false,
    hovered: false,
    stopped: false, // errored or timed out: never mounted again on this page
    frame: null,
    mountedAt: 0,
    paused: false,
    ready: false,
    loadTimer: 0,
    unmountTimer: 0,
  }));
  const byElement = new Map(cards.map((card) => [card.element, card]));
  const live = new Set();

  const wanted = (card) => !card.stopped && (card.hovered || (card.needsLive && card.visible));

  function mount(card) {
    const frame = document.createElement('iframe');
    frame.setAttribute('sandbox', 'allow-scripts'); // never allow-same-origin: posted code stays opaque
    frame.setAttribute('referrerpolicy', 'no-referrer');
    frame.setAttribute('tabindex', '-1');
    frame.setAttribute('aria-hidden', 'true');
    frame.title = card.title;
    frame.src = card.element.dataset.renderSrc;
    card.frame = frame;
    card.mountedAt = performance.now();
    card.paused = false;
    card.ready = false;
    card.loadTimer = setTimeout(() => stop(card, grid.dataset.textTimeout), loadTimeoutMs);
    live.add(card);
    card.media.append(frame);
  }

  function unmount(card) {
    clearTimeout(card.loadTimer);
    clearTimeout(card.unmountTimer);
    card.unmountTimer = 0;
    card.frame?.remove();
    card.frame = null;
    card.element.classList.remove('is-live');
    live.delete(card);
  }

  function stop(card, text) {
    card.stopped = true;
    unmount(card);
    if (text) {
      card.status.textContent = text; // text only, never markup
      card.status.hidden = false;
    }
    update();
  }

  function update() {
    for (const card of live) {
      if (wanted(card)) {
        clearTimeout(card.unmountTimer);
        card.unmountTimer = 0;
        if (card.paused) control(card.frame, 'play');
        card.paused = false;
        card.element.classList.toggle('is-live', card.ready);
      } else if (!card.paused) {
        control(card.frame, 'pause');
        card.paused = true;
        // A card with a good image shows it again at once; one without keeps its paused frame.
        if (!card.needsLive) card.element.classList.remove('is-live');
        card.unmountTimer = setTimeout(() => {
          unmount(card);
          update();
        }, UNMOUNT_AFTER_MS);
      }
    }
    // Hovered cards first, then the rest in page order.
    const waiting = cards.filter((card) => wanted(card) && !card.frame).sort((a, b) => b.hovered - a.hovered);
    for (const card of waiting) {
      if (live.size >= cap) {
        const idle = [...live].filter((other) => !wanted(other));
        const evictable = idle.length ? idle : card.hovered ? [...live].filter((other) => !other.hovered) : [];
        if (!evictable.length) break;
        unmount(evictable.reduce((a, b) => (a.mountedAt < b.mountedAt ? a : b)));
      }
      mount(card);
    }
  }

  window.addEventListener('message', (event) => {
    const card = cards.find((candidate) => candidate.frame && event.source === candidate.frame.contentWindow);
    const state = card && renderMessage(event, card.frame);
    if (!state) return;
    if (state.status === 'error') {
      const message = state.error ? `${grid.dataset.textError} ${state.error.message}` : grid.dataset.textError;
      stop(card, message.slice(0, 300));
    } else if (state.status === 'ready') {
      clearTimeout(card.loadTimer);
      card.ready = true;
      if (card.paused) control(card.frame, 'pause');
      else card.element.classList.add('is-live');
    }
  });

  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) byElement.get(entry.target).visible = entry.isIntersecting;
      update();
    },
    { rootMargin: '100px 0px' },
  );

  for (const card of cards) {
    observer.observe(card.element);
    if (card.img) {
      const failed = () => {
        card.img.classList.add('is-broken');
        card.needsLive = true;
        update();
      };
      card.img.addEventListener('error', failed);
      if (card.img.complete && card.img.naturalWidth === 0) failed(); // failed before this script ran
      // Shadertoy's habit: pointing at (or tabbing to) a card plays its code live.
      const hover = (on) => () => {
        card.hovered = on;
        update();
      };
      card.element.addEventListener('mouseenter', hover(true));
      card.element.addEventListener('mouseleave', hover(false));
      card.element.addEventListener('focusin', hover(true));
      card.element.addEventListener('focusout', hover(false));
    }
  }
}

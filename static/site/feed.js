// The feed's RenderPreview: images first; a live, sandboxed render only where a card has no image
// (or its image failed), only while the card is on screen, and never more than `cap` at once.
// A post whose capture failed runs only when someone presses its play button. A card with a
// captured animation never runs the post's code: pointing at it or focusing it shows the
// animation over the still (a tap on its play button on a touch screen), unless the viewer
// prefers reduced motion.
import { control } from './render-messages.js';
import { watchFrames } from './watchdog.js';

const grid = document.querySelector('.grid[data-live-cap]');
if (grid) start(grid);

function start(grid) {
  const cap = Number(grid.dataset.liveCap) || 6;
  // A frame that answers but is not ready by then (it waits for something forever) is stopped; a
  // silent one is the watchdog's to judge.
  const loadTimeoutMs = Number(grid.dataset.loadTimeout) || 10000;
  const UNMOUNT_AFTER_MS = 1500; // an off-screen frame stays paused this long, in case it scrolls back
  const CLEARED_AFTER_MS = 3000; // a suspect that has run alone this long since it got ready is cleared
  const cards = [...grid.querySelectorAll('.card[data-render-src]')].map((element) => ({
    element,
    media: element.querySelector('.card-media'),
    img: element.querySelector('.card-media img'),
    anim: element.querySelector('.card-media img')?.dataset.anim,
    animImg: null,
    pointed: false,
    focused: false,
    playing: false,
    animPlay: element.querySelector('.card-anim-play'),
    status: element.querySelector('.card-status'),
    play: element.querySelector('.card-play'),
    title: element.querySelector('.card-title')?.textContent.trim() ?? '',
    // Waiting for its first capture: run it live. A failed capture: only when asked to.
    needsLive: !element.querySelector('.card-media img') && element.dataset.capture !== 'failed',
    requested: false, // its play button was pressed
    visible: false,
    hovered: false,
    stopped: false, // errored, hung or timed out: never mounted again on this page
    suspect: false, // its frame was silent when the renderer froze: runs alone until cleared
    freezes: 0,
    frame: null,
    mountedAt: 0,
    paused: false,
    ready: false,
    loadTimer: 0,
    unmountTimer: 0,
  }));
  const byElement = new Map(cards.map((card) => [card.element, card]));
  const byFrame = new Map();
  const live = new Set();

  const wanted = (card) => !card.stopped && (card.hovered || card.requested || (card.needsLive && card.visible));

  const watchdog = watchFrames({ onState, onHung, onLeft, hangMs: Number(grid.dataset.hangTimeout) || undefined });

  function mount(card) {
    const frame = document.createElement('iframe');
    frame.setAttribute('sandbox', 'allow-scripts'); // never allow-same-origin: posted code stays opaque
    frame.setAttribute('referrerpolicy', 'no-referrer');
    frame.setAttribute('tabindex', '-1');
    frame.setAttribute('aria-hidden', 'true');
    frame.title = card.title;
    card.frame = frame;
    card.mountedAt = performance.now();
    card.paused = false;
    card.ready = false;
    const timeout = () => {
      if (watchdog.answering(frame)) stop(card, grid.dataset.textTimeout);
      else card.loadTimer = setTimeout(timeout, loadTimeoutMs);
    };
    card.loadTimer = setTimeout(timeout, loadTimeoutMs);
    live.add(card);
    byFrame.set(frame, card);
    watchdog.run(frame);
    frame.src = card.element.dataset.renderSrc;
    card.media.append(frame);
  }

  function unmount(card) {
    clearTimeout(card.loadTimer);
    clearTimeout(card.unmountTimer);
    card.unmountTimer = 0;
    if (card.frame) {
      watchdog.remove(card.frame);
      byFrame.delete(card.frame);
      card.frame.remove();
    }
    card.frame = null;
    card.element.classList.remove('is-live');
    live.delete(card);
  }

  function say(card, text) {
    card.status.textContent = text; // text only, never markup
    card.status.hidden = false;
  }

  function stop(card, text) {
    card.stopped = true;
    if (card.play) card.play.hidden = true;
    unmount(card);
    if (text) say(card, text);
    update();
  }

  function onState(frame, state) {
    const card = byFrame.get(frame);
    if (state.status === 'error') {
      const message = state.error ? `${grid.dataset.textError} ${state.error.message}` : grid.dataset.textError;
      stop(card, message.slice(0, 300));
    } else if (state.status === 'ready' && !card.ready) {
      clearTimeout(card.loadTimer);
      card.ready = true;
      if (card.paused) control(card.frame, 'pause');
      else card.element.classList.add('is-live');
      if (card.suspect) {
        setTimeout(() => {
          if (card.frame === frame) {
            card.suspect = false;
            update();
          }
        }, CLEARED_AFTER_MS);
      }
    }
  }

  // Silent frames share one frozen renderer, and only removing them all frees it. Alone, the
  // frame is the one that hung; with others, any of them may be: each runs again alone (a
  // suspect), and the one that hangs alone is stopped. A card caught in two freezes is not run
  // again by itself, only from its play button.
  function onHung(frames) {
    const silent = frames.map((frame) => byFrame.get(frame));
    if (silent.length === 1) {
      stop(silent[0], grid.dataset.textHung);
      return;
    }
    for (const card of silent) {
      unmount(card);
      card.suspect = true;
      card.freezes += 1;
      if (card.freezes >= 2) hold(card);
    }
    update();
  }

  function onLeft(frame) {
    stop(byFrame.get(frame), grid.dataset.textLeft);
  }

  function hold(card) {
    card.needsLive = false;
    card.requested = false;
    if (card.play) card.play.hidden = false;
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
    // Nothing new starts while a suspect runs alone.
    if ([...live].some((card) => card.suspect)) return;
    // Suspects first, then hovered cards, then the rest in page order.
    const waiting = cards
      .filter((card) => wanted(card) && !card.frame)
      .sort((a, b) => b.suspect - a.suspect || b.hovered - a.hovered);
    for (const card of waiting) {
      if (live.size >= cap) {
        const idle = [...live].filter((other) => !wanted(other));
        const evictable = idle.length ? idle : card.hovered ? [...live].filter((other) => !other.hovered) : [];
        if (!evictable.length) break;
        unmount(evictable.reduce((a, b) => (a.mountedAt < b.mountedAt ? a : b)));
      }
      mount(card);
      if (card.suspect) break;
    }
  }

  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) byElement.get(entry.target).visible = entry.isIntersecting;
      update();
    },
    { rootMargin: '100px 0px' },
  );

  const stillOnly = matchMedia('(prefers-reduced-motion: reduce)');
  const touch = matchMedia('(hover: none)');

  // The animation over the still, while the card is pointed at, focused or its play button is
  // on: a plain image, no post code.
  function animate(card) {
    const on = (card.pointed || card.focused || card.playing) && !stillOnly.matches;
    if (on && !card.animImg) {
      card.animImg = document.createElement('img');
      card.animImg.className = 'card-anim';
      card.animImg.alt = '';
      card.animImg.src = card.anim;
      card.img.after(card.animImg);
    } else if (!on && card.animImg) {
      card.animImg.remove();
      card.animImg = null;
    }
  }

  for (const card of cards.filter((card) => card.anim)) {
    const set = (name, value) => () => {
      card[name] = value;
      animate(card);
    };
    card.element.addEventListener('mouseenter', set('pointed', true));
    card.element.addEventListener('mouseleave', set('pointed', false));
    card.element.addEventListener('focusin', set('focused', true));
    card.element.addEventListener('focusout', set('focused', false));
    if (card.animPlay) {
      card.animPlay.hidden = !touch.matches || stillOnly.matches;
      card.animPlay.addEventListener('click', () => {
        card.playing = !card.playing;
        card.animPlay.setAttribute('aria-pressed', String(card.playing));
        animate(card);
      });
    }
  }

  for (const card of cards) {
    observer.observe(card.element);
    if (card.play) {
      card.play.hidden = card.needsLive || Boolean(card.img);
      card.play.addEventListener('click', () => {
        card.requested = true;
        card.play.hidden = true;
        update();
      });
    }
    if (card.img) {
      const failed = () => {
        card.img.classList.add('is-broken');
        card.needsLive = true;
        update();
      };
      card.img.addEventListener('error', failed);
      if (card.img.complete && card.img.naturalWidth === 0) failed(); // failed before this script ran
      if (card.anim) continue; // its animation plays instead of its code
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

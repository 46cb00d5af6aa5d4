// The post page (and the render opened on its own): show the live render's state (and its error
// log, as text), stop it if it hangs or leaves its frame, and copy the code.
import { showFailed, showState, showStopped } from './render-messages.js';
import { watchFrames } from './watchdog.js';

const frame = document.getElementById('post-render');
const statusLine = document.getElementById('render-status');
const errorBox = document.getElementById('render-error');

if (frame && statusLine && errorBox) {
  const stage = frame.closest('.post-stage');
  showState({ status: 'loading', error: null, preview: null }, statusLine, errorBox);
  // Removing the frame frees its renderer, and lets this page finish loading.
  const stop = (text) => {
    watchdog.remove(frame);
    frame.remove();
    stage?.querySelector('.post-anim')?.remove();
    showStopped(text, statusLine, errorBox);
    showFailed(stage, text);
  };
  const watchdog = watchFrames({
    onState: (_frame, state) => {
      showState(state, statusLine, errorBox);
      if (state.status !== 'loading') stage?.querySelector('.post-anim')?.remove(); // the live render takes over (no stage on the render page)
      if (state.status === 'error') showFailed(stage, state.error ? state.error.message : statusLine.dataset.textError);
    },
    onHung: () => stop(statusLine.dataset.textHung),
    onLeft: () => stop(statusLine.dataset.textLeft),
    hangMs: Number(statusLine.dataset.hangTimeout) || undefined,
  });
  const start = () => {
    watchdog.run(frame);
    frame.src = frame.dataset.src;
  };
  const runButton = document.getElementById('post-run');
  if ('hold' in frame.dataset && runButton) {
    // Its capture failed: the code runs only when the visitor asks (as the feed's play button).
    statusLine.textContent = ''; // the stage says why
    showFailed(stage, runButton.dataset.textHeld, runButton.dataset.textHeldTitle);
    runButton.hidden = false;
    runButton.addEventListener('click', () => {
      runButton.remove();
      showFailed(stage, null);
      showState({ status: 'loading', error: null, preview: null }, statusLine, errorBox);
      start();
    }, { once: true });
  } else {
    start();
  }
}

const copyButton = document.getElementById('copy-code');
const code = document.getElementById('code');
if (copyButton && code) {
  const label = copyButton.textContent;
  const say = (text) => {
    copyButton.textContent = text;
    setTimeout(() => (copyButton.textContent = label), 2000);
  };
  copyButton.hidden = false;
  copyButton.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(code.textContent);
      say(copyButton.dataset.textCopied);
    } catch {
      // No clipboard access (e.g. plain HTTP): select the code so the reader can copy it.
      getSelection().selectAllChildren(code);
      say(copyButton.dataset.textFailed);
    }
  });
}

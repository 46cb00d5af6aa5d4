// The post page: show the live render's state (and its error log, as text), and copy the code.
import { control, renderMessage, showState } from './render-messages.js';

const frame = document.getElementById('post-render');
const statusLine = document.getElementById('render-status');
const errorBox = document.getElementById('render-error');

if (frame && statusLine && errorBox) {
  showState({ status: 'loading', error: null, preview: null }, statusLine, errorBox);
  window.addEventListener('message', (event) => {
    const state = renderMessage(event, frame);
    if (state) showState(state, statusLine, errorBox);
  });
  // This module may run after the frame has already reported its state: ask for it again.
  control(frame, 'report');
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

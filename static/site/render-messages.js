// What the site accepts from a render harness frame, and how it shows it. Shared by the pages.
const STATUSES = ['loading', 'ready', 'error'];

function hasExactly(value, keys) {
  return (
    value !== null &&
    typeof value === 'object' &&
    Object.getPrototypeOf(value) === Object.prototype &&
    Object.keys(value).sort().join() === [...keys].sort().join()
  );
}

// The message as {status, error, preview} if it comes from `frame` and has exactly the documented
// shape ({type: 'imagesite:render', status, error: null | {kind, message}, preview: null | {time}}),
// else null. A sandboxed frame's origin is opaque, so the only proof of sender is event.source.
export function renderMessage(event, frame) {
  if (!frame || event.source !== frame.contentWindow) return null;
  const data = event.data;
  if (!hasExactly(data, ['type', 'status', 'error', 'preview'])) return null;
  if (data.type !== 'imagesite:render' || !STATUSES.includes(data.status)) return null;
  const error = data.error;
  if (error !== null && !(hasExactly(error, ['kind', 'message']) && typeof error.kind === 'string' && typeof error.message === 'string')) return null;
  const preview = data.preview;
  if (preview !== null && !(hasExactly(preview, ['time']) && Number.isFinite(preview.time))) return null;
  return { status: data.status, error, preview };
}

export function control(frame, action) {
  // The frame's origin is opaque, so '*' is the only target origin that reaches it; the message holds nothing secret.
  frame?.contentWindow?.postMessage({ type: 'imagesite:control', action }, '*');
}

// Show a frame's state in a status line and an error box, as text only.
export function showState(state, statusLine, errorBox) {
  const texts = statusLine.dataset;
  statusLine.classList.toggle('is-error', state.status === 'error');
  if (state.status === 'error') {
    statusLine.textContent = texts.textError;
    errorBox.textContent = state.error ? `${state.error.kind}: ${state.error.message}` : '';
    errorBox.hidden = !state.error;
    return;
  }
  errorBox.hidden = true;
  errorBox.textContent = '';
  let text = state.status === 'ready' ? texts.textReady : texts.textLoading;
  if (state.preview) text += ` ${texts.textPreview} ${(state.preview.time / 1000).toFixed(2)} s.`;
  statusLine.textContent = text;
}

// Show that the page stopped a frame itself (the watchdog's verdict), as text only.
export function showStopped(text, statusLine, errorBox) {
  statusLine.classList.add('is-error');
  statusLine.textContent = text;
  errorBox.hidden = true;
  errorBox.textContent = '';
}

// Over a stage whose frame failed (an error, or stopped by the page): a placeholder in the site's
// colours with the reason, as text, instead of the frame's blank page. `text` null takes it away.
export function showFailed(stage, text, title = stage?.dataset.textFailed) {
  if (!stage) return;
  let placeholder = stage.querySelector('.stage-failed');
  if (text === null) {
    stage.classList.remove('is-failed');
    placeholder?.remove();
    return;
  }
  if (!placeholder) {
    placeholder = document.createElement('div');
    placeholder.className = 'stage-failed';
    placeholder.setAttribute('role', 'img');
    placeholder.append(document.createElement('strong'), document.createElement('span'));
    stage.append(placeholder);
  }
  placeholder.firstChild.textContent = title || '';
  placeholder.lastChild.textContent = text.slice(0, 400);
  placeholder.setAttribute('aria-label', `${placeholder.firstChild.textContent} ${placeholder.lastChild.textContent}`);
  stage.classList.add('is-failed');
}

// The upload form's preview: the draft runs in the sandboxed frame, as a post would, while typing.
import { renderMessage, showState } from './render-messages.js';

const form = document.getElementById('post-form');
const previewButton = document.getElementById('preview-button');
const frame = document.getElementById('preview-frame');
const statusLine = document.getElementById('render-status');
const errorBox = document.getElementById('render-error');
const auto = document.getElementById('auto-preview');
const PREVIEW_DELAY_MS = 700;

if (form && previewButton && frame) {
  let timer = 0;
  const preview = () => {
    clearTimeout(timer);
    if (!form.elements.code.value.trim()) return;
    showState({ status: 'loading', error: null, preview: null }, statusLine, errorBox);
    // The Preview button posts the form into the sandboxed frame (formaction/formtarget), so the
    // preview works without this script too; requestSubmit uses the button's overrides.
    form.requestSubmit(previewButton);
  };
  previewButton.addEventListener('click', () =>
    showState({ status: 'loading', error: null, preview: null }, statusLine, errorBox),
  );
  document.getElementById('auto-preview-label').hidden = false;
  for (const name of ['code', 'html', 'render_model', 'capture_time']) {
    form.elements[name].addEventListener(['code', 'html'].includes(name) ? 'input' : 'change', () => {
      clearTimeout(timer);
      if (auto.checked) timer = setTimeout(preview, PREVIEW_DELAY_MS);
    });
  }
  window.addEventListener('message', (event) => {
    const state = renderMessage(event, frame);
    if (state) showState(state, statusLine, errorBox);
  });
  if (form.elements.code.value.trim()) preview();
}

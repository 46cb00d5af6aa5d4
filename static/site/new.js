// The upload form's preview: the draft runs in the sandboxed frame, as a post would, while typing.
import { showState, showStopped } from './render-messages.js';
import { watchFrames } from './watchdog.js';

const form = document.getElementById('post-form');
const previewButton = document.getElementById('preview-button');
let frame = document.getElementById('preview-frame');
const statusLine = document.getElementById('render-status');
const errorBox = document.getElementById('render-error');
const auto = document.getElementById('auto-preview');
const PREVIEW_DELAY_MS = 700;

if (form && previewButton && frame) {
  let timer = 0;
  let previewed = null; // the draft the frame was last sent
  const draft = () => ['code', 'render_model', 'capture_time'].map((name) => form.elements[name].value).join('\0');
  const loading = () => showState({ status: 'loading', error: null, preview: null }, statusLine, errorBox);
  const preview = () => {
    clearTimeout(timer);
    if (!form.elements.code.value.trim()) return;
    loading();
    // The Preview button posts the form into the sandboxed frame (formaction/formtarget), so the
    // preview works without this script too; requestSubmit uses the button's overrides.
    form.requestSubmit(previewButton);
  };
  // A draft that hung its frame (or navigated it) gets a fresh frame: a new renderer, since the old
  // one is freed once it holds no frame. A draft edited meanwhile is run again at once.
  const replaceFrame = (text) => {
    watchdog.remove(frame);
    const fresh = frame.cloneNode(false);
    frame.replaceWith(fresh);
    frame = fresh;
    showStopped(text, statusLine, errorBox);
    if (draft() !== previewed) preview();
  };
  const watchdog = watchFrames({
    onState: (_frame, state) => showState(state, statusLine, errorBox),
    onHung: () => replaceFrame(statusLine.dataset.textHung),
    onLeft: () => replaceFrame(statusLine.dataset.textLeft),
    hangMs: Number(statusLine.dataset.hangTimeout) || undefined,
  });
  form.addEventListener('submit', (event) => {
    if (event.submitter !== previewButton) return;
    previewed = draft();
    watchdog.run(frame);
    loading();
  });
  document.getElementById('auto-preview-label').hidden = false;
  for (const name of ['code', 'html', 'render_model', 'capture_time']) {
    form.elements[name].addEventListener(['code', 'html'].includes(name) ? 'input' : 'change', () => {
      clearTimeout(timer);
      if (auto.checked) timer = setTimeout(preview, PREVIEW_DELAY_MS);
    });
  }
  if (form.elements.code.value.trim()) preview();
}

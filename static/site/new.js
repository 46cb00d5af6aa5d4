// The upload form: the code editor and starter sketches, the draft kept in this browser, the error
// summary, and the preview: the draft runs in the sandboxed frame, as a post would, while typing.
// Without this script the form is a plain form with a Preview button.
import { showFailed, showState, showStopped } from './render-messages.js';
import { watchFrames } from './watchdog.js';

const form = document.getElementById('post-form');
const previewButton = document.getElementById('preview-button');
let frame = document.getElementById('preview-frame');
const stage = document.querySelector('.preview-stage');
const statusLine = document.getElementById('render-status');
const errorBox = document.getElementById('render-error');
const auto = document.getElementById('auto-preview');
const PREVIEW_DELAY_MS = 700;
const DRAFT_FIELDS = ['title', 'description', 'render_model', 'capture_time', 'code', 'html'];

if (form && previewButton && frame) {
  const fields = form.elements;
  const starters = JSON.parse(document.getElementById('starters')?.textContent || '{}');

  // A script that sets a code box's value says so, so its editor shows the new text.
  const setValue = (name, value) => {
    fields[name].value = value;
    fields[name].dispatchEvent(new Event('imagesite:set'));
  };

  // The draft, kept in this browser's storage (our origin, only the draft's text) while typing;
  // a fresh form takes it back. A form the server sent back with errors holds the draft itself.
  const draftKey = form.dataset.draftKey;
  const storage = (() => {
    try {
      return window.localStorage;
    } catch {
      return null; // storage disabled: no drafts
    }
  })();
  const saveDraft = () => {
    if (!draftKey) return; // the edit page keeps no draft: the post is saved
    const draft = Object.fromEntries(DRAFT_FIELDS.map((name) => [name, fields[name].value]));
    try {
      storage?.setItem(draftKey, JSON.stringify(draft));
    } catch {
      // full or disabled: the form still works
    }
  };
  const restoreDraft = () => {
    if (!draftKey) return false;
    let draft = null;
    try {
      draft = JSON.parse(storage?.getItem(draftKey) || 'null');
    } catch {
      return false;
    }
    if (!draft || typeof draft !== 'object') return false;
    for (const name of DRAFT_FIELDS) {
      if (typeof draft[name] !== 'string') continue;
      if (name === 'render_model' && ![...fields.render_model.options].some((option) => option.value === draft[name])) continue;
      setValue(name, draft[name]);
    }
    return true;
  };
  let saveTimer = 0;
  form.addEventListener('input', () => {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(saveDraft, 300);
  });
  form.addEventListener('change', saveDraft);

  // The code editor (static/editor/), when its script loaded; the textarea stays the form field.
  const editors = {};
  if (window.imagesiteEditor) {
    editors.code = window.imagesiteEditor.attach(fields.code, fields.render_model.value);
    editors.html = window.imagesiteEditor.attach(fields.html, 'html');
  }

  // A starter sketch fills an empty box, or replaces another model's starter that was not edited;
  // never code someone wrote.
  const offerStarter = () => {
    const code = fields.code.value;
    if (code.trim() && !Object.values(starters).includes(code)) return;
    const starter = starters[fields.render_model.value];
    if (starter !== undefined) setValue('code', starter);
  };
  if (form.hasAttribute('data-restore-draft')) restoreDraft();
  else saveDraft();
  editors.code?.setModel(fields.render_model.value);
  if (!fields.code.value.trim()) offerStarter();
  // The HTML box only for the models that take one (and whenever it holds something).
  const htmlField = fields.html.closest('.field');
  const showHtml = () => {
    htmlField.hidden = !fields.html.dataset.models.split(' ').includes(fields.render_model.value) && !fields.html.value.trim();
  };
  showHtml();
  fields.render_model.addEventListener('change', () => {
    editors.code?.setModel(fields.render_model.value);
    offerStarter();
    showHtml();
  });

  // The error summary: focused on load; its links reach fields hidden behind an editor.
  const summary = document.getElementById('error-summary');
  if (summary) {
    summary.focus();
    summary.addEventListener('click', (event) => {
      const name = event.target.closest('a[data-field]')?.dataset.field;
      const editor = name && editors[name];
      if (!editor) return;
      event.preventDefault();
      editor.view.dom.scrollIntoView({ block: 'center' });
      editor.view.focus();
    });
  }

  // Publishing clears the stored draft (a form sent back with errors stores it again). A draft
  // whose preview just failed is published only when the author says so, once.
  let previewFailed = false;
  form.addEventListener('submit', (event) => {
    if (event.submitter === previewButton) return;
    const question = form.dataset.textConfirm;
    if (question && previewFailed && draft() === previewed && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    clearTimeout(saveTimer);
    if (draftKey) storage?.removeItem(draftKey);
  });

  let timer = 0;
  let previewed = null; // the draft the frame was last sent
  const draft = () => ['code', 'html', 'render_model', 'capture_time'].map((name) => fields[name].value).join('\0');
  const loading = () => {
    previewFailed = false;
    showFailed(stage, null);
    showState({ status: 'loading', error: null, preview: null }, statusLine, errorBox);
  };
  const preview = () => {
    clearTimeout(timer);
    if (!fields.code.value.trim()) return;
    loading();
    // The Preview button posts the form into the sandboxed frame (formaction/formtarget), so the
    // preview works without this script too; requestSubmit uses the button's overrides.
    form.requestSubmit(previewButton);
  };
  const failed = (text) => {
    previewFailed = true;
    showFailed(stage, text);
  };
  // A draft that hung its frame (or navigated it) gets a fresh frame: a new renderer, since the old
  // one is freed once it holds no frame. A draft edited meanwhile is run again at once.
  const replaceFrame = (text) => {
    watchdog.remove(frame);
    const fresh = frame.cloneNode(false);
    frame.replaceWith(fresh);
    frame = fresh;
    showStopped(text, statusLine, errorBox);
    failed(text);
    if (draft() !== previewed) preview();
  };
  const watchdog = watchFrames({
    onState: (_frame, state) => {
      showState(state, statusLine, errorBox);
      if (state.status === 'error') failed(state.error ? state.error.message : statusLine.dataset.textError);
    },
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
    fields[name].addEventListener(['code', 'html'].includes(name) ? 'input' : 'change', () => {
      clearTimeout(timer);
      if (auto.checked) timer = setTimeout(preview, PREVIEW_DELAY_MS);
    });
  }
  if (fields.code.value.trim()) preview();
}

// The author's post page: poll the post's API detail while a capture job is pending or running,
// and show each job's state and the new thumbnail as soon as it is stored, without a reload.
const section = document.getElementById('post-capture');
const POLL_MS = 2000;
const ACTIVE = new Set(['pending', 'running']);
const FORMATS = { 'image/png': 'PNG', 'image/webp': 'WebP', 'image/avif': 'AVIF' }; // as StoredImage.format_name

function setText(cell, text, { tag = null, className = '' } = {}) {
  cell.replaceChildren();
  if (!tag) {
    cell.textContent = text;
    return;
  }
  const element = document.createElement(tag);
  element.className = className;
  element.textContent = text;
  cell.append(element);
}

function showImage(row, image) {
  const cell = row.querySelector('[data-cell="stored"]');
  if (!image) return;
  const link = document.createElement('a');
  link.href = image.url;
  const format = FORMATS[image.mime] || image.mime;
  link.textContent = `${image.width}×${image.height} ${format}, ${(image.bytes / 1024).toFixed(1)} KB`;
  cell.replaceChildren(link);
}

function showJob(row, job) {
  const status = row.querySelector('[data-cell="status"]');
  setText(status, section.dataset[`status${job.status[0].toUpperCase()}${job.status.slice(1)}`] || job.status, {
    tag: 'span',
    className: `status status-${job.status}`,
  });
  row.querySelector('[data-cell="attempts"]').textContent = String(job.attempts);
  const error = row.querySelector('[data-cell="error"]');
  if (job.last_error) setText(error, job.last_error, { tag: 'code', className: 'last-error' });
  else error.textContent = '—';
}

function showThumb(url) {
  const img = document.getElementById('capture-thumb');
  if (!url || img.getAttribute('src') === url) return;
  img.removeAttribute('width');
  img.removeAttribute('height');
  img.src = url;
  img.hidden = false;
  document.getElementById('capture-waiting').hidden = true;
}

async function poll() {
  let post;
  try {
    const response = await fetch(section.dataset.apiUrl, { headers: { Accept: 'application/json' }, cache: 'no-store' });
    if (!response.ok) throw new Error(String(response.status));
    post = await response.json();
  } catch {
    setTimeout(poll, POLL_MS * 3); // offline or a server hiccup: try again, more slowly
    return;
  }
  for (const row of section.querySelectorAll('tr[data-kind]')) {
    const kind = row.dataset.kind;
    showImage(row, post.images.find((image) => image.kind === kind));
    const job = post.jobs.find((each) => each.kind === kind);
    if (job) showJob(row, job);
  }
  showThumb(post.thumb_url);
  const thumbJob = post.jobs.find((job) => job.kind === 'thumb');
  const waiting = document.getElementById('capture-waiting');
  if (!post.thumb_url && thumbJob?.status === 'failed') waiting.textContent = waiting.dataset.textFailed;
  if (post.jobs.some((job) => ACTIVE.has(job.status))) setTimeout(poll, POLL_MS);
}

if (section) {
  const waiting = [...section.querySelectorAll('.status')].some((badge) =>
    [...ACTIVE].some((status) => badge.classList.contains(`status-${status}`)),
  );
  if (waiting) setTimeout(poll, POLL_MS);
}

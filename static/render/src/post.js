// The post as the page carries it (JSON, read with textContent), and where this page runs.
export const post = Object.freeze(JSON.parse(document.getElementById("post-data").textContent));
export const capture = post.mode === "capture";
export const framed = window.parent !== window;

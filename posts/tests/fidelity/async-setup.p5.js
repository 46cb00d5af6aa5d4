// p5.js 2.x: an async setup() that waits before drawing, with the await keyword.
let ready = false;

async function setup() {
  createCanvas(windowWidth, windowHeight);
  await new Promise((resolve) => setTimeout(resolve, 200));
  ready = true;
}

function draw() {
  background(ready ? color(30, 0, 90) : color(255, 0, 0));
  fill(0, 220, 180);
  noStroke();
  const size = min(width, height) * 0.3;
  square(width / 2 - size / 2, height / 2 - size / 2, size);
}

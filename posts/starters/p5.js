// p5.js in global mode, as in the p5 editor: setup() once, draw() every frame.
// random() and noise() are seeded per post; millis() and frameCount follow the capture's clock.
function setup() {
  createCanvas(400, 400);
  noStroke();
}

function draw() {
  background(20, 24, 38);
  for (let i = 0; i < 12; i++) {
    const angle = (TWO_PI * i) / 12 + millis() / 1000;
    fill(237, 34, 93, 200);
    circle(width / 2 + 120 * cos(angle), height / 2 + 120 * sin(angle), 40 * noise(i, frameCount / 60) + 10);
  }
}

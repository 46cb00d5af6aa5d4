// OpenProcessing style: a full-window canvas, HSB colours, noise() waves, a slow reveal.
let t = 0;

function setup() {
  createCanvas(windowWidth, windowHeight);
  colorMode(HSB, 360, 100, 100, 100);
  background(210, 80, 20);
}

function draw() {
  noFill();
  strokeWeight(2);
  for (let i = 0; i < 6; i++) {
    stroke((t * 40 + i * 30) % 360, 70, 100, 25);
    beginShape();
    for (let x = width * 0.2; x < width * 0.8; x += 8) {
      vertex(x, height * 0.25 + (noise(x * 0.01, i, t) - 0.5) * height * 0.3);
    }
    endShape();
  }
  noStroke();
  fill(50, 100, 100);
  rectMode(CENTER);
  rect(width / 2, height * 0.65, width * 0.2, height * 0.12);
  t += 0.01;
}

function windowResized() {
  resizeCanvas(windowWidth, windowHeight);
  background(210, 80, 20);
}

// WEBGL mode with p5's own lights and a fixed-size canvas, as in the p5 editor's 3D examples.
function setup() {
  createCanvas(320, 320, WEBGL);
}

function draw() {
  background(250, 240, 200);
  ambientLight(255);
  noStroke();
  ambientMaterial(40, 120, 255);
  rotateY(frameCount * 0.01);
  box(80);
}

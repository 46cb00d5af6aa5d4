function setup() {
  createCanvas(400, 400);
}

function draw() {
  background(220);
  noStroke();
  fill(255, 80, 0);
  ellipse(200, 200, 160, 160);
}

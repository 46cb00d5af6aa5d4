// A noise flow field in p5.js global mode, as pasted from the p5 editor: setup() and draw(), a
// fixed 600x600 canvas, particles steered by noise() leaving trails (draw() never clears), and an
// amber sun drawn over them in every frame.
const particles = [];

function setup() {
  createCanvas(600, 600);
  background(12, 18, 40);
  for (let i = 0; i < 200; i++) {
    particles.push(createVector(random(width), random(height)));
  }
}

function draw() {
  strokeWeight(1.5);
  for (const particle of particles) {
    const angle = noise(particle.x * 0.004, particle.y * 0.004, frameCount * 0.003) * TWO_PI * 2;
    const next = p5.Vector.add(particle, createVector(cos(angle), sin(angle)).mult(2));
    stroke(90 + 140 * (particle.x / width), 190, 255, 60);
    line(particle.x, particle.y, next.x, next.y);
    particle.set(next);
    if (particle.x < 0 || particle.x > width || particle.y < 0 || particle.y > height) {
      particle.set(random(width), random(height));
    }
  }
  noStroke();
  fill("#ffb000");
  circle(width / 2, height / 2, 140);
}

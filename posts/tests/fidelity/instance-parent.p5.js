// Instance mode from a page of its own: the canvas goes into a #sketch-holder that page had.
const sketch = (p) => {
  let angle = 0;

  p.setup = () => {
    const canvas = p.createCanvas(300, 200);
    canvas.parent("sketch-holder");
    p.rectMode(p.CENTER);
    p.noStroke();
  };

  p.draw = () => {
    p.background(0, 90, 60);
    p.fill(255);
    p.rect(150, 100, 60, 60);
    p.push();
    p.translate(150, 100);
    p.rotate(angle);
    p.fill(255, 255, 255, 90);
    p.rect(70, 0, 12, 12);
    p.pop();
    angle += p.deltaTime / 1000;
  };
};

new p5(sketch);

// p5.js 1.x: preload() of an image the sketch carries itself, as a data: URL (a 2x1 PNG: red, green).
let img;

function preload() {
  img = loadImage(
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAAD0lEQVR4nGP4z8DA8J8BAAf/Af8Bf4mnAAAAAElFTkSuQmCC",
  );
}

function setup() {
  createCanvas(windowWidth, windowHeight);
  noSmooth();
}

function draw() {
  image(img, 0, 0, width, height);
}

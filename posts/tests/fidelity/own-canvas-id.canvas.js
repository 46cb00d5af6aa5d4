// A tutorial's sketch, for a page with <canvas id="myCanvas">.
const canvas = document.getElementById("myCanvas");
const context = canvas.getContext("2d");
canvas.width = window.innerWidth;
canvas.height = window.innerHeight;

function draw(t) {
  context.fillStyle = "#2d1b4e";
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.fillStyle = "#ff6f91";
  context.beginPath();
  const r = Math.min(canvas.width, canvas.height) / 4;
  context.arc(canvas.width / 2, canvas.height / 2, r * (0.95 + 0.05 * Math.sin(t / 300)), 0, Math.PI * 2);
  context.fill();
  requestAnimationFrame(draw);
}
requestAnimationFrame(draw);

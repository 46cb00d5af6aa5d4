// Snow for a dark page: cleared to transparent each frame, white dots drifting down a band.
const flakes = Array.from({ length: 120 }, () => ({
  x: Math.random() * width,
  y: Math.random(),
  r: 2 + Math.random() * 4,
}));

function frame(t) {
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = "rgba(255, 255, 255, 0.9)";
  for (const flake of flakes) {
    ctx.beginPath();
    ctx.arc(flake.x, height * (0.3 + 0.4 * ((flake.y + t / 8000) % 1)), flake.r, 0, Math.PI * 2);
    ctx.fill();
  }
  ctx.beginPath();
  ctx.arc(width / 2, height / 2, 40, 0, Math.PI * 2);
  ctx.fillStyle = "#ffffff";
  ctx.fill();
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);

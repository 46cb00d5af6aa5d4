// Orbits, in the style of MDN's canvas examples: look the canvas up, then animate with
// requestAnimationFrame. A red sun in the middle of a black sky, white planets circling it.
const canvas = document.getElementById("canvas");
const ctx = canvas.getContext("2d");
const cx = width / 2;
const cy = height / 2;
const unit = Math.min(width, height);

// Math.random is seeded per post, so the same stars every time.
const stars = Array.from({ length: 120 }, () => [Math.random() * width, Math.random() * height]);
let previewed = false;
const planets = [
  { orbit: 0.22, size: 0.025, speed: 1.6, phase: 0 },
  { orbit: 0.32, size: 0.035, speed: 1.0, phase: 2.1 },
  { orbit: 0.44, size: 0.02, speed: 0.6, phase: 4.2 },
];

function draw(time) {
  const t = time / 1000;
  ctx.fillStyle = "#000000";
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = "#555555";
  for (const [x, y] of stars) ctx.fillRect(x, y, 2, 2);

  ctx.strokeStyle = "rgba(255, 255, 255, 0.2)";
  for (const planet of planets) {
    ctx.beginPath();
    ctx.arc(cx, cy, planet.orbit * unit, 0, Math.PI * 2);
    ctx.stroke();
  }

  ctx.fillStyle = "#e0282e";
  ctx.beginPath();
  ctx.arc(cx, cy, 0.15 * unit, 0, Math.PI * 2);
  ctx.fill();

  ctx.fillStyle = "#ffffff";
  for (const planet of planets) {
    const angle = planet.phase + t * planet.speed;
    ctx.beginPath();
    ctx.arc(cx + Math.cos(angle) * planet.orbit * unit, cy + Math.sin(angle) * planet.orbit * unit,
      planet.size * unit, 0, Math.PI * 2);
    ctx.fill();
  }

  // The planets have spread out by half a second: a good moment for the preview image.
  if (t >= 0.5 && !previewed) {
    previewed = true;
    capturePreview();
  }
  requestAnimationFrame(draw);
}

requestAnimationFrame(draw);

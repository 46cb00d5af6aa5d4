// Spiral: drawn straight onto the given globals (canvas, ctx, width, height), no lookups.
// A blue disc in the middle of a white page, a spiral of coloured dots winding out of it.
let turn = 0;

function frame() {
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, width, height);
  const unit = Math.min(width, height);
  for (let i = 0; i < 240; i++) {
    const angle = i * 0.25 + turn;
    const radius = 0.14 * unit + i * 0.0014 * unit;
    ctx.fillStyle = `hsl(${(i * 3) % 360}, 80%, 50%)`;
    ctx.fillRect(width / 2 + Math.cos(angle) * radius, height / 2 + Math.sin(angle) * radius, 5, 5);
  }
  ctx.fillStyle = "#1d4ed8";
  ctx.beginPath();
  ctx.arc(width / 2, height / 2, 0.12 * unit, 0, Math.PI * 2);
  ctx.fill();
  turn += 0.02;
  requestAnimationFrame(frame);
}

frame();
